"""The runner and the policy: built once per worker and checked once in the driver, bound to the
right env, stopped early when it fails alike every time, batched episodes equal to unbatched ones."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import gymnasium as gym
import pytest

from colosseum_lite.eval.backends import Lane, WorkQueue, run_local
from colosseum_lite.eval.plan import SweepConfig, plan
from colosseum_lite.eval.runner import FAIL_FAST_EPISODES, PolicyFailing, evaluate, prepare
from colosseum_lite.eval.store import Status, Store
from colosseum_lite.eval.worker import EnvCache, error_row, run_item, run_items
from colosseum_lite.policies.base import Binding, binding
from tests.helpers import SCRIPTED_POLICIES, count_rows

ROOT = Path(__file__).parents[2]
FAST = {"max_episode_steps": 3}
STATE = {"obs_mode": "state", "control_mode": "ee_delta", "env_kwargs": FAST, "progress": False, "seed": 0}


def essence(rows) -> list[tuple]:
    """What an episode's row says, without its timing."""
    return sorted((r.task, r.set_name, r.episode, r.seed, r.params, r.success, r.steps, r.return_, r.status,
                   r.error) for r in rows)


# ------------------------------------------------------------------------------ one policy per worker
def test_the_factory_runs_once_per_worker_over_several_tasks_and_sets(tmp_path, monkeypatch):
    calls, resets = tmp_path / "calls.txt", tmp_path / "resets.txt"
    monkeypatch.setenv("COLOSSEUM_TEST_COUNT", str(calls))
    monkeypatch.setenv("COLOSSEUM_TEST_RESETS", str(resets))
    result = evaluate(f"{SCRIPTED_POLICIES}:counted", tasks="close_box,slide_block_to_target",
                      sets="mo_color,table_color", episodes=2, workers=2, db=str(tmp_path / "r.sqlite"), **STATE)
    assert len(result.rows) == 12 and all(r.status is Status.OK for r in result.rows)
    per_process = Counter(calls.read_text().split())
    assert set(per_process.values()) == {1}, per_process  # the driver's probe, then once per worker
    assert len(per_process) == 3
    # the one instance learns each episode's task from the reset info
    assert sorted(resets.read_text().splitlines()) == sorted(f"{r.task} {r.seed}" for r in result.rows)


class _HoldsEnv:
    """A policy that keeps its env without bind: the runner must build one per env."""

    def __init__(self, env: gym.Env) -> None:
        self.env, self.space = env.unwrapped, env.action_space

    def reset(self, seed=None):
        assert self.env.episode_count > 0

    def act(self, obs):
        return self.space.sample() * 0.0


class _HoldsSim:
    """Keeps a part of its env (the simulator facade) and its action space."""

    def __init__(self, env: gym.Env) -> None:
        self.sim, self.space = env.unwrapped.sim, env.action_space


class _HoldsSpace:
    def __init__(self, env: gym.Env) -> None:
        self.space, self.shape, self.name = env.action_space, env.action_space.shape, "x"


def test_what_a_policy_keeps_of_its_env_decides_its_binding():
    env = gym.make("ColosseumLite/CloseBox-v0", obs_mode="state")
    try:
        assert binding(_HoldsSim(env), env) is Binding.REBUILD
        assert binding(_HoldsEnv(env), env) is Binding.REBUILD
        assert binding(_HoldsSpace(env), env) is Binding.SHARED
    finally:
        env.close()


def test_env_bound_policies_act_in_the_env_of_their_episode(monkeypatch):
    config = SweepConfig("t", "oracle", "0", "state", "ee_keyframe", {}, {})
    cache = EnvCache(config)
    try:
        items = plan(["slide_block_to_target", "close_box"], ["no_perturbation", "table_color"], 1, seed=0)
        rows = [run_item(cache, it) for it in items]
        assert all(r.status is Status.OK and r.success for r in rows), [r.error for r in rows]
        assert cache.factory_calls == 1  # the oracle binds to each env
        env = cache.envs("close_box", "no_perturbation")[0]
        assert cache.policy(env).env is env.unwrapped
    finally:
        cache.close()
    monkeypatch.setattr("colosseum_lite.eval.worker.load_policy", lambda spec, env, device: _HoldsEnv(env))
    cache = EnvCache(SweepConfig("t", "holds", "0", "state", "ee_delta", {}, FAST))
    try:
        rows = [run_item(cache, it) for it in plan(["close_box"], ["no_perturbation", "mo_color"], 2, seed=0)]
        assert [r.status for r in rows] == [Status.OK] * 4 and cache.factory_calls == 2
        env = cache.envs("close_box", "mo_color")[0]
        assert binding(cache.policy(env), env) is Binding.REBUILD and cache.policy(env).env is env.unwrapped
    finally:
        cache.close()


# ------------------------------------------------------------------------------ checked before the sweep
@pytest.mark.parametrize(("body", "message"), [
    ("raise RuntimeError('no GPU in this factory')", "raised RuntimeError: no GPU in this factory"),
    ("return object()", "lacks callable reset(seed, info=None) and act(obs)"),
])
def test_a_policy_that_cannot_be_built_fails_in_the_driver(tmp_path, body, message):
    path = tmp_path / "bad_policy.py"
    path.write_text(f"def make(env):\n    {body}\n")
    db = tmp_path / "r.sqlite"
    with pytest.raises(ValueError, match=re.escape(message)):
        prepare(f"{path}:make", tasks="close_box", db=str(db), obs_mode="state", control_mode="ee_delta")
    assert not db.exists()


MISSING_GUARD = """
from colosseum_lite.eval.runner import evaluate

evaluate({policy!r}, tasks="close_box", sets="no_perturbation", episodes=2, seed=0, workers=2, db={db!r},
         obs_mode="state", control_mode="ee_delta", env_kwargs={{"max_episode_steps": 2}}, progress=False)
print("finished")
"""


def _python(script: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script)], cwd=str(ROOT), capture_output=True, text=True,
                          timeout=120)


def test_a_script_without_a_main_guard_is_told_the_fix(tmp_path):
    script = tmp_path / "sweep.py"
    db = tmp_path / "r.sqlite"
    script.write_text(MISSING_GUARD.format(policy=f"{SCRIPTED_POLICIES}:still", db=str(db)))
    start = time.monotonic()
    done = _python(script)
    assert time.monotonic() - start < 60
    assert done.returncode == 1 and "finished" not in done.stdout
    assert "RuntimeError: evaluate() ran again inside a worker process" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr and str(script) in done.stderr
    assert count_rows(db) == 0
    guarded = tmp_path / "guarded.py"
    body = textwrap.indent(MISSING_GUARD.format(policy=f"{SCRIPTED_POLICIES}:still", db=str(db)), "    ")
    guarded.write_text(f"if __name__ == '__main__':\n{body}")
    done = _python(guarded)
    assert done.returncode == 0 and "finished" in done.stdout, done.stderr
    assert count_rows(db) == 2


# ------------------------------------------------------------------------------ fail fast
def test_a_policy_failing_alike_on_the_first_episodes_stops_the_sweep(tmp_path):
    db = str(tmp_path / "r.sqlite")
    policy = f"{SCRIPTED_POLICIES}:always_raises"
    with pytest.raises(PolicyFailing, match=r"first 5 episodes .* same policy error.*RuntimeError: the policy "
                                            r"always fails.*keep_going=True \(--keep-going\)"):
        evaluate(policy, tasks="close_box", sets="no_perturbation", episodes=12, workers=1, db=db, **STATE)
    with Store(db) as store:
        rows = store.rows(policy)
    assert len(rows) == FAIL_FAST_EPISODES and all(r.status is Status.POLICY_ERROR for r in rows)
    result = evaluate(policy, tasks="close_box", sets="no_perturbation", episodes=12, workers=1, db=db,
                      keep_going=True, **STATE)
    assert result.ran == 12 - FAIL_FAST_EPISODES and len(result.rows) == 12
    assert {r.status for r in result.rows} == {Status.POLICY_ERROR}


# ------------------------------------------------------------------------------ named sets
def test_a_named_set_must_apply_to_some_task(tmp_path):
    db = str(tmp_path / "r.sqlite")
    with pytest.raises(ValueError, match=r"set 'mo_texture' applies to none of the tasks \['open_drawer'\]; it "
                                         r"applies to \[.*'close_box'.*\]"):
        prepare("oracle", tasks="open_drawer", sets="mo_texture", db=db)
    sweep = prepare("oracle", tasks="open_drawer,close_box", sets="mo_texture", episodes=1, db=db)
    assert "set 'mo_texture' runs on ['close_box'] only: it does not apply to ['open_drawer']" in sweep.notes
    assert sorted({(it.task, it.set_name) for it in sweep.items}) == [
        ("close_box", "mo_texture"), ("close_box", "no_perturbation"), ("open_drawer", "no_perturbation")]
    assert not any("mo_texture" in n for n in prepare("oracle", tasks="open_drawer,close_box", db=db).notes)


# ------------------------------------------------------------------------------ batches
def test_batched_rows_equal_unbatched_rows(tmp_path, monkeypatch):
    sizes = tmp_path / "sizes.txt"
    monkeypatch.setenv("COLOSSEUM_TEST_BATCHES", str(sizes))
    common = {"tasks": "close_box", "sets": "mo_color", "episodes": 4, "workers": 1,
              **STATE, "env_kwargs": {**FAST, "reward_mode": "dense"}}  # returns follow each trajectory
    policy = f"{SCRIPTED_POLICIES}:batched"
    one = evaluate(policy, db=str(tmp_path / "one.sqlite"), **common)
    assert not sizes.exists()  # batch_size 1 calls act
    sweep = prepare(policy, db=str(tmp_path / "three.sqlite"), batch_size=3,
                    **{k: v for k, v in common.items() if k != "progress"})
    assert sweep.config.batch_size == 3
    three = evaluate(policy, db=str(tmp_path / "three.sqlite"), batch_size=3, **common)
    assert essence(three.rows) == essence(one.rows) and len(one.rows) == 8
    assert len({r.params for r in one.rows if r.set_name == "mo_color"}) > 1  # different episodes
    assert len({r.return_ for r in one.rows}) == 4 and all(r.return_ > 0 for r in one.rows)  # one per seed
    # per set: a batch of 3 (act_batch, 3 steps), then one episode alone (act)
    assert Counter(sizes.read_text().split()) == {"3": 2 * 3}


def test_a_batch_size_the_policy_cannot_use_is_said_and_dropped(tmp_path):
    sweep = prepare(f"{SCRIPTED_POLICIES}:still", tasks="close_box", db=str(tmp_path / "r.sqlite"), batch_size=4,
                    obs_mode="state", control_mode="ee_delta")
    assert sweep.config.batch_size == 1
    assert any("batch_size 4 is unused" in n and "no act_batch" in n for n in sweep.notes)
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, 256\], got 0"):
        prepare("oracle", tasks="close_box", db=str(tmp_path / "r.sqlite"), batch_size=0)


def test_in_a_batch_a_bad_action_ends_its_own_episode_only():
    config = SweepConfig("t", f"{SCRIPTED_POLICIES}:batched_nan", "0", "state", "ee_delta", {}, FAST,
                         batch_size=3)
    cache = EnvCache(config)
    try:
        rows = []
        run_items(cache, plan(["close_box"], ["no_perturbation"], 3, seed=0), rows.append)
    finally:
        cache.close()
    assert [(r.episode, r.status, r.steps) for r in rows] == [
        (1, Status.POLICY_ERROR, 0), (0, Status.OK, 3), (2, Status.OK, 3)]  # rows come as episodes end
    assert "non-finite action" in rows[0].error


def test_a_batch_is_the_unit_of_the_clock_and_a_died_episode_runs_alone():
    items = plan(["close_box"], ["no_perturbation"], 5, seed=0)
    queue = WorkQueue(items, batch_size=3)
    batch = queue.take(None, set())
    assert [it.episode for it in batch] == [0, 1, 2]
    lane = Lane()
    lane.assign(batch)
    lane.started()
    assert lane.deadline(2.0) == pytest.approx(lane.since + 6.0)
    config = SweepConfig("t", "p", "0")
    lane.finished(error_row(config, batch[0], "done", Status.OK))  # episode 0's row came
    assert lane.died(queue, config, "worker exited with code -9") == [] and not lane.items
    assert [[it.episode for it in queue.take(None, set())] for _ in range(3)] == [[1], [2], [3, 4]]
    for item in (batch[1], batch[1]):  # its second death is its last
        lane.assign([item])
        rows = lane.died(queue, config, "worker exited with code -9")
    assert [(r.episode, r.status) for r in rows] == [(1, Status.INFRA_ERROR)]
    assert rows[0].error == "WorkerDied: worker exited with code -9 twice on this episode"


@pytest.mark.slow
def test_on_ray_batches_give_the_local_rows(tmp_path):
    pytest.importorskip("ray")
    common = {"tasks": "close_box", "sets": "no_perturbation", "episodes": 3, **STATE}
    policy = f"{SCRIPTED_POLICIES}:batched"
    local = evaluate(policy, workers=1, db=str(tmp_path / "local.sqlite"), **common)
    try:
        remote = evaluate(policy, backend="ray", batch_size=2, db=str(tmp_path / "ray.sqlite"), **common)
    finally:
        import ray

        ray.shutdown()
    assert len(local.rows) == 3 and essence(remote.rows) == essence(local.rows)


@pytest.mark.parametrize("how", ["sleeps", "dies"])
def test_a_batch_that_hangs_times_out_and_one_that_kills_its_worker_is_retried_alone(how):
    items = plan(["close_box"], ["no_perturbation"], 3, seed=0)
    config = SweepConfig("t", f"{SCRIPTED_POLICIES}:batched_{how}", "0", "state", "ee_delta", {}, FAST,
                         batch_size=2)
    rows: list = []
    start = time.monotonic()
    run_local(items, config, 1, rows.append, episode_timeout_s=1 if how == "sleeps" else None)
    assert time.monotonic() - start < 60
    got = {r.episode: (r.status, r.steps) for r in rows}
    if how == "sleeps":  # the batch [0, 1] hangs in lockstep: both time out after 2 x 1 s; 2 runs
        assert got == {0: (Status.TIMEOUT, 0), 1: (Status.TIMEOUT, 0), 2: (Status.OK, 3)}
        assert rows[0].error == "Timeout: batch of 2 episodes ran past the 2 x 1 s episode timeout; its worker " \
                               "was killed"
    else:  # the batch [0, 1] kills its worker; each is retried alone (and runs), then 2
        assert got == {0: (Status.OK, 3), 1: (Status.OK, 3), 2: (Status.OK, 3)}


def test_only_the_same_policy_error_on_every_first_episode_stops_a_sweep(tmp_path):
    from colosseum_lite.eval.runner import _fail_fast
    from colosseum_lite.eval.store import EpisodeRow

    sweep = prepare("oracle", tasks="close_box", db=str(tmp_path / "r.sqlite"))

    def rows(*errors: tuple[str | None, Status]) -> list[EpisodeRow]:
        return [EpisodeRow("r", "p", "0", "close_box", "no_perturbation", i, i, "{}", False, 0, 0.0, 0.0, e, "t",
                           s) for i, (e, s) in enumerate(errors)]

    outside = [(f"PolicyError: policy returned an action outside the action space: [{v}] (at rollout.py:44)",
                Status.POLICY_ERROR) for v in range(5)]
    assert "first 5 episodes" in str(_fail_fast(rows(*outside), sweep))  # same bug, other values
    assert _fail_fast(rows(*outside[:4]), sweep) is None  # fewer than five
    assert _fail_fast(rows(*outside[:4], (None, Status.OK)), sweep) is None
    assert _fail_fast(rows(*outside[:4], ("WorkerDied: worker exited", Status.INFRA_ERROR)), sweep) is None
    other = ("PolicyError: policy returned a non-finite action [nan] (at rollout.py:41)", Status.POLICY_ERROR)
    assert _fail_fast(rows(*outside[:4], other), sweep) is None


@pytest.mark.parametrize("prefix, name", [("sb3:", "model.zip"), ("pickle:", "model.pt"), ("", "model.pt"),
                                          ("", "agent.py")])
def test_the_run_config_digests_the_file_a_spec_loads(tmp_path, prefix, name):
    import hashlib

    from colosseum_lite.eval.checks import policy_digest

    path = tmp_path / name
    path.write_bytes(b"checkpoint bytes")
    spec = f"{prefix}{path}" + (":make" if name.endswith(".py") else "")
    assert policy_digest(spec) == hashlib.sha256(b"checkpoint bytes").hexdigest()
    path.write_bytes(b"a new checkpoint at the same path")
    assert policy_digest(spec) == hashlib.sha256(b"a new checkpoint at the same path").hexdigest()
    assert policy_digest("oracle") is None and policy_digest("colosseum_lite.policies.pixel_pusher:make") is None
