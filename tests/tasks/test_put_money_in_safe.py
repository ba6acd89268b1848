"""put_money_in_safe: only a stack lying wholly inside the named compartment and let go counts, the
safe faces the robot with the stack beside it, every size resets cleanly, and the oracle solves the
fixed seeds (tests/tasks/test_shortcuts.py: a stack let go half inside its compartment)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler, rotation_matrix, to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.put_money_in_safe import SAFE_PART, VARIANTS
from tests.tasks.conftest import oracle_solves


def _put_money(sim, task, local, pitch_rad: float = 0.0) -> None:
    """The stack's centre at ``local`` in the safe's frame, along its axis, tilted ``pitch_rad``, still."""
    pose = sim.pose("safe")
    quat = quat_from_euler(0.0, pitch_rad, pose.yaw_rad)
    sim.set_pose("money", Pose(tuple(to_world(pose.pos, pose.quat, local)), quat))


@pytest.mark.parametrize("variant", VARIANTS)
def test_only_a_stack_let_go_wholly_inside_the_named_compartment_counts(world, variant):
    w = world("put_money_in_safe", seed=1, variant=variant)
    sim, task = w.sim, w.task
    s, m = task._safe, task._money
    on_shelf = (s.front_x_m + s.inner_depth_m / 2, 0.0, s.floor_z_m(variant) + m.thickness_m / 2 + 0.001)
    _put_money(sim, task, on_shelf)
    sim.step(120)  # it settles on the shelf and stays
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, variant)
    assert not any(task.success(snap, v) for v in VARIANTS if v != variant)  # the wrong shelf
    assert not task.success(replace(snap, grasped=frozenset({"money"})), variant)  # still held
    assert task.dense_reward(snap, variant) == 1.0
    for where, pitch in (((s.front_x_m + m.length_m / 2 - 0.03, 0.0, on_shelf[2]), 0.0),  # sticking out 3 cm
                         ((on_shelf[0], 0.0, s.height_m + m.thickness_m / 2), 0.0),  # on top of the safe
                         ((on_shelf[0], 0.0, on_shelf[2] + 0.03), 0.4)):  # propped up on end, not lying flat
        _put_money(sim, task, where, pitch)
        assert not task.success(take_snapshot(sim, task.body_names()), variant), (where, pitch)


def test_reset_faces_the_safe_to_the_robot_with_the_stack_beside_it(world):
    w = world("put_money_in_safe")
    sim, task = w.sim, w.task
    for seed in range(10):
        task.reset(sim, np.random.default_rng(seed), "middle")
        pose = sim.pose("safe")
        assert abs(pose.yaw_rad) <= np.pi / 4 + 1e-9
        rot = rotation_matrix(pose.quat)
        assert -rot[:2, 0] @ -np.asarray(pose.pos[:2]) > 0  # its open front toward the robot
        local = rot.T @ (np.asarray(sim.pose("money").pos) - np.asarray(pose.pos))
        assert local[1] < -(task._safe.width_m / 2 + task._money.width_m / 2)  # beside it, off its door side
        assert 0.4 < np.hypot(*sim.pose("money").pos[:2]) < 0.85  # where the pitched hand reaches the table


@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_every_size_resets_with_the_stack_flat_on_the_table_clear_of_the_safe(world, scale):
    w = world("put_money_in_safe", mo=scale)
    sim, task = w.sim, w.task
    assert task._money.length_m == pytest.approx(0.15 * scale)
    for seed in range(5):
        task.reset(sim, np.random.default_rng(seed), "top")
        sim.step(60)
        lo, _ = sim.aabb("money")
        assert lo[2] == pytest.approx(0.0, abs=2e-3)
        assert not sim.contacts("money", "safe")


def test_the_door_stands_open_beside_the_compartments(world):
    sim = world("put_money_in_safe").sim
    sim.set_pose("safe", Pose((0.6, 0.0, 0.0)))  # unturned: its bounding boxes are in its own frame
    door_lo, door_hi = sim.aabb("safe", SAFE_PART.DOOR)
    assert door_lo[1] > SAFE_PART.inner_width_m / 2  # beside the opening, not in front of it
    assert door_lo[0] < 0.6 + SAFE_PART.front_x_m - 0.03  # swung out toward the front


def test_oracle_solves_the_fixed_seeds(world):
    solved = [oracle_solves(world("put_money_in_safe", seed=seed, variant=VARIANTS[seed % 3]), VARIANTS[seed % 3])
              for seed in range(10)]
    assert sum(solved) >= 9, solved
