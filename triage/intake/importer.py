"""Bulk import of messages from JSONL or CSV, through the same deduplicating buffer as webhooks."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from triage.core.message import Message


@dataclass
class ImportReport:
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record) pairs; a line that is not a JSON object yields its error text."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            for i, row in enumerate(csv.DictReader(f), start=2):
                yield i, {k: v for k, v in row.items() if v not in ("", None)}
        return
    with path.open(encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                yield i, f"not JSON: {exc.msg}"
                continue
            yield i, doc if isinstance(doc, dict) else "not a JSON object"


def to_message(doc: dict[str, Any], *, source: str, now: datetime) -> Message:
    """Accept our own message format and the labelled-data format (id, text, channel...)."""
    author = doc.get("author")
    if author is None:
        author = {"id": str(doc.get("author_id") or doc.get("author_handle") or "unknown"),
                  "handle": doc.get("author_handle"), "name": doc.get("author_name")}
    return Message.model_validate({
        "source": doc.get("source") or source,
        "external_id": str(doc.get("external_id") or doc.get("id") or ""),
        "thread_id": doc.get("thread_id"), "author": author, "text": doc.get("text", ""),
        "language": doc.get("language"), "created_at": doc.get("created_at") or now,
        "url": doc.get("url"), "raw": doc,
    })


def describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
