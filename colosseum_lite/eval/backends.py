"""Where episodes run: worker processes on this machine, or Ray tasks on a cluster.

Both take work items and hand every finished row to a callback in the driver, which alone
writes to the store. Workers keep their env alive across episodes of the same (task, set).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

import gymnasium as gym

from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.eval.store import EpisodeRow, now_iso
from colosseum_lite.policies.loading import load_policy
from colosseum_lite.tasks import env_id

ENV_CACHE_SIZE = 2
MAX_ATTEMPTS = 2  # an episode whose worker died is retried once on a fresh worker


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
