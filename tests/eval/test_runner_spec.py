"""The sweep spec: every field reaches evaluate(), the CLI and sweep files, with one default and one check."""

from __future__ import annotations

import inspect
from dataclasses import MISSING, replace
from pathlib import Path

import pytest

import colosseum_lite
from colosseum_lite import cli, cli_flags
from colosseum_lite.eval import runner, sweepfile
from colosseum_lite.eval.spec import Backend, Flag, Key, Scope, SweepSpec, spec_default, spec_fields

FIELDS = [f.name for f in spec_fields()]
# A value other than the default for every field, as evaluate() takes it (and a sweep file holds it).
CHOSEN = {
    "policy": "random", "tasks": ["close_box"], "sets": ["mo_size"], "episodes": 3, "seed": 7, "workers": 2,
    "backend": "ray", "db": "other.sqlite", "run": "mine", "obs_mode": "state", "control_mode": "ee_delta",
    "overrides": {"mo_size": {"range": [0.8, 1.2]}}, "address": "auto", "env_kwargs": {"reward_mode": "dense"},
    "episode_timeout": 30.0, "keep_going": True, "device": "cuda", "batch_size": 4,
}
# The same values as eval's flags.
CHOSEN_FLAGS = [
    "--policy", "random", "--tasks", "close_box", "--sets", "mo_size", "--episodes", "3", "--seed", "7",
    "--workers", "2", "--backend", "ray", "--db", "other.sqlite", "--run", "mine", "--obs-mode", "state",
    "--control-mode", "ee_delta", "--override", "mo_size.range=[0.8,1.2]", "--address", "auto",
    "--env-kwarg", "reward_mode=dense", "--episode-timeout", "30", "--keep-going", "--device", "cuda",
    "--batch-size", "4",
]
TOML_VALUE = {
    "tasks": "['close_box']", "sets": "['mo_size']", "backend": "'ray'", "db": "'other.sqlite'", "run": "'mine'",
    "policy": "'random'", "obs_mode": "'state'", "control_mode": "'ee_delta'", "address": "'auto'",
    "overrides": "{ mo_size = { range = [0.8, 1.2] } }", "env_kwargs": "{ reward_mode = 'dense' }",
    "keep_going": "true", "device": "'cuda'",
}


def _eval_args(*argv: str):
    return cli.build_parser().parse_args(["eval", *argv])


@pytest.fixture
def specs_of_file(tmp_path, monkeypatch):
    """``load_sweep_file`` of a text, returning each run's spec instead of preparing it."""
    monkeypatch.setattr(sweepfile, "prepare_sweep", lambda spec: spec)

    def load(text: str) -> list[SweepSpec]:
        path = tmp_path / "s.toml"
        path.write_text(text)
        return sweepfile.load_sweep_file(path).sweeps

    return load


def test_every_field_declares_its_help_flag_and_sweep_file_key():
    assert FIELDS[:4] == ["policy", "tasks", "sets", "episodes"]
    for f in spec_fields():
        assert isinstance(f.metadata["flag"], Flag) and f.metadata["flag"].name.startswith("--"), f.name
        assert isinstance(f.metadata["key"], Key) and f.metadata["help"], f.name
        assert (f.default is MISSING) == (f.metadata["flag"].default is not None), f.name  # only --policy's own
    assert set(CHOSEN) == set(FIELDS), "give a new field a value in CHOSEN (and its flags in CHOSEN_FLAGS)"


def test_evaluate_and_prepare_take_every_field_with_the_specs_defaults():
    params = inspect.signature(colosseum_lite.evaluate).parameters
    assert [p for p in params if p != "progress"] == FIELDS, "evaluate() must take every SweepSpec field, in order"
    assert list(params).index("progress") == FIELDS.index("episode_timeout") + 1  # where it always was
    assert list(inspect.signature(runner.prepare).parameters) == FIELDS
    for name in FIELDS[1:]:
        as_evaluate = SweepSpec("oracle", **{name: params[name].default})
        assert getattr(as_evaluate, name) == getattr(SweepSpec("oracle"), name), name
        assert inspect.signature(runner.prepare).parameters[name].default == spec_default(name), name
    assert params["policy"].default is inspect.Parameter.empty


def test_every_field_has_an_eval_flag_with_the_specs_default():
    args = _eval_args()
    assert set(FIELDS) <= set(vars(args))
    assert cli_flags.spec_of(args) == SweepSpec("oracle")  # --policy's own default; the rest the spec's
    for f in spec_fields()[1:]:
        assert cli_flags.cli_default(f.name) == (f.default.value if isinstance(f.default, Backend) else f.default)


def test_every_field_is_settable_from_each_entry_point_to_the_same_spec(specs_of_file):
    chosen = SweepSpec(**CHOSEN)
    default = SweepSpec("oracle")
    assert all(getattr(chosen, n) != getattr(default, n) for n in FIELDS), "CHOSEN must hold no default"
    assert cli_flags.spec_of(_eval_args(*CHOSEN_FLAGS)) == chosen
    top = [f"{n} = {TOML_VALUE.get(n, CHOSEN[n])}" for n in FIELDS if spec_fields()[FIELDS.index(n)]
           .metadata["key"].scope is Scope.TOP]
    run = [f"{'name' if n == 'run' else n} = {TOML_VALUE.get(n, CHOSEN[n])}" for n in FIELDS
           if spec_fields()[FIELDS.index(n)].metadata["key"].scope is Scope.RUN]
    assert specs_of_file("\n".join([*top, "[[runs]]", *run, ""])) == [chosen]


def test_a_sweep_files_run_takes_the_specs_defaults_and_db_from_the_file_name(specs_of_file, tmp_path):
    (spec,) = specs_of_file("[[runs]]\npolicy = 'oracle'\n")
    assert spec == SweepSpec("oracle", db=str(tmp_path / "s.sqlite"))
    assert set(sweepfile.RUN_TYPES) | set(sweepfile.TOP_TYPES) >= {f.metadata["key"].name or f.name
                                                                     for f in spec_fields()}


def test_the_spec_holds_canonical_values():
    spec = SweepSpec("oracle", tasks="close_box, close_box,open_drawer", sets=("mo_size",), backend="ray",
                     episodes=2, overrides={"mo_size": {"range": (0.8, 1.2)}})
    assert spec.tasks == ("close_box", "open_drawer") and spec.sets == ("mo_size",) and spec.named_sets
    assert spec.backend is Backend.RAY and spec.overrides == {"mo_size": {"range": [0.8, 1.2]}}
    assert spec.run_name == "oracle" and replace(spec, run="r").run_name == "r"
    assert SweepSpec("oracle", db=Path("a/b.sqlite")).db == "a/b.sqlite"
    everything = SweepSpec("oracle")
    assert everything.sets == ("all",) and not everything.named_sets
    assert everything.set_names()[0] == "no_perturbation"
    assert everything.task_names() == sorted(colosseum_lite.TASKS)
    assert [b.value for b in Backend] == ["local", "ray"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy": ""}, "policy must be a spec string"),
        ({"tasks": 3}, "task(s) must be 'all', a comma-separated string or a list of names, got 3"),
        ({"episodes": True}, "episodes must be an integer in [1, 10000], got True"),
        ({"seed": 2**31}, "seed must be in [0, "),
        ({"workers": 1.5}, "workers must be an integer in"),
        ({"backend": "dask"}, "unknown backend 'dask'; expected 'local' or 'ray'"),
        ({"address": 3}, "address must be a Ray cluster address string"),
        ({"db": 5}, "db must be the path of an SQLite results file, got 5"),
        ({"run": "a\tb"}, "printable characters"),
        ({"obs_mode": "pixels"}, "unknown obs_mode 'pixels'"),
        ({"overrides": [1]}, "overrides must map axis names to settings, got list"),
        ({"env_kwargs": "big"}, "env_kwargs must be a table of gym.make arguments, got str"),
        ({"env_kwargs": {"task": "x"}}, "env_kwargs may not set ['task']"),
        ({"episode_timeout": float("inf")}, "episode_timeout must be a number of seconds"),
        ({"keep_going": "yes"}, "keep_going must be True or False, got 'yes'"),
        ({"batch_size": 257}, "batch_size must be in [1, 256], got 257"),
    ],
)
def test_a_bad_field_is_refused_naming_it(kwargs, message):
    with pytest.raises(ValueError) as err:
        SweepSpec(**{"policy": "oracle", **kwargs})
    assert message in str(err.value)


def test_the_sweep_file_type_checks_come_from_the_spec():
    for f in spec_fields():
        key = f.metadata["key"]
        table = sweepfile.TOP_TYPES if key.scope is Scope.TOP else sweepfile.RUN_TYPES
        assert table[key.name or f.name] is key.check, f.name
