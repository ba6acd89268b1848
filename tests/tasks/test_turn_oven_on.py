"""turn_oven_on: the knobs hold where they are left, only the leftmost knob turned and held counts
(not one knocked round and grasped there), the layout faces the robot, and the oracle copes with
every knob size (tests/tasks/test_shortcuts.py: a knob knocked round without a grasp)."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.robot import Gripper
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.turn_oven_on import JOINT, KNOB_FRICTION_NM, ON_RAD, OVEN_PART, START_OFF_RAD
from tests.tasks.conftest import oracle_solves


@pytest.fixture
def oven(world):
    w = world("turn_oven_on")
    return w.sim, w.robot, w.task


def _twist(sim, knob: int, torque_nm: float, steps: int) -> None:
    """A torque about knob ``knob``'s axis (positive: counter-clockwise from the front)."""
    bid, link = sim.id("oven"), sim.link("oven", OVEN_PART.knob_link(knob))
    for _ in range(steps):
        sim.client.applyExternalTorque(bid, link, (0.0, 0.0, torque_nm), p.LINK_FRAME)  # z: the axis
        sim.step()


def test_knobs_hold_where_they_are_left_and_turn_only_past_their_friction(oven):
    sim, _, _ = oven
    sim.set_joint_position("oven", JOINT, 1.0)
    sim.step(240)
    assert sim.joint_position("oven", JOINT) == pytest.approx(1.0, abs=0.01)
    _twist(sim, 0, 0.5 * KNOB_FRICTION_NM, 120)
    assert sim.joint_position("oven", JOINT) == pytest.approx(1.0, abs=0.01)
    _twist(sim, 0, 3 * KNOB_FRICTION_NM, 60)
    assert sim.joint_position("oven", JOINT) > 1.3
    # each knob has its own joint: the one next to it did not move
    assert sim.joint_position("oven", OVEN_PART.knob_joint(1)) == pytest.approx(0.0, abs=START_OFF_RAD + 1e-9)


def test_only_the_leftmost_knob_turned_and_held_counts(world):
    w = world("turn_oven_on", seed=3)
    sim, task = w.sim, w.task
    names = task.body_names()
    for i in range(1, OVEN_PART.knobs):  # every other knob on: not the task
        sim.set_joint_position("oven", OVEN_PART.knob_joint(i), ON_RAD + 0.3)
    assert not task.success(take_snapshot(sim, names), "default")
    sim.set_joint_position("oven", JOINT, ON_RAD + 0.3)  # turned, but no hand on it
    assert not task.success(take_snapshot(sim, names), "default")
    for i in range(OVEN_PART.knobs):
        sim.set_joint_position("oven", OVEN_PART.knob_joint(i), 0.0)
    assert oracle_solves(w)  # turned by the oracle's grasp: counts
    snap = take_snapshot(sim, names)
    assert snap["oven"].joint(JOINT) > ON_RAD and task.held_at_bar(snap)
    w.robot.actuate_gripper(sim, Gripper.OPEN)  # let go: on, but no longer held
    assert not task.success(take_snapshot(sim, names), "default")


def test_a_knob_knocked_past_on_and_grasped_there_does_not_count(world):
    w = world("turn_oven_on", seed=3)
    sim, task, names = w.sim, w.task, w.task.body_names()
    sim.set_joint_position("oven", JOINT, np.pi)  # knocked half a turn round: the bar lies as at off
    for kf in task.oracle(sim, "default"):  # the oracle's grasp of the bar where it stands, no turn
        w.robot.move_to(sim, kf.pos, kf.quat)
        if kf.gripper is not w.robot.command.gripper:
            w.robot.actuate_gripper(sim, kf.gripper)
        snap = take_snapshot(sim, names)
        if task.held_at_bar(snap):
            break
    assert task.held_at_bar(snap) and snap["oven"].joint(JOINT) > ON_RAD
    assert not task.success(snap, "default")  # (test_only_the_leftmost_knob...: turned in the fingers counts)


def test_reset_faces_the_oven_to_the_robot_with_every_knob_near_off(oven):
    sim, _, task = oven
    for seed in range(10):
        task.reset(sim, np.random.default_rng(seed), "default")
        pose = sim.pose("oven")
        assert abs(pose.yaw_rad) <= np.pi / 4 + 1e-9
        front = -np.asarray(p.getMatrixFromQuaternion(pose.quat)).reshape(3, 3)[:2, 0]
        assert front @ -np.asarray(pose.pos[:2]) > 0  # its front (the knobs' side) toward the robot
        for i in range(OVEN_PART.knobs):
            assert 0.0 <= sim.joint_position("oven", OVEN_PART.knob_joint(i)) <= START_OFF_RAD
        knob = np.asarray(sim.pose("oven", OVEN_PART.knob_link(0)).pos)
        assert 0.45 < knob[0] < 0.8 and abs(knob[1]) < 0.3 and 0.12 < knob[2] < 0.25


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_oracle_turns_the_smallest_and_largest_knobs(world, scale):
    bar = world("turn_oven_on", mo=scale).sim.collision_boxes("oven", OVEN_PART.knob_link(0))[1][0]
    knob = OVEN_PART.knob.scaled(scale)  # the knob's grip bar, as built
    assert bar == pytest.approx((knob.bar_length_m, knob.bar_width_m, knob.bar_height_m), rel=1e-4)
    solved = [oracle_solves(world("turn_oven_on", mo=scale, seed=seed)) for seed in range(10)]
    assert sum(solved) >= 8, solved  # episodes 0-49 in the env: 47/50 at scale 0.5, 50/50 at 1.5
