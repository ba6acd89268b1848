"""close_laptop_lid: the stiff hinge holds the screen, its stop keeps it a finger short of the fence,
and the oracle copes with size and with the screen facing either way (tests/tasks/test_random_bound.py:
random policies fail; the fence's part in that is measured in docs/tasks/close_laptop_lid.md)."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.close_laptop_lid import CLOSED_TOL_RAD, HINGE, JOINT_FRICTION_NM, LAPTOP, LAPTOP_SPEC
from tests.tasks.conftest import oracle_solves

SCREEN = LAPTOP_SPEC.SCREEN


def _frame(sim: Sim, link: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    pose = sim.pose(LAPTOP, link) if link else sim.pose(LAPTOP)
    return np.asarray(pose.pos), np.asarray(p.getMatrixFromQuaternion(pose.quat)).reshape(3, 3)


def _free_edge(sim: Sim) -> tuple[np.ndarray, np.ndarray]:
    """World position of the screen's free edge (centre) and its outer face normal."""
    pos, rot = _frame(sim, SCREEN)
    return pos - sim.shape_extents(LAPTOP, SCREEN)[0] * rot[:, 0], rot[:, 2]


def _push_edge(sim: Sim, force_n: float, steps: int) -> None:
    """Push the free edge along its outer face normal (inward closes, a negative force opens),
    letting up while the screen turns faster than 1 rad/s, as a hand would."""
    bid = sim.id(LAPTOP)
    for _ in range(steps):
        edge, normal = _free_edge(sim)
        if abs(sim.client.getJointState(bid, sim.joint(LAPTOP, HINGE))[1]) < 1.0:
            sim.client.applyExternalForce(bid, sim.link(LAPTOP, SCREEN), tuple(-force_n * normal), tuple(edge),
                                          p.WORLD_FRAME)
        sim.step()


def test_stiff_hinge_holds_the_screen_and_turns_only_under_a_firm_push(world):
    w = world("close_laptop_lid")
    for angle in (2.6, 1.6, 0.6):
        w.sim.set_joint_position(LAPTOP, HINGE, angle)
        w.sim.step(240)
        assert w.sim.joint_position(LAPTOP, HINGE) == pytest.approx(angle, abs=0.01)
    weak_n = 0.6 * JOINT_FRICTION_NM / LAPTOP_SPEC.depth_m
    _push_edge(w.sim, weak_n, 120)
    assert w.sim.joint_position(LAPTOP, HINGE) == pytest.approx(0.6, abs=0.01)
    _push_edge(w.sim, 3 * weak_n, 60)
    assert w.sim.joint_position(LAPTOP, HINGE) < 0.6 - 0.2


def test_the_stop_keeps_the_screen_a_finger_short_of_the_fence(world):
    w = world("close_laptop_lid")
    w.sim.set_joint_position(LAPTOP, HINGE, np.deg2rad(165.0))
    _push_edge(w.sim, -40.0, 240)  # shove it open as far as it goes
    w.sim.step(60)
    assert w.sim.joint_position(LAPTOP, HINGE) < LAPTOP_SPEC.max_open_rad + 0.03
    edge, _ = _free_edge(w.sim)
    pos, rot = _frame(w.sim)
    fence_x = LAPTOP_SPEC.depth_m / 2 + LAPTOP_SPEC.depth_m * np.cos(np.pi - LAPTOP_SPEC.backstop_open_rad) + 0.06
    assert fence_x - (edge - pos) @ rot[:, 0] > 0.04  # room for the closed fingers (2 cm) to come down
    assert not w.task.success(take_snapshot(w.sim, w.task.body_names()), "default")


def test_closed_counts_and_nearly_closed_does_not(world):
    w = world("close_laptop_lid")
    for angle, closed in ((CLOSED_TOL_RAD + 0.05, False), (CLOSED_TOL_RAD - 0.05, True), (0.0, True)):
        w.sim.set_joint_position(LAPTOP, HINGE, angle)
        assert w.task.success(take_snapshot(w.sim, w.task.body_names()), "default") is closed


def test_reset_opens_the_screen_wide_and_keeps_the_laptop_in_reach(world):
    w = world("close_laptop_lid")
    yaws = []
    for seed in range(20):
        w.task.reset(w.sim, np.random.default_rng(seed), "default")
        assert np.deg2rad(155) <= w.sim.joint_position(LAPTOP, HINGE) <= np.deg2rad(165)
        lo, hi = w.sim.aabb(LAPTOP)  # the fence included (nearest the robot, at x 0.19, when it faces it)
        assert lo[0] > 0.15 and hi[0] < 0.85 and max(abs(lo[1]), abs(hi[1])) < 0.4
        yaws.append(abs(p.getEulerFromQuaternion(w.sim.pose(LAPTOP).quat)[2]))
    assert min(yaws) < np.pi / 4 and max(yaws) > 3 * np.pi / 4  # facing the robot and facing away


# Layout yaws 2.99 and -3.02 (the screen's back toward the robot), 0.1 (away from it), -1.38 (side on).
@pytest.mark.parametrize(("scale", "seed"), [(0.75, 4), (1.0, 43), (0.75, 5), (1.0, 18)])
def test_oracle_closes_scaled_laptops_facing_either_way(world, scale, seed):
    w = world("close_laptop_lid", mo=scale, seed=seed)
    assert w.sim.shape_extents(LAPTOP, SCREEN)[0] == pytest.approx(LAPTOP_SPEC.scaled(scale).depth_m)
    assert oracle_solves(w), f"screen still at {w.sim.joint_position(LAPTOP, HINGE):.2f} rad"
