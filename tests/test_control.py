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


def test_checked_action_names_the_mode_and_the_size():
    space = KeyframeControl().action_space
    assert checked_action([0] * 8, space, ControlMode.EE_KEYFRAME).dtype == np.float64
    with pytest.raises(ValueError, match="action must be 8 finite numbers for control_mode='ee_keyframe'"):
        checked_action([0] * 5, space, ControlMode.EE_KEYFRAME)
