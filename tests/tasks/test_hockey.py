"""hockey: success (the whole ball in the goal, the stick held, the hand off the ball), a clear reset,
a goal that keeps the ball, and the oracle on the fixed seeds and at the axes' extremes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, rotation_matrix
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.hockey import GOAL
from tests.helpers import oracle_episodes


def _put_ball(sim, goal_local: tuple[float, float, float]) -> None:
    goal = sim.pose("goal")
    pos = np.asarray(goal.pos) + rotation_matrix(goal.quat) @ np.asarray(goal_local)
    sim.set_pose("ball", Pose(tuple(float(v) for v in pos)))


@pytest.mark.parametrize("ro", [0.75, 1.25])
def test_success_needs_the_whole_ball_in_the_goal_the_stick_held_and_the_hand_off_the_ball(world, ro):
    sim, task, _ = world("hockey", ro=ro, seed=3)
    r = float(sim.shape_extents("ball")[0])  # a sphere's extents give its radius
    d, w = GOAL.depth_m, GOAL.mouth_half_width_m
    scenes = {  # ball centre in the goal frame (x into the goal) -> solved
        "in the middle": ((d / 2, 0.0, r), True), "against the back wall": ((d - r, 0.0, r), True),
        "in a corner": ((d - r, w - r, r), True), "wholly over the line": ((r + 0.002, 0.0, r), True),
        "on the mouth line": ((0.0, 0.0, r), False), "half over the line": ((r - 0.005, 0.0, r), False),
        "in front of the goal": ((-0.05, 0.0, r), False), "beside the goal": ((d / 2, w + 0.05, r), False),
        "behind the goal": ((d + 0.05, 0.0, r), False), "held above the goal": ((d / 2, 0.0, 0.12), False),
    }
    for where, (local, solved) in scenes.items():
        _put_ball(sim, local)
        snap = take_snapshot(sim, task.body_names())
        assert not task.success(snap, "default"), where  # the stick lies on the table, not in the hand
        held = replace(snap, grasped=frozenset({"stick"}))
        assert task.success(held, "default") is solved, where
        hand_on_ball = replace(held, touched=frozenset({"stick", "ball"}))  # knocked in by the hand
        assert not task.success(hand_on_ball, "default"), where


@pytest.mark.parametrize("mo,ro", [(0.95, 0.75), (1.05, 1.25), (0.95, 1.25)])
def test_reset_lays_the_stick_flat_and_clear_of_the_ball_and_the_goal(world, mo, ro):
    sim, task, _ = world("hockey", mo=mo, ro=ro)
    for seed in range(10):
        task.reset(sim, np.random.default_rng(seed), "default")
        sim.step(24)
        for a, b in (("stick", "ball"), ("stick", "goal"), ("ball", "goal")):
            gap = min(c[8] for c in sim.client.getClosestPoints(sim.id(a), sim.id(b), 1.0))
            assert gap > 0.02, f"seed {seed}: {a} {gap:.4f} m from the {b}"
        up = rotation_matrix(sim.pose("stick").quat)[:, 2]  # lying flat, maybe turned over
        assert abs(up[2]) > np.cos(0.01), f"seed {seed}: stick not flat"
        assert np.linalg.norm(sim.pose("stick").pos[:2]) > 0.33, f"seed {seed}: stick too near the robot"
        assert np.linalg.norm(sim.velocity("ball")[0]) < 0.01, f"seed {seed}: ball moving"


def test_a_ball_shot_hard_into_the_goal_stays_in(world):
    sim, task, _ = world("hockey", ro=0.75, seed=1)
    r = float(sim.shape_extents("ball")[0])  # a sphere's extents give its radius
    _put_ball(sim, (-0.03, 0.02, r))
    shot = rotation_matrix(sim.pose("goal").quat) @ np.array([2.0, 0.0, 0.0])  # 2 m/s into the goal
    sim.client.resetBaseVelocity(sim.id("ball"), shot.tolist(), [0.0, 0.0, 0.0])
    sim.step(480)
    snap = replace(take_snapshot(sim, task.body_names()), grasped=frozenset({"stick"}))
    assert task.success(snap, "default"), "the ball came back out of the goal"


def test_oracle_scores_on_the_fixed_seeds():
    results = oracle_episodes("hockey", range(10))
    assert sum(r.success for r in results) >= 9, [r.seed for r in results if not r.success]
    assert max(r.steps for r in results) <= 15


@pytest.mark.parametrize("mo,ro,kg", [(0.95, 1.25, 0.5), (1.05, 0.75, 0.1)])
def test_oracle_scores_at_the_axes_extremes(mo, ro, kg):
    extremes = {"mo_size": {"range": (mo, mo)}, "ro_size": {"range": (ro, ro)},
                "object_mass": {"ranges": {"ball": (kg, kg)}}, "object_friction": {"range": (1.0, 1.0)}}
    failed = [r.seed for r in oracle_episodes("hockey", range(5), perturbations=extremes) if not r.success]
    assert not failed, f"seeds {failed}: ball not shot into the goal"
