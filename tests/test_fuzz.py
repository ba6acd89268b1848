"""Fuzzing the command line and sweep files: every input ends in exit 0 or 2, never a traceback,
and a refused input leaves its folder exactly as it was.

Cases run in-process with the sweep, the report, the gallery and the videos stubbed out, so a
valid case validates everything and then does no work. Problems are collected over every case
and reported together (with the argv or file that caused each) instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colosseum_lite import TASKS, cli, gallery
from colosseum_lite.cameras import CAMERAS
from colosseum_lite.eval import report, runner
from colosseum_lite.eval.runner import SweepResult
from colosseum_lite.eval.store import EpisodeRow, Store, now_iso
from colosseum_lite.eval.sweepfile import tomllib
from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION

ROOT = Path(__file__).resolve().parents[1]
ARGV_CASES = 600
SWEEP_CASES = 600
SETTINGS = settings(derandomize=True, max_examples=ARGV_CASES, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

# ------------------------------------------------------------------------------ values
TASK_NAMES = sorted(TASKS)
SET_NAMES = [NO_PERTURBATION, *AXES, ALL]
JUNK = ["", " ", "\x00", "a\x00b", "\udcff", "\ud800", "x\udce9y", "\n", "a\nb", "\t", "é", "名前", "🤖",
        "x" * 5000, "-", "--", "-1", ",", ",,", "all,all", "None", "null", "true", "0", "../..", "~", "$HOME",
        "%s", "{}", "'", '"', "\\", "\u202e", "\x1b[31m"]
NUMBERS = ["0", "1", "2", "3", "-1", "-0", "2147483647", "2147483648", "-2147483648", "10000", "10001",
           "2000000000", "99999999999999999999999", "1" * 5000, "1e3", "1.5", "nan", "inf", "-inf", "abc", "",
           "0x10", "1_000", " 7", "٣", "1e309", "5e-324"]
# the workspace every case starts in (see _workspace); "ro" is read-only (for non-root users)
PATHS = ["out", "nested/a/b", "adir", "adir/new", "afile", "afile/sub", "ro", "ro/sub", ".", "..", "/",
         "/proc/nope", "/sys/nope", "/nonexistent/deep/x", "x" * 300, "d/" * 600, "\udcff", "a\x00b", "", " ",
         "store.sqlite", "empty.sqlite", "missing.sqlite", "new.sqlite", "sub/new.sqlite", "sweep.toml", "-",
         "~/x"]
POLICIES = ["oracle"] * 8 + ["random"] * 4 + [
    "orcale", "Oracle", " oracle", "oracle ", "", "\x00", "\udcff", "nonexistent_mod:make", "missing.py:make",
    "missing.py", "adir:make", "afile", "model.pt", "pickle:model.pt", "pickle:oracle", "a:b:c", ":make", "mod:",
    "mod:1x", ".rel:make", "colosseum_lite:nope", "colosseum_lite.cli:UsageError", "x" * 300 + ".py:make",
    "x" * 300 + ".pt", "adir/" + "x" * 300 + ".py:make"]
SLOW_POLICIES = ["json:loads", "{policy_file}:make", "{policy_file}:nope", "{policy_file}:broken"]  # build an env

POLICY_FILE = '''
class _Policy:
    def reset(self, seed=None):
        pass

    def act(self, obs):
        return None


def make(env):
    return _Policy()


def broken(env):
    raise RuntimeError("no")
'''


def near_misses(name: str) -> list[str]:
    """Typos of a valid name."""
    return [name[:-1], name + "s", name.upper(), " " + name, name + ",", name.replace("_", "-"),
            name[1:] + name[0], name + "\udcff", name + "\x00"]


def names(valid: list[str]) -> st.SearchStrategy[str]:
    """Valid names, typos, lists of either, junk."""
    one = st.sampled_from(valid)
    typo = one.flatmap(lambda n: st.sampled_from(near_misses(n)))
    listed = st.lists(st.one_of(one, typo), min_size=1, max_size=4).map(",".join)
    return st.one_of(one, one, typo, listed, st.just("all"), st.sampled_from(JUNK), st.text(max_size=12))


def choice(valid: list[str]) -> st.SearchStrategy[str]:
    typo = st.sampled_from(valid).flatmap(lambda n: st.sampled_from(near_misses(n)))
    return st.one_of(st.sampled_from(valid), typo, st.sampled_from(JUNK))


def small_ints(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(low, high).map(str), st.sampled_from(NUMBERS), st.integers().map(str))


PATH = st.one_of(st.sampled_from(PATHS), st.text(max_size=10))
IMAGE = st.one_of(st.sampled_from(["g.png", "g.jpg", "g.JPEG", "g.gif", "g", ".png", "adir", "adir/g.png",
                                   "afile/g.png", "sub/dir/g.png", "/proc/g.png", "\udcff.png", "x" * 300 + ".png",
                                   "a\x00.png"]),
                  PATH.map(lambda p: p + ".png"))
POLICY = st.sampled_from(POLICIES * 3 + SLOW_POLICIES)
RUN = st.one_of(st.sampled_from(["oracle", "r1", "mine"]), st.sampled_from(JUNK), st.text(max_size=8))

FLAGS: dict[str, dict[str, st.SearchStrategy[str] | None]] = {  # None: a switch
    "eval": {
        "--policy": POLICY, "--tasks": names(TASK_NAMES), "--sets": names(SET_NAMES),
        "--episodes": small_ints(1, 3),
        "--seed": small_ints(0, 5), "--workers": small_ints(1, 4), "--backend": choice(["local", "ray"]),
        "--address": st.one_of(st.just("auto"), st.sampled_from(JUNK)), "--run": RUN,
        "--db": st.one_of(st.sampled_from(["results.sqlite", "store.sqlite", "sub/new.sqlite"]), PATH),
        "--obs-mode": choice(["state", "rgb", "rgbd", "rgbd+seg", "pointcloud"]),
        "--control-mode": choice(["ee_delta", "ee_keyframe"]),
        "--video": PATH, "--report": PATH, "--episode-timeout": small_ints(1, 600), "--quiet": None,
        "--max-episode-steps": small_ints(0, 5),
        "--cameras": st.one_of(choice(["front", "front,wrist", "wrist,front"]), st.sampled_from(JUNK)),
        "--image-size": small_ints(8, 64), "--video-episodes": small_ints(0, 3), "--batch-size": small_ints(0, 9),
        "--device": st.one_of(choice(["cpu", "cuda", "mps"]), st.sampled_from(JUNK)), "--keep-going": None,
        "--env-kwarg": st.one_of(choice(["reward_mode=dense", "reward_mode=bogus", "low_poly=false",
                                         "image_size=32", "task=x", "noequals", "=1"]), st.sampled_from(JUNK)),
        "--override": st.one_of(choice(["mo_size.range=[0.8,1.2]", "light_color.severity=0.5",
                                        "mo_size.bogus=1", "nope.range=[1,2]", "mo_size", "mo_size.range=["]),
                                st.sampled_from(JUNK)),
    },
    "report": {"--out": PATH, "--run": RUN, "--compare": st.lists(RUN, min_size=1, max_size=4).map(" ".join),
               "--no-frames": None},
    "sweep": {"--quiet": None},
    "gallery": {"--out": IMAGE, "--seed": small_ints(0, 5), "--camera": choice(list(CAMERAS)),
                "--size": small_ints(16, 64)},
    "list": {},
}
POSITIONAL = {"report": [st.one_of(st.just("store.sqlite"), st.just("store.sqlite"), PATH)], "sweep": [PATH],
              "gallery": [names(TASK_NAMES)]}
PLAUSIBLE = {"eval": {"--tasks": "close_box", "--episodes": "1"}}  # most valid cases stay small


def rarely(draw: st.DrawFn) -> bool:
    """True about one time in twelve."""
    return draw(st.sampled_from([True] + [False] * 11))


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A command line: a real subcommand, some of its flags with drawn values, sometimes junk."""
    command = draw(st.sampled_from(["eval"] * 4 + ["report"] * 2 + ["gallery"] * 2 + ["sweep", "list"]))
    flags = FLAGS[command]
    argv = [command]
    for value in POSITIONAL.get(command, []):
        if not rarely(draw):
            argv.append(draw(value))
    chosen = draw(st.lists(st.sampled_from(sorted(flags)), max_size=6)) if flags else []
    for flag, default in PLAUSIBLE.get(command, {}).items():
        if flag not in chosen and draw(st.booleans()):
            argv += [flag, default]
    for flag in chosen:
        strategy = flags[flag]
        if strategy is None or rarely(draw):  # a switch, or a flag without its value
            argv.append(flag)
        elif flag == "--compare":
            argv += [flag, *draw(strategy).split(" ")]
        else:
            value = draw(strategy)
            argv += [f"{flag}={value}"] if draw(st.booleans()) else [flag, value]  # "=": values such as "-x"
    if command in ("report", "gallery") and "--out" not in chosen and not rarely(draw):
        argv += ["--out", draw(flags["--out"])]
    if rarely(draw):
        extra = draw(st.sampled_from(["--help", "-x", "--bogus", "\udcff", "--"]))
        argv.insert(draw(st.integers(0, len(argv))), extra)
    return argv


# ------------------------------------------------------------------------------ sweep files
def toml_string(text: str) -> str:
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 32 or ord(c) == 127:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """TOML text of a value (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in data.items())


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
SCALAR = st.one_of(TEXT, st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(), st.dates(),
                   st.sampled_from(["oracle", "close_box", "all", "state", "local", "mo_size", ""]))
NESTED = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)
TOML_POLICIES = [p for p in POLICIES + SLOW_POLICIES if "\udcff" not in p]


def plausible(*values: Any) -> st.SearchStrategy[Any]:
    """One of ``values``: mostly valid ones (listed first), some wrong in kind or range."""
    return st.sampled_from(values)


def listed_names(valid: list[str]) -> st.SearchStrategy[Any]:
    some = st.sampled_from(valid + near_misses(valid[0])[:4])
    return st.one_of(some, st.lists(some, max_size=3), plausible("all", "", "close_box,open_drawer"))


SETTING = st.fixed_dictionaries({}, optional={
    "range": plausible([0.8, 1.2], [1, 1], [0, 1], [1.2, 0.8], [1], [1, 2, 3], ["a", "b"], [0.5, math.inf]),
    "ranges": plausible({"block": [0.1, 0.5]}, {"nope": [1, 2]}, {"block": [2, 1]}, {"block": 1}, {}),
    "severity": plausible(0.5, 0, 1, 1.5, -0.1, math.nan), "targets": plausible(["block"], ["nope"], [], "block"),
    "choices": plausible(["red"], ["nope"], [], ["red", "red"]), "same": plausible(True, False, 1),
    "count": plausible(1, 2, 0, -1, 10**6, 2.5), "rnage": plausible([0.8, 1.2]),
})
RUN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "name": plausible("a", "b", "oracle", "random", "x" * 300, "a\nb", " ", ""),
    "tasks": listed_names(TASK_NAMES), "sets": listed_names(SET_NAMES),
    "episodes": plausible(1, 2, 3, 0, -1, 10000, 10001, 2**62),
    "seed": plausible(0, 3, 2**31 - 2, -1, 2**31 - 1, 2**31),
    "obs_mode": plausible("state", "rgb", "rgbd", "pixels"),
    "control_mode": plausible("ee_keyframe", "ee_delta", "x"),
    "episode_timeout": plausible(600, 0.5, 604800, 0, -1, math.nan, math.inf, 1e-300, 604801),
    "overrides": st.dictionaries(st.sampled_from([*AXES, "mo_colour", ""]), SETTING, max_size=3),
    "env_kwargs": st.fixed_dictionaries({}, optional={
        "image_size": plausible(64, 0, -1, 100000, 2**40), "cameras": plausible(["front"], ["front", "wrist"], [],
                                                                                 ["nope"], "front", [1]),
        "max_episode_steps": plausible(5, 0, -1, 10**12), "render_mode": plausible("rgb_array", "human", "nope"),
        "obs_mode": plausible("state"), "foo": NESTED,
    }),
}
TOP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "db": plausible("s.sqlite", "sub/s.sqlite", "store.sqlite", "adir", "afile", "afile/s.sqlite",
                    "/proc/x.sqlite", "empty.sqlite", "", "a\x00b"),
    "workers": plausible(1, 2, 0, -1, 1000, 2**40), "backend": plausible("local", "ray", "Local", ""),
    "address": plausible("auto", ""),
    "report": plausible("rep", "sub/rep", "adir", "afile", "afile/sub", "/proc/rep", "x" * 300, ""),
    "defaults": st.fixed_dictionaries({}, optional={k: v for k, v in RUN_VALUES.items() if k != "name"}),
}
RUN_TABLE = st.fixed_dictionaries({"policy": st.sampled_from(TOML_POLICIES)}, optional=RUN_VALUES)
DOCUMENT = st.fixed_dictionaries({"runs": st.lists(RUN_TABLE, min_size=1, max_size=3)}, optional=TOP_VALUES)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A sweep file's data, plausible throughout or with one thing broken: a value of the wrong
    type, an unknown key, a missing policy, or no runs."""
    data = draw(DOCUMENT)
    damage = draw(st.sampled_from(["none"] * 4 + ["top", "run", "defaults", "key", "policy", "runs"]))
    runs = data["runs"]
    run = runs[draw(st.integers(0, len(runs) - 1))]
    if damage == "top":
        data[draw(st.sampled_from(sorted(TOP_VALUES)))] = draw(NESTED)
    elif damage == "run":
        run[draw(st.sampled_from([*RUN_VALUES, "policy"]))] = draw(NESTED)
    elif damage == "defaults":
        keys = st.sampled_from([*RUN_VALUES, "policy"])
        data["defaults"] = draw(st.one_of(NESTED, st.dictionaries(keys, NESTED)))
    elif damage == "key":
        where = draw(st.sampled_from([data, run, data.setdefault("defaults", {})]))
        where[draw(st.sampled_from(["wrkers", "episodez", "db", "", "runs.x", "policy "]))] = draw(SCALAR)
    elif damage == "policy":
        run.pop("policy")
    elif damage == "runs":
        data["runs"] = draw(st.one_of(NESTED, st.just([])))
    return data


@st.composite
def sweep_files(draw: st.DrawFn) -> bytes:
    """A sweep file: mostly TOML of drawn keys and values, sometimes broken text or bytes."""
    kind = draw(st.sampled_from(["toml"] * 7 + ["cut", "text", "bytes"]))
    if kind == "toml":
        return toml_document(draw(documents())).encode()
    if kind == "cut":  # a valid document cut or spliced somewhere
        text = toml_document(draw(documents())).encode()
        i = draw(st.integers(0, len(text)))
        return text[:i] + draw(st.sampled_from([b"", b"[", b"]]", b"\xff", b"=", b"\n[[runs]]\n", b'"']))
    if kind == "text":
        return draw(st.text(max_size=60)).encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=60))


# ------------------------------------------------------------------------------ running a case
@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> dict[str, Path]:
    """A results store to copy into each workspace and a policy file outside of them."""
    root = tmp_path_factory.mktemp("fuzz_fixtures")
    with Store(root / "store.sqlite") as store:
        store.start_run("oracle", {"policy": "oracle", "version": "0"})
        store.add(EpisodeRow("oracle", "oracle", "0", "close_box", NO_PERTURBATION, 0, 0, "{}", True, 10, 1.0, 0.1,
                             None, now_iso()))
    (root / "policy.py").write_text(POLICY_FILE)
    return {"store": root / "store.sqlite", "policy": root / "policy.py"}


@contextlib.contextmanager
def _workspace(fixtures: dict[str, Path]):
    """A fresh folder as the working directory, holding a few things to trip over."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        root = Path(tmp)
        (root / "afile").write_text("not a folder\n")
        (root / "adir").mkdir()
        (root / "ro").mkdir(mode=0o555)
        (root / "empty.sqlite").write_bytes(b"")
        shutil.copyfile(fixtures["store"], root / "store.sqlite")
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(old)
            (root / "ro").chmod(0o755)


def _listing(root: Path) -> list[tuple[str, int, int]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            stat = path.lstat()
            out.append((str(path.relative_to(root)), stat.st_size if path.is_file() else -1,
                        stat.st_mtime_ns if path.is_file() else 0))
    return sorted(out)


@contextlib.contextmanager
def _stubs():
    """No sweep, report, gallery or video does any work; the report stub still validates its runs."""
    calls: list[str] = []

    def execute(sweep, progress=True):
        calls.append("execute")
        return SweepResult(sweep.config.run, sweep.db, [], 0)

    def write_report(db, out, run=None, compare=None, frames=True):
        if "execute" not in calls:  # the report command: the real checks of the store and its runs
            report._load(Path(db), run, compare)
        return Path(out) / "report.html"

    def save_gallery(task, out, seed=0, camera="front", size=224, cols=4):
        gallery.check_gallery(task, seed, camera, size, cols)
        return Path(out)

    with mock.patch.object(runner, "execute", execute), mock.patch.object(report, "write_report", write_report), \
            mock.patch.object(gallery, "save_gallery", save_gallery), \
            mock.patch.object(cli, "_recorded_episode", lambda *args: None):
        yield


def _strict_stream() -> io.TextIOWrapper:
    """A stream that refuses what a UTF-8 terminal cannot show (lone surrogates)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)


def _read(stream: io.TextIOWrapper) -> str:
    return stream.buffer.getvalue().decode("utf-8")


def _short(argv: list[str]) -> str:
    """The argv as Python text, long values shortened."""
    return repr([a if len(a) <= 40 else f"{a[:20]}...({len(a)} characters)" for a in argv])


def _where(exc: BaseException) -> str:
    """The innermost line of the project's code an exception passed, and the line that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/tests/" not in f.filename]
    places = [f"{Path(f.filename).relative_to(ROOT)}:{f.lineno}" for f in ours[-1:]]
    if not ours or frames[-1] is not ours[-1]:
        places.append(f"{Path(frames[-1].filename).name}:{frames[-1].lineno}")
    return ", ".join(places)


Problem = tuple[str, str]  # (what kind, for grouping; the case in full)


def run_case(argv: list[str], root: Path) -> Problem | None:
    """Run ``main(argv)`` in ``root``; what went wrong, or None."""
    before = _listing(root)
    out, err = _strict_stream(), _strict_stream()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:  # noqa: B036 - an escaped exception is exactly what this looks for
        kind = f"traceback: {type(exc).__name__} at {_where(exc)}"
        return kind, f"{_short(argv)}: {type(exc).__name__}: {str(exc)[:200]}"
    text = _read(err)
    if code not in (0, 2, None):
        return f"exit code {code}", f"{_short(argv)}: {text[-300:]}"
    if code == 2:
        lines = [line for line in text.splitlines() if not line.startswith("colosseum-lite: note: ")]
        usage = bool(lines) and lines[0].startswith("usage:") and ": error: " in lines[-1]
        if not usage and not (len(lines) == 1 and lines[0].startswith("colosseum-lite: error: ")):
            return "not one error line", f"{_short(argv)}: {text[:300]!r}"
        after = _listing(root)
        if after != before:
            changed = sorted({name for name, *_ in set(after) ^ set(before)})
            return f"partial work: {changed[:4]}", f"{_short(argv)}: {lines[-1][:200]}"
    return None


def _fuzz(strategy: st.SearchStrategy, examples: int, case: Callable[[Any], Problem | None]) -> tuple[int, str]:
    """Run ``case`` on ``examples`` drawn values; the number run and every problem, grouped."""
    count, groups = 0, {}

    @settings(SETTINGS, max_examples=examples)
    @given(strategy)
    def each(value):
        nonlocal count
        count += 1
        problem = case(value)
        if problem is not None:
            groups.setdefault(problem[0], []).append(problem[1])

    each()
    return count, "\n".join(f"{len(cases)} x {kind}\n    e.g. {cases[0]}" for kind, cases in groups.items())


def _count(report_text: str, what: str) -> int:
    return sum(int(line.split(" x ")[0]) for line in report_text.splitlines()
               if " x " in line and not line.startswith(" ") and what in line)


def test_fuzz_argv(fixtures):
    def case(argv: list[str]) -> Problem | None:
        argv = [a.replace("{policy_file}", str(fixtures["policy"])) for a in argv]
        with _workspace(fixtures) as root, _stubs():
            return run_case(argv, root)

    count, problems = _fuzz(argvs(), ARGV_CASES, case)
    print(f"fuzz argv: {count} cases, {_count(problems, 'traceback')} tracebacks, "
          f"{_count(problems, '')} problems in all")
    assert count >= 200
    assert not problems, problems


def test_fuzz_sweep_files(fixtures):
    def case(document: bytes) -> Problem | None:
        document = document.replace(b"{policy_file}", str(fixtures["policy"]).encode())
        with _workspace(fixtures) as root, _stubs():
            (root / "sweep.toml").write_bytes(document)
            problem = run_case(["sweep", "sweep.toml", "--quiet"], root)
        return None if problem is None else (problem[0], f"{problem[1]}\n    sweep.toml: {document[:300]!r}")

    count, problems = _fuzz(sweep_files(), SWEEP_CASES, case)
    print(f"fuzz sweep files: {count} cases, {_count(problems, 'traceback')} tracebacks, "
          f"{_count(problems, '')} problems in all")
    assert count >= 200
    assert not problems, problems


def test_the_toml_writer_round_trips():
    data = {"a b": [1, 2.5, math.inf, "x\"\\\n\x7f", True, date(2020, 1, 2)], "t": {"": {"k": []}}, "n": -3}
    assert tomllib.loads(toml_document(data)) == data
    assert json.dumps(data, default=str)  # plain data
