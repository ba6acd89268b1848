"""What the flags of ``colosseum-lite eval`` mean: KEY=VALUE values, the gym.make keywords and
axis overrides they become, and the runner options passed on where the runner takes them.

Only the command line's own forms are checked here (``KEY=VALUE``, a key given twice, a flag and
an ``--env-kwarg`` setting the same keyword); names and values are checked once, by
``registration.make_config`` and ``runner.prepare``, when the sweep is prepared.
"""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any

from colosseum_lite.registration import MakeConfig, check_integer


class UsageError(Exception):
    """Bad command-line input; the message names the fix."""


DEFAULT_CAMERAS: tuple[str, ...] = MakeConfig.__dataclass_fields__["cameras"].default
DEFAULT_IMAGE_SIZE: int = MakeConfig.__dataclass_fields__["image_size"].default
# Runner options the CLI passes on (flag, prepare's parameter, its default); see runner_options.
RUNNER_OPTIONS = (("--keep-going", "keep_going", False), ("--device", "device", "cpu"),
                  ("--batch-size", "batch_size", 1))


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
    kwargs = parse_env_kwargs(args.env_kwarg)
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


def runner_options(args: argparse.Namespace, prepare: Callable[..., Any]) -> dict[str, Any]:
    """--keep-going, --device and --batch-size for ``prepare``, where it takes them."""
    params = inspect.signature(prepare).parameters
    out = {}
    for flag, name, default in RUNNER_OPTIONS:
        value = getattr(args, name)
        if name in params:
            out[name] = value
        elif value != default:
            raise UsageError(f"{flag} is not supported by this colosseum-lite's runner; drop it or upgrade")
    return out


def check_video_episodes(args: argparse.Namespace) -> None:
    """--video-episodes: an integer from 1 to --episodes, and only with --video."""
    try:
        check_integer(args.video_episodes, "--video-episodes", 1, max(1, args.episodes))
    except ValueError as exc:
        raise UsageError(f"{exc} (at most --episodes, {args.episodes})") from None
    if args.video is None and args.video_episodes != 1:
        raise UsageError("--video-episodes needs --video DIR, the folder to write the videos into")
