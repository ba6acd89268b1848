"""Every bad ``gym.make`` keyword fails in make, naming the field, before a simulator exists."""

from __future__ import annotations

import inspect
import math
import time

import gymnasium as gym
import numpy as np
import pytest

import colosseum_lite.env as env_module
import colosseum_lite.sim as sim_module
from colosseum_lite import TASKS, env_id
from colosseum_lite.env import ColosseumEnv, check_make_kwargs
from colosseum_lite.eval.rollout import PolicyError, checked_action
from colosseum_lite.registration import MAKE_KWARGS, MakeConfig, make_config
from tests.conftest import TASK_NAMES

SLIDE, BOX = "slide_block_to_target", "close_box"


def _pert(axis: str, **overrides) -> dict:
    return {"perturbations": {axis: overrides}}


# (id, task, gym.make keywords, regex the ValueError must match: it names the field)
BAD = [
    ("image_size-float", SLIDE, {"image_size": 128.7}, r"image_size must be an integer in \[16, 1024\], got 128"),
    ("image_size-bool", SLIDE, {"image_size": True}, "image_size"),
    ("image_size-string", SLIDE, {"image_size": "128"}, "image_size"),
    ("image_size-too-small", SLIDE, {"image_size": 8}, "image_size"),
    ("render_size-float", SLIDE, {"render_size": 64.5}, "render_size"),
    ("render_size-string", SLIDE, {"render_size": "big"}, "render_size"),
    ("cameras-empty", SLIDE, {"cameras": []}, "cameras"),
    ("cameras-non-string", SLIDE, {"cameras": ["front", 3]}, "cameras"),
    ("cameras-duplicate", SLIDE, {"cameras": ("front", "front")}, r"cameras lists \['front'\] more than once"),
    ("cameras-not-a-list", SLIDE, {"cameras": 3}, "cameras"),
    ("range-string", BOX, _pert("mo_size", range="0.8,1.2"), r"\['mo_size'\].*range must be \[low, high\]"),
    ("range-string-items", BOX, _pert("mo_size", range=["a", "b"]), "range"),
    ("range-wrong-length", BOX, _pert("mo_size", range=[0.8, 1.0, 1.2]), "range"),
    ("range-nan", BOX, _pert("mo_size", range=[math.nan, 1.2]), "range"),
    ("range-inf", SLIDE, _pert("light_color", range=[0.1, math.inf]), "range"),
    ("choices-empty", SLIDE, _pert("mo_color", choices=[]), "choices"),
    ("choices-string", SLIDE, _pert("mo_color", choices="red"), "choices"),
    ("friction-negative", SLIDE, _pert("object_friction", range=[-0.5, 1.0]), r"object_friction range .*>= 0"),
    ("camera-shift-absurd", SLIDE, _pert("camera_pose", range=[-100, 100]), r"camera_pose range .*\[-0.5, 0.5\]"),
    ("table_color-over-one", SLIDE, _pert("table_color", range=[0.5, 1.5]), r"table_color range .*\[0.0, 1.0\]"),
    ("light_color-negative", SLIDE, _pert("light_color", range=[-0.1, 0.5]), r"light_color range .*\[0.0, 1.0\]"),
    ("count-on-axis-without-count", SLIDE, _pert("mo_color", count=2), r"mo_color has no 'count' setting"),
    ("count-float", SLIDE, _pert("distractor", count=2.5), "count must be an integer"),
    ("count-bool", SLIDE, _pert("distractor", count=True), "count must be an integer"),
    ("severity-string", SLIDE, _pert("light_color", severity="high"), "severity"),
    ("scale-tiny", BOX, _pert("mo_size", range=[1e-9, 1.0]), r"mo_size range must lie within \[0.25, 4.0\]"),
    ("scale-huge", BOX, _pert("mo_size", range=[1.0, 1000]), r"mo_size range must lie within \[0.25, 4.0\]"),
    ("targets-unknown", SLIDE, _pert("mo_color", targets=["blok"]), r"targets \['blok'\] .*\['block', 'target'\]"),
    ("targets-string", SLIDE, _pert("mo_color", targets="block"), "targets must be a non-empty list"),
    ("mass-unknown-body", SLIDE, _pert("object_mass", ranges={"blok": [1, 2]}), r"ranges \['blok'\]"),
    ("mass-zero", SLIDE, _pert("object_mass", ranges={"block": [0, 2]}), "range for block must be 0 < low"),
    ("mass-infinite", SLIDE, _pert("object_mass", ranges={"block": [1, math.inf]}), r"ranges\['block'\]"),
    ("same-not-bool", SLIDE, _pert("mo_color", same="yes"), "same must be True or False"),
    ("override-not-dict", BOX, {"perturbations": {"mo_size": 3}}, r"perturbations\['mo_size'\] must be a dict"),
    ("perturbations-int", SLIDE, {"perturbations": 3}, "perturbations must be"),
    ("perturbations-non-string-entry", SLIDE, {"perturbations": ["mo_color", 3]}, "perturbations must be"),
    ("max_episode_steps-minus-one", SLIDE, {"max_episode_steps": -1}, "max_episode_steps must be an integer >= 1"),
    ("max_episode_steps-zero", SLIDE, {"max_episode_steps": 0}, "max_episode_steps"),
    ("max_episode_steps-float", SLIDE, {"max_episode_steps": 2.5}, "max_episode_steps"),
    ("max_episode_steps-bool", SLIDE, {"max_episode_steps": True}, "max_episode_steps"),
    ("obs_mode-list", SLIDE, {"obs_mode": ["rgb"]},
     r"obs_mode must be one of \['state', 'rgb', 'rgbd', 'rgbd\+seg', 'pointcloud'\]"),
    ("obs_mode-seg-typo", SLIDE, {"obs_mode": "rgbd_seg"},
     r"unknown obs_mode 'rgbd_seg'; expected one of .*'rgbd\+seg'"),
    ("reward_mode-unknown", SLIDE, {"reward_mode": "shaped"},
     r"unknown reward_mode 'shaped'; expected one of \['sparse', 'dense'\]"),
    ("reward_mode-bool", SLIDE, {"reward_mode": True}, "reward_mode must be one of"),
    ("pointcloud_points-zero", SLIDE, {"pointcloud_points": 0}, r"pointcloud_points must be an integer in \[1, "),
    ("pointcloud_points-float", SLIDE, {"pointcloud_points": 1024.5}, "pointcloud_points"),
    ("control_mode-list", SLIDE, {"control_mode": ["ee_delta"]}, "control_mode must be one of"),
    ("variant-list", SLIDE, {"variant": ["default"]}, "variant"),
    ("render_mode-list", SLIDE, {"render_mode": ["rgb_array"]}, "render_mode"),
    ("low_poly-string", SLIDE, {"low_poly": "yes"}, "low_poly"),
    ("texture_folder-int", SLIDE, {"texture_folder": 3}, "texture_folder"),
    ("unknown-kwarg", SLIDE, {"image_sise": 64}, r"unknown gym.make keyword\(s\) \['image_sise'\].*'image_size'"),
]


@pytest.fixture
def no_simulator(monkeypatch):
    """Fail the test if anything connects to PyBullet or loads the texture set."""

    def refuse(*args, **kwargs):
        raise AssertionError("a simulator or the texture set was built")

    monkeypatch.setattr(sim_module, "connect", refuse)
    monkeypatch.setattr(env_module, "Sim", refuse)
    from colosseum_lite.textures import TextureSet

    monkeypatch.setattr(TextureSet, "default", refuse)


@pytest.mark.parametrize(("task", "kwargs", "match"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_make_kwarg_fails_in_make_naming_the_field(task, kwargs, match, no_simulator):
    with pytest.raises(ValueError, match=match) as made:
        gym.make(env_id(task), **kwargs)
    with pytest.raises(ValueError) as checked:
        check_make_kwargs(task, kwargs)
    assert str(checked.value) == str(made.value)  # one implementation


def test_valid_kwargs_pass_without_building_anything(no_simulator):
    kwargs = {
        "obs_mode": "rgbd", "control_mode": "ee_delta", "render_mode": "rgb_array", "cameras": ["front", "wrist"],
        "image_size": np.int64(64), "render_size": 96, "variant": None, "low_poly": False, "max_episode_steps": 7,
        "reward_mode": "sparse", "pointcloud_points": 1024,
        "perturbations": {"object_mass": {"ranges": {"block": [1, 2]}, "severity": 0.5},
                          "mo_texture": {}, "light_color": {"range": (0.2, 0.3)}, "distractor": {"count": 3}},
    }
    start = time.perf_counter()
    assert check_make_kwargs(SLIDE, kwargs) is None
    for task in TASK_NAMES:
        check_make_kwargs(task, {})
        check_make_kwargs(task, {"perturbations": "all"})
    assert time.perf_counter() - start < 1.0  # pure checks: a sweep runs them for every env


def test_unknown_task_names_the_tasks():
    with pytest.raises(ValueError, match=r"unknown task 'nope'; expected one of \["):
        check_make_kwargs("nope", {})


def test_make_config_defaults_are_the_env_defaults():
    params = inspect.signature(ColosseumEnv.__init__).parameters
    names = [n for n in params if n not in ("self", "task")]
    assert list(MAKE_KWARGS) == [*names, "max_episode_steps"]
    assert make_config(SLIDE, {n: params[n].default for n in names}) == MakeConfig(SLIDE)


def test_a_valid_step_limit_still_reaches_the_time_limit():
    env = gym.make(env_id(SLIDE), max_episode_steps=2)
    try:
        env.reset(seed=0)
        hold = np.array([0.5, 0.0, 0.3, 1, 0, 0, 0, 1], np.float32)
        assert not env.step(hold)[3]
        assert env.step(hold)[3]  # truncated at 2
    finally:
        env.close()


def test_rgb_array_list_collects_frames():
    env = gym.make(env_id(SLIDE), render_mode="rgb_array_list", render_size=32)
    try:
        env.reset(seed=0)
        frames = env.render()
        assert isinstance(frames, list) and frames[0].shape == (32, 32, 3)
    finally:
        env.close()
    with pytest.raises(ValueError, match="rgb_array_list"):
        ColosseumEnv(SLIDE, render_mode="rgb_array_list")


NOT_NUMBERS = {
    "complex": np.zeros(8, complex),
    "strings": ["0.5"] * 8,
    "object-array": np.array([0.5] * 7 + [None], dtype=object),
    "bools": [True] * 8,
    "ragged": [[0.5, 0.0], [0.3]],
}


@pytest.fixture(scope="module")
def slide_env():
    env = gym.make(env_id(SLIDE))
    env.reset(seed=0)
    yield env
    env.close()


@pytest.mark.parametrize("action", list(NOT_NUMBERS.values()), ids=list(NOT_NUMBERS))
def test_step_refuses_actions_that_are_not_numbers(action, slide_env):
    with pytest.raises(ValueError, match="action must be 8 finite numbers"):
        slide_env.unwrapped.step(action)


@pytest.mark.parametrize("action", [*NOT_NUMBERS.values(), np.full(8, np.nan)], ids=[*NOT_NUMBERS, "nan"])
def test_checked_action_refuses_actions_that_are_not_numbers(action):
    space = gym.spaces.Box(-2.0, 2.0, (8,), np.float32)
    with pytest.raises(PolicyError):
        checked_action(space, action)
    assert checked_action(space, [0.5] * 8).dtype == np.float32
    assert checked_action(space, np.zeros(8, np.int64)).dtype == np.float32  # integers are numbers


def test_every_registered_task_accepts_its_defaults(no_simulator):
    for task in TASKS:
        check_make_kwargs(task, {"max_episode_steps": None})
