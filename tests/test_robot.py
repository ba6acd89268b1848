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


def grasp_box(sim: Sim, robot: Panda, mass_kg: float) -> None:
    """Put a 4 cm box in front of the arm, come down on it from above and close the fingers."""
    sim.add_box("box", (0.02, 0.02, 0.02), Pose((0.5, 0.0, 0.02)), mass_kg, (1, 0, 0, 1))
    sim.set_dynamics("box", lateralFriction=1.0)
    sim.step(20)
    robot.move_to(sim, (0.5, 0.0, 0.15), top_down_quat(0))
    robot.move_to(sim, (0.5, 0.0, 0.02), top_down_quat(0))
    robot.actuate_gripper(sim, Gripper.CLOSED)


def test_gripper_holds_a_box_while_lifting(world):
    sim, robot = world
    grasp_box(sim, robot, 0.3)
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


def test_a_grasp_holds_one_kilogram_through_long_moves_and_turns(world):
    sim, robot = world
    grasp_box(sim, robot, 1.0)
    for goal, yaw in (((0.4, 0.3, 0.35), 1.2), ((0.65, -0.3, 0.2), -1.2), ((0.35, 0.0, 0.45), 0.0)):
        robot.move_to(sim, goal, top_down_quat(yaw))
        box, ee = np.asarray(sim.pose("box").pos), np.asarray(robot.ee_pose(sim).pos)
        assert np.linalg.norm(box - ee) < 0.015, goal  # still between the fingers


def test_free_moves_are_fast_and_moves_near_objects_slow(world):
    sim, robot = world
    robot.move_to(sim, (0.5, -0.3, 0.4), top_down_quat(0))
    back = robot.move_to(sim, (0.5, 0.3, 0.4), top_down_quat(0))  # 0.6 m in free space
    assert back < 0.6 / 0.6 * 240  # faster than 0.6 m/s on average, settling included
    sim.add_box("box", (0.02, 0.02, 0.02), Pose((0.5, 0.0, 0.02)), 0.3, (1, 0, 0, 1))
    robot.move_to(sim, (0.5, -0.3, 0.03), top_down_quat(0))
    before = np.asarray(sim.pose("box").pos)
    low = robot.move_to(sim, (0.5, -0.1, 0.03), top_down_quat(0))  # 20 cm along the table top
    assert low >= 0.2 / 0.5 * 240 * 0.9  # the table is near: 0.5 m/s
    assert np.linalg.norm(np.asarray(sim.pose("box").pos) - before) < 1e-3  # stopped short of it


def test_a_blocked_move_stops_soon_after_the_arm_stalls(world):
    sim, robot = world
    robot.move_to(sim, (0.5, 0.0, 0.1), top_down_quat(0))
    used = robot.move_to(sim, (0.5, 0.0, -0.05), top_down_quat(0))  # 5 cm into the table
    assert used < 300  # not the 720-substep cap
    assert robot.ee_pose(sim).pos[2] > 0.0  # the table stopped it


def test_a_move_never_runs_past_its_substep_cap(world):
    sim, robot = world
    assert robot.move_to(sim, (0.3, 0.3, 0.1), top_down_quat(1.0), max_substeps=96) <= 96
