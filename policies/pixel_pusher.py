"""PixelPusher: a colour-keyed vision baseline for ``slide_block_to_target``.

This is a deliberately simple toy, not a learned policy. It finds the block as the largest blob
of the nominal block red and the target as the largest blob of the nominal patch green in the
front camera's RGB image, back-projects each blob's centroid onto the horizontal plane at the
object's known height with the camera's published calibration, and runs the task oracle's
closed-loop pushing plan on those estimates. It reads nothing else: no simulator state, no body
poses, no perturbation parameters; only images, proprioception and camera calibration.

Because it keys on colour, it collapses when the block changes colour or texture, as THE
COLOSSEUM found for learned policies; that is what it is for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cv2
import gymnasium as gym
import numpy as np

from colosseum_lite.cameras import CameraFrame
from colosseum_lite.env import ColosseumEnv, ControlMode, ObsMode
from colosseum_lite.robot import Gripper, top_down_quat, wrap_grasp_yaw
from colosseum_lite.tasks.base import Keyframe
from colosseum_lite.tasks.skills import push_segments

CAMERA = "front"
# OpenCV HSV bounds (hue 0-180) around the nominal colours, tuned on unperturbed frames.
RED_HUE_MAX, RED_HUE_MIN_WRAPPED = 8, 172  # red wraps around hue 0
GREEN_HUE = (50, 80)
MIN_SATURATION, MIN_VALUE = 140, 60
MIN_BLOB_PX = 4
BLOCK_CENTER_Z_M = 0.025  # nominal block half height: its centre above the table (z = 0)
TARGET_Z_M = 0.0
# The oracle's pushing plan (see tasks/slide_block_to_target.py), with the block's unseen yaw
# replaced by its worst case: the half diagonal of the nominal 5 cm block.
REACH_M = 0.025 * np.sqrt(2)
CLEARANCE_M = 0.03
APPROACH_Z_M = 0.12
PUSH_Z_M = 0.015
PUSH_STEP_M = 0.06
PUSHES_PER_APPROACH = 6
MAX_LATERAL = 0.35  # sine of the angle the block may drift off the push line before re-approaching
DONE_M = 0.01
VISIBLE_FRACTION = 0.6  # a block blob smaller than this share of its unoccluded area is hidden
CONTACT_M = 0.035  # block centre ahead of the closed fingertips' centre while pushing (half block + finger)

Plan = Iterator[np.ndarray]


def pixel_to_plane(frame: CameraFrame, uv: tuple[float, float], z_m: float) -> np.ndarray | None:
    """World point where the ray through pixel ``uv`` (continuous coordinates) meets plane ``z_m``.

    Returns None when the ray is parallel to the plane or the plane lies behind the camera.
    """
    ray_cam = np.linalg.solve(frame.K, np.array([uv[0], uv[1], 1.0]))
    rot, origin = frame.T_world_camera[:3, :3], frame.T_world_camera[:3, 3]
    ray = rot @ ray_cam
    if abs(ray[2]) < 1e-9:
        return None
    s = (z_m - origin[2]) / ray[2]
    return origin + s * ray if s > 0 else None


def blob_centroid(mask: np.ndarray) -> tuple[float, float, int] | None:
    """Centroid ``(u, v)`` (pixel coordinates, OpenCV convention: pixel ``[row, col]`` is centred
    on ``(col, row)``, as in the camera intrinsics) and area of the mask's largest component."""
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < MIN_BLOB_PX:
        return None
    u, v = centroids[best]
    return float(u), float(v), int(stats[best, cv2.CC_STAT_AREA])


def colour_masks(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of the nominal block red and of the nominal target green."""
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    vivid = (s >= MIN_SATURATION) & (v >= MIN_VALUE)
    red = vivid & ((h <= RED_HUE_MAX) | (h >= RED_HUE_MIN_WRAPPED))
    green = vivid & (h >= GREEN_HUE[0]) & (h <= GREEN_HUE[1])
    return red, green


class PixelPusher:
    """Pushes the red block onto the green patch, seen through the front camera.

    Args:
        env: a colosseum-lite ``slide_block_to_target`` env with obs_mode ``rgb``, ``rgbd`` or ``rgbd+seg``,
            the front camera among its cameras, and control_mode ``ee_keyframe``.

    It reads its env's camera calibration: the runner calls :meth:`bind` when it moves the
    policy to another env.

    Raises:
        ValueError: if the env does not provide front-camera images or keyframe control.
    """

    def __init__(self, env: gym.Env) -> None:
        self.bind(env)

    def bind(self, env: gym.Env) -> None:
        """Act in ``env`` from now on (its camera calibration); forgets the episode.

        Raises:
            ValueError: if the env does not provide front-camera images or keyframe control.
        """
        base = env.unwrapped
        if not isinstance(base, ColosseumEnv):
            raise ValueError("PixelPusher needs a colosseum-lite env (for its camera calibration)")
        if base.obs_mode not in (ObsMode.RGB, ObsMode.RGBD, ObsMode.RGBD_SEG) or CAMERA not in base.cameras:
            raise ValueError(f"PixelPusher sees through the {CAMERA!r} camera: make the env with "
                             f"obs_mode='rgb' (or 'rgbd', 'rgbd+seg') and '{CAMERA}' in cameras, got "
                             f"obs_mode={base.obs_mode.value!r}, cameras={list(base.cameras)}")
        if base.control_mode is not ControlMode.EE_KEYFRAME:
            raise ValueError("PixelPusher plays keyframes: make the env with control_mode='ee_keyframe'")
        self.env = base
        self._low, self._high = base.action_space.low, base.action_space.high
        self._plan: Plan | None = None
        self._obs: dict[str, Any] = {}
        self._target_xy: np.ndarray | None = None
        self._yaw = 0.0

    def reset(self, seed: int | None = None, info: dict[str, Any] | None = None) -> None:
        """Forget the previous episode; the next ``act`` starts a new plan."""
        self._plan, self._target_xy, self._yaw = None, None, 0.0

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The next ``ee_keyframe`` action ``[x, y, z, qx, qy, qz, qw, gripper]``."""
        self._obs = obs  # the plan reads the newest observation whenever it looks
        if self._plan is None:
            self._plan = self._push()
        return next(self._plan)

    # ------------------------------------------------------------ perception
    def _locate(self, obs: dict[str, Any]) -> tuple[np.ndarray | None, int]:
        """Block xy and blob area in this image; fixes the (static) target xy when first seen."""
        frame = self.env.camera_frame(CAMERA, obs[f"{CAMERA}_rgb"].shape[1])
        red, green = colour_masks(obs[f"{CAMERA}_rgb"])
        if self._target_xy is None and (blob := blob_centroid(green)) is not None:
            point = pixel_to_plane(frame, blob[:2], TARGET_Z_M)
            self._target_xy = None if point is None else point[:2]
        blob = blob_centroid(red)
        point = None if blob is None else pixel_to_plane(frame, blob[:2], BLOCK_CENTER_Z_M)
        return (None, 0) if blob is None or point is None else (point[:2], blob[2])

    # --------------------------------------------------------------- control
    def _key(self, xy: np.ndarray, z_m: float) -> np.ndarray:
        """A top-down keyframe with closed fingers at the current push yaw, inside the action space."""
        pos = (float(xy[0]), float(xy[1]), float(z_m))
        return self._clip(Keyframe(pos, top_down_quat(self._yaw), Gripper.CLOSED))

    def _clip(self, kf: Keyframe) -> np.ndarray:
        """A skill's keyframe as an action inside the action space."""
        return np.clip(kf.action(), self._low, self._high)

    def _push(self) -> Plan:
        """The oracle's plan: approach behind the block, push in short re-aimed segments, lift."""
        while True:
            block, area = self._locate(self._obs)
            ee = self._obs["proprio"][:3]
            if block is None or self._target_xy is None:
                yield self._key(ee[:2], max(float(ee[2]), APPROACH_Z_M))  # lost: lift and look
                continue
            to_go = self._target_xy - block
            dist = float(np.linalg.norm(to_go))
            if dist < DONE_M:
                yield self._key(ee[:2], float(ee[2]))  # there: hold still
                continue
            d = to_go / dist
            self._yaw = wrap_grasp_yaw(float(np.arctan2(d[1], d[0])))
            behind = block - d * (REACH_M + CLEARANCE_M + 0.01)
            yield self._key(behind, APPROACH_Z_M)
            yield self._key(behind, PUSH_Z_M)

            def locate(d: np.ndarray = d, area: int = area) -> np.ndarray:
                """The block as seen now, or, while the hand hides it, where the fingers have shoved it."""
                nonlocal block
                assert block is not None  # the push starts from a block seen
                seen, seen_area = self._locate(self._obs)
                if seen is not None and seen_area >= VISIBLE_FRACTION * area:
                    block = seen
                else:
                    ahead = float(np.dot(block - self._obs["proprio"][:2], d))
                    block = block + d * max(0.0, CONTACT_M - ahead)
                return block

            # There, or the block turned off the push line: go round and push again.
            for kf in push_segments(locate, lambda: self._obs["proprio"][:2], self._target_xy, PUSH_Z_M,
                                    top_down_quat(self._yaw), step_m=PUSH_STEP_M, done_m=DONE_M,
                                    segments=PUSHES_PER_APPROACH, along=d, max_lateral=MAX_LATERAL):
                yield self._clip(kf)
            yield self._key(self._obs["proprio"][:2], APPROACH_Z_M)


def make(env: gym.Env) -> PixelPusher:
    """Factory for ``load_policy("colosseum_lite.policies.pixel_pusher:make", env)``."""
    return PixelPusher(env)
