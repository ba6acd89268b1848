"""Policies that do not try must fail: none of four solves any of its episodes of any task.

Uniform random actions (keyframes and end-effector deltas), random top-down keyframes (targets
near the table, the gripper down at a random yaw, random open/close) and doing nothing, and not
one episode may succeed. This is the fast subset CI runs: ``bench/validity.py`` holds the bound
(below 2%) on 100 or more episodes per policy with every policy's full budget. Here the top-down
keyframes, the likeliest to move things where they belong, get 20 episodes of the task's keyframe
budget; uniform keyframes, each an arbitrary swing of about 500 substeps, 10 episodes of 12
keyframes; random deltas 20 episodes of 100 steps (5 s at 20 Hz); doing nothing 20 of 25 steps.
"""

from __future__ import annotations

import gymnasium as gym
import pytest

from colosseum_lite import env_id
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.policies import load_policy
from tests.conftest import TASK_NAMES

FIRST_SEED = 7000  # the bench's baseline seeds start here
POLICIES = {  # name: (policy spec, control mode, steps (None: the task's keyframe budget), episodes)
    "uniform_keyframes": ("random", "ee_keyframe", 12, 10),
    "top_down_keyframes": ("top_down_random", "ee_keyframe", None, 20),
    "random_ee_delta": ("random", "ee_delta", 100, 20),
    "do_nothing": ("idle", "ee_delta", 25, 20),
}


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("task", TASK_NAMES)
def test_policies_that_do_not_try_fail(task, policy):
    spec, control, steps, episodes = POLICIES[policy]
    kwargs = {} if steps is None else {"max_episode_steps": steps}
    env = gym.make(env_id(task), obs_mode="state", control_mode=control, **kwargs)
    try:
        agent = load_policy(spec, env)
        seeds = range(FIRST_SEED, FIRST_SEED + episodes)
        solved = [r.seed for r in (run_episode(env, agent, seed) for seed in seeds) if r.success]
    finally:
        env.close()
    assert not solved, f"{task}: {policy} solved {len(solved)}/{episodes}, seeds {solved}"
