"""Test the dependency ranges pyproject.toml declares: its floors and the newest releases.

Builds throwaway virtual environments under ``--workdir`` (default ``/tmp/colosseum_dep_matrix``)
and runs a fast subset of the suite (``-m "not slow"`` on key files) in each, on the committed
tree (``git archive HEAD``, so uncommitted edits never leak in). The suite's own
``filterwarnings`` (pyproject.toml) turns every DeprecationWarning, PendingDeprecationWarning and
FutureWarning into an error, so a leg also fails on a deprecation. Legs:

- ``lowest``: the lowest Python ``requires-python`` admits and, for every runtime dependency,
  the lowest release at or above its declared floor (read from pyproject.toml, so the floors
  tested are the floors declared), installed from wheels only;
- ``newest``: the newest Python given and the newest release of every dependency the index
  serves (numpy 2.5 needs Python 3.12). Where PyPI has no pybullet wheel for that Python, pip
  builds it from source (about 30 minutes on two cores) unless ``--wheels DIR`` holds one
  (``python3.12 -m pip wheel --no-deps -w DIR pybullet``);
- ``sb3`` (only when asked for): the floor of the ``sb3`` extra with the gymnasium floor, on the
  Python running this script, with ``--torch`` (default ``torch``: where the index's default is
  a multi-GB CUDA build, pass a local CPU one, e.g. ``--torch torch==2.13.0``); runs the SB3 and
  policy-spec tests.

torch, ray and stable-baselines3 are not installed in the other legs: their tests skip. Prints
one row per leg (versions, result, seconds) as a Markdown table; ``--json`` also writes it.
Run: ``nice -n 10 python bench/dependency_matrix.py [--legs lowest,newest,sb3] [--wheels DIR]``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = ("tests/test_env.py", "tests/tasks/test_tasks.py", "tests/test_seeding.py",
              "tests/perturbations/test_perturbations.py", "tests/policies/test_policies.py",
              "tests/tasks/test_predicates.py", "tests/eval/test_store.py", "tests/eval/test_report.py",
              "tests/test_observations.py", "tests/tasks/test_dense_reward.py", "tests/test_cli.py")
SB3_TEST_FILES = ("tests/policies/test_sb3_policy.py", "tests/policies/test_policies.py")
TEST_TOOLS = ("pytest", "hypothesis")
REPORTED = ("numpy", "gymnasium", "pybullet", "opencv-python-headless", "matplotlib", "tqdm",
            "stable-baselines3", "torch")
_FLOOR = re.compile(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(;.*)?$")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One runtime dependency of pyproject.toml: ``name>=floor`` with its environment marker."""

    name: str
    floor: str
    marker: str  # "" or e.g. "python_version < '3.11'"


@dataclass(slots=True)
class LegResult:
    """What one leg installed and how its tests went."""

    leg: str
    python: str
    versions: dict[str, str] = field(default_factory=dict)
    result: str = "not run"
    passed: bool = False
    seconds: float = 0.0
    log: str = ""


def requirements(pyproject: Path, extra: str | None = None) -> tuple[str, list[Requirement]]:
    """``requires-python`` and the runtime dependencies of ``pyproject`` (or of one of its
    optional ``extra`` s), each with its floor.

    Raises:
        ValueError: a dependency without a ``>=`` floor (a range nothing here can test).
    """
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    reqs = []
    for line in lines:
        match = _FLOOR.match(line.strip())
        if match is None:
            raise ValueError(f"dependency {line!r} has no '>=' floor; declare one so the lowest leg can test it")
        name, floor, marker = match.groups()
        reqs.append(Requirement(name, floor, (marker or "").lstrip("; ").strip()))
    return project["requires-python"], reqs


def lowest_release(python: Path, name: str, floor: str) -> str:
    """The lowest final release of ``name`` at or above ``floor`` the index serves for ``python``."""
    out = _run([str(python), "-m", "pip", "index", "versions", name], check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("Available versions:")), None)
    if line is None:
        raise RuntimeError(f"pip index versions {name} listed no versions:\n{out}")
    versions = [v.strip() for v in line.split(":", 1)[1].split(",")]
    final = [v for v in versions if re.fullmatch(r"[0-9]+(\.[0-9]+)*(\.post[0-9]+)?", v)]
    candidates = [v for v in final if _key(v) >= _key(floor)]
    if not candidates:
        raise RuntimeError(f"the index serves no {name} release >= {floor} for {python}")
    return min(candidates, key=_key)


def _key(version: str) -> tuple[int, ...]:
    """A sort key for plain release numbers (``1.24.0``, ``4.8.0.74``, ``3.9.1.post1``)."""
    return tuple(int(p) for p in re.findall(r"[0-9]+", version))


def find_python(version: str) -> Path | None:
    """An interpreter for ``version`` (``3.10``): on PATH, or one pyenv installed."""
    found = shutil.which(f"python{version}")
    candidates = [Path(found)] if found else []
    candidates += sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"), reverse=True)
    for python in candidates:  # a pyenv shim on PATH may name a version it cannot run
        if _run([str(python), "-c", "import venv"]).returncode == 0:
            return python
    return None


def export_tree(dest: Path, ref: str) -> None:
    """The committed tree at ``ref`` in ``dest`` (git archive: no working-tree edits, no .git)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = dest.with_suffix(".tar")
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()


def run_leg(leg: str, python: Path, pins: list[str], workdir: Path, ref: str, wheels: Path | None,
            timeout_s: float, test_files: tuple[str, ...] = TEST_FILES) -> LegResult:
    """Build the leg's venv, install the package with ``pins``, run the fast subset."""
    start = time.monotonic()
    version = _run([str(python), "-c", "import platform; print(platform.python_version())"], check=True).stdout
    result = LegResult(leg, version.strip())
    src, venv = workdir / leg / "src", workdir / leg / "venv"
    export_tree(src, ref)
    if venv.exists():
        shutil.rmtree(venv)
    _run([str(python), "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = [str(py), "-m", "pip", "install", "-q"]
    if wheels is not None:
        pip += ["--find-links", str(wheels)]
    if leg == "lowest":
        pip += ["--only-binary", ":all:"]  # a floor without a wheel for this Python is a failed floor
    install = _run([*pip, *pins, *TEST_TOOLS, "-e", str(src)])
    if install.returncode != 0:
        result.result = "install failed"
        result.log = install.stdout[-4000:]
        result.seconds = time.monotonic() - start
        return result
    probe = ("import json, importlib.metadata as m\n"
             f"def v(n):\n    try:\n        return m.version(n)\n    except m.PackageNotFoundError:\n"
             f"        return '-'\nprint(json.dumps({{n: v(n) for n in {list(REPORTED)!r}}}))")
    result.versions = json.loads(_run([str(py), "-c", probe], check=True).stdout)
    try:
        tests = _run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *test_files],
                     cwd=src, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        result.result = f"timed out after {timeout_s:.0f} s"
    else:
        summary = [ln for ln in tests.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
        result.result = summary[-1].strip("= ") if summary else f"pytest exited {tests.returncode}"
        result.passed = tests.returncode == 0
        result.log = tests.stdout[-6000:]
    result.seconds = time.monotonic() - start
    return result


def _run(cmd: list[str], check: bool = False, cwd: Path | None = None,
         timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, stdout and stderr together as text."""
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return proc


def table(results: list[LegResult]) -> str:
    """The legs as a Markdown table."""
    head = ["leg", "python", *REPORTED, "fast subset", "s"]
    rows = [[r.leg, r.python, *(r.versions.get(n, "-") for n in REPORTED),
             ("PASS: " if r.passed else "FAIL: ") + r.result, f"{r.seconds:.0f}"] for r in results]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def main(argv: list[str] | None = None) -> int:
    """Run the requested legs and print the table; exit 1 when a leg failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--legs", default="lowest,newest", help="comma-separated: lowest, newest")
    parser.add_argument("--lowest-python", type=Path, help="default: the lowest Python requires-python admits")
    parser.add_argument("--newest-python", type=Path, help="default: python3.12 (numpy 2.5 needs it)")
    parser.add_argument("--torch", default="torch", help="the torch requirement of the sb3 leg")
    parser.add_argument("--wheels", type=Path, help="a folder of prebuilt wheels (e.g. pybullet for Python 3.12)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/colosseum_dep_matrix"))
    parser.add_argument("--ref", default="HEAD", help="the commit to test (default HEAD)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for one leg's tests")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    requires_python, reqs = requirements(ROOT / "pyproject.toml")
    low_version = re.match(r">=\s*([0-9]+\.[0-9]+)", requires_python)
    if low_version is None:
        parser.error(f"requires-python {requires_python!r} has no '>=' floor")
    results = []
    for leg in [s.strip() for s in args.legs.split(",") if s.strip()]:
        test_files = TEST_FILES
        if leg == "lowest":
            python = args.lowest_python or find_python(low_version.group(1))
            if python is None:
                parser.error(f"no python{low_version.group(1)} found; pass --lowest-python")
            pins = [f"{r.name}=={lowest_release(python, r.name, r.floor)}" + (f"; {r.marker}" if r.marker else "")
                    for r in reqs]
        elif leg == "newest":
            python = args.newest_python or find_python("3.12")
            if python is None:
                parser.error("no python3.12 found; pass --newest-python")
            pins = [r.name + (f"; {r.marker}" if r.marker else "") for r in reqs]
            pins = [*pins, "--upgrade"]
        elif leg == "sb3":
            python = Path(sys.executable)
            (sb3,) = requirements(ROOT / "pyproject.toml", "sb3")[1]
            gymnasium = next(r for r in reqs if r.name == "gymnasium")
            pins = [f"{sb3.name}=={lowest_release(python, sb3.name, sb3.floor)}",
                    f"gymnasium=={lowest_release(python, 'gymnasium', gymnasium.floor)}", args.torch]
            test_files = SB3_TEST_FILES
        else:
            parser.error(f"unknown leg {leg!r}; expected 'lowest', 'newest' or 'sb3'")
        print(f"[{leg}] {python}: {' '.join(p for p in pins if not p.startswith('-'))}", flush=True)
        result = run_leg(leg, python, pins, args.workdir, args.ref, args.wheels, args.timeout, test_files)
        verdict = "PASS" if result.passed else "FAIL"
        print(f"[{leg}] {verdict}: {result.result} ({result.seconds:.0f} s)", flush=True)
        if not result.passed:
            print(result.log, flush=True)
        results.append(result)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
