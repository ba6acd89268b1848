"""The policy protocol every evaluated policy follows, and how the runner calls a policy.

Required: ``reset(seed, info=None)`` and ``act(obs) -> action``. Optional, and found by the runner
when present:

- ``act_batch(list_of_obs) -> list_of_actions``: one call for several episodes' observations at
  once (a model evaluates them as one batch). With ``evaluate(..., batch_size=N)`` a worker steps N
  envs of the same (task, set) in lockstep and calls ``act_batch`` once per step with the
  observations of the episodes still running, in the batch's order (consecutive seeds). It must
  act on each observation alone, as ``act`` would, keeping no state between steps: the list
  shrinks as episodes end, so a position in it names no fixed episode. Each episode still gets
  ``reset(seed, info)`` when it starts.
- ``bind(env)``: the policy reads its env (privileged simulator state, camera calibration), as the
  oracle and the pixel pusher do. A worker builds ONE policy for a whole sweep and calls
  ``bind(env)`` whenever the next episode runs in another env than the last one (another task or
  set, or an env rebuilt after an error).

A policy built by a factory that keeps its env in an attribute (``self.env = env``,
``env.unwrapped``, or a part of it such as ``env.unwrapped.sim``; its spaces do not count) but has
no ``bind`` is env-bound too: the runner calls the factory again for each env it meets (the only
case in which a factory runs more than once per worker). Every other policy
is built once per worker and acts on whatever env its episode runs in: it must not read the env it
was built with beyond its spaces. Env-bound policies (either kind) run one episode at a time, even
with ``act_batch``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from enum import Enum, auto, unique
from typing import Any, Protocol, TypeGuard, runtime_checkable

import gymnasium as gym
import numpy as np


@runtime_checkable
class Policy(Protocol):
    """Anything with ``reset(seed, info=None)`` and ``act(obs) -> action``.

    ``reset`` is called after each ``env.reset`` with the episode's seed and the reset ``info``
    (``task``, ``variant``, ``instruction``, ``episode_seed``, ``perturbation`` and, in image modes,
    ``camera_params``). A ``reset(seed)`` that takes no ``info`` still works: the runner looks at
    its signature and calls it with the seed only. ``act`` receives the observation dict and
    returns an action in the env's action space. See the module docstring for the optional
    ``act_batch(list_of_obs)`` and ``bind(env)``.
    """

    def reset(self, seed: int | None = None, info: dict[str, Any] | None = None) -> None: ...

    def act(self, obs: dict[str, Any]) -> np.ndarray: ...


class BatchPolicy(Policy, Protocol):
    """A :class:`Policy` that also acts on several episodes' observations in one call."""

    def act_batch(self, observations: list[dict[str, Any]]) -> Sequence[np.ndarray]: ...


# What an env holds that a policy may share without reading the env: spaces and plain values.
_NOT_ENV_STATE = (gym.Space, str, bytes, int, float, bool, type(None), tuple, frozenset, Enum)


@unique
class Binding(Enum):
    """How a policy relates to the env it acts in (see the module docstring)."""

    SHARED = auto()  # one instance for every env: it reads nothing of its env
    BIND = auto()  # one instance, told each new env through ``bind(env)``
    REBUILD = auto()  # keeps its env without ``bind``: the factory is called again per env


def binding(policy: Any, env: gym.Env) -> Binding:
    """How the runner must give ``policy`` (built by a factory with ``env``) another env."""
    if callable(getattr(policy, "bind", None)):
        return Binding.BIND
    base = env.unwrapped
    parts = vars(base).values() if hasattr(base, "__dict__") else ()
    targets = {id(env), id(base)} | {id(v) for v in parts if not isinstance(v, _NOT_ENV_STATE)}
    try:
        held = vars(policy).values()
    except TypeError:  # __slots__ or a C object: look at the slots it has
        names = [n for cls in type(policy).__mro__ for n in getattr(cls, "__slots__", ())]
        held = [getattr(policy, n, None) for n in names]
    return Binding.REBUILD if any(id(v) in targets for v in held) else Binding.SHARED


def batches(policy: Any) -> TypeGuard[BatchPolicy]:
    """Whether the runner may step several envs in lockstep for ``policy`` (``act_batch``, no ``bind``)."""
    return callable(getattr(policy, "act_batch", None)) and not callable(getattr(policy, "bind", None))


def resetter(policy: Any) -> Callable[[int | None, dict[str, Any] | None], None]:
    """``reset(seed, info)`` for ``policy``, passing ``info`` only where its ``reset`` takes one.

    The signature is inspected once per reset function (cached), not on every call.
    """
    reset = policy.reset
    function, bound = getattr(reset, "__func__", reset), hasattr(reset, "__func__")
    try:
        mode = _info_mode(function, bound)
    except TypeError:  # an unhashable callable: inspect it uncached
        mode = _info_mode.__wrapped__(function, bound)
    if mode == "keyword":
        return lambda seed, info: reset(seed, info=info)
    if mode == "positional":
        return lambda seed, info: reset(seed, info)
    return lambda seed, info: reset(seed)


@functools.lru_cache(maxsize=256)
def _info_mode(function: Callable[..., Any], bound: bool) -> str:
    """``keyword``, ``positional`` or ``none``: how a reset function can be given ``info``."""
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: the old protocol
        return "none"
    if bound and params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]  # self
    kinds = {p.kind for p in params}
    if any(p.name == "info" and p.kind is not p.POSITIONAL_ONLY for p in params) \
            or inspect.Parameter.VAR_KEYWORD in kinds:
        return "keyword"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 2 or inspect.Parameter.VAR_POSITIONAL in kinds:
        return "positional"
    return "none"

