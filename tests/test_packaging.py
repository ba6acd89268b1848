"""A built wheel installs into a fresh virtual environment and runs."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SMOKE = """
import gymnasium as gym, colosseum_lite
from colosseum_lite.policies import load_policy
env = gym.make("ColosseumLite/SlideBlockToTarget-v0", obs_mode="rgb")
obs, info = env.reset(seed=0)
pol = load_policy("oracle", env)
for _ in range(30):
    obs, r, term, trunc, info = env.step(pol.act(obs))
    if term or trunc:
        break
assert info["is_success"], info
import colosseum_lite.tasks, colosseum_lite.perturbations, colosseum_lite.policies
print("WHEEL_OK", colosseum_lite.__file__)
"""


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_fresh_venv(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("colosseum_lite-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    py = tmp_path / "venv" / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    out = subprocess.run([str(py), "-c", SMOKE], check=True, capture_output=True, text=True,
                         cwd=str(tmp_path)).stdout
    assert "WHEEL_OK" in out and str(tmp_path / "venv") in out
    cli = subprocess.run([str(tmp_path / "venv" / "bin" / "colosseum-lite"), "list"], capture_output=True,
                         text=True, check=True, cwd=str(tmp_path))
    assert "slide_block_to_target" in cli.stdout
