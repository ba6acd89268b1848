"""Distractor models: the fixed set, their URDFs at rest on a table, the placement sampler, physics cost."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from colosseum_lite.distractors import (
    DISTRACTOR_MODELS,
    MAX_FOOTPRINT_RADIUS_M,
    MAX_HEIGHT_M,
    MIN_HEIGHT_M,
    Circle,
    Placement,
    Rect,
    distractor_index,
    distractor_urdf,
    footprint_radius_m,
    mesh_bounds,
    place,
    spawn,
)
from colosseum_lite.sim import Pose, Sim

IDS = [m.name for m in DISTRACTOR_MODELS]
AREA = Rect(0.3, 0.75, -0.35, 0.35)
TASK_OBJECTS = (Circle(0.5, 0.0, 0.06), Circle(0.6, 0.2, 0.04))
N = len(DISTRACTOR_MODELS)


def _table_sim() -> Sim:
    """A Sim with a static table box whose top is at z = 0."""
    sim = Sim()
    sim.add_box("table", (0.6, 0.6, 0.025), Pose((0.5, 0.0, -0.025)), 0.0, (0.7, 0.6, 0.5, 1))
    return sim


def test_the_set_is_78_named_models():
    assert N == 78
    assert len(set(IDS)) == N
    assert distractor_index(IDS[5]) == 5
    with pytest.raises(KeyError, match="expected one of"):
        distractor_index("random_urdfs/168")


@pytest.mark.parametrize("model", DISTRACTOR_MODELS, ids=IDS)
def test_model_data_matches_its_mesh_and_size_limits(model):
    half, xyz = mesh_bounds(model)
    assert np.allclose(half, model.half_extents_m, atol=2e-5)
    assert np.allclose(xyz, model.mesh_xyz_m, atol=2e-5)
    assert MIN_HEIGHT_M <= model.height_m <= MAX_HEIGHT_M
    assert footprint_radius_m(model) <= MAX_FOOTPRINT_RADIUS_M
    assert all(0.0 <= c <= 1.0 for c in model.rgba) and model.rgba[3] == 1.0
    assert 0.0 < model.mass_kg <= 0.3


def test_urdf_paths_are_content_addressed():
    a, b = DISTRACTOR_MODELS[0], DISTRACTOR_MODELS[1]
    assert distractor_urdf(a) == distractor_urdf(a) != distractor_urdf(b)
    text = open(distractor_urdf(a)).read()
    assert text.count("<collision>") == 1 and "<box size=" in text and "<mesh filename=\"/" in text


@pytest.mark.parametrize("idx", range(N), ids=IDS)
def test_each_model_settles_flat_on_the_table(idx):
    model = DISTRACTOR_MODELS[idx]
    sim = _table_sim()
    try:
        drop = Placement(idx, 0.5, 0.0, model.half_extents_m[2] + 0.01, yaw=0.37 * idx)
        spawn(sim, "d", drop)
        sim.step(240)  # 1 s at 240 Hz
        lin, ang = sim.velocity("d")
        assert np.linalg.norm(lin) < 0.05 and np.linalg.norm(ang) < 0.5
        lo, hi = sim.aabb("d")
        assert abs(lo[2]) < 0.01, f"bottom at {lo[2]:.4f} m, table top at 0"
        assert sim.pose("d").pos[2] == pytest.approx(model.half_extents_m[2], abs=0.005)
        assert np.hypot(*(np.asarray(sim.pose("d").pos[:2]) - (0.5, 0.0))) < 0.01  # no skidding away
    finally:
        sim.close()


def _check_placements(placements: list[Placement], occupied: tuple[Circle, ...], gap: float) -> None:
    discs = []
    for pl in placements:
        x, y, z = pl.x, pl.y, pl.z
        model = DISTRACTOR_MODELS[pl.model_index]
        r = footprint_radius_m(model)
        assert AREA.x_min + r <= x <= AREA.x_max - r and AREA.y_min + r <= y <= AREA.y_max - r
        assert z == model.half_extents_m[2]
        discs.append(Circle(x, y, r))
    for a, b in itertools.product(discs, occupied):
        assert math.hypot(a.x - b.x, a.y - b.y) >= a.radius + b.radius + gap - 1e-12
    for a, b in itertools.combinations(discs, 2):
        assert math.hypot(a.x - b.x, a.y - b.y) >= a.radius + b.radius + gap - 1e-12


@pytest.mark.parametrize("count", [1, 2, 5, 8])
def test_place_never_overlaps_and_stays_in_the_area(count):
    for seed in range(150):
        rng = np.random.default_rng(seed)
        idx = [int(i) for i in rng.integers(0, N, count)]
        placements = place(rng, idx, AREA, TASK_OBJECTS)
        rest = iter(idx)
        assert all(any(pl.model_index == i for i in rest) for pl in placements)  # in order, a subsequence
        _check_placements(placements, TASK_OBJECTS, 0.05)
        if count <= 2:
            assert len(placements) == count  # the usual case always fits


def test_place_is_deterministic_and_seeds_differ():
    def run(seed: int) -> list[Placement]:
        return place(np.random.default_rng(seed), [3, 40, 77], AREA, TASK_OBJECTS)

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_place_leaves_out_what_does_not_fit():
    small = Rect(0.0, 0.2, 0.0, 0.2)
    placements = place(np.random.default_rng(0), list(range(10)), small, (), max_tries=100)
    assert 1 <= len(placements) < 10
    assert place(np.random.default_rng(0), [0], Rect(0.0, 0.05, 0.0, 0.05), ()) == []
    with pytest.raises(IndexError, match="expected 0..77"):
        place(np.random.default_rng(0), [78], AREA, ())
    with pytest.raises(ValueError, match="x_min <= x_max"):
        place(np.random.default_rng(0), [0], Rect(1.0, 0.0, 0.0, 1.0), ())


def _scene_with_four() -> Sim:
    sim = _table_sim()
    placements = place(np.random.default_rng(3), [0, 20, 72, 77], AREA, ())
    assert len(placements) == 4
    for k, pl in enumerate(placements):
        spawn(sim, f"d{k}", pl)
    return sim


def test_restore_state_is_exact_with_distractors_in_contact():
    sim = _scene_with_four()
    try:
        sim.step(120)  # settle into resting contact with the table
        names = [f"d{k}" for k in range(4)]
        assert all(sim.contacts(n, "table") for n in names)
        state = sim.save_state()
        sim.step(100)
        first = [sim.pose(n) for n in names]
        sim.restore_state(state)
        sim.step(100)
        assert [sim.pose(n) for n in names] == first
    finally:
        sim.close()


def test_physics_speed_with_four_distractors():
    sim = _scene_with_four()
    try:
        sim.step(50)
        steps = 2000
        t0 = time.perf_counter()
        sim.step(steps)
        rate = steps / (time.perf_counter() - t0)
    finally:
        sim.close()
    print(f"table + 4 distractors: {rate:,.0f} steps/s")
    assert rate > 2000  # ~30k on an idle core; loose on a shared machine
