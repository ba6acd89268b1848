"""A reused env's first observation is byte-identical to a fresh env's, for every task."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.policies.random_policy import RandomPolicy
from tests.conftest import TASK_NAMES

SEEDS = (3, 7, 11, 19)
HISTORY_STEPS = 4  # random keyframes run before each compared reset


def _assert_identical(fresh: tuple, reused: tuple, where: str) -> None:
    (obs_a, info_a), (obs_b, info_b) = fresh, reused
    assert obs_a.keys() == obs_b.keys(), where
    for key in obs_a:
        a, b = obs_a[key], obs_b[key]
        assert a.dtype == b.dtype, f"{where}: {key} is {b.dtype}, a fresh env gives {a.dtype}"
        if not np.array_equal(a, b):
            diff = np.abs(a.astype(float) - b.astype(float))
            raise AssertionError(f"{where}: {key} differs from a fresh env's at {int(np.count_nonzero(diff))} "
                                 f"entries, by up to {diff.max():.3g}")
    assert info_a == info_b, where


def _check(task: str, make_env, seeds, **kwargs) -> None:
    reused = make_env(task, **kwargs)
    policy = RandomPolicy(reused)
    reused.reset(seed=999)
    for seed in seeds:
        policy.reset(seed + 50)
        for _ in range(HISTORY_STEPS):  # move the arm (and whatever it hits) somewhere new
            reused.step(policy.act({}))
        fresh_env = make_env(task, **kwargs)
        fresh = fresh_env.reset(seed=seed)
        fresh_env.close()
        _assert_identical(fresh, reused.reset(seed=seed), f"{task} seed {seed}")


@pytest.mark.parametrize("task", TASK_NAMES, ids=TASK_NAMES)
def test_reset_after_episodes_equals_a_fresh_env(task, make_env):
    _check(task, make_env, SEEDS)


def test_resets_leave_the_arm_base_where_it_was_built(make_env):
    env = make_env("close_box")
    sim = env.unwrapped.sim
    built = sim.pose("panda")
    env.reset(seed=3)
    env.step(env.action_space.sample())
    env.reset(seed=4)
    assert sim.pose("panda") == built


def test_reset_after_episodes_equals_a_fresh_env_in_rgb(make_env):
    _check("close_box", make_env, SEEDS[:2], obs_mode="rgb", image_size=64)


def test_reset_after_episodes_equals_a_fresh_env_in_segmentation_and_point_clouds(make_env):
    """Segmentation ids stay put though a reused env respawned its distractors (new PyBullet ids)."""
    _check("slide_block_to_target", make_env, SEEDS[:1], obs_mode="rgbd+seg", image_size=32,
           perturbations={"distractor": {"count": 2}})
    _check("open_drawer", make_env, SEEDS[1:2], obs_mode="pointcloud", image_size=32, pointcloud_points=512)
