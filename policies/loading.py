"""Build a policy from a spec string, the same way in the CLI, the runner and user code."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym

from colosseum_lite.policies.base import Policy

SPEC_FORMS = ("'oracle', 'random', 'package.module:factory', 'path/to/file.py:factory' or a torch model "
              "file 'path/to/model.pt'")


def _builtin() -> dict[str, Callable[[gym.Env], Policy]]:
    from colosseum_lite.policies.oracle import OraclePolicy
    from colosseum_lite.policies.random_policy import RandomPolicy

    return {"oracle": OraclePolicy, "random": RandomPolicy}


BUILTIN_POLICIES = ("oracle", "random")


def resolve_factory(spec: str) -> Callable[[gym.Env], Policy]:
    """The factory a spec names, imported but not called (checks a spec before any work).

    Raises:
        ValueError: the spec has no valid form, or its module, file or factory is missing.
    """
    if spec in BUILTIN_POLICIES:
        return _builtin()[spec]
    from colosseum_lite.policies.torch_policy import TorchPolicy, is_model_file

    if is_model_file(spec):
        if not Path(spec).is_file():
            raise ValueError(f"model file {spec!r} does not exist")
        return functools.partial(TorchPolicy, path=spec)
    if ":" not in spec:
        raise ValueError(f"unknown policy {spec!r}; expected {SPEC_FORMS}")
    target, _, attr = spec.rpartition(":")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"policy file {target!r} does not exist (policy spec {spec!r})")
        mod_name = f"colosseum_lite_user_policy_{abs(hash(path.resolve()))}"
        module = sys.modules.get(mod_name)
        if module is None:
            loader_spec = importlib.util.spec_from_file_location(mod_name, path)
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[mod_name] = module
            loader_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ValueError(f"cannot import module {target!r} for policy {spec!r}: {exc}") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ValueError(f"{target!r} has no callable {attr!r} (policy spec {spec!r})")
    return factory


def load_policy(spec: str, env: gym.Env) -> Policy:
    """Build a policy for ``env`` from ``spec``: oracle, random, or a factory taking the env.

    Raises:
        ValueError: for an unknown spec, or a factory that returns no ``reset``/``act`` object.
    """
    policy = resolve_factory(spec)(env)
    if not isinstance(policy, Policy):
        raise ValueError(f"policy {spec!r} built a {type(policy).__name__}, which lacks "
                         "reset(seed) and act(obs)")
    return policy
