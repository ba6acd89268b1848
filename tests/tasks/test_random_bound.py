"""Policies that do not try must fail: none of four solves any of 20 episodes of any task.

Uniform random actions (keyframes and end-effector deltas), random top-down keyframes (targets
near the table, the gripper down at a random yaw, random open/close) and doing nothing, 20
episodes each, and not one may succeed. This is the fast subset CI runs: ``bench/validity.py``
holds the bound (below 2%) on 100 or more episodes per policy with the ee_delta policies' full
budget; here random deltas get 100 steps (5 s at 20 Hz) and doing nothing 25.
"""

from __future__ import annotations

import gymnasium as gym
import pytest

from colosseum_lite import env_id
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.policies import load_policy
from tests.conftest import TASK_NAMES

EPISODES = 20
SEEDS = range(7000, 7000 + EPISODES)  # the first fifth of the bench's baseline seeds
POLICIES = {  # name: (policy spec, control mode, steps; None: the task's keyframe budget)
    "uniform_keyframes": ("random", "ee_keyframe", None),
    "top_down_keyframes": ("top_down_random", "ee_keyframe", None),
    "random_ee_delta": ("random", "ee_delta", 100),
    "do_nothing": ("idle", "ee_delta", 25),
}


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("task", TASK_NAMES)
def test_policies_that_do_not_try_fail(task, policy):
    spec, control, steps = POLICIES[policy]
    kwargs = {} if steps is None else {"max_episode_steps": steps}
    env = gym.make(env_id(task), obs_mode="state", control_mode=control, **kwargs)
    try:
        agent = load_policy(spec, env)
        solved = [r.seed for r in (run_episode(env, agent, seed) for seed in SEEDS) if r.success]
    finally:
        env.close()
    assert not solved, f"{task}: {policy} solved {len(solved)}/{EPISODES}, seeds {solved}"
