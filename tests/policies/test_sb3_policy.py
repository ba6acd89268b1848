"""Stable-Baselines3 checkpoints as policies: ``sb3:path/to/model.zip``, the algorithm read from the file.

SB3 is an optional extra (``pip install 'colosseum-lite[sb3]'``, which pulls torch); the tests that
train or load a real model skip without it. The file checks (not a zip, an unsupported algorithm,
SB3 missing) need no SB3.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile

import gymnasium as gym
import numpy as np
import pytest

import colosseum_lite
from colosseum_lite import env_id
from colosseum_lite.policies import load_policy
from colosseum_lite.policies.loading import SPEC_FORMS, policy_file, resolve_factory
from colosseum_lite.policies.sb3_policy import ALGORITHMS, SB3Policy, read_algorithm

TASK = "slide_block_to_target"
needs_sb3 = pytest.mark.skipif(importlib.util.find_spec("stable_baselines3") is None,
                               reason="stable-baselines3 is optional: pip install 'colosseum-lite[sb3]'")
TINY = {"net_arch": [8]}  # copied per model: SB3 writes into the policy_kwargs it is given


def delta_env(**kwargs) -> gym.Env:
    return gym.make(env_id(TASK), obs_mode="state", control_mode="ee_delta", **kwargs)


@pytest.fixture(scope="module")
def ppo_zip(tmp_path_factory):
    """A PPO trained for 64 steps on the state-obs ee_delta env, saved as SB3 saves it."""
    sb3 = pytest.importorskip("stable_baselines3")
    env = delta_env(max_episode_steps=32)
    model = sb3.PPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu",
                    policy_kwargs=dict(TINY))
    model.learn(64)
    path = tmp_path_factory.mktemp("sb3") / "ppo.zip"
    model.save(str(path))
    env.close()
    return path


def write_zip(path, data) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data", data if isinstance(data, str) else json.dumps(data))


@needs_sb3
def test_a_trained_ppo_acts_as_it_predicts(ppo_zip):
    from stable_baselines3 import PPO

    env = delta_env()
    policy = load_policy(f"sb3:{ppo_zip}", env)
    assert isinstance(policy, SB3Policy) and policy.algorithm == "PPO"
    reference = PPO.load(str(ppo_zip), device="cpu")
    obs, _ = env.reset(seed=3)
    for _ in range(3):
        action = policy.act(obs)
        assert action.shape == (5,) and action.dtype == np.float32 and env.action_space.contains(action)
        np.testing.assert_array_equal(action, reference.predict(obs, deterministic=True)[0])
        np.testing.assert_array_equal(policy.act(obs), action)  # deterministic
        obs, *_ = env.step(action)
    batch = policy.act_batch([obs, env.reset(seed=4)[0]])
    np.testing.assert_allclose(batch[0], policy.act(obs), atol=1e-6)
    env.close()


@needs_sb3
def test_a_checkpoint_evaluates_through_the_runner(ppo_zip, tmp_path):
    spec = f"sb3:{ppo_zip}"
    result = colosseum_lite.evaluate(policy=spec, tasks=[TASK], sets=["no_perturbation"], episodes=2,
                                     obs_mode="state", control_mode="ee_delta", workers=1,
                                     db=str(tmp_path / "r.sqlite"), progress=False,
                                     env_kwargs={"max_episode_steps": 8})
    assert result.ran == 2
    assert sorted(r.episode for r in result.rows) == [0, 1]
    assert all(r.policy == spec and r.status.value == "ok" and r.error is None and r.steps == 8
               for r in result.rows)


@needs_sb3
@pytest.mark.parametrize("algo", ["A2C", "SAC", "TD3", "DDPG"])
def test_the_algorithm_is_read_from_the_file(algo, tmp_path):
    import stable_baselines3 as sb3

    env = delta_env(max_episode_steps=8)
    extra = {} if algo == "A2C" else {"buffer_size": 16, "learning_starts": 100}
    model = getattr(sb3, algo)("MultiInputPolicy", env, seed=0, device="cpu", policy_kwargs=dict(TINY), **extra)
    model.save(str(tmp_path / "m.zip"))
    assert read_algorithm(tmp_path / "m.zip") == algo
    policy = load_policy(f"sb3:{tmp_path / 'm.zip'}", env)
    obs, _ = env.reset(seed=0)
    np.testing.assert_allclose(policy.act(obs), model.predict(obs, deterministic=True)[0], atol=1e-6)
    env.close()


@needs_sb3
def test_dqn_is_read_and_its_discrete_actions_are_refused_by_name(tmp_path):
    from stable_baselines3 import DQN

    model = DQN("MlpPolicy", "CartPole-v1", buffer_size=16, learning_starts=100, seed=0, device="cpu",
                policy_kwargs=dict(TINY))
    model.save(str(tmp_path / "dqn.zip"))
    assert read_algorithm(tmp_path / "dqn.zip") == "DQN"
    env = delta_env()
    with pytest.raises(ValueError, match=r"observation space Box\(.*\(4,\).*but the env has Dict"):
        load_policy(f"sb3:{tmp_path / 'dqn.zip'}", env)
    env.close()


@needs_sb3
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"control_mode": "ee_keyframe"}, r"action space Box\(-1.0, 1.0, \(5,\), float32\), but the env has "
                                      r"Box\(.*\(8,\).*control_mode the model was trained with"),
    ({"obs_mode": "rgb", "image_size": 32}, r"keys only the checkpoint has: \['object_state'\]; keys only the "
                                            r"env has: \[.*'front_rgb'.*obs_mode, cameras and image size"),
], ids=["action", "observation"])
def test_a_checkpoint_for_other_spaces_names_both(ppo_zip, kwargs, message):
    env = gym.make(env_id(TASK), **{"obs_mode": "state", "control_mode": "ee_delta", **kwargs})
    with pytest.raises(ValueError, match=message):
        load_policy(f"sb3:{ppo_zip}", env)
    env.close()


@needs_sb3
def test_an_unavailable_device_is_refused(ppo_zip):
    import torch

    env = delta_env()
    with pytest.raises(ValueError, match="unknown torch device 'gpu'"):
        load_policy(f"sb3:{ppo_zip}", env, device="gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="sees no CUDA GPU.*use device='cpu'"):
            load_policy(f"sb3:{ppo_zip}", env, device="cuda")
    env.close()


def test_bad_checkpoint_files_name_the_fix(tmp_path):
    (tmp_path / "text.zip").write_text("not a zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "an unrelated zip")
    write_zip(tmp_path / "garbled.zip", "{not json")
    (tmp_path / "model.zip").write_bytes(b"")
    cases = {
        "sb3:": "names no checkpoint; expected 'sb3:path/to/model.zip'",
        f"sb3:{tmp_path / 'missing.zip'}": "does not exist",
        f"sb3:{tmp_path}": "is a directory",
        f"sb3:{tmp_path / 'model'}": f"'{tmp_path / 'model'}' does not exist, but '{tmp_path / 'model.zip'}' "
                                     f"does; write 'sb3:{tmp_path / 'model.zip'}'",
        f"sb3:{tmp_path / 'text.zip'}": "is not a Stable-Baselines3 checkpoint: it is not a zip file",
        f"sb3:{tmp_path / 'other.zip'}": "is not a Stable-Baselines3 checkpoint: it has no 'data' entry",
        f"sb3:{tmp_path / 'garbled.zip'}": "its 'data' entry is not a JSON table",
    }
    for spec, message in cases.items():
        with pytest.raises(ValueError, match="model.save|sb3:|does not exist|directory") as err:
            resolve_factory(spec)
        assert message in str(err.value) and f"policy {spec!r}" in str(err.value), (spec, err.value)


@pytest.mark.parametrize(("module", "data", "name"), [
    ("sb3_contrib.tqc.policies", {"target_entropy": "auto"}, "TQC"),
    ("sb3_contrib.common.recurrent.policies", {"clip_range": 0.2}, "RecurrentPPO"),
    ("stable_baselines3.common.policies", {"cg_max_steps": 15, "gae_lambda": 0.95}, "TRPO"),
    ("my_lab.policies", {"gamma": 0.99}, "an algorithm SB3 does not name in the file"),
], ids=["tqc", "recurrent_ppo", "trpo", "unknown"])
def test_unsupported_algorithms_are_refused_by_name(tmp_path, module, data, name):
    write_zip(tmp_path / "m.zip", {"policy_class": {":type:": "<class 'abc.ABCMeta'>", "__module__": module},
                                   **data})
    with pytest.raises(ValueError) as err:
        resolve_factory(f"sb3:{tmp_path / 'm.zip'}")
    assert f"was saved by {name}" in str(err.value)
    assert f"supported: {', '.join(ALGORITHMS)}" in str(err.value) and "file.py:make" in str(err.value)


def test_a_checkpoint_without_sb3_names_the_install(tmp_path, monkeypatch):
    write_zip(tmp_path / "m.zip", {"policy_class": {"__module__": "stable_baselines3.common.policies"},
                                   "clip_range": 0.2})
    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # as if SB3 were not installed
    with pytest.raises(ValueError, match=r"needs Stable-Baselines3: pip install 'colosseum-lite\[sb3\]'"):
        resolve_factory(f"sb3:{tmp_path / 'm.zip'}")


def test_the_spec_form_is_documented_and_its_file_digested(tmp_path):
    assert "'sb3:path/to/model.zip'" in SPEC_FORMS
    assert policy_file(f"sb3:{tmp_path / 'm.zip'}") == tmp_path / "m.zip"
    assert policy_file(f"pickle:{tmp_path / 'm.pt'}") == tmp_path / "m.pt"
    assert policy_file(f"{tmp_path / 'p.py'}:make") == tmp_path / "p.py"
    assert policy_file("oracle") is None and policy_file("json:loads") is None
