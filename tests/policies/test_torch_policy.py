"""A saved torch model as a policy (skipped where PyTorch is not installed: it is optional).

TorchScript loads by default; a pickled module only with the ``pickle:`` prefix, because unpickling
runs code: without the prefix a pickle is refused before any of it runs.
"""

from __future__ import annotations

import pickle
import sys

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


# ------------------------------------------------------------------------------ batches, keys, devices
class TinyCNN(torch.nn.Module):
    """A small CNN on the front camera and the proprioception, for ``ee_delta`` actions."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 5, stride=2), torch.nn.ReLU(),
                                        torch.nn.Conv2d(8, 8, 3, stride=2), torch.nn.ReLU(),
                                        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.head = torch.nn.Linear(8 + 22, 5)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        x = torch.cat([self.conv(obs["front_rgb"]), obs["proprio"]], dim=1)
        return torch.tanh(self.head(x))


class ShapeProbe(torch.nn.Module):
    """Answers with what it was given: rgb channels and maximum, seg channels, intrinsic and extrinsic
    sizes; one row per observation."""

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        rgb, seg = obs["front_rgb"], obs["front_seg"]
        row = torch.stack([torch.tensor(float(rgb.shape[1])), rgb.max(), torch.tensor(float(seg.shape[1])),
                           torch.tensor(float(obs["front_intrinsic"].shape[1] * obs["front_intrinsic"].shape[2])),
                           torch.tensor(float(obs["front_extrinsic"].shape[1] * obs["front_extrinsic"].shape[2]
                                              + obs["variant"].shape[1] + obs["pointcloud_xyz"].shape[2]))])
        return row.unsqueeze(0).repeat(rgb.shape[0], 1) + obs["variant"][:, :1]


def _obs(i: int) -> dict[str, np.ndarray]:
    return {"proprio": np.zeros(22, np.float32), "variant": np.array([i % 2, 1 - i % 2, 0], np.float32),
            "front_rgb": np.full((8, 8, 3), 255, np.uint8), "front_seg": np.zeros((8, 8, 1), np.int32),
            "front_intrinsic": np.eye(3, dtype=np.float32), "front_extrinsic": np.eye(4, dtype=np.float32),
            "pointcloud_xyz": np.zeros((16, 3), np.float32)}


def test_every_observation_key_reaches_the_model_batched(tmp_path, rgb_env):
    path = tmp_path / "probe.pt"
    torch.jit.save(torch.jit.script(ShapeProbe()), str(path))
    policy = load_policy(str(path), rgb_env)
    actions = policy.act_batch([_obs(0), _obs(1), _obs(2)])
    assert [a.tolist() for a in actions] == [[3, 1, 1, 9, 16 + 3 + 3], [4, 2, 2, 10, 23], [3, 1, 1, 9, 22]]
    assert policy.act(_obs(1)).tolist() == [4, 2, 2, 10, 23]


def test_act_batch_acts_as_act_on_each_observation(tmp_path, rgb_env):
    path = tmp_path / "cnn.pt"
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(TinyCNN()), str(path))
    policy = load_policy(str(path), rgb_env)
    observations = [rgb_env.reset(seed=s)[0] for s in range(3)] + [rgb_env.step(np.ones(5, np.float32))[0]]
    one_by_one = np.stack([policy.act(o) for o in observations])
    batched = np.stack(policy.act_batch(observations))
    assert batched.shape == (4, 5) and batched.dtype == np.float32
    np.testing.assert_allclose(batched, one_by_one, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"the model returned shape \(1, 5\) for 2 observations"):
        load_policy(str(_saved(tmp_path, Reacher())), rgb_env).act_batch(observations[:2])


def _saved(tmp_path, model) -> str:
    path = tmp_path / f"{type(model).__name__}.pt"
    torch.jit.save(torch.jit.script(model), str(path))
    return str(path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: see the GPU check")
def test_an_absent_device_is_refused_with_the_fix(tmp_path, rgb_env):
    path = _saved(tmp_path, Reacher())
    with pytest.raises(ValueError, match=r"device 'cuda' is not available: this PyTorch sees no CUDA GPU.*"
                                         r"use device='cpu'"):
        load_policy(path, rgb_env, device="cuda")
    with pytest.raises(ValueError, match=r"unknown torch device 'gpu'"):
        load_policy(path, rgb_env, device="gpu")
    from colosseum_lite.eval.runner import prepare

    with pytest.raises(ValueError, match="device 'cuda' is not available"):
        prepare(path, tasks="close_box", db=str(tmp_path / "r.sqlite"), control_mode="ee_delta", device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_model_runs_on_the_gpu(tmp_path, rgb_env):
    path = _saved(tmp_path, TinyCNN())
    cpu, gpu = load_policy(path, rgb_env), load_policy(path, rgb_env, device="cuda")
    assert next(gpu.model.parameters()).is_cuda
    obs = rgb_env.reset(seed=0)[0]
    np.testing.assert_allclose(gpu.act(obs), cpu.act(obs), atol=1e-4)


def test_a_checkpoint_that_cannot_be_built_fails_before_the_sweep(tmp_path, monkeypatch):
    from colosseum_lite.eval.runner import prepare

    module = tmp_path / "ckpt_mod.py"
    module.write_text("import torch\n\nclass Net(torch.nn.Module):\n    def forward(self, obs):\n"
                      "        return obs['proprio'][:, :5]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import ckpt_mod

    path = tmp_path / "net.pt"
    torch.save(ckpt_mod.Net(), str(path))
    monkeypatch.delitem(sys.modules, "ckpt_mod")
    module.unlink()
    db = tmp_path / "r.sqlite"
    common = {"tasks": "close_box", "db": str(db), "control_mode": "ee_delta", "obs_mode": "state"}
    with pytest.raises(ValueError, match=r"cannot load .*net.pt as a TorchScript or pickled torch model: "
                                         r"ModuleNotFoundError: No module named 'ckpt_mod'"):
        prepare(f"pickle:{path}", **common)
    garbage = tmp_path / "garbage.ts"
    garbage.write_bytes(b"PK\x03\x04 this is no archive" * 10)
    with pytest.raises(ValueError, match="cannot load .*garbage.ts: it is neither a TorchScript model nor"):
        prepare(str(garbage), **common)
    assert not db.exists()


@pytest.mark.slow
def test_a_torch_policy_gives_the_same_rows_batched(tmp_path):
    from colosseum_lite.eval.runner import evaluate

    torch.manual_seed(0)
    path = _saved(tmp_path, TinyCNN())
    common = {"tasks": "slide_block_to_target", "sets": "mo_color", "episodes": 3, "workers": 1, "seed": 0,
              "control_mode": "ee_delta", "progress": False,
              "env_kwargs": {"max_episode_steps": 3, "image_size": 32, "reward_mode": "dense"}}
    one = evaluate(path, db=str(tmp_path / "one.sqlite"), **common)
    three = evaluate(path, db=str(tmp_path / "three.sqlite"), batch_size=3, **common)

    def essence(rows):
        return sorted((r.set_name, r.episode, r.seed, r.params, r.success, r.steps, r.status) for r in rows)

    def returns(rows):
        return [r.return_ for r in sorted(rows, key=lambda r: (r.set_name, r.episode))]

    assert len(one.rows) == 6 and all(r.status.value == "ok" and r.return_ > 0 for r in one.rows)
    assert essence(one.rows) == essence(three.rows)
    # a batched matrix product rounds differently from a single one (actions differ by ~1e-8), so a
    # torch model's returns agree to rounding, not bit for bit (measured: 2e-11 apart)
    assert returns(three.rows) == pytest.approx(returns(one.rows), rel=0, abs=1e-6)
