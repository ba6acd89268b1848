"""The Perturber: staged draws from per-axis streams, replay checks, and undo back to the nominal scene."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite import TASKS, env_id
from colosseum_lite.perturbations import AXES, resolve
from colosseum_lite.perturbations.base import Rect
from colosseum_lite.perturbations.lifecycle import Perturber, check_replay
from colosseum_lite.scene import DEFAULT_LIGHT, DISTRACTOR_AREA_M, TABLE, WALLS, build_static_scene
from colosseum_lite.seeding import stream
from colosseum_lite.sim import Sim

TASK = "close_box"
SEED = 3
STATIC = {"table": (TABLE,), "walls": WALLS}
# Every axis of the task that changes what a camera sees without moving anything.
LOOKS = ("mo_color", "mo_texture", "table_color", "table_texture", "background_texture", "light_color",
         "camera_pose")


@pytest.fixture
def sim():
    s = Sim()
    build_static_scene(s)
    yield s
    s.close()


def _perturber(sim: Sim, axes, texture_folder=None) -> Perturber:
    task = TASKS[TASK]
    return Perturber(sim, TASK, task.objects, resolve(task, axes), static_bodies=STATIC,
                     nominal_light=DEFAULT_LIGHT, free_area=Rect(*DISTRACTOR_AREA_M),
                     texture_folder=texture_folder)


def test_build_stage_axes_come_first_each_from_its_own_stream(sim):
    perturber = _perturber(sim, ("mo_size", "light_color"))
    perturber.begin(sim, SEED)
    scales = perturber.apply_build_stage(sim)
    assert list(perturber.params) == ["mo_size"]
    assert scales.mo == perturber.params["mo_size"]["scale"] and scales.ro == 1.0
    params = perturber.apply_scene_stage(sim, ())
    assert list(params) == ["mo_size", "light_color"]
    expected = AXES["light_color"].sample(stream(SEED, TASK, "light_color"), perturber.scene,
                                          perturber.axes["light_color"])
    assert params["light_color"] == expected
    assert perturber.scene.light.light_color == tuple(expected["rgb"])


def test_replay_applies_recorded_parameters_and_an_empty_replay_applies_none(sim):
    perturber = _perturber(sim, ("mo_size", "light_color"))
    recorded = {"mo_size": {"scale": 0.9}, "light_color": {"rgb": [0.1, 0.2, 0.3]}}
    perturber.begin(sim, SEED, recorded)
    assert perturber.apply_build_stage(sim).mo == 0.9
    assert perturber.apply_scene_stage(sim, ()) == recorded
    perturber.begin(sim, SEED, {})
    assert perturber.apply_build_stage(sim).mo == 1.0
    assert perturber.apply_scene_stage(sim, ()) == {}
    assert perturber.scene.light == DEFAULT_LIGHT


@pytest.mark.parametrize(("replay", "got"), [({"light_color": {}}, r"\['light_color'\]"), ([1], "list")])
def test_a_replay_of_other_axes_is_refused_before_anything_is_undone(sim, replay, got):
    perturber = _perturber(sim, ("mo_size",))
    perturber.begin(sim, SEED)
    perturber.apply_build_stage(sim)
    message = r"exactly this env's axes \['mo_size'\] \(as in info\['perturbation'\]\), got "
    with pytest.raises(ValueError, match=message + got):
        perturber.begin(sim, SEED, replay)
    assert perturber.scene.scales == {"mo": perturber.params["mo_size"]["scale"]}
    check_replay({}, perturber.axes)  # an unperturbed episode fits any env


def test_the_texture_set_loads_only_for_texture_axes_or_a_folder(sim, tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "grey.png"), np.full((8, 8, 3), 128, np.uint8))
    assert _perturber(sim, ("light_color",)).scene.textures is None
    assert len(_perturber(sim, ("table_texture",)).scene.textures) > 0
    assert "user/grey.png" in _perturber(sim, (), texture_folder=str(tmp_path)).scene.textures.names()


def test_undo_restores_the_nominal_scene():
    perturbed = gym.make(env_id(TASK), perturbations=(*LOOKS, "distractor"), obs_mode="rgb").unwrapped
    nominal = gym.make(env_id(TASK), obs_mode="rgb").unwrapped
    try:
        bodies = (TABLE, *WALLS, *perturbed.task.body_names())
        looks = {b: perturbed.sim.colors(b) for b in bodies}
        _, info = perturbed.reset(seed=SEED)
        scene = perturbed.perturber.scene
        assert scene.touched_looks and scene.distractors and scene.camera_offsets
        assert scene.light != DEFAULT_LIGHT
        assert any(perturbed.sim.colors(b) != looks[b] for b in bodies)
        perturbed.perturber.undo(perturbed.sim)
        assert not scene.touched_looks and not scene.distractors and not scene.camera_offsets
        assert scene.light == DEFAULT_LIGHT and not scene.scales
        assert not [b for b in perturbed.sim.bodies if b.startswith("distractor")]
        assert {b: perturbed.sim.colors(b) for b in bodies} == looks
        nominal.reset(seed=SEED)
        for cam in ("front", "left_shoulder", "overhead"):
            assert np.array_equal(perturbed.camera_image(cam, 96)[0], nominal.camera_image(cam, 96)[0]), cam
    finally:
        perturbed.close()
        nominal.close()
