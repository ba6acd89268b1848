"""What ``gym.make`` accepts: one Gymnasium id per task (``ColosseumLite/<CamelName>-v0``), and
the check of every keyword it passes, done before any simulator is built.

:func:`check_make_kwargs` is the one implementation: ``ColosseumEnv.__init__`` calls it, and so
can a runner that wants a whole sweep's arguments checked before it starts any work.
"""

from __future__ import annotations

import difflib
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum, unique
from types import FrameType
from typing import Any, TypeVar

import gymnasium as gym
import numpy as np

from colosseum_lite.cameras import CAMERAS
from colosseum_lite.declarations import AxisSetting, describe
from colosseum_lite.perturbations import resolve
from colosseum_lite.tasks import TASKS, env_id
from colosseum_lite.tasks.base import Task

ENTRY_POINT = "colosseum_lite.registration:make_env"
RENDER_MODES = ("rgb_array", "human")
FRAME_LIST = "rgb_array_list"  # gym.make only: rgb_array frames gathered by RenderCollection
IMAGE_SIZE_PX = (16, 1024)
RENDER_SIZE_PX = (16, 2048)
POINTCLOUD_POINTS = (1, 1 << 20)


@unique
class ObsMode(Enum):
    """What observations hold besides proprioception."""

    STATE = "state"  # privileged object state
    RGB = "rgb"
    RGBD = "rgbd"
    RGBD_SEG = "rgbd+seg"  # rgbd and a segmentation image per camera
    POINTCLOUD = "pointcloud"  # world-frame points from every observed camera

    @property
    def cameras(self) -> bool:
        """Whether the mode observes cameras (every mode but ``state``)."""
        return self is not ObsMode.STATE

    @property
    def depth(self) -> bool:
        """Whether the mode reads depth (every camera mode but ``rgb``)."""
        return self not in (ObsMode.STATE, ObsMode.RGB)

    @property
    def segmentation(self) -> bool:
        """Whether the mode renders segmentation (it costs a little each frame)."""
        return self in (ObsMode.RGBD_SEG, ObsMode.POINTCLOUD)


@unique
class ControlMode(Enum):
    """How actions drive the arm."""

    EE_DELTA = "ee_delta"  # [dx, dy, dz, dyaw, gripper] in [-1, 1]
    EE_KEYFRAME = "ee_keyframe"  # [x, y, z, qx, qy, qz, qw, gripper]; the env moves there


@unique
class RewardMode(Enum):
    """What ``step`` rewards."""

    SPARSE = "sparse"  # 1.0 on success, else 0.0
    DENSE = "dense"  # the task's shaped reward in [0, 1] (Task.dense_reward), 1.0 at success


def step_limit(task: str, control_mode: ControlMode | str) -> int:
    """The default step limit of ``task`` in a control mode.

    ``Task.max_episode_steps`` keyframes in ``ee_keyframe``, ``Task.max_delta_steps`` 20 Hz steps
    in ``ee_delta``; ``gym.make(..., max_episode_steps=N)`` overrides it.

    Raises:
        ValueError: an unknown task or control mode, naming the valid ones.
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {describe(task)}; expected one of {sorted(TASKS)}")
    mode = _choice(ControlMode, control_mode, "control_mode")
    cls = TASKS[task]
    return cls.max_delta_steps if mode is ControlMode.EE_DELTA else cls.max_episode_steps


@dataclass(frozen=True, slots=True)
class MakeConfig:
    """The checked keywords of one env; see ``ColosseumEnv`` for what each means.

    The defaults are ``ColosseumEnv``'s; ``axes`` is the resolved ``perturbations``, and
    ``max_episode_steps`` the step limit in force: when not given, the task's default for the
    control mode (:func:`step_limit`).
    """

    task: str
    obs_mode: ObsMode = ObsMode.STATE
    control_mode: ControlMode = ControlMode.EE_KEYFRAME
    render_mode: str | None = None
    cameras: tuple[str, ...] = ("front", "wrist")
    image_size: int = 128
    render_size: int = 256
    variant: str | None = None
    low_poly: bool = True
    axes: Mapping[str, AxisSetting] = field(default_factory=dict)
    texture_folder: str | os.PathLike[str] | None = None
    reward_mode: RewardMode = RewardMode.SPARSE
    pointcloud_points: int = 4096
    max_episode_steps: int | None = None  # None: the task's default for the control mode

    def __post_init__(self) -> None:
        if self.max_episode_steps is None and self.task in TASKS:
            object.__setattr__(self, "max_episode_steps", step_limit(self.task, self.control_mode))


E = TypeVar("E", bound=Enum)


def _choice(enum: type[E], value: Any, what: str) -> E:
    """The member of ``enum`` named by ``value`` (its value or the member itself)."""
    valid = [m.value for m in enum]
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{what} must be one of {valid}, got {describe(value)}")
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"unknown {what} {value!r}; expected one of {valid}") from None


def check_integer(value: Any, what: str, low: int, high: int) -> int:
    """``value`` as an int, or ValueError unless it is an integer (not a bool) in [low, high]."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral) \
            or not low <= int(value) <= high:
        raise ValueError(f"{what} must be an integer in [{low}, {high}], got {describe(value)}")
    return int(value)


def _render_mode(value: Any, task: type[Task]) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in (*RENDER_MODES, FRAME_LIST)):
        raise ValueError(f"unknown render_mode {describe(value)}; expected one of "
                         f"{[*RENDER_MODES, FRAME_LIST]} or None")
    return value


def _cameras(value: Any, task: type[Task]) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names:
        raise ValueError(f"cameras must be a camera name or a non-empty list of them, from {list(CAMERAS)}; "
                         f"got {describe(value)}")
    for cam in names:
        if not isinstance(cam, str):
            raise ValueError(f"cameras must hold camera names (strings) from {list(CAMERAS)}, got {describe(cam)}")
        if cam not in CAMERAS:
            raise ValueError(f"unknown camera {cam!r}; expected one of {list(CAMERAS)}")
    twice = sorted({cam for cam in names if names.count(cam) > 1})
    if twice:
        raise ValueError(f"cameras lists {twice} more than once; observations hold one image per camera")
    return tuple(names)


def _variant(value: Any, task: type[Task]) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in task.variants):
        raise ValueError(f"unknown variant {describe(value)} of {task.name}; expected one of "
                         f"{list(task.variants)} or None (a variant drawn per episode)")
    return value


def _low_poly(value: Any, task: type[Task]) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"low_poly must be True or False, got {describe(value)}")
    return bool(value)


def _texture_folder(value: Any, task: type[Task]) -> str | os.PathLike[str] | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise ValueError(f"texture_folder must be a folder path or None, got {describe(value)}")
    if not os.path.isdir(value):
        raise ValueError(f"texture folder {str(value)!r} does not exist or is not a directory")
    return value


def _reward_mode(value: Any, task: type[Task]) -> RewardMode:
    mode = _choice(RewardMode, value, "reward_mode")
    if mode is RewardMode.DENSE and task.dense_reward is Task.dense_reward:
        raise ValueError(f"{task.name} has no dense reward (Task.dense_reward); use reward_mode='sparse'")
    return mode


def _max_episode_steps(value: Any, task: type[Task]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"max_episode_steps must be an integer >= 1 or None (the task's default), got "
                         f"{describe(value)}; every episode needs a step limit (gym.make's -1, none, is refused)")
    return int(value)


# kwarg -> (MakeConfig field, check returning the normalised value).
_CHECKS: dict[str, tuple[str, Callable[[Any, type[Task]], Any]]] = {
    "obs_mode": ("obs_mode", lambda v, t: _choice(ObsMode, v, "obs_mode")),
    "control_mode": ("control_mode", lambda v, t: _choice(ControlMode, v, "control_mode")),
    "render_mode": ("render_mode", _render_mode),
    "cameras": ("cameras", _cameras),
    "image_size": ("image_size", lambda v, t: check_integer(v, "image_size", *IMAGE_SIZE_PX)),
    "render_size": ("render_size", lambda v, t: check_integer(v, "render_size", *RENDER_SIZE_PX)),
    "variant": ("variant", _variant),
    "low_poly": ("low_poly", _low_poly),
    "perturbations": ("axes", lambda v, t: resolve(t, v)),
    "texture_folder": ("texture_folder", _texture_folder),
    "reward_mode": ("reward_mode", _reward_mode),
    "pointcloud_points": ("pointcloud_points",
                          lambda v, t: check_integer(v, "pointcloud_points", *POINTCLOUD_POINTS)),
    "max_episode_steps": ("max_episode_steps", _max_episode_steps),
}
MAKE_KWARGS: tuple[str, ...] = tuple(_CHECKS)


def make_config(task: str, kwargs: Mapping[str, Any]) -> MakeConfig:
    """The checked, normalised keywords of an env (missing ones take their defaults).

    Raises:
        ValueError: the first bad keyword, naming it, what it expects and what it got.
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {describe(task)}; expected one of {sorted(TASKS)}")
    if not isinstance(kwargs, Mapping):
        raise ValueError(f"the keywords of gym.make must be a dict, got {describe(kwargs)}")
    unknown = [k for k in kwargs if k not in _CHECKS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), MAKE_KWARGS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown gym.make keyword(s) {unknown} for {env_id(task)}{hint}; "
                         f"expected some of {list(MAKE_KWARGS)}")
    cls = TASKS[task]
    values: dict[str, Any] = {}
    for key, value in kwargs.items():
        name, check = _CHECKS[key]
        values[name] = check(value, cls)
    return MakeConfig(task, **values)


def check_make_kwargs(task: str, kwargs: Mapping[str, Any]) -> None:
    """Check ``gym.make(env_id(task), **kwargs)``'s keywords as making the env would, building nothing.

    Cheap (no simulator, no textures), so a runner can check every env of a sweep up front.

    Args:
        task: task name (see ``colosseum_lite.TASKS``).
        kwargs: every ``ColosseumEnv`` keyword but ``task`` (``perturbations`` included), and
            ``max_episode_steps``.

    Raises:
        ValueError: the first bad keyword, naming it, what it expects and what it got.
    """
    make_config(task, kwargs)


def _gym_make_argument(name: str) -> Any:
    """What ``gymnasium.make`` received for one of its own parameters, or None outside it.

    ``gym.make`` keeps ``max_episode_steps`` to itself and applies it (TimeLimit) only after the
    env is built; reading it in make's frame, the entry point's caller, lets a bad value fail
    before a simulator exists.
    """
    frame: FrameType | None = sys._getframe(1)
    for _ in range(4):
        if frame is None:
            break
        if frame.f_code is gym.make.__code__:
            return frame.f_locals.get(name)
        frame = frame.f_back
    return None


def opens_gui(render_mode: str | None) -> bool:
    """Whether an env built with ``render_mode`` opens the PyBullet GUI: ``human`` with a display.

    ``human`` without one warns and runs headless; ``rgb_array_list`` is refused (``gym.make``
    takes it and gathers ``rgb_array`` frames in a RenderCollection).
    """
    if render_mode == FRAME_LIST:
        raise ValueError(f"render_mode={FRAME_LIST!r} is gym.make's (it gathers 'rgb_array' frames "
                         "in a RenderCollection); ColosseumEnv renders 'rgb_array' or 'human'")
    gui = render_mode == "human" and bool(os.environ.get("DISPLAY"))
    if render_mode == "human" and not gui:
        warnings.warn("render_mode='human' opens the PyBullet GUI, but there is no display "
                      "(DISPLAY is unset): running headless; use render_mode='rgb_array' "
                      "for frames", stacklevel=3)
    return gui


def make_env(task: str, **kwargs: Any) -> gym.Env:
    """The entry point of every registered id: check the keywords, then build the env.

    The ids are registered without a step limit because it depends on the control mode: unless
    ``gym.make`` has one (its ``max_episode_steps``, or that of a spec it remakes, as in
    ``gym.make(env.spec)``; it then adds the TimeLimit itself), the env comes back inside a
    TimeLimit of the task's default for its control mode (:func:`step_limit`), so
    ``env.spec.max_episode_steps`` is the limit in force.
    """
    from colosseum_lite.env import ColosseumEnv  # env imports this module

    asked, spec = _gym_make_argument("max_episode_steps"), _gym_make_argument("env_spec")
    if asked is None and spec is not None:
        asked = spec.max_episode_steps
    cfg = make_config(task, {**kwargs, "max_episode_steps": asked})
    collect = kwargs.get("render_mode") == FRAME_LIST
    env: gym.Env = ColosseumEnv(task, **{**kwargs, "render_mode": "rgb_array"} if collect else kwargs)
    if asked is None:
        assert cfg.max_episode_steps is not None  # MakeConfig fills in the task's default
        env = gym.wrappers.TimeLimit(env, cfg.max_episode_steps)
    return gym.wrappers.RenderCollection(env) if collect else env


def register_all() -> list[str]:
    """Register every task (idempotent); returns the ids.

    No id carries a ``max_episode_steps``: :func:`make_env` applies the control mode's.
    """
    ids = []
    for name in TASKS:
        eid = env_id(name)
        if eid not in gym.registry:
            gym.register(id=eid, entry_point=ENTRY_POINT, kwargs={"task": name})
        ids.append(eid)
    return ids
