"""The runner: paired plans, crash-safe resume, failing policies and dying workers, Ray = local."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from colosseum_lite.eval.runner import evaluate, plan, prepare, sets_for
from colosseum_lite.eval.store import EpisodeRow, Status, Store
from tests.helpers import SCRIPTED_POLICIES, count_rows

ROOT = Path(__file__).parents[2]



def test_plan_pairs_seeds_across_sets():
    items = plan(["slide_block_to_target"], ["mo_color", "all"], episodes=3, seed=10)
    by_set: dict[str, list[tuple[int, int]]] = {}
    for it in items:
        by_set.setdefault(it.set_name, []).append((it.episode, it.seed))
    assert set(by_set) == {"no_perturbation", "mo_color", "all"}
    assert all(v == [(0, 10), (1, 11), (2, 12)] for v in by_set.values())


def test_sets_are_restricted_to_the_axes_that_apply():
    assert sets_for("open_drawer", ["ro_color", "mo_color", "all"]) == ["no_perturbation", "mo_color", "all"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": "close_bx"}, "unknown task(s) ['close_bx']"),
        ({"sets": "mo_colour"}, "unknown set(s) ['mo_colour']"),
        ({"policy": "orcale"}, "unknown policy 'orcale'"),
        ({"episodes": 0}, "episodes must be in [1, 10000], got 0"),
        ({"backend": "dask"}, "unknown backend 'dask'"),
        ({"overrides": {"mo_size": {"range": [1.2, 0.8]}}, "sets": "mo_size"}, "low <= high"),
        ({"overrides": {"mo_sise": {"severity": 0.5}}}, "overrides for unknown axis ['mo_sise']"),
        ({"control_mode": "ee_delta"}, "the oracle plays keyframes"),
        ({"policy": "idle"}, "policy 'idle' needs ee_delta: use control_mode='ee_delta'"),
        ({"workers": 0}, "workers must be in [1, "),
    ],
)
def test_bad_sweeps_fail_before_any_work(tmp_path, kwargs, message):
    args = {"policy": "oracle", "tasks": "close_box", "db": str(tmp_path / "r.sqlite"), **kwargs}
    with pytest.raises(ValueError) as err:
        prepare(**args)
    assert message in str(err.value)


def test_the_default_is_the_protocol_observation_on_held_out_seeds(tmp_path):
    sweep = prepare("oracle", tasks="close_box", sets="no_perturbation", episodes=3, db=str(tmp_path / "r.sqlite"))
    config = sweep.run_config
    assert (config["obs_mode"], config["image_size"], config["seed"]) == ("rgb", 128, 1000)
    assert [it.seed for it in sweep.items] == [1000, 1001, 1002]  # tests check the oracle on seeds 0-49


def test_unreadable_db_is_refused(tmp_path):
    bad = tmp_path / "not_a_db.sqlite"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(ValueError, match="cannot use .* as a results database"):
        prepare("oracle", tasks="close_box", db=str(bad))
    with pytest.raises(ValueError, match="is a directory"):
        prepare("oracle", tasks="close_box", db=str(tmp_path))


def test_store_keeps_each_episode_once_and_several_runs(tmp_path):
    row = EpisodeRow("a", "oracle", "0", "close_box", "no_perturbation", 0, 0, "{}", True, 3, 1.0, 0.1, None, "t")
    with Store(tmp_path / "s.sqlite") as store:
        assert store.start_run("a", {"policy": "oracle", "version": "0"}) == ("new", [])
        store.start_run("b", {"policy": "random", "version": "0"})
        assert store.add(row) and not store.add(row)
        assert store.rows("a") == [row]
        assert store.runs() == ["a", "b"] and store.rows("b") == []
        with pytest.raises(ValueError, match=r"another configuration \(policy: \"oracle\" -> \"random\"\)"):
            store.start_run("a", {"policy": "random", "version": "0"})


def test_failing_policies_fail_their_episode_and_the_sweep_goes_on(tmp_path):
    path = SCRIPTED_POLICIES
    db = str(tmp_path / "r.sqlite")
    expected = {"raising": "boom from the policy", "nan": "non-finite action",
                "outside": "outside the action space", "dies": "WorkerDied"}
    statuses = {"raising": Status.POLICY_ERROR, "nan": Status.POLICY_ERROR, "outside": Status.POLICY_ERROR,
                "dies": Status.INFRA_ERROR}
    for factory, message in expected.items():
        result = evaluate(f"{path}:{factory}", tasks="close_box", sets="no_perturbation", episodes=3,
                          workers=2, db=db, run=factory, seed=0, obs_mode="state", control_mode="ee_delta",
                          progress=False, env_kwargs={"max_episode_steps": 3})  # they misbehave on seed 1
        assert len(result.rows) == 3, factory
        errors = {r.episode: r.error for r in result.rows}
        assert errors[0] is None and errors[2] is None, factory
        assert message in errors[1], (factory, errors[1])
        assert [r.status for r in result.rows] == [Status.OK, statuses[factory], Status.OK], factory
        assert [r.steps for r in result.rows if r.episode != 1] == [3, 3]


SWEEP_CMD = [sys.executable, "-m", "colosseum_lite.cli", "eval", "--policy", "oracle", "--tasks",
             "slide_block_to_target,close_box", "--sets", "mo_color,table_color", "--episodes", "5",
             "--workers", "2", "--seed", "0", "--obs-mode", "state", "--quiet", "--run", "crash"]


def test_resume_after_the_whole_sweep_is_killed(tmp_path):
    db = tmp_path / "crash.sqlite"
    cmd = [*SWEEP_CMD, "--db", str(db)]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while count_rows(db) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and every worker, mid-sweep
    proc.wait()
    partial = count_rows(db)
    assert 0 < partial < 30, "the sweep should have been killed midway"
    subprocess.run(cmd, cwd=str(ROOT), check=True, capture_output=True)
    with Store(db) as store:
        rows = store.rows("crash")
    keys = [r.key() for r in rows]
    assert len(keys) == len(set(keys)) == 30  # 2 tasks x 3 sets x 5 episodes, each exactly once
    assert all(r.error is None and r.status is Status.OK and r.success for r in rows)  # the checked seeds


@pytest.mark.slow
def test_ray_backend_gives_the_same_rows_as_local(tmp_path):
    pytest.importorskip("ray")
    common = {"policy": "oracle", "tasks": "slide_block_to_target,basketball_in_hoop", "sets": "mo_size,all",
              "episodes": 2, "obs_mode": "state", "progress": False}
    local = evaluate(**common, workers=2, db=str(tmp_path / "local.sqlite"))
    remote = evaluate(**common, backend="ray", db=str(tmp_path / "ray.sqlite"))
    import ray

    ray.shutdown()

    def essence(rows):
        return [(r.task, r.set_name, r.episode, r.seed, r.params, r.success, r.steps, r.return_, r.error)
                for r in rows]

    assert len(local.rows) == 10
    assert essence(local.rows) == essence(remote.rows)
