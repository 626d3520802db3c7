"""Pure domain logic: no web, queue, database or ML imports (tests/unit/test_architecture.py checks)."""
