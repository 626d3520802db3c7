"""Relationship policy versions: the highest version is active; every save is audited."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.platform.audit import audit
from triage.platform.tables_relationship import RelationshipPolicyVersion
from triage.scoring.domain.relationship import DEFAULT_POLICY, RelationshipPolicy


def token(version: int, policy: RelationshipPolicy) -> str:
    """'<version>:<digest>': names a policy across databases, so caches never mix two of them."""
    digest = hashlib.sha256(json.dumps(policy.as_dict(), sort_keys=True).encode()).hexdigest()
    return f"{version}:{digest[:12]}"


def active(*, session: Session) -> tuple[int, RelationshipPolicy]:
    """The active (newest) policy and its version; version 0 is the built-in default."""
    row = session.scalars(select(RelationshipPolicyVersion)
                          .order_by(RelationshipPolicyVersion.version.desc()).limit(1)).first()
    if row is None:
        return 0, DEFAULT_POLICY
    return row.version, RelationshipPolicy.from_dict(row.doc)


def save(*, session: Session, doc: dict[str, Any], actor: str, note: str | None,
         now: datetime) -> tuple[RelationshipPolicyVersion, RelationshipPolicy]:
    """Validate and store a new version (Invalid names every problem), with an audit entry."""
    policy = RelationshipPolicy.from_dict(doc)
    version = (session.scalar(select(func.max(RelationshipPolicyVersion.version))) or 0) + 1
    row = RelationshipPolicyVersion(version=version, doc=policy.as_dict(), actor=actor,
                                    note=note, created_at=now)
    session.add(row)
    session.flush()  # a concurrent save of the same version fails here, not at commit
    audit(session=session, actor=actor, action="policy.update", entity="relationship_policy",
          entity_id=version, detail={"note": note, "policy": policy.as_dict()}, now=now)
    return row, policy


def history(*, session: Session, limit: int = 20) -> list[RelationshipPolicyVersion]:
    """Newest versions first."""
    return list(session.scalars(select(RelationshipPolicyVersion)
                                .order_by(RelationshipPolicyVersion.version.desc()).limit(limit)))
