"""empty_dishwasher: the door stays where it is left and stops at horizontal, the rack rides out over
the open door, the shut dishwasher holds the plate in, only a plate resting on the table outside
counts, every size resets, and the oracle solves it (tests/tasks/test_shortcuts.py: the plate held
outside)."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import Pose, rotation_matrix, to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.empty_dishwasher import DOOR, DOOR_FRICTION_NM, RACK, WASHER_PART
from tests.tasks.conftest import oracle_solves

WASHER = "dishwasher"


@pytest.fixture
def washer(world):
    w = world("empty_dishwasher")
    return w.sim, w.task


def _push(sim, link: str, force_local, steps: int) -> None:
    """Push a link of the dishwasher at its centre of mass (a handle's bar) with a force given in the
    dishwasher's frame."""
    bid, rot, index = sim.id(WASHER), rotation_matrix(sim.pose(WASHER).quat), sim.link(WASHER, link)
    for _ in range(steps):
        at = sim.client.getLinkState(bid, index)[0]
        sim.client.applyExternalForce(bid, index, tuple(rot @ np.asarray(force_local)), at, p.WORLD_FRAME)
        sim.step()


def _local(sim, name: str) -> np.ndarray:
    pose = sim.pose(WASHER)
    return rotation_matrix(pose.quat).T @ (np.asarray(sim.pose(name).pos) - np.asarray(pose.pos))


def test_door_stays_where_left_opens_under_a_pull_and_stops_at_horizontal(washer):
    sim, _ = washer
    for angle in (0.3, 1.0, 0.0):
        sim.set_joint_position(WASHER, DOOR, angle)
        sim.step(240)
        assert sim.joint_position(WASHER, DOOR) == pytest.approx(angle, abs=0.01)
    handle, length = WASHER_PART.DOOR_HANDLE, WASHER_PART.door_length_m
    _push(sim, handle, (-0.5 * DOOR_FRICTION_NM / length, 0.0, 0.0), 120)  # below the friction: nothing
    assert sim.joint_position(WASHER, DOOR) == pytest.approx(0.0, abs=0.01)
    _push(sim, handle, (-10.0, 0.0, -10.0), 480)  # a firm pull outward and down: it drops to its stop
    assert np.pi / 2 - 0.05 < sim.joint_position(WASHER, DOOR) < np.pi / 2 + 0.15  # (soft: 2.8 Nm press it on)


def test_the_rack_slides_out_over_the_open_door_and_the_shut_door_keeps_the_plate_in(washer):
    sim, task = washer
    # The dishwasher has no self-collision (see the task's build): the door's limits hold it, and the
    # plate is a body of its own. A rack forced out through the shut door leaves the plate behind it.
    _push(sim, WASHER_PART.RACK_HANDLE, (-20.0, 0.0, 0.0), 240)
    assert sim.joint_position(WASHER, RACK) > 0.1
    assert _local(sim, "plate")[0] > -WASHER_PART.depth_m / 2
    assert sim.joint_position(WASHER, DOOR) < 0.3
    sim.set_joint_position(WASHER, RACK, 0.0)
    task.reset(sim, np.random.default_rng(0), "default")
    sim.set_joint_position(WASHER, DOOR, np.pi / 2)
    _push(sim, WASHER_PART.RACK_HANDLE, (-20.0, 0.0, 0.0), 240)
    assert sim.joint_position(WASHER, RACK) > 0.15
    assert _local(sim, "plate")[0] < -WASHER_PART.depth_m / 2  # riding out on the rack
    assert sim.joint_position(WASHER, DOOR) > np.pi / 2 - 0.05  # the rack clears the open door


def test_the_shut_dishwasher_holds_the_plate_in_against_any_push(washer):
    sim, task = washer
    bid = sim.id("plate")
    rot = rotation_matrix(sim.pose(WASHER).quat)
    # Four times the plate's weight toward the sides, the back and the top; its weight toward the door
    # (a drop-down door opens outward: pushed from inside with more, it gives way, but nothing reaches in).
    for push in ((0, 4, 4), (0, -4, 4), (0, 0, 4), (4, 0, 4), (-1, 0, 0.5)):
        for _ in range(120):
            sim.client.applyExternalForce(bid, -1, tuple(rot @ (2.0 * np.asarray(push, dtype=float))),
                                          sim.pose("plate").pos, p.WORLD_FRAME)
            sim.step()
        local = _local(sim, "plate")
        assert abs(local[0]) < WASHER_PART.depth_m / 2 and abs(local[1]) < WASHER_PART.width_m / 2, push
        assert local[2] < WASHER_PART.height_m
    assert not task.out(take_snapshot(sim, task.body_names()))
    assert sim.joint_position(WASHER, DOOR) < 0.3  # knocked ajar at most


def test_success_needs_the_plate_outside_resting_on_the_table(washer):
    sim, task = washer
    names, plate, pose = task.body_names(), task._plate, sim.pose(WASHER)
    assert not task.success(take_snapshot(sim, names), "default")  # in the rack
    w = task._washer
    beside = to_world(pose.pos, pose.quat, (0.0, w.width_m / 2 + plate.radius_m + 0.05, plate.radius_m))
    sim.set_pose("plate", Pose(tuple(beside), pose.quat))  # standing on its rim beside the dishwasher
    assert task.success(take_snapshot(sim, names), "default")
    sim.set_pose("plate", Pose(tuple(beside + [0.0, 0.0, 0.05]), pose.quat))  # above the table
    assert not task.success(take_snapshot(sim, names), "default")
    lying = Pose((beside[0], beside[1], plate.thickness_m / 2), p.getQuaternionFromEuler((np.pi / 2, 0.0, 0.3)))
    sim.set_pose("plate", lying)
    assert task.success(take_snapshot(sim, names), "default")
    sim.set_joint_position(WASHER, DOOR, np.pi / 2)  # on the rack pulled out: outside, but not on the table
    sim.set_joint_position(WASHER, RACK, w.max_rack_out_m)
    on_rack = to_world(pose.pos, pose.quat, w.plate_xyz_m(plate, w.max_rack_out_m))
    sim.set_pose("plate", Pose(tuple(on_rack), pose.quat))
    snap = take_snapshot(sim, names)
    assert task.out(snap) and not task.success(snap, "default")


@pytest.mark.parametrize(("mo", "ro"), [(0.8, 0.75), (0.8, 1.15), (1.0, 0.75), (1.0, 1.15)])
def test_reset_stands_the_plate_in_the_shut_dishwasher_facing_the_robot_at_every_size(world, mo, ro):
    w = world("empty_dishwasher", mo=mo, ro=ro)
    sim, task = w.sim, w.task
    for seed in range(5):
        task.reset(sim, np.random.default_rng(seed), "default")
        sim.step(120)
        pose = sim.pose(WASHER)
        assert abs(pose.yaw_rad) <= np.pi / 3 + 1e-9
        front = to_world(pose.pos, pose.quat, (-task._washer.depth_m / 2, 0.0, 0.0))
        assert np.linalg.norm(front[:2]) < np.linalg.norm(np.asarray(pose.pos[:2]))  # the front faces the robot
        local = _local(sim, "plate")
        assert abs(local[1]) < task._washer.slot_gap_m  # standing in its slot ...
        top = local[2] + task._plate.radius_m
        assert top < task._washer.height_m - task._washer.wall_m  # ... under the top
        assert sim.joint_position(WASHER, DOOR) == pytest.approx(0.0, abs=1e-3)
        assert not task.success(take_snapshot(sim, task.body_names()), "default")


@pytest.mark.parametrize(("mo", "ro"), [(0.8, 1.15), (1.0, 0.75)])
def test_oracle_copes_with_the_size_extremes(world, mo, ro):
    solved = [oracle_solves(world("empty_dishwasher", mo=mo, ro=ro, seed=seed)) for seed in range(5)]
    assert sum(solved) >= 4, solved


def test_dense_reward_stays_a_number_with_the_plate_lying_flat(washer):
    sim, task = washer
    pose = sim.pose(WASHER)
    beside = to_world(pose.pos, pose.quat, (0.0, task._washer.width_m / 2 + 0.1, 0.2))
    sim.set_pose("plate", Pose(tuple(beside), p.getQuaternionFromEuler((np.pi / 2, 0.0, 0.0))))  # face up, held up
    reward = task.dense_reward(take_snapshot(sim, task.body_names()), "default")
    assert 0.0 <= reward < 1.0
