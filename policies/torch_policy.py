"""Run a saved PyTorch model as a policy (``load_policy("path/to/model.pt", env)``).

The model is a TorchScript file (``torch.jit.save(torch.jit.script(model), path)``), the safe
default: loading it runs no Python code. A whole pickled ``nn.Module`` (``torch.save(model, path)``)
is refused unless the spec says ``pickle:path/to/model.pt``, because unpickling executes whatever
code the file names; a file without the prefix is only ever read with ``weights_only=True``. A bare
state dict holds weights, not a model, and cannot act. The model is called once per step with a
dict of batched float32 tensors, one per observation key:

- ``proprio``, ``object_state``: shape ``(1, n)``;
- ``<camera>_rgb``: shape ``(1, 3, H, W)``, scaled to [0, 1];
- ``<camera>_depth``: shape ``(1, 1, H, W)``, metres;

and must return the action as a tensor of shape ``(1, action_dim)`` or ``(action_dim,)``. Torch
is an optional dependency: ``pip install 'colosseum-lite[torch]'``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np

MODEL_SUFFIXES = (".pt", ".pth", ".ts")
_SAVE_TORCHSCRIPT = "torch.jit.save(torch.jit.script(model), path)"
_PICKLE_PROTO = 0x80  # first byte of a binary pickle (protocol 2 and later)


def require_torch() -> ModuleType:
    """The ``torch`` module.

    Raises:
        ValueError: PyTorch is not installed, with the command that installs it.
    """
    try:
        import torch
    except ImportError:
        raise ValueError("a torch model policy needs PyTorch: pip install 'colosseum-lite[torch]'") from None
    return torch


class TorchPolicy:
    """A saved model behind the policy protocol, on the CPU, without gradients.

    Args:
        env: the env whose action space the model's output must fill.
        path: a TorchScript file, or with ``trust_pickle`` a pickled ``nn.Module``.
        trust_pickle: also accept a pickled module (``torch.load(weights_only=False)``), which
            executes code from the file; the ``pickle:`` spec prefix sets it.

    Raises:
        ValueError: the file is missing, unreadable, a state dict, or (without ``trust_pickle``)
            a pickle that needs more than tensors to load.
    """

    def __init__(self, env: gym.Env, path: str | Path, trust_pickle: bool = False) -> None:
        torch = require_torch()
        self.torch = torch
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"model file {path} does not exist")
        self.model = _load_model(torch, path, trust_pickle)
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


def _load_model(torch: ModuleType, path: Path, trust_pickle: bool) -> Any:
    """TorchScript first; then a tensors-only load, or with ``trust_pickle`` a full unpickling."""
    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - not TorchScript: try the torch.save formats below
        not_script = _first_line(exc)
    if trust_pickle:
        try:
            model = torch.load(str(path), map_location="cpu", weights_only=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
            raise ValueError(f"cannot load {path} as a TorchScript or pickled torch model: "
                             f"{type(exc).__name__}: {_first_line(exc)}") from None
    else:
        try:
            model = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - refused pickles and garbage alike end here
            raise ValueError(_refusal(path, exc, not_script)) from None
    if not callable(model):
        if isinstance(model, (dict, list, tuple, torch.Tensor)):
            raise ValueError(f"{path} holds a state dict / tensors, not a model: weights alone cannot act. "
                             f"Save a TorchScript model with {_SAVE_TORCHSCRIPT}, or, if you trust the file, "
                             "save the whole module with torch.save(model, path) and load it as a pickled "
                             "module with the 'pickle:' prefix (trust_pickle)")
        raise ValueError(f"{path} holds a {type(model).__name__}, not a callable model; save one with "
                         f"{_SAVE_TORCHSCRIPT}")
    return model


def _refusal(path: Path, exc: Exception, not_script: str) -> str:
    """Why a file that is not TorchScript was not loaded with ``weights_only=True``."""
    if not _looks_pickled(path):
        return (f"cannot load {path}: it is neither a TorchScript model nor a file saved by torch.save "
                f"({not_script}); save the model with {_SAVE_TORCHSCRIPT}")
    needs = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
    what = f" (it needs {needs.group(1)})" if needs else ""
    return (f"{path} is not TorchScript but a pickled Python object{what}; unpickling executes code from the "
            f"file, so it was not loaded. Save the model with {_SAVE_TORCHSCRIPT}, or, if you trust the file, "
            f"use the 'pickle:' prefix: policy 'pickle:{path}'")


def _looks_pickled(path: Path) -> bool:
    """Whether a file is a torch.save zip archive or starts like a binary pickle, read without unpickling."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return any(name.endswith("data.pkl") for name in archive.namelist())
        with path.open("rb") as f:
            return f.read(1) == bytes([_PICKLE_PROTO])
    except (OSError, zipfile.BadZipFile):
        return False


def _first_line(exc: BaseException) -> str:
    """The first sentence of an exception's message, without terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    return text.splitlines()[0].split(". ")[0].rstrip(".") if text else type(exc).__name__
