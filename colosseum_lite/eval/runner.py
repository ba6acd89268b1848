"""The evaluation runner: paired perturbation sweeps over worker processes or a Ray cluster.

The runner sees only the Gymnasium API and the policy protocol. A sweep is a list of work items
``(task, set, episode, seed)``; every set of a task uses the same seeds, so each perturbed episode
has an unperturbed twin. The policy is built once in the driver to check it, then once per
worker, which keeps it for the whole sweep (env-bound policies are bound to each env; see
:mod:`colosseum_lite.policies.base`) and keeps its envs alive across episodes of the same
(task, set), running them one at a time or, for a policy with ``act_batch``, ``batch_size`` at a
time in lockstep. The driver alone writes to the store, one durable row per finished episode, so a
killed sweep loses nothing finished and a rerun of the same run does only what is missing. A run
is its configuration: ``prepare`` validates everything (and writes nothing), ``execute`` records
the configuration atomically and refuses a run name that holds another one.
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from colosseum_lite.eval.backends import refuse_in_bootstrap, run_local, run_ray
from colosseum_lite.eval.checks import (
    batch_count,
    check_envs,
    check_sets,
    check_store,
    checked_run_name,
    checked_timeout,
    integer_in,
    is_all,
    json_data,
    local_workers,
    policy_digest,
    probe_policy,
)
from colosseum_lite.eval.plan import SweepConfig, WorkItem, parse_names, plan, sets_for
from colosseum_lite.eval.store import (
    RETRIED,
    EpisodeRow,
    Status,
    Store,
)
from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION
from colosseum_lite.policies.loading import (
    BUILTIN_CONTROL_MODES,
    BUILTIN_POLICIES,
    SPEC_FORMS,
    resolve_factory,
)
from colosseum_lite.registration import ControlMode, ObsMode, _choice
from colosseum_lite.seeding import MAX_SEED
from colosseum_lite.tasks import TASKS

# ------------------------------------------------------------------------------ the API
MAX_EPISODES = 10_000  # per (task, set): the protocol uses 25; more is a typo, not a sweep
DEFAULT_EPISODE_TIMEOUT_S = 600.0
# The protocol's observation: rgb images at make's default size (128 px). State observations
# cannot see the visual axes: their sets are reported "not observed" (metrics.observes).
DEFAULT_OBS_MODE = ObsMode.RGB.value
# Tests tune and check the oracle on seeds 0-49; evaluations start at 1000, on held-out seeds.
DEFAULT_SEED = 1000
MAX_BATCH_SIZE = 256
# A sweep whose first this many episodes fail with the same policy error stops (keep_going overrides).
FAIL_FAST_EPISODES = 5


class PolicyFailing(ValueError):
    """The first episodes of a sweep all failed with the same policy error: the sweep stopped."""


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What a sweep left in the store for its run."""

    run: str
    db: str
    rows: list[EpisodeRow]
    ran: int  # episodes run now (the rest were already in the store)


@dataclass(frozen=True, slots=True)
class Sweep:
    """A validated sweep, ready to execute: nothing has run and nothing was written yet.

    ``run_config`` is the run's configuration as stored (everything that changes an episode's
    outcome; not the device or the batch size, which change only how fast it runs); ``notes``
    are what a user should read before it starts (a run extended, workers capped, a set that
    runs on some of the tasks only, a batch size the policy cannot use).
    """

    config: SweepConfig
    items: list[WorkItem]
    db: str
    backend: str
    workers: int
    address: str | None
    run_config: dict[str, Any]
    episode_timeout_s: float | None = DEFAULT_EPISODE_TIMEOUT_S
    notes: tuple[str, ...] = ()
    keep_going: bool = False  # run every episode even when the first ones all fail alike


def prepare(
    policy: str,
    tasks: str | Sequence[str] = "all",
    sets: str | Sequence[str] = "all",
    episodes: int = 25,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    backend: str = "local",
    db: str = "results.sqlite",
    run: str | None = None,
    obs_mode: str = DEFAULT_OBS_MODE,
    control_mode: str = "ee_keyframe",
    overrides: dict[str, dict[str, Any]] | None = None,
    address: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    episode_timeout: float | None = DEFAULT_EPISODE_TIMEOUT_S,
    keep_going: bool = False,
    device: str = "cpu",
    batch_size: int = 1,
) -> Sweep:
    """Validate every argument of a sweep (see :func:`evaluate`) without running or writing anything.

    The policy is built once here, on an unperturbed env of the first task (built-ins excepted),
    so that one that cannot be built fails before any work.

    Raises:
        ValueError: bad names, ranges, policy, modes, backend, database, device, a named set that
            applies to none of the tasks, or a run name that holds another configuration, naming
            the fix.
    """
    from colosseum_lite import __version__

    refuse_in_bootstrap()

    if not isinstance(policy, str) or not policy:
        raise ValueError(f"policy must be a spec string ({SPEC_FORMS}), got {policy!r}")
    task_names = parse_names(tasks, sorted(TASKS), "task(s)")
    set_names = parse_names(sets, [NO_PERTURBATION, *AXES, ALL], "set(s)")
    episodes = integer_in(episodes, "episodes", 1, MAX_EPISODES)
    seed = integer_in(seed, "seed", 0, MAX_SEED - episodes)
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; expected 'local' or 'ray'")
    if address is not None and not isinstance(address, str):
        raise ValueError(f"address must be a Ray cluster address string, got {address!r}")
    asked = workers is not None
    workers = (os.cpu_count() or 1) if workers is None else integer_in(workers, "workers", 1, 1_000_000)
    timeout_s = checked_timeout(episode_timeout)
    batch_size = integer_in(batch_size, "batch_size", 1, MAX_BATCH_SIZE)
    if not isinstance(keep_going, bool):
        raise ValueError(f"keep_going must be True or False, got {keep_going!r}")
    if not isinstance(device, str) or not device.strip():
        raise ValueError(f"device must be a torch device string such as 'cpu' or 'cuda', got {device!r}")
    obs = _choice(ObsMode, obs_mode, "obs_mode").value
    control = _choice(ControlMode, control_mode, "control_mode")
    run_name = checked_run_name(policy if run is None else run)
    resolve_factory(policy)
    needs = BUILTIN_CONTROL_MODES.get(policy)
    if needs is not None and control.value != needs:
        what = "the oracle plays keyframes" if policy == "oracle" else f"policy {policy!r} needs {needs}"
        raise ValueError(f"{what}: use control_mode={needs!r}")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValueError(f"overrides must map axis names to settings, got {type(overrides).__name__}")
    overrides = json_data({k: v for k, v in (overrides or {}).items()}, "overrides")
    unknown = sorted(set(overrides) - set(AXES))
    if unknown:
        raise ValueError(f"overrides for unknown axis {unknown}; expected some of {list(AXES)}")
    if env_kwargs is not None and not isinstance(env_kwargs, Mapping):
        raise ValueError(f"env_kwargs must be a table of gym.make arguments, got {type(env_kwargs).__name__}")
    env_kwargs = json_data(dict(env_kwargs or {}), "env_kwargs")
    reserved = sorted(set(env_kwargs) & {"task", "obs_mode", "control_mode", "perturbations"})
    if reserved:
        raise ValueError(f"env_kwargs may not set {reserved}: they are the sweep's own settings "
                         "(obs_mode, control_mode, sets and overrides)")
    config = SweepConfig(run_name, policy, __version__, obs, control.value, overrides, env_kwargs, device)
    set_notes = check_sets(task_names, set_names, named=not is_all(sets))
    made = check_envs(config, task_names, set_names)
    items = plan(task_names, set_names, episodes, seed)
    run_config = {
        "policy": policy, "policy_sha256": policy_digest(policy), "version": __version__,
        "tasks": task_names, "sets": set_names, "episodes": episodes, "seed": seed, "obs_mode": obs,
        "control_mode": control.value, "cameras": list(made[0].cameras), "image_size": made[0].image_size,
        "overrides": overrides, "env_kwargs": env_kwargs,
        "max_episode_steps": {m.task: m.max_episode_steps for m in made},
    }
    notes = check_store(db, run_name, run_config) + set_notes
    can_batch = False
    if policy in BUILTIN_POLICIES:
        if device != "cpu":
            notes.append(f"device {device!r} is unused: the built-in policy {policy!r} runs no model")
    else:
        can_batch = probe_policy(policy, task_names[0], {"obs_mode": obs, "control_mode": control.value,
                                                          **env_kwargs}, device)
    if batch_size > 1 and not can_batch:
        notes.append(f"batch_size {batch_size} is unused: policy {policy!r} has no act_batch (or is bound to "
                     "its env), so each worker runs one episode at a time")
        batch_size = 1
    config = dataclasses.replace(config, batch_size=batch_size)
    if backend == "local":
        workers, more = local_workers(workers, asked, batch_count(items, batch_size),
                                       "episodes" if batch_size == 1 else "batches")
        notes += more
    return Sweep(config, items, str(db), backend, workers, address, run_config, timeout_s, tuple(notes),
                 keep_going)


def _error_kind(error: str | None) -> tuple[str, str]:
    """An error's type and where it was raised, so that the same bug on other values reads alike."""
    text = error or ""
    where = re.search(r"\(at [^()]*\)$", text)
    return text.split(":", 1)[0], where.group(0) if where else text


def _fail_fast(rows: list[EpisodeRow], sweep: Sweep) -> PolicyFailing | None:
    """The error to stop on, when the sweep's first episodes all failed with the same policy error."""
    if len(rows) < FAIL_FAST_EPISODES or any(r.status is not Status.POLICY_ERROR for r in rows):
        return None
    if len({_error_kind(r.error) for r in rows}) != 1:
        return None
    return PolicyFailing(
        f"the first {len(rows)} episodes of the sweep all failed with the same policy error, so it stopped "
        f"(their rows are in {sweep.db}, run {sweep.config.run!r}): {rows[0].error}. Fix the policy, or pass "
        "keep_going=True (--keep-going) to run every episode anyway")


def execute(sweep: Sweep, progress: bool = True) -> SweepResult:
    """Run what a prepared sweep still misses in its store; returns the run's rows.

    Raises:
        PolicyFailing: (a ValueError) the first ``FAIL_FAST_EPISODES`` episodes run now all failed
            with the same policy error (unless ``sweep.keep_going``); their rows stay in the store.
        StoreError: the store cannot be written (every row written before stays), or another
            process started the run with another configuration meanwhile.
        RuntimeError: called in a worker process importing the script that started the sweep
            (a missing ``if __name__ == "__main__":`` guard).
    """
    refuse_in_bootstrap()
    config = sweep.config
    store = Store(sweep.db)
    try:
        store.start_run(config.run, sweep.run_config)
        done = store.done(config.run)
        todo = [it for it in sweep.items if it.key() not in done]
        keys = {it.key() for it in sweep.items}
        bar = _progress(len(sweep.items), [r for r in store.rows(config.run) if r.key() in done & keys],
                        progress)
        ran = 0
        first: list[EpisodeRow] = []

        def on_row(row: EpisodeRow) -> None:
            nonlocal ran
            ran += store.add(row)
            bar.update(row)
            if not sweep.keep_going and len(first) < FAIL_FAST_EPISODES:
                first.append(row)
                failing = _fail_fast(first, sweep)
                if failing is not None:
                    raise failing

        try:
            if todo:
                if sweep.backend == "local":
                    run_local(todo, config, sweep.workers, on_row, sweep.episode_timeout_s)
                else:
                    run_ray(todo, config, sweep.address, on_row, sweep.episode_timeout_s)
        finally:
            bar.close()
        rows = [r for r in store.rows(config.run) if r.key() in keys]
    finally:
        store.close()
    return SweepResult(config.run, sweep.db, rows, ran)


def evaluate(
    policy: str,
    tasks: str | Sequence[str] = "all",
    sets: str | Sequence[str] = "all",
    episodes: int = 25,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    backend: str = "local",
    db: str = "results.sqlite",
    run: str | None = None,
    obs_mode: str = DEFAULT_OBS_MODE,
    control_mode: str = "ee_keyframe",
    overrides: dict[str, dict[str, Any]] | None = None,
    address: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    episode_timeout: float | None = DEFAULT_EPISODE_TIMEOUT_S,
    progress: bool = True,
    keep_going: bool = False,
    device: str = "cpu",
    batch_size: int = 1,
) -> SweepResult:
    """Evaluate a policy on tasks under perturbation sets, storing every episode in SQLite.

    Args:
        policy: a policy spec (``oracle``, ``random``, ``pkg.module:factory``, ``file.py:factory``).
        tasks: ``"all"`` or task names.
        sets: ``"all"`` (no_perturbation, each axis, all) or set names; each task runs the
            requested axes that apply to it, plus no_perturbation (every set's paired twin).
        episodes: episodes per (task, set); episode ``i`` uses seed ``seed + i`` in every set.
        seed: the first episode's seed; the default, 1000, keeps evaluations off seeds 0-49, on
            which the tests tune and check the oracle.
        workers: local worker processes (default: one per core).
        backend: ``local`` or ``ray`` (``address`` of the cluster; a local one by default).
        db: SQLite file; several runs share one.
        run: the run's name (default: the policy spec); rerunning the same run resumes it.
        obs_mode: ``rgb`` (default, the protocol: front and wrist cameras at 128 px), ``rgbd``
            or ``state``; the report shows the visual sets of a state run as "not observed".
        overrides: axis setting overrides, e.g. ``{"mo_size": {"range": [0.8, 1.2]}}``.
        env_kwargs: more ``gym.make`` arguments (``image_size``, ``cameras``...).
        episode_timeout: seconds one episode may take before its worker is killed and the
            episode recorded as ``timeout`` (retried when the run is resumed); None: no limit.
            A batch of N episodes has N times as long (see ``batch_size``).
        progress: show a progress bar.
        keep_going: run every episode even when the first ``FAIL_FAST_EPISODES`` (5) episodes
            all fail with the same policy error; by default the sweep stops there and raises it.
        device: where a torch policy runs (``"cpu"``, ``"cuda"``, ``"cuda:1"``...); an
            unavailable device fails before any episode.
        batch_size: with a policy that has ``act_batch``, each worker steps this many episodes of
            one (task, set) (consecutive seeds) in lockstep, one ``act_batch`` call per step; rows
            are those of ``batch_size=1`` when ``act_batch`` returns ``act``'s actions (a torch
            model's agree to rounding). Policies without ``act_batch``, or bound to their env, run
            one at a time.

    Each worker builds the policy once and keeps it for the whole sweep; the policy is also built
    once in the driver, before any episode, so that one that cannot be built fails at once.
    Call ``evaluate`` under ``if __name__ == "__main__":`` in a script: every worker imports it.

    A run is its configuration: rerunning the same run name with the same configuration resumes
    it (finished episodes are skipped; timeouts and infrastructure errors are retried), with more
    tasks, sets or episodes extends it, and with anything else is refused.

    Raises:
        ValueError: bad names, ranges, policy, backend or database, before any episode runs;
            :class:`~colosseum_lite.eval.store.StoreError` (a ValueError) when the store fails.
    """
    sweep = prepare(policy, tasks, sets, episodes, seed, workers, backend, db, run, obs_mode, control_mode,
                    overrides, address, env_kwargs, episode_timeout, keep_going, device, batch_size)
    for note in sweep.notes:
        warnings.warn(note, stacklevel=2)
    return execute(sweep, progress)


class _progress:
    """A tqdm bar showing done/total, success so far (of counted episodes), failures and ETA."""

    def __init__(self, total: int, already: list[EpisodeRow], enabled: bool) -> None:
        from tqdm import tqdm

        self.counts = Counter(r.status for r in already)
        self.ok = sum(r.success for r in already if r.counted)
        self.bar = tqdm(total=total, initial=len(already), unit="ep", desc="sweep", disable=not enabled,
                        dynamic_ncols=True)
        self._post()

    def _post(self) -> None:
        n = sum(v for k, v in self.counts.items() if k not in RETRIED)
        rate = f"{self.ok / n:.0%}" if n else "-"
        extra = "".join(f", {v} {k.value}" for k, v in self.counts.items() if k is not Status.OK and v)
        self.bar.set_postfix_str(f"success so far {self.ok}/{n} ({rate}){extra}")

    def update(self, row: EpisodeRow) -> None:
        self.counts[row.status] += 1
        self.ok += row.success and row.counted
        self._post()
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


__all__ = ["FAIL_FAST_EPISODES", "PolicyFailing", "Sweep", "SweepConfig", "SweepResult", "WorkItem", "evaluate",
           "execute", "plan", "prepare", "sets_for"]
