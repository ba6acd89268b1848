"""ColosseumEnv against the Gymnasium contract, over every registered id."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import colosseum_lite
from colosseum_lite import TASKS, env_id
from colosseum_lite.registration import step_limit
from tests.conftest import OBS_MODES, TASK_NAMES

SLIDE = "slide_block_to_target"


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("task", TASK_NAMES)
def test_check_env_passes(task, obs_mode, make_env):
    env = make_env(task, obs_mode=obs_mode, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_check_env_passes_in_delta_control(task, make_env):
    check_env(make_env(task, control_mode="ee_delta").unwrapped)


def test_every_task_is_registered_and_made_with_its_control_modes_time_limit():
    assert set(colosseum_lite.ENV_IDS) == {env_id(t) for t in TASKS}
    for name, cls in TASKS.items():
        assert gym.spec(env_id(name)).max_episode_steps is None  # it depends on the control mode
        assert cls.max_episode_steps > 0 and cls.max_delta_steps > 0
        for mode, limit in (("ee_keyframe", cls.max_episode_steps), ("ee_delta", cls.max_delta_steps)):
            assert step_limit(name, mode) == limit
    slide = TASKS[SLIDE]
    for mode, limit in (("ee_keyframe", slide.max_episode_steps), ("ee_delta", slide.max_delta_steps)):
        env = gym.make(env_id(SLIDE), control_mode=mode)
        try:
            assert env.spec.max_episode_steps == limit
            assert env.get_wrapper_attr("_max_episode_steps") == limit
        finally:
            env.close()


def test_spaces_are_plain_gymnasium_spaces(make_env):
    env = make_env("slide_block_to_target", obs_mode="rgbd", cameras=("front", "overhead"), image_size=64)
    space = env.observation_space
    assert isinstance(space, gym.spaces.Dict)
    assert all(isinstance(s, gym.spaces.Box) for s in space.values())
    cams = {f"{c}_{k}" for c in ("front", "overhead") for k in ("rgb", "depth", "intrinsic", "extrinsic")}
    assert set(space) == {"proprio", "variant", *cams}
    obs, info = env.reset(seed=0)
    assert obs["front_rgb"].shape == (64, 64, 3) and obs["front_rgb"].dtype == np.uint8
    assert obs["front_depth"].shape == (64, 64, 1)
    assert set(info) >= {"is_success", "task", "variant", "episode_seed", "instruction", "camera_params"}


def _rollout_digest(task: str, seed: int, obs_mode: str = "state") -> dict:
    env = gym.make(env_id(task), obs_mode=obs_mode)
    actions = np.random.default_rng(123).uniform(-1, 1, (4, 5)).astype(np.float32)
    obs, _ = env.reset(seed=seed)
    h = hashlib.sha256()
    rewards = []
    for a in actions:
        keyframe = np.array([0.5 + 0.15 * a[0], 0.2 * a[1], 0.1 + 0.05 * a[2], 1, 0, 0, 0, a[4]], np.float32)
        obs, r, term, trunc, _ = env.step(keyframe)
        rewards.append(r)
        for k in sorted(obs):
            h.update(obs[k].tobytes())
    u = env.unwrapped
    poses = {n: [list(u.sim.pose(n).pos), list(u.sim.pose(n).quat)] for n in u.task.body_names()}
    env.close()
    return {"obs": h.hexdigest(), "rewards": rewards, "poses": poses}


DIGEST_SCRIPT = """
import json, sys
from tests.test_env import _rollout_digest
print(json.dumps({t: _rollout_digest(t, 11) for t in sys.argv[1:]}))
"""


def test_same_seed_same_episode_across_processes():
    outs = [
        subprocess.run([sys.executable, "-c", DIGEST_SCRIPT, *TASK_NAMES], capture_output=True, text=True,
                       check=True, cwd=str(__import__("pathlib").Path(__file__).parents[1])).stdout
        for _ in range(2)
    ]
    a, b = (json.loads(o.strip().splitlines()[-1]) for o in outs)
    assert a == b
    assert a["slide_block_to_target"] == _rollout_digest("slide_block_to_target", 11)


def test_reset_after_other_episodes_repeats_exactly(make_env):
    env = make_env("slide_block_to_target", obs_mode="rgb")
    first, _ = env.reset(seed=5)
    env.step(env.action_space.sample())
    env.reset(seed=6)
    env.step(env.action_space.sample())
    again, _ = env.reset(seed=5)
    for k in first:
        assert np.array_equal(first[k], again[k]), k


@pytest.mark.parametrize("obs_mode", ["state", "rgb"])
def test_observe_shows_a_start_state_edited_after_reset(obs_mode, make_env):
    env = make_env(SLIDE, obs_mode=obs_mode)
    obs, info = env.reset(seed=5)
    base = env.unwrapped
    again, same = base.observe()  # nothing edited: what reset returned
    assert same.keys() == info.keys() and same["perturbation"] == info["perturbation"]
    for k in obs:
        assert np.array_equal(obs[k], again[k]), k
    pose = base.sim.pose("block")  # a curriculum moves the block 5 cm along x
    base.sim.set_pose("block", type(pose)((pose.pos[0] + 0.05, *pose.pos[1:]), pose.quat))
    moved, _ = base.observe()
    assert np.array_equal(moved["proprio"], obs["proprio"])
    if obs_mode == "state":
        assert moved["object_state"][0] == pytest.approx(obs["object_state"][0] + 0.05, abs=1e-6)
    else:
        assert not np.array_equal(moved["front_rgb"], obs["front_rgb"])  # the cameras see it


def test_plain_reset_continues_deterministically(make_env):
    a, b = make_env("slide_block_to_target"), make_env("slide_block_to_target")
    a.reset(seed=3)
    b.reset(seed=3)
    for _ in range(3):
        oa, ia = a.reset()
        ob, ib = b.reset()
        assert ia["episode_seed"] == ib["episode_seed"]
        assert np.array_equal(oa["object_state"], ob["object_state"])
    assert len({a.reset()[1]["episode_seed"] for _ in range(4)}) == 4


def test_different_seeds_give_different_layouts(make_env):
    env = make_env("slide_block_to_target")
    states = {env.reset(seed=s)[0]["object_state"].tobytes() for s in range(5)}
    assert len(states) == 5


def test_async_vector_env():
    envs = gym.make_vec("ColosseumLite/SlideBlockToTarget-v0", num_envs=2, vectorization_mode="async")
    try:
        obs, info = envs.reset(seed=[0, 1])
        assert obs["object_state"].shape[0] == 2
        assert not np.array_equal(obs["object_state"][0], obs["object_state"][1])
        obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
        assert rew.shape == (2,) and obs["proprio"].shape == (2, 22)
    finally:
        envs.close()


def test_delta_control_moves_the_hand(make_env):
    env = make_env("slide_block_to_target", control_mode="ee_delta")
    obs, _ = env.reset(seed=0)
    start = obs["proprio"][:3].copy()
    for _ in range(10):
        obs, *_ = env.step(np.array([1.0, 0.0, -0.5, 0.0, 1.0], np.float32))
    moved = obs["proprio"][:3] - start
    assert moved[0] > 0.12 and moved[2] < -0.05 and abs(moved[1]) < 0.02


def test_camera_extrinsics_project_objects_onto_their_pixels(make_env):
    env = make_env("slide_block_to_target")
    env.reset(seed=2)
    u = env.unwrapped
    block = np.asarray(u.sim.pose("block").pos)
    for cam in ("front", "left_shoulder", "right_shoulder", "overhead"):
        frame = u.camera_frame(cam, 128)
        x_cam = np.linalg.inv(frame.T_world_camera) @ np.append(block, 1.0)
        uvw = frame.K @ x_cam[:3]
        px, py = (uvw[:2] / uvw[2]).round().astype(int)
        _, depth, seg = u.camera_image(cam, 128, segmentation=True)
        assert (seg[py, px] & 0xFFFFFF) == u.sim.id("block"), cam
        # Metric depth: the visible face lies between the block's centre and its half diagonal.
        assert 0.0 <= x_cam[2] - depth[py, px] <= 0.045, cam


def test_wrist_camera_follows_the_hand(make_env):
    env = make_env("slide_block_to_target")
    env.reset(seed=0)
    before = env.unwrapped.camera_frame("wrist").T_world_camera
    env.step(np.array([0.5, 0.2, 0.2, 1, 0, 0, 0, 1], np.float32))
    after = env.unwrapped.camera_frame("wrist").T_world_camera
    assert np.linalg.norm(after[:3, 3] - before[:3, 3]) > 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"obs_mode": "pixels"}, "unknown obs_mode 'pixels'"),
        ({"control_mode": "joint"}, "unknown control_mode 'joint'"),
        ({"cameras": ("front", "top")}, "unknown camera 'top'"),
        ({"variant": "nope"}, "unknown variant 'nope'"),
        ({"render_mode": "ansi"}, "unknown render_mode 'ansi'"),
    ],
)
def test_bad_arguments_name_the_valid_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gym.make("ColosseumLite/SlideBlockToTarget-v0", **kwargs)


def test_bad_actions_are_rejected(make_env):
    env = make_env("slide_block_to_target")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="8 finite numbers"):
        env.step(np.full(8, np.nan, np.float32))
    with pytest.raises(ValueError, match="8 finite numbers"):
        env.step(np.zeros(5, np.float32))


def test_render_rgb_array(make_env):
    env = make_env("slide_block_to_target", render_mode="rgb_array", render_size=96)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (96, 96, 3) and frame.std() > 10


def _final_state(env, policy, seed: int) -> np.ndarray:
    from colosseum_lite.eval.rollout import run_episode

    run_episode(env, policy, seed)
    u = env.unwrapped
    poses = [np.r_[u.sim.pose(n).pos, u.sim.pose(n).quat] for n in u.task.body_names()]
    return np.concatenate([*poses, u.robot.joint_positions(u.sim)])


@pytest.mark.parametrize("task", TASK_NAMES)
def test_an_episode_does_not_depend_on_earlier_episodes(task, make_env):
    from colosseum_lite.policies import load_policy

    fresh = make_env(task)
    used = make_env(task)
    p_fresh, p_used = load_policy("oracle", fresh), load_policy("oracle", used)
    _final_state(used, p_used, 6)
    _final_state(used, p_used, 7)
    assert np.array_equal(_final_state(fresh, p_fresh, 5), _final_state(used, p_used, 5))


def test_public_registries():
    assert len(colosseum_lite.AXES) == 14 and "mo_color" in colosseum_lite.AXES
    assert set(colosseum_lite.TASKS) == {t for t in TASK_NAMES}
    assert callable(colosseum_lite.evaluate)
