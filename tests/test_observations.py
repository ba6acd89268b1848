"""What the env observes and reports: the variant, camera parameters, segmentation, point clouds,
reward modes, step limits per control mode and the video frame rate."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from colosseum_lite import TASKS, env_id, observations
from colosseum_lite.cameras import CameraFrame, fixed_size_cloud
from colosseum_lite.observations import BACKGROUND_ID, MAX_DISTRACTORS
from colosseum_lite.tasks.base import Task
from tests.conftest import TASK_NAMES

SLIDE = "slide_block_to_target"
HOLD = np.array([0.5, 0.0, 0.3, 1, 0, 0, 0, 1], np.float32)  # a keyframe above the table
STILL = np.array([0, 0, 0, 0, 1], np.float32)  # an ee_delta step that stays put
INFO_KEYS = {"task", "variant", "instruction", "episode_seed", "is_success"}


def _onehot(task: str, variant: str) -> np.ndarray:
    out = np.zeros(len(TASKS[task].variants), np.float32)
    out[TASKS[task].variants.index(variant)] = 1.0
    return out


# ------------------------------------------------------------------ the variant in the observation
@pytest.mark.parametrize("task", TASK_NAMES)
def test_a_fixed_variant_is_in_every_observation(task, make_env):
    cls = TASKS[task]
    for variant in cls.variants:
        env = make_env(task, variant=variant)
        assert env.observation_space["variant"].shape == (len(cls.variants),)
        obs, info = env.reset(seed=0)
        assert obs["variant"] in env.observation_space["variant"]
        np.testing.assert_array_equal(obs["variant"], _onehot(task, variant))
        assert info["variant"] == variant and info["instruction"] == cls().instruction(variant)
        assert info["task"] == task and INFO_KEYS <= set(info)
        obs, *_, info = env.step(HOLD)
        np.testing.assert_array_equal(obs["variant"], _onehot(task, variant))
        assert INFO_KEYS <= set(info) and info["variant"] == variant


def test_drawn_variants_are_what_the_observation_says(make_env):
    env = make_env("open_drawer")
    drawn = set()
    for seed in range(12):
        obs, info = env.reset(seed=seed)
        np.testing.assert_array_equal(obs["variant"], _onehot("open_drawer", info["variant"]))
        assert info["instruction"] == env.unwrapped.task.instruction(info["variant"])
        drawn.add(info["variant"])
    assert drawn == set(TASKS["open_drawer"].variants)  # all three drawers, each told apart


# ----------------------------------------------------------------------------- camera parameters
def test_camera_parameters_in_obs_and_info_agree_with_the_rendering_camera(make_env):
    env = make_env(SLIDE, obs_mode="rgb", image_size=32)
    u = env.unwrapped
    for step in range(2):
        obs, info = env.step(HOLD)[::4] if step else env.reset(seed=1)
        assert INFO_KEYS <= set(info) and set(info["camera_params"]) == {"front", "wrist"}
        for cam in ("front", "wrist"):
            frame, params = u.camera_frame(cam), info["camera_params"][cam]
            assert (params["width"], params["height"]) == (32, 32)
            np.testing.assert_allclose(obs[f"{cam}_intrinsic"], frame.K, rtol=1e-6)
            np.testing.assert_allclose(np.asarray(params["intrinsic"]), frame.K)
            np.testing.assert_allclose(obs[f"{cam}_extrinsic"], np.linalg.inv(frame.T_world_camera), atol=1e-5)
            np.testing.assert_allclose(np.asarray(params["extrinsic"]), obs[f"{cam}_extrinsic"], atol=1e-5)


def test_state_mode_has_no_camera_keys(make_env):
    env = make_env(SLIDE)
    obs, info = env.reset(seed=0)
    assert set(obs) == {"proprio", "variant", "object_state"} and "camera_params" not in info


def test_the_camera_pose_axis_shows_in_the_extrinsic(make_env):
    kwargs = {"obs_mode": "rgbd+seg", "cameras": ("front",), "image_size": 96}
    nominal, _ = make_env(SLIDE, **kwargs).reset(seed=4)
    env = make_env(SLIDE, perturbations=["camera_pose"], **kwargs)
    obs, info = env.reset(seed=4)
    shift = np.abs(obs["front_extrinsic"] - nominal["front_extrinsic"]).max()
    assert shift > 1e-3, "a moved camera must not report the nominal extrinsic"
    _assert_block_pixels_land_on_the_block(env, obs, "front")  # the reported pose is the rendered one


# ---------------------------------------------------------------------- segmentation, back-projection
def _backproject(obs: dict, cam: str) -> np.ndarray:
    """World points (H, W, 3) of every pixel from the observation alone (pixel [r, c] is (u, v) = (c, r))."""
    depth, K, E = obs[f"{cam}_depth"][:, :, 0].astype(float), obs[f"{cam}_intrinsic"], obs[f"{cam}_extrinsic"]
    v, u = np.mgrid[: depth.shape[0], : depth.shape[1]].astype(float)
    x, y = (u - K[0, 2]) / K[0, 0] * depth, (v - K[1, 2]) / K[1, 1] * depth
    cam_pts = np.stack([x, y, depth, np.ones_like(depth)], axis=-1)
    return (cam_pts @ np.linalg.inv(E.astype(float)).T)[..., :3]


def _assert_block_pixels_land_on_the_block(env, obs: dict, cam: str) -> None:
    u = env.unwrapped
    ids = {v["name"]: k for k, v in u.segmentation_ids().items()}
    seg = obs[f"{cam}_seg"][:, :, 0]
    pts = _backproject(obs, cam)
    block = pts[seg == ids["block"]]
    assert len(block) > 10, "the block is in view"
    lo, hi = u.sim.aabb("block")
    outside = np.maximum(lo - block, 0) + np.maximum(block - hi, 0)
    assert np.abs(outside).max() < 0.002  # on the block's box, within 2 mm
    table = pts[seg == ids["table"]]
    assert np.abs(table[:, 2]).max() < 0.002  # the tabletop is z = 0


@pytest.mark.parametrize("cam", ["front", "overhead", "wrist"])
def test_a_back_projected_depth_pixel_lands_on_its_body(cam, make_env):
    env = make_env(SLIDE, obs_mode="rgbd+seg", cameras=(cam,), image_size=128)
    obs, _ = env.reset(seed=2)
    if cam == "wrist":  # look down at the block
        block = env.unwrapped.sim.pose("block").pos
        obs = env.step(np.array([block[0] - 0.05, block[1], 0.25, 1, 0, 0, 0, 1], np.float32))[0]
    _assert_block_pixels_land_on_the_block(env, obs, cam)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_segmentation_names_the_task_bodies_and_the_scene(task, make_env):
    env = make_env(task, obs_mode="rgbd+seg", cameras=("front", "overhead"), image_size=64)
    obs, info = env.reset(seed=0)
    u = env.unwrapped
    table = info["segmentation_ids"]
    assert table == u.segmentation_ids() and table[BACKGROUND_ID]["role"] == "background"
    for name, role in u.task.objects.items():
        assert table[u.segments.id(name)] == {"name": name, "role": role.value}
    assert {table[i]["role"] for i in table} >= {"robot", "table", "wall", "distractor", "mo"}
    seen = set(np.unique(obs["front_seg"])) | set(np.unique(obs["overhead_seg"]))
    assert {u.segments.id(n) for n in u.task.objects} <= seen, "every task body is in view"
    assert u.segments.id("panda") in seen and u.segments.id("table") in seen
    # Each pixel's id names the body PyBullet drew there.
    _, _, raw = u.camera_image("overhead", 64, segmentation=True)
    names = {bid: n for n, bid in u.sim.bodies.items()}
    for id_, body in zip(obs["overhead_seg"].ravel(), raw.ravel(), strict=True):
        assert table[int(id_)]["name"] == (names[body & 0xFFFFFF] if body >= 0 else "background")


def test_distractors_have_stable_ids_whatever_the_episode(make_env):
    env = make_env(SLIDE, obs_mode="rgbd+seg", cameras=("overhead",), image_size=96,
                   perturbations={"distractor": {"count": 3}})
    u = env.unwrapped
    first = u.segmentation_ids()
    for seed in (0, 1):
        obs, info = env.reset(seed=seed)
        assert info["segmentation_ids"] == first  # the same ids, though bodies were respawned
        seen = {first[int(i)]["name"] for i in np.unique(obs["overhead_seg"])}
        assert {"distractor_0", "distractor_1", "distractor_2"} <= seen
        assert all(first[u.segments.id(f"distractor_{i}")]["role"] == "distractor" for i in range(MAX_DISTRACTORS))
    assert not {"distractor_3"} & seen


def test_segmentation_is_rendered_only_in_the_modes_that_need_it(make_env, monkeypatch):
    asked = []
    for mode in ("rgb", "rgbd", "rgbd+seg", "pointcloud"):
        env = make_env(SLIDE, obs_mode=mode, image_size=16)
        sim = env.unwrapped.sim

        def render(*args, _render=sim.render, _mode=mode):
            asked.append((_mode, args[-1]))  # the segmentation flag
            return _render(*args)

        monkeypatch.setattr(sim, "render", render)
        env.reset(seed=0)
    assert {m for m, seg in asked if seg} == {"rgbd+seg", "pointcloud"}
    assert {m for m, seg in asked if not seg} == {"rgb", "rgbd"}


def test_depth_is_converted_only_in_the_modes_that_return_it(make_env, monkeypatch):
    converted = []
    depth_m = CameraFrame.depth_m

    def counted(frame, buffer):
        converted.append(frame.name)
        return depth_m(frame, buffer)

    monkeypatch.setattr(CameraFrame, "depth_m", counted)
    for mode in ("rgb", "rgbd", "rgbd+seg", "pointcloud"):
        converted.clear()
        env = make_env(SLIDE, obs_mode=mode, image_size=16)
        obs, _ = env.reset(seed=0)
        assert ("front_depth" in obs or mode == "pointcloud") == (mode != "rgb")
        assert bool(converted) == (mode != "rgb"), mode
    rgb_only = make_env(SLIDE, obs_mode="rgb", image_size=16).unwrapped
    rgb_only.reset(seed=0)
    assert rgb_only.camera_image("front")[1].dtype == np.float32  # asked for, depth is still there


@pytest.mark.parametrize("mode", ["state", "rgb", "pointcloud"])
def test_a_step_computes_and_renders_each_observed_camera_once(mode, make_env, monkeypatch):
    env = make_env(SLIDE, obs_mode=mode, control_mode="ee_delta", cameras=("front", "wrist"), image_size=16)
    env.reset(seed=0)
    computed, rendered = [], []
    frame = observations.camera_frame

    def counted(spec, *args):
        computed.append(spec.name)
        return frame(spec, *args)

    monkeypatch.setattr(observations, "camera_frame", counted)
    sim = env.unwrapped.sim

    def render(*args, _render=sim.render):
        rendered.append(args[0])
        return _render(*args)

    monkeypatch.setattr(sim, "render", render)
    _, _, _, _, info = env.step(STILL)
    expected = [] if mode == "state" else ["front", "wrist"]
    assert sorted(computed) == expected and len(rendered) == len(expected)
    assert list(info.get("camera_params", {})) == expected


# ------------------------------------------------------------------------------------ point clouds
def test_point_clouds_are_world_points_of_the_bodies_in_view(make_env):
    env = make_env(SLIDE, obs_mode="pointcloud", cameras=("front", "overhead"), pointcloud_points=2048)
    space = env.observation_space
    obs, info = env.reset(seed=3)
    for key, shape, dtype in (("pointcloud_xyz", (2048, 3), np.float32), ("pointcloud_rgb", (2048, 3), np.uint8),
                              ("pointcloud_seg", (2048, 1), np.int32)):
        assert obs[key].shape == shape and obs[key].dtype == dtype and obs[key] in space[key]
    assert not any(k.endswith(("_rgb", "_depth", "_seg")) and not k.startswith("pointcloud") for k in obs)
    seg, xyz, u = obs["pointcloud_seg"][:, 0], obs["pointcloud_xyz"], env.unwrapped
    assert (seg >= 0).all(), "two 128 px cameras show far more than 2048 body pixels: no padding"
    block = xyz[seg == u.segments.id("block")]
    lo, hi = u.sim.aabb("block")
    assert len(block) > 3 and (block > lo - 0.002).all() and (block < hi + 0.002).all()
    assert np.abs(xyz[seg == u.segments.id("table")][:, 2]).max() < 0.002
    again, _ = env.reset(seed=3)
    for key in obs:
        np.testing.assert_array_equal(obs[key], again[key])  # deterministic subsampling


def test_a_small_point_cloud_is_padded_with_background_rows(make_env):
    env = make_env(SLIDE, obs_mode="pointcloud", cameras=("front",), image_size=16, pointcloud_points=300)
    obs, _ = env.reset(seed=0)
    seg = obs["pointcloud_seg"][:, 0]
    real = int((seg >= 0).sum())
    assert 0 < real <= 256 and (seg[real:] == BACKGROUND_ID).all() and (seg[:real] >= 0).all()
    assert not obs["pointcloud_xyz"][real:].any() and not obs["pointcloud_rgb"][real:].any()


def test_fixed_size_cloud_keeps_the_same_points_and_their_order():
    xyz = np.arange(30, dtype=np.float32).reshape(10, 3)
    rgb, seg = np.zeros((10, 3), np.uint8), np.arange(10, dtype=np.int32)
    a, _, sa = fixed_size_cloud(xyz, rgb, seg, 4)
    b, _, sb = fixed_size_cloud(xyz, rgb, seg, 4)
    np.testing.assert_array_equal(a, b)
    assert len(set(sa[:, 0])) == 4 and (np.diff(sa[:, 0]) > 0).all()  # 4 distinct, in order
    _, _, padded = fixed_size_cloud(xyz, rgb, seg, 12)
    assert list(padded[:, 0]) == [*range(10), -1, -1]


@pytest.mark.parametrize("mode", ["rgbd+seg", "pointcloud"])
def test_check_env_passes_in_the_new_modes(mode, make_env):
    check_env(make_env("open_drawer", obs_mode=mode, image_size=32, pointcloud_points=512).unwrapped)


# ---------------------------------------------------------------------------------------- rewards
def _progress(self, snap, variant) -> float:
    """A stand-in dense reward: how far the hand is along +x, in [0, 1]."""
    return float(np.clip(snap.ee_pos[0], 0.0, 1.0))


def test_dense_rewards_come_from_the_task(make_env, monkeypatch):
    monkeypatch.setattr(TASKS[SLIDE], "dense_reward", _progress)
    dense, sparse = make_env(SLIDE, reward_mode="dense"), make_env(SLIDE)
    for env in (dense, sparse):
        env.reset(seed=0)
    _, r_dense, *_ = dense.step(HOLD)
    _, r_sparse, *_ = sparse.step(HOLD)
    ee_x = dense.unwrapped.snapshot().ee_pos[0]
    assert r_dense == pytest.approx(ee_x) and 0.3 < r_dense < 0.7 and r_sparse == 0.0
    monkeypatch.setattr(TASKS[SLIDE], "success", lambda self, snap, variant: True)
    _, r, terminated, *_ = dense.step(HOLD)
    assert r == 1.0 and terminated  # a solved step earns the full reward


def test_dense_reward_on_a_task_without_one_fails_in_make(monkeypatch):
    monkeypatch.setattr(TASKS[SLIDE], "dense_reward", Task.dense_reward)
    with pytest.raises(ValueError, match=r"slide_block_to_target has no dense reward .*reward_mode='sparse'"):
        gym.make(env_id(SLIDE), reward_mode="dense")


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_tasks_dense_reward_is_a_number_in_the_unit_interval(task, make_env):
    if TASKS[task].dense_reward is Task.dense_reward:
        pytest.skip(f"{task} has no dense reward yet")
    env = make_env(task, reward_mode="dense")
    env.reset(seed=0)
    _, r, *_ = env.step(HOLD)
    assert isinstance(r, float) and 0.0 <= r <= 1.0


# ----------------------------------------------------------------------- step limits and frame rates
def test_each_control_mode_truncates_at_its_own_limit(make_env, monkeypatch):
    monkeypatch.setattr(TASKS[SLIDE], "max_episode_steps", 2)
    monkeypatch.setattr(TASKS[SLIDE], "max_delta_steps", 3)
    for mode, action, limit in (("ee_keyframe", HOLD, 2), ("ee_delta", STILL, 3)):
        env = make_env(SLIDE, control_mode=mode)
        assert env.spec.max_episode_steps == limit
        env.reset(seed=0)
        truncated = [env.step(action)[3] for _ in range(limit)]
        assert truncated == [False] * (limit - 1) + [True], mode


def test_an_explicit_step_limit_wins_in_either_mode(make_env):
    for mode in ("ee_keyframe", "ee_delta"):
        env = make_env(SLIDE, control_mode=mode, max_episode_steps=4)
        assert env.spec.max_episode_steps == 4
        assert str(env).count("TimeLimit") == 1, "one time limit, gym.make's"


def test_an_env_remade_from_its_spec_keeps_its_limit(make_env):
    env = make_env(SLIDE, control_mode="ee_delta")
    again = gym.make(env.spec)
    try:
        assert again.spec.max_episode_steps == TASKS[SLIDE].max_delta_steps
        assert str(again).count("TimeLimit") == 1
    finally:
        again.close()


def test_vector_envs_get_the_delta_limit():
    envs = gym.make_vec(env_id(SLIDE), num_envs=2, vectorization_mode="sync", control_mode="ee_delta")
    try:
        assert [e.spec.max_episode_steps for e in envs.envs] == [TASKS[SLIDE].max_delta_steps] * 2
        obs, _ = envs.reset(seed=[0, 1])
        assert obs["variant"].shape == (2, 1)
    finally:
        envs.close()


def test_render_fps_follows_the_control_mode(make_env):
    delta = make_env(SLIDE, control_mode="ee_delta", render_mode="rgb_array")
    keyframe = make_env(SLIDE, render_mode="rgb_array")
    assert delta.metadata["render_fps"] == 20 and delta.unwrapped.metadata["render_fps"] == 20
    assert keyframe.metadata["render_fps"] == 2
    assert type(delta.unwrapped).metadata["render_fps"] == 2  # an instance's, the class keeps its own
