"""What managers' label corrections teach the classifier: the records `triage train` learns from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from triage.inbox import corrections_store


def correction_records(*, session: Session) -> list[dict[str, Any]]:
    """One labelled record per corrected message (the latest correction wins), in the shared
    data format, so training treats the inbox's corrections like any other labelled source."""
    return corrections_store.training_records(session=session)
