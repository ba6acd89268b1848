"""Build a policy from a spec string, the same way in the CLI, the runner and user code.

A spec is one of :data:`SPEC_FORMS`. Every bad spec ends in a ``ValueError`` that names the spec
and the fix; nothing else escapes ``resolve_factory`` or ``load_policy`` for a bad spec (a
``KeyboardInterrupt`` still does). A module or file spec is Python code and runs with the caller's
permissions when it is imported; so does a pickled torch model, which is why it needs the
``pickle:`` prefix.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium as gym

from colosseum_lite.policies.base import Policy

SPEC_FORMS = ("'oracle', 'random', 'top_down_random', 'idle', 'package.module:factory', "
              "'path/to/file.py:factory', a TorchScript model file 'path/to/model.pt' (.pt, .pth, .ts), a "
              "trusted pickled torch module 'pickle:path/to/model.pt' or a trusted Stable-Baselines3 "
              "checkpoint 'sb3:path/to/model.zip'")
FACTORY_CONTRACT = "a factory takes the env and returns an object with reset(seed, info=None) and act(obs)"
PICKLE_PREFIX = "pickle:"
SB3_PREFIX = "sb3:"
BUILTIN_POLICIES = ("oracle", "random", "top_down_random", "idle")
# The control mode a built-in policy needs, where it needs one.
BUILTIN_CONTROL_MODES = {"oracle": "ee_keyframe", "top_down_random": "ee_keyframe", "idle": "ee_delta"}


def _builtin() -> dict[str, Callable[[gym.Env], Policy]]:
    from colosseum_lite.policies.oracle import OraclePolicy
    from colosseum_lite.policies.random_policy import IdlePolicy, RandomPolicy, TopDownRandomPolicy

    return {"oracle": OraclePolicy, "random": RandomPolicy, "top_down_random": TopDownRandomPolicy,
            "idle": IdlePolicy}


def resolve_factory(spec: str, device: str = "cpu") -> Callable[[gym.Env], Policy]:
    """The factory a spec names, imported but not called (checks a spec before any work).

    Importing a module or file spec runs its top-level code.

    Args:
        spec: one of :data:`SPEC_FORMS`.
        device: the torch device a model spec runs on (``"cpu"``, ``"cuda"``, ``"cuda:1"``...);
            built-in policies and factory specs take only the env and ignore it.

    Raises:
        ValueError: the spec has no valid form; its module or file is missing or fails to import
            (syntax error, an exception or ``sys.exit`` at import); its factory is missing or not
            callable; or it names a torch model that is missing or needs PyTorch.
    """
    if not isinstance(spec, str):
        raise ValueError(f"a policy spec is a string, got {type(spec).__name__} {spec!r}; expected {SPEC_FORMS}")
    if not isinstance(device, str) or not device:
        raise ValueError(f"device is a torch device string such as 'cpu' or 'cuda', got {device!r}")
    _check_characters(spec)
    if spec in BUILTIN_POLICIES:
        return _builtin()[spec]
    if spec.startswith(SB3_PREFIX):
        return _sb3_factory(spec, spec[len(SB3_PREFIX):], device)
    from colosseum_lite.policies.torch_policy import is_model_file

    if spec.startswith(PICKLE_PREFIX):
        path = spec[len(PICKLE_PREFIX):]
        if not is_model_file(path):
            raise ValueError(f"policy {spec!r}: the {PICKLE_PREFIX!r} prefix takes a torch model file "
                             f"(.pt, .pth, .ts), e.g. 'pickle:path/to/model.pt'")
        return _model_factory(spec, path, trust_pickle=True, device=device)
    if is_model_file(spec):
        return _model_factory(spec, spec, trust_pickle=False, device=device)
    if ":" not in spec:
        if spec.endswith(".py"):
            raise ValueError(f"policy {spec!r} names a file but no factory: write '{spec}:make' with the "
                             "name of the function or class that takes the env")
        raise ValueError(f"unknown policy {spec!r}; expected {SPEC_FORMS}")
    target, _, attr = spec.rpartition(":")
    if not target:
        raise ValueError(f"policy {spec!r} has no module or file before ':'; expected "
                         "'package.module:factory' or 'path/to/file.py:factory'")
    if not attr.isidentifier():
        what = "no factory name" if not attr else f"factory name {attr!r}, which is not a Python identifier"
        raise ValueError(f"policy {spec!r} has {what} after the last ':'; expected 'package.module:factory' "
                         "or 'path/to/file.py:factory'")
    module = _import_file(spec, target) if target.endswith(".py") else _import_module(spec, target)
    return _factory(spec, module, target, attr)


def load_policy(spec: str, env: gym.Env, device: str = "cpu") -> Policy:
    """Build a policy for ``env`` from ``spec``: resolve the factory, call it with the env, check it.

    This is the whole check a spec can get: ``resolve_factory`` alone cannot tell that, say,
    ``json:loads`` imports fine but is no factory. A caller that fans out work (the runner) calls
    this once on a probe env before any work, so that a bad spec fails once, up front.

    Args:
        spec: one of :data:`SPEC_FORMS`.
        env: the env the policy acts in.
        device: the torch device a model spec runs on (see ``resolve_factory``).

    Raises:
        ValueError: for any bad spec (see ``resolve_factory``); when the factory raises (its own
            ``ValueError`` keeps its message, prefixed with the spec; any other exception, or
            ``sys.exit``, is reported with its type and the factory contract); or when the factory
            returns an object without callable ``reset(seed, info=None)`` and ``act(obs)``.
    """
    factory = resolve_factory(spec, device=device)
    name = _factory_name(factory)
    try:
        policy = factory(env)
    except ValueError as exc:  # the factory's own verdict on this env, already user-facing
        raise ValueError(f"policy {spec!r}: {exc}") from exc
    except (Exception, SystemExit) as exc:
        raise ValueError(f"policy {spec!r}: calling {name}(env) raised {_exc_text(exc)}; "
                         f"{FACTORY_CONTRACT}") from exc
    _check_policy_object(spec, name, policy)
    return policy


def check_policy(spec: str, env: gym.Env, device: str = "cpu") -> None:
    """Fail now, with a ``ValueError``, if ``spec`` cannot build a policy for ``env``.

    The same check as ``load_policy`` (one implementation), for callers that want only the
    verdict, e.g. on a probe env in the driver before workers start.

    Raises:
        ValueError: as ``load_policy``.
    """
    load_policy(spec, env, device=device)


def _check_characters(spec: str) -> None:
    """Reject empty specs, surrounding whitespace and control characters (NUL, newline, tab)."""
    if not spec:
        raise ValueError(f"the policy spec {spec!r} is empty; expected {SPEC_FORMS}")
    if spec != spec.strip():
        raise ValueError(f"policy {spec!r} starts or ends with whitespace; remove it ({spec.strip()!r})")
    bad = sorted({c for c in spec if not c.isprintable()})
    if bad:
        raise ValueError(f"policy {spec!r} contains control characters {bad}; expected {SPEC_FORMS}")


def _require_file(path: Path, name: str, kind: str, spec: str = "") -> None:
    """Raise ValueError unless ``path`` is a file; a path no file system takes is said so too."""
    try:
        if path.is_file():
            return
        what = f"is a directory, not {kind}" if path.is_dir() else "does not exist"
    except OSError as exc:
        what = f"cannot be used ({exc.strerror or exc})"
    raise ValueError(f"{name} {what}{spec}")


def _model_factory(spec: str, path: str, trust_pickle: bool, device: str) -> Callable[[gym.Env], Policy]:
    """A ``TorchPolicy`` factory for an existing model file, once PyTorch is known to import."""
    from colosseum_lite.policies.torch_policy import TorchPolicy, require_torch

    _require_file(Path(path), f"policy {spec!r}: model file {path!r}", "a model file")
    require_torch()
    return functools.partial(TorchPolicy, path=path, trust_pickle=trust_pickle, device=device)


def _sb3_factory(spec: str, path: str, device: str) -> Callable[[gym.Env], Policy]:
    """An ``SB3Policy`` factory for an existing checkpoint of a supported algorithm, SB3 installed."""
    from colosseum_lite.policies.sb3_policy import SB3Policy, read_algorithm, require_sb3

    if not path:
        raise ValueError(f"policy {spec!r} names no checkpoint; expected 'sb3:path/to/model.zip'")
    file = Path(path)
    if not path.endswith(".zip") and not file.exists() and Path(path + ".zip").is_file():
        raise ValueError(f"policy {spec!r}: {path!r} does not exist, but {path + '.zip'!r} does; "
                         f"write 'sb3:{path}.zip'")
    _require_file(file, f"policy {spec!r}: SB3 checkpoint {path!r}", "a model.zip file")
    try:
        read_algorithm(file)
    except ValueError as exc:
        raise ValueError(f"policy {spec!r}: {exc}") from None
    require_sb3()
    return functools.partial(SB3Policy, path=path, device=device)


def policy_file(spec: str) -> Path | None:
    """The file whose bytes a spec loads (a model, a checkpoint or a ``.py``), or None for a module or built-in.

    For a digest of what was evaluated: a new checkpoint at the same path is another policy.
    """
    for prefix in (PICKLE_PREFIX, SB3_PREFIX):
        if spec.startswith(prefix):
            return Path(spec[len(prefix):])
    if spec in BUILTIN_POLICIES:
        return None
    from colosseum_lite.policies.torch_policy import is_model_file

    if is_model_file(spec):
        return Path(spec)
    target = spec.rpartition(":")[0]
    return Path(target) if target.endswith(".py") else None


def _import_module(spec: str, target: str) -> ModuleType:
    """Import ``package.module``; every failure becomes a ``ValueError`` naming the spec."""
    if target.startswith("."):
        raise ValueError(f"policy {spec!r}: relative module {target!r} is not supported; give the absolute "
                         "'package.module' (or a 'path/to/file.py')")
    if not all(part.isidentifier() for part in target.split(".")):
        raise ValueError(f"policy {spec!r}: {target!r} is neither a dotted module name nor a .py file; "
                         "expected 'package.module:factory' or 'path/to/file.py:factory'")
    try:
        return importlib.import_module(target)
    except ImportError as exc:
        raise ValueError(f"cannot import module {target!r} for policy {spec!r}: {exc}; check the name and that "
                         "it is installed or on sys.path") from exc
    except (Exception, SystemExit) as exc:
        raise ValueError(f"policy {spec!r}: importing module {target!r} raised {_where(exc, None)}"
                         f"{_exc_text(exc)}; fix the module") from exc


def _import_file(spec: str, target: str) -> ModuleType:
    """Import a ``.py`` file once per process; a failed import leaves nothing in ``sys.modules``."""
    path = Path(target)
    _require_file(path, f"policy file {target!r}", "a .py file", f" (policy spec {spec!r})")
    resolved = path.resolve()
    mod_name = "colosseum_lite_user_policy_" + hashlib.sha1(str(resolved).encode()).hexdigest()[:16]
    module = sys.modules.get(mod_name)
    if module is not None:
        return module
    loader_spec = importlib.util.spec_from_file_location(mod_name, resolved)
    if loader_spec is None or loader_spec.loader is None:
        raise ValueError(f"policy file {target!r} cannot be imported as Python (policy spec {spec!r})")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = module  # as the import system does, so the file can refer to itself
    try:
        loader_spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(mod_name, None)
        raise ValueError(f"policy {spec!r}: importing {target} raised {_where(exc, resolved)}"
                         f"{_exc_text(exc)}; fix the file") from exc
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module


def _factory(spec: str, module: ModuleType, target: str, attr: str) -> Callable[[gym.Env], Policy]:
    """The callable ``attr`` of an imported module."""
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{target!r} has no callable {attr!r} (policy spec {spec!r}); define "
                         f"{attr}(env) there or name another factory") from None
    except (Exception, SystemExit) as exc:
        raise ValueError(f"policy {spec!r}: reading {attr!r} from {target!r} raised {_exc_text(exc)}") from exc
    if not callable(factory):
        raise ValueError(f"{target!r} has no callable {attr!r} (policy spec {spec!r}): it is "
                         f"{_describe(factory)}; {FACTORY_CONTRACT}")
    return factory


def _check_policy_object(spec: str, name: str, policy: Any) -> None:
    """Raise unless ``policy`` is an instance with callable ``reset`` and ``act``."""
    if isinstance(policy, type):
        raise ValueError(f"policy {spec!r}: {name}(env) returned the class {policy.__name__} itself, not an "
                         f"instance; {FACTORY_CONTRACT}")
    missing = []
    for method, signature in (("reset", "reset(seed, info=None)"), ("act", "act(obs)")):
        try:
            ok = callable(getattr(policy, method))
        except Exception:  # noqa: BLE001 - a raising attribute is as good as a missing one
            ok = False
        if not ok:
            missing.append(signature)
    if missing:
        raise ValueError(f"policy {spec!r}: {name}(env) returned {_describe(policy)}, which lacks callable "
                         f"{' and '.join(missing)}; {FACTORY_CONTRACT}")


def _factory_name(factory: Callable[..., Any]) -> str:
    """A short name for messages: the function or class, or what a partial wraps."""
    while isinstance(factory, functools.partial):
        factory = factory.func
    return getattr(factory, "__qualname__", None) or getattr(factory, "__name__", None) or type(factory).__name__


def _describe(obj: Any) -> str:
    """``None`` or ``a <type>``, without calling the object's own ``repr``."""
    return "None" if obj is None else f"a {type(obj).__name__}"


def _exc_text(exc: BaseException) -> str:
    """``Type: message`` of an exception; ``sys.exit(code)`` reads as ``SystemExit(code)``."""
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}) (a sys.exit call)"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def _where(exc: BaseException, path: Path | None) -> str:
    """``at FILE line N: `` for an exception: the syntax error's place, or the deepest frame in ``path``."""
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return f"at {exc.filename} line {exc.lineno}: "
    frames: list[traceback.FrameSummary] = traceback.extract_tb(exc.__traceback__)
    if path is not None:
        frames = [f for f in frames if Path(f.filename) == path] or frames
    return f"at {frames[-1].filename} line {frames[-1].lineno}: " if frames else ""
