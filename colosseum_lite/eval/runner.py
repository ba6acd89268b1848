"""The evaluation runner: paired perturbation sweeps over worker processes or a Ray cluster.

The runner sees only the Gymnasium API and the policy protocol. A sweep is a list of work items
``(task, set, episode, seed)``; every set of a task uses the same seeds, so each perturbed episode
has an unperturbed twin. The policy is built once in the driver to check it, then once per
worker, which keeps it for the whole sweep (env-bound policies are bound to each env; see
:mod:`colosseum_lite.policies.base`) and keeps its envs alive across episodes of the same
(task, set), running them one at a time or, for a policy with ``act_batch``, ``batch_size`` at a
time in lockstep. The driver alone writes to the store, one durable row per finished episode, so a
killed sweep loses nothing finished and a rerun of the same run does only what is missing. A run
is its configuration: a :class:`~colosseum_lite.eval.spec.SweepSpec` checks each argument,
``prepare_sweep`` validates the rest (and writes nothing), ``execute`` records the configuration
atomically and refuses a run name that holds another one.
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from colosseum_lite.eval.backends import refuse_in_bootstrap, run_local, run_ray
from colosseum_lite.eval.checks import (
    batch_count,
    check_envs,
    check_sets,
    check_store,
    local_workers,
    policy_digest,
    probe_policy,
)
from colosseum_lite.eval.plan import SweepConfig, WorkItem, plan, sets_for
from colosseum_lite.eval.spec import (
    DEFAULT_EPISODE_TIMEOUT_S,
    DEFAULT_OBS_MODE,
    DEFAULT_SEED,
    MAX_EPISODES,
    Backend,
    SweepSpec,
    spec_arguments,
)
from colosseum_lite.eval.store import (
    RETRIED,
    EpisodeRow,
    Status,
    Store,
)
from colosseum_lite.policies.loading import BUILTIN_POLICIES, resolve_factory

# ------------------------------------------------------------------------------ the API
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
    backend: Backend
    workers: int
    address: str | None
    run_config: dict[str, Any]
    episode_timeout_s: float | None = DEFAULT_EPISODE_TIMEOUT_S
    notes: tuple[str, ...] = ()
    keep_going: bool = False  # run every episode even when the first ones all fail alike


def prepare_sweep(spec: SweepSpec) -> Sweep:
    """Check a sweep's arguments against the tasks, envs, policy and store, running and writing nothing.

    The policy is built once here, on an unperturbed env of the first task (built-ins excepted),
    so that one that cannot be built fails before any work.

    Raises:
        ValueError: a policy that cannot be built, a bad make keyword or override, a named set that
            applies to none of the tasks, an unusable database or a run name that holds another
            configuration, naming the fix.
    """
    from colosseum_lite import __version__

    refuse_in_bootstrap()
    policy, obs, control, device = spec.policy, spec.obs_mode, spec.control_mode, spec.device
    task_names, set_names = spec.task_names(), spec.set_names()
    # The spec holds the canonical forms (SweepSpec.__post_init__): db a str, backend a Backend,
    # overrides and env_kwargs dicts.
    db, backend = cast(str, spec.db), cast(Backend, spec.backend)
    overrides, env_kwargs = cast("Mapping[str, Any]", spec.overrides), cast("Mapping[str, Any]", spec.env_kwargs)
    resolve_factory(policy)
    config = SweepConfig(spec.run_name, policy, __version__, obs, control, dict(overrides), dict(env_kwargs),
                         device)
    set_notes = check_sets(task_names, set_names, named=spec.named_sets)
    made = check_envs(config, task_names, set_names)
    items = plan(task_names, set_names, spec.episodes, spec.seed)
    run_config = {
        "policy": policy, "policy_sha256": policy_digest(policy), "version": __version__,
        "tasks": task_names, "sets": set_names, "episodes": spec.episodes, "seed": spec.seed, "obs_mode": obs,
        "control_mode": control, "cameras": list(made[0].cameras), "image_size": made[0].image_size,
        "overrides": config.overrides, "env_kwargs": config.env_kwargs,
        "max_episode_steps": {m.task: m.max_episode_steps for m in made},
    }
    notes = check_store(db, config.run, run_config) + set_notes
    can_batch = False
    if policy in BUILTIN_POLICIES:
        if device != "cpu":
            notes.append(f"device {device!r} is unused: the built-in policy {policy!r} runs no model")
    else:
        can_batch = probe_policy(policy, task_names[0], {"obs_mode": obs, "control_mode": control,
                                                          **config.env_kwargs}, device)
    batch_size = spec.batch_size
    if batch_size > 1 and not can_batch:
        notes.append(f"batch_size {batch_size} is unused: policy {policy!r} has no act_batch (or is bound to "
                     "its env), so each worker runs one episode at a time")
        batch_size = 1
    config = dataclasses.replace(config, batch_size=batch_size)
    workers = (os.cpu_count() or 1) if spec.workers is None else spec.workers
    if backend is Backend.LOCAL:
        workers, more = local_workers(workers, spec.workers is not None, batch_count(items, batch_size),
                                       "episodes" if batch_size == 1 else "batches")
        notes += more
    return Sweep(config, items, db, backend, workers, spec.address, run_config,
                 spec.episode_timeout, tuple(notes), spec.keep_going)


@spec_arguments(SweepSpec)
def prepare(spec: SweepSpec) -> Sweep:
    """Validate every argument of a sweep (see :func:`evaluate`) without running or writing anything:
    :class:`~colosseum_lite.eval.spec.SweepSpec` checks each one, :func:`prepare_sweep` the rest.

    Raises:
        ValueError: bad names, ranges, policy, modes, backend, database, device, a named set that
            applies to none of the tasks, or a run name that holds another configuration, naming
            the fix.
    """
    return prepare_sweep(spec)


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
                if sweep.backend is Backend.LOCAL:
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
    sweep = prepare_sweep(SweepSpec(policy, tasks, sets, episodes, seed, workers, backend, db, run, obs_mode,
                                    control_mode, overrides, address, env_kwargs, episode_timeout, keep_going,
                                    device, batch_size))
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


__all__ = ["FAIL_FAST_EPISODES", "MAX_EPISODES", "Backend", "PolicyFailing", "Sweep", "SweepConfig", "SweepResult",
           "SweepSpec", "WorkItem", "evaluate", "execute", "plan", "prepare", "prepare_sweep", "sets_for"]
