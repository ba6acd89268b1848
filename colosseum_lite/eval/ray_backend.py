"""The Ray backend: a pool of actors, each running one batch at a time.

Each actor keeps an :class:`~colosseum_lite.eval.worker.EnvCache` (its one policy, and its
envs per (task, set) alive across episodes) and stays on its group, as local workers do. A
batch is one episode, or up to ``batch_size`` episodes in lockstep (see
:mod:`~colosseum_lite.eval.backends`); its rows reach the driver's callback when the batch ends.
An actor that dies (segfault, ``os._exit``, SIGKILL) costs its batch: each of its episodes is
retried once, alone, on a fresh actor, then recorded as ``infra_error``; one that runs past the
batch's timeout is killed and its episodes recorded as ``timeout``. The clock is the local
backend's: an actor first builds the batch's envs (a call of its own, under the start
allowance), then the batch's clock starts.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from colosseum_lite.eval.backends import (
    Lane,
    WorkQueue,
    seconds_to_deadline,
    signals_deferred,
    sigterm_interrupts,
    take_next,
)
from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.store import EpisodeRow
from colosseum_lite.eval.worker import EnvCache, run_items

MAX_WAIT_S = 1.0  # the driver wakes at least this often (Ctrl-C, SIGTERM)


class EpisodeActor:
    """A Ray actor's state: the envs it keeps alive. Ray runs its calls one at a time, in order."""

    def __init__(self, config: SweepConfig) -> None:
        self.cache = EnvCache(config)

    def build(self, task: str, set_name: str, n: int) -> None:
        """Have ``n`` envs of (task, set) and the policy ready; a failure is reported by the ``run``
        that follows."""
        try:
            self.cache.policy(self.cache.envs(task, set_name, n)[0])
        except Exception:  # noqa: BLE001 - run_items builds them again and records why it fails
            pass

    def run(self, items: list[WorkItem]) -> list[EpisodeRow]:
        rows: list[EpisodeRow] = []
        run_items(self.cache, items, rows.append)
        return rows


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
    queue = WorkQueue(items, config.batch_size)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    lanes = [_Actor() for _ in range(min(cpus, len(items)))]

    def end(lane: _Actor) -> None:
        ray.kill(lane.handle, no_restart=True)
        lane.handle, lane.items = None, []
        lane.refs.clear()

    def advance(lane: _Actor) -> None:
        """The awaited call of ``lane`` returned: start the episode's clock, or hand on its row."""
        try:
            result = ray.get(lane.refs.popleft())
        except (RayActorError, WorkerCrashedError, OutOfMemoryError) as exc:
            rows = lane.died(queue, config, f"its Ray worker died ({type(exc).__name__})")
            end(lane)
            for row in rows:
                on_row(row)
            return
        if lane.refs:
            lane.started()  # the envs are built: the batch's clock starts
        else:
            lane.items = []
            for row in result:
                on_row(row)

    with sigterm_interrupts():
        try:
            while True:
                for lane in lanes:
                    if not lane.items and queue:
                        if lane.handle is None:
                            lane.handle = remote.remote(config)
                        batch = take_next(queue, lane, lanes)
                        lane.assign(batch)
                        lane.refs.extend([lane.handle.build.remote(batch[0].task, batch[0].set_name, len(batch)),
                                          lane.handle.run.remote(batch)])
                busy = [lane for lane in lanes if lane.items]
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
                    elif episode_timeout_s is not None and lane.overdue(episode_timeout_s):
                        rows = lane.timeout_rows(config, episode_timeout_s)
                        end(lane)
                        for row in rows:
                            on_row(row)
        finally:
            with signals_deferred():
                for lane in lanes:
                    if lane.handle is not None:
                        end(lane)
