"""Every physics axis moves its targets away from nominal: nominal lies outside (or on the edge of) the range.

A range that holds the nominal value inside lets many draws land within a few percent of the
unperturbed scene, so the axis barely perturbs (the reference's reach_and_drag cube friction 0.8
inside U(0.75, 1.0) put 31% of draws within +-5% of nominal).
"""

from __future__ import annotations

import gymnasium as gym
import pytest

from colosseum_lite import TASKS, env_id
from colosseum_lite.perturbations import AXES, applicable_axes
from tests.conftest import TASK_NAMES

PHYSICS_AXES = ("object_friction", "object_mass")
PAIRS = [(t, a) for t in TASK_NAMES for a in PHYSICS_AXES if a in applicable_axes(TASKS[t])]


def _ranges(task: str, axis: str) -> dict[str, tuple[float, float]]:
    """The declared range of each target body of a physics axis on a task."""
    setting = applicable_axes(TASKS[task])[axis]
    if axis == "object_friction":
        rng = setting.range or AXES[axis].default_range
        return {body: tuple(rng) for body in setting.targets}
    return {body: tuple(r) for body, r in setting.ranges.items()}


def _nominal(env: gym.Env, body: str, axis: str) -> list[float]:
    """Nominal lateral friction of every link of ``body`` (friction) or its base mass (mass)."""
    dyn = env.unwrapped.scene.nominal_dynamics[body]
    if axis == "object_friction":
        return [mu for _, mu in dyn.values()]
    return [dyn[-1][0]]


def test_some_task_has_each_physics_axis():
    assert {a for _, a in PAIRS} == set(PHYSICS_AXES)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_nominal_is_not_strictly_inside_the_axis_range(pair):
    task, axis = pair
    env = gym.make(env_id(task), perturbations=(axis,))
    try:
        env.reset(seed=0)
        for body, (lo, hi) in _ranges(task, axis).items():
            for value in _nominal(env, body, axis):
                assert not lo < value < hi, (
                    f"{task} {axis}: nominal {value} of {body!r} lies inside the range [{lo}, {hi}]; "
                    f"move the nominal value or the range so nominal sits at an edge or outside")
    finally:
        env.close()


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_draws_differ_from_nominal(pair):
    """Few draws land within 5% of nominal (at most the slice of the range next to an edge)."""
    task, axis = pair
    env = gym.make(env_id(task), perturbations=(axis,))
    try:
        near, total = 0, 0
        for seed in range(20):
            _, info = env.reset(seed=seed)
            drawn = info["perturbation"][axis]
            values = drawn["lateral_friction"] if axis == "object_friction" else drawn["mass_kg"]
            for body, value in values.items():
                nominal = _nominal(env, body, axis)[0]
                near += abs(value - nominal) <= 0.05 * nominal
                total += 1
    finally:
        env.close()
    assert near <= 0.2 * total, f"{task} {axis}: {near}/{total} draws within 5% of nominal"
