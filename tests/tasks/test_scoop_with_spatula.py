"""scoop_with_spatula: the blade where the spec says, success refuses the shortcuts, a clear reset, the oracle."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler, to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.scoop_with_spatula import CUBE_HALF_M, LIFTED_M, SPATULA
from tests.helpers import oracle_episodes

TASK = "scoop_with_spatula"


@pytest.mark.parametrize("mo", [0.75, 1.25])
def test_the_blade_spec_at_its_built_scale_is_the_blade_the_engine_has(world, mo):
    sim = world(TASK, mo=mo).sim
    tool = SPATULA.scaled(mo)
    (blade, blade_at), (bevel, bevel_at), (handle, handle_at) = sim.collision_boxes("spatula")  # link frame
    assert blade_at[0] - blade[0] / 2 == pytest.approx(tool.blade_back_m, abs=1e-9)
    assert blade[2] == pytest.approx(tool.blade_top_m, abs=1e-9) == pytest.approx(mo * 0.002)
    assert blade[1] / 2 == pytest.approx(tool.half_width_m, abs=1e-9)
    assert handle_at[0] == pytest.approx(0.0, abs=1e-9) and handle_at[2] > tool.blade_top_m
    assert bevel_at[0] + bevel[0] / 2 == pytest.approx(tool.blade_front_m, abs=3e-4)  # the bevel ends at the tip
    assert bevel[2] < blade[2] / 3  # a thin lip: the cube's edge climbs it


def _scene(w, sp, lift_m, cube_local, cube_rpy=(0.0, 0.0, 0.0)):
    """The spatula level, ``lift_m`` above its pose ``sp`` on the table; the cube at ``cube_local`` (its frame)."""
    sim, task, _ = w
    at = Pose((sp.pos[0], sp.pos[1], sp.pos[2] + lift_m), sp.quat)
    sim.set_pose("spatula", at)
    yaw = sp.yaw_rad
    quat = quat_from_euler(cube_rpy[0], cube_rpy[1], yaw + cube_rpy[2])
    sim.set_pose("cube", Pose(tuple(float(v) for v in to_world(at.pos, at.quat, cube_local)), quat))
    return take_snapshot(sim, task.body_names())


def test_success_needs_the_cube_lifted_flat_on_the_blade_with_the_spatula_held_and_the_hand_off_it(world):
    w = world(TASK, seed=3)
    task, tool, h = w.task, SPATULA, CUBE_HALF_M
    on_blade = (tool.blade_center_m + 0.01, 0.0, tool.blade_top_m + h)
    held, sp = frozenset({"spatula"}), w.sim.pose("spatula")

    def ok(snap, grasped=held, touched=frozenset({"spatula"})):
        return task.success(replace(snap, grasped=grasped, touched=touched), "default")

    lifted = _scene(w, sp, 0.1, on_blade)
    assert ok(lifted)
    assert not ok(lifted, grasped=frozenset())  # the spatula not held
    assert not ok(lifted, touched=frozenset({"spatula", "cube"}))  # the hand holds the cube
    assert not ok(_scene(w, sp, LIFTED_M - 0.01, on_blade))  # not lifted high enough
    assert not ok(_scene(w, sp, 0.0, on_blade))  # the blade under the cube on the table
    assert not ok(_scene(w, sp, 0.1, (on_blade[0], 0.0, on_blade[2] + 0.02)))  # held in the air over the blade
    edge = (tool.blade_front_m + 0.3 * h, 0.0, tool.blade_top_m + 0.5 * h)  # balanced on the tip, centre beyond
    assert not ok(_scene(w, sp, 0.1, edge, (0.0, 0.6, 0.0)))
    beside = (on_blade[0], tool.half_width_m + 1.1 * h, -0.05)  # lying beside the blade, below it
    assert not ok(_scene(w, sp, 0.1, beside))
    tipped = (on_blade[0], 0.0, tool.blade_top_m + h * np.sqrt(2.0))  # knocked over onto an edge
    assert not ok(_scene(w, sp, 0.1, tipped, (np.pi / 4, 0.0, 0.0)))


@pytest.mark.parametrize("mo,ro", [(0.75, 1.5), (1.25, 0.75), (1.25, 1.5)])
def test_reset_lays_the_spatula_flat_and_clear_and_the_cube_by_the_fence(world, mo, ro):
    sim, task, _ = world(TASK, mo=mo, ro=ro)
    for seed in range(8):
        task.reset(sim, np.random.default_rng(seed), "default")
        sim.step(24)
        for other in ("cube", "fence"):
            gap = min(c[8] for c in sim.client.getClosestPoints(sim.id("spatula"), sim.id(other), 1.0))
            assert gap > 0.008, f"seed {seed}: spatula {gap:.4f} m from the {other}"
        gap = min(c[8] for c in sim.client.getClosestPoints(sim.id("cube"), sim.id("fence"), 1.0))
        assert 0.0 < gap < 0.012, f"seed {seed}: cube {gap:.4f} m from the fence"
        for name in ("spatula", "cube"):
            roll, pitch, _ = sim.client.getEulerFromQuaternion(sim.pose(name).quat)
            assert abs(roll) < 0.01 and abs(pitch) < 0.01, f"seed {seed}: {name} not flat"


def test_oracle_scoops_the_heaviest_cube_with_the_heaviest_spatula():
    heavy = {"object_mass": {"ranges": {"cube": (0.2, 0.2), "spatula": (0.5, 0.5)}}}
    failed = [r.seed for r in oracle_episodes(TASK, range(3), perturbations=heavy) if not r.success]
    assert not failed, f"seeds {failed}: the heaviest cube not scooped"
