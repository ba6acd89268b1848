"""Which axes an observation mode observes: the rule, and the state observations that prove it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from colosseum_lite.eval.metrics import observes, set_observed
from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION, applicable_axes
from colosseum_lite.perturbations.base import Stage
from colosseum_lite.policies import load_policy
from colosseum_lite.registration import ObsMode
from colosseum_lite.tasks import TASKS, env_id

# Physical axes: they change bodies (sizes, distractors' collision boxes) or dynamics (friction, mass).
SEEN_IN_STATE = {"mo_size", "ro_size", "distractor", "object_friction", "object_mass"}
TASK = "slide_block_to_target"
SEED = 1000


@pytest.mark.parametrize("axis", list(AXES))
def test_state_observes_exactly_the_axes_that_are_not_render_only(axis):
    assert observes("state", axis) == (AXES[axis].stage is not Stage.RENDER)
    assert observes(ObsMode.STATE, axis) == (axis in SEEN_IN_STATE)


@pytest.mark.parametrize("mode", ["rgb", "rgbd"])
@pytest.mark.parametrize("axis", list(AXES))
def test_image_modes_observe_every_axis(mode, axis):
    assert observes(mode, axis)


def test_unknown_names_are_errors_naming_the_choices():
    with pytest.raises(ValueError, match=r"unknown axis 'mo_colour'; expected one of \['background_texture'"):
        observes("rgb", "mo_colour")
    with pytest.raises(ValueError, match="obs_mode"):
        observes("pixels", "mo_color")


@pytest.mark.parametrize("task", sorted(TASKS))
def test_sets_of_a_task(task):
    assert set_observed("state", task, NO_PERTURBATION)
    assert not set_observed("state", task, "camera_pose")  # every task has the common visual axes
    assert set_observed("state", task, ALL) == bool(SEEN_IN_STATE & set(applicable_axes(TASKS[task])))
    assert all(set_observed("rgb", task, s) for s in [NO_PERTURBATION, *applicable_axes(TASKS[task]), ALL])
    assert set_observed(None, task, "mo_color")  # a run stored without an obs mode: nothing says otherwise


def _rollout(perturbations: str | None, steps: int = 3) -> list[dict[str, np.ndarray]]:
    env = gym.make(env_id(TASK), obs_mode="state", perturbations=perturbations)
    try:
        obs, _ = env.reset(seed=SEED)
        policy = load_policy("oracle", env)
        policy.reset(SEED)
        out = [obs]
        for _ in range(steps):
            obs, *_ = env.step(policy.act(obs))
            out.append(obs)
        return out
    finally:
        env.close()


@pytest.mark.parametrize("axis", [a for a in applicable_axes(TASKS[TASK]) if not observes("state", a)])
def test_a_visual_axis_leaves_state_observations_bit_identical(axis):
    """Why such a set is "not observed" in state mode: its episodes repeat their unperturbed twins."""
    nominal, perturbed = _rollout(None), _rollout(axis)
    for a, b in zip(nominal, perturbed, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{axis}: {key}")
