"""The controllers: each control mode's action space, and the ee_delta yaw it keeps between steps."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.control import (
    CONTROLS,
    EE_HIGH,
    EE_LOW,
    DeltaControl,
    KeyframeControl,
    checked_action,
    control_for,
)
from colosseum_lite.registration import ControlMode
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M


@pytest.mark.parametrize("mode", list(ControlMode), ids=lambda m: m.value)
def test_every_control_mode_has_a_controller(mode):
    control = control_for(mode)
    assert type(control) is CONTROLS[mode] and control.mode is mode
    assert control.action_space.dtype == np.float32


def test_keyframe_actions_are_a_bounded_position_a_quaternion_and_the_gripper():
    space = KeyframeControl().action_space
    assert space.shape == (8,)
    np.testing.assert_array_equal(space.low, np.concatenate([EE_LOW, -np.ones(5)]).astype(np.float32))
    np.testing.assert_array_equal(space.high, np.concatenate([EE_HIGH, np.ones(5)]).astype(np.float32))


def test_delta_actions_are_five_unit_numbers():
    space = DeltaControl().action_space
    assert space.shape == (5,) and (space.low == -1).all() and (space.high == 1).all()
    assert DeltaControl.SUBSTEPS * 20 == 240  # 20 Hz control at 240 Hz physics


def test_delta_control_turns_within_its_yaw_limit_and_forgets_the_yaw_on_reset(make_env):
    env = make_env("slide_block_to_target", control_mode="ee_delta").unwrapped
    env.reset(seed=0)
    control = env.control
    assert isinstance(control, DeltaControl) and env.action_space is control.action_space
    env.step(np.array([0.0, 0.0, 0.0, 1.0, 1.0]))
    assert control.yaw_rad == pytest.approx(DeltaControl.YAW_RAD)
    for _ in range(20):
        env.step(np.array([0.0, 0.0, 0.0, 1.0, 1.0]))
    assert control.yaw_rad == pytest.approx(DeltaControl.YAW_LIMIT_RAD)
    env.reset(seed=0)
    assert control.yaw_rad == 0.0


def test_delta_control_stops_the_fingertips_on_the_table_and_lifts_at_once(make_env):
    """Driving down with -dz neither presses the hand into the table nor winds the command up
    below it: the first +dz step lifts the hand. And a push with the fingers on the table moves
    the block as far as a push above it (pressed into the table, friction stalled it)."""
    env = make_env("slide_block_to_target", control_mode="ee_delta").unwrapped
    env.reset(seed=0)
    snap = env.snapshot()
    block, target = snap["block"].pos[:2], snap["target"].pos[:2]
    ahead = (target - block) / np.linalg.norm(target - block)
    for _ in range(60):  # over the spot 6 cm behind the block, down onto the table
        err = np.array([*(block - 0.06 * ahead), 0.03]) - env.snapshot().ee_pos
        env.step(np.array([*np.clip(err / DeltaControl.POS_M, -1, 1)[:2], -1.0, 0.0, -1.0]))
    assert env.robot.command.ee_pos[2] == pytest.approx(DeltaControl.FLOOR_Z_M)
    tips = env.snapshot().ee_pos[2] - FINGERTIP_BELOW_EE_M
    assert -0.004 < tips < 0.004  # on the table, not driven into it
    for _ in range(30):
        env.step(np.array([*ahead, -1.0, 0.0, -1.0]))
    pushed = float(np.dot(env.snapshot()["block"].pos[:2] - block, ahead))
    assert pushed > 0.15
    z = env.snapshot().ee_pos[2]
    env.step(np.array([0.0, 0.0, 1.0, 0.0, -1.0]))
    assert env.snapshot().ee_pos[2] > z + 0.5 * DeltaControl.POS_M


def test_checked_action_names_the_mode_and_the_size():
    space = KeyframeControl().action_space
    assert checked_action([0] * 8, space, ControlMode.EE_KEYFRAME).dtype == np.float64
    with pytest.raises(ValueError, match="action must be 8 finite numbers for control_mode='ee_keyframe'"):
        checked_action([0] * 5, space, ControlMode.EE_KEYFRAME)
