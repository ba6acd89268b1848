"""The Ray backend: a pool of actors, each running one episode at a time.

Each actor keeps an :class:`~colosseum_lite.eval.backends.EnvCache` (one env per (task, set)
alive across episodes) and stays on its group, as local workers do. Every row reaches the
driver's callback as soon as its episode ends. An actor that dies (segfault, ``os._exit``,
SIGKILL) costs one episode: it is retried once on a fresh actor, then recorded as
``infra_error``; one that runs past the episode timeout is killed and its episode recorded as
``timeout``. The clock is the local backend's: an actor first builds the item's env (a call of
its own, under the start allowance), then the episode's clock starts.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from colosseum_lite.eval.backends import (
    EnvCache,
    Lane,
    WorkQueue,
    error_row,
    run_item,
    seconds_to_deadline,
    signals_deferred,
    sigterm_interrupts,
    take_next,
)
from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.store import EpisodeRow, Status

MAX_WAIT_S = 1.0  # the driver wakes at least this often (Ctrl-C, SIGTERM)


class EpisodeActor:
    """A Ray actor's state: the envs it keeps alive. Ray runs its calls one at a time, in order."""

    def __init__(self, config: SweepConfig) -> None:
        self.cache = EnvCache(config)

    def build(self, task: str, set_name: str) -> None:
        """Have the env of (task, set) ready; a failure is reported by the ``run`` that follows."""
        try:
            self.cache.get(task, set_name)
        except Exception:  # noqa: BLE001 - run_item builds it again and records why it fails
            pass

    def run(self, item: WorkItem) -> EpisodeRow:
        return run_item(self.cache, item)


@dataclass
class _Actor(Lane):
    handle: Any = None
    refs: deque = field(default_factory=deque)  # [build, run] of the current item; the first is awaited


def run_on_ray(items: Sequence[WorkItem], config: SweepConfig, address: str | None,
               on_row: Callable[[EpisodeRow], None], episode_timeout_s: float | None = None) -> None:
    """Run items on one Ray actor per CPU of the cluster; each finished row goes to ``on_row``.

    Raises:
        ValueError: Ray is not installed.
        KeyboardInterrupt: on Ctrl-C or SIGTERM; the rows handed to ``on_row`` stay and every
            actor is killed.
    """
    try:
        import ray
        from ray.exceptions import OutOfMemoryError, RayActorError, WorkerCrashedError
    except ImportError:
        raise ValueError("the Ray backend needs Ray: pip install 'colosseum-lite[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
    remote = ray.remote(num_cpus=1, max_restarts=0)(EpisodeActor)
    queue = WorkQueue(items)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    lanes = [_Actor() for _ in range(min(cpus, len(items)))]

    def end(lane: _Actor) -> None:
        ray.kill(lane.handle, no_restart=True)
        lane.handle, lane.item = None, None
        lane.refs.clear()

    def advance(lane: _Actor) -> None:
        """The awaited call of ``lane`` returned: start the episode's clock, or hand on its row."""
        try:
            result = ray.get(lane.refs.popleft())
        except (RayActorError, WorkerCrashedError, OutOfMemoryError) as exc:
            item = lane.item
            end(lane)
            if not queue.worker_died(item):
                on_row(error_row(config, item, f"WorkerDied: its Ray worker died twice on this episode "
                                               f"({type(exc).__name__})", Status.INFRA_ERROR))
            return
        if lane.refs:
            lane.started()  # the env is built: the episode's clock starts
        else:
            lane.item = None
            on_row(result)

    with sigterm_interrupts():
        try:
            while True:
                for lane in lanes:
                    if lane.item is None and queue:
                        if lane.handle is None:
                            lane.handle = remote.remote(config)
                        item = take_next(queue, lane, lanes)
                        lane.assign(item)
                        lane.refs.extend([lane.handle.build.remote(item.task, item.set_name),
                                          lane.handle.run.remote(item)])
                busy = [lane for lane in lanes if lane.item is not None]
                if not busy:
                    break
                left = seconds_to_deadline(busy, episode_timeout_s)
                wait_s = MAX_WAIT_S if left is None else min(left, MAX_WAIT_S)
                heads = [lane.refs[0] for lane in busy]
                ray.wait(heads, num_returns=1, timeout=wait_s)
                ready = set(ray.wait(heads, num_returns=len(heads), timeout=0)[0])
                for lane in busy:
                    if lane.refs[0] in ready:
                        advance(lane)
                    elif lane.overdue(episode_timeout_s):
                        row = lane.timeout_row(config, episode_timeout_s)
                        end(lane)
                        on_row(row)
        finally:
            with signals_deferred():
                for lane in lanes:
                    if lane.handle is not None:
                        end(lane)
