"""stack_cups: only both other cups nested in the named cup and let go counts, the named colour stays the
base cup's under the colour axes, the cups nest at every size, and the oracle solves the fixed seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.declarations import NAMED_COLORS
from colosseum_lite.env import ColosseumEnv
from colosseum_lite.perturbations.color import MIN_COLOR_DISTANCE
from colosseum_lite.sim import Pose, quat_from_euler
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.stack_cups import BASE, OTHERS
from tests.tasks.conftest import oracle_solves


def _put(sim, name: str, xyz, roll_rad: float = 0.0) -> None:
    sim.set_pose(name, Pose(tuple(xyz), quat_from_euler(roll_rad, 0.0, 0.0)))


@pytest.mark.parametrize("mo", [0.75, 1.25])
def test_only_both_cups_nested_in_the_base_cup_and_let_go_counts(world, mo):
    w = world("stack_cups", mo=mo, seed=2, variant="red")
    sim, task = w.sim, w.task
    pitch, base = task._cup.nest_pitch_m, np.array([0.5, 0.0, 0.0])
    _put(sim, BASE, base)
    for k, cup in enumerate(OTHERS, start=1):
        _put(sim, cup, base + (0.0, 0.0, k * pitch + 0.004))
    sim.step(240)  # they settle into the stack
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, "red") and task.dense_reward(snap, "red") == 1.0
    assert not task.success(replace(snap, grasped=frozenset({OTHERS[1]})), "red")  # still held
    _put(sim, OTHERS[1], base + (0.0, 0.0, 0.12))  # held up in the air above the stack
    assert not task.success(take_snapshot(sim, task.body_names()), "red")
    _put(sim, OTHERS[1], base + (0.0, 0.2, 0.0))  # standing beside
    sim.step(120)
    assert not task.success(take_snapshot(sim, task.body_names()), "red")
    _put(sim, OTHERS[1], base + (0.0, 0.2, 0.03 * mo), np.pi / 2)  # knocked over, lying beside
    sim.step(120)
    assert not task.success(take_snapshot(sim, task.body_names()), "red")
    _put(sim, BASE, base + (0.0, 0.0, 0.04 * mo), np.pi / 2)  # the base cup knocked over, its cup beside it
    _put(sim, OTHERS[0], base + (0.0, 0.0, pitch), np.pi / 2)
    assert not task.success(take_snapshot(sim, task.body_names()), "red")
    _put(sim, OTHERS[0], base)  # stacked into another cup instead: cup_2 and the base cup in cup_1
    for k, cup in enumerate((OTHERS[1], BASE), start=1):
        _put(sim, cup, base + (0.0, 0.0, k * pitch + 0.004))
    sim.step(240)
    assert not task.success(take_snapshot(sim, task.body_names()), "red")


@pytest.mark.parametrize("axis", ["mo_color", "mo_texture", "all"])
def test_the_named_colour_stays_the_base_cups_alone_under_the_visual_axes(axis):
    env = ColosseumEnv("stack_cups", perturbations=axis)
    try:
        for seed in range(12):
            _, info = env.reset(seed=seed)
            named = np.asarray(NAMED_COLORS[info["variant"]])
            assert env.sim.colors(BASE)[-1][:3] == pytest.approx(tuple(named))  # the base cup keeps it
            assert not info["perturbation"].get("mo_texture", {}).get(BASE)
            for cup in OTHERS:  # no other cup looks like it, recoloured or not
                assert np.linalg.norm(np.asarray(env.sim.colors(cup)[-1][:3]) - named) > MIN_COLOR_DISTANCE
            assert BASE not in info["perturbation"].get("mo_color", {}).get("colors", {})
    finally:
        env.close()


@pytest.mark.parametrize("mo", [0.75, 1.0, 1.25])
def test_every_size_resets_three_cups_standing_apart_in_reach(world, mo):
    w = world("stack_cups", mo=mo)
    sim, task = w.sim, w.task
    for seed in range(6):
        task.reset(sim, np.random.default_rng(seed), "blue")
        start = {c: np.asarray(sim.pose(c).pos) for c in task.body_names()}
        sim.step(240)
        for c in task.body_names():
            assert np.linalg.norm(np.asarray(sim.pose(c).pos) - start[c]) < 0.003, (seed, c)  # stands still
            assert 0.3 < sim.pose(c).pos[0] < 0.76 and abs(sim.pose(c).pos[1]) < 0.3
            assert not any(sim.contacts(c, o) for o in task.body_names() if o != c)


@pytest.mark.parametrize("mo", [0.75, 1.25])
def test_oracle_solves_the_size_extremes(world, mo):
    assert sum(oracle_solves(world("stack_cups", mo=mo, seed=s, variant="green"), "green") for s in range(3)) >= 2


def test_oracle_solves_the_fixed_seeds(world):
    variants = list(NAMED_COLORS)
    solved = [oracle_solves(world("stack_cups", seed=s, variant=variants[s]), variants[s]) for s in range(10)]
    assert sum(solved) >= 9, solved
