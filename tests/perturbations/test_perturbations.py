"""Every (task, applicable axis): sampling is pure and seeded, and applying changes what it claims."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite import TASKS, env_id
from colosseum_lite.perturbations import AXES, Stage, applicable_axes, resolve
from colosseum_lite.perturbations.camera import CameraAxis
from colosseum_lite.perturbations.color import PaletteColorAxis, RGBColorAxis
from colosseum_lite.perturbations.distractor import DistractorAxis
from colosseum_lite.perturbations.dynamics import FrictionAxis, MassAxis
from colosseum_lite.perturbations.light import LightAxis
from colosseum_lite.perturbations.scale import ScaleAxis
from colosseum_lite.perturbations.texture import TextureAxis
from colosseum_lite.seeding import stream
from tests.conftest import TASK_NAMES

PAIRS = [(t, a) for t in TASK_NAMES for a in applicable_axes(TASKS[t])]
SEED = 3
MIN_TARGET_CHANGE = 4.0  # mean absolute pixel change inside the target mask (0-255 scale)


def _ids(pair):
    return f"{pair[0]}-{pair[1]}"


def _make(task: str, axes=None, **kw) -> gym.Env:
    return gym.make(env_id(task), perturbations=axes, **kw).unwrapped


def _view(env, size=128):
    """The task's view camera (front, or where a tall body hides the others from the front)."""
    rgb, _, seg = env.camera_image(env.task.view_camera, size, segmentation=True)
    return rgb.astype(int), seg & 0xFFFFFF


@pytest.fixture(scope="module")
def nominal_envs():
    envs = {t: _make(t) for t in TASK_NAMES}
    yield envs
    for env in envs.values():
        env.close()


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_sampling_is_pure_seeded_and_serialisable(pair):
    task, name = pair
    env = _make(task, (name,))
    env.reset(seed=0)
    scene, setting, axis = env.scene, env.axes[name], AXES[name]
    env.close()  # no simulator from here on: sampling must not need one
    draws = [axis.sample(stream(s, task, name), scene, setting) for s in (SEED, SEED, 10, 11, 12, 13)]
    assert draws[0] == draws[1]
    assert any(d != draws[0] for d in draws[2:]), f"{name} draws the same parameters for every seed"
    assert json.loads(json.dumps(draws[0])) == draws[0]


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_axis_changes_what_it_claims(pair, nominal_envs):
    task, name = pair
    axis = AXES[name]
    nominal = nominal_envs[task]
    nominal.reset(seed=SEED)
    env = _make(task, (name,))
    _, info = env.reset(seed=SEED)
    params = info["perturbation"][name]
    try:
        if isinstance(axis, (PaletteColorAxis, TextureAxis, RGBColorAxis)):
            _check_local_visual(env, nominal, axis.targets(env.scene, env.axes[name]))
        elif isinstance(axis, LightAxis):
            rgb, _ = _view(env)
            rgb0, _ = _view(nominal)
            assert np.abs(rgb - rgb0).mean() > MIN_TARGET_CHANGE
            assert env.scene.light.light_color == tuple(params["rgb"])
        elif isinstance(axis, CameraAxis):
            for cam in ("front", "left_shoulder", "right_shoulder", "wrist", "overhead"):
                moved = env.camera_frame(cam).view_matrix != nominal.camera_frame(cam).view_matrix
                assert moved == (cam in axis.cameras), cam
            delta = np.asarray(params["cameras"]["front"]["delta_pos_m"])
            shift = (env.camera_frame("front").T_world_camera[:3, 3]
                     - nominal.camera_frame("front").T_world_camera[:3, 3])
            assert np.allclose(shift, delta, atol=1e-9)  # the extrinsics a user reads are the perturbed ones
        elif isinstance(axis, (FrictionAxis, MassAxis)):
            key, field = ("lateral_friction", "lateral_friction") if isinstance(axis, FrictionAxis) \
                else ("mass_kg", "mass")
            for body, value in params[key].items():
                assert env.sim.dynamics(body)[field] == pytest.approx(value)
                assert abs(value - nominal.sim.dynamics(body)[field]) > 1e-3
        elif isinstance(axis, ScaleAxis):
            scale = params["scale"]
            assert abs(scale - 1.0) > 1e-3
            for body in axis.targets(env.scene, env.axes[name]):
                sized = env.task.sized_links.get(body)
                for link in sized if sized else (-1,):  # the links it declares, else the whole body
                    ext = np.subtract(*env.sim.aabb(body, link)[::-1])
                    ext0 = np.subtract(*nominal.sim.aabb(body, link)[::-1])
                    assert np.max(ext) == pytest.approx(scale * np.max(ext0), rel=0.06), (body, link)
                if sized:  # and the rest of it keeps its size
                    scaled = {env.sim.link(body, k) for k in sized}
                    for i in (i for i in env.sim.link_indices(body) if i not in scaled):
                        assert np.allclose(np.subtract(*env.sim.aabb(body, i)[::-1]),
                                           np.subtract(*nominal.sim.aabb(body, i)[::-1]), atol=1e-6), (body, i)
        elif isinstance(axis, DistractorAxis):
            _check_distractors(env, nominal, env.axes[name].count)
        else:  # pragma: no cover - a new axis class needs its own check here
            raise AssertionError(f"no check for axis class {type(axis).__name__}")
    finally:
        env.close()


def _check_local_visual(env, nominal, targets):
    rgb, seg = _view(env)
    rgb0, seg0 = _view(nominal)
    ids = {env.sim.id(b) for b in targets}
    ids0 = {nominal.sim.id(b) for b in targets}
    mask, mask0 = np.isin(seg, list(ids)), np.isin(seg0, list(ids0))
    assert np.array_equal(mask, mask0), "the perturbation moved something"
    assert mask.sum() >= 20, f"targets {targets} barely visible from {env.task.view_camera}"
    change = np.abs(rgb - rgb0).sum(axis=2)
    assert change[mask].mean() > MIN_TARGET_CHANGE
    assert (change[~mask] > 0).mean() < 0.002, "pixels outside the targets changed"


def _check_distractors(env, nominal, count):
    assert len(env.scene.distractors) == count
    assert env.sim.client.getNumBodies() == nominal.sim.client.getNumBodies() + count
    task_boxes = [env.sim.aabb(b) for b in env.task.body_names()]
    boxes = [env.sim.aabb(d) for d in env.scene.distractors]
    for i, (lo, hi) in enumerate(boxes):
        assert abs(lo[2]) < 0.01, "distractor floats or sinks"
        assert np.linalg.norm(env.sim.velocity(env.scene.distractors[i])[0]) < 0.05
        for lo2, hi2 in task_boxes + boxes[:i]:
            overlap = np.all(lo[:2] < hi2[:2]) and np.all(lo2[:2] < hi[:2])
            assert not overlap, "distractor overlaps another object"
        for x, y, r in env.task.keep_clear(env.sim, env.variant):  # the task's own working space
            nearest = np.clip((x, y), lo[:2], hi[:2])
            assert np.hypot(*(nearest - (x, y))) > r - 0.005, "distractor stands where the task works"


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_unperturbed_reset_after_perturbed_episode_is_exact(pair, nominal_envs):
    task, name = pair
    env = _make(task, (name,), obs_mode="rgb")
    try:
        env.reset(seed=SEED)
        obs, info = env.reset(seed=SEED + 1, options={"perturbation": {}})
        assert info["perturbation"] == {}
        fresh = _make(task, obs_mode="rgb")
        obs0, _ = fresh.reset(seed=SEED + 1)
        for k in obs0:
            assert np.array_equal(obs[k], obs0[k]), k
        for body in fresh.task.body_names():
            assert env.sim.dynamics(body) == fresh.sim.dynamics(body)
        assert env.sim.client.getNumBodies() == fresh.sim.client.getNumBodies()
        fresh.close()
    finally:
        env.close()


@pytest.mark.parametrize("task", TASK_NAMES)
def test_all_applies_every_axis_and_replays_exactly(task):
    env = _make(task, "all", obs_mode="rgb")
    try:
        first, info = env.reset(seed=SEED)
        assert set(info["perturbation"]) == set(applicable_axes(TASKS[task]))
        env.reset(seed=SEED + 1)
        again, _ = env.reset(seed=SEED, options={"perturbation": json.loads(json.dumps(info["perturbation"]))})
        for k in first:
            assert np.array_equal(first[k], again[k]), k
    finally:
        env.close()
    other = _make(task, "all", obs_mode="rgb")
    replayed, _ = other.reset(seed=SEED, options={"perturbation": info["perturbation"]})
    other.close()
    for k in first:
        assert np.array_equal(first[k], replayed[k]), k


def test_adding_an_axis_never_changes_another_axis_draws():
    task = "slide_block_to_target"
    one = _make(task, ("mo_color",))
    many = _make(task, ("mo_color", "light_color", "camera_pose", "object_mass"))
    try:
        for seed in range(4):
            a = one.reset(seed=seed)[1]["perturbation"]["mo_color"]
            b = many.reset(seed=seed)[1]["perturbation"]["mo_color"]
            assert a == b
    finally:
        one.close()
        many.close()


def test_unknown_and_inapplicable_axes_name_the_choices():
    with pytest.raises(ValueError, match=r"unknown axis 'mo_colour'; expected one of \['background_texture'"):
        gym.make("ColosseumLite/SlideBlockToTarget-v0", perturbations=("mo_colour",))
    with pytest.raises(ValueError, match="axis 'ro_color' does not apply to slide_block_to_target; applicable: "):
        gym.make("ColosseumLite/SlideBlockToTarget-v0", perturbations="ro_color")


def test_custom_range_and_severity():
    task = TASKS["slide_block_to_target"]
    active = resolve(task, {"object_mass": {"severity": 0.0}, "light_color": {"range": (0.2, 0.3)}})
    assert active["object_mass"].severity == 0.0
    env = _make("slide_block_to_target", {"object_mass": {"severity": 0.0}, "light_color": {"range": (0.2, 0.3)}})
    try:
        info = env.reset(seed=0)[1]["perturbation"]
        assert info["object_mass"]["mass_kg"]["block"] == pytest.approx(env.scene.nominal_dynamics["block"][-1][0])
        assert all(0.2 <= v <= 0.3 for v in info["light_color"]["rgb"])
    finally:
        env.close()
    with pytest.raises(ValueError, match="severity must be in"):
        resolve(task, {"light_color": {"severity": 2}})
    with pytest.raises(ValueError, match="unknown axis setting"):
        resolve(task, {"light_color": {"sevrity": 0.5}})
    with pytest.raises(ValueError, match="low <= high"):
        resolve(task, {"light_color": {"range": (0.5, 0.1)}})
    with pytest.raises(ValueError, match=r"ranges\['block'\] must be \[low, high\].*got None"):
        resolve(task, {"object_mass": {"ranges": {"block": None}}})


def test_bad_replay_parameters_are_rejected():
    env = _make("slide_block_to_target", ("mo_color",))
    try:
        with pytest.raises(ValueError, match=r"exactly this env's axes \['mo_color'\]"):
            env.reset(seed=0, options={"perturbation": {"light_color": {"rgb": [0, 0, 0]}}})
    finally:
        env.close()


def test_registry_holds_the_14_axes_with_stages():
    assert len(AXES) == 14
    assert {n for n, a in AXES.items() if a.stage is Stage.BUILD} == {"mo_size", "ro_size", "distractor"}
    for task in TASKS.values():
        assert set(applicable_axes(task)) >= {"light_color", "table_color", "table_texture", "background_texture",
                                              "camera_pose"}


def test_a_users_texture_folder_joins_the_texture_set(tmp_path):
    import cv2

    img = np.zeros((64, 64, 3), np.uint8)
    img[::8] = 255  # stripes
    cv2.imwrite(str(tmp_path / "stripes.png"), img)
    env = _make("slide_block_to_target", ("mo_texture",), texture_folder=str(tmp_path))
    try:
        assert "user/stripes.png" in env.scene.textures.names()
        params = {"mo_texture": {"textures": {"block": "user/stripes.png"}}}
        env.reset(seed=0, options={"perturbation": params})  # replaying a draw of the user's image
        rgb, seg = _view(env)
        assert seg.size and rgb[seg == env.sim.id("block")].std() > 20
    finally:
        env.close()
    with pytest.raises(ValueError, match="nope"):
        _make("slide_block_to_target", ("mo_texture",), texture_folder=str(tmp_path / "nope"))


LONG_TEXTURE = "procedural/a_very_long_texture_name_indeed.png"
DESCRIBED = {
    "mo_color": ({"colors": {"block": "red", "lid": "navy", "box": "red"}}, "navy, red"),
    "ro_color": ({"colors": {"target": "lime"}}, "lime"),
    "mo_texture": ({"textures": {"block": "pybullet/checker_blue.png"}}, "checker_blue.png"),
    "ro_texture": ({"textures": {"a": "procedural/marble_3", "b": "procedural/marble_3"}}, "marble_3"),
    "table_texture": ({"textures": {"table": LONG_TEXTURE}}, LONG_TEXTURE.split("/")[-1][:28]),
    "background_texture": ({"textures": {"wall_0": "procedural/b", "wall_1": "procedural/a"}}, "a, b"),
    "mo_size": ({"scale": 1.084}, "scale 1.08"),
    "ro_size": ({"scale": 0.75}, "scale 0.75"),
    "light_color": ({"rgb": [0.1, 0.25, 0.5]}, "rgb 0.10 0.25 0.50"),
    "table_color": ({"rgb": [1.0, 0.333, 0.0]}, "rgb 1.00 0.33 0.00"),
    "distractor": ({"objects": [{"model": "mug"}, {"model": "duck"}]}, "2 objects"),
    "camera_pose": ({"cameras": {"front": {"delta_pos_m": [0.01, -0.05, 0.093], "delta_euler_rad": [0.0] * 3},
                                 "wrist": {"delta_pos_m": [0.3, 0.3, 0.3], "delta_euler_rad": [0.0] * 3}}},
                    "front moved +0.01 -0.05 +0.09"),
    "object_friction": ({"lateral_friction": {"block": 0.8, "target": 1.0}}, "block mu 0.80, target mu 1.00"),
    "object_mass": ({"mass_kg": {"block": 2.5}}, "block 2.50 kg"),
}


def test_every_axis_has_a_described_example():
    assert set(DESCRIBED) == set(AXES)


@pytest.mark.parametrize("name", sorted(DESCRIBED))
def test_describe_puts_parameters_in_words(name):
    params, expected = DESCRIBED[name]
    assert AXES[name].describe(params) == expected


@pytest.mark.parametrize("name", sorted(AXES))
def test_describe_captions_sampled_parameters_as_the_gallery_shows_them(name):
    from colosseum_lite.gallery import summarize

    task = next(t for t in TASK_NAMES if name in applicable_axes(TASKS[t]))
    env = _make(task, (name,))
    try:
        captions = {AXES[name].describe(env.reset(seed=s)[1]["perturbation"][name]) for s in (SEED, SEED + 1)}
        params = env.perturbation[name]
    finally:
        env.close()
    assert all(isinstance(c, str) and c for c in captions)
    assert summarize(name, params) == AXES[name].describe(params)
    assert summarize(name, {}) == "" and summarize("no_perturbation", params) == ""
