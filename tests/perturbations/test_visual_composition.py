"""Visual axes compose inside ``all``: changing one axis's parameters, the others fixed, changes its
target's pixels (a colour tints a texture, whatever the order the axes are applied in)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite import TASKS, env_id
from colosseum_lite.perturbations import AXES, applicable_axes
from colosseum_lite.perturbations.base import NAMED_COLORS, Scene
from colosseum_lite.perturbations.color import PaletteColorAxis, RGBColorAxis
from colosseum_lite.perturbations.light import LightAxis
from colosseum_lite.perturbations.texture import TextureAxis
from colosseum_lite.sim import Pose, RenderSettings, Sim
from colosseum_lite.textures import TextureSet
from tests.conftest import TASK_NAMES

VISUAL_AXES = ("mo_color", "ro_color", "mo_texture", "ro_texture", "table_color", "table_texture",
               "background_texture", "light_color")
CASES = [(t, a) for t in TASK_NAMES for a in VISUAL_AXES if a in applicable_axes(TASKS[t])]
SEED = 3
SIZE_PX = 64
MIN_TARGET_CHANGE = 4.0  # mean absolute pixel change (sum over channels, 0-255 each) in the target
MIN_TARGET_PX = 4  # target pixels the front camera must see at 64 px (the ball shows 6)
FLAT_LIGHT = RenderSettings(ambient=1.0, diffuse=0.0, specular=0.0)


def _ids(case):
    return f"{case[0]}-{case[1]}"


def _view(env):
    """RGB from the task's view camera and, per pixel, the name of the body seen ('' for none):
    distractors get new ids at every reset, their names stay."""
    rgb, _, seg = env.camera_image(env.task.view_camera, SIZE_PX, segmentation=True)
    ids = seg & 0xFFFFFF  # link bits dropped
    names = {int(i): env.sim.name_of(int(i)) or "" for i in np.unique(ids) if i >= 0}
    return rgb.astype(int), np.vectorize(lambda i: names.get(int(i), ""), otypes=[object])(ids)


class _Episode:
    """One env with ``all``, the params and front image of its ``SEED`` episode."""

    def __init__(self, task: str) -> None:
        self.env = gym.make(env_id(task), perturbations="all").unwrapped
        _, info = self.env.reset(seed=SEED)
        self.params = info["perturbation"]
        self.rgb, self.seg = _view(self.env)


@pytest.fixture(scope="module")
def episodes():
    made: dict[str, _Episode] = {}

    def get(task: str) -> _Episode:
        if task not in made:
            made[task] = _Episode(task)
        return made[task]

    yield get
    for ep in made.values():
        ep.env.close()


def _farthest_color(name: str) -> str:
    drawn = np.asarray(NAMED_COLORS[name])
    return max(NAMED_COLORS, key=lambda c: float(np.linalg.norm(np.subtract(NAMED_COLORS[c], drawn))))


def _other_texture(name: str, textures: TextureSet) -> str:
    first, second = textures.name(1), textures.name(2)  # two procedural families
    return second if name == first else first


def _farthest_rgb(rgb: list[float], rgb_range: tuple[float, float]) -> list[float]:
    lo, hi = rgb_range
    return [lo if v > (lo + hi) / 2 else hi for v in rgb]


def _changed(axis_name: str, params: dict, scene: Scene) -> dict:
    """Another valid draw of one axis, far from the recorded one."""
    axis = AXES[axis_name]
    if isinstance(axis, PaletteColorAxis):
        return {"colors": {b: _farthest_color(c) for b, c in params["colors"].items()}}
    if isinstance(axis, TextureAxis):
        return {"textures": {b: _other_texture(t, scene.textures) for b, t in params["textures"].items()}}
    if isinstance(axis, RGBColorAxis | LightAxis):
        return {"rgb": _farthest_rgb(params["rgb"], axis.rgb_range)}
    raise AssertionError(f"no alternative draw for {axis_name}")  # pragma: no cover


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_each_visual_axis_acts_inside_all(case, episodes):
    task, name = case
    ep = episodes(task)
    env = ep.env
    params = {**ep.params, name: _changed(name, ep.params[name], env.scene)}
    env.reset(seed=SEED, options={"perturbation": params})
    assert env.perturbation[name] == params[name]
    rgb, seg = _view(env)
    assert np.array_equal(seg, ep.seg), "changing a visual axis moved something"
    change = np.abs(rgb - ep.rgb).sum(axis=2)
    if isinstance(AXES[name], LightAxis):
        assert change.mean() > MIN_TARGET_CHANGE
        return
    targets = AXES[name].targets(env.scene, env.axes[name])
    mask = np.isin(seg, list(targets))
    assert mask.sum() >= MIN_TARGET_PX, f"{targets} barely visible from the front camera"
    assert change[mask].mean() > MIN_TARGET_CHANGE, f"{name} does nothing inside 'all' on {task}"
    assert (change[~mask] > 0).mean() < 0.01, "pixels outside the targets changed"


@pytest.mark.parametrize("task", TASK_NAMES)
def test_replaying_all_is_exact_after_a_changed_axis(task, episodes):
    ep = episodes(task)
    ep.env.reset(seed=SEED, options={"perturbation": ep.params})
    rgb, seg = _view(ep.env)
    assert np.array_equal(rgb, ep.rgb) and np.array_equal(seg, ep.seg)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_unperturbed_reset_after_all_is_exact(task, episodes):
    ep = episodes(task)
    ep.env.reset(seed=SEED + 1, options={"perturbation": {}})
    rgb, _ = _view(ep.env)
    fresh = gym.make(env_id(task)).unwrapped
    try:
        fresh.reset(seed=SEED + 1)
        rgb0, _ = _view(fresh)
    finally:
        fresh.close()
    assert np.array_equal(rgb, rgb0)
    assert not ep.env.scene.touched_looks


def _box_scene() -> tuple[Sim, Scene]:
    sim = Sim()
    sim.add_box("box", (0.05,) * 3, Pose((0.0, 0.0, 0.0)), 0.0, (0.2, 0.7, 0.3, 1.0))
    scene = Scene(task="box", roles={}, settings={}, static_bodies={"table": ("box",)}, nominal_light=FLAT_LIGHT,
                  free_area=None, textures=TextureSet.default(),
                  nominal_colors={"box": sim.colors("box")})
    return sim, scene


def _box_pixels(sim: Sim) -> np.ndarray:
    import pybullet as p

    view = p.computeViewMatrix((0.0, -0.3, 0.0), (0, 0, 0), (0, 0, 1))
    proj = p.computeProjectionMatrixFOV(30.0, 1.0, 0.01, 2.0)
    rgb, _, seg = sim.render(SIZE_PX, SIZE_PX, view, proj, FLAT_LIGHT, segmentation=True)
    return rgb[seg == sim.id("box")].astype(int)


def test_colour_tints_texture_in_either_order():
    color, texture = AXES["table_color"], AXES["table_texture"]
    name = TextureSet.default().name(1)
    rgb = [0.9, 0.3, 0.5]
    images = {}
    for order in ("color-texture", "texture-color", "texture", "color"):
        sim, scene = _box_scene()
        try:
            for step in order.split("-"):
                if step == "color":
                    color.apply(sim, scene, {"rgb": rgb})
                else:
                    texture.apply(sim, scene, {"textures": {"box": name}})
            images[order] = _box_pixels(sim)
        finally:
            sim.close()
    assert np.array_equal(images["color-texture"], images["texture-color"])
    # Texture alone shows as is (white tint); with a colour, the renderer multiplies the two.
    tinted = np.round(images["texture"] * np.asarray(rgb)).astype(int)
    assert np.abs(images["color-texture"] - tinted).max() <= 2
    assert images["texture"].std(axis=0).mean() > 8.0  # a pattern, not a flat colour
    assert np.abs(images["color"] - np.asarray(rgb) * 255).max() <= 1  # one flat colour: no texture


def test_a_dark_tint_leaves_the_texture_visible():
    color, texture = AXES["table_color"], AXES["table_texture"]
    images = []
    for index in (1, 2):
        sim, scene = _box_scene()
        try:
            color.apply(sim, scene, {"rgb": [0.0, 0.0, 0.0]})  # black, as mo_color may draw
            texture.apply(sim, scene, {"textures": {"box": TextureSet.default().name(index)}})
            images.append(_box_pixels(sim))
        finally:
            sim.close()
    assert images[0].std(axis=0).mean() > 3.0  # the pattern shows through the darkest tint
    assert np.abs(images[0] - images[1]).mean() > MIN_TARGET_CHANGE  # and another texture shows
