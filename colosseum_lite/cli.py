"""The colosseum-lite command: list tasks, evaluate a policy, write reports, record videos.

Bad input (unknown task, policy, variant, flag value, an unusable path) fails before anything is
simulated or created, with exit code 2 and one line naming the fix; Ctrl-C exits with 130 and
keeps every finished episode.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn, cast

import gymnasium as gym

from colosseum_lite import TASKS, __version__, env_id
from colosseum_lite.cameras import CAMERAS
from colosseum_lite.cli_flags import (
    DEFAULT_CAMERAS,
    DEFAULT_IMAGE_SIZE,
    UsageError,
    add_spec_flags,
    check_video_episodes,
    spec_of,
)
from colosseum_lite.env import ColosseumEnv, ControlMode, ObsMode
from colosseum_lite.eval.rollout import EpisodeResult, run_episode
from colosseum_lite.paths import check_creatable_dir, check_path_text
from colosseum_lite.perturbations import AXES, applicable_axes
from colosseum_lite.policies.loading import load_policy
from colosseum_lite.registration import step_limit

if TYPE_CHECKING:
    from colosseum_lite.eval.plan import SweepConfig
    from colosseum_lite.eval.runner import Sweep, SweepResult
    from colosseum_lite.eval.store import EpisodeRow

DESCRIPTION = ("colosseum-lite: list the tasks, evaluate a policy under perturbation sets, write reports "
               "and galleries")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a sweep whose finished episodes are in the store ``db``."""

    def __init__(self, db: str) -> None:
        super().__init__(db)
        self.db = db


def _say(text: str, file: IO[str] | None = None) -> None:
    """Print to stderr (or ``file``); a user's undecodable bytes never make printing fail."""
    file = sys.stderr if file is None else file
    encoding = getattr(file, "encoding", None) or "utf-8"
    if file is sys.stderr:
        text = " ".join(text.splitlines())  # a message is one line, whatever the user typed
    print(text.encode(encoding, "backslashreplace").decode(encoding, "replace"), file=file)


class _Parser(argparse.ArgumentParser):
    """argparse, printing its errors with :func:`_say` (argv may hold undecodable bytes)."""

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            _say(message.rstrip("\n"))
        sys.exit(status)


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, unless its help already says it in words (None, a switch)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default is argparse.SUPPRESS
        if "default" in text or unset or not action.option_strings:
            return text
        return super()._get_help_string(action) or text


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
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def cmd_list(args: argparse.Namespace) -> int:
    """Print tasks with their ids, step limits, variants and every variant's instruction."""
    rows, axes = [], []
    for name in sorted(TASKS):
        task = TASKS[name]()
        for i, variant in enumerate(task.variants):
            head = [name, env_id(name), str(step_limit(name, ControlMode.EE_KEYFRAME)),
                    str(step_limit(name, ControlMode.EE_DELTA))] if i == 0 else ["", "", "", ""]
            rows.append([*head, variant, task.instruction(variant)])
        axes.append([name, " ".join(applicable_axes(TASKS[name]))])
    print(_table(rows, ["task", "gymnasium id", "max_episode_steps (ee_keyframe)",
                       "max_delta_steps (ee_delta)", "variant", "instruction"]))
    print("\nstep limits: max_episode_steps is the ee_keyframe budget, counted in keyframes (one target pose "
          "per step, the reference's 25 per episode); max_delta_steps is the ee_delta limit, in 20 Hz control "
          "steps. eval --max-episode-steps N (gym.make(..., max_episode_steps=N)) replaces either.")
    print()
    print(_table(axes, ["task", "applicable perturbation axes"]))
    print(f"\naxes: {', '.join(AXES)}")
    print(f"\ncameras: {', '.join(CAMERAS)}")
    print(f"obs modes: {', '.join(m.value for m in ObsMode)}; "
          f"control modes: {', '.join(m.value for m in ControlMode)}")
    return 0


def _prepare(args: argparse.Namespace) -> Sweep:
    """``runner.prepare_sweep`` of the spec ``eval``'s flags make: all of its checks run before any work."""
    from colosseum_lite.eval.runner import prepare_sweep

    return prepare_sweep(spec_of(args))


def _make_out_dir(path: Path | None, what: str) -> None:
    """Create a directory :func:`~colosseum_lite.paths.check_creatable_dir` accepted."""
    if path is None:
        return
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {what} directory {path}: {exc.strerror or exc}; pass a writable path") \
            from None


def _execute(sweep: Sweep, quiet: bool) -> SweepResult:
    """Run a prepared sweep; Ctrl-C (or SIGTERM) says where the finished episodes are."""
    from colosseum_lite.eval.runner import execute

    try:
        return execute(sweep, progress=not quiet)
    except KeyboardInterrupt:
        raise Interrupted(sweep.db) from None


def _write_report(db: str, out: Path, run: str | None, compare: Sequence[str] | None,
                  frames: bool = True) -> Path:
    """``write_report``, with a full disk or an unwritable folder as a usage error."""
    from colosseum_lite.eval.report import write_report

    try:
        return write_report(db, out, run=run, compare=compare, frames=frames)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out} ({exc.strerror or exc}); free some space or "
                         "pass another report directory") from None


def summary_table(rows: list[EpisodeRow], obs_mode: str | None = None, run: str | None = None) -> str:
    """The summary ``eval`` prints: the report's tables, the same numbers and words, as plain text.

    Per (task, set) success with Wilson intervals, then per set the % change against
    no_perturbation with the report's bootstrap interval (``n/a`` where the unperturbed success is
    0), in the canonical set order; sets ``obs_mode`` cannot see say "not observed", with one line
    saying why. Timeouts and infrastructure errors are left out of the rates.
    """
    from colosseum_lite.eval.tables import summary_text

    return summary_text(rows, obs_mode, run if run is not None else rows[0].run if rows else "")


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a policy under perturbation sets, store every episode, print the summary."""
    video = None if args.video is None else check_creatable_dir(args.video, "video")
    report = None if args.report is None else check_creatable_dir(args.report, "report")
    check_video_episodes(args)
    sweep = _prepare(args)
    _make_out_dir(video, "video")
    _make_out_dir(report, "report")
    for note in sweep.notes:
        _say(f"colosseum-lite: note: {note}")
    result = _execute(sweep, args.quiet)
    _say(summary_table(result.rows, sweep.config.obs_mode, result.run), sys.stdout)
    _say(f"\n{len(result.rows)} episodes of run {result.run!r} in {result.db} ({result.ran} run now)", sys.stdout)
    if video is not None:
        seeds: dict[tuple[str, str], list[int]] = {}
        for it in sweep.items:
            seeds.setdefault((it.task, it.set_name), []).append(it.seed)
        for (task, set_name), group in seeds.items():
            for seed in group[:args.video_episodes]:
                path = video / f"{task}_{set_name}_seed{seed}.mp4"
                try:
                    _recorded_episode(sweep.config, task, set_name, seed, path)
                except OSError as exc:
                    raise UsageError(f"cannot write the video {path} ({exc.strerror or exc}); free some space or "
                                     "pass another --video directory") from None
    if report is not None:
        _say(f"report: {_write_report(result.db, report, run=result.run, compare=None)}", sys.stdout)
    return 0


def _recorded_episode(config: SweepConfig, task: str, set_name: str, seed: int, path: Path) -> EpisodeResult:
    """Run one episode again in this process (same seed, same make keywords, same draws) and save its video."""
    from colosseum_lite.video import VideoRecorder

    env = gym.make(env_id(task), obs_mode=config.obs_mode, control_mode=config.control_mode,
                   perturbations=config.perturbations(task, set_name), **config.env_kwargs)
    policy = load_policy(config.policy, env)
    env.reset(seed=seed)  # the recorder needs a live scene to attach to
    with VideoRecorder(cast(ColosseumEnv, env.unwrapped)) as rec:
        res = run_episode(env, policy, seed)
    rec.save(path)
    env.close()
    _say(f"video: {path}")
    return res


def cmd_report(args: argparse.Namespace) -> int:
    """Write report.md/html, CSVs and plots from a results database."""
    if args.compare is not None and len(args.compare) < 2:
        raise UsageError(f"--compare takes two or more run names, got {args.compare}; e.g. --compare RUN_A RUN_B")
    check_path_text(args.db, "results database")
    try:
        mode = os.stat(args.db).st_mode
    except FileNotFoundError:
        raise UsageError(f"results database {args.db} does not exist; run colosseum-lite eval --db {args.db}") \
            from None
    except OSError as exc:
        raise UsageError(f"cannot read results database {args.db} ({exc.strerror or exc}); pass another path") \
            from None
    if not stat.S_ISREG(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise UsageError(f"results database {args.db} is {what}; pass the .sqlite file")
    out = check_creatable_dir(args.out, "report")
    _say(str(_write_report(args.db, out, run=args.run, compare=args.compare, frames=not args.no_frames)),
         sys.stdout)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run every run of a sweep file, then (optionally) write a report comparing them."""
    from colosseum_lite.eval.sweepfile import load_sweep_file

    sweep_file = load_sweep_file(args.file)
    report = None if sweep_file.report is None else check_creatable_dir(str(sweep_file.report), "report")
    for note in dict.fromkeys(note for sweep in sweep_file.sweeps for note in sweep.notes):
        _say(f"colosseum-lite: note: {note}")
    results = []
    for sweep in sweep_file.sweeps:
        _say(f"run {sweep.config.run!r}: policy {sweep.config.policy}, {len(sweep.items)} episodes")
        result = _execute(sweep, args.quiet)
        _say(f"\n== run {result.run} ==\n{summary_table(result.rows, sweep.config.obs_mode, result.run)}",
             sys.stdout)
        results.append(result)
    if report is not None:
        runs = [r.run for r in results]
        compare = runs if len(runs) >= 2 else None
        _say(f"report: {_write_report(results[0].db, report, run=runs[0], compare=compare)}", sys.stdout)
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    """Render a labelled grid of a task under each applicable axis."""
    from colosseum_lite.gallery import GALLERY_SUFFIXES, check_gallery, save_gallery

    names = parse_tasks(args.task)
    if len(names) != 1 or args.task.strip() == "all":
        raise UsageError(f"gallery renders one task; got {args.task!r}; pass one of {sorted(TASKS)}")
    check_gallery(names[0], seed=args.seed, camera=args.camera, size=args.size)
    check_path_text(args.out, "--out")
    out = Path(args.out)
    if out.suffix.lower() not in GALLERY_SUFFIXES:
        raise UsageError(f"--out must end in .png or .jpg, got {args.out}")
    check_creatable_dir(str(out.parent), "output")
    if out.is_dir():  # check_creatable_dir vouched for its folder: no OSError here
        raise UsageError(f"--out {args.out} is a directory; pass an image path such as gallery.png")
    try:
        path = save_gallery(names[0], out, seed=args.seed, camera=args.camera, size=args.size)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out} ({exc.strerror or exc}); free some space or pass "
                         "another --out") from None
    _say(str(path), sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand; every option's help shows its default."""
    parser = _Parser(prog="colosseum-lite", description=DESCRIPTION, formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, text: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text, formatter_class=_Help)
        p.set_defaults(func=func)
        return p

    command("list", "list tasks, ids, step limits, variants, instructions, axes, cameras and modes", cmd_list)

    p_eval = command("eval", "evaluate a policy under perturbation sets (every episode stored in SQLite)",
                     cmd_eval)
    add_spec_flags(p_eval)  # --policy, --tasks, ... --batch-size: every SweepSpec field
    p_eval.add_argument("--max-episode-steps", type=int, default=None, metavar="N",
                        help="step limit of every episode (default: the task's, max_episode_steps keyframes for "
                             "ee_keyframe or max_delta_steps for ee_delta; see list)")
    p_eval.add_argument("--cameras", default=None, metavar="NAMES",
                        help=f"comma-separated cameras the policy sees, from {','.join(CAMERAS)} (default: "
                             f"{','.join(DEFAULT_CAMERAS)})")
    p_eval.add_argument("--image-size", type=int, default=None, metavar="PX",
                        help=f"side of the square camera images in pixels (default: {DEFAULT_IMAGE_SIZE})")
    p_eval.add_argument("--video", metavar="DIR", default=None,
                        help="write mp4s (front camera) of each task and set into DIR (default: no videos)")
    p_eval.add_argument("--video-episodes", type=int, default=1, metavar="N",
                        help="with --video: the first N episodes of each task and set, each its own file")
    p_eval.add_argument("--report", metavar="DIR", default=None,
                        help="write a report into DIR afterwards (default: no report)")
    p_eval.add_argument("--quiet", action="store_true", help="no progress bar (default: off)")

    p_rep = command("report", "write a report (md, html, csv, plots) from a results database", cmd_report)
    p_rep.add_argument("db", help="SQLite results file")
    p_rep.add_argument("--out", required=True, help="output directory (required)")
    p_rep.add_argument("--run", default=None, help="run to report (default: the newest run)")
    p_rep.add_argument("--compare", nargs="+", metavar="RUN", default=None,
                       help="compare two or more runs side by side, on the tasks and sets they all have; the "
                            "first is the baseline of the differences (default: no comparison)")
    p_rep.add_argument("--no-frames", action="store_true",
                       help="skip the example frames, which replay episodes (default: off, frames drawn)")

    p_sw = command("sweep", "run a scripted sweep from a TOML file", cmd_sweep)
    p_sw.add_argument("file", help="sweep file (see colosseum_lite.eval.sweepfile)")
    p_sw.add_argument("--quiet", action="store_true", help="no progress bars (default: off)")

    p_gal = command("gallery", "render a task under each perturbation axis into one image", cmd_gallery)
    p_gal.add_argument("task", help="task name")
    p_gal.add_argument("--out", required=True, help="output image, .png or .jpg (required)")
    p_gal.add_argument("--seed", type=int, default=0, help="episode seed of every tile")
    p_gal.add_argument("--camera", default=None,
                       help=f"camera, one of {', '.join(CAMERAS)} (default: the task's view camera, "
                            "front for most)")
    p_gal.add_argument("--size", type=int, default=224, help="tile side in pixels (16 to 1024)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``colosseum-lite`` console script.

    Returns 0 on success, 2 for bad input (one line on stderr, nothing created) and 130 when
    interrupted (Ctrl-C or SIGTERM; finished episodes stay in the store).
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, ValueError) as exc:  # StoreError is a ValueError
        _say(f"colosseum-lite: error: {exc}")
        return 2
    except KeyboardInterrupt as exc:
        db = getattr(exc, "db", None)
        _say("colosseum-lite: interrupted" + (
            f"; finished episodes are kept in {db}, rerun the same command to resume" if db else ""))
        return 130


if __name__ == "__main__":
    sys.exit(main())
