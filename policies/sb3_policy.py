"""Run a Stable-Baselines3 checkpoint as a policy (``load_policy("sb3:path/to/model.zip", env)``).

The file is what ``model.save(path)`` writes: a zip whose ``data`` entry is JSON describing the
model. The algorithm is read from it, not from the user: the module of the saved policy class
(``stable_baselines3.sac.policies`` is SAC, ...) and the hyperparameters only one algorithm keeps
(``clip_range`` is PPO's, ``policy_delay`` TD3's, ...). Supported: :data:`ALGORITHMS`; the
sb3-contrib algorithms are refused by name. The model acts with ``predict(obs, deterministic=True)``
on the env's observation dict as it is (a ``MultiInputPolicy``), and its spaces must be the env's.

Loading unpickles the policy class and the spaces stored in the zip, which runs code the file
names: load only checkpoints you trust (the ``sb3:`` prefix is that choice, as ``pickle:`` is for
torch modules). Training-only state (learning-rate and clip schedules, the replay buffer) is not
unpickled: it is replaced by inert values, so a checkpoint saved on another Python still loads.
Stable-Baselines3 is an optional dependency: ``pip install 'colosseum-lite[sb3]'``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import gymnasium as gym
import numpy as np

SB3_PREFIX = "sb3:"
ALGORITHMS = ("PPO", "A2C", "SAC", "TD3", "DDPG", "DQN")
INSTALL = "pip install 'colosseum-lite[sb3]'"
_CONTRIB = {"ars": "ARS", "crossq": "CrossQ", "qrdqn": "QRDQN", "tqc": "TQC", "trpo": "TRPO",
            "recurrent": "RecurrentPPO", "maskable": "MaskablePPO"}
# Each algorithm by a hyperparameter only it saves, most specific first (sb3-contrib's TRPO
# shares PPO/A2C's policy classes, hence its own entry).
_SIGNATURES = (("cg_max_steps", "TRPO"), ("clip_range", "PPO"), ("policy_delay", "TD3"),
               ("target_entropy", "SAC"), ("exploration_final_eps", "DQN"), ("gae_lambda", "A2C"))


def require_sb3() -> ModuleType:
    """The ``stable_baselines3`` module.

    Raises:
        ValueError: Stable-Baselines3 is not installed, with the command that installs it.
    """
    try:
        import stable_baselines3
    except ImportError:
        raise ValueError(f"an SB3 checkpoint policy needs Stable-Baselines3: {INSTALL}") from None
    return stable_baselines3


def read_algorithm(path: str | Path) -> str:
    """The name of the algorithm that saved the SB3 checkpoint at ``path`` (one of :data:`ALGORITHMS`).

    Reads only the zip's JSON ``data`` entry: nothing is unpickled and SB3 need not be installed.

    Raises:
        ValueError: the file is not an SB3 zip, or an algorithm colosseum-lite does not load saved it.
    """
    path = Path(path)
    data = _read_data(path)
    policy_class = data.get("policy_class")
    module = policy_class.get("__module__", "") if isinstance(policy_class, dict) else ""
    parts = module.split(".")
    if parts[0] == "sb3_contrib":
        contrib = next((_CONTRIB[p] for p in parts[1:] if p in _CONTRIB), "an sb3-contrib algorithm")
        _unsupported(path, contrib, module)
    name = next((algo for key, algo in _SIGNATURES if key in data), None)
    if name is None or name not in ALGORITHMS:
        _unsupported(path, name or "an algorithm SB3 does not name in the file", module)
    if name == "TD3" and data.get("policy_delay") == 1 and data.get("target_noise_clip") == 0.0:
        return "DDPG"  # SB3's DDPG is TD3 with these two settings
    return name


class SB3Policy:
    """A Stable-Baselines3 checkpoint behind the policy protocol, acting deterministically.

    Keeps the model and the env's spaces, not the env, so one instance serves every env of a sweep
    whose spaces match.

    Args:
        env: the env to act in; its observation and action spaces must be the checkpoint's.
        path: the ``.zip`` that ``model.save`` wrote.
        device: the torch device to run on (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).

    Raises:
        ValueError: SB3 is missing; the file is missing or no SB3 zip; the algorithm is not
            supported; the device is unknown or has no GPU behind it; or the checkpoint's spaces
            differ from the env's (both are named).
    """

    def __init__(self, env: gym.Env, path: str | Path, device: str = "cpu") -> None:
        sb3 = require_sb3()
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"SB3 checkpoint {path} does not exist")
        self.algorithm = read_algorithm(path)
        self.device = _check_device(device)
        algo_class = getattr(sb3, self.algorithm)
        try:
            self.model = algo_class.load(str(path), env=None, device=device, custom_objects=_INERT,
                                         print_system_info=False)
        except Exception as exc:  # noqa: BLE001 - a corrupt or foreign zip: say which and why
            raise ValueError(f"cannot load {path} as an SB3 {self.algorithm} checkpoint: "
                             f"{type(exc).__name__}: {exc}") from None
        _check_space(path, "observation", self.model.observation_space, env.observation_space)
        _check_space(path, "action", self.model.action_space, env.action_space)
        self.action_space = env.action_space

    def reset(self, seed: int | None = None, info: dict[str, Any] | None = None) -> None:
        """Nothing to forget: a feed-forward SB3 policy keeps no state between steps."""

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The model's deterministic action for one observation dict."""
        action, _ = self.model.predict(obs, deterministic=True)
        return np.asarray(action, dtype=self.action_space.dtype).reshape(self.action_space.shape)

    def act_batch(self, observations: Sequence[dict[str, Any]]) -> list[np.ndarray]:
        """The deterministic actions for several observation dicts, in one forward pass."""
        batch = {key: np.stack([obs[key] for obs in observations]) for key in observations[0]}
        actions, _ = self.model.predict(batch, deterministic=True)
        actions = np.asarray(actions, dtype=self.action_space.dtype)
        return [a.reshape(self.action_space.shape) for a in actions]


def _zero(_progress_remaining: float) -> float:
    """A constant schedule: inference never reads a learning rate or clip range."""
    return 0.0


# Training-only entries of the checkpoint, replaced instead of unpickled (SB3's ``custom_objects``);
# ``buffer_size`` 1 keeps an off-policy model from allocating its replay buffer.
_INERT: dict[str, Any] = {
    "learning_rate": 0.0, "lr_schedule": _zero, "clip_range": _zero, "clip_range_vf": None,
    "exploration_schedule": _zero, "buffer_size": 1, "replay_buffer_class": None, "replay_buffer_kwargs": {},
    "optimize_memory_usage": False, "_last_obs": None, "_last_original_obs": None, "action_noise": None,
}


def _read_data(path: Path) -> dict[str, Any]:
    """The JSON ``data`` entry of an SB3 zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            raw = archive.read("data")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        why = "it is not a zip file" if isinstance(exc, zipfile.BadZipFile) else (
            "it has no 'data' entry" if isinstance(exc, KeyError) else f"it cannot be read ({exc})")
        raise ValueError(f"{path} is not a Stable-Baselines3 checkpoint: {why}; save one with "
                         "model.save('model.zip')") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a Stable-Baselines3 checkpoint: its 'data' entry is not a JSON "
                         "table; save one with model.save('model.zip')")
    return data


def _unsupported(path: Path, name: str, module: str) -> NoReturn:
    """Raise the ValueError for a checkpoint of an algorithm outside :data:`ALGORITHMS`."""
    where = f" (policy class from {module})" if module else ""
    raise ValueError(f"{path} was saved by {name}{where}, which the sb3: spec does not load; supported: "
                     f"{', '.join(ALGORITHMS)}. Load other models in your own factory "
                     "('path/to/file.py:make' returning an object with reset(seed, info=None) and act(obs))")


def _check_device(device: str) -> str:
    """``device`` once torch knows it and this machine has it (SB3 alone would fall back to the CPU)."""
    import torch

    from colosseum_lite.policies.torch_policy import check_device  # one check for every torch policy

    check_device(torch, device)
    return device


def _check_space(path: Path, what: str, saved: gym.Space, env_space: gym.Space) -> None:
    """Raise unless the checkpoint's space is the env's (images may be saved channel-first)."""
    if saved == env_space or _channel_first(env_space) == saved:
        return
    detail = ""
    if isinstance(saved, gym.spaces.Dict) and isinstance(env_space, gym.spaces.Dict):
        missing, extra = sorted(set(saved) - set(env_space)), sorted(set(env_space) - set(saved))
        differ = [f"{k!r}: checkpoint {saved[k]}, env {env_space[k]}" for k in sorted(set(saved) & set(env_space))
                  if saved[k] != env_space[k] and _channel_first(env_space[k]) != saved[k]]
        detail = "; ".join(filter(None, [f"keys only the checkpoint has: {missing}" if missing else "",
                                         f"keys only the env has: {extra}" if extra else "", *differ]))
        detail = f" ({detail})"
    fix = ("make the env with the obs_mode, cameras and image size the model was trained with" if what ==
           "observation" else "make the env with the control_mode the model was trained with")
    raise ValueError(f"SB3 checkpoint {path} was trained on the {what} space {saved}, but the env has "
                     f"{env_space}{detail}; {fix}")


def _channel_first(space: gym.Space) -> gym.Space:
    """``space`` with each HxWxC uint8 image as CxHxW, as SB3's VecTransposeImage saves it."""
    if isinstance(space, gym.spaces.Dict):
        return gym.spaces.Dict({k: _channel_first(s) for k, s in space.spaces.items()})
    if isinstance(space, gym.spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3:
        return gym.spaces.Box(np.transpose(space.low, (2, 0, 1)), np.transpose(space.high, (2, 0, 1)),
                              dtype=np.uint8)
    return space
