"""The inbox as a workspace: saved views with their counts, and one conversation in full."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.core.errors import Invalid
from triage.inbox import domain as rules
from triage.inbox import store as repo
from triage.inbox.service import serialize
from triage.inbox.store import InboxFilter  # the edges build filters without the store
from triage.people import service as people

VIEWS = {  # name -> (label, what it holds)
    "all": ("Everything", "every active item, highest priority first"),
    "mine": ("Mine", "items you hold"),
    "unassigned": ("Unassigned", "active items nobody holds"),
    "critical": ("Critical", "active critical items"),
    "waiting": ("Waiting on me", "items you hold that have had no reply yet"),
}
MAX_QUERY = 200  # a search longer than this is a paste accident, not a search


def view_filter(view: str, *, user_id: int, base: InboxFilter) -> InboxFilter:
    """The filter a saved view stands for, on top of the page's own filters."""
    if view not in VIEWS:
        raise Invalid(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    if base.q and len(base.q) > MAX_QUERY:
        raise Invalid(f"search at most {MAX_QUERY} characters")
    return {
        "all": base,
        "mine": replace(base, assignee_id=user_id),
        "unassigned": replace(base, unassigned=True),
        "critical": replace(base, urgency="critical"),
        "waiting": replace(base, assignee_id=user_id, awaiting_reply=True),
    }[view]


def view_counts(*, session: Session, user_id: int, now: datetime) -> dict[str, int]:
    """How many active items each saved view holds right now."""
    return repo.view_counts(session=session, user_id=user_id, now=now)


def known_total(view: str, *, base: InboxFilter, counts: dict[str, int]) -> int | None:
    """A saved view's total from its count when no other filter narrows it: one scan less."""
    plain = base.status == "active" and not (base.source or base.urgency or base.q)
    return counts.get(view) if plain else None


def list_page(*, session: Session, flt: InboxFilter, now: datetime,
              total: int | None = None) -> tuple[list[Any], list[dict[str, Any]], int, InboxFilter]:
    """One page of a view (the last page when asked past the end): rows, items, total, filter."""
    rows, total = repo.list_items(session=session, flt=flt, now=now, total=total)
    pages = max(1, -(-total // flt.per_page))
    if flt.page > pages:  # an old link or a hand-typed number: show the last page
        flt = replace(flt, page=pages)
        rows, total = repo.list_items(session=session, flt=flt, now=now, total=total)
    fixed = corrections(session=session, item_ids=[r.id for r in rows])
    items = [with_corrections(serialize(r, now), fixed.get(r.id, {})) for r in rows]
    return rows, items, total, flt


def item_view(*, session: Session, item_id: int, now: datetime) -> dict[str, Any]:
    """One item as a list row shows it, corrected labels included."""
    row = repo.get_item(session=session, item_id=item_id)
    return with_corrections(serialize(row, now),
                            corrections(session=session, item_ids=[item_id]).get(item_id, {}))


def corrections(*, session: Session, item_ids: list[int]) -> dict[int, dict[str, dict[str, str]]]:
    """Per item, the latest correction of each label: 'urgency corrected by alex (was high)'."""
    out: dict[int, dict[str, dict[str, str]]] = {}
    for c, username in repo.corrections_of(session=session, item_ids=item_ids):
        out.setdefault(c.message_id, {})[c.field] = {
            "value": c.new_value, "old": c.old_value or "unset", "by": username,
            "text": f"{c.field} corrected by {username} (was {c.old_value or 'unset'})"}
    return out


def with_corrections(item: dict[str, Any], fixed: dict[str, dict[str, str]]) -> dict[str, Any]:
    """An item showing its corrected labels, each with who corrected it."""
    shown = dict(item)
    for field, c in fixed.items():
        shown[field] = c["value"]
    shown["corrections"] = fixed
    return shown


def conversation(*, session: Session, item_id: int, now: datetime) -> dict[str, Any]:
    """One item in full: the thread across channels in order, and its author's relationship card."""
    row = repo.get_item(session=session, item_id=item_id)
    thread = repo.conversation(session=session, item=row)
    if row not in thread:
        thread.append(row)
    mine = [m for m in thread if m.author_id == row.author_id or (
        row.author.contact_id and m.author.contact_id == row.author.contact_id)]
    item = with_corrections(serialize(row, now),
                            corrections(session=session, item_ids=[row.id]).get(row.id, {}))
    return {"item": item, "rows": thread, "thread": [_message(m, row.id, now) for m in thread],
            "card": _card(session, row, mine, now)}


def _message(m: Any, current: int, now: datetime) -> dict[str, Any]:
    a = m.author
    state = rules.ItemState(m.status, m.assignee_id, m.snoozed_until)
    return {"id": m.id, "source": m.source, "thread_id": m.thread_id, "text": m.text, "url": m.url,
            "author": a.name or a.handle or a.external_id, "handle": a.handle,
            "received_at": m.received_at.strftime("%Y-%m-%d %H:%M"), "current": m.id == current,
            "status": rules.effective_status(state, now), "urgency": m.urgency,
            "sentiment": m.score.sentiment if m.score else None}


def _card(session: Session, row: Any, mine: list[Any], now: datetime) -> dict[str, Any]:
    """Group, CRM facts, history, sentiment trend, open cases and other identities."""
    person = (people.person_view(session=session, contact_id=row.author.contact_id, messages=0)
              if row.author.contact_id else None)
    open_cases = [_message(m, row.id, now) for m in mine if m.id != row.id
                  and rules.effective_status(rules.ItemState(m.status, m.assignee_id,
                                                             m.snoozed_until), now) != "resolved"]
    return {
        "person": person, "group": person["group"] if person else "public",
        "identities": [i for i in (person or {}).get("identities", []) if i["id"] != row.author_id],
        "messages": len(mine), "first_seen": min(m.received_at for m in mine).strftime("%Y-%m-%d"),
        "trend": rules.sentiment_trend([m.score.sentiment if m.score else None for m in mine]),
        "sentiments": [m.score.sentiment if m.score else "unscored" for m in mine][-12:],
        "open_cases": open_cases, "links": (person or {}).get("history", [])[-3:],
    }
