"""What the flags of ``colosseum-lite eval`` mean: one flag per :class:`SweepSpec` field, read
back into a spec; KEY=VALUE values, and the gym.make keywords and axis overrides they become.

Only the command line's own forms are checked here (``KEY=VALUE``, a key given twice, a flag and
an ``--env-kwarg`` setting the same keyword); names and values are checked once, by
:class:`SweepSpec`, ``registration.make_config`` and ``runner.prepare_sweep``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import MISSING
from enum import Enum
from typing import Any, cast

from colosseum_lite.eval.spec import Flag, SweepSpec, spec_fields
from colosseum_lite.registration import MakeConfig, check_integer


class UsageError(Exception):
    """Bad command-line input; the message names the fix."""


DEFAULT_CAMERAS = cast("tuple[str, ...]", MakeConfig.__dataclass_fields__["cameras"].default)
DEFAULT_IMAGE_SIZE = cast(int, MakeConfig.__dataclass_fields__["image_size"].default)


def json_value(text: str) -> Any:
    """A flag's VALUE: JSON when it parses (numbers, lists, true/false, null), the text otherwise."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _assignment(text: str, flag: str, example: str) -> tuple[str, Any]:
    """``KEY=VALUE`` split, the value parsed by :func:`json_value`."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"{flag} takes KEY=VALUE, got {text!r}; e.g. {flag} {example}")
    return key.strip(), json_value(value)


def parse_env_kwargs(items: Sequence[str]) -> dict[str, Any]:
    """``--env-kwarg KEY=VALUE`` flags as gym.make keywords (prepare checks the names and values)."""
    out: dict[str, Any] = {}
    for item in items:
        key, value = _assignment(item, "--env-kwarg", "variant=top")
        if key in out:
            raise UsageError(f"--env-kwarg {key} is given twice; pass each gym.make keyword once")
        out[key] = value
    return out


def parse_overrides(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--override AXIS.FIELD=VALUE`` flags as evaluate()'s overrides (prepare checks axes and fields)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        target, value = _assignment(item, "--override", "mo_size.range=[0.8,1.2]")
        axis, dot, field = target.partition(".")
        if not dot or not axis or not field:
            raise UsageError(f"--override takes AXIS.FIELD=VALUE, got {item!r}; e.g. --override "
                             "mo_size.range=[0.8,1.2] or --override light_color.severity=0.5")
        if field in out.get(axis, {}):
            raise UsageError(f"--override {axis}.{field} is given twice; pass each setting once")
        out.setdefault(axis, {})[field] = value
    return out


def env_kwargs_of(args: argparse.Namespace) -> dict[str, Any]:
    """The gym.make keywords of ``eval``'s flags: --env-kwarg, then --cameras, --image-size and
    --max-episode-steps (each only when given, so a default never makes a run differ)."""
    kwargs = parse_env_kwargs(args.env_kwargs)
    flags = {"cameras": ("--cameras", None if args.cameras is None else args.cameras.split(",")),
             "image_size": ("--image-size", args.image_size),
             "max_episode_steps": ("--max-episode-steps", args.max_episode_steps)}
    for key, (flag, value) in flags.items():
        if value is None:
            continue
        if key in kwargs:
            raise UsageError(f"{flag} and --env-kwarg {key}=... both set {key}; pass one of them")
        kwargs[key] = [c.strip() for c in value] if key == "cameras" else value
    return kwargs


# How the texts of a repeatable (Flag.repeat) flag become its field's value.
REPEATED: dict[str, Callable[[argparse.Namespace], Any]] = {
    "overrides": lambda args: parse_overrides(args.overrides),
    "env_kwargs": env_kwargs_of,
}


def cli_default(name: str) -> Any:
    """The default of a spec field's flag: the field's own (an enum's value), else the flag's."""
    field = SweepSpec.__dataclass_fields__[name]
    default = field.metadata["flag"].default if field.default is MISSING else field.default
    return default.value if isinstance(default, Enum) else default


def add_spec_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`SweepSpec` field, named, typed and explained by the field."""
    for field in spec_fields():
        flag: Flag = field.metadata["flag"]
        common = {"dest": field.name, "help": field.metadata["help"]}
        if flag.metavar is not None:
            common["metavar"] = flag.metavar
        default = cli_default(field.name)
        if flag.repeat:
            parser.add_argument(flag.name, action="append", default=[], **common)
        elif isinstance(default, bool):  # a switch, off by default
            parser.add_argument(flag.name, action="store_true", **common)
        else:
            parser.add_argument(flag.name, type=flag.type, default=default, choices=flag.choices, **common)


def spec_of(args: argparse.Namespace) -> SweepSpec:
    """The sweep the flags of ``eval`` ask for (checked as the spec is built).

    Raises:
        UsageError: a KEY=VALUE flag's own form is wrong.
        ValueError: the spec refuses a value, naming the field.
    """
    return SweepSpec(**{f.name: REPEATED[f.name](args) if f.name in REPEATED else getattr(args, f.name)
                        for f in spec_fields()})


def check_video_episodes(args: argparse.Namespace) -> None:
    """--video-episodes: an integer from 1 to --episodes, and only with --video."""
    try:
        check_integer(args.video_episodes, "--video-episodes", 1, max(1, args.episodes))
    except ValueError as exc:
        raise UsageError(f"{exc} (at most --episodes, {args.episodes})") from None
    if args.video is None and args.video_episodes != 1:
        raise UsageError("--video-episodes needs --video DIR, the folder to write the videos into")
