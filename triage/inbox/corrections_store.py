"""Managers' corrections, exported as labelled records for `triage train`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.platform import tables as t


def training_records(*, session: Session) -> list[dict[str, Any]]:
    """One record per corrected message in the shared data format; the latest correction wins."""
    rows = session.execute(
        select(t.Correction, t.Message).join(t.Message, t.Message.id == t.Correction.message_id)
        .order_by(t.Correction.at, t.Correction.id)).all()
    records: dict[int, dict[str, Any]] = {}
    for correction, message in rows:
        rec = records.setdefault(message.id, {
            "id": f"corrections:{message.source}:{message.external_id}", "text": message.text,
            "channel": message.source, "dataset": "corrections",
            "urgency": None, "intent": None, "sentiment": None, "raw": {"corrected_by": []}})
        if correction.field in ("urgency", "intent", "sentiment"):
            rec[correction.field] = correction.new_value
        rec["raw"]["corrected_by"].append(correction.user_id)
    return [r for r in records.values() if any(r[f] for f in ("urgency", "intent", "sentiment"))]
