"""What a sweep is made of: work items, the config workers build envs from, paired plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from colosseum_lite.eval.spec import spec_default
from colosseum_lite.perturbations import ALL, NO_PERTURBATION, applicable_axes
from colosseum_lite.tasks import TASKS


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One episode to run: every set of a task shares the same ``(episode, seed)`` pairs."""

    task: str
    set_name: str
    episode: int
    seed: int

    def key(self) -> tuple[str, str, int]:
        return self.task, self.set_name, self.episode


@dataclass(frozen=True, slots=True)
class SweepConfig:
    """Everything a worker needs to build envs and the policy (plain data, picklable): the checked
    :class:`~colosseum_lite.eval.spec.SweepSpec` fields that change an episode, and the run."""

    run: str
    policy: str
    version: str
    obs_mode: str = spec_default("obs_mode")
    control_mode: str = spec_default("control_mode")
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # axis -> setting overrides
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    device: str = spec_default("device")  # where a torch policy runs ("cpu", "cuda", "cuda:1"...)
    batch_size: int = spec_default("batch_size")  # episodes a worker steps in lockstep (act_batch)

    def perturbations(self, task: str, set_name: str) -> Any:
        """The ``perturbations`` make argument of one (task, set), with the user's overrides."""
        if set_name == NO_PERTURBATION:
            return None
        names = list(applicable_axes(TASKS[task])) if set_name == ALL else [set_name]
        return {n: self.overrides.get(n, {}) for n in names}


def sets_for(task: str, sets: Sequence[str]) -> list[str]:
    """The sets a task runs: no_perturbation (always, it is every set's twin), the requested
    single axes that apply to it, and ``all``."""
    applicable = applicable_axes(TASKS[task])
    out = [NO_PERTURBATION]
    out += [s for s in sets if s in applicable]
    if ALL in sets:
        out.append(ALL)
    return out


def plan(tasks: Sequence[str], sets: Sequence[str], episodes: int, seed: int) -> list[WorkItem]:
    """Work items of a sweep, grouped by (task, set) so workers can keep one env per group."""
    return [WorkItem(t, s, i, seed + i) for t in tasks for s in sets_for(t, sets) for i in range(episodes)]
