"""Pure report arithmetic: no web, queue, database or ML imports."""
