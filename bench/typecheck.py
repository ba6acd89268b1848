"""Type-check the package with mypy, laid out as installed.

pyproject.toml maps ``colosseum_lite.tasks``, ``.perturbations`` and ``.policies`` to the top-level
folders ``tasks/``, ``perturbations/`` and ``policies/`` (``[tool.setuptools.package-dir]``). mypy
knows no such mapping, and the editable install's import hook is invisible to it, so this script
builds the installed layout as a tree of symlinks under ``build/typecheck/`` (the working tree's
files, not a copy: uncommitted edits are checked) and runs ``mypy -p colosseum_lite`` there with
the ``[tool.mypy]`` settings of pyproject.toml. mypy's paths are rewritten back to the repository's
(``colosseum_lite/tasks/base.py`` -> ``tasks/base.py``). Exits with mypy's status.

Run::

    python bench/typecheck.py            # extra arguments go to mypy, e.g. --no-incremental
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ROOT / "build" / "typecheck"
PACKAGE = "colosseum_lite"


def package_dirs(pyproject: Path) -> dict[str, Path]:
    """Each package's source folder, from ``[tool.setuptools.package-dir]``."""
    config = tomllib.loads(pyproject.read_text())
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in mapping.items()}


def build_layout(dirs: dict[str, Path], layout: Path) -> dict[str, str]:
    """Symlink the sources where they are installed; return the layout's path prefixes -> the repository's."""
    (root,) = (name for name in dirs if "." not in name)
    package = layout / root
    if package.exists():
        shutil.rmtree(package)
    package.mkdir(parents=True)
    prefixes = {f"{root}/": f"{dirs[root].relative_to(ROOT).as_posix()}/"}
    for entry in dirs[root].iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in dirs.items():
        if name != root:
            sub = name.removeprefix(f"{root}.").replace(".", "/")
            (package / sub).symlink_to(folder, target_is_directory=True)
            prefixes[f"{root}/{sub}/"] = f"{folder.relative_to(ROOT).as_posix()}/"
    return prefixes


def repo_paths(line: str, prefixes: dict[str, str]) -> str:
    """Rewrite the layout's paths in one line of mypy's output to the repository's."""
    for src, dst in sorted(prefixes.items(), key=lambda kv: -len(kv[0])):
        if src != dst:
            line = re.sub(rf"(?<![\w/]){re.escape(src)}", dst, line)
    return line


def main(argv: list[str]) -> int:
    """Build the layout, run mypy on it and print its report in the repository's paths."""
    prefixes = build_layout(package_dirs(ROOT / "pyproject.toml"), LAYOUT)
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
           "--cache-dir", str(LAYOUT / ".mypy_cache"), "-p", PACKAGE, *argv]
    env = {**os.environ, "MYPYPATH": str(LAYOUT)}
    proc = subprocess.run(cmd, cwd=LAYOUT, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        print(repo_paths(line, prefixes))
    sys.stderr.write(proc.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
