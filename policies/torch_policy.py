"""Run a saved PyTorch model as a policy (``load_policy("path/to/model.pt", env)``).

The model is a TorchScript file (``torch.jit.save(torch.jit.script(model), path)``) or a whole
pickled ``nn.Module`` (``torch.save(model, path)``). It is called once per step with a dict of
batched float32 tensors, one per observation key:

- ``proprio``, ``object_state``: shape ``(1, n)``;
- ``<camera>_rgb``: shape ``(1, 3, H, W)``, scaled to [0, 1];
- ``<camera>_depth``: shape ``(1, 1, H, W)``, metres;

and must return the action as a tensor of shape ``(1, action_dim)`` or ``(action_dim,)``. Torch
is an optional dependency: ``pip install 'colosseum-lite[torch]'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

MODEL_SUFFIXES = (".pt", ".pth", ".ts")


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ValueError("a torch model policy needs PyTorch: pip install 'colosseum-lite[torch]'") from None
    return torch


class TorchPolicy:
    """A saved model behind the policy protocol, on the CPU, without gradients."""

    def __init__(self, env: gym.Env, path: str | Path) -> None:
        torch = _import_torch()
        self.torch = torch
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"model file {path} does not exist")
        try:
            self.model = torch.jit.load(str(path), map_location="cpu")
        except RuntimeError:
            try:
                self.model = torch.load(str(path), map_location="cpu", weights_only=False)
            except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
                raise ValueError(f"cannot load {path} as a TorchScript or pickled torch model: {exc}") from None
        if not callable(self.model):
            raise ValueError(f"{path} holds a {type(self.model).__name__}, not a callable model")
        if hasattr(self.model, "eval"):
            self.model.eval()
        self.shape = env.action_space.shape

    def reset(self, seed: int | None = None) -> None:
        """Nothing to forget: the model is stateless between calls."""

    def _tensor(self, key: str, value: np.ndarray):
        x = self.torch.from_numpy(np.ascontiguousarray(value)).float()
        if key.endswith("_rgb") or key.endswith("_depth"):
            x = x.permute(2, 0, 1)
            if key.endswith("_rgb"):
                x = x / 255.0
        return x.unsqueeze(0)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The model's action for one observation."""
        with self.torch.no_grad():
            out = self.model({k: self._tensor(k, v) for k, v in obs.items()})
        action = np.asarray(out.detach().cpu().numpy(), dtype=np.float32).reshape(-1)
        if action.shape != self.shape:
            raise ValueError(f"the model returned {action.shape[0]} numbers; the action space needs {self.shape}")
        return action


def is_model_file(spec: str) -> bool:
    """Whether a policy spec names a saved torch model."""
    return spec.endswith(MODEL_SUFFIXES) and ":" not in spec
