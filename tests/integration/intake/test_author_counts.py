"""An author's history counts (all messages, open cases) come from one query, on both backends."""

from __future__ import annotations

from sqlalchemy import select

from tests.integration.relationship_support import T0, doc, ingest
from triage.intake import messages as repo
from triage.platform import tables as t


def test_interactions_count_every_message_and_open_cases_only_open_or_claimed_ones(services):
    texts = ["my order is late", "still waiting on the order", "thanks, it arrived", "one more question"]
    ids = ingest(services, [doc(f"m{i}", text, author="regular") for i, text in enumerate(texts)]
                 + [doc("other", "hello", author="someone-else")], at=T0)
    with services.db.begin() as session:
        statuses = {"m0": "resolved", "m1": "claimed", "m2": "resolved"}
        for ext, status in statuses.items():
            session.execute(t.Message.__table__.update().where(t.Message.external_id == ext)
                            .values(status=status))
    with services.db() as session:
        rows = session.scalars(select(t.Message).where(t.Message.id.in_(ids))
                               .order_by(t.Message.external_id)).all()
        by_ext = dict(zip([r.external_id for r in rows], repo.author_contexts(session=session, rows=rows),
                          strict=True))
    # m3 is open itself; of the other three, only claimed m1 is an open case
    assert (by_ext["m3"].interactions, by_ext["m3"].open_cases) == (3, 1)
    assert (by_ext["other"].interactions, by_ext["other"].open_cases) == (0, 0)
