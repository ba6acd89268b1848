"""Dense rewards: in [0, 1], rising through each task's stages, 1.0 only at success, no shortcuts.

Oracle episodes (``ee_keyframe``, state observations) on a few seeds per task; an ``ee_delta``
controller that follows the oracle's keyframes at full speed for the four top-down tasks (it
also shows each task's ``max_delta_steps`` leaves room); idle and random ``ee_delta`` episodes;
and scenes set up by hand for the shortcuts each success predicate refuses.
"""

from __future__ import annotations

from collections.abc import Iterator

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite import TASKS, env_id
from colosseum_lite.env import DELTA_POS_M, DELTA_YAW_RAD
from colosseum_lite.policies.oracle import OraclePolicy
from colosseum_lite.robot import Gripper, wrap_grasp_yaw
from colosseum_lite.sim import Pose, rotation_matrix
from colosseum_lite.tasks import close_box, open_drawer
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from tests.conftest import TASK_NAMES

ORACLE_SEEDS = (0, 1, 2)
# "Broadly non-decreasing": no step falls more than this below the best reward so far in the
# episode (the oracle re-aiming a push or a drag briefly leaves its contact point).
DIP_TOL = 0.05
IDLE_MAX = 0.1  # the reward of a scene the robot has not touched yet, the arm at home
TOP_DOWN_TASKS = ("basketball_in_hoop", "close_box", "reach_and_drag", "slide_block_to_target")


def _reward(env: gym.Env) -> float:
    u = env.unwrapped
    return float(u.task.dense_reward(u.snapshot(), u.variant))


def _check_episode(task: str, seed: int, rewards: list[float], successes: list[bool]) -> None:
    r = np.asarray(rewards)
    where = f"{task} seed {seed}"
    assert np.all((r >= 0.0) & (r <= 1.0)), f"{where}: reward outside [0, 1]: {r}"
    assert successes[-1], f"{where}: the episode did not succeed"
    for step, (value, solved) in enumerate(zip(r, successes, strict=True)):
        assert (value == 1.0) == solved, f"{where} step {step}: reward {value} with success {solved}"
    assert r[-1] > r[0] + 0.5
    dips = np.maximum.accumulate(r) - r
    assert dips.max() <= DIP_TOL, f"{where}: reward fell {dips.max():.3f} below its best: {np.round(r, 3)}"


def _success(env: gym.Env) -> bool:
    u = env.unwrapped
    return bool(u.task.success(u.snapshot(), u.variant))


@pytest.mark.parametrize("task", TASK_NAMES)
def test_reward_rises_through_the_oracle_episode(task):
    env = gym.make(env_id(task), obs_mode="state", control_mode="ee_keyframe")
    policy = OraclePolicy(env)
    try:
        for seed in ORACLE_SEEDS:
            obs, _ = env.reset(seed=seed)
            policy.reset(seed)
            rewards, successes = [_reward(env)], [_success(env)]
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy.act(obs))
                rewards.append(_reward(env))
                successes.append(info["is_success"])
                done = terminated or truncated
            _check_episode(task, seed, rewards, successes)
    finally:
        env.close()


def _follow_oracle(env: gym.Env) -> Iterator[np.ndarray]:
    """``ee_delta`` actions that play the oracle's keyframes at full speed (top-down tasks)."""
    u = env.unwrapped
    yaw = 0.0
    for kf in u.task.oracle(u.sim, u.variant):
        r = rotation_matrix(kf.quat)
        target_yaw = wrap_grasp_yaw(float(np.arctan2(r[1, 0], r[0, 0])))
        grip = 1.0 if kf.gripper is Gripper.OPEN else -1.0
        hold = 6 if kf.gripper is not u.robot.command.gripper else 3  # let the fingers move
        for _ in range(60):
            err = np.asarray(kf.pos) - u.robot.command.ee_pos
            turn = float(np.clip((target_yaw - yaw) / DELTA_YAW_RAD, -1.0, 1.0))
            yaw += turn * DELTA_YAW_RAD
            yield np.array([*np.clip(err / DELTA_POS_M, -1.0, 1.0), turn, grip], dtype=np.float32)
            if np.linalg.norm(err) < 1e-3 and abs(target_yaw - yaw) < 1e-3:
                hold -= 1
                if hold == 0:
                    break


@pytest.mark.parametrize("task", TOP_DOWN_TASKS)
def test_ee_delta_controller_earns_a_rising_reward_within_the_step_limit(task):
    limit = TASKS[task].max_delta_steps
    env = gym.make(env_id(task), obs_mode="state", control_mode="ee_delta", max_episode_steps=limit)
    try:
        env.reset(seed=0)
        rewards, successes = [_reward(env)], [_success(env)]
        for action in _follow_oracle(env):
            _, _, terminated, truncated, info = env.step(action)
            rewards.append(_reward(env))
            successes.append(info["is_success"])
            if terminated or truncated:
                break
        assert len(rewards) - 1 <= limit
        _check_episode(task, 0, rewards, successes)
    finally:
        env.close()


@pytest.mark.parametrize("task", TASK_NAMES)
def test_idle_and_random_episodes_stay_low(task):
    env = gym.make(env_id(task), obs_mode="state", control_mode="ee_delta", max_episode_steps=200)
    rng = np.random.default_rng(3)
    try:
        env.reset(seed=5)
        idle = [_reward(env)]
        for _ in range(20):
            env.step(np.array([0, 0, 0, 0, 1], dtype=np.float32))
            idle.append(_reward(env))
        env.reset(seed=6)
        uniform = []
        for _ in range(60):
            env.step(rng.uniform(-1.0, 1.0, 5).astype(np.float32))
            uniform.append(_reward(env))
    finally:
        env.close()
    assert max(idle) < IDLE_MAX, f"{task}: idle arm earns {max(idle):.3f}"
    assert np.mean(uniform) < IDLE_MAX, f"{task}: random actions earn {np.mean(uniform):.3f} per step"


@pytest.mark.parametrize("task", TASK_NAMES)
def test_reward_mode_dense_steps_return_the_task_reward(task):
    env = gym.make(env_id(task), obs_mode="state", control_mode="ee_delta", reward_mode="dense")
    rng = np.random.default_rng(4)
    try:
        env.reset(seed=2)
        for _ in range(5):
            _, reward, *_ = env.step(rng.uniform(-1.0, 1.0, 5).astype(np.float32))
            assert 0.0 <= reward < 1.0 and reward == _reward(env)
    finally:
        env.close()


@pytest.mark.parametrize("task", TASK_NAMES)
def test_reward_is_a_pure_function_of_the_snapshot(task):
    env = gym.make(env_id(task), obs_mode="state")
    try:
        env.reset(seed=1)
        u = env.unwrapped
        snap = u.snapshot()
        state = u.task.state_vector(snap)
        assert u.task.dense_reward(snap, u.variant) == u.task.dense_reward(snap, u.variant)
        np.testing.assert_array_equal(u.task.state_vector(u.snapshot()), state)
    finally:
        env.close()


# ---------------------------------------------------------------- scenes set by hand


@pytest.fixture
def make_scene():
    envs = []

    def make(task: str, seed: int = 0, **kwargs) -> gym.Env:
        env = gym.make(env_id(task), obs_mode="state", **kwargs)
        env.reset(seed=seed)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()


def test_slide_block_held_over_the_patch_is_not_solved(make_scene):
    env = make_scene("slide_block_to_target")
    u = env.unwrapped
    target = np.asarray(u.sim.pose("target").pos)
    quat = u.sim.pose("target").quat
    u.sim.set_pose("block", Pose((target[0], target[1], 0.08), quat))  # in the air over the patch
    assert _reward(env) < 0.5
    u.sim.set_pose("block", Pose((target[0], target[1], 0.025), quat))  # on the patch, on the table
    assert _success(env) and _reward(env) == 1.0


def test_close_box_nearly_closed_is_below_one_and_closed_is_one(make_scene):
    env = make_scene("close_box")
    u = env.unwrapped
    u.sim.set_joint_position(close_box.BOX, close_box.HINGE, close_box.CLOSED_TOL_RAD + 0.05)
    assert 0.6 < _reward(env) < 1.0
    u.sim.set_joint_position(close_box.BOX, close_box.HINGE, 0.0)
    assert _reward(env) == 1.0


def test_open_drawer_opening_every_drawer_scores_low(make_scene):
    env = make_scene("open_drawer", variant="middle")
    u = env.unwrapped
    for joint in open_drawer.DRAWER_JOINT.values():
        u.sim.set_joint_position("cabinet", joint, 0.2)
    assert _reward(env) < 1 / 3
    for variant, joint in open_drawer.DRAWER_JOINT.items():
        u.sim.set_joint_position("cabinet", joint, 0.2 if variant == "middle" else 0.0)
    assert _reward(env) == 1.0


def test_reach_and_drag_cube_on_target_without_the_stick_scores_low(make_scene):
    env = make_scene("reach_and_drag")
    u = env.unwrapped
    target, cube = u.sim.pose("target").pos, u.sim.pose("cube").pos
    u.sim.set_pose("cube", Pose((target[0], target[1], cube[2])))
    assert _reward(env) <= 0.25


def test_basketball_over_the_ring_outranks_carrying_and_is_not_solved(make_scene):
    env = make_scene("basketball_in_hoop")
    u = env.unwrapped
    ring = np.asarray(u.sim.pose("hoop", 1).pos)
    u.sim.set_pose("ball", Pose((ring[0], ring[1], ring[2] + 0.1)))  # falling toward the ring
    assert 0.5 <= _reward(env) < 1.0
    u.sim.set_pose("ball", Pose((ring[0], ring[1], ring[2] - 0.05)))  # in the net
    assert _success(env) and _reward(env) == 1.0


# ---------------------------------------------------------------- shaping helpers


def test_staged_reward_ranks_stages_and_keeps_one_for_success():
    assert staged_reward(True, 0, 0.0, 3) == 1.0
    assert staged_reward(False, 2, 1.0, 3) == 0.75
    assert staged_reward(False, 1, 0.0, 3) > staged_reward(False, 0, 0.999, 3)
    assert staged_reward(False, 0, -2.0, 2) == 0.0 and staged_reward(False, 1, 7.0, 2) == 2 / 3
    with pytest.raises(ValueError, match=r"stage must be in \[0, 2\)"):
        staged_reward(False, 2, 0.5, 2)


def test_closeness_and_fraction():
    assert closeness(0.0, 0.1) == 1.0
    assert closeness(0.1, 0.1) == pytest.approx(1 - np.tanh(1.0))
    assert closeness(0.05, 0.1) > closeness(0.2, 0.1) > 0.0
    assert fraction(0.3, 0.3, 0.0) == 0.0 and fraction(0.0, 0.3, 0.0) == 1.0
    assert fraction(0.15, 0.3, 0.0) == pytest.approx(0.5) and fraction(0.5, 0.3, 0.0) == 0.0


def test_approach_keeps_a_slope_near_and_far():
    assert approach(0.0, 0.3, 0.03) == 1.0
    # Over the last 2 cm it rises far more than the coarse closeness alone ...
    assert approach(0.0, 0.3, 0.03) - approach(0.02, 0.3, 0.03) > 3 * (closeness(0.0, 0.3) - closeness(0.02, 0.3))
    # ... and it still ranks distances half a metre out.
    assert approach(0.4, 0.3, 0.03) > approach(0.5, 0.3, 0.03) > 0.0
