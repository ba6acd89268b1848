"""Scripted sweeps from one TOML file: several policies, task lists, sets, ranges or severities.

Example::

    db = "sweep.sqlite"        # the store every run writes to
    workers = 2                # optional: local worker processes
    backend = "local"          # optional: local or ray (address = "...")
    report = "sweep_report"    # optional: write a report comparing the runs afterwards

    [defaults]                 # optional: shared by every run
    tasks = "all"
    sets = "all"
    episodes = 10

    [[runs]]
    name = "oracle"
    policy = "oracle"

    [[runs]]
    name = "oracle-mild"
    policy = "oracle"
    [runs.overrides]
    light_color = { severity = 0.5 }
    mo_size = { range = [0.9, 1.1] }

Every run is validated before the first episode starts.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colosseum_lite.eval.runner import Sweep, prepare

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOP_KEYS = {"db", "workers", "backend", "address", "report", "defaults", "runs"}
RUN_KEYS = {"name", "policy", "tasks", "sets", "episodes", "seed", "obs_mode", "control_mode", "overrides",
            "env_kwargs"}


@dataclass(frozen=True, slots=True)
class SweepFile:
    """A parsed, validated sweep file."""

    path: Path
    sweeps: list[Sweep]
    report: Path | None


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(allowed)}")


def load_sweep_file(path: str | Path) -> SweepFile:
    """Parse and validate a sweep file; nothing runs.

    Raises:
        ValueError: unreadable or invalid TOML, unknown keys, missing policies, duplicate run names,
            or any argument :func:`colosseum_lite.eval.runner.prepare` rejects (named per run).
    """
    path = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"sweep file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read sweep file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    _check_keys(data, TOP_KEYS, str(path))
    runs = data.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ValueError(f"{path}: no runs; add at least one [[runs]] table with a policy")
    defaults = data.get("defaults", {})
    _check_keys(defaults, RUN_KEYS - {"name", "policy"}, f"{path} [defaults]")
    db = data.get("db", str(path.with_suffix(".sqlite")))
    names: set[str] = set()
    sweeps = []
    for i, entry in enumerate(runs):
        where = f"{path} [[runs]] #{i + 1}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a table")
        _check_keys(entry, RUN_KEYS, where)
        if "policy" not in entry:
            raise ValueError(f"{where}: missing 'policy' (e.g. policy = \"oracle\")")
        args = {**defaults, **entry}
        name = args.pop("name", None) or args["policy"]
        if name in names:
            raise ValueError(f"{where}: run name {name!r} is used twice; give each run its own name")
        names.add(name)
        try:
            sweeps.append(prepare(run=name, db=db, workers=data.get("workers"),
                                  backend=data.get("backend", "local"), address=data.get("address"), **args))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where} ({name}): {exc}") from None
    report = data.get("report")
    return SweepFile(path, sweeps, Path(report) if report else None)
