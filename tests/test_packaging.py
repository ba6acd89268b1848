"""A built wheel installs into a fresh virtual environment and runs; the package's public API is typed
and passes mypy."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import colosseum_lite

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
import importlib.util
import inspect
assert "episodes" in inspect.signature(colosseum_lite.evaluate).parameters
print("WHEEL_OK", colosseum_lite.__file__)
"""


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_fresh_venv(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("colosseum_lite-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "colosseum_lite/py.typed" in names  # PEP 561: type checkers read the annotations
    assert "colosseum_lite/policies/sb3_policy.py" in names and "colosseum_lite/tasks/base.py" in names
    venv.create(tmp_path / "venv", with_pip=True)
    py = tmp_path / "venv" / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    out = subprocess.run([str(py), "-c", SMOKE], check=True, capture_output=True, text=True,
                         cwd=str(tmp_path)).stdout
    assert "WHEEL_OK" in out and str(tmp_path / "venv") in out
    cli = subprocess.run([str(tmp_path / "venv" / "bin" / "colosseum-lite"), "list"], capture_output=True,
                         text=True, check=True, cwd=str(tmp_path))
    assert "slide_block_to_target" in cli.stdout


@pytest.mark.slow
def test_mypy_passes_on_the_package_laid_out_as_installed():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "typecheck.py")], capture_output=True, text=True,
                          cwd=str(ROOT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_evaluate_has_the_runners_signature_and_docstring():
    from colosseum_lite.eval import runner

    assert colosseum_lite.evaluate is runner.evaluate
    params = inspect.signature(colosseum_lite.evaluate).parameters
    assert list(params)[:4] == ["policy", "tasks", "sets", "episodes"]
    assert {"workers", "backend", "db", "obs_mode", "control_mode", "progress"} <= set(params)
    assert "evaluate" in dir(colosseum_lite) and "evaluate" in colosseum_lite.__all__
    with pytest.raises(AttributeError, match="has no attribute 'evaluat'"):
        colosseum_lite.evaluat  # noqa: B018


def test_importing_the_package_leaves_the_runner_unloaded_until_evaluate_is_used():
    probe = ("import sys, colosseum_lite\n"
             "assert 'colosseum_lite.eval.runner' not in sys.modules\n"
             "from colosseum_lite import evaluate\n"
             "import colosseum_lite.eval.runner as r\n"
             "assert evaluate is r.evaluate\n")
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=str(ROOT))


def test_py_typed_is_in_the_package():
    assert (Path(colosseum_lite.__file__).parent / "py.typed").is_file()


def test_every_runtime_dependency_declares_the_floor_the_dependency_matrix_tests(monkeypatch):
    spec = importlib.util.spec_from_file_location("dependency_matrix", ROOT / "bench" / "dependency_matrix.py")
    matrix = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "dependency_matrix", matrix)  # dataclasses look their module up
    spec.loader.exec_module(matrix)
    requires_python, reqs = matrix.requirements(ROOT / "pyproject.toml")
    floors = {r.name: r.floor for r in reqs}
    assert requires_python == ">=3.10"
    assert {"numpy", "gymnasium", "pybullet"} <= set(floors)
    assert floors["pybullet"] == "3.2.6"  # 3.2.5 has no wheels for Python 3.10
    assert [r.marker for r in reqs if r.name == "tomli"] == ["python_version < '3.11'"]
