"""The SQLite episode store: one row per finished episode, several runs per file, resumable.

WAL journaling and one transaction per row make every finished episode durable the moment it is
written; the primary key ``(run, task, set_name, episode)`` with ``INSERT OR IGNORE`` keeps each
episode exactly once, whatever crashed and however often a run is resumed.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    version TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS episodes (
    run TEXT NOT NULL,
    policy TEXT NOT NULL,
    version TEXT NOT NULL,
    task TEXT NOT NULL,
    set_name TEXT NOT NULL,
    episode INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    params TEXT NOT NULL,
    success INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    return REAL NOT NULL,
    wall_s REAL NOT NULL,
    error TEXT,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (run, task, set_name, episode)
);
"""


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    """One episode as stored. ``params`` is the JSON of the sampled perturbation parameters."""

    run: str
    policy: str
    version: str
    task: str
    set_name: str
    episode: int
    seed: int
    params: str
    success: bool
    steps: int
    return_: float
    wall_s: float
    error: str | None
    finished_at: str

    def key(self) -> tuple[str, str, int]:
        """``(task, set_name, episode)``: what identifies an episode within a run."""
        return self.task, self.set_name, self.episode


_COLUMNS = [f.name.rstrip("_") for f in fields(EpisodeRow)]


def now_iso() -> str:
    """Current UTC time, ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """An SQLite file of runs and episodes.

    Raises:
        ValueError: when the file cannot be opened or is not a colosseum-lite store.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"--db {self.path} is a directory; give a file path such as results.sqlite")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise ValueError(f"cannot use {self.path} as a results database ({exc}); "
                             "pass a new file name or a store written by colosseum-lite") from None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check_run(self, run: str, policy: str) -> None:
        """Raise ValueError when ``run`` exists with another policy (resuming must not mix them)."""
        existing = self.run_policy(run)
        if existing is not None and existing != policy:
            raise ValueError(f"run {run!r} in {self.path} was made with policy {existing!r}, not {policy!r}; "
                             "pass another --run name to start a new run")

    def start_run(self, run: str, policy: str, version: str, config: dict) -> None:
        """Record a run, or check that a resumed run keeps its policy."""
        self.check_run(run, policy)
        if self.run_policy(run) is None:
            self.conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                              (run, policy, version, json.dumps(config, sort_keys=True), now_iso()))

    def done(self, run: str) -> set[tuple[str, str, int]]:
        """Keys of the episodes a run has finished."""
        cur = self.conn.execute("SELECT task, set_name, episode FROM episodes WHERE run = ?", (run,))
        return {(t, s, int(e)) for t, s, e in cur}

    def add(self, row: EpisodeRow) -> bool:
        """Write one episode durably; returns False when it was already there."""
        values = list(asdict(row).values())
        values[_COLUMNS.index("success")] = int(row.success)
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO episodes ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            values,
        )
        return cur.rowcount == 1

    def rows(self, run: str | None = None) -> list[EpisodeRow]:
        """Every stored episode (of one run), ordered by task, set and episode."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM episodes"
        args: tuple = ()
        if run is not None:
            sql += " WHERE run = ?"
            args = (run,)
        sql += " ORDER BY run, task, set_name, episode"
        return [EpisodeRow(*r[:8], bool(r[8]), *r[9:]) for r in self.conn.execute(sql, args)]

    def runs(self) -> list[str]:
        """Run names, oldest first."""
        return [r[0] for r in self.conn.execute("SELECT run FROM runs ORDER BY created_at, run")]

    def run_policy(self, run: str) -> str | None:
        """The policy spec a run was made with."""
        row = self.conn.execute("SELECT policy FROM runs WHERE run = ?", (run,)).fetchone()
        return None if row is None else row[0]
