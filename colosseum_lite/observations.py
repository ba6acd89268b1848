"""What the env observes: the observation space of each mode, each observation and the info's
camera parameters (:class:`Observer`), and the segmentation ids.

Segmentation ids are stable: an env numbers every body it can ever hold once, when it is built
(the robot, the static scene, eight distractor slots, then the task's objects in ``task.objects``
order), so an id means the same body in every episode, whatever size draw rebuilt the task's
bodies or which distractors were spawned. -1 is the background (no body, or a body the env did
not create). :meth:`Segments.table` maps each id to its body name and role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, unique
from typing import TYPE_CHECKING

import numpy as np
from gymnasium import spaces

from colosseum_lite.cameras import CAMERAS, HAND, CameraFrame, camera_frame, fixed_size_cloud
from colosseum_lite.declarations import Role
from colosseum_lite.registration import ObsMode
from colosseum_lite.robot import HAND_LINK, Panda
from colosseum_lite.scene import FLOOR, TABLE, WALLS
from colosseum_lite.sim import Sim

if TYPE_CHECKING:
    from colosseum_lite.perturbations.base import Scene

PROPRIO_SIZE = 22  # see Panda.proprio
BACKGROUND_ID = -1
MAX_DISTRACTORS = 8  # the distractor axis spawns distractor_0 .. distractor_7 at most


@unique
class SceneRole(Enum):
    """What a segmented body is when it is none of the task's objects (those have a ``Role``)."""

    ROBOT = "robot"
    TABLE = "table"  # top and legs
    FLOOR = "floor"
    WALL = "wall"
    DISTRACTOR = "distractor"
    BACKGROUND = "background"  # id -1: no body


def _static_role(name: str) -> SceneRole:
    """The role of a body of the static scene or the robot."""
    if name == Panda.name:
        return SceneRole.ROBOT
    if name == TABLE or name.startswith(f"{TABLE}_leg"):
        return SceneRole.TABLE
    if name == FLOOR:
        return SceneRole.FLOOR
    if name in WALLS:
        return SceneRole.WALL
    raise ValueError(f"body {name!r} is not part of the static scene; name task bodies in Task.objects")


@dataclass(frozen=True, slots=True)
class Segments:
    """The stable segmentation ids of one env: body ``names[i]`` has id ``i`` and role ``roles[i]``.

    Roles: the task's :class:`~colosseum_lite.tasks.base.Role` (``mo``, ``ro``, ``other``) or a
    :class:`SceneRole` (``robot``, ``table``, ``floor``, ``wall``, ``distractor``).
    """

    names: tuple[str, ...]
    roles: tuple[Role | SceneRole, ...]

    @classmethod
    def of(cls, static_names: Sequence[str], objects: Mapping[str, Role]) -> Segments:
        """Ids for the static bodies (robot first), the distractor slots and the task's objects."""
        order = sorted(static_names, key=lambda n: n != Panda.name)  # stable: keeps creation order
        names = [*order, *(f"distractor_{i}" for i in range(MAX_DISTRACTORS)), *objects]
        roles: list[Role | SceneRole] = [*map(_static_role, order), *[SceneRole.DISTRACTOR] * MAX_DISTRACTORS,
                                         *objects.values()]
        return cls(tuple(names), tuple(roles))

    @property
    def max_id(self) -> int:
        """The largest id."""
        return len(self.names) - 1

    def id(self, name: str) -> int:
        """The id of a body name."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no segmentation id for {name!r}; bodies with ids are {list(self.names)}") from None

    def table(self) -> dict[int, dict[str, str]]:
        """Every id (background -1 included) with its body ``name`` and ``role`` (the role's value)."""
        background = SceneRole.BACKGROUND.value
        out = {BACKGROUND_ID: {"name": background, "role": background}}
        pairs = zip(self.names, self.roles, strict=True)
        out.update({i: {"name": n, "role": r.value} for i, (n, r) in enumerate(pairs)})
        return out

    def relabel(self, raw: np.ndarray, sim: Sim) -> np.ndarray:
        """PyBullet's segmentation (``body + ((link + 1) << 24)``, -1 background) as stable ids, int32."""
        index = {n: i for i, n in enumerate(self.names)}
        known = {uid: index[n] for n, uid in sim.bodies.items() if n in index}
        lut = np.full(max(known, default=0) + 2, BACKGROUND_ID, np.int32)  # last entry: anything else
        lut[list(known)] = list(known.values())
        body = np.where(raw < 0, len(lut) - 1, raw & 0xFFFFFF)
        return lut[np.minimum(body, len(lut) - 1)]


@dataclass(frozen=True, slots=True)
class CameraView:
    """One camera's frame and images: rgb uint8 (H, W, 3), depth float32 m (H, W), seg ids or None."""

    frame: CameraFrame
    rgb: np.ndarray
    depth_m: np.ndarray | None  # None where the mode reads no depth
    seg: np.ndarray | None


def observation_space(
    mode: ObsMode, cameras: Sequence[str], image_size: int, state_size: int, n_variants: int,
    max_id: int, points: int,
) -> spaces.Dict:
    """The flat Dict of Boxes a mode observes (see the README's observation table)."""
    box = spaces.Box
    obs: dict[str, spaces.Space] = {
        "proprio": box(-np.inf, np.inf, (PROPRIO_SIZE,), np.float32),
        "variant": box(0.0, 1.0, (n_variants,), np.float32),
    }
    if mode is ObsMode.STATE:
        obs["object_state"] = box(-np.inf, np.inf, (state_size,), np.float32)
        return spaces.Dict(obs)
    s = image_size
    for cam in cameras:
        obs[f"{cam}_intrinsic"] = box(-np.inf, np.inf, (3, 3), np.float32)
        obs[f"{cam}_extrinsic"] = box(-np.inf, np.inf, (4, 4), np.float32)
        if mode is ObsMode.POINTCLOUD:
            continue
        obs[f"{cam}_rgb"] = box(0, 255, (s, s, 3), np.uint8)
        if mode in (ObsMode.RGBD, ObsMode.RGBD_SEG):
            obs[f"{cam}_depth"] = box(0.0, np.inf, (s, s, 1), np.float32)
        if mode is ObsMode.RGBD_SEG:
            obs[f"{cam}_seg"] = box(BACKGROUND_ID, max_id, (s, s, 1), np.int32)
    if mode is ObsMode.POINTCLOUD:
        obs["pointcloud_xyz"] = box(-np.inf, np.inf, (points, 3), np.float32)
        obs["pointcloud_rgb"] = box(0, 255, (points, 3), np.uint8)
        obs["pointcloud_seg"] = box(BACKGROUND_ID, max_id, (points, 1), np.int32)
    return spaces.Dict(obs)


def camera_observation(mode: ObsMode, views: Mapping[str, CameraView], points: int) -> dict[str, np.ndarray]:
    """The camera keys of one observation in an image mode."""
    obs: dict[str, np.ndarray] = {}
    for cam, v in views.items():
        obs[f"{cam}_intrinsic"] = v.frame.K.astype(np.float32)
        obs[f"{cam}_extrinsic"] = v.frame.extrinsic.astype(np.float32)
        if mode is ObsMode.POINTCLOUD:
            continue
        obs[f"{cam}_rgb"] = v.rgb
        if mode in (ObsMode.RGBD, ObsMode.RGBD_SEG):
            assert v.depth_m is not None  # the mode reads depth
            obs[f"{cam}_depth"] = v.depth_m[:, :, None]
        if mode is ObsMode.RGBD_SEG:
            assert v.seg is not None  # the mode renders segmentation
            obs[f"{cam}_seg"] = v.seg[:, :, None]
    if mode is ObsMode.POINTCLOUD:
        obs["pointcloud_xyz"], obs["pointcloud_rgb"], obs["pointcloud_seg"] = point_cloud(views.values(), points)
    return obs


def point_cloud(views: Iterable[CameraView], points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World-frame points of every camera's pixels that show a body, ``points`` of them.

    Pixels on the far plane or of the background are dropped; see
    :func:`~colosseum_lite.cameras.fixed_size_cloud` for the subsampling and padding.
    """
    xyz, rgb, seg = [], [], []
    for v in views:
        assert v.seg is not None and v.depth_m is not None  # a point cloud's views read both
        valid = (v.seg >= 0) & (v.depth_m < v.frame.far_m * (1.0 - 1e-6))
        xyz.append(v.frame.backproject(v.depth_m)[valid])
        rgb.append(v.rgb[valid])
        seg.append(v.seg[valid])
    return fixed_size_cloud(np.concatenate(xyz), np.concatenate(rgb), np.concatenate(seg), points)


Image = tuple[np.ndarray, np.ndarray, np.ndarray | None]  # rgb uint8, depth float32 m, raw segmentation


@dataclass(frozen=True, slots=True)
class Observer:
    """What one env observes of the simulator it is handed: camera frames, images, observations.

    ``scene`` is the env's perturbation scene, read for the episode's light and camera offsets.
    """

    mode: ObsMode
    cameras: tuple[str, ...]
    image_size: int
    points: int
    variants: tuple[str, ...]
    segments: Segments
    scene: Scene

    def space(self, state_size: int) -> spaces.Dict:
        """The observation space (``state_size``: the task's state vector, read in state mode only)."""
        return observation_space(self.mode, self.cameras, self.image_size, state_size, len(self.variants),
                                 self.segments.max_id, self.points)

    def frame(self, sim: Sim, name: str, size: int | None = None) -> CameraFrame:
        """Intrinsics and extrinsics of a named camera now, at ``size`` (default: ``image_size``)."""
        if name not in CAMERAS:
            raise ValueError(f"unknown camera {name!r}; expected one of {list(CAMERAS)}")
        spec = CAMERAS[name]
        mount = sim.pose(Panda.name, HAND_LINK) if spec.mount == HAND else None
        dpos, deuler = self.scene.camera_offsets.get(name, ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)))
        return camera_frame(spec, size or self.image_size, mount, dpos, deuler)

    def frames(self, sim: Sim) -> dict[str, CameraFrame]:
        """Every observed camera's frame now (none in state mode): computed once per step, read by
        both the observation and the info's camera parameters."""
        return {cam: self.frame(sim, cam) for cam in self.cameras} if self.mode.cameras else {}

    def render(self, sim: Sim, f: CameraFrame, segmentation: bool) -> Image:
        """One frame's RGB, metric depth and raw segmentation, under the episode's light."""
        rgb, buffer, seg = self._engine_image(sim, f, segmentation)
        return rgb, f.depth_m(buffer), seg

    def _engine_image(self, sim: Sim, f: CameraFrame, segmentation: bool) -> Image:
        """One frame as the engine renders it: depth still its [0, 1] buffer."""
        return sim.render(f.width, f.height, f.view_matrix, f.projection_matrix, self.scene.light, segmentation)

    def views(self, sim: Sim, frames: Mapping[str, CameraFrame]) -> dict[str, CameraView]:
        """Every observed camera's images: metric depth and segmentation (as stable ids) only where
        the mode reads them."""
        views, seg = {}, self.mode.segmentation
        for cam, f in frames.items():
            rgb, buffer, raw = self._engine_image(sim, f, seg)
            ids = None if raw is None else self.segments.relabel(raw, sim)
            views[cam] = CameraView(f, rgb, f.depth_m(buffer) if self.mode.depth else None, ids)
        return views

    def observation(
        self, sim: Sim, proprio: np.ndarray, variant: str, state: np.ndarray | None,
        frames: Mapping[str, CameraFrame],
    ) -> dict[str, np.ndarray]:
        """One observation: ``state`` (the task's state vector) in state mode, else ``frames``' images."""
        onehot = np.zeros(len(self.variants), np.float32)
        onehot[self.variants.index(variant)] = 1.0
        obs = {"proprio": proprio, "variant": onehot}
        if self.mode is ObsMode.STATE:
            assert state is not None  # state mode observes the task's state vector
            obs["object_state"] = state
            return obs
        obs.update(camera_observation(self.mode, self.views(sim, frames), self.points))
        return obs

    def camera_info(self, frames: Mapping[str, CameraFrame]) -> dict[str, object]:
        """The info's ``camera_params`` (per camera: intrinsic, extrinsic, width, height); none in state mode."""
        return {"camera_params": {cam: f.params() for cam, f in frames.items()}} if self.mode.cameras else {}
