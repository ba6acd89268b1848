"""Where episodes run: worker processes on this machine, or Ray actors on a cluster.

Both take work items and hand every finished row to a callback in the driver, which alone
writes to the store. Workers keep their env alive across episodes of the same (task, set) and
run one episode at a time, so a worker that dies or hangs costs one episode.

The episode clock: an episode's timeout runs from the moment its worker reports that it starts
the episode (env and policy ready, just before ``reset``) until its row arrives. Getting there
(spawning the worker, importing, building the env) has an allowance of its own,
``max(timeout, START_ALLOWANCE_S)`` from when the item was handed over, so a slow start never
times out a short episode and a hang while building an env is still caught.
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
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import wait
from typing import Any

import gymnasium as gym
import pybullet

from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.eval.store import EpisodeRow, Status, now_iso
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
        try:
            env = gym.make(env_id(task), obs_mode=c.obs_mode, control_mode=c.control_mode,
                           perturbations=c.perturbations(task, set_name), **c.env_kwargs)
        except Exception as exc:
            raise _EnvBuildError(f"cannot build {env_id(task)}") from exc
        try:
            policy = load_policy(c.policy, env)
        except BaseException:
            env.close()
            raise
        self._items[key] = (env, policy)
        while len(self._items) > ENV_CACHE_SIZE:
            old, _ = self._items.popitem(last=False)[1]
            old.close()
        return self._items[key]

    def drop(self, task: str, set_name: str) -> None:
        """Forget (and close) the env of one (task, set)."""
        pair = self._items.pop((task, set_name), None)
        if pair is not None:
            pair[0].close()

    def close(self) -> None:
        for env, _ in self._items.values():
            env.close()
        self._items.clear()


def _where(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" (at {os.path.basename(last.filename)}:{last.lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{at}"


def run_item(cache: EnvCache, item: WorkItem, on_start: Callable[[], None] | None = None) -> EpisodeRow:
    """Run one episode. A policy error fails the episode (``policy_error``); an env that cannot
    be built or a simulator that fails is the infrastructure's (``infra_error``, retried later).
    ``on_start`` is called once the env and policy are ready, just before the episode starts."""
    c = cache.config
    params: dict = {}
    success, steps, ret, wall, error, status = False, 0, 0.0, 0.0, None, Status.OK
    try:
        env, policy = cache.get(item.task, item.set_name)
    except _EnvBuildError as exc:
        error, status = _where(exc.__cause__ or exc), Status.INFRA_ERROR
    except Exception as exc:  # noqa: BLE001 - a factory that fails fails its episodes
        error, status = _where(exc), Status.POLICY_ERROR
    else:
        if on_start is not None:
            on_start()
        try:
            result = run_episode(env, policy, item.seed, check_actions=True)
            params = env.unwrapped.perturbation
            success, steps, ret, wall = result.success, result.steps, result.episode_return, result.wall_s
        except (pybullet.error, MemoryError) as exc:
            error, status = _where(exc), Status.INFRA_ERROR
        except Exception as exc:  # noqa: BLE001 - any failure of the policy is a failed episode
            error, status = _where(exc), Status.POLICY_ERROR
        if error is not None:
            cache.drop(item.task, item.set_name)  # rebuild the env: its state is unknown
    return EpisodeRow(c.run, c.policy, c.version, item.task, item.set_name, item.episode, item.seed,
                      json.dumps(params, sort_keys=True), bool(success), int(steps), float(ret), float(wall),
                      error, now_iso(), status)


def error_row(config: SweepConfig, item: WorkItem, message: str, status: Status) -> EpisodeRow:
    """A failed episode that never produced a result (its worker died or ran out of time)."""
    return EpisodeRow(config.run, config.policy, config.version, item.task, item.set_name, item.episode,
                      item.seed, "{}", False, 0, 0.0, 0.0, message, now_iso(), status)


# ------------------------------------------------------------------------------ shared by both backends
class WorkQueue:
    """The items still to run, by (task, set), and how often each one's worker died."""

    def __init__(self, items: Iterable[WorkItem]) -> None:
        self._groups: OrderedDict[tuple[str, str], deque[WorkItem]] = OrderedDict()
        for it in items:
            self._groups.setdefault((it.task, it.set_name), deque()).append(it)
        self._deaths: dict[tuple[str, str, int], int] = {}

    def __bool__(self) -> bool:
        return bool(self._groups)

    def take(self, last_group: tuple[str, str] | None, busy: set) -> WorkItem:
        """Stay on a worker's group (its env is alive); else take one nobody ``busy`` is on."""
        group = last_group
        if group not in self._groups:
            free = [g for g in self._groups if g not in busy]
            group = max(free or self._groups, key=lambda g: len(self._groups[g]))
        item = self._groups[group].popleft()
        if not self._groups[group]:
            del self._groups[group]
        return item

    def worker_died(self, item: WorkItem) -> bool:
        """Put ``item`` back for a fresh worker; False once its workers died ``MAX_ATTEMPTS`` times."""
        deaths = self._deaths[item.key()] = self._deaths.get(item.key(), 0) + 1
        if deaths < MAX_ATTEMPTS:
            self._groups.setdefault((item.task, item.set_name), deque()).appendleft(item)
            return True
        return False


@dataclass
class Lane:
    """What the driver knows of one worker: its episode, and since when the clock runs."""

    item: WorkItem | None = None
    last_group: tuple[str, str] | None = None
    running: bool = False  # the worker reported that it started the episode
    since: float = 0.0  # time.monotonic() when the item was handed over, or the episode started

    def assign(self, item: WorkItem) -> None:
        self.item, self.last_group = item, (item.task, item.set_name)
        self.running, self.since = False, time.monotonic()

    def started(self) -> None:
        self.running, self.since = True, time.monotonic()

    def deadline(self, timeout_s: float | None) -> float:
        if timeout_s is None or self.item is None:
            return math.inf
        return self.since + (timeout_s if self.running else max(timeout_s, START_ALLOWANCE_S))

    def overdue(self, timeout_s: float | None) -> bool:
        return time.monotonic() >= self.deadline(timeout_s)

    def timeout_row(self, config: SweepConfig, timeout_s: float) -> EpisodeRow:
        assert self.item is not None
        if self.running:
            message = f"Timeout: episode ran past the {timeout_s:g} s episode timeout; its worker was killed"
        else:
            message = (f"Timeout: its worker did not start the episode within "
                       f"{max(timeout_s, START_ALLOWANCE_S):g} s (start-up and env build); it was killed")
        return error_row(config, self.item, message, Status.TIMEOUT)


def take_next(queue: WorkQueue, lane: Lane, lanes: Sequence[Lane]) -> WorkItem:
    """The next item for ``lane``, keeping workers on groups nobody else is on."""
    busy = {other.last_group for other in lanes if other is not lane and other.item is not None}
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
_STARTED = "started"  # a worker's message: the env is ready and the episode starts now


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
    """Worker process: receive items, send "started" then the row, until told to stop (None).

    It ignores Ctrl-C (the driver ends its workers) and dies with the driver.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked at spawn
    _die_with(parent_pid)
    cache = EnvCache(config)
    try:
        while (item := conn.recv()) is not None:
            conn.send(run_item(cache, item, on_start=lambda: conn.send(_STARTED)))
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

    def receive(self) -> EpisodeRow | None:
        """The row, once it came; notes the start of the episode on the way."""
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if not isinstance(message, str):
                    return message
                self.started()
        except (EOFError, OSError):  # it closed its pipe: it is exiting, or of no more use
            self.proc.join(STOP_GRACE_S)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(STOP_GRACE_S)
        return None

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
        if w.item is None:
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

    A worker that dies (segfault, OOM kill) is replaced; its episode is retried once on a fresh
    worker and then recorded as ``infra_error``. An episode that runs past ``episode_timeout_s``
    (see the module docstring for the clock) is killed with its worker and recorded as
    ``timeout`` (the store retries it when the run resumes); a fresh worker goes on.

    Raises:
        KeyboardInterrupt: on Ctrl-C or SIGTERM; the rows handed to ``on_row`` stay, and every
            worker (and multiprocessing's resource tracker, if this call started it) is gone.
    """
    ctx = mp.get_context("spawn")
    queue = WorkQueue(items)
    lanes = [_Worker() for _ in range(max(1, min(workers, len(items))))]
    own_tracker = getattr(resource_tracker._resource_tracker, "_fd", None) is None
    with sigterm_interrupts():
        try:
            while True:
                for lane in lanes:
                    if lane.item is None and queue:
                        if lane.proc is not None and not lane.proc.is_alive():
                            lane.end()  # died while idle
                        if lane.proc is None:
                            lane.spawn(ctx, config)
                        lane.assign(take_next(queue, lane, lanes))
                        try:
                            lane.conn.send(lane.item)
                        except OSError:
                            pass  # it died just now: seen below
                busy = [lane for lane in lanes if lane.item is not None]
                if not busy:
                    break
                wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                     seconds_to_deadline(busy, episode_timeout_s))
                for lane in busy:
                    row = lane.receive()
                    if row is not None:
                        lane.item = None
                        on_row(row)
                    elif not lane.proc.is_alive():
                        item, code = lane.item, lane.proc.exitcode
                        lane.item = None
                        lane.end()
                        if not queue.worker_died(item):
                            on_row(error_row(config, item, f"WorkerDied: worker exited with code {code} "
                                                           "twice on this episode", Status.INFRA_ERROR))
                    elif lane.overdue(episode_timeout_s):
                        row = lane.timeout_row(config, episode_timeout_s)
                        lane.item = None
                        lane.end()
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
