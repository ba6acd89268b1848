"""The ``colosseum-lite`` command: list tasks, evaluate a policy, record videos.

Bad input (unknown task, policy, variant, an unusable path) fails before anything is simulated or
created, with exit code 2 and one line naming the fix; Ctrl-C exits with 130 and keeps every
finished episode.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import gymnasium as gym

from colosseum_lite import TASKS, env_id
from colosseum_lite.cameras import CAMERAS
from colosseum_lite.env import ControlMode, ObsMode
from colosseum_lite.eval.rollout import EpisodeResult, run_episode
from colosseum_lite.eval.runner import DEFAULT_OBS_MODE, DEFAULT_SEED
from colosseum_lite.paths import check_creatable_dir, check_path_text
from colosseum_lite.perturbations import AXES, NO_PERTURBATION, applicable_axes
from colosseum_lite.policies.loading import SPEC_FORMS, load_policy

if TYPE_CHECKING:
    from colosseum_lite.eval.plan import SweepConfig
    from colosseum_lite.eval.runner import Sweep, SweepResult
    from colosseum_lite.eval.store import EpisodeRow



class UsageError(Exception):
    """Bad command-line input; the message names the fix."""


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


def _prepare(args: argparse.Namespace, policy: str) -> Sweep:
    from colosseum_lite.eval.runner import prepare

    return prepare(policy, tasks=args.tasks, sets=args.sets, episodes=args.episodes, seed=args.seed,
                   workers=args.workers, backend=args.backend, db=args.db, run=args.run,
                   obs_mode=args.obs_mode, control_mode=args.control_mode, address=args.address,
                   episode_timeout=args.episode_timeout)


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


def _write_report(db: str, out: Path, run: str | None, compare: tuple[str, str] | None,
                  frames: bool = True) -> Path:
    """``write_report``, with a full disk or an unwritable folder as a usage error."""
    from colosseum_lite.eval.report import write_report

    try:
        return write_report(db, out, run=run, compare=compare, frames=frames)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out} ({exc.strerror or exc}); free some space or "
                         "pass another report directory") from None


def summary_table(rows: list[EpisodeRow], obs_mode: str | None = None) -> str:
    """Per (task, set) success with Wilson intervals, then % change per set.

    Timeouts and infrastructure errors are left out of the rates (they say nothing of the policy);
    the errors column counts every episode that ended in an error. Sets that observations in
    ``obs_mode`` cannot see show "not observed" instead of a change, with one line saying why.
    """
    from colosseum_lite.eval.metrics import NOT_OBSERVED, Outcome, cell_stats, set_stats

    outcomes = [Outcome(r.task, r.set_name, r.episode, r.success) for r in rows if r.counted]
    errors: dict[tuple[str, str], int] = {}
    steps: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        errors[(r.task, r.set_name)] = errors.get((r.task, r.set_name), 0) + (r.error is not None)
        steps.setdefault((r.task, r.set_name), []).append(r.steps)
    cells = [[c.task, c.set_name, str(c.n), str(c.successes),
              f"{c.rate:.0%}" + ("" if c.observed else f" ({NOT_OBSERVED})"), f"[{c.low:.0%}, {c.high:.0%}]",
              f"{sum(steps[(c.task, c.set_name)]) / c.n:.1f}", str(errors[(c.task, c.set_name)])]
             for c in cell_stats(outcomes, obs_mode)]
    out = _table(cells, ["task", "set", "episodes", "successes", "success", "95% CI", "mean steps", "errors"])
    sets = set_stats(outcomes, bootstrap=500, obs_mode=obs_mode)
    if sets:
        lines = [[s.set_name, str(len(s.tasks)), f"{s.rate:.0%}", f"{s.nominal_rate:.0%}",
                  f"{s.change_pct:+.1f}%", f"[{s.change_low:+.1f}%, {s.change_high:+.1f}%]",
                  f"{s.flips_lost}/{s.flips_gained}"] if s.observed else
                 [s.set_name, str(len(s.tasks)), f"{s.rate:.0%}", f"{s.nominal_rate:.0%}", NOT_OBSERVED, "-", "-"]
                 for s in sets]
        out += "\n\n" + _table(lines, ["set", "tasks", "success", "unperturbed", "change", "95% CI",
                                        "flips lost/gained"])
        unseen = [s.set_name for s in sets if not s.observed]
        if unseen:
            out += (f"\n\n{NOT_OBSERVED}: {', '.join(unseen)} change only camera images, which --obs-mode "
                    f"{obs_mode} does not show the policy (use --obs-mode rgb to measure them)")
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a policy under perturbation sets, store every episode, print the summary."""
    video = None if args.video is None else check_creatable_dir(args.video, "video")
    report = None if args.report is None else check_creatable_dir(args.report, "report")
    sweep = _prepare(args, args.policy)
    _make_out_dir(video, "video")
    _make_out_dir(report, "report")
    for note in sweep.notes:
        _say(f"colosseum-lite: note: {note}")
    result = _execute(sweep, args.quiet)
    _say(summary_table(result.rows, sweep.config.obs_mode), sys.stdout)
    _say(f"\n{len(result.rows)} episodes of run {result.run!r} in {result.db} ({result.ran} run now)", sys.stdout)
    if video is not None:
        for task, set_name in dict.fromkeys((it.task, it.set_name) for it in sweep.items):
            path = video / f"{task}_{set_name}_seed{args.seed}.mp4"
            try:
                _recorded_episode(sweep.config, task, set_name, args.seed, path)
            except OSError as exc:
                raise UsageError(f"cannot write the video {path} ({exc.strerror or exc}); free some space or "
                                 "pass another --video directory") from None
    if report is not None:
        _say(f"report: {_write_report(result.db, report, run=result.run, compare=None)}", sys.stdout)
    return 0


def _recorded_episode(config: SweepConfig, task: str, set_name: str, seed: int, path: Path) -> EpisodeResult:
    """Run one episode again in this process (same seed, same draws) and save its video."""
    from colosseum_lite.video import VideoRecorder

    env = gym.make(env_id(task), obs_mode=config.obs_mode, control_mode=config.control_mode,
                   perturbations=config.perturbations(task, set_name))
    policy = load_policy(config.policy, env)
    env.reset(seed=seed)  # the recorder needs a live scene to attach to
    with VideoRecorder(env.unwrapped) as rec:
        res = run_episode(env, policy, seed)
    rec.save(path)
    env.close()
    _say(f"video: {path}")
    return res


def cmd_report(args: argparse.Namespace) -> int:
    """Write report.md/html, CSVs and plots from a results database."""
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
    compare = (args.compare[0], args.compare[1]) if args.compare else None
    _say(str(_write_report(args.db, out, run=args.run, compare=compare, frames=not args.no_frames)), sys.stdout)
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
        _say(f"\n== run {result.run} ==\n{summary_table(result.rows, sweep.config.obs_mode)}", sys.stdout)
        results.append(result)
    if report is not None:
        runs = [r.run for r in results]
        compare = (runs[0], runs[1]) if len(runs) >= 2 else None
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
    """The argument parser of every subcommand."""
    parser = _Parser(prog="colosseum-lite", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list tasks, variants, ids, cameras and modes")
    p_list.set_defaults(func=cmd_list)

    p_eval = sub.add_parser("eval", help="evaluate a policy under perturbation sets (stored in SQLite)")
    p_eval.add_argument("--policy", default="oracle", help=f"policy spec: {SPEC_FORMS}")
    p_eval.add_argument("--tasks", default="all", help="'all' or comma-separated task names")
    p_eval.add_argument("--sets", default=NO_PERTURBATION,
                        help="'all' (no_perturbation, every axis alone, all axes) or comma-separated sets; "
                             "no_perturbation always runs as the paired twin (default: no_perturbation)")
    p_eval.add_argument("--episodes", type=int, default=10, help="episodes per task and set")
    p_eval.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the first episode, paired across sets (default: {DEFAULT_SEED}; seeds 0-49 "
                             "are the oracle's test seeds)")
    p_eval.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores)")
    p_eval.add_argument("--backend", default="local", choices=["local", "ray"])
    p_eval.add_argument("--address", default=None, help="Ray cluster address (default: start a local one)")
    p_eval.add_argument("--db", default="results.sqlite", help="SQLite results file (runs resume)")
    p_eval.add_argument("--run", default=None, help="run name (default: the policy spec); reuse to resume")
    p_eval.add_argument("--episode-timeout", type=float, default=600.0, metavar="SECONDS",
                        help="seconds one episode may take before its worker is stopped and the episode "
                             "recorded as a timeout (retried on resume; default: 600)")
    p_eval.add_argument("--obs-mode", default=DEFAULT_OBS_MODE, choices=[m.value for m in ObsMode],
                        help=f"observations the policy gets (default: {DEFAULT_OBS_MODE}, the protocol's; state "
                             "cannot see the visual axes, whose sets then show as not observed)")
    p_eval.add_argument("--control-mode", default=ControlMode.EE_KEYFRAME.value,
                        choices=[m.value for m in ControlMode])
    p_eval.add_argument("--video", metavar="DIR", default=None,
                        help="write an mp4 of the first episode of each task and set (front camera) into DIR")
    p_eval.add_argument("--report", metavar="DIR", default=None, help="write a report into DIR afterwards")
    p_eval.add_argument("--quiet", action="store_true", help="no progress bar")
    p_eval.set_defaults(func=cmd_eval)

    p_rep = sub.add_parser("report", help="write a report (md, html, csv, plots) from a results database")
    p_rep.add_argument("db", help="SQLite results file")
    p_rep.add_argument("--out", required=True, help="output directory")
    p_rep.add_argument("--run", default=None, help="run to report (default: the only or the latest run)")
    p_rep.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), default=None,
                       help="compare two runs side by side")
    p_rep.add_argument("--no-frames", action="store_true", help="skip the example frames (no simulation)")
    p_rep.set_defaults(func=cmd_report)

    p_sw = sub.add_parser("sweep", help="run a scripted sweep from a TOML file")
    p_sw.add_argument("file", help="sweep file (see colosseum_lite.eval.sweepfile)")
    p_sw.add_argument("--quiet", action="store_true", help="no progress bars")
    p_sw.set_defaults(func=cmd_sweep)

    p_gal = sub.add_parser("gallery", help="render a task under each perturbation axis into one image")
    p_gal.add_argument("task", help="task name")
    p_gal.add_argument("--out", required=True, help="output image (.png or .jpg)")
    p_gal.add_argument("--seed", type=int, default=0)
    p_gal.add_argument("--camera", default="front")
    p_gal.add_argument("--size", type=int, default=224, help="tile side in pixels (16 to 1024)")
    p_gal.set_defaults(func=cmd_gallery)
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
