"""Sweep files: valid ones become prepared sweeps, invalid ones fail with a message naming the fix."""

from __future__ import annotations

import pytest

from colosseum_lite.cli import main
from colosseum_lite.eval.sweepfile import load_sweep_file

VALID = """
db = "{db}"
workers = 2

[defaults]
tasks = "slide_block_to_target"
sets = "mo_color,light_color"
episodes = 2

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


def test_a_valid_file_becomes_prepared_sweeps(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(VALID.format(db=tmp_path / "s.sqlite"))
    sf = load_sweep_file(path)
    assert [s.config.run for s in sf.sweeps] == ["oracle", "oracle-dim"]
    first, second = sf.sweeps
    assert len(first.items) == 2 * 3 and len(second.items) == 1 * 3
    assert second.config.overrides == {"light_color": {"severity": 0.5}}
    assert first.workers == 2 and sf.report is None


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
    ],
)
def test_invalid_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(f"db = '{tmp_path / 'b.sqlite'}'\n" + text if not text.startswith("db") else text)
    with pytest.raises(ValueError) as err:
        load_sweep_file(path)
    assert message in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_sweep_file(tmp_path / "nope.toml")


def test_sweep_command_runs_every_run(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(VALID.format(db=tmp_path / "s.sqlite"))
    assert main(["sweep", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "== run oracle ==" in out and "== run oracle-dim ==" in out
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
