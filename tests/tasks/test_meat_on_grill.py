"""meat_on_grill: only the named meat lying on the grate and let go counts, the meats lie still on either
side of the grill at every size, and the oracle solves the fixed seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler, rotation_matrix, to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.meat_on_grill import GRILL, VARIANTS
from tests.tasks.conftest import oracle_solves


def _put(sim, name: str, local, yaw_rad: float = 0.0) -> None:
    """A meat's centre at ``local`` in the grill's frame, lying flat, turned ``yaw_rad`` from the bars."""
    pose = sim.pose("grill")
    sim.set_pose(name, Pose(tuple(to_world(pose.pos, pose.quat, local)), quat_from_euler(0.0, 0.0,
                                                                                        pose.yaw_rad + yaw_rad)))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("mo", [0.65, 1.15])
def test_only_the_named_meat_let_go_on_the_grate_counts(world, variant, mo):
    w = world("meat_on_grill", mo=mo, seed=3, variant=variant)
    sim, task = w.sim, w.task
    rest = task._meats[variant].rest_height_m
    _put(sim, variant, (0.02, -0.01, GRILL.grate_top_z_m + rest + 0.005), 0.3)
    sim.step(240)  # it drops onto the bars and stays
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, variant)
    assert task.dense_reward(snap, variant) == 1.0
    other = next(v for v in VARIANTS if v != variant)
    assert not task.success(snap, other)  # the other meat, still on the table, does not count
    assert not task.success(replace(snap, grasped=frozenset({variant})), variant)  # still held
    for where in ((0.0, 0.0, GRILL.grate_top_z_m + rest + 0.03),  # held up above the grate
                  (0.0, GRILL.width_m / 2 + 0.06, rest),  # on the table beside the grill
                  (GRILL.length_m / 2 + 0.01, 0.0, GRILL.grate_top_z_m + rest)):  # off the grate's end
        _put(sim, variant, where)
        assert not task.success(take_snapshot(sim, task.body_names()), variant), where


@pytest.mark.parametrize("mo", [0.65, 1.0, 1.15])
def test_every_size_resets_the_meats_still_on_either_side_of_the_grill(world, mo):
    w = world("meat_on_grill", mo=mo)
    sim, task = w.sim, w.task
    for seed in range(6):
        task.reset(sim, np.random.default_rng(seed), VARIANTS[seed % 2])
        start = {m: np.asarray(sim.pose(m).pos) for m in VARIANTS}
        sim.step(240)
        grill = sim.pose("grill")
        across = [float(rotation_matrix(grill.quat)[:, 1] @ (start[m] - np.asarray(grill.pos))) for m in VARIANTS]
        assert across[0] * across[1] < 0  # one on each side
        for m in VARIANTS:
            assert np.linalg.norm(np.asarray(sim.pose(m).pos) - start[m]) < 0.005, (seed, m)  # lies still
            assert sim.aabb(m)[0][2] == pytest.approx(0.0, abs=5e-3)
            assert not sim.contacts(m, "grill")
            assert 0.3 < sim.pose(m).pos[0] < 0.76 and abs(sim.pose(m).pos[1]) < 0.3  # top-down reach


def test_the_grate_is_a_flat_surface_on_top_of_the_grill(world):
    sim = world("meat_on_grill").sim
    sim.set_pose("grill", Pose((0.6, 0.0, 0.0)))
    lo, hi = sim.aabb("grill", GRILL.GRATE)
    assert hi[2] == pytest.approx(GRILL.grate_top_z_m, abs=2e-3)
    assert (hi[:2] - lo[:2]) / 2 == pytest.approx(np.asarray(GRILL.grate_half_xy_m), abs=2e-3)


def test_the_meats_named_sizes_are_where_the_built_bodies_have_them(world):
    w = world("meat_on_grill", mo=1.15)
    sim, task = w.sim, w.task
    sim.set_pose("grill", Pose((0.5, 0.4, 0.0)))  # out of the way
    for name, part in task._meats.items():
        sim.set_pose(name, Pose((0.5, 0.0, 0.3)))
        state = sim.body_state(name)  # every link's bounding box
        lo, hi = state.aabb_lo, state.aabb_hi
        assert part.length_m <= hi[0] - lo[0] <= part.length_m + 7e-3  # a cylinder's box pads it up to 3 mm
        assert (hi[0] + lo[0]) / 2 - 0.5 == pytest.approx(part.middle_x_m, abs=2e-3)
        assert part.grip_width_m <= hi[1] - lo[1] <= part.grip_width_m + 7e-3
        sim.set_pose(name, Pose((0.5, 0.0, part.rest_height_m + 0.002)))
        sim.step(120)  # it settles on the table at its rest height
        assert sim.pose(name).pos[2] == pytest.approx(part.rest_height_m, abs=1.5e-3)
        sim.set_pose(name, Pose((0.5, -0.3, 0.3)))  # out of the way of the next


def test_oracle_solves_the_fixed_seeds(world):
    solved = [oracle_solves(world("meat_on_grill", seed=seed, variant=VARIANTS[seed % 2]), VARIANTS[seed % 2])
              for seed in range(10)]
    assert sum(solved) >= 9, solved
