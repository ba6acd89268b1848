"""What a worker does: keep its envs and its one policy, and run a batch of episodes into rows.

Both backends' workers (local processes, Ray actors) run this. A batch is one episode, or several
episodes of one (task, set) in lockstep for a policy with ``act_batch``; see
:mod:`colosseum_lite.eval.backends` for how the driver hands batches out and times them.
"""

from __future__ import annotations

import json
import os
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import gymnasium as gym
import pybullet

from colosseum_lite.eval.plan import SweepConfig, WorkItem
from colosseum_lite.eval.rollout import EpisodeResult, run_batch, run_episode
from colosseum_lite.eval.store import EpisodeRow, Status, now_iso
from colosseum_lite.policies.base import Binding, batches, binding
from colosseum_lite.policies.loading import load_policy
from colosseum_lite.tasks import env_id

if TYPE_CHECKING:
    from colosseum_lite.env import ColosseumEnv

ENV_CACHE_SIZE = 2  # (task, set) groups whose envs a worker keeps alive


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

    @property
    def binding(self) -> Binding | None:
        """How the policy relates to its envs (None until it is built)."""
        return self._binding

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
    return _row(cache.config, item, cast("ColosseumEnv", env.unwrapped).perturbation, result, None, Status.OK)


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
    if not batches(policy) or cache.binding is not Binding.SHARED:  # run them one by one, honestly
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
            perturbation = cast("ColosseumEnv", envs[i].unwrapped).perturbation
            on_row(_row(cache.config, items[i], perturbation, outcome, None, Status.OK))
        else:
            failed.append(envs[i])
            on_row(_row(cache.config, items[i], {}, None, *_failure(outcome)))
    for env in failed:
        cache.drop(items[0].task, items[0].set_name, env)


def error_row(config: SweepConfig, item: WorkItem, message: str, status: Status) -> EpisodeRow:
    """A failed episode that never produced a result (its worker died or ran out of time)."""
    return _row(config, item, {}, None, message, status)
