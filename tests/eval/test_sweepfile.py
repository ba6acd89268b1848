"""Sweep files: valid ones become prepared sweeps, invalid ones fail with a message naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from colosseum_lite.cli import main
from colosseum_lite.eval import runner
from colosseum_lite.eval.runner import SweepResult
from colosseum_lite.eval.store import Store
from colosseum_lite.eval.sweepfile import load_sweep_file
from tests.test_cli import assert_clean_failure, listing

VALID = """
db = "{db}"
workers = 2

[defaults]
tasks = "slide_block_to_target"
sets = "mo_color,light_color"
episodes = 2
obs_mode = "state"  # fast; both visual sets then show as not observed

[[runs]]
name = "oracle"
policy = "oracle"

[[runs]]
name = "oracle-dim"
policy = "oracle"
episodes = 1
[runs.overrides]
light_color = {{ severity = 0.5 }}
"""

ORACLE = ("[[runs]]\nname = 'oracle'\npolicy = 'oracle'\ntasks = 'close_box'\nsets = 'no_perturbation'\n"
          "episodes = 1\n")


@pytest.fixture
def stub_execute(monkeypatch):
    """``execute`` replaced by a recorder that runs nothing."""
    calls = []

    def execute(sweep, progress=True):
        calls.append(sweep)
        return SweepResult(sweep.config.run, sweep.db, [], 0)

    monkeypatch.setattr(runner, "execute", execute)
    return calls


def test_a_valid_file_becomes_prepared_sweeps(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(VALID.format(db=tmp_path / "s.sqlite"))
    sf = load_sweep_file(path)
    assert [s.config.run for s in sf.sweeps] == ["oracle", "oracle-dim"]
    first, second = sf.sweeps
    assert len(first.items) == 2 * 3 and len(second.items) == 1 * 3
    assert second.config.overrides == {"light_color": {"severity": 0.5}}
    assert first.workers == 2 and sf.report is None
    assert {s.db for s in sf.sweeps} == {str(tmp_path / "s.sqlite")}  # every run writes to one store
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]  # loading creates nothing


def test_runs_default_to_rgb_on_held_out_seeds(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f"db = '{tmp_path / 's.sqlite'}'\n{ORACLE}")
    (sweep,) = load_sweep_file(path).sweeps
    assert (sweep.config.obs_mode, sweep.run_config["image_size"], sweep.run_config["seed"]) == ("rgb", 128, 1000)
    assert [it.seed for it in sweep.items] == [1000]


def test_episode_timeout_reaches_the_sweep(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f"db = '{tmp_path / 's.sqlite'}'\n[defaults]\nepisode_timeout = 60\n{ORACLE}"
                    "[[runs]]\nname = 'b'\npolicy = 'oracle'\ntasks = 'close_box'\nepisode_timeout = 2.5\n")
    assert [s.episode_timeout_s for s in load_sweep_file(path).sweeps] == [60.0, 2.5]


def test_runner_options_reach_the_sweep(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f"db = '{tmp_path / 's.sqlite'}'\n[defaults]\nkeep_going = true\n{ORACLE}"
                    "[[runs]]\nname = 'b'\npolicy = 'oracle'\ntasks = 'close_box'\nkeep_going = false\n"
                    "device = 'cuda'\nbatch_size = 3\n")
    first, second = load_sweep_file(path).sweeps
    assert (first.keep_going, first.config.device, first.config.batch_size) == (True, "cpu", 1)
    assert (second.keep_going, second.config.device) == (False, "cuda")
    assert any("batch_size 3 is unused" in note for note in second.notes)  # the oracle acts one at a time


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[runs]]\npolicy = 'oracle'\nepisodez = 3\n", "unknown key(s) ['episodez']"),
        ("[[runs]]\nname = 'x'\n", "missing 'policy'"),
        ("[[runs]]\npolicy = 'oracle'\n[[runs]]\npolicy = 'oracle'\n", "run name 'oracle' is used twice"),
        ("db = 'x.sqlite'\n", "no runs"),
        ("[[runs]\npolicy = 'oracle'\n", "is not valid TOML"),
        ("[[runs]]\npolicy = 'oracle'\ntasks = 'close_bx'\n", "unknown task(s) ['close_bx']"),
        ("[[runs]]\npolicy = 'oracle'\nsets = 'mo_size'\n[runs.overrides]\nmo_size = { range = [2, 1] }\n",
         "low <= high"),
        ("wrkers = 2\n[[runs]]\npolicy = 'oracle'\n", "unknown key(s) ['wrkers']"),
        ("[[runs]]\npolicy = 'oracle'\ndb = 'other.sqlite'\n", "'db' is a top-level key"),
        ("[defaults]\npolicy = 'oracle'\n[[runs]]\nname = 'a'\n", "'policy' belongs in each [[runs]] table"),
        ("runs = []\n", "no runs"),
        ("[[runs]]\npolicy = 'oracle'\nname = 'x' \n[[runs]]\npolicy = 'random'\nname = 'x'\n", "used twice"),
        ("[[runs]]\npolicy = 'oracle'\nepisodes = 20000\n", "episodes must be in [1, 10000]"),
        ("[[runs]]\npolicy = 'oracle'\nseed = -1\n", "seed must be in [0, "),
        ("[[runs]]\npolicy = 'oracle'\nepisode_timeout = -1\n", "episode_timeout must be"),
        ("runs = " + "[" * 3000 + "]" * 3000 + "\n", "too deeply"),
    ],
)
def test_invalid_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(f"db = '{tmp_path / 'b.sqlite'}'\n" + text if not text.startswith("db") else text)
    with pytest.raises(ValueError) as err:
        load_sweep_file(path)
    assert message in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


TYPE_ERRORS = [
    # (top-level lines, second run's lines, message)
    ("db = 5", "", "'db' must be a non-empty string, got 5"),
    ("workers = 0", "", "'workers' must be an integer >= 1, got 0"),
    ("workers = true", "", "'workers' must be an integer >= 1, got true"),
    ("workers = 2.0", "", "'workers' must be an integer >= 1, got 2.0"),
    ("backend = 1", "", "'backend' must be a string, got 1"),
    ("address = []", "", "'address' must be a string, got an array []"),
    ("report = 3", "", "'report' must be a non-empty string, got 3"),
    ("defaults = 1", "", "'defaults' must be a table, got 1"),
    ("[defaults]\nepisodes = 'ten'", "", "[defaults]: 'episodes' must be an integer, got \"ten\""),
    ("", "name = ''", "'name' must be a non-empty string, got \"\""),
    ("", "name = 3", "'name' must be a non-empty string, got 3"),
    ("", "episodes = 'ten'", "[[runs]] #2 (second): 'episodes' must be an integer, got \"ten\""),
    ("", "episodes = 2.5", "'episodes' must be an integer, got 2.5"),
    ("", "episodes = true", "'episodes' must be an integer, got true"),
    ("", "seed = 1.0", "'seed' must be an integer, got 1.0"),
    ("", "tasks = 3", "'tasks' must be a string or an array of strings, got 3"),
    ("", "tasks = ['close_box', 1]", "'tasks' must be a string or an array of strings"),
    ("", "sets = {}", "'sets' must be a string or an array of strings, got a table {}"),
    ("", "obs_mode = 1", "'obs_mode' must be a string, got 1"),
    ("", "control_mode = ['ee_delta']", "'control_mode' must be a string"),
    ("", "episode_timeout = '60'", "'episode_timeout' must be a number, got \"60\""),
    ("", "episode_timeout = false", "'episode_timeout' must be a number, got false"),
    ("", "overrides = 1", "'overrides' must be a table of axis tables, got 1"),
    ("", "overrides = { mo_size = 1.1 }", "'overrides' must be a table of axis tables"),
    ("", "overrides = { mo_size = { range = [1] } }", "'overrides.mo_size.range' must be an array of 2 numbers"),
    ("", "overrides = { mo_size = { range = [1, 'a'] } }", "'overrides.mo_size.range' must be"),
    ("", "overrides = { mo_mass = { ranges = { a = 1 } } }", "'overrides.mo_mass.ranges' must be a table of"),
    ("", "overrides = { light_color = { severity = '0.5' } }", "'overrides.light_color.severity' must be a"),
    ("", "overrides = { mo_color = { targets = 'block' } }", "'overrides.mo_color.targets' must be an array of"),
    ("", "overrides = { mo_color = { choices = [1] } }", "'overrides.mo_color.choices' must be an array of"),
    ("", "overrides = { mo_size = { same = 1 } }", "'overrides.mo_size.same' must be true or false, got 1"),
    ("", "overrides = { distractor = { count = 1.5 } }", "'overrides.distractor.count' must be an integer"),
    ("", "env_kwargs = 'big'", "'env_kwargs' must be a table, got \"big\""),
    ("", "when = 1979-05-27", "unknown key(s) ['when']"),
    ("", "seed = 1979-05-27", "'seed' must be an integer, got a date 1979-05-27"),
    ("", "keep_going = 'yes'", "'keep_going' must be true or false, got \"yes\""),
    ("", "device = ''", "'device' must be a non-empty string"),
    ("", "batch_size = 2.0", "'batch_size' must be an integer, got 2.0"),
]


@pytest.mark.parametrize(("top", "run", "message"), TYPE_ERRORS,
                         ids=[f"{m.split(chr(39))[1]}-{i}" for i, (_, _, m) in enumerate(TYPE_ERRORS)])
def test_every_key_has_its_type_checked_first(tmp_path, top, run, message):
    path = tmp_path / "sweep.toml"
    lines = [f"db = '{tmp_path / 's.sqlite'}'"] if not top.startswith("db") else []
    path.write_text("\n".join([*lines, top, ORACLE, "[[runs]]", "name = 'second'" if "name" not in run else "",
                               "policy = 'oracle'", run, ""]))
    with pytest.raises(ValueError) as err:
        load_sweep_file(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))


def test_unreadable_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_sweep_file(tmp_path / "nope.toml")
    with pytest.raises(ValueError, match="is a directory"):
        load_sweep_file(tmp_path)
    with pytest.raises(ValueError, match="not a regular file"):
        load_sweep_file("/dev/zero")  # would never end
    (tmp_path / "latin1.toml").write_bytes(b"[[runs]]\npolicy = '\xe9'\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_sweep_file(tmp_path / "latin1.toml")
    with pytest.raises(ValueError, match="plain path"):
        load_sweep_file("a\x00.toml")


def test_sweep_command_runs_every_run(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(VALID.format(db=tmp_path / "s.sqlite"))
    assert main(["sweep", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "== run oracle ==" in out and "== run oracle-dim ==" in out
    assert out.count("which cannot see mo_color, light_color: these axes change only camera images") == 2
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2


def _sweep_fails(tmp_path: Path, capsys, text: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(text)
    before = listing(tmp_path)
    code = main(["sweep", str(path), "--quiet"])
    err = capsys.readouterr().err
    assert_clean_failure(code, err, tmp_path, before)
    return err


def test_the_report_folder_is_checked_before_any_run(tmp_path, capsys, stub_execute, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("")
    err = _sweep_fails(tmp_path, capsys, f"report = 'taken/rep'\n{ORACLE}")
    assert "report directory taken/rep" in err and "taken is a file" in err
    assert stub_execute == []


def test_a_type_error_is_one_line_from_the_command(tmp_path, capsys, stub_execute, monkeypatch):
    monkeypatch.chdir(tmp_path)
    second = "[[runs]]\nname = 'oracle2'\npolicy = 'oracle'\nepisodes = 'ten'\n"
    err = _sweep_fails(tmp_path, capsys, ORACLE + second)
    assert "s.toml [[runs]] #2 (oracle2): 'episodes' must be an integer, got \"ten\"" in err
    assert stub_execute == []


def test_a_run_name_holding_another_configuration_is_refused(tmp_path, capsys, stub_execute, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Store(tmp_path / "s.sqlite") as store:
        store.start_run("oracle", {"policy": "oracle", "version": "0", "episodes": 7})
    err = _sweep_fails(tmp_path, capsys, f"db = 's.sqlite'\n{ORACLE}")
    assert "run 'oracle'" in err and "another configuration" in err
    assert stub_execute == []


def test_the_sweep_command_prints_notes_first(tmp_path, capsys, stub_execute, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(f"workers = 1000\n{ORACLE}{ORACLE.replace('oracle', 'b', 1)}")
    assert main(["sweep", "s.toml", "--quiet"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "colosseum-lite: note: 1000 workers capped at 1 (the number of episodes)"
    assert err[1].startswith("run 'oracle'") and len(stub_execute) == 2
