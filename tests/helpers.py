"""Small helpers shared by the runner, backend and CLI tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

ROOT = Path(__file__).parents[1]
SCRIPTED_POLICIES = ROOT / "tests" / "scripted_policies.py"  # policies that misbehave on seed 1


def count_rows(db: Path) -> int:
    """Episodes in a store, read while a sweep may be writing it (0 until there is a table)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0]
    except sqlite3.Error:
        return 0
