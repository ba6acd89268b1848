"""Every task: declared roles, a false predicate at reset, and an oracle that really solves it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite import TASKS, env_id
from colosseum_lite.declarations import Role
from colosseum_lite.tasks import reach_and_drag, slide_block_to_target
from tests.conftest import TASK_NAMES
from tests.helpers import oracle_episodes

# CI's fast subset: 10 fixed seeds, at least 9 solved. The 50-seed rates per set are bench commands
# (bench/oracle_perturbed.py, bench/validity.py on held-out seeds).
ORACLE_SEEDS = range(10)
ORACLE_MIN_SUCCESS = 0.9
RESET_SEEDS = range(50)  # resets are cheap: no task may start solved on any of these


@pytest.mark.parametrize("task", TASK_NAMES)
def test_task_declares_objects_roles_and_instructions(task):
    cls = TASKS[task]
    assert cls.name == task
    assert any(role is Role.MO for role in cls.objects.values())
    assert cls.variants and len(set(cls.variants)) == len(cls.variants)
    for variant in cls.variants:
        assert cls().instruction(variant).strip()
    lo, hi = cls.layout_yaw_rad
    assert lo <= hi


@pytest.mark.parametrize("task", TASK_NAMES)
def test_success_is_false_at_every_reset(task):
    env = gym.make(env_id(task))
    try:
        for seed in RESET_SEEDS:
            _, info = env.reset(seed=seed)
            assert not info["is_success"], f"{task} starts solved at seed {seed}"
    finally:
        env.close()


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_variant_occurs(task):
    env = gym.make(env_id(task))
    seen: set[str] = set()
    try:
        for s in range(300):  # up to 300 seeds: a task with 20 variants (colour names) needs about 110
            seen.add(env.reset(seed=s)[1]["variant"])
            if seen == set(TASKS[task].variants):
                break
    finally:
        env.close()
    assert seen == set(TASKS[task].variants)


def _oracle_rate(task: str, seeds: range, perturbations=None) -> tuple[float, list[int]]:
    """The oracle's success rate on ``seeds`` and the seeds it failed."""
    results = oracle_episodes(task, seeds, perturbations=perturbations)
    return sum(r.success for r in results) / len(results), [r.seed for r in results if not r.success]


@pytest.mark.slow
@pytest.mark.parametrize("task", TASK_NAMES)
def test_oracle_solves_the_task(task):
    rate, failed = _oracle_rate(task, ORACLE_SEEDS)
    assert rate >= ORACLE_MIN_SUCCESS, f"{task}: oracle {rate:.0%}, failed seeds {failed}"


def _sets(task: str) -> list[str]:
    from colosseum_lite.perturbations import ALL, applicable_axes

    return [*applicable_axes(TASKS[task]), ALL]


PERTURBED = [(t, s) for t in TASK_NAMES for s in _sets(t)]
PERTURBED_SEEDS = range(10)  # at least 8 of 10 per set; bench/oracle_perturbed.py runs 50 per set
PERTURBED_MIN_SUCCESS = 0.8


@pytest.mark.slow
@pytest.mark.parametrize("pair", PERTURBED, ids=lambda p: f"{p[0]}-{p[1]}")
def test_oracle_stays_a_valid_reference_under_perturbation(pair):
    task, set_name = pair
    rate, failed = _oracle_rate(task, PERTURBED_SEEDS, set_name)
    assert rate >= PERTURBED_MIN_SUCCESS, f"{task} under {set_name}: oracle {rate:.0%}, failed seeds {failed}"


TARGET_HALF_M = {  # tasks whose target square has no collision shape: nothing else keeps it clear
    "slide_block_to_target": slide_block_to_target.TARGET_HALF_M,
    "reach_and_drag": reach_and_drag.TARGET_HALF_M,
}


@pytest.mark.parametrize("task", sorted(TARGET_HALF_M))
def test_distractors_never_stand_on_the_target(task):
    env = gym.make(env_id(task), perturbations=("distractor",))
    count = TASKS[task].axes["distractor"].count
    try:
        for seed in range(30):
            env.reset(seed=seed)
            sim = env.unwrapped.sim
            names = [f"distractor_{i}" for i in range(count)]
            assert all(n in sim.bodies for n in names), f"seed {seed}: fewer than {count} distractors"
            target = np.asarray(sim.pose("target").pos[:2])
            target_r = np.sqrt(2) * TARGET_HALF_M[task]  # the square's circumscribed circle
            for name in names:
                lo, hi = sim.aabb(name)
                center, r = (lo[:2] + hi[:2]) / 2, float(np.linalg.norm(hi[:2] - lo[:2])) / 2
                gap = float(np.linalg.norm(center - target)) - r - target_r
                assert gap > 0.0, f"seed {seed}: {name} overlaps the target by {-gap:.3f} m"
    finally:
        env.close()
