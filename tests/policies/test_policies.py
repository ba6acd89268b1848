"""load_policy: every spec form, and a ValueError naming the spec and the fix for every bad one."""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest

import colosseum_lite  # noqa: F401 - registers the ColosseumLite/* ids
from colosseum_lite.policies import OraclePolicy, Policy, RandomPolicy, load_policy
from colosseum_lite.policies.loading import SPEC_FORMS, check_policy, resolve_factory

FACTORY_FILE = """
import numpy as np

class Still:
    def __init__(self, env):
        self.space = env.action_space
    def reset(self, seed=None):
        pass
    def act(self, obs):
        return np.zeros(self.space.shape, self.space.dtype)

def make(env):
    return Still(env)
"""

USER_MODULE_PREFIX = "colosseum_lite_user_policy_"


@pytest.fixture(scope="module")
def env():
    """A keyframe-controlled env (the oracle's mode), shared by the module's tests."""
    e = gym.make("ColosseumLite/CloseBox-v0")
    e.reset(seed=0)
    yield e
    e.close()


@pytest.fixture(scope="module")
def delta_env():
    """An ``ee_delta`` env, whose 5-number actions the test factories fill."""
    e = gym.make("ColosseumLite/CloseBox-v0", control_mode="ee_delta")
    e.reset(seed=0)
    yield e
    e.close()


def test_builtin_policies(env, delta_env):
    assert isinstance(load_policy("random", delta_env), RandomPolicy)
    assert isinstance(load_policy("oracle", env), OraclePolicy)
    with pytest.raises(ValueError, match=r"policy 'oracle': .*control_mode='ee_keyframe'"):
        load_policy("oracle", delta_env)
    top_down = load_policy("top_down_random", env)
    top_down.reset(3)
    a = top_down.act({})
    assert env.action_space.contains(a) and a[2] <= 0.3  # near the table
    assert np.linalg.norm(a[3:7]) == pytest.approx(1.0, abs=1e-6)
    top_down.reset(3)
    np.testing.assert_array_equal(top_down.act({}), a)
    assert not load_policy("idle", delta_env).act({}).any()
    with pytest.raises(ValueError, match="control_mode='ee_keyframe'"):
        load_policy("top_down_random", delta_env)
    with pytest.raises(ValueError, match="control_mode='ee_delta'"):
        load_policy("idle", env)


def test_random_policy_is_reproducible(delta_env):
    pol = load_policy("random", delta_env)
    pol.reset(4)
    a = [pol.act({}) for _ in range(3)]
    pol.reset(4)
    assert all(np.array_equal(x, pol.act({})) for x in a)


def test_file_and_module_factories(delta_env, tmp_path, monkeypatch):
    path = tmp_path / "my_policy.py"
    path.write_text(FACTORY_FILE)
    pol = load_policy(f"{path}:make", delta_env)
    assert isinstance(pol, Policy)
    assert pol.act({}).shape == (5,)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert type(load_policy("my_policy:make", delta_env)).__name__ == "Still"


@pytest.mark.parametrize("spec", [
    "colosseum_lite.policies.random_policy:RandomPolicy",
    "colosseum_lite.policies:RandomPolicy",
])
def test_module_class_factories(delta_env, spec):
    assert isinstance(load_policy(spec, delta_env), RandomPolicy)


def test_file_path_with_a_space(delta_env, tmp_path):
    folder = tmp_path / "my policies"
    folder.mkdir()
    (folder / "p.py").write_text(FACTORY_FILE)
    assert check_policy(f"{folder / 'p.py'}:make", delta_env) is None


def test_check_policy_is_load_policy(env, delta_env):
    assert check_policy("random", delta_env) is None
    with pytest.raises(ValueError, match="calling loads"):
        check_policy("json:loads", env)


# id -> (files written into tmp_path as name: source, a directory's name ends in "/"), the spec with
# {dir} for tmp_path, and what the message must say.
BAD_SPECS = {
    "unknown_name": ({}, "orcale", "unknown policy 'orcale'; expected 'oracle', 'random'"),
    "empty": ({}, "", "is empty; expected"),
    "surrounding_space": ({}, " oracle", r"whitespace; remove it \('oracle'\)"),
    "space_in_module": ({}, "json loads:make", "neither a dotted module name nor a .py file"),
    "nul_byte": ({}, "oracle\0", "control characters"),
    "newline": ({}, "json:loads\n", "whitespace"),
    "relative_module": ({}, ".x:make", "relative module '.x' is not supported; give the absolute"),
    "empty_module": ({}, ":make", "no module or file before ':'"),
    "empty_factory": ({}, "json:", "no factory name after the last ':'"),
    "factory_not_identifier": ({}, "json:lo-ads", "not a Python identifier"),
    "two_colons": ({}, "a:b:c", "'a:b' is neither a dotted module name"),
    "directory_as_module": ({}, "{dir}:make", "neither a dotted module name nor a .py file"),
    "missing_module": ({}, "no_such_module_xyz:make", "cannot import module 'no_such_module_xyz'"),
    "missing_factory": ({}, "colosseum_lite.policies:nothing_here", "has no callable 'nothing_here'"),
    "not_callable": ({}, "math:pi", "has no callable 'pi'.*it is a float; a factory takes the env"),
    "file_without_factory": ({"p.py": FACTORY_FILE}, "{dir}/p.py", r"no factory: write '.*p\.py:make'"),
    "missing_file": ({}, "{dir}/missing.py:make", "policy file '.*missing.py' does not exist"),
    "directory_as_file": ({"pkg.py/": ""}, "{dir}/pkg.py:make", "'.*pkg.py' is a directory, not a .py file"),
    "missing_file_factory": ({"p.py": FACTORY_FILE}, "{dir}/p.py:nope", "has no callable 'nope'"),
    "syntax_error": ({"bad.py": "def make(env):\n    return (\n"}, "{dir}/bad.py:make",
                     r"importing .*bad\.py raised at .*bad\.py line 2: SyntaxError: .*; fix the file"),
    "raises_at_import": ({"boom.py": "x = 1\nraise RuntimeError('no GPU here')\n"}, "{dir}/boom.py:make",
                         r"boom\.py line 2: RuntimeError: no GPU here"),
    "exits_at_import": ({"quit.py": "import sys\nsys.exit(3)\n"}, "{dir}/quit.py:make",
                        r"quit\.py line 2: SystemExit\(3\)"),
    "module_raises_at_import": ({"raising_mod.py": "{}['missing']\n"}, "raising_mod:make",
                                r"importing module 'raising_mod' raised at .*raising_mod\.py line 1: KeyError"),
    "module_exits_at_import": ({"exiting_mod.py": "raise SystemExit('bye')\n"}, "exiting_mod:make",
                               r"exiting_mod\.py line 1: SystemExit\('bye'\)"),
    "module_syntax_error": ({"broken_mod.py": "def (:\n"}, "broken_mod:make",
                            r"broken_mod\.py line 1: SyntaxError"),
    "json_loads": ({}, "json:loads", r"calling loads\(env\) raised TypeError: .*; a factory takes the env "
                   r"and returns an object with reset\(seed, info=None\) and act\(obs\)"),
    "print": ({}, "builtins:print", r"print\(env\) returned None, which lacks callable "
              r"reset\(seed, info=None\) and act\(obs\)"),
    "object_class": ({}, "builtins:object", r"calling object\(env\) raised TypeError"),
    "str_class": ({}, "builtins:str", r"str\(env\) returned a str, which lacks"),
    "class_without_env": ({"c.py": "class NoEnv:\n    def __init__(self):\n        pass\n"}, "{dir}/c.py:NoEnv",
                          r"calling NoEnv\(env\) raised TypeError"),
    "class_without_act": ({"c.py": "class Half:\n    def __init__(self, env):\n        pass\n"
                           "    def reset(self, seed=None):\n        pass\n"}, "{dir}/c.py:Half",
                          r"Half\(env\) returned a Half, which lacks callable act\(obs\);"),
    "attributes_not_methods": ({"c.py": "class Attrs:\n    reset = None\n    act = 3\n"
                                "    def __init__(self, env):\n        pass\n"}, "{dir}/c.py:Attrs",
                               r"which lacks callable reset\(seed, info=None\) and act\(obs\)"),
    "returns_object": ({"c.py": "def make(env):\n    return object()\n"}, "{dir}/c.py:make",
                       r"make\(env\) returned a object, which lacks callable "
                       r"reset\(seed, info=None\) and act\(obs\)"),
    "returns_class": ({"c.py": FACTORY_FILE + "def cls(env):\n    return Still\n"}, "{dir}/c.py:cls",
                      "returned the class Still itself, not an instance"),
    "factory_raises": ({"c.py": "def make(env):\n    return 1 / 0\n"}, "{dir}/c.py:make",
                       r"calling make\(env\) raised ZeroDivisionError: division by zero"),
    "factory_exits": ({"c.py": "import sys\ndef make(env):\n    sys.exit('bye')\n"}, "{dir}/c.py:make",
                      r"calling make\(env\) raised SystemExit\('bye'\)"),
    "missing_model": ({}, "{dir}/missing.pt", "model file '.*missing.pt' does not exist"),
    "directory_as_model": ({"m.pt/": ""}, "{dir}/m.pt", "is a directory, not a model file"),
    "missing_pickled_model": ({}, "pickle:{dir}/missing.pth", "model file '.*missing.pth' does not exist"),
    "pickle_prefix_on_a_module": ({}, "pickle:json:loads", "the 'pickle:' prefix takes a torch model file"),
}


def _write(tmp_path, files: dict[str, str]) -> None:
    for name, source in files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_text(source)


@pytest.mark.parametrize(("files", "spec", "message"), BAD_SPECS.values(), ids=BAD_SPECS)
def test_bad_specs_are_value_errors(env, tmp_path, monkeypatch, files, spec, message):
    _write(tmp_path, files)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = spec.format(dir=tmp_path)
    with pytest.raises(ValueError, match=message) as info:
        load_policy(spec, env)
    assert repr(spec) in str(info.value), "the message names the spec"


def test_resolve_factory_checks_without_calling(tmp_path):
    path = tmp_path / "loud.py"
    path.write_text("CALLS = []\ndef make(env):\n    CALLS.append(env)\n")
    factory = resolve_factory(f"{path}:make")
    assert factory.__module__.startswith(USER_MODULE_PREFIX) and factory.__globals__["CALLS"] == []
    with pytest.raises(ValueError, match="relative module"):
        resolve_factory(".x:make")
    with pytest.raises(ValueError, match="a policy spec is a string, got int"):
        resolve_factory(3)


def _user_modules() -> set[str]:
    return {m for m in sys.modules if m.startswith(USER_MODULE_PREFIX)}


@pytest.mark.parametrize(("source", "error"), [
    ("def make(env):\n    return (\n", ValueError),
    ("import numpy\nraise RuntimeError('not yet')\n", ValueError),
    ("import sys\nsys.exit(1)\n", ValueError),
    ("raise KeyboardInterrupt\n", KeyboardInterrupt),
], ids=["syntax_error", "raises", "sys_exit", "keyboard_interrupt"])
def test_a_failed_file_import_is_not_kept(delta_env, tmp_path, source, error):
    path = tmp_path / "later.py"
    path.write_text(source)
    before = _user_modules()
    with pytest.raises(error):
        load_policy(f"{path}:make", delta_env)
    assert _user_modules() == before
    path.write_text(FACTORY_FILE)  # fixed: the next load imports it afresh
    assert type(load_policy(f"{path}:make", delta_env)).__name__ == "Still"


def test_torch_model_without_torch_names_the_install(env, tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    path.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    for spec in (str(path), f"pickle:{path}"):
        with pytest.raises(ValueError, match=r"pip install 'colosseum-lite\[torch\]'"):
            resolve_factory(spec)


def test_spec_forms_mention_every_form():
    for form in ("'oracle'", "'random'", "package.module:factory", "file.py:factory", "model.pt", "pickle:"):
        assert form in SPEC_FORMS


@pytest.mark.parametrize("spec", ["x" * 300 + ".py:make", "x" * 300 + ".pt"], ids=["py", "model"])
def test_a_name_no_file_system_takes_is_a_value_error(spec):
    with pytest.raises(ValueError, match="cannot be used|does not exist"):
        resolve_factory(spec)


# ------------------------------------------------------------------------------ reset(seed, info)
class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []


class _OldReset(_Recorder):
    def reset(self, seed=None):
        self.calls.append((seed,))


class _NewReset(_Recorder):
    def reset(self, seed=None, info=None):
        self.calls.append((seed, info))


class _KeywordOnly(_Recorder):
    def reset(self, seed, *, info=None):
        self.calls.append((seed, info))


class _Kwargs(_Recorder):
    def reset(self, seed, **kwargs):
        self.calls.append((seed, kwargs["info"]))


class _Positional(_Recorder):
    def reset(self, seed, episode_info, /):
        self.calls.append((seed, episode_info))


@pytest.mark.parametrize("cls", [_OldReset, _NewReset, _KeywordOnly, _Kwargs, _Positional])
def test_reset_gets_info_where_it_takes_it(cls):
    from colosseum_lite.policies.base import resetter

    policy = cls()
    reset = resetter(policy)
    reset(7, {"task": "close_box"})
    assert policy.calls == ([(7,)] if cls is _OldReset else [(7, {"task": "close_box"})])


def test_run_episode_passes_the_reset_info(delta_env):
    from colosseum_lite.eval.rollout import run_episode

    class Still(_NewReset):
        def act(self, obs):
            return np.zeros(5, np.float32)

    class OldStill(_OldReset):
        act = Still.act

    new, old = Still(), OldStill()
    for policy in (new, old):
        run_episode(delta_env, policy, seed=3)
    (seed, info), = new.calls
    assert seed == 3 and info["is_success"] is False and "perturbation" in info
    assert old.calls == [(3,)]


def test_builtin_policies_take_info(env, delta_env):
    import inspect

    from colosseum_lite.policies.pixel_pusher import PixelPusher
    from colosseum_lite.policies.torch_policy import TorchPolicy

    for cls in (OraclePolicy, RandomPolicy, PixelPusher, TorchPolicy):
        assert "info" in inspect.signature(cls.reset).parameters, cls


def test_the_oracle_binds_to_another_env(env, delta_env):
    from colosseum_lite.policies.base import Binding, binding

    oracle = load_policy("oracle", env)
    assert binding(oracle, env) is Binding.BIND
    other = gym.make("ColosseumLite/SlideBlockToTarget-v0", obs_mode="state")
    try:
        oracle.bind(other)
        assert oracle.env is other.unwrapped
        from colosseum_lite.eval.rollout import run_episode

        assert run_episode(other, oracle, seed=0).success
    finally:
        other.close()
    with pytest.raises(ValueError, match="control_mode='ee_keyframe'"):
        oracle.bind(delta_env)


def test_the_oracle_keeps_its_keyframes_inside_the_action_space():
    """A plan may aim outside the workspace box (empty_dishwasher under mo_size, seed 1002: its
    46th keyframe at x = 0.015 m against the box's 0.05); the runner rejects such an action as a
    policy error, so the oracle hands the controller the box face it would stop at, and the
    episode counts as the oracle's success or failure like any other."""
    from colosseum_lite.eval.rollout import run_episode

    env = gym.make("ColosseumLite/EmptyDishwasher-v0", obs_mode="state", perturbations=["mo_size"])
    try:
        oracle = load_policy("oracle", env)
        plan = env.unwrapped.task.oracle  # every keyframe the plan aims, before the oracle clips it
        aimed = []

        def recording(sim, variant):
            for keyframe in plan(sim, variant):
                aimed.append(keyframe.action())
                yield keyframe

        env.unwrapped.task.oracle = recording
        result = run_episode(env, oracle, seed=1002, check_actions=True)  # raised PolicyError before
        assert not all(env.action_space.contains(a) for a in aimed)  # the plan did aim outside
        assert result.steps > len(aimed) - 1
    finally:
        env.close()
