"""basketball_in_hoop: the ring lets every ball through, the net keeps it, success means it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from colosseum_lite.sim import Pose, Sim
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.basketball_in_hoop import NET_LINK, RING_LINK, BasketballInHoop

SCALE_CORNERS = [(mo, ro) for mo in (0.75, 1.25) for ro in (0.75, 1.15)]


@pytest.fixture
def hoop(world):
    """A factory for the task built at given scales, placed by seed 0."""
    def make(mo: float = 1.0, ro: float = 1.0):
        w = world("basketball_in_hoop", mo=mo, ro=ro)
        return w.sim, w.task
    return make


def _ball_radius(sim: Sim) -> float:
    lo, hi = sim.aabb("ball")
    return float(hi[2] - lo[2]) / 2


def _success(sim: Sim, task: BasketballInHoop) -> bool:
    return task.success(take_snapshot(sim, task.body_names()), "default")


@pytest.mark.parametrize(("mo", "ro"), SCALE_CORNERS, ids=lambda v: str(v))
def test_ball_dropped_over_the_ring_falls_through_and_rests_in_the_net(hoop, mo, ro):
    sim, task = hoop(mo, ro)
    assert not _success(sim, task)
    ring = np.asarray(sim.pose("hoop", RING_LINK).pos)
    ring_top = float(sim.aabb("hoop", RING_LINK)[1][2])
    # 6 mm off centre: the largest ball still clears the smallest ring.
    start = (ring[0] + 0.006, ring[1], ring_top + _ball_radius(sim) + 0.02)
    sim.set_pose("ball", Pose(start))
    sim.step(480)
    ball = np.asarray(sim.pose("ball").pos)
    assert ball[2] < ring[2], f"ball stuck at {ball}, ring plane at {ring[2]:.3f}"
    assert np.linalg.norm(sim.velocity("ball")[0]) < 0.01  # at rest
    assert _success(sim, task)


def test_ball_thrown_at_the_net_from_the_side_stays_out(hoop):
    sim, task = hoop(mo=0.75, ro=1.15)  # smallest ball, widest gaps between the strips
    ring = np.asarray(sim.pose("hoop", RING_LINK).pos)
    r = _ball_radius(sim)
    net_lo, net_hi = sim.aabb("hoop", NET_LINK)
    z = float(net_lo[2] + net_hi[2]) / 2
    # Come from the robot's side of the net, away from the backboard.
    outward = -ring[:2] / np.linalg.norm(ring[:2])
    start = ring[:2] + outward * (float(net_hi[0] - net_lo[0]) / 2 + r + 0.01)
    sim.set_pose("ball", Pose((float(start[0]), float(start[1]), z)))
    sim.client.resetBaseVelocity(sim.id("ball"), (*(-outward * 1.5), 0.0), (0, 0, 0))
    sim.step(240)
    assert not _success(sim, task)


def test_a_grasped_ball_in_the_net_zone_is_not_success(hoop):
    sim, task = hoop()
    ring = np.asarray(sim.pose("hoop", RING_LINK).pos)
    sim.set_pose("ball", Pose((ring[0], ring[1], ring[2] - 0.05)))
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, "default")
    assert not task.success(dataclasses.replace(snap, grasped=frozenset({"ball"})), "default")


def test_ball_on_top_of_the_ring_or_beside_the_hoop_is_not_success(hoop):
    sim, task = hoop()
    ring = np.asarray(sim.pose("hoop", RING_LINK).pos)
    sim.set_pose("ball", Pose((ring[0], ring[1], ring[2] + 0.03)))  # above the ring plane
    assert not _success(sim, task)
    sim.set_pose("ball", Pose((ring[0] + 0.15, ring[1], ring[2] - 0.05)))  # outside the net
    assert not _success(sim, task)


@pytest.mark.parametrize(("mo", "ro"), [(1.0, 1.0), (1.25, 1.15)], ids=lambda v: str(v))
def test_ball_spawns_on_the_table_clear_of_the_hoop(hoop, mo, ro):
    sim, task = hoop(mo, ro)
    r = _ball_radius(sim)
    for seed in range(40):
        task.reset(sim, np.random.default_rng(seed), "default")
        ball = np.asarray(sim.pose("ball").pos)
        ring = np.asarray(sim.pose("hoop", RING_LINK).pos)
        assert 0.3 <= ball[0] <= 0.75 and abs(ball[1]) <= 0.35
        assert ball[2] == pytest.approx(r, abs=1e-6)
        assert np.linalg.norm(ball[:2] - ring[:2]) > 0.2
        near = sim.client.getClosestPoints(sim.id("ball"), sim.id("hoop"), distance=0.05)
        assert not near, f"seed {seed}: ball {ball} within 5 cm of the hoop"
