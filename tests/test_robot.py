"""The Panda: inverse kinematics, straight keyframe moves and a gripper that holds things."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.robot import Gripper, Panda, quat_error_rad, top_down_quat, wrap_grasp_yaw
from colosseum_lite.scene import build_static_scene
from colosseum_lite.sim import Pose, Sim


@pytest.fixture
def world():
    sim = Sim()
    build_static_scene(sim)
    robot = Panda(sim)
    robot.reset(sim)
    yield sim, robot
    sim.close()


def test_home_points_down_with_yaw_zero(world):
    sim, robot = world
    sim.step(10)
    ee = robot.ee_pose(sim)
    assert np.allclose(ee.pos, (0.307, 0.0, 0.485), atol=2e-3)
    assert quat_error_rad(ee.quat, top_down_quat(0.0)) < 0.01


def test_keyframe_moves_reach_targets(world):
    sim, robot = world
    rng = np.random.default_rng(7)
    for _ in range(15):
        pos = (rng.uniform(0.3, 0.7), rng.uniform(-0.3, 0.3), rng.uniform(0.05, 0.4))
        quat = top_down_quat(rng.uniform(-1.5, 1.5))
        robot.move_to(sim, pos, quat)
        ee = robot.ee_pose(sim)
        assert np.linalg.norm(np.subtract(ee.pos, pos)) < 4e-3
        assert quat_error_rad(ee.quat, quat) < 0.03


def test_gripper_holds_a_box_while_lifting(world):
    sim, robot = world
    sim.add_box("box", (0.02, 0.02, 0.02), Pose((0.5, 0.0, 0.02)), 0.3, (1, 0, 0, 1))
    sim.set_dynamics("box", lateralFriction=1.0)
    sim.step(20)
    robot.move_to(sim, (0.5, 0.0, 0.15), top_down_quat(0))
    robot.move_to(sim, (0.5, 0.0, 0.02), top_down_quat(0))
    robot.actuate_gripper(sim, Gripper.CLOSED)
    assert 0.036 < robot.gripper_width_m(sim) < 0.046  # stopped by the 4 cm box
    robot.move_to(sim, (0.45, 0.1, 0.25), top_down_quat(0.5))
    box, ee = np.asarray(sim.pose("box").pos), np.asarray(robot.ee_pose(sim).pos)
    assert box[2] > 0.2
    assert np.linalg.norm(box - ee) < 0.01
    robot.actuate_gripper(sim, Gripper.OPEN)
    sim.step(240)
    assert sim.pose("box").pos[2] < 0.05  # released, it falls back to the table


def test_wrap_grasp_yaw():
    assert wrap_grasp_yaw(np.pi) == pytest.approx(0.0, abs=1e-9)
    assert wrap_grasp_yaw(np.pi / 2 + 0.1) == pytest.approx(-np.pi / 2 + 0.1)
    assert -np.pi / 2 <= wrap_grasp_yaw(-np.pi / 2) < np.pi / 2
