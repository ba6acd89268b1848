"""The checks ``prepare`` runs on a sweep's arguments, each raising a ValueError that names the fix."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any

from colosseum_lite.eval.plan import SweepConfig, WorkItem, sets_for
from colosseum_lite.eval.store import Store, StoreError, check_db, config_difference, describe_difference, refusal
from colosseum_lite.perturbations import ALL, NO_PERTURBATION, applicable_axes
from colosseum_lite.policies.base import Binding, batches, binding
from colosseum_lite.policies.loading import load_policy, policy_file
from colosseum_lite.registration import MakeConfig, make_config
from colosseum_lite.tasks import TASKS, env_id

WORKERS_PER_CORE_CAP = 8  # local worker processes beyond this many per core only cost memory


def policy_digest(policy: str) -> str | None:
    """SHA-256 of the file a policy spec loads (a new checkpoint at the same path is another run)."""
    path = policy_file(policy)
    if path is None:  # a built-in or a module spec: its code is the installed package's version
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def probe_policy(policy: str, task: str, env_kwargs: dict[str, Any], device: str = "cpu") -> bool:
    """Build the policy once on an unperturbed env, so that a spec that cannot build one fails now
    (a factory that raises, a checkpoint that does not load, a device that is not there), with
    the real error; returns whether it can act on batches.

    Raises:
        ValueError: the policy cannot be built, naming the spec and why.
    """
    import gymnasium as gym

    env = gym.make(env_id(task), **env_kwargs)
    try:
        built = load_policy(policy, env, device=device)
        return batches(built) and binding(built, env) is Binding.SHARED
    finally:
        env.close()


def check_sets(tasks: list[str], sets: list[str], named: bool) -> list[str]:
    """Notes on named axis sets that apply to some of ``tasks`` only.

    Raises:
        ValueError: a named set applies to none of the tasks (naming those it applies to).
    """
    if not named:
        return []
    notes = []
    for name in sets:
        if name in (NO_PERTURBATION, ALL):
            continue
        where = [t for t in tasks if name in applicable_axes(TASKS[t])]
        if not where:
            elsewhere = [t for t in sorted(TASKS) if name in applicable_axes(TASKS[t])]
            raise ValueError(f"set {name!r} applies to none of the tasks {tasks}; it applies to {elsewhere}: "
                             "add one of those tasks or drop the set (colosseum-lite list shows each task's "
                             "axes)")
        if len(where) < len(tasks):
            notes.append(f"set {name!r} runs on {where} only: it does not apply to "
                         f"{[t for t in tasks if t not in where]}")
    return notes


def check_envs(config: SweepConfig, tasks: list[str], sets: list[str]) -> list[MakeConfig]:
    """Check the make keywords of every env the sweep will make (building none); one config per task.

    Raises:
        ValueError: a bad keyword or override, or an override no episode would use (a no-op).
    """
    made: list[MakeConfig] = []
    used: set[str] = set()  # axis names some requested set uses
    for task in tasks:
        for set_name in sets_for(task, sets):
            axes = config.perturbations(task, set_name)
            used.update(axes or ())
            kwargs = {"obs_mode": config.obs_mode, "control_mode": config.control_mode, "perturbations": axes,
                      **config.env_kwargs}
            checked = make_config(task, kwargs)
        made.append(checked)
    idle = sorted(set(config.overrides) - used)
    foreign = [n for n in idle if not any(n in applicable_axes(TASKS[t]) for t in tasks)]
    if foreign:
        raise ValueError(f"overrides for {foreign}, which apply to none of the tasks {tasks}; drop them "
                         "(colosseum-lite list shows each task's axes)")
    if idle:
        raise ValueError(f"overrides for {idle}, but no requested set uses them; add them to the sets (or "
                         "'all') or drop the overrides")
    return made


def check_store(db: str, run: str, run_config: dict[str, Any]) -> list[str]:
    """Check, writing nothing, that ``db`` can hold the run; notes when the run grows.

    Raises:
        StoreError: an unusable database, or a run of that name with another configuration.
    """
    check_db(db)
    if not Path(db).is_file():
        return []
    with Store(db, readonly=True) as store:
        stored = store.run_config(run)
    if stored is None:
        return []
    relation, changed = config_difference(stored, run_config)
    if relation == "differs":
        raise StoreError(refusal(run, Path(db), stored, run_config, changed))
    if relation == "extends":
        return [f"run {run!r} grows: {describe_difference(stored, run_config, changed)}"]
    return []


def local_workers(workers: int, asked: bool, items: int, unit: str = "episodes") -> tuple[int, list[str]]:
    """Worker processes for ``items`` episodes (or batches) on this machine, and what to tell the user."""
    cores = os.cpu_count() or 1
    cap = min(items, WORKERS_PER_CORE_CAP * cores)
    notes = []
    if workers > cap and asked:
        why = f"the number of {unit}" if cap == items else f"{WORKERS_PER_CORE_CAP} per core"
        notes.append(f"{workers} workers capped at {cap} ({why})")
    workers = min(workers, cap)
    if workers > cores:
        notes.append(f"{workers} workers on {cores} cores: they share the cores, so episodes run no "
                     "faster than with one worker per core")
    return workers, notes


def batch_count(items: list[WorkItem], batch_size: int) -> int:
    """How many batches of at most ``batch_size`` episodes of one (task, set) ``items`` make."""
    groups = Counter((it.task, it.set_name) for it in items)
    return sum(-(-n // batch_size) for n in groups.values())
