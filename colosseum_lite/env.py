"""ColosseumEnv: one task in one PyBullet client behind the Gymnasium API.

The env is thin: it composes a :class:`~colosseum_lite.sim.Sim`, the Panda, the static scene and
a task, and translates actions and observations. Building happens once; every reset restores a
saved state and lets the task place its objects from the episode's random stream.

Every axis and the task's layout draw from their own stream (see :mod:`colosseum_lite.seeding`).
Distractors avoid the task's objects as large as its size axes can make them, so a size draw
does not move them, with two exceptions: ``basketball_in_hoop`` places its ball against the
ball's and the hoop's sizes (the only task whose objects' x/y depend on a size), and the circles
a task keeps clear are read at the drawn size (``open_drawer``'s handle lane, ``close_box``'s
spot beyond the lid's edge; in 60 seeds of each this changed no distractor draw). A reset on a
used env observes byte for byte what a fresh env does (see :mod:`colosseum_lite.bodies`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from colosseum_lite.bodies import TaskBodies
from colosseum_lite.cameras import CameraFrame
from colosseum_lite.control import (  # noqa: F401  (EE_LOW ... re-exported: where actions are bounded)
    DELTA_POS_M,
    DELTA_SUBSTEPS,
    DELTA_YAW_RAD,
    EE_HIGH,
    EE_LOW,
    KeyframeControl,
    checked_action,
    control_for,
)
from colosseum_lite.declarations import Scales
from colosseum_lite.observations import Observer, Segments
from colosseum_lite.perturbations.base import Rect
from colosseum_lite.perturbations.lifecycle import Perturber
from colosseum_lite.registration import (
    ControlMode,  # noqa: F401  (re-exported: the modes next to the env)
    ObsMode,
    RewardMode,
    _choice,  # noqa: F401  (re-exported: the runner checks modes with it)
    check_make_kwargs,  # noqa: F401  (re-exported: part of the env's public API)
    make_config,
    opens_gui,
)
from colosseum_lite.robot import Panda
from colosseum_lite.scene import DEFAULT_LIGHT, DISTRACTOR_AREA_M, TABLE, WALLS, build_static_scene
from colosseum_lite.seeding import TASK_STREAM, next_episode_seed, stream
from colosseum_lite.sim import Sim
from colosseum_lite.tasks import TASKS
from colosseum_lite.tasks.base import Snapshot, Task

SETTLE_SUBSTEPS = 24


class ColosseumEnv(gym.Env):
    """A Colosseum task for the Franka Panda.

    Observations are a flat Dict of Boxes: ``proprio`` (22) and ``variant`` (the episode's variant
    one-hot, in ``task.variants`` order) in every mode, plus ``object_state`` (``state``) or, per
    observed camera, ``{cam}_intrinsic`` (3x3 K, pixels) and ``{cam}_extrinsic`` (4x4
    world-to-camera, OpenCV frame) with the mode's images: ``{cam}_rgb`` (``rgb``), and
    ``{cam}_depth`` (metres along the optical axis; ``rgbd``), and ``{cam}_seg`` (stable body
    ids, see :meth:`segmentation_ids`; ``rgbd+seg``); ``pointcloud`` holds instead
    ``pointcloud_xyz`` (world frame, m), ``pointcloud_rgb`` and ``pointcloud_seg``, a fixed
    ``pointcloud_points`` rows drawn from every camera's body pixels (padding rows: seg -1).
    ``info`` holds ``task``, ``variant``, ``instruction``, ``episode_seed``, ``is_success`` and,
    with cameras, ``camera_params`` (per camera: intrinsic, extrinsic, width, height); reset's
    also ``perturbation`` and, in ``rgbd+seg`` and ``pointcloud``, ``segmentation_ids``.

    Rewards: ``sparse`` (default) is 1.0 on the step that solves the task, else 0.0; ``dense`` is
    the task's shaped :meth:`~colosseum_lite.tasks.base.Task.dense_reward` in [0, 1], built from its
    stages, 1.0 on success. Either way a success terminates the episode.

    Args:
        task: task name (see ``colosseum_lite.TASKS``).
        obs_mode: ``state``, ``rgb``, ``rgbd``, ``rgbd+seg`` or ``pointcloud``.
        control_mode: ``ee_keyframe`` (default, the benchmark protocol) or ``ee_delta`` (20 Hz);
            ``gym.make`` limits an episode to the task's ``max_episode_steps`` keyframes or
            ``max_delta_steps`` delta steps, and ``metadata["render_fps"]`` is 2 or 20.
        render_mode: ``rgb_array`` or ``human`` (PyBullet GUI; needs a display).
        cameras: cameras observed in image modes, from front, left_shoulder, right_shoulder,
            wrist, overhead.
        image_size: side of the square observation images in pixels.
        render_size: side of the ``render()`` image (front camera).
        variant: fix the task variant; by default each episode draws one.
        low_poly: render the Panda with its collision meshes (4.5x faster, same physics).
        perturbations: ``None`` (default), ``"all"`` (every axis that applies to the task), axis
            names, or a mapping from axis names to setting overrides (``range``, ``severity``,
            ``count``, ``choices``); see ``colosseum_lite.perturbations``.
        texture_folder: a folder of images added to the texture set of the texture axes.
        reward_mode: ``sparse`` (default) or ``dense``.
        pointcloud_points: rows of the ``pointcloud`` observation.

    Raises:
        ValueError: any bad argument, before a simulator is built (see
            :func:`check_make_kwargs`, which checks the same without building anything).
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": KeyframeControl.RENDER_FPS}
    action_space: spaces.Box  # the control mode's (see colosseum_lite.control)

    def __init__(
        self,
        task: str,
        obs_mode: str = "state",
        control_mode: str = "ee_keyframe",
        render_mode: str | None = None,
        cameras: tuple[str, ...] = ("front", "wrist"),
        image_size: int = 128,
        render_size: int = 256,
        variant: str | None = None,
        low_poly: bool = True,
        perturbations: Any = None,
        texture_folder: str | None = None,
        reward_mode: str = "sparse",
        pointcloud_points: int = 4096,
    ) -> None:
        cfg = make_config(task, {
            "obs_mode": obs_mode, "control_mode": control_mode, "render_mode": render_mode,
            "cameras": cameras, "image_size": image_size, "render_size": render_size, "variant": variant,
            "low_poly": low_poly, "perturbations": perturbations, "texture_folder": texture_folder,
            "reward_mode": reward_mode, "pointcloud_points": pointcloud_points,
        })
        gui = opens_gui(cfg.render_mode)
        self.obs_mode, self.control_mode, self.render_mode = cfg.obs_mode, cfg.control_mode, cfg.render_mode
        self.cameras, self.image_size, self.render_size = cfg.cameras, cfg.image_size, cfg.render_size
        self.reward_mode, self.pointcloud_points = cfg.reward_mode, cfg.pointcloud_points
        self.task = TASKS[task]()
        self.fixed_variant = cfg.variant
        self.sim = Sim(gui=gui)
        build_static_scene(self.sim)
        self.robot = Panda(self.sim, low_poly=cfg.low_poly)
        if type(self.task).substep is not Task.substep:  # a task with state outside PyBullet
            self.sim.step_hooks.append(functools.partial(self.task.substep, self.sim))
        self.segments = Segments.of(tuple(self.sim.bodies), self.task.objects)
        self.perturber = Perturber(
            self.sim, task, self.task.objects, cfg.axes, static_bodies={"table": (TABLE,), "walls": WALLS},
            nominal_light=DEFAULT_LIGHT, free_area=Rect(*DISTRACTOR_AREA_M), texture_folder=cfg.texture_folder,
        )
        self.axes, self.scene = self.perturber.axes, self.perturber.scene
        self.bodies = TaskBodies(self.task, self.axes)
        self._build(Scales())
        self.perturbation: dict[str, Any] = {}
        self.variant = self.task.variants[0]
        self.episode_seed = 0
        self.episode_count = 0
        self.control = control_for(self.control_mode)
        self.metadata = {**type(self).metadata, "render_fps": self.control.RENDER_FPS}
        self.action_space = self.control.action_space
        self.observer = Observer(self.obs_mode, self.cameras, self.image_size, self.pointcloud_points,
                                 self.task.variants, self.segments, self.scene)
        n = self.task.state_vector(self.snapshot()).shape[0] if self.obs_mode is ObsMode.STATE else 0
        self.observation_space = self.observer.space(n)

    # ------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode; ``seed`` makes it reproducible (a later plain reset continues).

        ``options={"perturbation": info["perturbation"]}`` replays recorded axis parameters
        instead of drawing new ones (pass the episode's seed too for the same layout);
        ``options={"perturbation": {}}`` runs one episode with no perturbation.
        """
        super().reset(seed=seed)
        self.episode_seed = int(seed) if seed is not None else next_episode_seed(self.np_random)
        self.episode_count += 1
        self.perturber.begin(self.sim, self.episode_seed, (options or {}).get("perturbation"))
        # Whatever a policy did through the client last episode (engine, dynamics, extra bodies).
        self.sim.restore_nominal()
        self._build(self.perturber.apply_build_stage(self.sim))  # sizes first: they decide which bodies exist

        rng = stream(self.episode_seed, self.task.name, TASK_STREAM)
        self.variant = self.fixed_variant or str(rng.choice(self.task.variants))
        self.bodies.restore(self.sim, self.robot)
        self.control.reset()
        self.task.reset(self.sim, rng, self.variant)
        self.perturber.record_episode_looks(self.sim, self.bodies.names)
        # Everything else, once the task's objects are placed (distractors avoid them).
        occupied = self.bodies.occupied(self.sim, self.variant)
        self.perturbation = self.perturber.apply_scene_stage(self.sim, occupied)
        self.sim.step(SETTLE_SUBSTEPS)
        return self.observe()

    def observe(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The observation and info of the scene as it is now, as :meth:`reset` returns them.

        For a caller that edits the start state through ``sim`` after ``reset`` (a start-state
        curriculum moving a body or turning a joint) and needs the first observation to show it.
        """
        snap, frames = self.snapshot(), self._frames()
        info = {**self._info(snap, frames), "perturbation": self.perturbation}
        if self.obs_mode.segmentation:
            info["segmentation_ids"] = self.segmentation_ids()
        return self._observation(snap, frames), info

    def step(self, action: np.ndarray) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Apply one action; ``terminated`` when the task is solved (reward: see the class docs)."""
        self.control.step(self.sim, self.robot, checked_action(action, self.action_space, self.control_mode))
        snap, frames = self.snapshot(), self._frames()
        info = self._info(snap, frames)
        success = info["is_success"]
        if self.reward_mode is RewardMode.DENSE:
            reward = 1.0 if success else float(self.task.dense_reward(snap, self.variant))
        else:
            reward = float(success)
        return self._observation(snap, frames), reward, success, False, info

    def render(self) -> np.ndarray | None:
        """The front camera at ``render_size`` (``rgb_array``); the GUI draws itself (``human``)."""
        if self.render_mode == "rgb_array":
            return self.camera_image("front", self.render_size)[0]
        return None

    def close(self) -> None:
        """Release the simulator."""
        if getattr(self, "sim", None) is not None:
            self.sim.close()
            self.sim = None  # type: ignore[assignment]  # a closed env holds no simulator

    def _build(self, scales: Scales) -> None:
        """(Re)create the task's bodies at ``scales`` and record their nominal looks; no-op if built."""
        if self.bodies.build(self.sim, self.robot, scales):
            self.perturber.record_nominal(self.sim, self.bodies.names)

    # ------------------------------------------------------------- helpers
    def snapshot(self) -> Snapshot:
        """The scene as the task's success predicate sees it."""
        return self.bodies.snapshot(self.sim)

    def camera_frame(self, name: str, size: int | None = None) -> CameraFrame:
        """Intrinsics and extrinsics of a named camera now (see ``colosseum_lite.cameras``)."""
        return self.observer.frame(self.sim, name, size)

    def camera_image(
        self, name: str, size: int | None = None, segmentation: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """RGB (uint8), metric depth (float32 m) and optional segmentation of one camera."""
        return self.observer.render(self.sim, self.camera_frame(name, size), segmentation)

    def segmentation_ids(self) -> dict[int, dict[str, str]]:
        """What each id of ``{cam}_seg`` and ``pointcloud_seg`` is: ``{id: {"name", "role"}}``.

        The same for every episode of this env (see :mod:`colosseum_lite.observations`); -1 is the
        background.
        """
        return self.segments.table()

    def _frames(self) -> dict[str, CameraFrame]:
        """Every observed camera's frame now (none in state mode), computed once per step."""
        return self.observer.frames(self.sim)

    def _observation(self, snap: Snapshot, frames: Mapping[str, CameraFrame]) -> dict[str, np.ndarray]:
        """The observation of ``snap`` (state mode) or of ``frames``' images."""
        state = self.task.state_vector(snap) if self.obs_mode is ObsMode.STATE else None
        return self.observer.observation(self.sim, self.robot.proprio(self.sim), self.variant, state, frames)

    def _info(self, snap: Snapshot, frames: Mapping[str, CameraFrame]) -> dict[str, Any]:
        """The step's info (see the class docs), camera parameters from ``frames``."""
        return {
            "task": self.task.name,
            "is_success": bool(self.task.success(snap, self.variant)),
            "variant": self.variant,
            "episode_seed": self.episode_seed,
            "instruction": self.task.instruction(self.variant),
            **self.observer.camera_info(frames),
        }
