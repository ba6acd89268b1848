"""open_drawer: drawers slide and stay, handles ride on them, travel suffices at every size."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.open_drawer import (
    CABINET_PART,
    DRAWER_JOINT,
    HANDLE_LINK,
    JOINT_FRICTION_N,
    OPEN_THRESHOLD_M,
    SHUT_THRESHOLD_M,
    VARIANTS,
)
from tests.helpers import oracle_episodes

CABINET = "cabinet"


@pytest.fixture
def cabinet(world):
    w = world("open_drawer")
    return w.sim, w.task


def _outward(sim: Sim) -> np.ndarray:
    """World direction a drawer slides out (the cabinet's -x axis)."""
    yaw = sim.pose(CABINET).yaw_rad
    return -np.array([np.cos(yaw), np.sin(yaw), 0.0])


@pytest.mark.parametrize("scale", [0.75, 1.0])
def test_drawers_by_name_and_travel_passes_the_threshold_at_every_size(world, scale):
    sim = world("open_drawer", mo=scale).sim
    bid = sim.id(CABINET)
    for v in VARIANTS:
        j = sim.joint(CABINET, DRAWER_JOINT[v])
        assert sim.client.getJointInfo(bid, j)[1].decode() == f"slide_{v}"
        lower, upper = sim.joint_limits(CABINET, DRAWER_JOINT[v])
        assert (lower, upper) == pytest.approx((0.0, CABINET_PART.scaled(scale).travel_m))
        assert upper > OPEN_THRESHOLD_M + 0.025  # room to pass 0.15 m with margin
        assert sim.client.getJointInfo(bid, sim.link(CABINET, HANDLE_LINK[v]))[12].decode() == f"handle_{v}"
    heights = [sim.pose(CABINET, HANDLE_LINK[v]).pos[2] for v in VARIANTS]
    assert heights == sorted(heights)  # bottom, middle, top


def test_drawer_stays_where_left_and_slides_when_pulled(cabinet):
    sim, _ = cabinet
    j = DRAWER_JOINT["middle"]
    for opening in (0.05, 0.12, 0.0):
        sim.set_joint_position(CABINET, j, opening)
        sim.step(240)
        assert sim.joint_position(CABINET, j) == pytest.approx(opening, abs=1e-3)
    bid, link = sim.id(CABINET), sim.link(CABINET, HANDLE_LINK["middle"])
    for _ in range(120):  # pull the handle outward with twice the joint friction
        pos = sim.pose(CABINET, link).pos
        sim.client.applyExternalForce(bid, link, tuple(2 * JOINT_FRICTION_N * _outward(sim)), pos,
                                      p.WORLD_FRAME)
        sim.step()
    assert sim.joint_position(CABINET, j) > 0.02
    others = [DRAWER_JOINT[v] for v in VARIANTS if v != "middle"]
    assert all(abs(sim.joint_position(CABINET, o)) < 1e-3 for o in others)


def test_handle_rides_on_its_drawer(cabinet):
    sim, _ = cabinet
    link, j = HANDLE_LINK["top"], DRAWER_JOINT["top"]
    before = np.asarray(sim.pose(CABINET, link).pos)
    sim.set_joint_position(CABINET, j, 0.1)
    after = np.asarray(sim.pose(CABINET, link).pos)
    np.testing.assert_allclose(after - before, 0.1 * _outward(sim), atol=1e-6)


def test_success_only_for_the_chosen_drawer_pulled_past_the_threshold_with_the_others_shut(cabinet):
    sim, task = cabinet
    names = task.body_names()
    for v in VARIANTS:
        assert not task.success(take_snapshot(sim, names), v)
    sim.set_joint_position(CABINET, DRAWER_JOINT["bottom"], 0.12)
    assert not task.success(take_snapshot(sim, names), "bottom")
    sim.set_joint_position(CABINET, DRAWER_JOINT["bottom"], OPEN_THRESHOLD_M + 0.02)
    snap = take_snapshot(sim, names)
    assert task.success(snap, "bottom")
    assert not task.success(snap, "middle") and not task.success(snap, "top")
    sim.set_joint_position(CABINET, DRAWER_JOINT["top"], SHUT_THRESHOLD_M + 0.01)
    assert not task.success(take_snapshot(sim, names), "bottom")  # another drawer is open too
    sim.set_joint_position(CABINET, DRAWER_JOINT["top"], SHUT_THRESHOLD_M - 0.01)
    assert task.success(take_snapshot(sim, names), "bottom")


@pytest.mark.parametrize("variant", VARIANTS)
def test_oracle_opens_each_drawer_at_the_smallest_size(variant):
    smallest = {"mo_size": {"range": (0.75, 0.75)}}
    results = oracle_episodes("open_drawer", range(3), variant=variant, perturbations=smallest)
    assert all(r.success for r in results), [r.seed for r in results if not r.success]
