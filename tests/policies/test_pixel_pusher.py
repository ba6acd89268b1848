"""PixelPusher: the colour-keyed vision baseline solves the nominal task and falls to the colour axis."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.cameras import CAMERAS, camera_frame
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.policies import load_policy
from colosseum_lite.policies.pixel_pusher import PixelPusher, pixel_to_plane

SPEC = "colosseum_lite.policies.pixel_pusher:make"
TASK = "slide_block_to_target"
SEEDS = range(5)


def success_count(env, seeds) -> int:
    policy = load_policy(SPEC, env)
    return sum(run_episode(env, policy, seed, check_actions=True).success for seed in seeds)


def test_loads_from_spec(make_env):
    assert isinstance(load_policy(SPEC, make_env(TASK, obs_mode="rgb")), PixelPusher)


@pytest.mark.parametrize(("kwargs", "fix"), [
    ({"obs_mode": "state"}, "obs_mode='rgb'"),
    ({"obs_mode": "rgb", "cameras": ("wrist",)}, "'front' in cameras"),
    ({"obs_mode": "rgb", "control_mode": "ee_delta"}, "control_mode='ee_keyframe'"),
], ids=["state_obs", "no_front_camera", "ee_delta"])
def test_refuses_envs_it_cannot_see_or_drive(make_env, kwargs, fix):
    with pytest.raises(ValueError, match=fix):
        load_policy(SPEC, make_env(TASK, **kwargs))


def test_solves_the_unperturbed_task(make_env):
    assert success_count(make_env(TASK, obs_mode="rgb"), SEEDS) >= 4


def test_colour_axis_defeats_a_colour_keyed_policy(make_env):
    env = make_env(TASK, obs_mode="rgb", perturbations=["mo_color"])
    assert success_count(env, SEEDS) <= 2


@pytest.mark.parametrize("delta", [((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)), ((0.08, -0.05, 0.06), (0.04, -0.03, 0.02))],
                         ids=["nominal", "perturbed"])
def test_back_projection_inverts_projection(delta):
    frame = camera_frame(CAMERAS["front"], 128, None, *delta)
    for world in ([0.5, 0.1, 0.025], [0.35, -0.2, 0.0], [0.7, 0.05, 0.1]):
        cam = np.linalg.inv(frame.T_world_camera) @ np.array([*world, 1.0])
        uv = (frame.K @ cam[:3])[:2] / cam[2]
        back = pixel_to_plane(frame, (float(uv[0]), float(uv[1])), world[2])
        assert back is not None
        np.testing.assert_allclose(back, world, atol=1e-3)


def test_back_projection_misses_planes_behind_the_camera():
    frame = camera_frame(CAMERAS["front"], 128)
    assert pixel_to_plane(frame, (64.0, 64.0), 2.0) is None  # the front camera looks down from 0.7 m
