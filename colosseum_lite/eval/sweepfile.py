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

The keys are the fields of :class:`~colosseum_lite.eval.spec.SweepSpec`, each where its
:class:`~colosseum_lite.eval.spec.Key` puts it: ``db``, ``workers``, ``backend`` and ``address`` at
the top (one store and one backend for every run), the rest (``name`` is the run's name) in a
``[[runs]]`` table or ``[defaults]``. A run's keys take the spec's defaults: ``obs_mode = "rgb"``
(the protocol's observation; ``"state"`` cannot see the visual axes, reported "not observed") and
``seed = 1000`` (held out from seeds 0-49, on which the tests tune and check the oracle); ``db``
defaults to the sweep file's path with ``.sqlite``.

Every key's type is checked first (an error names the key and the type it takes), then every
run's spec is built and checked by :func:`colosseum_lite.eval.runner.prepare_sweep` before the first
episode starts.
Nothing is created while loading: every run writes to the one ``db``, made when the first runs.
"""

from __future__ import annotations

import json
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colosseum_lite.eval.runner import Sweep, prepare_sweep
from colosseum_lite.eval.spec import (
    BOOLEAN,
    INTEGER,
    NAME,
    NUMBER,
    STRING_LIST,
    TABLE,
    Check,
    Scope,
    SweepSpec,
    spec_fields,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(NUMBER[1](x) for x in v)


FIELD_OF_KEY = {f.metadata["key"].name or f.name: f.name for f in spec_fields()}  # sweep-file key -> field
_KEYS = {f.metadata["key"].name or f.name: f.metadata["key"] for f in spec_fields()}
TOP_TYPES: dict[str, Check] = {
    **{name: key.check for name, key in _KEYS.items() if key.scope is Scope.TOP},
    "report": NAME, "defaults": TABLE,
    "runs": ("an array of tables ([[runs]])",
             lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v)),
}
RUN_TYPES: dict[str, Check] = {name: key.check for name, key in _KEYS.items() if key.scope is Scope.RUN}
TOP_SPEC_KEYS = set(TOP_TYPES) & set(FIELD_OF_KEY)  # the top-level keys that are spec fields: db, workers...
SETTING_TYPES: dict[str, Check] = {
    "range": ("an array of 2 numbers [low, high]", _pair),
    "ranges": ("a table of [low, high] arrays", lambda v: isinstance(v, dict) and all(map(_pair, v.values()))),
    "severity": NUMBER, "targets": STRING_LIST, "choices": STRING_LIST, "same": BOOLEAN, "count": INTEGER,
}
MAX_FILE_BYTES = 1 << 20  # a sweep file is a page of settings; more is the wrong file


@dataclass(frozen=True, slots=True)
class SweepFile:
    """A parsed, validated sweep file."""

    path: Path
    sweeps: list[Sweep]
    report: Path | None


def _show(value: Any) -> str:
    """A value as the TOML reader gave it, shortened for a message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, (list, dict)):
        kind = "an array" if isinstance(value, list) else "a table"
        text = f"{kind} {json.dumps(value, default=str, ensure_ascii=False)}"
    else:
        text = f"a {type(value).__name__} {value}"
    return text if len(text) <= 60 else text[:57] + "..."


def _check_table(table: dict, types: dict[str, Check], where: str, prefix: str = "") -> None:
    """Refuse unknown keys, then any value of the wrong type, naming the key."""
    unknown = sorted(set(table) - set(types))
    if unknown:
        hint = "; 'db' is a top-level key (every run writes to the same store)" if "db" in unknown else ""
        raise ValueError(f"{where}: unknown key(s) {[prefix + k for k in unknown]}; expected some of "
                         f"{sorted(types)}{hint}")
    for key, (expected, ok) in types.items():
        if key in table and not ok(table[key]):
            raise ValueError(f"{where}: '{prefix}{key}' must be {expected}, got {_show(table[key])}")


def _check_run(table: dict, where: str) -> None:
    """Types of a run's (or the defaults') keys, down to each axis setting."""
    _check_table(table, RUN_TYPES, where)
    for axis, setting in table.get("overrides", {}).items():
        known = {k: v for k, v in setting.items() if k in SETTING_TYPES}  # prepare names unknown settings
        _check_table(known, SETTING_TYPES, where, prefix=f"overrides.{axis}.")


def _read(path: Path) -> dict[str, Any]:
    """The TOML data of a sweep file; any failure is a ValueError naming the file."""
    try:
        info = path.stat()
        regular = stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES
        data = path.read_bytes() if regular else None
    except FileNotFoundError:
        raise ValueError(f"sweep file {path} does not exist") from None
    except OSError as exc:
        raise ValueError(f"cannot read sweep file {path} ({exc.strerror or exc})") from None
    except ValueError as exc:  # a path the OS cannot take (a NUL byte, an unencodable name)
        raise ValueError(f"cannot read sweep file {path!r} ({exc}); pass a plain path") from None
    if data is None:
        what = "is a directory" if stat.S_ISDIR(info.st_mode) else "is not a regular file" \
            if not stat.S_ISREG(info.st_mode) else f"is {info.st_size} bytes (at most {MAX_FILE_BYTES})"
        raise ValueError(f"sweep file {path} {what}; pass a .toml file")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"sweep file {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path} nests arrays or tables too deeply to be a sweep file") from None


def load_sweep_file(path: str | Path) -> SweepFile:
    """Parse and validate a sweep file; nothing runs and nothing is created.

    Raises:
        ValueError: unreadable or invalid TOML, unknown keys, a value of the wrong type, missing
            policies, duplicate run names, or any argument
            :func:`colosseum_lite.eval.runner.prepare` rejects (named per run).
    """
    path = Path(path)
    data = _read(path)
    _check_table(data, TOP_TYPES, str(path))
    runs = data.get("runs")
    if not runs:
        raise ValueError(f"{path}: no runs; add at least one [[runs]] table with a policy")
    defaults = data.get("defaults", {})
    for key in ("name", "policy"):
        if key in defaults:
            raise ValueError(f"{path} [defaults]: '{key}' belongs in each [[runs]] table, not in [defaults]")
    _check_run(defaults, f"{path} [defaults]")
    top = {"db": str(path.with_suffix(".sqlite")), **{k: v for k, v in data.items() if k in TOP_SPEC_KEYS}}
    names: set[str] = set()
    sweeps = []
    for i, entry in enumerate(runs):
        where = f"{path} [[runs]] #{i + 1}"
        if "policy" not in entry:
            raise ValueError(f"{where}: missing 'policy' (e.g. policy = \"oracle\")")
        _check_table({k: entry[k] for k in ("name", "policy") if k in entry}, RUN_TYPES, where)
        name = entry.get("name", entry["policy"])
        where = f"{where} ({name})"
        _check_run(entry, where)
        if name in names:
            raise ValueError(f"{where}: run name {name!r} is used twice; give each run its own name")
        names.add(name)
        given = {**top, **defaults, **entry}  # no name: the run is named after its policy
        try:
            sweeps.append(prepare_sweep(SweepSpec(**{FIELD_OF_KEY[k]: v for k, v in given.items()})))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    report = data.get("report")
    return SweepFile(path, sweeps, None if report is None else Path(report))
