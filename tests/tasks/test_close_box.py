"""close_box: the stiff hinge turns, the walls and the table stop the lid, and the oracle copes with
size (tests/tasks/test_random_bound.py: random policies fail)."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.close_box import BOX, HINGE, JOINT_FRICTION_NM, LID, LID_BOX
from tests.tasks.conftest import oracle_solves


@pytest.fixture
def box(world):
    w = world("close_box")
    return w.sim, w.robot, w.task


def _lid_length(sim: Sim) -> float:
    return sim.shape_extents(BOX, LID)[0]


def _free_edge(sim: Sim) -> tuple[np.ndarray, np.ndarray]:
    """World position of the lid's free edge (centre) and the lid's outer face normal."""
    link = sim.pose(BOX, LID)
    rot = np.asarray(p.getMatrixFromQuaternion(link.quat)).reshape(3, 3)
    return np.asarray(link.pos) - _lid_length(sim) * rot[:, 0], rot[:, 2]


def _push_edge(sim: Sim, force_n: float, steps: int, closing: bool = True) -> None:
    """Push the lid's free edge along its outer face normal (inward closes, outward opens).

    Like a hand, the push lets up while the lid turns faster than 1 rad/s: a constant force on the
    light lid would slam it into the walls at tens of rad/s.
    """
    bid = sim.id(BOX)
    for _ in range(steps):
        edge, normal = _free_edge(sim)
        if abs(sim.client.getJointState(bid, sim.joint(BOX, HINGE))[1]) < 1.0:
            force = -force_n * normal if closing else force_n * normal
            sim.client.applyExternalForce(bid, sim.link(BOX, LID), tuple(force), tuple(edge), p.WORLD_FRAME)
        sim.step()


def test_stiff_hinge_holds_the_lid_and_turns_only_under_a_firm_push(box):
    sim, _, _ = box
    for angle in (2.9, 1.6, 0.6):
        sim.set_joint_position(BOX, HINGE, angle)
        sim.step(240)
        assert sim.joint_position(BOX, HINGE) == pytest.approx(angle, abs=0.01)
    # A push at the edge below the friction torque does nothing; one above it turns the lid.
    weak_n = 0.6 * JOINT_FRICTION_NM / _lid_length(sim)
    _push_edge(sim, weak_n, 120)
    assert sim.joint_position(BOX, HINGE) == pytest.approx(0.6, abs=0.01)
    _push_edge(sim, 3 * weak_n, 60)
    assert sim.joint_position(BOX, HINGE) < 0.6 - 0.2


def test_walls_stop_the_closed_lid_and_it_counts_as_closed(box):
    sim, _, task = box
    sim.set_joint_position(BOX, HINGE, 0.5)
    snap = take_snapshot(sim, task.body_names())
    assert not task.success(snap, "default")
    _push_edge(sim, 40.0, 240)
    sim.step(60)
    angle = sim.joint_position(BOX, HINGE)
    assert -0.04 < angle < 0.02  # resting on the walls, not pushed through the box
    assert task.success(take_snapshot(sim, task.body_names()), "default")


def test_lid_pushed_open_comes_to_rest_on_the_table_behind_the_box(box):
    sim, _, task = box
    sim.set_joint_position(BOX, HINGE, 2.9)
    _push_edge(sim, 40.0, 240, closing=False)
    sim.step(60)
    angle = sim.joint_position(BOX, HINGE)
    assert np.deg2rad(200) < angle < np.deg2rad(230)  # on the table, not through the far wall
    edge, _ = _free_edge(sim)
    assert edge[2] < 0.02
    base = sim.pose(BOX)
    far = np.asarray(p.getMatrixFromQuaternion(base.quat)).reshape(3, 3)[:, 0]
    assert (edge - np.asarray(base.pos)) @ far > LID_BOX.depth_m / 2  # beyond the far wall
    assert not task.success(take_snapshot(sim, task.body_names()), "default")


def test_reset_opens_the_lid_away_from_the_robot_inside_the_workspace(box):
    sim, _, task = box
    for seed in range(10):
        task.reset(sim, np.random.default_rng(seed), "default")
        assert np.deg2rad(150) <= sim.joint_position(BOX, HINGE) <= np.deg2rad(170)
        edge, _ = _free_edge(sim)
        hinge = np.asarray(sim.pose(BOX, LID).pos)
        assert edge[0] > hinge[0] + 0.08  # leaning back beyond the box
        lo, hi = sim.aabb(BOX)  # the fence behind the box included
        assert lo[0] > 0.3 and hi[0] < 0.85 and max(abs(lo[1]), abs(hi[1])) < 0.4


@pytest.mark.parametrize("scale", [0.75, 1.15])
def test_oracle_closes_scaled_boxes(world, scale):
    w = world("close_box", mo=scale, seed=9)
    assert w.sim.shape_extents(BOX, LID)[0] == pytest.approx(LID_BOX.scaled(scale).lid.length_m)
    assert oracle_solves(w), f"lid still at {w.sim.joint_position(BOX, HINGE):.2f} rad"

