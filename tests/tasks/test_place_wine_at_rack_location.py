"""place_wine_at_rack_location: only the bottle let go lying along the named cradle counts, the bottle
lies still in front of the rack at every size, it settles in a cradle at the height the rack says, and
the oracle solves the fixed seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler, rotation_matrix, to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.place_wine_at_rack_location import VARIANTS
from tests.tasks.conftest import oracle_solves

TASK = "place_wine_at_rack_location"


def _put(sim, local, yaw_rad: float = 0.0, pitch_rad: float = 0.0) -> None:
    """The bottle's centre at ``local`` (rack frame), turned ``yaw_rad`` off the rails, tipped ``pitch_rad``."""
    pose = sim.pose("rack")
    sim.set_pose("bottle", Pose(tuple(to_world(pose.pos, pose.quat, local)),
                                quat_from_euler(0.0, pitch_rad, pose.yaw_rad + yaw_rad)))


def _solved(w, variant: str) -> bool:
    return w.task.success(take_snapshot(w.sim, w.task.body_names()), variant)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("mo, ro", [(0.85, 1.15), (1.15, 0.85)])
def test_only_the_bottle_let_go_along_the_named_cradle_counts(world, variant, mo, ro):
    w = world(TASK, mo=mo, ro=ro, seed=2, variant=variant)
    sim, task = w.sim, w.task
    x, y, z = task.resting_at(variant)
    _put(sim, (x + 0.01, y, z + 0.004), np.pi)  # the neck toward the robot: either way round
    sim.step(240)  # it drops into the cradle and stays
    assert sim.pose("bottle").pos[2] - sim.pose("rack").pos[2] == pytest.approx(z, abs=2e-3)
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, variant)
    assert task.dense_reward(snap, variant) == 1.0
    assert not any(task.success(snap, v) for v in VARIANTS if v != variant)  # the wrong slot
    assert not task.success(replace(snap, grasped=frozenset({"bottle"})), variant)  # still held
    rack = task._rack
    for where, yaw, pitch in (((x, y, z + 0.05), 0.0, 0.0),  # held up above the cradle
                              ((x, y, z + 0.02), np.pi / 2, 0.0),  # lying across the rails
                              ((x, y, z + 0.06), 0.0, np.pi / 2),  # stood on end in the cradle: knocked over
                              ((-rack.length_m / 2 - 0.05, y, task._bottle.rest_height_m), 0.0, 0.0)):  # beside
        _put(sim, where, yaw, pitch)
        assert not _solved(w, variant), (where, yaw, pitch)


@pytest.mark.parametrize("mo, ro", [(0.85, 0.85), (1.0, 1.0), (1.15, 1.15), (1.15, 0.85)])
def test_every_size_resets_the_bottle_still_in_front_of_the_rack(world, mo, ro):
    w = world(TASK, mo=mo, ro=ro)
    sim, task = w.sim, w.task
    for seed in range(6):
        task.reset(sim, np.random.default_rng(seed), VARIANTS[seed % 3])
        start = np.asarray(sim.pose("bottle").pos)
        sim.step(240)
        rack = sim.pose("rack")
        local = rotation_matrix(rack.quat).T @ (np.asarray(sim.pose("bottle").pos) - np.asarray(rack.pos))
        assert local[0] < -task._rack.length_m / 2  # in front of the rack, toward the robot
        assert np.linalg.norm(np.asarray(sim.pose("bottle").pos) - start) < 0.005, seed  # lies still
        assert not sim.contacts("bottle", "rack")
        assert 0.3 < start[0] < 0.76 and abs(start[1]) < 0.3  # top-down reach
        assert not _solved(w, VARIANTS[seed % 3])


def test_the_bottle_stays_in_the_cradle_after_the_oracle_retracts(world):
    w = world(TASK, seed=4, variant="right")
    for kf in w.task.oracle(w.sim, "right"):  # every keyframe, the retract included
        w.robot.move_to(w.sim, kf.pos, kf.quat)
        if kf.gripper is not w.robot.command.gripper:
            w.robot.actuate_gripper(w.sim, kf.gripper)
    w.sim.step(480)
    assert _solved(w, "right")


def test_oracle_solves_the_fixed_seeds(world):
    solved = [oracle_solves(world(TASK, seed=seed, variant=VARIANTS[seed % 3]), VARIANTS[seed % 3])
              for seed in range(10)]
    assert sum(solved) >= 9, solved
