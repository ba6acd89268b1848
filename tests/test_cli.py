"""The colosseum-lite command line: every bad input is one clear line, exit 2, and no partial work."""

from __future__ import annotations

import argparse
import errno
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

import colosseum_lite
from colosseum_lite import TASKS, cli, gallery
from colosseum_lite.cli import main
from colosseum_lite.eval import report, runner
from colosseum_lite.eval.runner import SweepResult
from colosseum_lite.eval.store import EpisodeRow, Store, StoreError, now_iso
from colosseum_lite.perturbations import AXES
from tests.helpers import count_rows

CLI = [sys.executable, "-m", "colosseum_lite.cli"]


def listing(root: Path) -> list[tuple[str, int]]:
    """Every path under ``root`` with its size (0 for folders)."""
    return sorted((str(p.relative_to(root)), 0 if p.is_dir() else p.stat().st_size) for p in root.rglob("*"))


def assert_clean_failure(code: int, err: str, root: Path, before: list[tuple[str, int]]) -> None:
    """Exit 2, one error line (or argparse's usage + error), no traceback, nothing created in ``root``.

    Notes (a run that grows, workers capped) may come first: they are printed before a sweep starts.
    """
    lines = [line for line in err.splitlines() if not line.startswith("colosseum-lite: note: ")]
    assert code == 2, err
    assert "Traceback" not in err, err
    if lines and lines[0].startswith("usage:"):  # argparse: a (wrapped) usage, then its error line
        assert ": error: " in lines[-1] and not any("error" in line for line in lines[:-1]), err
    else:
        assert len(lines) == 1 and lines[0].startswith("colosseum-lite: error: "), err
    assert listing(root) == before


@pytest.fixture
def fails(tmp_path, monkeypatch, capsys):
    """Run ``main(argv)`` in ``tmp_path``, check it is a clean failure and return the error line."""
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> str:
        capsys.readouterr()
        before = listing(tmp_path)
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code
        err = capsys.readouterr().err
        assert_clean_failure(code, err, tmp_path, before)
        return err.splitlines()[-1]

    return run


@pytest.fixture
def stubbed(monkeypatch):
    """``execute``, ``write_report`` and the video recording replaced by recorders that do no work."""
    calls: dict[str, list] = {"execute": [], "report": [], "video": []}

    def execute(sweep, progress=True):
        calls["execute"].append(sweep)
        return SweepResult(sweep.config.run, sweep.db, [], 0)

    def write_report(db, out, run=None, compare=None, frames=True):
        calls["report"].append((db, out, run, compare))
        return Path(out) / "report.html"

    monkeypatch.setattr(runner, "execute", execute)
    monkeypatch.setattr(report, "write_report", write_report)
    monkeypatch.setattr(cli, "_recorded_episode", lambda *args: calls["video"].append(args))
    return calls


def _store(path: Path, run: str = "oracle") -> Path:
    """A store with one finished episode of ``run``."""
    with Store(path) as store:
        store.start_run(run, {"policy": "oracle", "version": "0"})
        store.add(EpisodeRow(run, "oracle", "0", "close_box", "no_perturbation", 0, 0, "{}", True, 10, 1.0,
                             0.1, None, now_iso()))
    return path


# ------------------------------------------------------------------------------ what works
def test_list_shows_both_step_limits_and_every_variants_instruction(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for text in ("slide_block_to_target", "ColosseumLite/OpenDrawer-v0", "wrist", "max_delta_steps (ee_delta)",
                 "max_episode_steps (ee_keyframe)", "max_episode_steps is the ee_keyframe budget, counted in "
                 "keyframes"):
        assert text in out
    for name, task in TASKS.items():
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert f" {task.max_episode_steps} " in line and f" {task.max_delta_steps} " in line, line
        for variant in task.variants:
            assert re.search(rf"\b{variant}\s+{re.escape(task().instruction(variant))}$", out, re.M), variant
    assert TASKS["close_box"].max_delta_steps != TASKS["close_box"].max_episode_steps


def test_eval_one_task_prints_success(capsys, tmp_path):
    db = tmp_path / "r.sqlite"
    argv = ["eval", "--policy", "oracle", "--tasks", "slide_block_to_target", "--sets", "no_perturbation",
            "--episodes", "2", "--seed", "0", "--obs-mode", "state", "--quiet", "--db", str(db)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"^slide_block_to_target  no_perturbation\s+2\s+2\s+100\.0%", out, re.M)  # the checked seeds
    assert f"2 episodes of run 'oracle' in {db} (2 run now)" in out
    assert main(argv) == 0
    assert "(0 run now)" in capsys.readouterr().out  # the same run resumes: nothing left to do


def test_eval_writes_a_video(tmp_path):
    assert main(["eval", "--tasks", "slide_block_to_target", "--sets", "no_perturbation", "--episodes", "1",
                 "--obs-mode", "state", "--quiet", "--video", str(tmp_path / "v"), "--db",
                 str(tmp_path / "r.sqlite")]) == 0
    (video,) = (tmp_path / "v").glob("*.mp4")
    cap = cv2.VideoCapture(str(video))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) > 20
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (256, 256)


def test_the_summary_shows_sets_the_obs_mode_cannot_see_as_not_observed():
    wins = {"no_perturbation": [1, 0, 1], "mo_color": [1, 0, 1], "mo_size": [1, 0, 0]}
    rows = [EpisodeRow("r", "oracle", "0", "close_box", set_name, e, 1000 + e, "{}", bool(w), 5, 0.0, 0.1, None,
                       now_iso()) for set_name, ws in wins.items() for e, w in enumerate(ws)]
    state = cli.summary_table(rows, "state")
    assert re.search(r"^close_box  mo_color\s+3\s+2\s+66\.7% \(not observed\)", state, re.M)
    assert re.search(r"^mo_color\s+1\s+66\.7%\s+66\.7%\s+not observed\s+–\s+–$", state, re.M)
    assert re.search(r"^mo_size\s+1\s+33\.3%\s+66\.7%\s+-50\.0% \[", state, re.M)
    assert state.endswith("Not observed: run r gave the policy state observations, which cannot see mo_color: "
                          "these axes change only camera images, so their episodes repeat their unperturbed twins "
                          "for any policy and measure no robustness (evaluate with --obs-mode rgb to measure "
                          "them).")
    rgb = cli.summary_table(rows, "rgb")
    assert "not observed" not in rgb and re.search(r"^mo_color\s+1\s+66\.7%\s+66\.7%\s+\+0\.0% ", rgb, re.M)


def test_eval_defaults_are_evaluates(stubbed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--tasks", "close_box", "--quiet"]) == 0
    (sweep,) = stubbed["execute"]
    params = inspect.signature(runner.evaluate).parameters
    assert sweep.run_config["episodes"] == params["episodes"].default == 25
    assert params["sets"].default == "all" and sweep.run_config["sets"] == ["no_perturbation", *AXES, "all"]
    assert sweep.run_config["obs_mode"] == params["obs_mode"].default == "rgb"
    assert sweep.run_config["seed"] == params["seed"].default == 1000
    assert sweep.run_config["image_size"] == 128 and sweep.run_config["env_kwargs"] == {}
    assert [it.seed for it in sweep.items if it.set_name == "no_perturbation"] == list(range(1000, 1025))


def test_gallery_writes_a_labelled_grid(tmp_path):
    out = tmp_path / "g.png"
    assert main(["gallery", "slide_block_to_target", "--out", str(out), "--size", "96"]) == 0
    img = cv2.imread(str(out))
    # no_perturbation + 10 applicable axes + all = 12 tiles in rows of 4
    assert img.shape[1] == 4 * 96 and img.shape[0] == 3 * (96 + 34)


def test_eval_passes_the_episode_timeout_and_makes_folders_only_after_validation(stubbed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--tasks", "close_box", "--sets", "no_perturbation", "--episodes", "1",
                 "--episode-timeout", "30", "--quiet", "--video", "out/v", "--report", "out/r"]) == 0
    (sweep,) = stubbed["execute"]
    assert sweep.episode_timeout_s == 30.0
    assert (tmp_path / "out" / "v").is_dir() and stubbed["report"][0][1] == Path("out/r")
    assert len(stubbed["video"]) == 1  # one (task, set)


def test_eval_prints_the_notes_of_prepare(stubbed, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--tasks", "close_box", "--sets", "no_perturbation", "--episodes", "2", "--workers",
                 "1000", "--quiet"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("colosseum-lite: note: ")]
    assert any("1000 workers capped at 2" in line for line in notes)
    assert stubbed["execute"][0].workers == 2


def test_every_eval_flag_round_trips_into_the_stored_run_config(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    task = "slide_block_to_target"
    assert main(["eval", "--policy", "random", "--tasks", task, "--sets", "object_friction", "--episodes", "1",
                 "--obs-mode", "state", "--control-mode", "ee_delta", "--max-episode-steps", "3",
                 "--cameras", "front,overhead", "--image-size", "64", "--env-kwarg", "reward_mode=dense",
                 "--env-kwarg", "low_poly=true", "--override", "object_friction.range=[0.8,0.9]",
                 "--override", 'object_friction.targets=["block"]', "--workers", "1", "--quiet", "--db", str(db),
                 "--run", "flags"]) == 0
    with Store(db, readonly=True) as store:
        config = store.run_config("flags")
        rows = store.rows("flags")
    assert config["control_mode"] == "ee_delta" and config["obs_mode"] == "state"
    assert config["max_episode_steps"] == {task: 3}
    assert config["cameras"] == ["front", "overhead"] and config["image_size"] == 64
    assert config["env_kwargs"] == {"reward_mode": "dense", "low_poly": True, "cameras": ["front", "overhead"],
                                    "image_size": 64, "max_episode_steps": 3}
    assert config["overrides"] == {"object_friction": {"range": [0.8, 0.9], "targets": ["block"]}}
    assert config["sets"] == ["object_friction"] and config["episodes"] == 1
    assert sorted(r.set_name for r in rows) == ["no_perturbation", "object_friction"]
    assert all(r.steps == 3 for r in rows)  # random never succeeds: every episode ran to the limit
    friction = json.loads(next(r.params for r in rows if r.set_name == "object_friction"))["object_friction"]
    assert all(0.8 <= mu <= 0.9 for mu in _numbers(friction)), friction  # the override's range was used
    assert "object_friction" in capsys.readouterr().out


def _numbers(value) -> list[float]:
    """Every number in a JSON value."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_runner_options_reach_the_sweep(stubbed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--tasks", "close_box", "--sets", "no_perturbation", "--episodes", "1", "--quiet"]) == 0
    assert main(["eval", "--tasks", "close_box", "--sets", "no_perturbation", "--episodes", "1", "--quiet",
                 "--keep-going", "--device", "cuda:1", "--batch-size", "4", "--run", "other"]) == 0
    default, chosen = stubbed["execute"]
    assert (default.keep_going, default.config.device, default.config.batch_size) == (False, "cpu", 1)
    assert chosen.keep_going is True and chosen.config.device == "cuda:1"  # the oracle cannot batch: 1 it is
    assert chosen.config.batch_size == 1 and any("batch_size 4 is unused" in n for n in chosen.notes)


def test_video_episodes_records_the_first_n_episodes_of_each_task_and_set(stubbed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--tasks", "close_box", "--sets", "mo_color", "--episodes", "3", "--seed", "7",
                 "--quiet", "--video", "v", "--video-episodes", "2"]) == 0
    recorded = [(task, set_name, seed, path.name) for _, task, set_name, seed, path in stubbed["video"]]
    assert recorded == [("close_box", s, seed, f"close_box_{s}_seed{seed}.mp4")
                        for s in ("no_perturbation", "mo_color") for seed in (7, 8)]


def test_a_recorded_episode_replays_the_runs_make_keywords(tmp_path):
    from colosseum_lite.eval.plan import SweepConfig

    config = SweepConfig("r", "idle", "0", "state", "ee_delta", env_kwargs={"max_episode_steps": 2})
    res = cli._recorded_episode(config, "close_box", "no_perturbation", 1000, tmp_path / "v.mp4")
    assert res.steps == 2 and (tmp_path / "v.mp4").stat().st_size > 0  # the run's limit, not the task's 300


def test_every_option_shows_its_default_and_help_has_no_markup(capsys):
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, sub in subparsers.items():
        formatter = sub._get_formatter()
        for action in sub._actions:
            if action.option_strings and action.dest != "help" and not action.required:
                assert "default" in formatter._get_help_string(action), (name, action.option_strings)
        text = sub.format_help()
        assert "``" not in text and ":func:" not in text, name
    assert "``" not in parser.format_help()
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"colosseum-lite {colosseum_lite.__version__}"


def test_report_compares_any_number_of_runs(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    for run in ("a", "b", "c"):
        _store(db, run)
    out = tmp_path / "rep"
    assert main(["report", str(db), "--out", str(out), "--compare", "a", "b", "c", "--no-frames"]) == 0
    text = (tmp_path / "rep" / "report.html").read_text()
    assert "colosseum-lite report: a vs b vs c" in text and "success c - a" in text


def test_sweep_reports_compare_every_run(stubbed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = "".join(f'[[runs]]\nname = "{n}"\npolicy = "oracle"\n' for n in ("r1", "r2", "r3"))
    (tmp_path / "s.toml").write_text(f'report = "rep"\n[defaults]\ntasks = "close_box"\nepisodes = 1\n{runs}')
    assert main(["sweep", "s.toml", "--quiet"]) == 0
    assert [call[3] for call in stubbed["report"]] == [["r1", "r2", "r3"]]


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--tasks", "slide_blok"], "unknown task(s) ['slide_blok']"),
        (["eval", "--policy", "orcale"], "unknown policy 'orcale'"),
        (["eval", "--policy", "oracle", "--control-mode", "ee_delta"], "use control_mode='ee_keyframe'"),
        (["eval", "--policy", "missing.py:make"], "does not exist"),
        (["eval", "--policy", "x" * 300 + ".py:make", "--run", "r"], "x" * 20),
        (["eval", "--policy", "x" * 300 + ".pt", "--run", "r"], "x" * 20),
        (["eval", "--episodes", "0"], "episodes must be in [1, 10000], got 0"),
        (["eval", "--episodes", "2000000000"], "episodes must be in [1, 10000]"),
        (["eval", "--seed", "-1"], "seed must be in [0, "),
        (["eval", "--workers", "0"], "workers must be in [1, "),
        (["eval", "--episode-timeout", "0"], "episode_timeout must be a number of seconds"),
        (["eval", "--episode-timeout", "nan"], "episode_timeout must be a number of seconds"),
        (["eval", "--episode-timeout", "-5"], "episode_timeout must be a number of seconds"),
        (["eval", "--sets", "mo_colour"], "unknown set(s) ['mo_colour']"),
        (["eval", "--max-episode-steps", "0"], "max_episode_steps must be an integer >= 1"),
        (["eval", "--cameras", "front,back"], "unknown camera 'back'"),
        (["eval", "--cameras", "front,front"], "cameras lists ['front'] more than once"),
        (["eval", "--image-size", "8"], "image_size must be an integer in [16, 1024], got 8"),
        (["eval", "--env-kwarg", "variant"], "--env-kwarg takes KEY=VALUE, got 'variant'"),
        (["eval", "--env-kwarg", "=1"], "--env-kwarg takes KEY=VALUE"),
        (["eval", "--env-kwarg", "frobnicate=1"], "unknown gym.make keyword(s) ['frobnicate']"),
        (["eval", "--env-kwarg", "reward_mode=dens"], "unknown reward_mode 'dens'"),
        (["eval", "--env-kwarg", "obs_mode=rgb"], "env_kwargs may not set ['obs_mode']"),
        (["eval", "--env-kwarg", "low_poly=1", "--env-kwarg", "low_poly=0"], "--env-kwarg low_poly is given"),
        (["eval", "--cameras", "front", "--env-kwarg", "cameras=wrist"], "--cameras and --env-kwarg cameras"),
        (["eval", "--override", "mo_size"], "--override takes KEY=VALUE, got 'mo_size'"),
        (["eval", "--override", "mo_size=[0.8,1.2]"], "--override takes AXIS.FIELD=VALUE"),
        (["eval", "--override", "mo_colour.range=[0.8,1.2]"], "overrides for unknown axis ['mo_colour']"),
        (["eval", "--tasks", "close_box", "--sets", "mo_size", "--override", "mo_size.range=[1.2,0.8]"],
         "range must be [low, high]"),
        (["eval", "--tasks", "close_box", "--sets", "mo_size", "--override", "mo_size.rnage=[0.8,1.2]"],
         "unknown axis setting(s) ['rnage']"),
        (["eval", "--tasks", "close_box", "--sets", "mo_size", "--override", "mo_size.range=wide"], "range"),
        (["eval", "--override", "mo_size.range=[0.8,1]", "--override", "mo_size.range=[0.9,1]"], "given twice"),
        (["eval", "--override", "light_color.severity=NaN", "--sets", "light_color"], "plain data"),
        (["eval", "--tasks", "close_box", "--sets", "mo_color", "--override", "mo_size.range=[0.8,1.2]"],
         "no requested set uses them"),
        (["eval", "--batch-size", "0"], "batch_size must be in [1, "),
        (["eval", "--device", " "], "device must be a torch device string"),
        (["eval", "--video", "v", "--video-episodes", "0"], "--video-episodes must be an integer in [1, 25]"),
        (["eval", "--video", "v", "--episodes", "3", "--video-episodes", "4"], "(at most --episodes, 3)"),
        (["eval", "--video-episodes", "2"], "--video-episodes needs --video DIR"),
        (["report", "r.sqlite", "--out", "x", "--compare", "a"], "--compare takes two or more run names"),
        (["eval", "--run", ""], "the run name must be a non-empty string"),
        (["eval", "--run", "a\nb"], "printable characters"),
        (["eval", "--run", "\udcff"], "not valid UTF-8"),
        (["eval", "--db", "\udcff.sqlite"], "not valid UTF-8"),
        (["eval", "--db", "x\x00.sqlite"], "NUL"),
        (["eval", "--video", "/proc/nope"], "video directory /proc/nope"),
        (["eval", "--video", ""], "the video path is empty"),
        (["eval", "--video", "v\x00"], "NUL byte"),
        (["eval", "--video", "\udcff"], "not valid UTF-8"),
        (["eval", "--report", "x" * 300], "too long"),
        (["report", "/nonexistent.sqlite", "--out", "x"], "does not exist"),
        (["gallery", "close_bx", "--out", "g.png"], "unknown task(s) ['close_bx']"),
        (["gallery", "close_box", "--out", "g.gif"], "--out must end in .png or .jpg"),
        (["gallery", "close_box,open_drawer", "--out", "g.png"], "gallery renders one task; got 'close_box,open"),
        (["gallery", "all", "--out", "g.png"], "gallery renders one task; got 'all'"),
        (["gallery", "close_box", "--out", "g.png", "--seed", "-1"], "seed must be an integer in [0, 2147483647]"),
        (["gallery", "close_box", "--out", "g.png", "--size", "-5"], "size (tile side in pixels) must be"),
        (["gallery", "close_box", "--out", "g.png", "--size", "0"], "must be an integer in [16, 1024], got 0"),
        (["gallery", "close_box", "--out", "g.png", "--size", "100000"], "got 100000"),
        (["gallery", "close_box", "--out", "g.png", "--camera", "back"], "unknown camera 'back'"),
        (["gallery", "close_box", "--out", "\udcff.png"], "not valid UTF-8"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2_and_creates_nothing(args, message, fails):
    assert message in fails(*args)


@pytest.mark.parametrize("args", [["eval", "--episodes", "abc"], ["eval", "--episode-timeout", "soon"],
                                  ["gallery", "close_box", "--out", "g.png", "--size", "1e3"],
                                  ["eval", "--obs-mode", "\udcff"], ["eval", "\udcff"], ["frobnicate"],
                                  ["eval", "--max-episode-steps", "ten"], ["eval", "--image-size", "1.5"],
                                  ["eval", "--batch-size", "x"], ["eval", "--video-episodes", "x"],
                                  ["report", "r.sqlite", "--out", "x", "--compare"]])
def test_argparse_errors_are_usage_and_one_error_line(args, fails):
    assert "error" in fails(*args)


def test_nothing_is_created_when_a_later_argument_is_bad(fails, tmp_path):
    fails("eval", "--video", "v", "--report", "r/deep", "--db", "d/r.sqlite", "--tasks", "close_bx")
    assert list(tmp_path.iterdir()) == []  # the old CLI made v and r before it looked at --tasks


@pytest.mark.parametrize("flag", ["--video", "--report"])
def test_an_output_folder_blocked_by_a_file_is_refused(flag, fails, tmp_path):
    (tmp_path / "taken").write_text("")
    assert "taken is a file, not a directory" in fails("eval", flag, "taken")
    assert "taken is a file, not a directory" in fails("eval", flag, "taken/sub/dir")


def test_a_directory_as_db_is_refused(fails, tmp_path):
    (tmp_path / "d").mkdir()
    assert "is a directory" in fails("eval", "--db", "d")


def test_a_foreign_file_as_db_is_refused(fails, tmp_path):
    (tmp_path / "notes.sqlite").write_text("not a database\n" * 100)
    assert "notes.sqlite" in fails("eval", "--db", "notes.sqlite")


def test_report_checks_the_database_and_the_output_folder(fails, tmp_path):
    (tmp_path / "d").mkdir()
    assert "is a directory" in fails("report", "d", "--out", "r")
    assert "not a regular file" in fails("report", "/dev/null", "--out", "r")
    assert "too long" in fails("report", "x" * 300, "--out", "r")
    _store(tmp_path / "r.sqlite")
    (tmp_path / "f").write_text("")
    assert "f is a file, not a directory" in fails("report", "r.sqlite", "--out", "f")
    assert "nope" in fails("report", "r.sqlite", "--out", "out", "--run", "nope", "--no-frames")


def test_gallery_output_must_be_an_image_path_in_a_folder(fails, tmp_path):
    (tmp_path / "g.png").mkdir()
    assert "is a directory" in fails("gallery", "close_box", "--out", "g.png")
    (tmp_path / "f").write_text("")
    assert "f is a file, not a directory" in fails("gallery", "close_box", "--out", "f/g.png")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"size": 100000}, "size"), ({"size": -5}, "size"), ({"seed": -1}, "seed"), ({"camera": "back"}, "camera"),
     ({"cols": 0}, "cols"), ({"size": 2.5}, "size")],
)
def test_save_gallery_validates_before_rendering(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        gallery.save_gallery("close_box", tmp_path / "sub" / "g.png", **kwargs)
    with pytest.raises(ValueError, match="unknown task"):
        gallery.save_gallery("close_bx", tmp_path / "g.png")
    with pytest.raises(ValueError, match=r"\.png or \.jpg"):
        gallery.save_gallery("close_box", tmp_path / "g.gif")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ failures during a run
def test_a_full_disk_during_the_sweep_is_one_line(monkeypatch, fails):
    def full(sweep, progress=True):
        raise StoreError("cannot write to results.sqlite (database or disk is full); every episode finished "
                         "before this one is stored:\nfree some space")

    monkeypatch.setattr(runner, "execute", full)
    assert "database or disk is full" in fails("eval", "--tasks", "close_box", "--episodes", "1", "--workers", "1")


def test_a_full_disk_while_writing_the_report_is_one_line(monkeypatch, tmp_path, capsys, stubbed):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(report, "write_report", full)
    monkeypatch.chdir(tmp_path)
    _store(tmp_path / "r.sqlite")
    for argv in (["report", "r.sqlite", "--out", "rep"],
                 ["eval", "--tasks", "close_box", "--episodes", "1", "--workers", "1", "--report", "rep2"]):
        assert main(argv) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith("colosseum-lite: error: cannot write the report to rep") and \
            "No space left on device" in line


def test_ctrl_c_keeps_the_finished_episodes_and_says_how_to_resume(monkeypatch, tmp_path, capsys):
    def interrupted(sweep, progress=True):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "execute", interrupted)
    monkeypatch.chdir(tmp_path)
    argv = ["eval", "--tasks", "close_box", "--episodes", "1", "--workers", "1", "--db", "mine.sqlite"]
    assert main(argv) == 130
    assert capsys.readouterr().err.splitlines() == [
        "colosseum-lite: interrupted; finished episodes are kept in mine.sqlite, rerun the same command to resume"]


def test_ctrl_c_before_the_sweep_is_one_generic_line(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "prepare_sweep", interrupted)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--quiet"]) == 130
    assert capsys.readouterr().err.splitlines() == ["colosseum-lite: interrupted"]


# ------------------------------------------------------------------------------ as a user runs it
@pytest.mark.parametrize(
    "args",
    [
        ["eval", "--run", b"\xff", "--video", "v", "--report", "r"],
        ["eval", "--video", b"v\xff", "--tasks", "close_box"],
        ["eval", "--episodes", "abc"],
        ["eval", b"--\xff"],
        ["gallery", "close_box,open_drawer", "--out", "g.png"],
        ["sweep", "bad.toml"],
    ],
    ids=["run-name-bytes", "video-bytes", "bad-int", "unknown-flag-bytes", "gallery-two-tasks", "sweep-type"],
)
def test_console_script_bad_input(args, tmp_path):
    (tmp_path / "bad.toml").write_text("[[runs]]\npolicy = 'oracle'\nepisodes = 'ten'\n")
    before = listing(tmp_path)
    proc = subprocess.run([*CLI, *args], cwd=tmp_path, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert_clean_failure(proc.returncode, proc.stderr.decode("utf-8"), tmp_path, before)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_console_script_interrupted_mid_sweep(sig, tmp_path):
    db = tmp_path / "r.sqlite"
    argv = ["eval", "--tasks", "close_box", "--episodes", "200", "--workers", "1", "--obs-mode", "state",
            "--quiet", "--db", str(db)]
    proc = subprocess.Popen([*CLI, *argv], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # the signal goes to the driver alone, as with kill PID
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and not count_rows(db):
        time.sleep(0.05)
    proc.send_signal(sig)
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 130, err
    assert err.splitlines() == [f"colosseum-lite: interrupted; finished episodes are kept in {db}, rerun the same "
                                "command to resume"]
    assert 0 < count_rows(db) < 200
