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
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from typing import Any

from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.store import EpisodeRow, Status
from colosseum_lite.eval.worker import EnvCache, error_row, run_items

MAX_ATTEMPTS = 2  # an episode whose worker died is retried once on a fresh worker
START_ALLOWANCE_S = 120.0  # at least this long to start a worker and build an env, before the clock
STOP_GRACE_S = 5.0  # how long idle workers may take to close their envs when a sweep ends


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
        group: tuple[str, str]
        if last_group is not None and last_group in self._groups:
            group = last_group
        else:
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


def _worker(conn: Connection, config: SweepConfig, parent_pid: int) -> None:
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
                    elif episode_timeout_s is not None and lane.overdue(episode_timeout_s):
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
