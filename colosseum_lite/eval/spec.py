"""The sweep's arguments, declared once: each with its default, its check and its help text.

:class:`SweepSpec` is what ``evaluate``, ``colosseum-lite eval`` and a sweep file's tables all
become. Each field says how the command line spells it (:class:`Flag`) and where it sits in a
sweep file (:class:`Key`); building a spec checks every field, raising a ValueError that names the
field and the fix. The checks that need more than the arguments (importing the policy, making the
envs, reading the store) run later, in :func:`colosseum_lite.eval.runner.prepare_sweep`.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields
from enum import Enum, auto, unique
from os import PathLike
from typing import Any, ParamSpec, TypeVar

import numpy as np

from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION
from colosseum_lite.policies.loading import BUILTIN_CONTROL_MODES, SPEC_FORMS
from colosseum_lite.registration import ControlMode, ObsMode, _choice
from colosseum_lite.seeding import MAX_SEED
from colosseum_lite.tasks import TASKS

MAX_EPISODES = 10_000  # per (task, set): the protocol uses 25; more is a typo, not a sweep
MAX_WORKERS = 1_000_000
MAX_BATCH_SIZE = 256
MAX_RUN_NAME = 200
MAX_EPISODE_TIMEOUT_S = 7 * 24 * 3600.0
DEFAULT_EPISODE_TIMEOUT_S = 600.0
# The protocol's observation: rgb images at make's default size (128 px). State observations
# cannot see the visual axes: their sets are reported "not observed" (metrics.observes).
DEFAULT_OBS_MODE = ObsMode.RGB.value
# Tests tune and check the oracle on seeds 0-49; evaluations start at 1000, on held-out seeds.
DEFAULT_SEED = 1000
RESERVED_ENV_KWARGS = ("task", "obs_mode", "control_mode", "perturbations")  # the sweep's own settings


@unique
class Backend(Enum):
    """Where a sweep's episodes run."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[Any]) -> str:
        return name.lower()

    LOCAL = auto()  # worker processes on this machine
    RAY = auto()  # Ray actors on a cluster (``address``)


# ------------------------------------------------------------------------------ how a field is spelt
Check = tuple[str, Callable[[Any], bool]]  # a sweep-file key's type: (what it takes, in words; the test)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


STRING: Check = ("a string", lambda v: isinstance(v, str))
NAME: Check = ("a non-empty string", lambda v: isinstance(v, str) and bool(v.strip()))
NAMES: Check = ("a string or an array of strings", lambda v: isinstance(v, str) or _strings(v))
INTEGER: Check = ("an integer", _integer)
NUMBER: Check = ("a number", _number)
BOOLEAN: Check = ("true or false", lambda v: isinstance(v, bool))
STRING_LIST: Check = ("an array of strings", _strings)
TABLE: Check = ("a table", lambda v: isinstance(v, dict))
AXIS_TABLES: Check = ("a table of axis tables",
                      lambda v: isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()))
POSITIVE: Check = ("an integer >= 1", lambda v: _integer(v) and v >= 1)


@unique
class Scope(Enum):
    """Where a key sits in a sweep file."""

    TOP = auto()  # the file's top level: one value for every run
    RUN = auto()  # a [[runs]] table or [defaults]


@dataclass(frozen=True, slots=True)
class Flag:
    """How ``colosseum-lite eval`` spells a field.

    ``repeat`` flags (``--override``, ``--env-kwarg``) collect ``KEY=VALUE`` texts that
    :mod:`colosseum_lite.cli_flags` turns into the field's value; ``default`` is the command's
    own default where the field has none (``--policy oracle``).
    """

    name: str
    type: Callable[[str], Any] = str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    repeat: bool = False
    default: str | None = None  # only for a field without a default of its own


@dataclass(frozen=True, slots=True)
class Key:
    """A field's key in a sweep file: its name, where it sits and the TOML type it takes."""

    check: Check
    scope: Scope = Scope.RUN
    name: str | None = None  # the field's own name unless given


def _option(default: Any, help: str, flag: Flag, key: Key) -> Any:  # noqa: A002  (argparse's word)
    """A spec field: its default, help text, command-line flag and sweep-file key."""
    metadata = {"help": help, "flag": flag, "key": key}
    if default is MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


def integer_in(value: Any, what: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]`` (not a bool), or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer in [{low}, {high}], got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{what} must be in [{low}, {high}], got {value}")
    return int(value)


def checked_run_name(run: Any) -> str:
    """``run`` if it is a usable run name: non-empty, UTF-8, printable, at most ``MAX_RUN_NAME`` long."""
    if not isinstance(run, str) or not run.strip():
        raise ValueError(f"the run name must be a non-empty string, got {run!r}")
    try:
        run.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"the run name {run!r} is not valid UTF-8; pass --run with a plain name") from None
    if len(run) > MAX_RUN_NAME or any(ord(c) < 32 or ord(c) == 127 for c in run):
        raise ValueError(f"the run name must be at most {MAX_RUN_NAME} printable characters, got {run[:40]!r}"
                         f"{'...' if len(run) > 40 else ''} ({len(run)} characters)")
    return run


def checked_timeout(value: Any) -> float | None:
    """An episode timeout in seconds (None: no limit), checked to be in (0, ``MAX_EPISODE_TIMEOUT_S``]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or not 0 < value <= MAX_EPISODE_TIMEOUT_S:
        raise ValueError(f"episode_timeout must be a number of seconds in (0, {MAX_EPISODE_TIMEOUT_S:.0f}], "
                         f"got {value!r}")
    return float(value)


def json_data(value: Any, what: str) -> Any:
    """``value`` as JSON data (tuples become lists), so stored and new configurations compare."""
    try:
        return json.loads(json.dumps(value, sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be plain data (numbers, strings, lists, tables): {exc}") from None


def _names(value: Any, valid: Iterable[str], what: str) -> tuple[str, ...]:
    """``"all"``, a comma-separated string or a list of names, validated against ``valid``; a name
    given twice counts once. ``"all"`` stays ``("all",)``: :meth:`SweepSpec.task_names` expands it."""
    valid = list(valid)
    if isinstance(value, str):
        names = [v.strip() for v in value.split(",")]
    elif isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        names = [v.strip() for v in value]
    else:
        raise ValueError(f"{what} must be 'all', a comma-separated string or a list of names, got {value!r}")
    names = list(dict.fromkeys(n for n in names if n))
    if names == [ALL]:
        return (ALL,)
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        raise ValueError(f"unknown {what} {unknown or names}; expected 'all' or some of {valid}")
    return tuple(names)


def _table(value: Any, what: str, must: str) -> dict[str, Any]:
    """``value`` (None: empty) as JSON data, if it is a mapping."""
    if value is not None and not isinstance(value, Mapping):
        raise ValueError(f"{what} {must}, got {type(value).__name__}")
    return json_data(dict(value or {}), what)


SET_NAMES = (NO_PERTURBATION, *AXES, ALL)


# ------------------------------------------------------------------------------ the spec
@dataclass(frozen=True, slots=True)
class SweepSpec:
    """Every argument of a sweep, checked when built; see :func:`colosseum_lite.evaluate` for each.

    Built from user input, a spec holds the canonical forms: ``tasks`` and ``sets`` as tuples of
    names (``("all",)`` for all), ``backend`` a :class:`Backend`, modes their string values,
    ``overrides`` and ``env_kwargs`` plain JSON data, ``db`` a string, numbers plain ints and floats.

    Raises:
        ValueError: a bad name, range, type, mode or backend, naming the field and the fix.
    """

    policy: str = _option(MISSING, f"policy spec: {SPEC_FORMS}", Flag("--policy", default="oracle"), Key(NAME))
    tasks: str | Sequence[str] = _option(
        ALL, "'all' or comma-separated task names (see list)", Flag("--tasks"), Key(NAMES))
    sets: str | Sequence[str] = _option(
        ALL, "'all' (no_perturbation, every axis alone, all axes at once) or comma-separated set names; "
        "no_perturbation always runs, as every set's paired twin", Flag("--sets"), Key(NAMES))
    episodes: int = _option(25, "episodes per task and set", Flag("--episodes", int), Key(INTEGER))
    seed: int = _option(DEFAULT_SEED, "seed of the first episode, paired across sets (seeds 0-49 are the "
                        "oracle's test seeds)", Flag("--seed", int), Key(INTEGER))
    workers: int | None = _option(None, "local worker processes (default: one per core)", Flag("--workers", int),
                                  Key(POSITIVE, Scope.TOP))
    backend: Backend | str = _option(Backend.LOCAL, "where episodes run",
                                     Flag("--backend", choices=tuple(b.value for b in Backend)),
                                     Key(STRING, Scope.TOP))
    db: str | PathLike[str] = _option("results.sqlite", "SQLite results file (a rerun resumes its run)",
                                      Flag("--db"), Key(NAME, Scope.TOP))
    run: str | None = _option(None, "run name; reuse it to resume (default: the policy spec)", Flag("--run"),
                              Key(NAME, name="name"))
    obs_mode: str = _option(DEFAULT_OBS_MODE, "observations the policy gets (rgb is the protocol's; state cannot "
                            "see the visual axes, whose sets then show as not observed)",
                            Flag("--obs-mode", choices=tuple(m.value for m in ObsMode)), Key(STRING))
    control_mode: str = _option(ControlMode.EE_KEYFRAME.value, "actions: ee_keyframe (a target pose per step, "
                                "the protocol) or ee_delta (end-effector deltas at 20 Hz)",
                                Flag("--control-mode", choices=tuple(m.value for m in ControlMode)), Key(STRING))
    overrides: Mapping[str, Mapping[str, Any]] | None = _option(
        None, "an axis setting, e.g. mo_size.range=[0.8,1.2] or light_color.severity=0.5; VALUE is read as "
        "JSON, otherwise as text; repeatable (default: none, the axes' ranges)",
        Flag("--override", metavar="AXIS.FIELD=VALUE", repeat=True), Key(AXIS_TABLES))
    address: str | None = _option(None, "Ray cluster address (default: start a local one)", Flag("--address"),
                                  Key(STRING, Scope.TOP))
    env_kwargs: Mapping[str, Any] | None = _option(
        None, "another gym.make keyword, e.g. variant=top or reward_mode=dense; VALUE is read as JSON "
        "(numbers, [lists], true) and otherwise as text; repeatable (default: none)",
        Flag("--env-kwarg", metavar="KEY=VALUE", repeat=True), Key(TABLE))
    episode_timeout: float | None = _option(
        DEFAULT_EPISODE_TIMEOUT_S, "seconds one episode may take before its worker is stopped and the episode "
        "recorded as a timeout (retried on resume)", Flag("--episode-timeout", float, "SECONDS"), Key(NUMBER))
    keep_going: bool = _option(False, "run every episode even when the first ones all fail with the same policy "
                               "error (default: off, the sweep stops early and says why)", Flag("--keep-going"),
                               Key(BOOLEAN))
    device: str = _option("cpu", "torch device of a model policy, e.g. cuda or cuda:1", Flag("--device"),
                          Key(NAME))
    batch_size: int = _option(1, "episodes a worker steps in lockstep for a policy that acts on batches",
                              Flag("--batch-size", int, "N"), Key(INTEGER))

    def __post_init__(self) -> None:
        put = functools.partial(object.__setattr__, self)
        if not isinstance(self.policy, str) or not self.policy:
            raise ValueError(f"policy must be a spec string ({SPEC_FORMS}), got {self.policy!r}")
        put("tasks", _names(self.tasks, sorted(TASKS), "task(s)"))
        put("sets", _names(self.sets, SET_NAMES, "set(s)"))
        put("episodes", integer_in(self.episodes, "episodes", 1, MAX_EPISODES))
        put("seed", integer_in(self.seed, "seed", 0, MAX_SEED - self.episodes))
        if self.workers is not None:
            put("workers", integer_in(self.workers, "workers", 1, MAX_WORKERS))
        if not isinstance(self.backend, Backend):
            valid = [b.value for b in Backend]
            if self.backend not in valid:
                raise ValueError(f"unknown backend {self.backend!r}; expected {' or '.join(map(repr, valid))}")
            put("backend", Backend(self.backend))
        if not isinstance(self.db, (str, PathLike)):
            raise ValueError(f"db must be the path of an SQLite results file, got {self.db!r}")
        put("db", os.fspath(self.db))
        if self.address is not None and not isinstance(self.address, str):
            raise ValueError(f"address must be a Ray cluster address string, got {self.address!r}")
        put("episode_timeout", checked_timeout(self.episode_timeout))
        put("batch_size", integer_in(self.batch_size, "batch_size", 1, MAX_BATCH_SIZE))
        if not isinstance(self.keep_going, bool):
            raise ValueError(f"keep_going must be True or False, got {self.keep_going!r}")
        if not isinstance(self.device, str) or not self.device.strip():
            raise ValueError(f"device must be a torch device string such as 'cpu' or 'cuda', got {self.device!r}")
        put("obs_mode", _choice(ObsMode, self.obs_mode, "obs_mode").value)
        put("control_mode", _choice(ControlMode, self.control_mode, "control_mode").value)
        checked_run_name(self.run_name)
        needs, policy = BUILTIN_CONTROL_MODES.get(self.policy), self.policy
        if needs is not None and self.control_mode != needs:
            what = "the oracle plays keyframes" if policy == "oracle" else f"policy {policy!r} needs {needs}"
            raise ValueError(f"{what}: use control_mode={needs!r}")
        overrides = _table(self.overrides, "overrides", "must map axis names to settings")
        unknown = sorted(set(overrides) - set(AXES))
        if unknown:
            raise ValueError(f"overrides for unknown axis {unknown}; expected some of {list(AXES)}")
        put("overrides", overrides)
        env_kwargs = _table(self.env_kwargs, "env_kwargs", "must be a table of gym.make arguments")
        reserved = sorted(set(env_kwargs) & set(RESERVED_ENV_KWARGS))
        if reserved:
            raise ValueError(f"env_kwargs may not set {reserved}: they are the sweep's own settings "
                             "(obs_mode, control_mode, sets and overrides)")
        put("env_kwargs", env_kwargs)

    @property
    def run_name(self) -> str:
        """The run's name: ``run``, or the policy spec when none was given."""
        return self.policy if self.run is None else self.run

    def task_names(self) -> list[str]:
        """The tasks, ``all`` expanded."""
        return sorted(TASKS) if self.tasks == (ALL,) else list(self.tasks)

    def set_names(self) -> list[str]:
        """The sets, ``all`` expanded to no_perturbation, every axis and all."""
        return list(SET_NAMES) if self.sets == (ALL,) else list(self.sets)

    @property
    def named_sets(self) -> bool:
        """Whether the sets were named (rather than ``all``): a named set must apply to some task."""
        return self.sets != (ALL,)


def spec_fields() -> tuple[Field, ...]:
    """The spec's fields, in order, each with its ``help``, ``flag`` and ``key`` metadata."""
    return fields(SweepSpec)


def spec_default(name: str) -> Any:
    """A field's default (``MISSING`` for ``policy``, which has none)."""
    return SweepSpec.__dataclass_fields__[name].default


P = ParamSpec("P")
R = TypeVar("R")


def spec_arguments(spec: Callable[P, SweepSpec]) -> Callable[[Callable[[SweepSpec], R]], Callable[P, R]]:
    """A function of a :class:`SweepSpec` that also takes the spec's own arguments, with its signature
    (for ``inspect.signature`` and type checkers alike)."""

    def wrap(build: Callable[[SweepSpec], R]) -> Callable[P, R]:
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return build(spec(*args, **kwargs))

        call.__name__, call.__qualname__, call.__module__ = build.__name__, build.__qualname__, build.__module__
        call.__doc__ = build.__doc__
        call.__signature__ = inspect.signature(spec).replace(  # type: ignore[attr-defined]
            return_annotation=inspect.signature(build).return_annotation)
        return call

    return wrap


__all__ = ["Backend", "Flag", "Key", "Scope", "SweepSpec", "spec_arguments", "spec_default", "spec_fields"]
