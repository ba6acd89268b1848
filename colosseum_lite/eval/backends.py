"""Where episodes run: worker processes on this machine, or Ray actors on a cluster.

Both take work items and hand every finished row to a callback in the driver, which alone
writes to the store. A worker builds its policy once and keeps its envs alive across episodes
of the same (task, set). The unit a worker runs is a batch: one episode, or with
``batch_size`` N > 1 and a policy that has ``act_batch``, up to N episodes of one (task, set)
with consecutive seeds, stepped in lockstep (one ``act_batch`` call per step). Each episode's
row goes to the driver as soon as it ends (Ray: when its batch ends), so a worker that dies or
hangs costs only the episodes of its batch still running; those that died with their worker
are retried once, each alone.

The clock: a batch's timeout runs from the moment its worker reports that it starts the batch
(envs and policy ready, just before the resets) until its last row arrives. A batch of N
episodes has N times the episode timeout (its envs step one after another, so it takes about
as long as its episodes would one by one); when that runs out, its worker is killed and its
unfinished episodes are recorded as ``timeout``. Getting there (spawning the worker, importing,
building the envs) has an allowance of its own, ``N * max(timeout, START_ALLOWANCE_S)`` from
when the batch was handed over, so a slow start never times out a short episode and a hang
while building an env is still caught.
"""

from __future__ import annotations

import ctypes
import json
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import wait
from typing import Any

import gymnasium as gym
import pybullet

from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.rollout import EpisodeResult, run_batch, run_episode
from colosseum_lite.eval.store import EpisodeRow, Status, now_iso
from colosseum_lite.policies.base import Binding, batches, binding
from colosseum_lite.policies.loading import load_policy
from colosseum_lite.tasks import env_id

ENV_CACHE_SIZE = 2
MAX_ATTEMPTS = 2  # an episode whose worker died is retried once on a fresh worker
START_ALLOWANCE_S = 120.0  # at least this long to start a worker and build an env, before the clock
STOP_GRACE_S = 5.0  # how long idle workers may take to close their envs when a sweep ends


# ------------------------------------------------------------------------------ one episode
class _EnvBuildError(Exception):
    """The env of a work item could not be built (not the policy's fault)."""


class EnvCache:
    """A worker's envs (a list per (task, set), for the few most recent ones) and its one policy.

    The policy is built once, on the first env, and kept for every later episode; an env-bound
    policy is bound (``bind(env)``) to each env it meets, or, if it keeps its env without ``bind``,
    built again per env (see :mod:`colosseum_lite.policies.base`). ``factory_calls`` counts the
    factory's calls.
    """

    def __init__(self, config: SweepConfig) -> None:
        self.config = config
        self._groups: OrderedDict[tuple[str, str], list[gym.Env]] = OrderedDict()
        self._policy: Any = None
        self._binding: Binding | None = None
        self._bound_to: gym.Env | None = None  # Binding.BIND: the env the policy acts in now
        self._rebuilt: dict[gym.Env, Any] = {}  # Binding.REBUILD: a policy per env
        self.factory_calls = 0

    def envs(self, task: str, set_name: str, n: int = 1) -> list[gym.Env]:
        """``n`` envs of (task, set), built as needed; older groups beyond ``ENV_CACHE_SIZE`` close."""
        key = (task, set_name)
        group = self._groups.pop(key, [])
        self._groups[key] = group
        c = self.config
        while len(group) < n:
            try:
                group.append(gym.make(env_id(task), obs_mode=c.obs_mode, control_mode=c.control_mode,
                                      perturbations=c.perturbations(task, set_name), **c.env_kwargs))
            except Exception as exc:
                raise _EnvBuildError(f"cannot build {env_id(task)}") from exc
        while len(self._groups) > ENV_CACHE_SIZE:
            for env in self._groups.popitem(last=False)[1]:
                self._close(env)
        return group[:n]

    def policy(self, env: gym.Env) -> Any:
        """The worker's policy, ready to act in ``env``."""
        if self._policy is None:
            self._policy = self._build(env)
            self._binding, self._bound_to = binding(self._policy, env), env
            if self._binding is Binding.REBUILD:
                self._rebuilt[env] = self._policy
        if self._binding is Binding.REBUILD:
            if env not in self._rebuilt:
                self._rebuilt[env] = self._build(env)
            return self._rebuilt[env]
        if self._binding is Binding.BIND and self._bound_to is not env:
            self._bound_to = None  # until bind succeeds
            self._policy.bind(env)
            self._bound_to = env
        return self._policy

    def _build(self, env: gym.Env) -> Any:
        self.factory_calls += 1
        return load_policy(self.config.policy, env, device=self.config.device)

    def drop(self, task: str, set_name: str, env: gym.Env | None = None) -> None:
        """Forget (and close) one env of (task, set), or all of them."""
        group = self._groups.get((task, set_name), [])
        for old in [e for e in group if env is None or e is env]:
            group.remove(old)
            self._close(old)

    def _close(self, env: gym.Env) -> None:
        self._rebuilt.pop(env, None)
        if self._bound_to is env:
            self._bound_to = None
        env.close()

    def close(self) -> None:
        for group in self._groups.values():
            for env in group:
                self._close(env)
        self._groups.clear()


def _where(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" (at {os.path.basename(last.filename)}:{last.lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{at}"


def _failure(exc: BaseException) -> tuple[str, Status]:
    """A failed episode's error and status: the simulator's failures are the infrastructure's."""
    infra = isinstance(exc, (pybullet.error, MemoryError))
    return _where(exc), Status.INFRA_ERROR if infra else Status.POLICY_ERROR


def _row(c: SweepConfig, item: WorkItem, params: dict, result: EpisodeResult | None, error: str | None,
         status: Status) -> EpisodeRow:
    success, steps, ret, wall = (result.success, result.steps, result.episode_return, result.wall_s) if result \
        else (False, 0, 0.0, 0.0)
    return EpisodeRow(c.run, c.policy, c.version, item.task, item.set_name, item.episode, item.seed,
                      json.dumps(params, sort_keys=True), bool(success), int(steps), float(ret), float(wall),
                      error, now_iso(), status)


def _ready(cache: EnvCache, item: WorkItem, n: int) -> tuple[list[gym.Env], Any] | tuple[str, Status]:
    """``n`` envs of the item's (task, set) and the policy for them, or why they cannot be had."""
    try:
        envs = cache.envs(item.task, item.set_name, n)
        return envs, cache.policy(envs[0])
    except _EnvBuildError as exc:
        return _where(exc.__cause__ or exc), Status.INFRA_ERROR
    except Exception as exc:  # noqa: BLE001 - a factory that fails fails its episodes
        return _where(exc), Status.POLICY_ERROR


def run_item(cache: EnvCache, item: WorkItem, on_start: Callable[[], None] | None = None) -> EpisodeRow:
    """Run one episode. A policy error fails the episode (``policy_error``); an env that cannot
    be built or a simulator that fails is the infrastructure's (``infra_error``, retried later).
    ``on_start`` is called once the env and policy are ready, just before the episode starts."""
    ready = _ready(cache, item, 1)
    if isinstance(ready[0], str):
        return _row(cache.config, item, {}, None, *ready)
    (env,), policy = ready
    if on_start is not None:
        on_start()
    try:
        result = run_episode(env, policy, item.seed, check_actions=True)
    except Exception as exc:  # noqa: BLE001 - any failure of the policy is a failed episode
        cache.drop(item.task, item.set_name, env)  # rebuild the env: its state is unknown
        return _row(cache.config, item, {}, None, *_failure(exc))
    return _row(cache.config, item, env.unwrapped.perturbation, result, None, Status.OK)


def run_items(cache: EnvCache, items: Sequence[WorkItem], on_row: Callable[[EpisodeRow], None],
              on_start: Callable[[], None] | None = None) -> None:
    """Run a batch: episodes of one (task, set), in lockstep when there are several and the policy
    has ``act_batch`` (one at a time otherwise). Every row goes to ``on_row`` as its episode ends;
    ``on_start`` is called once, when the envs and the policy are ready."""
    if len(items) == 1:
        on_row(run_item(cache, items[0], on_start))
        return
    ready = _ready(cache, items[0], len(items))
    if isinstance(ready[0], str):
        for item in items:
            on_row(_row(cache.config, item, {}, None, *ready))
        return
    envs, policy = ready
    if not batches(policy):  # the driver's probe said otherwise; run them one by one, honestly
        if on_start is not None:
            on_start()
        for item in items:
            on_row(run_item(cache, item))
        return
    if on_start is not None:
        on_start()
    failed = []
    for i, outcome in run_batch(envs, policy, [it.seed for it in items], check_actions=True):
        if isinstance(outcome, EpisodeResult):
            on_row(_row(cache.config, items[i], envs[i].unwrapped.perturbation, outcome, None, Status.OK))
        else:
            failed.append(envs[i])
            on_row(_row(cache.config, items[i], {}, None, *_failure(outcome)))
    for env in failed:
        cache.drop(items[0].task, items[0].set_name, env)


def error_row(config: SweepConfig, item: WorkItem, message: str, status: Status) -> EpisodeRow:
    """A failed episode that never produced a result (its worker died or ran out of time)."""
    return _row(config, item, {}, None, message, status)


# ------------------------------------------------------------------------------ shared by both backends
class WorkQueue:
    """The items still to run, by (task, set), and how often each one's worker died."""

    def __init__(self, items: Iterable[WorkItem], batch_size: int = 1) -> None:
        self.batch_size = batch_size
        self._groups: OrderedDict[tuple[str, str], deque[WorkItem]] = OrderedDict()
        for it in items:
            self._groups.setdefault((it.task, it.set_name), deque()).append(it)
        self._deaths: dict[tuple[str, str, int], int] = {}

    def __bool__(self) -> bool:
        return bool(self._groups)

    def take(self, last_group: tuple[str, str] | None, busy: set) -> list[WorkItem]:
        """A batch: up to ``batch_size`` items of one group, in episode order. Stay on a worker's
        group (its envs are alive); else take one nobody ``busy`` is on. An item whose worker died
        runs alone, so that an episode that kills its worker takes no other down with it again."""
        group = last_group
        if group not in self._groups:
            free = [g for g in self._groups if g not in busy]
            group = max(free or self._groups, key=lambda g: len(self._groups[g]))
        queue = self._groups[group]
        batch = [queue.popleft()]
        if not self._deaths.get(batch[0].key()):
            while queue and len(batch) < self.batch_size and not self._deaths.get(queue[0].key()):
                batch.append(queue.popleft())
        if not queue:
            del self._groups[group]
        return batch

    def worker_died(self, item: WorkItem) -> bool:
        """Put ``item`` back for a fresh worker; False once its workers died ``MAX_ATTEMPTS`` times."""
        deaths = self._deaths[item.key()] = self._deaths.get(item.key(), 0) + 1
        if deaths < MAX_ATTEMPTS:
            self._groups.setdefault((item.task, item.set_name), deque()).appendleft(item)
            return True
        return False


@dataclass
class Lane:
    """What the driver knows of one worker: its batch, and since when the clock runs."""

    items: list[WorkItem] = field(default_factory=list)  # the batch's episodes that have no row yet
    size: int = 0  # episodes in the batch
    last_group: tuple[str, str] | None = None
    running: bool = False  # the worker reported that it started the batch
    since: float = 0.0  # time.monotonic() when the batch was handed over, or started

    def assign(self, items: list[WorkItem]) -> None:
        self.items, self.size = list(items), len(items)
        self.last_group = (items[0].task, items[0].set_name)
        self.running, self.since = False, time.monotonic()

    def started(self) -> None:
        self.running, self.since = True, time.monotonic()

    def finished(self, row: EpisodeRow) -> None:
        """``row`` arrived: its episode is done."""
        self.items = [it for it in self.items if it.key() != row.key()]

    def deadline(self, timeout_s: float | None) -> float:
        if timeout_s is None or not self.items:
            return math.inf
        return self.since + self.size * (timeout_s if self.running else max(timeout_s, START_ALLOWANCE_S))

    def overdue(self, timeout_s: float | None) -> bool:
        return time.monotonic() >= self.deadline(timeout_s)

    def timeout_rows(self, config: SweepConfig, timeout_s: float) -> list[EpisodeRow]:
        """A ``timeout`` row for every episode of the batch still without a row."""
        n = self.size
        per = f"{n} x " if n > 1 else ""
        if self.running:
            what = "episode" if n == 1 else f"batch of {n} episodes"
            message = f"Timeout: {what} ran past the {per}{timeout_s:g} s episode timeout; its worker was killed"
        else:
            message = (f"Timeout: its worker did not start the {'episode' if n == 1 else 'batch'} within "
                       f"{per}{max(timeout_s, START_ALLOWANCE_S):g} s (start-up and env build); it was killed")
        rows = [error_row(config, item, message, Status.TIMEOUT) for item in self.items]
        self.items = []
        return rows

    def died(self, queue: WorkQueue, config: SweepConfig, why: str) -> list[EpisodeRow]:
        """The worker died: its unfinished episodes go back to ``queue``, or get an ``infra_error`` row."""
        rows = [error_row(config, item, f"WorkerDied: {why} twice on this episode", Status.INFRA_ERROR)
                for item in reversed(self.items) if not queue.worker_died(item)]  # back in episode order
        self.items = []
        return rows[::-1]


def take_next(queue: WorkQueue, lane: Lane, lanes: Sequence[Lane]) -> list[WorkItem]:
    """The next batch for ``lane``, keeping workers on groups nobody else is on."""
    busy = {other.last_group for other in lanes if other is not lane and other.items}
    return queue.take(lane.last_group, busy)


def seconds_to_deadline(lanes: Iterable[Lane], timeout_s: float | None) -> float | None:
    """How long the driver may wait before the nearest deadline (None: no deadline)."""
    nearest = min((lane.deadline(timeout_s) for lane in lanes), default=math.inf)
    return None if math.isinf(nearest) else max(0.0, nearest - time.monotonic())


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within: SIGTERM raises KeyboardInterrupt, as Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Within: SIGINT and SIGTERM wait (so a second Ctrl-C cannot cut a cleanup short)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# ------------------------------------------------------------------------------ local backend
_STARTED = "started"  # a worker's message: the envs are ready and the batch starts now
# A worker that finds itself importing the driver's script again (no ``if __name__ == "__main__":``
# guard around evaluate) exits with this code before it runs anything; see ``refuse_in_bootstrap``.
NO_MAIN_GUARD_EXIT = 86
NO_MAIN_GUARD = ("evaluate() ran again inside a worker process that was starting: with the 'spawn' start "
                 "method every worker imports the script that started the sweep{script}, which calls "
                 "evaluate() again. Put the call under a main guard:\n\n    if __name__ == \"__main__\":\n"
                 "        evaluate(...)\n")


def refuse_in_bootstrap() -> None:
    """In a worker process still importing the driver's script, exit quietly with ``NO_MAIN_GUARD_EXIT``.

    The driver sees its workers exit with that code before they start and raises
    ``RuntimeError(NO_MAIN_GUARD)``, once, naming the script and the fix.
    """
    if getattr(mp.current_process(), "_inheriting", False):  # spawn's flag while a child imports __main__
        raise SystemExit(NO_MAIN_GUARD_EXIT)


def _main_script() -> str:
    """`` (path)`` of the script run as ``__main__``, or nothing."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return f" ({path})" if path else ""


def _die_with(parent_pid: int) -> None:
    """Have Linux SIGKILL this process when the driver dies, even while it hangs."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the driver died before prctl took effect
        os._exit(1)


def _worker(conn, config: SweepConfig, parent_pid: int) -> None:
    """Worker process: receive batches, send "started" then each row, until told to stop (None).

    It ignores Ctrl-C (the driver ends its workers) and dies with the driver.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked at spawn
    _die_with(parent_pid)
    cache = EnvCache(config)
    try:
        while (items := conn.recv()) is not None:
            run_items(cache, items, conn.send, on_start=lambda: conn.send(_STARTED))
    except (EOFError, OSError):
        pass
    finally:
        cache.close()


@dataclass
class _Worker(Lane):
    proc: Any = None
    conn: Any = None
    stuck: bool = False  # a process of this lane outlived SIGKILL (uninterruptible sleep)

    def spawn(self, ctx: Any, config: SweepConfig) -> None:
        """Start the process, SIGINT blocked until it ignores it (a Ctrl-C at start-up prints nothing)."""
        resource_tracker.ensure_running()  # starting it inside proc.start() would unblock SIGINT
        with signals_deferred():
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, config, os.getpid()), daemon=True)
            proc.start()
            child.close()
            self.proc, self.conn = proc, parent

    def receive(self) -> list[EpisodeRow]:
        """The rows that came; notes the start of the batch on the way."""
        rows = []
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if isinstance(message, str):
                    self.started()
                else:
                    rows.append(message)
                    self.finished(message)
        except (EOFError, OSError):  # it closed its pipe: it is exiting, or of no more use
            self.proc.join(STOP_GRACE_S)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(STOP_GRACE_S)
        return rows

    def end(self, grace_s: float = 0.0) -> None:
        """Stop the process (kill it once ``grace_s`` has passed) and forget it."""
        if self.proc is None:
            return
        self.proc.join(grace_s)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(STOP_GRACE_S)
        self.stuck |= self.proc.is_alive()
        self.conn.close()
        self.proc = self.conn = None


def _stop_workers(workers: Sequence[_Worker]) -> None:
    """Idle workers are asked to stop (closing their envs), busy ones killed; none survives."""
    for w in workers:
        if w.proc is None:
            continue
        if not w.items:
            try:
                w.conn.send(None)
            except OSError:
                pass
        else:
            w.proc.kill()  # mid-episode on an interrupt: nothing of it is kept
    end = time.monotonic() + STOP_GRACE_S
    for w in workers:
        w.end(max(0.0, end - time.monotonic()))


def run_local(items: Sequence[WorkItem], config: SweepConfig, workers: int,
              on_row: Callable[[EpisodeRow], None], episode_timeout_s: float | None = None) -> None:
    """Run items on ``workers`` processes; each finished row goes to ``on_row`` (in this process).

    Each worker runs batches of up to ``config.batch_size`` episodes (see the module docstring).
    A worker that dies (segfault, OOM kill) is replaced; its unfinished episodes are retried once,
    each alone, on a fresh worker and then recorded as ``infra_error``. A batch that runs past its
    timeout (see the module docstring for the clock) is killed with its worker and its unfinished
    episodes recorded as ``timeout`` (the store retries them when the run resumes); a fresh
    worker goes on. An exception raised by ``on_row`` stops the sweep (every worker is ended) and
    propagates.

    Raises:
        RuntimeError: the workers exit at start-up because the script that called ``evaluate``
            has no ``if __name__ == "__main__":`` guard.
        KeyboardInterrupt: on Ctrl-C or SIGTERM; the rows handed to ``on_row`` stay, and every
            worker (and multiprocessing's resource tracker, if this call started it) is gone.
    """
    ctx = mp.get_context("spawn")
    queue = WorkQueue(items, config.batch_size)
    lanes = [_Worker() for _ in range(max(1, min(workers, len(items))))]
    own_tracker = getattr(resource_tracker._resource_tracker, "_fd", None) is None
    with sigterm_interrupts():
        try:
            while True:
                for lane in lanes:
                    if not lane.items and queue:
                        if lane.proc is not None and not lane.proc.is_alive():
                            lane.end()  # died while idle
                        if lane.proc is None:
                            lane.spawn(ctx, config)
                        lane.assign(take_next(queue, lane, lanes))
                        try:
                            lane.conn.send(lane.items)
                        except OSError:
                            pass  # it died just now: seen below
                busy = [lane for lane in lanes if lane.items]
                if not busy:
                    break
                wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                     seconds_to_deadline(busy, episode_timeout_s))
                for lane in busy:
                    for row in lane.receive():
                        on_row(row)
                    if not lane.items:
                        continue
                    if not lane.proc.is_alive():
                        code = lane.proc.exitcode
                        if code == NO_MAIN_GUARD_EXIT and not lane.running:
                            raise RuntimeError(NO_MAIN_GUARD.format(script=_main_script()))
                        lane.end()
                        for row in lane.died(queue, config, f"worker exited with code {code}"):
                            on_row(row)
                    elif lane.overdue(episode_timeout_s):
                        rows = lane.timeout_rows(config, episode_timeout_s)
                        lane.end()
                        for row in rows:
                            on_row(row)
        finally:
            with signals_deferred():
                _stop_workers(lanes)
                if own_tracker and not any(lane.stuck for lane in lanes):
                    # the tracker this call started exits once no worker holds its pipe; reap it now
                    # rather than leave it to outlive us (there is no public way to stop it)
                    stop = getattr(resource_tracker._resource_tracker, "_stop", lambda: None)
                    with suppress(OSError):
                        stop()


# ------------------------------------------------------------------------------ Ray backend
def run_ray(items: Sequence[WorkItem], config: SweepConfig, address: str | None,
            on_row: Callable[[EpisodeRow], None], episode_timeout_s: float | None = None) -> None:
    """Run items on a pool of Ray actors, one episode at a time; see :mod:`.ray_backend`."""
    from colosseum_lite.eval.ray_backend import run_on_ray

    run_on_ray(items, config, address, on_row, episode_timeout_s)
