"""The backends: a hung or dying worker costs one episode, signals stop a sweep and leave no
process behind, and Ray gives the local backend's rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from colosseum_lite.eval.backends import START_ALLOWANCE_S, run_local, run_ray
from colosseum_lite.eval.plan import SweepConfig, plan
from colosseum_lite.eval.store import EpisodeRow, Status, Store
from tests.helpers import SCRIPTED_POLICIES, count_rows

ROOT = Path(__file__).parents[2]


FAST = {"max_episode_steps": 3}
TIMED_OUT = "Timeout: episode ran past the 3 s episode timeout; its worker was killed"


@pytest.fixture
def policies() -> Path:
    """The file of misbehaving policies (``tests/scripted_policies.py``)."""
    return SCRIPTED_POLICIES


def _config(policy: str) -> SweepConfig:
    return SweepConfig("t", policy, "0", "state", "ee_delta", {}, FAST)


def _run(backend, items, config, **kwargs) -> dict[int, EpisodeRow]:
    rows: list[EpisodeRow] = []
    backend(items, config, on_row=rows.append, **kwargs)
    assert len(rows) == len(items)
    return {r.episode: r for r in rows}


# ------------------------------------------------------------------------------ timeouts
@pytest.mark.parametrize(("factory", "workers"), [("sleeps", 1), ("hangs_in_c", 2)])
def test_a_hung_episode_times_out_and_the_sweep_goes_on(policies, factory, workers):
    items = plan(["close_box"], ["no_perturbation"], episodes=3, seed=0)
    start = time.monotonic()
    rows = _run(run_local, items, _config(f"{policies}:{factory}"), workers=workers, episode_timeout_s=3)
    assert time.monotonic() - start < 40
    assert (rows[1].status, rows[1].error) == (Status.TIMEOUT, TIMED_OUT)
    assert [(rows[e].status, rows[e].steps) for e in (0, 2)] == [(Status.OK, 3)] * 2


def test_worker_start_up_and_env_build_do_not_count_against_a_short_timeout(policies):
    assert START_ALLOWANCE_S > 1.5
    items = plan(["close_box", "slide_block_to_target"], ["no_perturbation"], episodes=2, seed=0)
    rows = _run(run_local, items, _config(f"{policies}:slow_to_build"), workers=2, episode_timeout_s=1)
    assert all(r.status is Status.OK and r.steps == 3 for r in rows.values()), rows


def test_the_cli_records_a_timeout_and_finishes(policies, tmp_path):
    db = tmp_path / "r.sqlite"
    cmd = [sys.executable, "-m", "colosseum_lite.cli", "eval", "--policy", f"{policies}:sleeps", "--tasks",
           "close_box", "--sets", "no_perturbation", "--episodes", "3", "--seed", "0", "--workers", "2",
           "--obs-mode", "state", "--control-mode", "ee_delta", "--episode-timeout", "3", "--db", str(db), "--run",
           "hang", "--quiet"]
    start = time.monotonic()
    done = subprocess.run(cmd, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert time.monotonic() - start < 40
    assert done.returncode == 0, done.stderr
    with Store(db) as store:
        rows = {r.episode: r for r in store.rows("hang")}
    assert {e: r.status for e, r in rows.items()} == {0: Status.OK, 1: Status.TIMEOUT, 2: Status.OK}
    assert rows[1].error == TIMED_OUT


# ------------------------------------------------------------------------------ signals
SWEEP = '''
import sys
from colosseum_lite.eval.runner import evaluate

try:
    evaluate(sys.argv[1], tasks="close_box", sets="no_perturbation", episodes=3, seed=0, workers=2, db=sys.argv[2],
             obs_mode="state", control_mode="ee_delta", env_kwargs={"max_episode_steps": 3}, episode_timeout=None,
             progress=False)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
'''


def _session(sid: int) -> list[str]:
    """Every process of session ``sid`` (pid, state and command line), zombies included."""
    out = subprocess.run(["ps", "-eo", "pid=,sid=,stat=,args="], capture_output=True, text=True,
                         check=True).stdout
    return [line.strip() for line in out.splitlines() if int(line.split()[1]) == sid]


@pytest.mark.parametrize(("sig", "to_group", "code"),
                         [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 130), (signal.SIGKILL, False, -9)],
                         ids=["ctrl-c", "sigterm", "sigkill"])
def test_a_signal_stops_a_hung_sweep_keeping_its_rows_and_no_process(policies, tmp_path, sig, to_group, code):
    db = tmp_path / "r.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", SWEEP, f"{policies}:sleeps", str(db)], cwd=str(ROOT),
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while count_rows(db) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert count_rows(db) == 2 and proc.poll() is None, "episodes 0 and 2 end, episode 1 hangs"
        time.sleep(0.2)
        assert len(_session(proc.pid)) >= 4  # the driver, two workers, the resource tracker
        (os.killpg if to_group else os.kill)(proc.pid, sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr, stderr
    assert count_rows(db) == 2
    deadline = time.monotonic() + 10
    while _session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session(proc.pid) == []


# ------------------------------------------------------------------------------ Ray
@pytest.mark.slow
def test_on_ray_a_dying_or_hung_worker_costs_one_episode(policies):
    ray = pytest.importorskip("ray")
    items = plan(["close_box"], ["no_perturbation"], episodes=4, seed=0)
    local = _run(run_local, items, _config(f"{policies}:dies"), workers=2)
    try:
        rows: list[EpisodeRow] = []
        run_ray(items, _config(f"{policies}:dies"), None, rows.append)
        hung: list[EpisodeRow] = []
        start = time.monotonic()
        run_ray(items[:3], _config(f"{policies}:sleeps"), None, hung.append, episode_timeout_s=3)
        hung_s = time.monotonic() - start
    finally:
        ray.shutdown()

    def essence(r: EpisodeRow) -> tuple:
        return r.task, r.set_name, r.episode, r.seed, r.params, r.success, r.steps, r.status

    assert sorted(map(essence, rows)) == sorted(map(essence, local.values()))
    died = [r for r in rows if r.status is not Status.OK]
    assert [(r.episode, r.status) for r in died] == [(1, Status.INFRA_ERROR)]
    assert "WorkerDied" in died[0].error
    assert sorted((r.episode, r.status, r.error) for r in hung) == [
        (0, Status.OK, None), (1, Status.TIMEOUT, TIMED_OUT), (2, Status.OK, None)]
    assert hung_s < 40
