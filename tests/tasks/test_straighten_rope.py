"""straighten_rope: only both ends down on different patches and let go counts, the rope is one multibody
that does not stretch, its start shapes cannot count (the oracle on seeds 0-9: tests/tasks/test_tasks.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.straighten_rope import MAX_START_SPAN_M, PATCH_GAP_M, PATCH_HALF_M, PATCHES, ROPE

U_TURNS_RAD = (0.0, 1.19, 0.79, 0.7, 0.79, 1.19, 0.0)  # a teardrop: both ends 3 cm apart, side by side


def _lay(sim, first_xy, heading, turns=(0.0,) * (ROPE.count - 1), lifts=()) -> None:
    """The rope lying with its base capsule's centre at ``first_xy``; ``lifts``: (joint, rad) bent up."""
    sim.set_pose("rope", Pose((*first_xy, ROPE.radius_m), quat_from_euler(0.0, 0.0, heading)))
    for i, turn in enumerate(turns, start=1):
        sim.set_joint_position("rope", ROPE.turn(i), turn)
        sim.set_joint_position("rope", ROPE.lift(i), dict(lifts).get(i, 0.0))


def test_only_both_ends_down_on_different_patches_and_let_go_counts(world):
    sim, task, _ = world("straighten_rope", seed=4)
    a, b = (np.asarray(sim.pose(p).pos[:2]) for p in PATCHES)
    along = (b - a) / np.linalg.norm(b - a)
    heading = float(np.arctan2(along[1], along[0]))

    def solved(lifts=(), grasped=False) -> bool:
        snap = take_snapshot(sim, task.body_names())
        return task.success(replace(snap, grasped=frozenset({"rope"}) if grasped else frozenset()), "default")

    start = (a + b) / 2 - along * ROPE.span_m / 2  # straight, each end 1.5 cm past its patch's centre
    _lay(sim, start, heading)
    assert solved() and not solved(grasped=True)  # held there does not count
    _lay(sim, start + along * ROPE.span_m, heading + np.pi)  # the other way round: the ends look alike
    assert solved()
    _lay(sim, start, heading, lifts=((ROPE.count - 2, -0.5), (ROPE.count - 1, -0.5)))
    assert not solved()  # one end held up above its patch
    _lay(sim, start + along * 0.1, heading)  # slid along: one end on its patch only
    assert not solved()
    _lay(sim, start + np.array([-along[1], along[0]]) * 0.08, heading)  # lying straight beside the patches
    assert not solved()
    ends = ROPE.flat_centres((0.0, 0.0), heading, U_TURNS_RAD)[[0, -1]]
    _lay(sim, a - ends.mean(axis=0), heading, U_TURNS_RAD)  # folded: both ends on one patch
    assert np.all(np.abs(task.ends(take_snapshot(sim, task.body_names()))[:, :2] - a) < PATCH_HALF_M)
    assert not solved()


def test_start_shapes_lie_still_uncrossed_in_reach_and_far_from_solved(world):
    sim, task, _ = world("straighten_rope")
    for seed in range(12):
        task.reset(sim, np.random.default_rng(seed), "default")
        before = ROPE.centres(*_base(sim), lambda j: sim.joint_position("rope", j))
        sim.step(240)
        after = ROPE.centres(*_base(sim), lambda j: sim.joint_position("rope", j))
        assert np.abs(after - before).max() < 0.002, f"seed {seed}: the rope moved"
        assert np.abs(after[:, 2] - ROPE.radius_m).max() < 0.001, f"seed {seed}: not flat"
        solvable_span = PATCH_GAP_M - 2 * np.sqrt(2) * PATCH_HALF_M  # the least the ends can be apart at success
        assert np.linalg.norm(after[0] - after[-1]) < MAX_START_SPAN_M < solvable_span
        gaps = np.linalg.norm(after[:, None, :2] - after[None, :, :2], axis=2)
        far = np.abs(np.subtract.outer(range(ROPE.count), range(ROPE.count))) >= 3
        assert gaps[far].min() > 2 * ROPE.radius_m, f"seed {seed}: the rope crosses itself"
        assert 0.3 < after[:, 0].min() and after[:, 0].max() < 0.76 and np.abs(after[:, 1]).max() < 0.3


def test_the_rope_is_one_body_that_bends_but_does_not_stretch(world):
    sim, task, _ = world("straighten_rope", seed=1)
    rope, last = sim.id("rope"), sim.link("rope", ROPE.segment(ROPE.count - 1))
    end = ROPE.centres(*_base(sim), lambda j: sim.joint_position("rope", j))[-1]
    for _ in range(120):  # a 1 N pull on one end, 0.5 s
        at = sim.client.getLinkState(rope, last, computeForwardKinematics=True)[0]  # at the end capsule's centre
        sim.client.applyExternalForce(rope, last, (0.8, 0.6, 0.0), at, 2)  # 2: world frame
        sim.step()
    links = [sim.link("rope", ROPE.segment(i)) for i in range(1, ROPE.count)]
    engine = np.array([sim.pose("rope").pos,
                       *(sim.client.getLinkState(rope, k, computeForwardKinematics=True)[0] for k in links)])
    assert ROPE.centres(*_base(sim), lambda j: sim.joint_position("rope", j)) == pytest.approx(engine, abs=1e-6)
    assert np.linalg.norm(engine[-1] - end) > 0.05  # pulled along the table
    spacing = np.linalg.norm(np.diff(engine, axis=0), axis=1)  # centre to centre, bent or not
    assert spacing.max() < ROPE.segment_m + 1e-3  # no stretching
    assert spacing.min() > 2 * ROPE.radius_m - 1e-3  # nor folding: neighbours at most touch


def _base(sim):
    pose = sim.pose("rope")
    return pose.pos, pose.quat
