"""A saved torch model as a policy (skipped where PyTorch is not installed: it is optional)."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.eval.rollout import run_episode
from colosseum_lite.policies import load_policy

torch = pytest.importorskip("torch")


class Reacher(torch.nn.Module):
    """Moves the hand toward +x and keeps the gripper open; looks at the image to prove it gets it."""

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        brightness = obs["front_rgb"].mean()  # (1, 3, H, W) in [0, 1]
        base = torch.tensor([[1.0, 0.0, 0.0, 0.0, 1.0]])
        return base * (brightness > 0.0).float()


def test_torchscript_model_runs_as_a_policy(tmp_path, make_env):
    path = tmp_path / "model.pt"
    torch.jit.save(torch.jit.script(Reacher()), str(path))
    env = make_env("slide_block_to_target", obs_mode="rgb", control_mode="ee_delta", max_episode_steps=5)
    policy = load_policy(str(path), env)
    obs, _ = env.reset(seed=0)
    start = obs["proprio"][0]
    action = policy.act(obs)
    assert action.dtype == np.float32 and action.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    result = run_episode(env, policy, seed=0, check_actions=True)
    assert result.steps == 5
    assert env.unwrapped.robot.ee_pose(env.unwrapped.sim).pos[0] > start + 0.05


def test_pickled_module_and_errors(tmp_path, make_env):
    env = make_env("slide_block_to_target", obs_mode="rgb", control_mode="ee_keyframe")
    path = tmp_path / "model.pth"
    torch.save(Reacher(), str(path))
    policy = load_policy(str(path), env)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="the model returned 5 numbers; the action space needs"):
        policy.act(env.reset(seed=0)[0])
    with pytest.raises(ValueError, match="does not exist"):
        load_policy(str(tmp_path / "missing.pt"), env)
    bad = tmp_path / "bad.pt"
    bad.write_text("not a model")
    with pytest.raises(ValueError, match="cannot load"):
        load_policy(str(bad), env)
