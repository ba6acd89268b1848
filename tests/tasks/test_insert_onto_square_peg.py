"""insert_onto_square_peg: only the ring let down round the named spoke counts, the spokes keep their
colours under the colour axes, every size resets cleanly, and the oracle solves the fixed seeds."""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite.perturbations.base import NAMED_COLORS
from colosseum_lite.sim import Pose, quat_from_euler, to_world
from colosseum_lite.tasks import env_id
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.insert_onto_square_peg import SPOKES, VARIANTS
from tests.tasks.conftest import oracle_solves

TASK = "insert_onto_square_peg"


def _put(sim, spoke: str, local, roll_rad: float = 0.0) -> None:
    """The ring's centre at ``local`` in a spoke's frame (its bottom centre), square to it, tipped ``roll_rad``."""
    pose = sim.pose(spoke)
    sim.set_pose("ring", Pose(tuple(to_world(pose.pos, pose.quat, local)),
                              quat_from_euler(roll_rad, 0.0, pose.yaw_rad + 0.1)))


@pytest.mark.parametrize(("mo", "ro"), [(1.0, 1.15), (1.5, 0.85)])
def test_only_the_ring_let_down_round_the_named_spoke_counts(world, mo, ro):
    w = world(TASK, mo=mo, ro=ro, seed=2, variant="navy")
    sim, task = w.sim, w.task
    rest = task._ring.rest_height_m
    _put(sim, "target_spoke", (0.004, -0.003, rest + 0.01))
    sim.step(240)  # it drops onto the base round the spoke and stays
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, "navy")
    assert task.dense_reward(snap, "navy") == 1.0
    assert not task.success(replace(snap, grasped=frozenset({"ring"})), "navy")  # still held
    for spoke, where, roll in (("target_spoke", (0.0, 0.0, task._spoke.height_m + rest + 0.01), 0.0),  # held above
                               ("other_spoke_a", (0.0, 0.0, rest + 0.002), 0.0),  # round another spoke
                               ("target_spoke", (0.0, 0.2, rest - task._base.height_m), 0.0),  # on the table
                               ("target_spoke", (0.0, 0.0, task._ring.hole_half_m), np.pi / 2)):  # on its edge
        _put(sim, spoke, where, roll)
        assert not task.success(take_snapshot(sim, task.body_names()), "navy"), (spoke, where)


def _spoke_colors(sim) -> dict[str, tuple[float, ...]]:
    return {s: tuple(np.round(sim.colors(s)[-1][:3], 3)) for s in SPOKES}


def test_the_spokes_keep_their_colours_under_the_colour_and_texture_axes():
    envs = {axes: gym.make(env_id(TASK), perturbations=axes, variant="lime").unwrapped
            for axes in ((), ("ro_color", "ro_texture"))}
    try:
        for env in envs.values():
            env.reset(seed=4)
        nominal, perturbed = (_spoke_colors(env.sim) for env in envs.values())
        assert nominal == perturbed
        assert nominal["target_spoke"] == NAMED_COLORS["lime"]
        rgbs = list(nominal.values())
        assert min(np.linalg.norm(np.subtract(a, b)) for i, a in enumerate(rgbs) for b in rgbs[i + 1:]) > 0.6
        base = [env.sim.colors("peg_base")[-1] for env in envs.values()]
        assert base[0] != base[1]  # the base is what ro_color recolours
    finally:
        for env in envs.values():
            env.close()


@pytest.mark.parametrize(("mo", "ro"), [(1.0, 0.85), (1.0, 1.15), (1.5, 0.85), (1.5, 1.15)])
def test_every_size_resets_the_ring_lying_still_beside_the_base(world, mo, ro):
    w = world(TASK, mo=mo, ro=ro)
    sim, task = w.sim, w.task
    for seed in range(6):
        task.reset(sim, np.random.default_rng(seed), VARIANTS[seed])
        start = np.asarray(sim.pose("ring").pos)
        sim.step(240)
        assert np.linalg.norm(np.asarray(sim.pose("ring").pos) - start) < 0.003, seed  # lies still
        assert not any(sim.contacts("ring", b) for b in ("peg_base", *SPOKES)), seed
        assert 0.3 < sim.pose("ring").pos[0] < 0.76 and abs(sim.pose("ring").pos[1]) < 0.32  # top-down reach


def test_oracle_solves_the_fixed_seeds(world):
    solved = [oracle_solves(world(TASK, seed=seed, variant=VARIANTS[seed]), VARIANTS[seed]) for seed in range(10)]
    assert sum(solved) >= 9, solved
