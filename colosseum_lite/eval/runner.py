"""The evaluation runner: paired perturbation sweeps over worker processes or a Ray cluster.

The runner sees only the Gymnasium API and the policy protocol. A sweep is a list of work items
``(task, set, episode, seed)``; every set of a task uses the same seeds, so each perturbed episode
has an unperturbed twin. Workers keep their env alive across episodes of the same (task, set)
and reset it. The driver alone writes to the store, one durable row per finished episode, so a
killed sweep loses nothing finished and a rerun of the same run does only what is missing.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait
from typing import Any

import gymnasium as gym

from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.eval.store import EpisodeRow, Store, now_iso
from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION, applicable_axes, resolve
from colosseum_lite.policies.loading import load_policy, resolve_factory
from colosseum_lite.seeding import MAX_SEED
from colosseum_lite.tasks import TASKS, env_id

ENV_CACHE_SIZE = 2
MAX_ATTEMPTS = 2  # an episode whose worker died is retried once on a fresh worker


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
    """Everything a worker needs to build envs and the policy (plain data, picklable)."""

    run: str
    policy: str
    version: str
    obs_mode: str = "state"
    control_mode: str = "ee_keyframe"
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # axis -> setting overrides
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def perturbations(self, task: str, set_name: str) -> Any:
        """The ``perturbations`` make argument of one (task, set), with the user's overrides."""
        if set_name == NO_PERTURBATION:
            return None
        names = list(applicable_axes(TASKS[task])) if set_name == ALL else [set_name]
        return {n: self.overrides.get(n, {}) for n in names}


# ------------------------------------------------------------------------------ planning
def parse_names(value: str | Sequence[str], valid: Iterable[str], what: str) -> list[str]:
    """``"all"``, a comma-separated string or a list of names, validated against ``valid``."""
    valid = list(valid)
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    names = [n for n in names if n]
    if names == ["all"]:
        return valid
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        raise ValueError(f"unknown {what} {unknown or names}; expected 'all' or some of {valid}")
    return names


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


# ------------------------------------------------------------------------------ one episode
class EnvCache:
    """The few most recent (env, policy) pairs of a worker, keyed by (task, set)."""

    def __init__(self, config: SweepConfig) -> None:
        self.config = config
        self._items: OrderedDict[tuple[str, str], tuple[gym.Env, Any]] = OrderedDict()

    def get(self, task: str, set_name: str) -> tuple[gym.Env, Any]:
        key = (task, set_name)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        c = self.config
        env = gym.make(env_id(task), obs_mode=c.obs_mode, control_mode=c.control_mode,
                       perturbations=c.perturbations(task, set_name), **c.env_kwargs)
        self._items[key] = (env, load_policy(c.policy, env))
        while len(self._items) > ENV_CACHE_SIZE:
            old, _ = self._items.popitem(last=False)[1]
            old.close()
        return self._items[key]

    def close(self) -> None:
        for env, _ in self._items.values():
            env.close()
        self._items.clear()


def run_item(cache: EnvCache, item: WorkItem) -> EpisodeRow:
    """Run one episode; a policy (or env) error fails the episode with the error recorded."""
    c = cache.config
    params: dict = {}
    try:
        env, policy = cache.get(item.task, item.set_name)
        result = run_episode(env, policy, item.seed, check_actions=True)
        params = env.unwrapped.perturbation
        success, steps, ret, wall, error = result.success, result.steps, result.episode_return, result.wall_s, None
    except Exception as exc:  # noqa: BLE001 - any failure of the policy is a failed episode
        last = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} (at {os.path.basename(last.filename)}:{last.lineno})"
        success, steps, ret, wall = False, 0, 0.0, 0.0
        cache._items.pop((item.task, item.set_name), None)  # rebuild the env: its state is unknown
    return EpisodeRow(c.run, c.policy, c.version, item.task, item.set_name, item.episode, item.seed,
                      json.dumps(params, sort_keys=True), bool(success), int(steps), float(ret), float(wall),
                      error, now_iso())


def error_row(config: SweepConfig, item: WorkItem, message: str) -> EpisodeRow:
    """A failed episode that never produced a result (its worker died)."""
    return EpisodeRow(config.run, config.policy, config.version, item.task, item.set_name, item.episode,
                      item.seed, "{}", False, 0, 0.0, 0.0, message, now_iso())


# ------------------------------------------------------------------------------ local backend
def _worker(conn, config: SweepConfig) -> None:
    """Worker process: receive items, send rows, until told to stop (None)."""
    cache = EnvCache(config)
    try:
        while True:
            item = conn.recv()
            if item is None:
                break
            conn.send(run_item(cache, item))
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        cache.close()


@dataclass
class _Slot:
    proc: Any
    conn: Any
    item: WorkItem | None = None
    last_group: tuple[str, str] | None = None


def run_local(items: Sequence[WorkItem], config: SweepConfig, workers: int,
              on_row: Callable[[EpisodeRow], None]) -> None:
    """Run items on ``workers`` processes; each finished row goes to ``on_row`` (in this process).

    A worker that dies (segfault, OOM kill) is replaced; its episode is retried once on a fresh
    worker and then recorded as an error.
    """
    ctx = mp.get_context("spawn")
    groups: OrderedDict[tuple[str, str], deque[WorkItem]] = OrderedDict()
    for it in items:
        groups.setdefault((it.task, it.set_name), deque()).append(it)
    attempts: dict[tuple[str, str, int], int] = {}

    def start() -> _Slot:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, config), daemon=True)
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def next_item(slot: _Slot) -> WorkItem | None:
        """Stay on the worker's group (its env is alive); else take one nobody else is on."""
        if not groups:
            return None
        group = slot.last_group
        if group not in groups:
            taken = {s.last_group for s in slots if s is not slot and s.item is not None}
            free = [g for g in groups if g not in taken]
            group = max(free or groups, key=lambda g: len(groups[g]))
        item = groups[group].popleft()
        if not groups[group]:
            del groups[group]
        slot.last_group = group
        return item

    slots = [start() for _ in range(max(1, min(workers, len(items))))]
    try:
        while True:
            for slot in slots:
                if slot.item is None and groups:
                    slot.item = next_item(slot)
                    slot.conn.send(slot.item)
            busy = [s for s in slots if s.item is not None]
            if not busy:
                break
            wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout=5.0)
            for i, slot in enumerate(slots):
                if slot.item is None:
                    continue
                try:
                    if slot.conn.poll():
                        row = slot.conn.recv()
                        slot.item = None
                        on_row(row)
                        continue
                except (EOFError, OSError):
                    pass
                if slot.proc.is_alive():
                    continue
                item, code = slot.item, slot.proc.exitcode
                key = item.key()
                attempts[key] = attempts.get(key, 1) + 1
                if attempts[key] <= MAX_ATTEMPTS:
                    groups.setdefault((item.task, item.set_name), deque()).appendleft(item)
                else:
                    on_row(error_row(config, item, f"WorkerDied: worker exited with code {code} twice on "
                                                   "this episode"))
                slots[i] = start()
    finally:
        for slot in slots:
            try:
                slot.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        for slot in slots:
            slot.proc.join(timeout=10)
            if slot.proc.is_alive():
                slot.proc.kill()


# ------------------------------------------------------------------------------ Ray backend
def _ray_chunk(config: SweepConfig, chunk: list[WorkItem]) -> list[EpisodeRow]:
    cache = EnvCache(config)
    try:
        return [run_item(cache, it) for it in chunk]
    finally:
        cache.close()


def run_ray(items: Sequence[WorkItem], config: SweepConfig, address: str | None,
            on_row: Callable[[EpisodeRow], None], chunk_size: int = 5) -> None:
    """Run items as Ray tasks (chunks of one (task, set)); the driver writes every row."""
    try:
        import ray
    except ImportError:
        raise ValueError("the Ray backend needs Ray: pip install 'colosseum-lite[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
    remote = ray.remote(_ray_chunk)
    chunks: list[list[WorkItem]] = []
    for it in items:
        if chunks and len(chunks[-1]) < chunk_size and (chunks[-1][0].task, chunks[-1][0].set_name) == (
                it.task, it.set_name):
            chunks[-1].append(it)
        else:
            chunks.append([it])
    pending = [remote.remote(config, chunk) for chunk in chunks]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        for row in ray.get(done[0]):
            on_row(row)


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
                   "obs_mode": obs_mode, "control_mode": control.value, "overrides": overrides}
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


def rows_as_dicts(rows: Iterable[EpisodeRow]) -> list[dict]:
    """Rows as plain dicts (for CSV and comparisons)."""
    return [asdict(r) for r in rows]


__all__ = ["Sweep", "SweepConfig", "SweepResult", "WorkItem", "evaluate", "execute", "plan", "prepare",
           "rows_as_dicts", "sets_for"]
