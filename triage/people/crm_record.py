"""One line of a CRM export (CSV or JSONL), validated, and how it updates a contact."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.core.scoring import GROUPS
from triage.platform import tables as t

GROUP_ALIASES = {"press/influencer": "press", "influencer": "press", "media": "press",
                 "client": "customer", "lead": "prospect", "staff": "employee", "vendor": "supplier"}


class Identity(BaseModel):
    """How the contact appears on one channel."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    source: str | None = Field(default=None, max_length=64)
    author_id: str | None = Field(default=None, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=320)


class CrmRecord(BaseModel):
    """A CRM line: who (crm id, email, identities) and the facts relationship value reads."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    crm_id: str | None = Field(default=None, max_length=128)
    name: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    group: str | None = None
    tier: str | None = Field(default=None, max_length=32)
    lifetime_value: float | None = Field(default=None, ge=0)
    open_orders: int | None = Field(default=None, ge=0)
    open_deals: int | None = Field(default=None, ge=0)
    community_role: str | None = Field(default=None, max_length=64)
    tenure_days: int | None = Field(default=None, ge=0)
    member_since: date | None = None
    source: str | None = Field(default=None, max_length=64)
    author_id: str | None = Field(default=None, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    identities: list[Identity] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):  # CSV cells are "" when empty
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data

    @field_validator("group")
    @classmethod
    def _known_group(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = GROUP_ALIASES.get(value.strip().lower(), value.strip().lower())
        if value not in GROUPS:
            raise ValueError(f"unknown group {value!r}; use one of {', '.join(GROUPS)}")
        return value

    @model_validator(mode="after")
    def _someone(self) -> CrmRecord:
        if not (self.crm_id or self.email or self.author_id or self.handle or self.identities):
            raise ValueError("needs crm_id, email, author_id, handle or identities to know who")
        if self.author_id and not self.source:
            raise ValueError("author_id needs the source it belongs to")
        return self

    def identity_tuples(self) -> list[tuple[str, str | None, str]]:
        """(kind, source or None, value) for every way this contact shows up."""
        out: list[tuple[str, str | None, str]] = []
        for i in [Identity(source=self.source, author_id=self.author_id, handle=self.handle,
                           email=self.email), *self.identities]:
            if i.author_id and i.source:
                out.append(("id", i.source, i.author_id))
            if i.handle:
                out.append(("handle", i.source, i.handle))
            if i.email:
                out.append(("email", None, i.email))
        return out

    def apply(self, contact: t.Contact, *, now: datetime) -> None:
        """Copy the facts given onto the contact; facts the line leaves out are kept."""
        for attr, value in (("crm_id", self.crm_id), ("display_name", self.name),
                            ("email", self.email), ("group", self.group),
                            ("crm_tier", self.tier and self.tier.lower()),
                            ("lifetime_value", self.lifetime_value),
                            ("community_role", self.community_role)):
            if value is not None:
                setattr(contact, attr, value)
        facts = dict(contact.facts or {})
        if self.open_orders is not None:
            facts["open_orders"] = self.open_orders
        if self.open_deals is not None:
            facts["open_deals"] = self.open_deals
        since = self.member_since or (
            (now - timedelta(days=self.tenure_days)).date() if self.tenure_days is not None else None)
        if since is not None:
            facts["member_since"] = since.isoformat()
        contact.facts = facts


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | ValueError]]:
    """(line number, record) pairs from CSV or JSONL; a line that cannot be read yields its error."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, {k.strip().lower(): v for k, v in row.items() if k}
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, ValueError(f"not JSON: {exc.msg}")
                continue
            yield lineno, doc if isinstance(doc, dict) else ValueError("expected a JSON object")
