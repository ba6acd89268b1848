"""The SQLite episode store: one row per finished episode, several runs per file, resumable.

WAL journaling and one transaction per row make every finished episode durable the moment it is
written; the primary key ``(run, task, set_name, episode)`` keeps each episode exactly once,
whatever crashed and however often a run is resumed. A run is its configuration, stored once:
starting a run compares configurations in one ``BEGIN IMMEDIATE`` transaction, so two processes
racing on one name can never both be accepted with different configurations.

The file carries an application id and a schema version: another program's SQLite file, a
corrupted one or a newer schema is refused before anything is written to it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum, unique
from pathlib import Path
from typing import Any

from colosseum_lite.paths import check_creatable_dir, check_path_text

APPLICATION_ID = 0x436F4C69  # "CoLi"
SCHEMA_VERSION = 2  # 1: stores of colosseum-lite 0.1.0 (no application id, no status column)
BUSY_TIMEOUT_S = 60.0

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
    status TEXT NOT NULL DEFAULT 'ok',
    PRIMARY KEY (run, task, set_name, episode)
);
"""


@unique
class Status(Enum):
    """How an episode ended. Policy errors are the policy's failures; the others are not."""

    OK = "ok"
    POLICY_ERROR = "policy_error"  # the policy raised, or returned an invalid action
    TIMEOUT = "timeout"  # the episode ran past the per-episode timeout and its worker was killed
    INFRA_ERROR = "infra_error"  # the worker died, or the simulator failed


# Rerunning a run retries these; success rates leave them out (they say nothing of the policy).
RETRIED = frozenset({Status.TIMEOUT, Status.INFRA_ERROR})


class StoreError(ValueError):
    """The store cannot be used or written; the message names the fix."""


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
    status: Status = Status.OK

    def key(self) -> tuple[str, str, int]:
        """``(task, set_name, episode)``: what identifies an episode within a run."""
        return self.task, self.set_name, self.episode

    @property
    def counted(self) -> bool:
        """Whether the episode says something about the policy (counted in success rates)."""
        return self.status not in RETRIED


_COLUMNS = [f.name.rstrip("_") for f in fields(EpisodeRow)]


def now_iso() -> str:
    """Current UTC time, ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------ configurations
EXTENSIBLE = ("tasks", "sets")  # lists a rerun may grow; ``episodes`` may grow too
EXTENSIBLE_MAPS = ("max_episode_steps",)  # per-task tables that grow with the tasks


def config_difference(stored: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, list[str]]:
    """How a run's new configuration relates to its stored one.

    Returns:
        ``("same", [])``; ``("extends", fields)`` when the new one only adds tasks, sets or
        episodes; or ``("differs", fields)`` naming every field that differs otherwise.
    """
    keys = sorted(set(stored) | set(new))
    changed = [k for k in keys if stored.get(k) != new.get(k)]
    if not changed:
        return "same", []
    grows = []
    for k in changed:
        old, now = stored.get(k), new.get(k)
        if k in EXTENSIBLE and isinstance(old, list) and isinstance(now, list) and set(old) <= set(now):
            grows.append(k)
        elif k == "episodes" and isinstance(old, int) and isinstance(now, int) and old <= now:
            grows.append(k)
        elif k in EXTENSIBLE_MAPS and isinstance(old, dict) and isinstance(now, dict) and all(
                now.get(key) == value for key, value in old.items()):
            grows.append(k)
    if len(grows) == len(changed):
        return "extends", changed
    return "differs", [k for k in changed if k not in grows]


def describe_difference(stored: Mapping[str, Any], new: Mapping[str, Any], names: list[str]) -> str:
    """``field: stored -> new`` for each named field, shortened."""
    def short(v: Any) -> str:
        text = json.dumps(v, sort_keys=True, default=str)
        return text if len(text) <= 80 else text[:77] + "..."
    return "; ".join(f"{k}: {short(stored.get(k))} -> {short(new.get(k))}" for k in names)


# ------------------------------------------------------------------------------ opening a file
def _existing(path: Path) -> bool:
    """Whether a store file is there; refuse, touching nothing, a path that cannot be one."""
    try:
        check_path_text(path, "database")
    except ValueError as exc:
        raise StoreError(f"{exc} such as results.sqlite") from None
    try:
        if path.is_dir():
            raise StoreError(f"the database path {path} is a directory; give a file path such as results.sqlite")
        return path.exists()
    except OSError as exc:
        raise StoreError(f"cannot use {path} as a results database ({exc.strerror or exc}); pass another path") \
            from None


def _describe_foreign(tables: list[str]) -> str:
    shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
    return f"it holds other tables ({shown})" if tables else "it is not a colosseum-lite store"


def _inspect(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of an opened file (0: an empty database); refuse anything else."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot use {path} as a results database ({exc}); pass a new file name or a store "
                         "written by colosseum-lite") from None
    if check != "ok":
        raise StoreError(f"{path} is damaged (SQLite integrity check: {check}); restore it from a copy or "
                         "pass a new file name")
    if app_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise StoreError(f"{path} was written by a newer colosseum-lite (schema {version}, this one reads "
                             f"{SCHEMA_VERSION}); upgrade colosseum-lite or pass a new file name")
        return version
    if app_id == 0 and not tables:
        return 0
    legacy = app_id == 0 and tables == ["episodes", "runs"] and "policy" in {
        r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    if legacy:
        return 1
    raise StoreError(f"{path} is not a colosseum-lite results database ({_describe_foreign(tables)}); "
                     "pass a new file name such as results.sqlite")


def check_db(path: str | Path) -> None:
    """Check that ``path`` can hold a store without creating or writing anything.

    Raises:
        StoreError: an unusable path, a directory, or an existing file that is not a valid store.
    """
    path = Path(path)
    if _existing(path):
        conn = _connect(path, readonly=True)
        try:
            _inspect(conn, path)
        finally:
            conn.close()
        return
    try:
        check_creatable_dir(path.parent, "database")
    except ValueError as exc:
        raise StoreError(str(exc)) from None


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            # With no writer about (no -wal, no -shm), "immutable" reads without creating either.
            idle = not any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
            uri = f"file:{urllib.parse.quote(os.fspath(path.resolve()))}?mode=ro{'&immutable=1' if idle else ''}"
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        else:
            conn = sqlite3.connect(os.fspath(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open {path} as a results database ({exc}); check that its folder exists, is "
                         "writable and has free space, or pass another path") from None
    return conn


class Store:
    """An SQLite file of runs and episodes.

    Args:
        path: the file; created (with its folder) unless ``readonly``.
        readonly: open without writing anything (reports on read-only media).

    Raises:
        StoreError: when the file cannot be opened, is damaged or is not a colosseum-lite store.
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        exists = _existing(self.path)
        if readonly and not exists:
            raise StoreError(f"results database {self.path} does not exist")
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot use {self.path} as a results database ({exc.strerror or exc}); "
                             "pass another path") from None
        self.readonly = readonly
        self.conn = _connect(self.path, readonly)
        try:
            self.schema = _inspect(self.conn, self.path)
            if not readonly:
                self._initialise()
        except BaseException:
            self.conn.close()
            raise

    def _journal(self) -> None:
        """WAL mode; switching needs the file alone, and SQLite does not wait for that itself."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _initialise(self) -> None:
        """WAL mode, the schema (or the migration of a 0.1.0 store), the file's identity."""
        try:
            self._journal()
            self.conn.execute("PRAGMA synchronous=NORMAL")
            if self.schema == SCHEMA_VERSION:
                return
            self.conn.execute("BEGIN IMMEDIATE")
            schema = _inspect(self.conn, self.path)  # another process may have done it meanwhile
            if schema == 1:
                self.conn.execute("ALTER TABLE episodes ADD COLUMN status TEXT NOT NULL DEFAULT 'ok'")
                self.conn.execute("UPDATE episodes SET status = CASE WHEN error LIKE 'WorkerDied%' "
                                  "THEN 'infra_error' ELSE 'policy_error' END WHERE error IS NOT NULL")
            if schema < SCHEMA_VERSION:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
            self.schema = SCHEMA_VERSION
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"cannot write to {self.path} ({exc}); free some space or pass another path") \
                from None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------------------------- runs
    def run_config(self, run: str) -> dict[str, Any] | None:
        """The stored configuration of a run, or None when there is no such run."""
        if self.schema == 0:
            return None
        row = self.conn.execute("SELECT config FROM runs WHERE run = ?", (run,)).fetchone()
        return None if row is None else json.loads(row[0])

    def start_run(self, run: str, config: Mapping[str, Any]) -> tuple[str, list[str]]:
        """Record a run's configuration, or check it against the stored one, atomically.

        ``config`` must hold ``policy`` and ``version``. An identical configuration resumes; one
        that only adds tasks, sets or episodes extends the run (its stored configuration grows).

        Returns:
            ``("new", [])``, ``("same", [])`` or ``("extends", changed fields)``.

        Raises:
            StoreError: the run exists with another configuration; the message names the fields.
        """
        config = dict(config)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                stored = self.run_config(run)
                if stored is None:
                    self.conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                                      (run, str(config["policy"]), str(config["version"]),
                                       json.dumps(config, sort_keys=True), now_iso()))
                    outcome: tuple[str, list[str]] = ("new", [])
                else:
                    outcome = config_difference(stored, config)
                    if outcome[0] == "differs":
                        raise StoreError(refusal(run, self.path, stored, config, outcome[1]))
                    if outcome[0] == "extends":
                        self.conn.execute("UPDATE runs SET config = ? WHERE run = ?",
                                          (json.dumps(config, sort_keys=True), run))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record run {run!r} in {self.path} ({exc}); free some space or pass "
                             "another --db") from None
        return outcome

    def runs(self) -> list[str]:
        """Run names, oldest first."""
        if self.schema == 0:
            return []
        return [r[0] for r in self.conn.execute("SELECT run FROM runs ORDER BY created_at, run")]

    def run_info(self, run: str) -> tuple[str, str, dict[str, Any], str] | None:
        """``(policy, version, config, created_at)`` of a run."""
        row = self.conn.execute("SELECT policy, version, config, created_at FROM runs WHERE run = ?",
                                (run,)).fetchone()
        return None if row is None else (row[0], row[1], json.loads(row[2]), row[3])

    # ------------------------------------------------------------------------------ episodes
    def done(self, run: str) -> set[tuple[str, str, int]]:
        """Keys of the episodes a run has finished for good (timeouts and infra errors are retried)."""
        if self.schema == 0:
            return set()
        retried = tuple(s.value for s in RETRIED)
        cur = self.conn.execute(
            f"SELECT task, set_name, episode FROM episodes WHERE run = ? AND status NOT IN "
            f"({', '.join('?' * len(retried))})", (run, *retried))
        return {(t, s, int(e)) for t, s, e in cur}

    def add(self, row: EpisodeRow) -> bool:
        """Write one episode durably; returns False when it was already there for good.

        A stored timeout or infrastructure error is replaced by the new row.

        Raises:
            StoreError: the write failed (a full disk, a read-only file); rows written so far stay.
        """
        values = [getattr(row, f.name) for f in fields(EpisodeRow)]
        values[_COLUMNS.index("success")] = int(row.success)
        values[_COLUMNS.index("status")] = row.status.value
        retried = ", ".join(f"'{s.value}'" for s in sorted(RETRIED, key=lambda s: s.value))
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS)
        try:
            cur = self.conn.execute(
                f"INSERT INTO episodes ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
                f"ON CONFLICT (run, task, set_name, episode) DO UPDATE SET {updates} "
                f"WHERE episodes.status IN ({retried})",
                values,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path} ({exc}); every episode finished before this one is "
                             "stored: free some space (or move the file) and rerun the same command to resume") \
                from None
        return cur.rowcount == 1

    def rows(self, run: str | None = None) -> list[EpisodeRow]:
        """Every stored episode (of one run), ordered by task, set and episode."""
        if self.schema == 0:
            return []
        status = "status" if self.schema >= 2 else (
            "CASE WHEN error IS NULL THEN 'ok' WHEN error LIKE 'WorkerDied%' THEN 'infra_error' "
            "ELSE 'policy_error' END")
        columns = [status if c == "status" else c for c in _COLUMNS]
        sql = f"SELECT {', '.join(columns)} FROM episodes"
        args: tuple = ()
        if run is not None:
            sql += " WHERE run = ?"
            args = (run,)
        sql += " ORDER BY run, task, set_name, episode"
        # The SELECT lists _COLUMNS, one per field; mypy has each *slice fill every remaining field.
        return [EpisodeRow(*r[:8], bool(r[8]), *r[9:14], Status(r[14]))  # type: ignore[call-arg]
                for r in self.conn.execute(sql, args)]


def refusal(run: str, path: Path, stored: Mapping[str, Any], new: Mapping[str, Any], names: list[str]) -> str:
    """Why a run cannot resume with a new configuration, and the fix."""
    what = describe_difference(stored, new, names)
    return (f"run {run!r} in {path} was made with another configuration ({what}); a run holds one "
            "configuration's episodes: pass --run NEW_NAME (run=...) to start a new run, or repeat the stored "
            "settings to resume it")
