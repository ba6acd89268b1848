"""get_ice_from_fridge: the lever hangs back to rest, only a cup in the dispenser zone with the lever
pushed counts, the layout faces the robot, and the oracle copes with every cup and fridge size
(tests/tasks/test_shortcuts.py: the lever pushed by the fingers without the cup)."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.get_ice_from_fridge import FRIDGE_PART, LEVER, PUSHED_RAD
from tests.tasks.conftest import oracle_solves


@pytest.fixture
def fridge(world):
    w = world("get_ice_from_fridge")
    return w.sim, w.robot, w.task


def _put_cup(sim, task, local) -> None:
    """The cup's centre at ``local`` in the fridge's frame, upright and still."""
    pose = sim.pose("fridge")
    sim.client.resetBasePositionAndOrientation(sim.id("cup"), tuple(to_world(pose.pos, pose.quat, local)),
                                               (0.0, 0.0, 0.0, 1.0))


def test_lever_swings_back_to_rest_and_the_back_wall_stops_it(fridge):
    sim, _, _ = fridge
    sim.set_joint_position("fridge", LEVER, 0.2)
    sim.step(480)
    assert sim.joint_position("fridge", LEVER) == pytest.approx(0.0, abs=0.02)  # gravity brings it back
    bid, link = sim.id("fridge"), sim.link("fridge", FRIDGE_PART.LEVER)
    for _ in range(240):  # a firm push on its lower end, into the fridge
        rot = np.asarray(p.getMatrixFromQuaternion(sim.pose("fridge").quat)).reshape(3, 3)
        sim.client.applyExternalForce(bid, link, tuple(5.0 * rot[:, 0]), (0.0, 0.0, -FRIDGE_PART.lever_length_m),
                                      p.LINK_FRAME)
        sim.step()
    stop = FRIDGE_PART.lever_gap_m / FRIDGE_PART.lever_length_m
    assert PUSHED_RAD < sim.joint_position("fridge", LEVER) < stop + 0.05  # on the back wall, not through it


def test_success_needs_the_cup_in_the_zone_and_the_lever_pushed(fridge):
    sim, _, task = fridge
    f, cup = task._fridge, task._cup
    in_zone = (f.back_x_m - f.recess_depth_m / 3, 0.0, f.recess_bottom_m + cup.height_m / 2 + 0.005)
    names = task.body_names()
    _put_cup(sim, task, in_zone)
    snap = take_snapshot(sim, names)
    assert task.in_zone(snap) and not task.success(snap, "default")  # in the zone, lever at rest
    sim.set_joint_position("fridge", LEVER, PUSHED_RAD + 0.05)
    assert task.success(take_snapshot(sim, names), "default")
    for where in ((f.front_x_m - 0.05, 0.0, in_zone[2]),  # in front of the recess
                  (in_zone[0], f.recess_width_m / 2 + 0.05, in_zone[2]),  # beside it, in the door
                  (in_zone[0], 0.0, f.recess_bottom_m + f.recess_height_m + 0.1)):  # above it
        _put_cup(sim, task, where)
        assert not task.success(take_snapshot(sim, names), "default"), where


def test_reset_faces_the_fridge_to_the_robot_with_the_cup_beside_its_lane(fridge):
    sim, _, task = fridge
    for seed in range(10):
        task.reset(sim, np.random.default_rng(seed), "default")
        pose = sim.pose("fridge")
        assert abs(pose.yaw_rad) <= np.pi / 4 + 1e-9
        local = np.asarray(p.getMatrixFromQuaternion(pose.quat)).reshape(3, 3).T @ (
            np.asarray(sim.pose("cup").pos) - np.asarray(pose.pos))
        assert local[0] < task._fridge.front_x_m - 0.08  # in front of the fridge
        assert abs(local[1]) > task._fridge.recess_width_m / 2  # beside the lane to the recess
        assert sim.joint_position("fridge", LEVER) == 0.0


@pytest.mark.parametrize(("mo", "ro"), [(0.75, 1.0), (1.25, 1.0), (1.0, 0.75)])
def test_oracle_copes_with_the_smallest_and_largest_sizes(world, mo, ro):
    solved = [oracle_solves(world("get_ice_from_fridge", mo=mo, ro=ro, seed=seed)) for seed in range(10)]
    assert sum(solved) >= 8, solved
