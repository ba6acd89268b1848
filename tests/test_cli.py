"""The colosseum-lite command line."""

from __future__ import annotations

import subprocess
import sys

import cv2
import pytest

from colosseum_lite.cli import main


def test_list_shows_tasks_ids_and_variants(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for text in ("slide_block_to_target", "ColosseumLite/OpenDrawer-v0", "bottom,middle,top", "wrist"):
        assert text in out


def test_eval_one_task_prints_success(capsys, tmp_path):
    db = tmp_path / "r.sqlite"
    assert main(["eval", "--policy", "oracle", "--tasks", "slide_block_to_target", "--episodes", "2",
                 "--quiet", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "slide_block_to_target  no_perturbation  2         2          100%" in out
    assert f"2 episodes of run 'oracle' in {db} (2 run now)" in out
    assert main(["eval", "--policy", "oracle", "--tasks", "slide_block_to_target", "--episodes", "2",
                 "--quiet", "--db", str(db)]) == 0
    assert "(0 run now)" in capsys.readouterr().out  # the same run resumes: nothing left to do


def test_eval_writes_a_video(tmp_path):
    assert main(["eval", "--tasks", "slide_block_to_target", "--episodes", "1", "--quiet",
                 "--video", str(tmp_path / "v"), "--db", str(tmp_path / "r.sqlite")]) == 0
    (video,) = (tmp_path / "v").glob("*.mp4")
    cap = cv2.VideoCapture(str(video))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) > 20
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (256, 256)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--tasks", "slide_blok"], "unknown task(s) ['slide_blok']"),
        (["eval", "--policy", "orcale"], "unknown policy 'orcale'"),
        (["eval", "--policy", "oracle", "--control-mode", "ee_delta"], "use control_mode='ee_keyframe'"),
        (["eval", "--episodes", "0"], "episodes must be at least 1"),
        (["eval", "--sets", "mo_colour"], "unknown set(s) ['mo_colour']"),
        (["eval", "--video", "/proc/nope"], "cannot create video directory /proc/nope"),
        (["report", "/nonexistent.sqlite", "--out", "x"], "does not exist"),
        (["gallery", "close_bx", "--out", "g.png"], "unknown task(s) ['close_bx']"),
        (["gallery", "close_box", "--out", "g.gif"], "--out must end in .png or .jpg"),
    ],
)
def test_bad_input_fails_before_work_with_exit_code_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "results.sqlite").exists()


def test_gallery_writes_a_labelled_grid(tmp_path):
    out = tmp_path / "g.png"
    assert main(["gallery", "slide_block_to_target", "--out", str(out), "--size", "96"]) == 0
    img = cv2.imread(str(out))
    # no_perturbation + 10 applicable axes + all = 12 tiles in rows of 4
    assert img.shape[1] == 4 * 96 and img.shape[0] == 3 * (96 + 34)


def test_console_script_exit_code_for_bad_choice():
    proc = subprocess.run([sys.executable, "-m", "colosseum_lite.cli", "eval", "--obs-mode", "pixels"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice: 'pixels'" in proc.stderr
