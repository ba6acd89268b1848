"""close_box: the hinge turns, friction holds the lid, the walls stop it, the oracle copes with size."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.robot import Panda
from colosseum_lite.scene import build_static_scene
from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import Scales, take_snapshot
from colosseum_lite.tasks.close_box import BOX, LID_JOINT, SPEC, CloseBox


def _world(scale: float = 1.0, seed: int = 0):
    sim = Sim()
    build_static_scene(sim)
    robot = Panda(sim)
    robot.reset(sim)
    task = CloseBox()
    task.build(sim, Scales(mo=scale))
    task.reset(sim, np.random.default_rng(seed), "default")
    sim.step(24)
    return sim, robot, task


@pytest.fixture
def world():
    sim, robot, task = _world()
    yield sim, robot, task
    sim.close()


def _push_edge(sim: Sim, force_n: float, steps: int) -> None:
    """Push the lid's free edge along its closing direction (outer face normal, inward)."""
    bid = sim.id(BOX)
    length = sim.client.getCollisionShapeData(bid, LID_JOINT)[0][3][0]
    for _ in range(steps):
        link = sim.pose(BOX, LID_JOINT)
        rot = np.asarray(p.getMatrixFromQuaternion(link.quat)).reshape(3, 3)
        edge = np.asarray(link.pos) + length * rot[:, 0]
        sim.client.applyExternalForce(bid, LID_JOINT, tuple(-force_n * rot[:, 2]), tuple(edge),
                                      p.WORLD_FRAME)
        sim.step()


def test_lid_stays_where_left_and_turns_when_pushed(world):
    sim, _, _ = world
    for angle in (2.6, 1.6, 0.6):
        sim.set_joint_position(BOX, LID_JOINT, angle)
        sim.step(240)
        assert sim.joint_position(BOX, LID_JOINT) == pytest.approx(angle, abs=0.01)
    _push_edge(sim, 5.0, 60)
    assert sim.joint_position(BOX, LID_JOINT) < 0.6 - 0.2


def test_walls_stop_the_closed_lid_and_it_counts_as_closed(world):
    sim, _, task = world
    sim.set_joint_position(BOX, LID_JOINT, 0.5)
    snap = take_snapshot(sim, task.body_names())
    assert not task.success(snap, "default")
    _push_edge(sim, 20.0, 240)
    sim.step(60)
    angle = sim.joint_position(BOX, LID_JOINT)
    assert -0.04 < angle < 0.02  # resting on the walls, not pushed through the box
    assert task.success(take_snapshot(sim, task.body_names()), "default")


def test_reset_opens_the_lid_inside_the_workspace():
    sim, _, task = _world()
    try:
        for seed in range(10):
            task.reset(sim, np.random.default_rng(seed), "default")
            assert np.deg2rad(100) <= sim.joint_position(BOX, LID_JOINT) <= np.deg2rad(150)
            lo, hi = sim.aabb(BOX)
            assert lo[0] > 0.3 and hi[0] < 0.75 and max(abs(lo[1]), abs(hi[1])) < 0.35
    finally:
        sim.close()


@pytest.mark.parametrize("scale", [0.75, 1.15])
def test_oracle_closes_scaled_boxes(scale):
    sim, robot, task = _world(scale, seed=9)
    try:
        dims = sim.client.getCollisionShapeData(sim.id(BOX), LID_JOINT)[0][3]
        assert dims[0] == pytest.approx(SPEC.depth_m * scale)
        done = False
        for kf in task.oracle(sim, "default"):
            robot.move_to(sim, kf.pos, kf.quat)
            if kf.gripper is not robot.command.gripper:
                robot.actuate_gripper(sim, kf.gripper)
            if task.success(take_snapshot(sim, task.body_names()), "default"):
                done = True
                break
        assert done, f"lid still at {sim.joint_position(BOX, LID_JOINT):.2f} rad"
    finally:
        sim.close()
