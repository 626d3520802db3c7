"""Incidents (storms) as the other features see them: which message stands for a storm in the
inbox, the facts an item shows about its storm, and resolving a whole storm at once.

The inbox and the router call these; only scoring touches the incident storage itself.
"""

from __future__ import annotations

from triage.scoring import incident_store as repo

STORM_MIN = repo.STORM_MIN  # members before a group counts as a storm and collapses into one item

shown_in_inbox = repo.shown_in_inbox  # SQL: the message is its own item, or its storm's first
preload = repo.preload  # a page's incidents in one query, for `cached`
cached = repo.cached  # an incident loaded by `preload` (or fetched once)
resolve = repo.resolve  # resolve every open member of a storm, audited; returns how many
