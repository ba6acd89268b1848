"""The store: a run is its configuration, starting one is atomic, failures keep their kind, foreign,
damaged, read-only and full files end in clear errors with every finished row intact."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from colosseum_lite.eval.report import write_report
from colosseum_lite.eval.runner import evaluate, execute, prepare
from colosseum_lite.eval.store import (
    APPLICATION_ID,
    EpisodeRow,
    Status,
    Store,
    StoreError,
    config_difference,
)

ROOT = Path(__file__).parents[2]
TASK = "close_box"
BASE = {"policy": "random", "tasks": TASK, "sets": "mo_color", "episodes": 2, "seed": 0, "obs_mode": "state",
        "control_mode": "ee_delta", "env_kwargs": {"max_episode_steps": 2}}


def _row(run: str, episode: int, status: Status = Status.OK, success: bool = True) -> EpisodeRow:
    error = None if status is Status.OK else f"{status.value} here"
    return EpisodeRow(run, "random", "0", TASK, "no_perturbation", episode, episode, "{}", success, 2, 0.0, 0.1,
                      error, "t", status)


def _stored(tmp_path: Path, **changes) -> tuple[str, dict]:
    """A db holding run 'r' made with BASE (+ changes); returns (db, its configuration)."""
    db = str(tmp_path / "r.sqlite")
    sweep = prepare(**{**BASE, **changes}, db=db, run="r")
    with Store(db) as store:
        store.start_run("r", sweep.run_config)
    return db, sweep.run_config


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ a run is its configuration
@pytest.mark.parametrize(("change", "field"), [
    ({"policy": "oracle", "control_mode": "ee_keyframe"}, "policy"),
    ({"seed": 5}, "seed"),
    ({"obs_mode": "rgb"}, "obs_mode"),
    ({"control_mode": "ee_keyframe"}, "control_mode"),
    ({"overrides": {"mo_color": {"choices": ["red", "blue"]}}}, "overrides"),
    ({"env_kwargs": {"max_episode_steps": 3}}, "max_episode_steps"),
    ({"env_kwargs": {"max_episode_steps": 2, "image_size": 64}}, "image_size"),
    ({"env_kwargs": {"max_episode_steps": 2, "cameras": ["front"]}}, "cameras"),
    ({"episodes": 1}, "episodes"),
    ({"sets": "no_perturbation"}, "sets"),
    ({"tasks": "open_drawer"}, "tasks"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_resume_with_another_configuration_is_refused_naming_the_field(tmp_path, change, field):
    db, _ = _stored(tmp_path)
    with pytest.raises(StoreError, match=rf"{field}: .* -> .*--run NEW_NAME"):
        prepare(**{**BASE, **change}, db=db, run="r")


def test_a_run_never_holds_two_package_versions(tmp_path):
    db, config = _stored(tmp_path)
    with Store(db) as store:
        store.conn.execute("UPDATE runs SET config = json_set(config, '$.version', '0.0.9') WHERE run = 'r'")
    with pytest.raises(StoreError, match=r"version: \"0.0.9\" -> \"0.1.0\""):
        prepare(**BASE, db=db, run="r")
    with Store(db) as store, pytest.raises(StoreError, match="version"):
        store.start_run("r", config)


def test_a_new_checkpoint_at_the_same_path_is_another_run(tmp_path):
    policy = tmp_path / "policy.py"
    policy.write_text("from colosseum_lite.policies.random_policy import RandomPolicy as make\n")
    db, _ = _stored(tmp_path, policy=f"{policy}:make")
    prepare(**{**BASE, "policy": f"{policy}:make"}, db=db, run="r")  # the same file resumes
    policy.write_text("from colosseum_lite.policies.random_policy import RandomPolicy as make  # v2\n")
    with pytest.raises(StoreError, match="policy_sha256"):
        prepare(**{**BASE, "policy": f"{policy}:make"}, db=db, run="r")


def test_identical_configuration_resumes_and_a_superset_extends(tmp_path):
    db, config = _stored(tmp_path)
    assert prepare(**BASE, db=db, run="r").notes == ()
    grown = prepare(**{**BASE, "sets": "mo_color,all", "episodes": 3, "tasks": f"{TASK},open_drawer"},
                    db=db, run="r")
    assert any("grows" in n and "episodes: 2 -> 3" in n and "sets" in n and "tasks" in n for n in grown.notes)
    with Store(db) as store:
        assert store.start_run("r", grown.run_config) == ("extends", ["episodes", "max_episode_steps", "sets",
                                                                      "tasks"])
        assert store.run_config("r") == grown.run_config
        assert store.start_run("r", grown.run_config) == ("same", [])
    # once grown, the smaller configuration is a subset: refused
    with pytest.raises(StoreError, match="episodes: 3 -> 2"):
        prepare(**BASE, db=db, run="r")


def test_config_difference():
    old = {"tasks": ["a"], "sets": ["x"], "episodes": 2, "seed": 0}
    assert config_difference(old, dict(old)) == ("same", [])
    assert config_difference(old, {**old, "tasks": ["a", "b"]}) == ("extends", ["tasks"])
    assert config_difference(old, {**old, "tasks": ["b"]}) == ("differs", ["tasks"])
    assert config_difference(old, {**old, "episodes": 3, "seed": 1}) == ("differs", ["seed"])


def test_duplicate_names_run_once(tmp_path):
    sweep = prepare(**{**BASE, "tasks": f"{TASK}, {TASK}", "sets": ["mo_color", "mo_color", "mo_color"]},
                    db=str(tmp_path / "r.sqlite"))
    keys = [it.key() for it in sweep.items]
    assert len(keys) == len(set(keys)) == 4  # no_perturbation + mo_color, 2 episodes
    assert sweep.run_config["tasks"] == [TASK] and sweep.run_config["sets"] == ["mo_color"]


@pytest.mark.parametrize(("change", "message"), [
    ({"episodes": 2_000_000_000}, "episodes must be in"),
    ({"episodes": 2.5}, "episodes must be an integer"),
    ({"episodes": True}, "episodes must be an integer"),
    ({"seed": -1}, "seed must be in"),
    ({"run": "bad\udcffname"}, "not valid UTF-8"),
    ({"run": "x" * 5000}, "at most 200"),
    ({"run": "tab\tname"}, "printable"),
    ({"db": "d" * 5000}, "too long"),
    ({"db": "a\x00b"}, "NUL"),
    ({"episode_timeout": 0}, "episode_timeout"),
    ({"episode_timeout": float("inf")}, "episode_timeout"),
    ({"overrides": {"mo_color": {"choices": ["red"]}}, "env_kwargs": {"x": object()}}, "plain data"),
    ({"env_kwargs": {"obs_mode": "rgb"}}, "sweep's own settings"),
    ({"tasks": 3}, r"task\(s\) must be"),
])
def test_bad_arguments_are_refused_and_nothing_is_created(tmp_path, change, message):
    before = _listing(tmp_path)
    args = {**BASE, "db": str(tmp_path / "sub" / "r.sqlite"), **change}
    with pytest.raises(ValueError, match=message):
        prepare(**args)
    assert _listing(tmp_path) == before


def test_prepare_writes_nothing_and_caps_workers(tmp_path):
    sweep = prepare(**{**BASE, "workers": 1000}, db=str(tmp_path / "sub" / "r.sqlite"))
    assert _listing(tmp_path) == []
    assert sweep.workers == 4 and any("capped at 4" in n for n in sweep.notes)


# ------------------------------------------------------------------------------ atomic starts
def _start(db: str, config: dict, barrier, results) -> None:
    barrier.wait()
    try:
        with Store(db) as store:
            results.put(store.start_run("r", config)[0])
    except StoreError as exc:
        results.put("refused" if "another configuration" in str(exc) else f"error: {exc}")
    except BaseException as exc:  # noqa: BLE001 - the test reports any other failure
        results.put(f"crash: {type(exc).__name__}: {exc}")


def test_concurrent_starts_never_mix_configurations(tmp_path):
    ctx = mp.get_context("fork")
    outcomes = []
    for trial in range(50):
        db = str(tmp_path / f"race{trial}.sqlite")  # a new file: schema creation races too
        configs = [{"policy": "oracle", "version": "0", "seed": 0},
                   {"policy": "random" if trial % 2 else "oracle", "version": "0", "seed": trial % 3}]
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_start, args=(db, c, barrier, results)) for c in configs]
        for p in procs:
            p.start()
        got = sorted(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join()
        same = configs[0] == configs[1]
        assert got == (["new", "same"] if same else ["new", "refused"]), (trial, got)
        with Store(db) as store:
            assert store.runs() == ["r"]
            assert store.run_config("r") in configs
        outcomes.append(got)
    assert len(outcomes) == 50


def _sweep_in_subprocess(db: Path, seed: int = 0) -> subprocess.Popen:
    code = ("from colosseum_lite.eval.runner import evaluate; "
            f"evaluate('random', tasks='{TASK}', sets='no_perturbation', episodes=6, workers=1, db={str(db)!r}, "
            f"run='twin', seed={seed}, obs_mode='state', control_mode='ee_delta', "
            "env_kwargs={'max_episode_steps': 2}, progress=False)")
    return subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_identical_sweeps_on_one_run_both_finish_with_every_episode_once(tmp_path):
    db = tmp_path / "twin.sqlite"
    procs = [_sweep_in_subprocess(db) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with Store(db) as store:
        keys = [r.key() for r in store.rows("twin")]
    assert len(keys) == len(set(keys)) == 6


def test_two_sweeps_racing_with_different_configurations_never_share_a_run(tmp_path):
    for trial in range(3):
        db = tmp_path / f"race{trial}.sqlite"
        procs = [_sweep_in_subprocess(db, seed) for seed in (0, 100)]
        outcomes = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        assert sorted(code for code, _ in outcomes) == [0, 1], outcomes
        refused = next(err for code, err in outcomes if code == 1)
        assert "StoreError" in refused and "seed: " in refused and "--run NEW_NAME" in refused
        with Store(db) as store:
            rows, config = store.rows("twin"), store.run_config("twin")
        assert len(rows) == 6 and {r.seed for r in rows} == {config["seed"] + i for i in range(6)}


# ------------------------------------------------------------------------------ statuses
def test_timeouts_and_infra_errors_are_retried_policy_errors_are_not(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.start_run("r", {"policy": "random", "version": "0"})
        for i, status in enumerate(Status):
            assert store.add(_row("r", i, status, success=False))
        assert store.done("r") == {(TASK, "no_perturbation", 0), (TASK, "no_perturbation", 1)}
        for i, _ in enumerate(Status):  # a rerun writes every episode again
            store.add(_row("r", i, Status.OK))
        rows = store.rows("r")
    assert [r.status for r in rows] == [Status.OK, Status.POLICY_ERROR, Status.OK, Status.OK]
    assert [r.success for r in rows] == [False, False, True, True]


def test_infrastructure_failures_are_left_out_of_success_rates(tmp_path):
    db = tmp_path / "s.sqlite"
    with Store(db) as store:
        store.start_run("r", {"policy": "random", "version": "0", "episodes": 4, "seed": 0})
        store.add(_row("r", 0, Status.OK, success=True))
        store.add(_row("r", 1, Status.POLICY_ERROR, success=False))
        store.add(_row("r", 2, Status.TIMEOUT, success=False))
        store.add(_row("r", 3, Status.INFRA_ERROR, success=False))
    html = write_report(db, tmp_path / "rep", frames=False).read_text()
    summary = (tmp_path / "rep" / "summary.csv").read_text()
    assert f"r,task_set,{TASK},no_perturbation,2,1," in summary  # 1 of the 2 counted episodes
    assert "1 policy_error, 1 timeout, 1 infra_error" in html


# ------------------------------------------------------------------------------ files that are not ours
def test_foreign_sqlite_files_are_refused_untouched(tmp_path):
    foreign = tmp_path / "app.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users VALUES (1, 'ada')")
    conn.close()
    before, listing = _digest(foreign), _listing(tmp_path)
    with pytest.raises(StoreError, match=r"not a colosseum-lite results database \(it holds other tables \(users"):
        prepare(**BASE, db=str(foreign))
    with pytest.raises(StoreError, match="not a colosseum-lite"):
        Store(foreign)
    with pytest.raises(ValueError, match="not a colosseum-lite"):
        write_report(foreign, tmp_path / "rep")
    assert _digest(foreign) == before and _listing(tmp_path) == listing


def test_damaged_stores_are_refused_untouched(tmp_path):
    db = tmp_path / "s.sqlite"
    with Store(db) as store:
        store.start_run("r", {"policy": "random", "version": "0"})
        for i in range(400):
            store.add(replace(_row("r", i), error="x" * 200))
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    data[5 * 4096:5 * 4096 + 512] = os.urandom(512)  # a page in the middle of the episodes table
    db.write_bytes(bytes(data))
    before, listing = _digest(db), _listing(tmp_path)
    with pytest.raises(StoreError, match="damaged|malformed|cannot use"):
        Store(db)
    with pytest.raises(StoreError, match="damaged|malformed|cannot use"):
        prepare(**BASE, db=str(db))
    assert _digest(db) == before and _listing(tmp_path) == listing
    garbage = tmp_path / "junk.sqlite"
    garbage.write_bytes(b"not sqlite at all " * 300)
    with pytest.raises(StoreError, match="cannot use"):
        Store(garbage)


def test_stores_of_the_first_release_are_read_and_migrated(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript("""
            CREATE TABLE runs (run TEXT PRIMARY KEY, policy TEXT NOT NULL, version TEXT NOT NULL,
                               config TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE episodes (run TEXT NOT NULL, policy TEXT NOT NULL, version TEXT NOT NULL,
                task TEXT NOT NULL, set_name TEXT NOT NULL, episode INTEGER NOT NULL, seed INTEGER NOT NULL,
                params TEXT NOT NULL, success INTEGER NOT NULL, steps INTEGER NOT NULL, return REAL NOT NULL,
                wall_s REAL NOT NULL, error TEXT, finished_at TEXT NOT NULL,
                PRIMARY KEY (run, task, set_name, episode));
            INSERT INTO runs VALUES ('old', 'random', '0.1.0', '{}', 't');
            INSERT INTO episodes VALUES ('old', 'random', '0.1.0', 'close_box', 'no_perturbation', 0, 0, '{}',
                                         1, 3, 1.0, 0.1, NULL, 't');
            INSERT INTO episodes VALUES ('old', 'random', '0.1.0', 'close_box', 'no_perturbation', 1, 1, '{}',
                                         0, 0, 0.0, 0.0, 'WorkerDied: worker exited', 't');
        """)
    conn.close()
    with Store(db, readonly=True) as store:
        assert [r.status for r in store.rows("old")] == [Status.OK, Status.INFRA_ERROR]
    with Store(db) as store:
        assert [r.status for r in store.rows("old")] == [Status.OK, Status.INFRA_ERROR]
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


# ------------------------------------------------------------------------------ read-only and full disks
@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs of our own (root only), unmounted afterwards."""
    mount = tmp_path / f"fs{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(mount: Path, leave_bytes: int) -> None:
    """Fill a file system until only about ``leave_bytes`` remain."""
    free = shutil.disk_usage(mount).free
    with (mount / "filler").open("wb") as f:
        f.write(b"\0" * max(0, free - leave_bytes))


def test_reports_work_on_a_read_only_store(tmpfs, tmp_path):
    db = tmpfs / "r.sqlite"
    evaluate("random", tasks=TASK, sets="no_perturbation", episodes=2, workers=1, db=str(db), obs_mode="state",
             control_mode="ee_delta", env_kwargs={"max_episode_steps": 2}, progress=False)
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)]).returncode == 0
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "colosseum_lite.cli", "report", str(db), "--out", str(out),
                           "--no-frames"], cwd=str(ROOT), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").is_file() and (out / "summary.csv").is_file()
    assert sorted(p.name for p in tmpfs.iterdir()) == ["r.sqlite"]


def test_a_full_disk_stops_the_sweep_with_every_finished_row_intact(tmpfs, tmp_path):
    db = tmpfs / "r.sqlite"
    sweep = prepare("random", tasks=TASK, sets="no_perturbation", episodes=60, workers=1, db=str(db),
                    obs_mode="state", control_mode="ee_delta", env_kwargs={"max_episode_steps": 1})
    with Store(db) as store:
        store.start_run(sweep.config.run, sweep.run_config)
    _fill(tmpfs, 48 * 1024)
    with pytest.raises(StoreError, match="free some space .* rerun the same command to resume"):
        execute(sweep, progress=False)
    (tmpfs / "filler").unlink()
    saved = tmp_path / "saved.sqlite"
    with Store(db, readonly=True) as store:
        written = store.rows(sweep.config.run)
    assert 0 < len(written) < 60
    assert len({r.key() for r in written}) == len(written) and all(r.status is Status.OK for r in written)
    shutil.copy(db, saved)
    result = execute(replace(sweep, db=str(saved)), progress=False)  # resume on a bigger disk
    assert len(result.rows) == 60 and len({r.key() for r in result.rows}) == 60
    assert result.ran == 60 - len(written)


def test_a_full_disk_is_one_line_and_exit_2_from_the_cli(tmpfs):
    db = tmpfs / "r.sqlite"
    Store(db).close()
    _fill(tmpfs, 48 * 1024)
    done = subprocess.run([sys.executable, "-m", "colosseum_lite.cli", "eval", "--policy", "oracle", "--tasks",
                           TASK, "--episodes", "300", "--workers", "1", "--obs-mode", "state", "--db", str(db),
                           "--quiet"],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and "free some space" in lines[0], done.stderr


def test_an_override_no_set_uses_is_refused(tmp_path):
    db = str(tmp_path / "r.sqlite")
    with pytest.raises(ValueError, match=r"overrides for \['mo_size'\], but no requested set uses them"):
        prepare(**{**BASE, "sets": "mo_color", "overrides": {"mo_size": {"range": [0, 1]}}}, db=db)
    # used by 'all': checked, and a scale of 0 is refused
    with pytest.raises(ValueError, match=r"mo_size range must lie within \[0.25, 4.0\]"):
        prepare(**{**BASE, "sets": "all", "overrides": {"mo_size": {"range": [0, 1]}}}, db=db)
    with pytest.raises(ValueError, match=r"overrides for \['object_mass'\], which apply to none of the tasks"):
        prepare(**{**BASE, "sets": "all", "overrides": {"object_mass": {"ranges": {"lid": [1, 2]}}}}, db=db)


def test_a_report_onto_a_full_disk_is_one_line_and_exit_2(tmpfs, tmp_path):
    db = tmp_path / "r.sqlite"
    evaluate("random", tasks=TASK, sets="no_perturbation", episodes=2, workers=1, db=str(db), obs_mode="state",
             control_mode="ee_delta", env_kwargs={"max_episode_steps": 2}, progress=False)
    before = _digest(db)
    _fill(tmpfs, 4 * 1024)
    done = subprocess.run([sys.executable, "-m", "colosseum_lite.cli", "report", str(db), "--out",
                           str(tmpfs / "report"), "--no-frames"], cwd=str(ROOT), capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in done.stderr
    assert _digest(db) == before
