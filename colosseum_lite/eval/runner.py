"""The evaluation runner: paired perturbation sweeps over worker processes or a Ray cluster.

The runner sees only the Gymnasium API and the policy protocol. A sweep is a list of work items
``(task, set, episode, seed)``; every set of a task uses the same seeds, so each perturbed episode
has an unperturbed twin. Workers keep their env alive across episodes of the same (task, set)
and reset it. The driver alone writes to the store, one durable row per finished episode, so a
killed sweep loses nothing finished and a rerun of the same run does only what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from colosseum_lite.eval.backends import run_local, run_ray
from colosseum_lite.eval.plan import SweepConfig, WorkItem, parse_names, plan, sets_for
from colosseum_lite.eval.store import EpisodeRow, Store
from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION, applicable_axes, resolve
from colosseum_lite.policies.loading import resolve_factory
from colosseum_lite.seeding import MAX_SEED
from colosseum_lite.tasks import TASKS


# ------------------------------------------------------------------------------ the API
@dataclass(frozen=True, slots=True)
class SweepResult:
    """What a sweep left in the store for its run."""

    run: str
    db: str
    rows: list[EpisodeRow]
    ran: int  # episodes run now (the rest were already in the store)


@dataclass(frozen=True, slots=True)
class Sweep:
    """A validated sweep, ready to execute: nothing has run yet."""

    config: SweepConfig
    items: list[WorkItem]
    db: str
    backend: str
    workers: int
    address: str | None
    description: dict[str, Any]


def prepare(
    policy: str,
    tasks: str | Sequence[str] = "all",
    sets: str | Sequence[str] = "all",
    episodes: int = 25,
    seed: int = 0,
    workers: int | None = None,
    backend: str = "local",
    db: str = "results.sqlite",
    run: str | None = None,
    obs_mode: str = "state",
    control_mode: str = "ee_keyframe",
    overrides: dict[str, dict[str, Any]] | None = None,
    address: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> Sweep:
    """Validate every argument of a sweep (see :func:`evaluate`) without running anything.

    Raises:
        ValueError: bad names, ranges, policy, modes, backend or database, naming the fix.
    """
    from colosseum_lite import __version__
    from colosseum_lite.env import ControlMode, ObsMode, _choice

    task_names = parse_names(tasks, sorted(TASKS), "task(s)")
    set_names = parse_names(sets, [NO_PERTURBATION, *AXES, ALL], "set(s)")
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    if not 0 <= seed <= MAX_SEED - episodes:
        raise ValueError(f"seed must be in [0, {MAX_SEED - episodes}], got {seed}")
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; expected 'local' or 'ray'")
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    _choice(ObsMode, obs_mode, "obs_mode")
    control = _choice(ControlMode, control_mode, "control_mode")
    resolve_factory(policy)
    if policy == "oracle" and control is not ControlMode.EE_KEYFRAME:
        raise ValueError("the oracle plays keyframes: use control_mode='ee_keyframe'")
    overrides = {k: dict(v) for k, v in (overrides or {}).items()}
    unknown = sorted(set(overrides) - set(AXES))
    if unknown:
        raise ValueError(f"overrides for unknown axis {unknown}; expected some of {list(AXES)}")
    for task in task_names:  # validates the overrides against every task they reach
        active = [s for s in sets_for(task, set_names) if s != NO_PERTURBATION]
        names = list(applicable_axes(TASKS[task])) if ALL in active else active
        resolve(TASKS[task], {n: overrides.get(n, {}) for n in names})
    config = SweepConfig(run or policy, policy, __version__, obs_mode, control.value, overrides,
                         dict(env_kwargs or {}))
    description = {"tasks": task_names, "sets": set_names, "episodes": episodes, "seed": seed,
                   "obs_mode": obs_mode, "control_mode": control.value, "overrides": overrides,
                   "env_kwargs": config.env_kwargs}
    with Store(db) as store:  # fails now on an unusable file or a run made with another policy
        store.check_run(config.run, policy)
    return Sweep(config, plan(task_names, set_names, episodes, seed), str(db), backend, workers, address,
                 description)


def execute(sweep: Sweep, progress: bool = True) -> SweepResult:
    """Run what a prepared sweep still misses in its store; returns the run's rows."""
    config = sweep.config
    store = Store(sweep.db)
    try:
        store.start_run(config.run, config.policy, config.version, sweep.description)
        done = store.done(config.run)
        todo = [it for it in sweep.items if it.key() not in done]
        bar = _progress(len(sweep.items), len(sweep.items) - len(todo), store, config.run, progress)
        ran = 0

        def on_row(row: EpisodeRow) -> None:
            nonlocal ran
            ran += store.add(row)
            bar.update(row)

        if todo:
            if sweep.backend == "local":
                run_local(todo, config, sweep.workers, on_row)
            else:
                run_ray(todo, config, sweep.address, on_row)
        bar.close()
        keys = {it.key() for it in sweep.items}
        rows = [r for r in store.rows(config.run) if r.key() in keys]
    finally:
        store.close()
    return SweepResult(config.run, sweep.db, rows, ran)


def evaluate(
    policy: str,
    tasks: str | Sequence[str] = "all",
    sets: str | Sequence[str] = "all",
    episodes: int = 25,
    seed: int = 0,
    workers: int | None = None,
    backend: str = "local",
    db: str = "results.sqlite",
    run: str | None = None,
    obs_mode: str = "state",
    control_mode: str = "ee_keyframe",
    overrides: dict[str, dict[str, Any]] | None = None,
    address: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
) -> SweepResult:
    """Evaluate a policy on tasks under perturbation sets, storing every episode in SQLite.

    Args:
        policy: a policy spec (``oracle``, ``random``, ``pkg.module:factory``, ``file.py:factory``).
        tasks: ``"all"`` or task names.
        sets: ``"all"`` (no_perturbation, each axis, all) or set names; each task runs the
            requested axes that apply to it, plus no_perturbation (every set's paired twin).
        episodes: episodes per (task, set); episode ``i`` uses seed ``seed + i`` in every set.
        workers: local worker processes (default: one per core).
        backend: ``local`` or ``ray`` (``address`` of the cluster; a local one by default).
        db: SQLite file; several runs share one.
        run: the run's name (default: the policy spec); rerunning the same run resumes it.
        overrides: axis setting overrides, e.g. ``{"mo_size": {"range": [0.8, 1.2]}}``.
        env_kwargs: more ``gym.make`` arguments (``image_size``, ``cameras``...).

    Raises:
        ValueError: bad names, ranges, policy, backend or database, before any episode runs.
    """
    sweep = prepare(policy, tasks, sets, episodes, seed, workers, backend, db, run, obs_mode, control_mode,
                    overrides, address, env_kwargs)
    return execute(sweep, progress)


class _progress:
    """A tqdm bar showing done/total, success so far and ETA."""

    def __init__(self, total: int, already: int, store: Store, run: str, enabled: bool) -> None:
        from tqdm import tqdm

        ok = sum(r.success for r in store.rows(run)) if already else 0
        self.ok, self.n = ok, already
        self.bar = tqdm(total=total, initial=already, unit="ep", desc="sweep", disable=not enabled,
                        dynamic_ncols=True)
        self._post()

    def _post(self) -> None:
        rate = f"{self.ok / self.n:.0%}" if self.n else "-"
        self.bar.set_postfix_str(f"success so far {self.ok}/{self.n} ({rate})")

    def update(self, row: EpisodeRow) -> None:
        self.ok += row.success
        self.n += 1
        self._post()
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


__all__ = ["Sweep", "SweepConfig", "SweepResult", "WorkItem", "evaluate", "execute", "plan", "prepare",
           "sets_for"]
