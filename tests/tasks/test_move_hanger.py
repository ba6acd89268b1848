"""move_hanger: the hook point is where the hanger's bar is, only the hanger hung on the second rail and let go
counts, and the hanger hangs still on the first rail at reset (the oracle on seeds 0-9:
tests/tasks/test_tasks.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler, rotation_matrix
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.move_hanger import (
    HANGER,
    HANGER_YAW_RAD,
    RAIL_GAP_M,
    RAILS_YAW_RAD,
    MoveHanger,
    hook_point,
)


def _hook(sim) -> np.ndarray:
    pose = sim.pose("hanger")
    return hook_point(pose.pos, pose.quat)


def _hang(sim, hook_at, roll_rad: float = 0.0) -> None:
    """The hanger's hook point at ``hook_at`` (world), its plane across the rails, rolled ``roll_rad``."""
    quat = quat_from_euler(roll_rad, 0.0, RAILS_YAW_RAD + HANGER_YAW_RAD)
    com = np.asarray(hook_at) - rotation_matrix(quat) @ HANGER.hook_point_com_m
    sim.set_pose("hanger", Pose(tuple(com), quat))


def test_the_hook_point_is_the_underside_of_the_bar_over_the_gap(world):
    sim = world("move_hanger").sim
    (bar, bar_at), *_ = sim.collision_boxes("hanger")  # centres in the centre-of-mass frame
    assert bar_at[:2] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert bar_at[2] - bar[2] / 2 == pytest.approx(HANGER.hook_point_com_m[2], abs=1e-9)


def test_only_the_hanger_hung_on_the_second_rail_and_let_go_counts(world):
    sim, task, _ = world("move_hanger", seed=4)
    names = task.body_names()
    assert not task.success(take_snapshot(sim, names), "default")  # still on the first rail
    top = MoveHanger.rail_top(sim.pose("target_rail").pos)
    across = np.array([*MoveHanger.across(sim.pose("first_rail").pos, top), 0.0])
    _hang(sim, top + (0.02, 0.0, 0.002))
    sim.step(480)  # it settles on the rail and keeps rocking
    snap = take_snapshot(sim, names)
    assert task.success(snap, "default") and task.dense_reward(snap, "default") == 1.0
    assert not task.success(replace(snap, grasped=frozenset({"hanger"})), "default")  # held on it
    assert not task.success(replace(snap, touched=frozenset({"hanger"})), "default")  # propped by the hand
    for hook_at, roll in ((top + (0.0, 0.0, 0.04), 0.0),  # held in the air over the rail
                          (top + (0.0, 0.0, -0.005), np.pi / 2),  # lying across the rail
                          (top + 0.07 * across, 0.0)):  # beside it
        _hang(sim, hook_at, roll)
        assert not task.success(take_snapshot(sim, names), "default"), (hook_at, roll)
    for drop_z in (HANGER.depth_m + 0.005, top[2] + HANGER.depth_m + 0.01):
        _hang(sim, (top[0], top[1], drop_z))
        sim.step(480)  # dropped on the table under the rail, or onto the rail: it lands on its shoulders
        assert abs(_hook(sim)[2] - top[2]) > 0.05, drop_z
        assert not task.success(take_snapshot(sim, names), "default"), drop_z


def test_reset_hangs_the_hanger_still_on_the_first_rail(world):
    sim, task, _ = world("move_hanger")
    gaps = []
    for seed in range(6):
        task.reset(sim, np.random.default_rng(seed), "default")
        sim.step(480)
        first, target = (np.asarray(sim.pose(n).pos) for n in ("first_rail", "target_rail"))
        gaps.append(float(np.linalg.norm(first[:2] - target[:2])))
        off = _hook(sim) - MoveHanger.rail_top(first)
        off = np.array([off[:2] @ MoveHanger.across(first, target), off[2]])  # across and up: still on its top
        assert np.linalg.norm(off) < 0.004, (seed, off)
        assert not sim.contacts("hanger", "target_rail")
    assert min(gaps) >= RAIL_GAP_M[0] and max(gaps) <= RAIL_GAP_M[1]
