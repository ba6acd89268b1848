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


def test_eval_one_task_prints_success(capsys):
    assert main(["eval", "--policy", "oracle", "--tasks", "slide_block_to_target", "--episodes", "2",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "slide_block_to_target  2         2" in out and "100%" in out


def test_eval_writes_a_video(tmp_path):
    assert main(["eval", "--tasks", "slide_block_to_target", "--episodes", "1", "--quiet",
                 "--video", str(tmp_path)]) == 0
    (video,) = tmp_path.glob("*.mp4")
    cap = cv2.VideoCapture(str(video))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) > 20
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (256, 256)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--tasks", "slide_blok"], "unknown task(s) ['slide_blok']"),
        (["eval", "--policy", "orcale"], "unknown policy 'orcale'"),
        (["eval", "--policy", "oracle", "--control-mode", "ee_delta"], "use --control-mode ee_keyframe"),
        (["eval", "--episodes", "0"], "--episodes must be at least 1"),
    ],
)
def test_bad_input_fails_before_work_with_exit_code_2(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_console_script_exit_code_for_bad_choice():
    proc = subprocess.run([sys.executable, "-m", "colosseum_lite.cli", "eval", "--obs-mode", "pixels"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice: 'pixels'" in proc.stderr
