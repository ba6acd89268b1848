"""The ``colosseum-lite`` command: list tasks, evaluate a policy, record videos.

Bad input (unknown task, policy, variant) fails before any simulation starts, with exit code 2
and a message naming the valid choices.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
from tqdm import tqdm

from colosseum_lite import TASKS, env_id
from colosseum_lite.cameras import CAMERAS
from colosseum_lite.env import ControlMode, ObsMode
from colosseum_lite.eval.rollout import EpisodeResult, run_episode
from colosseum_lite.perturbations import AXES, applicable_axes
from colosseum_lite.policies.loading import SPEC_FORMS, load_policy, resolve_factory


class UsageError(Exception):
    """Bad command-line input; the message names the fix."""


def parse_tasks(text: str) -> list[str]:
    """``all`` or a comma-separated list of task names, validated."""
    if text.strip() == "all":
        return sorted(TASKS)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in TASKS]
    if unknown or not names:
        raise UsageError(f"unknown task(s) {unknown or [text]}; expected 'all' or a comma-separated "
                         f"list of {sorted(TASKS)}")
    return names


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def cmd_list(args: argparse.Namespace) -> int:
    """Print tasks with their ids, variants and instructions."""
    rows, axes = [], []
    for name in sorted(TASKS):
        task = TASKS[name]()
        rows.append([name, env_id(name), ",".join(task.variants), str(task.max_episode_steps),
                     task.instruction(task.variants[0])])
        axes.append([name, " ".join(applicable_axes(TASKS[name]))])
    print(_table(rows, ["task", "gymnasium id", "variants", "max steps", "instruction"]))
    print()
    print(_table(axes, ["task", "applicable perturbation axes"]))
    print(f"\naxes: {', '.join(AXES)}")
    print(f"\ncameras: {', '.join(CAMERAS)}")
    print(f"obs modes: {', '.join(m.value for m in ObsMode)}; "
          f"control modes: {', '.join(m.value for m in ControlMode)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a policy on tasks, unperturbed, and print success per task."""
    tasks = parse_tasks(args.tasks)
    try:
        resolve_factory(args.policy)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.policy == "oracle" and args.control_mode != ControlMode.EE_KEYFRAME.value:
        raise UsageError("the oracle plays keyframes: use --control-mode ee_keyframe")
    if args.episodes < 1:
        raise UsageError(f"--episodes must be at least 1, got {args.episodes}")
    if args.video is not None:
        try:
            Path(args.video).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create video directory {args.video}: {exc}") from None

    results: dict[str, list[EpisodeResult]] = {t: [] for t in tasks}
    total = len(tasks) * args.episodes
    done_ok = 0
    with tqdm(total=total, desc="eval", unit="ep", disable=args.quiet) as bar:
        for name in tasks:
            env = gym.make(env_id(name), obs_mode=args.obs_mode, control_mode=args.control_mode)
            policy = load_policy(args.policy, env)
            for i in range(args.episodes):
                seed = args.seed + i
                if args.video is not None and i == 0:
                    res = _recorded_episode(env, policy, seed, Path(args.video) / f"{name}_seed{seed}.mp4")
                else:
                    res = run_episode(env, policy, seed)
                results[name].append(res)
                done_ok += res.success
                bar.set_postfix_str(f"{name} success so far {done_ok}/{bar.n + 1}")
                bar.update()
            env.close()

    rows = []
    for name, res in results.items():
        n, ok = len(res), sum(r.success for r in res)
        rows.append([name, str(n), str(ok), f"{ok / n:.0%}", f"{sum(r.steps for r in res) / n:.1f}",
                     f"{sum(r.wall_s for r in res) / n:.2f}"])
    print(_table(rows, ["task", "episodes", "successes", "success", "mean steps", "s/episode"]))
    return 0


def _recorded_episode(env: gym.Env, policy, seed: int, path: Path) -> EpisodeResult:
    from colosseum_lite.video import VideoRecorder

    env.reset(seed=seed)  # the recorder needs a live scene to attach to
    with VideoRecorder(env.unwrapped) as rec:
        res = run_episode(env, policy, seed)
    rec.save(path)
    print(f"video: {path}", file=sys.stderr)
    return res


def cmd_gallery(args: argparse.Namespace) -> int:
    """Render a labelled grid of a task under each applicable axis."""
    from colosseum_lite.gallery import save_gallery

    (task,) = parse_tasks(args.task)
    if args.camera not in CAMERAS:
        raise UsageError(f"unknown camera {args.camera!r}; expected one of {list(CAMERAS)}")
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UsageError(f"--out must end in .png or .jpg, got {args.out}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out.parent}: {exc}") from None
    print(save_gallery(task, out, seed=args.seed, camera=args.camera, size=args.size))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="colosseum-lite", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list tasks, variants, ids, cameras and modes")
    p_list.set_defaults(func=cmd_list)

    p_eval = sub.add_parser("eval", help="evaluate a policy on tasks")
    p_eval.add_argument("--policy", default="oracle", help=f"policy spec: {SPEC_FORMS}")
    p_eval.add_argument("--tasks", default="all", help="'all' or comma-separated task names")
    p_eval.add_argument("--episodes", type=int, default=10, help="episodes per task")
    p_eval.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    p_eval.add_argument("--obs-mode", default="state", choices=[m.value for m in ObsMode])
    p_eval.add_argument("--control-mode", default=ControlMode.EE_KEYFRAME.value,
                        choices=[m.value for m in ControlMode])
    p_eval.add_argument("--video", metavar="DIR", default=None,
                        help="write an mp4 of each task's first episode (front camera) into DIR")
    p_eval.add_argument("--quiet", action="store_true", help="no progress bar")
    p_eval.set_defaults(func=cmd_eval)

    p_gal = sub.add_parser("gallery", help="render a task under each perturbation axis into one image")
    p_gal.add_argument("task", help="task name")
    p_gal.add_argument("--out", required=True, help="output image (.png or .jpg)")
    p_gal.add_argument("--seed", type=int, default=0)
    p_gal.add_argument("--camera", default="front")
    p_gal.add_argument("--size", type=int, default=224, help="tile side in pixels")
    p_gal.set_defaults(func=cmd_gallery)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``colosseum-lite`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"colosseum-lite: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
