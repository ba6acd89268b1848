"""A saved torch model as a policy (skipped where PyTorch is not installed: it is optional).

TorchScript loads by default; a pickled module only with the ``pickle:`` prefix, because unpickling
runs code: without the prefix a pickle is refused before any of it runs.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.policies import load_policy

torch = pytest.importorskip("torch")

DELTA_ACTION = [1.0, 0.0, 0.0, 0.0, 1.0]


class Reacher(torch.nn.Module):
    """Moves the hand toward +x and keeps the gripper open; looks at the image to prove it gets it."""

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        brightness = obs["front_rgb"].mean()  # (1, 3, H, W) in [0, 1]
        base = torch.tensor([[1.0, 0.0, 0.0, 0.0, 1.0]])  # DELTA_ACTION (TorchScript reads no globals)
        return base * (brightness > 0.0).float()


def plant_marker(path: str) -> Reacher:
    """What a hostile pickle runs on load: here it leaves a file behind, then passes for a model."""
    with open(path, "w") as f:
        f.write("unpickling ran code")
    return Reacher()


class PlantsMarker:
    """Unpickles by calling ``plant_marker``: a model that runs code when loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return plant_marker, (self.marker,)


class OpensMarker:
    """Unpickles by calling ``open(marker, "w")``: a builtin, no test code needed to load it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")


@pytest.fixture
def rgb_env(make_env):
    return make_env("slide_block_to_target", obs_mode="rgb", control_mode="ee_delta", max_episode_steps=5)


def test_torchscript_model_runs_as_a_policy(tmp_path, rgb_env):
    path = tmp_path / "model.pt"
    torch.jit.save(torch.jit.script(Reacher()), str(path))
    policy = load_policy(str(path), rgb_env)
    obs, _ = rgb_env.reset(seed=0)
    start = obs["proprio"][0]
    action = policy.act(obs)
    assert action.dtype == np.float32 and action.tolist() == DELTA_ACTION
    result = run_episode(rgb_env, policy, seed=0, check_actions=True)
    assert result.steps == 5
    assert rgb_env.unwrapped.robot.ee_pose(rgb_env.unwrapped.sim).pos[0] > start + 0.05


def test_torchscript_model_also_loads_with_the_pickle_prefix(tmp_path, rgb_env):
    path = tmp_path / "model.ts"
    torch.jit.save(torch.jit.script(Reacher()), str(path))
    assert load_policy(f"pickle:{path}", rgb_env).act(rgb_env.reset(seed=0)[0]).tolist() == DELTA_ACTION


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_pickled_module_needs_the_pickle_prefix(tmp_path, rgb_env, zip_format):
    path = tmp_path / "model.pth"
    torch.save(Reacher(), str(path), _use_new_zipfile_serialization=zip_format)
    with pytest.raises(ValueError, match=r"pickled Python object \(it needs .*Reacher\); unpickling executes "
                                         r"code .* use the 'pickle:' prefix: policy 'pickle:"):
        load_policy(str(path), rgb_env)
    policy = load_policy(f"pickle:{path}", rgb_env)
    assert policy.act(rgb_env.reset(seed=0)[0]).tolist() == DELTA_ACTION


def test_plain_pickle_file_is_refused(tmp_path, rgb_env):
    path = tmp_path / "model.pt"
    with path.open("wb") as f:
        pickle.dump(Reacher(), f, protocol=4)
    with pytest.raises(ValueError, match="pickled Python object.*'pickle:' prefix"):
        load_policy(str(path), rgb_env)


@pytest.mark.parametrize("payload", [PlantsMarker, OpensMarker], ids=["module_function", "builtin_open"])
def test_hostile_pickle_does_not_run_without_the_prefix(tmp_path, rgb_env, payload):
    marker = tmp_path / "marker"
    path = tmp_path / "model.pt"
    torch.save(payload(str(marker)), str(path))
    with pytest.raises(ValueError, match="unpickling executes code.*'pickle:'"):
        load_policy(str(path), rgb_env)
    assert not marker.exists()
    if payload is PlantsMarker:  # the opt-in really unpickles: the code runs and the model loads
        assert load_policy(f"pickle:{path}", rgb_env).act(rgb_env.reset(seed=0)[0]).tolist() == DELTA_ACTION
    else:
        with pytest.raises(ValueError, match="holds a TextIOWrapper, not a callable model"):
            load_policy(f"pickle:{path}", rgb_env)
    assert marker.exists()


@pytest.mark.parametrize("prefix", ["", "pickle:"], ids=["default", "trusted"])
@pytest.mark.parametrize("weights", ["state_dict", "tensor"])
def test_state_dict_is_not_a_model(tmp_path, rgb_env, prefix, weights):
    path = tmp_path / "weights.pt"
    layer = torch.nn.Linear(3, 5)
    torch.save(layer.state_dict() if weights == "state_dict" else layer.weight.detach(), str(path))
    with pytest.raises(ValueError, match=r"holds a state dict / tensors, not a model.*torch\.jit\.save\("
                                         r"torch\.jit\.script\(model\), path\).*'pickle:' prefix"):
        load_policy(f"{prefix}{path}", rgb_env)


def test_wrong_action_size_missing_and_unreadable_files(tmp_path, make_env):
    env = make_env("slide_block_to_target", obs_mode="rgb", control_mode="ee_keyframe")
    path = tmp_path / "model.pt"
    torch.jit.save(torch.jit.script(Reacher()), str(path))
    policy = load_policy(str(path), env)
    with pytest.raises(ValueError, match="the model returned 5 numbers; the action space needs"):
        policy.act(env.reset(seed=0)[0])
    with pytest.raises(ValueError, match="does not exist"):
        load_policy(str(tmp_path / "missing.pt"), env)
    bad = tmp_path / "bad.pt"
    bad.write_text("not a model")
    with pytest.raises(ValueError, match="cannot load .*bad.pt: it is neither a TorchScript model nor"):
        load_policy(str(bad), env)
    with pytest.raises(ValueError, match="cannot load .*bad.pt as a TorchScript or pickled torch model"):
        load_policy(f"pickle:{bad}", env)
