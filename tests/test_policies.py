"""load_policy: every spec form, and errors that name the valid forms."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.policies import OraclePolicy, Policy, RandomPolicy, load_policy

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

def broken(env):
    return object()
"""


@pytest.fixture
def env(make_env):
    e = make_env("slide_block_to_target", control_mode="ee_delta")
    e.reset(seed=0)
    return e


def test_builtin_policies(make_env, env):
    assert isinstance(load_policy("random", env), RandomPolicy)
    keyframe_env = make_env("slide_block_to_target")
    assert isinstance(load_policy("oracle", keyframe_env), OraclePolicy)
    with pytest.raises(ValueError, match="control_mode='ee_keyframe'"):
        load_policy("oracle", env)


def test_random_policy_is_reproducible(env):
    pol = load_policy("random", env)
    pol.reset(4)
    a = [pol.act({}) for _ in range(3)]
    pol.reset(4)
    assert all(np.array_equal(x, pol.act({})) for x in a)


def test_file_and_module_factories(env, tmp_path, monkeypatch):
    path = tmp_path / "my_policy.py"
    path.write_text(FACTORY_FILE)
    pol = load_policy(f"{path}:make", env)
    assert isinstance(pol, Policy)
    assert pol.act({}).shape == (5,)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert type(load_policy("my_policy:make", env)).__name__ == "Still"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("orcale", "unknown policy 'orcale'; expected 'oracle', 'random'"),
        ("no_such_module_xyz:make", "cannot import module 'no_such_module_xyz'"),
        ("missing/file.py:make", "does not exist"),
        ("colosseum_lite.policies:nothing_here", "has no callable 'nothing_here'"),
    ],
)
def test_bad_specs(env, spec, message):
    with pytest.raises(ValueError, match=message):
        load_policy(spec, env)


def test_factory_must_build_a_policy(env, tmp_path):
    path = tmp_path / "p.py"
    path.write_text(FACTORY_FILE)
    with pytest.raises(ValueError, match="lacks reset"):
        load_policy(f"{path}:broken", env)
