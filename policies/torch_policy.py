"""Run a saved PyTorch model as a policy (``load_policy("path/to/model.pt", env)``).

The model is a TorchScript file (``torch.jit.save(torch.jit.script(model), path)``), the safe
default: loading it runs no Python code. A whole pickled ``nn.Module`` (``torch.save(model, path)``)
is refused unless the spec says ``pickle:path/to/model.pt``, because unpickling executes whatever
code the file names; a file without the prefix is only ever read with ``weights_only=True``. A bare
state dict holds weights, not a model, and cannot act. The model is called with a dict of batched
float32 tensors on the policy's device, one per observation key, batch first (``B`` is 1 for
``act``, the number of observations for ``act_batch``):

- ``proprio``, ``object_state``, ``variant`` (the task variant, one-hot): ``(B, n)``;
- ``<camera>_rgb``: ``(B, 3, H, W)``, scaled to [0, 1];
- ``<camera>_depth``: ``(B, 1, H, W)``, metres;
- ``<camera>_seg``: ``(B, 1, H, W)``, the segmentation ids as floats (exact below 2**24);
- ``<camera>_intrinsic``: ``(B, 3, 3)``; ``<camera>_extrinsic``: ``(B, 4, 4)``, as in the obs;
- ``pointcloud_xyz``: ``(B, N, 3)``, metres, world frame; ``pointcloud_rgb``: ``(B, N, 3)``,
  scaled to [0, 1]; ``pointcloud_seg``: ``(B, N, 1)``, ids as floats;
- any other key: its array as float32 with a batch dimension in front.

Images (``_rgb``, ``_depth``, ``_seg`` arrays of shape ``(H, W, C)``) become channels-first; every
``_rgb`` key is divided by 255. The model must return the actions as a tensor of shape
``(B, action_dim)`` (``(action_dim,)`` is accepted when ``B`` is 1). Torch is an optional
dependency: ``pip install 'colosseum-lite[torch]'``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any, cast

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


IMAGE_SUFFIXES = ("_rgb", "_depth", "_seg")


class TorchPolicy:
    """A saved model behind the policy protocol, without gradients, on a chosen device.

    ``act`` runs the model on one observation, ``act_batch`` on several at once (one forward
    pass: the runner's ``batch_size`` uses it). A batched forward pass rounds differently from a
    single one (matrix products are blocked differently), so the two agree to about 1e-8, not bit
    for bit. The model is stateless between calls, so one instance serves every env of a sweep.

    Args:
        env: the env whose action space the model's output must fill.
        path: a TorchScript file, or with ``trust_pickle`` a pickled ``nn.Module``.
        trust_pickle: also accept a pickled module (``torch.load(weights_only=False)``), which
            executes code from the file; the ``pickle:`` spec prefix sets it.
        device: where the model runs: ``"cpu"`` (default), ``"cuda"``, ``"cuda:1"``, ``"mps"``...

    Raises:
        ValueError: the file is missing, unreadable, a state dict, or (without ``trust_pickle``)
            a pickle that needs more than tensors to load; or the device is unknown or absent.
    """

    def __init__(self, env: gym.Env, path: str | Path, trust_pickle: bool = False, device: str = "cpu") -> None:
        torch = require_torch()
        self.torch = torch
        self.device = check_device(torch, device)
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"model file {path} does not exist")
        self.model = _load_model(torch, path, trust_pickle, self.device)
        if hasattr(self.model, "eval"):
            self.model.eval()
        if hasattr(self.model, "to"):
            self.model.to(self.device)
        self.shape: tuple[int, ...] = cast(gym.spaces.Box, env.action_space).shape  # a Box has a shape

    def reset(self, seed: int | None = None, info: dict[str, Any] | None = None) -> None:
        """Nothing to forget: the model is stateless between calls."""

    def _tensor(self, key: str, values: list[np.ndarray]) -> Any:  # a torch.Tensor
        """One observation key of a batch as a float32 tensor on the device (see the module docstring)."""
        x = self.torch.from_numpy(np.ascontiguousarray(np.stack(values))).to(self.device).float()
        if key.endswith(IMAGE_SUFFIXES) and x.dim() == 4:
            x = x.permute(0, 3, 1, 2)
        if key.endswith("_rgb"):
            x = x / 255.0
        return x

    def act_batch(self, observations: list[dict[str, Any]]) -> list[np.ndarray]:
        """The model's actions for several observations (one forward pass), in order.

        Raises:
            ValueError: the observations have different keys, or the model's output does not
                hold one action of the action space's size per observation.
        """
        n = len(observations)
        if n == 0:
            return []
        keys = list(observations[0])
        if any(list(o) != keys for o in observations[1:]):
            raise ValueError("act_batch needs observations with the same keys")
        with self.torch.no_grad():
            out = self.model({k: self._tensor(k, [o[k] for o in observations]) for k in keys})
        actions = np.asarray(out.detach().cpu().numpy(), dtype=np.float32)
        size = int(np.prod(self.shape))
        if n == 1 and actions.size != size:
            raise ValueError(f"the model returned {actions.size} numbers; the action space needs {self.shape}")
        if actions.size != n * size or (n > 1 and (actions.ndim < 2 or actions.shape[0] != n)):
            raise ValueError(f"the model returned shape {actions.shape} for {n} observations; the action space "
                             f"needs {self.shape}: return shape ({n}, {size})")
        return list(actions.reshape(n, *self.shape))

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The model's action for one observation.

        Raises:
            ValueError: the model's output does not fill the action space.
        """
        return self.act_batch([obs])[0]


def is_model_file(spec: str) -> bool:
    """Whether a policy spec names a saved torch model."""
    return spec.endswith(MODEL_SUFFIXES) and ":" not in spec


def check_device(torch: ModuleType, device: str) -> Any:
    """``device`` as a ``torch.device``, checked to be there (every torch policy's one device check).

    Raises:
        ValueError: an unknown device string, or a device this machine does not have.
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"unknown torch device {device!r} ({_first_line(exc)}); use 'cpu', 'cuda', 'cuda:N' or "
                         "'mps'") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} is not available: this PyTorch sees no CUDA GPU "
                             f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); use device='cpu' "
                             "or install a CUDA build of PyTorch on a machine with a GPU")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} is not available: this machine has {torch.cuda.device_count()} "
                             f"CUDA GPU(s), cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    elif dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"device {device!r} is not available (no Apple MPS here); use device='cpu'")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {device!r} is not supported; use 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return dev


_device = check_device  # the name policies/sb3_policy.py imports


def _load_model(torch: ModuleType, path: Path, trust_pickle: bool, device: Any = "cpu") -> Any:
    """TorchScript first; then a tensors-only load, or with ``trust_pickle`` a full unpickling."""
    try:
        return torch.jit.load(str(path), map_location=device)
    except Exception as exc:  # noqa: BLE001 - not TorchScript: try the torch.save formats below
        not_script = _first_line(exc)
    if trust_pickle:
        try:
            model = torch.load(str(path), map_location=device, weights_only=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
            raise ValueError(f"cannot load {path} as a TorchScript or pickled torch model: "
                             f"{type(exc).__name__}: {_first_line(exc)}") from None
    else:
        try:
            model = torch.load(str(path), map_location=device, weights_only=True)
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
