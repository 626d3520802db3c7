"""SQLite's prepared-statement cache stays small: every IN-list length is a statement of its own."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from triage.platform.db import make_engine


def _sqlite_heap() -> ctypes._CFuncPtr:
    try:  # the library Python's sqlite3 module is linked to: one process-wide counter
        used = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0").sqlite3_memory_used
    except (OSError, AttributeError):
        pytest.skip("no shared libsqlite3 to ask (sqlite3 built in statically)")
    used.restype = ctypes.c_int64
    return used


def test_distinct_in_lists_do_not_pile_up_in_sqlite_heap(tmp_path):
    used = _sqlite_heap()
    engine = make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    items = Table("items", MetaData(), Column("id", Integer, primary_key=True))
    items.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(select(items.c.id).where(items.c.id.in_([1, 2]))).all()
        before = used()
        for n in range(500, 700):  # like routing passes: a different number of ids each time
            conn.execute(select(items.c.id).where(items.c.id.in_(list(range(n))))).all()
        grown = (used() - before) / 2**20
    engine.dispose()
    # ~100 KB a statement: 200 kept would be ~20 MB (128, Python's default, kept 13 MB here)
    assert grown < 6, f"SQLite heap grew {grown:.1f} MB over 200 distinct IN lists"
