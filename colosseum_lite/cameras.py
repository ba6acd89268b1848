"""Named cameras with readable intrinsics and extrinsics, and the scene's light.

Conventions: intrinsics ``K`` are the usual 3x3 pinhole matrix in pixels; ``T_world_camera`` is
the camera-to-world transform in the OpenCV camera frame (x right, y down, z forward), so a world
point ``X`` projects to ``K @ (inv(T_world_camera) @ X)[:3]``; its inverse, the world-to-camera
``extrinsic``, is what observations hold. Pixel coordinates follow OpenCV: image pixel ``[row,
col]`` shows the ray through ``(u, v) = (col, row)``. ``view_matrix`` and ``projection_matrix``
are the OpenGL matrices PyBullet renders with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pybullet as p

from colosseum_lite.sim import Pose, Vec3, rotation_matrix

WORLD = "world"
HAND = "hand"


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera looking from ``eye_m`` at ``target_m``; ``mount`` is ``world`` or ``hand``.

    Hand-mounted cameras give ``eye_m``/``target_m`` in the hand link's frame.
    """

    name: str
    eye_m: Vec3
    target_m: Vec3
    up: Vec3 = (0.0, 0.0, 1.0)
    fov_deg: float = 60.0
    near_m: float = 0.01
    far_m: float = 5.0
    mount: str = WORLD


@dataclass(frozen=True, slots=True)
class CameraFrame:
    """Everything needed to interpret one camera's image of one frame."""

    name: str
    width: int
    height: int
    K: np.ndarray
    T_world_camera: np.ndarray
    view_matrix: tuple[float, ...]
    projection_matrix: tuple[float, ...]
    near_m: float
    far_m: float

    def depth_m(self, buffer: np.ndarray) -> np.ndarray:
        """Convert PyBullet's [0, 1] depth buffer into metric depth along the optical axis."""
        n, f = self.near_m, self.far_m
        return (f * n / (f - (f - n) * buffer)).astype(np.float32)

    @property
    def extrinsic(self) -> np.ndarray:
        """The 4x4 world-to-camera transform (OpenCV camera frame): ``inv(T_world_camera)``."""
        rot, pos = self.T_world_camera[:3, :3], self.T_world_camera[:3, 3]
        out = np.eye(4)
        out[:3, :3], out[:3, 3] = rot.T, -rot.T @ pos
        return out

    def params(self) -> dict[str, object]:
        """Intrinsic (3x3), world-to-camera extrinsic (4x4) and image size, as plain lists and ints."""
        return {"intrinsic": self.K.tolist(), "extrinsic": self.extrinsic.tolist(),
                "width": self.width, "height": self.height}

    def backproject(self, depth_m: np.ndarray) -> np.ndarray:
        """World-frame points (H, W, 3), metres, of every pixel at its metric depth."""
        h, w = depth_m.shape[:2]
        z = depth_m.reshape(h, w).astype(np.float64)
        cols, rows = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        (fx, _, cx), (_, fy, cy) = self.K[0], self.K[1]
        cam = np.stack([(cols - cx) / fx * z, (rows - cy) / fy * z, z], axis=-1)
        rot, pos = self.T_world_camera[:3, :3], self.T_world_camera[:3, 3]
        return cam @ rot.T + pos


CAMERAS: dict[str, CameraSpec] = {
    "front": CameraSpec("front", (1.25, 0.0, 0.7), (0.4, 0.0, 0.12), fov_deg=50.0),
    "left_shoulder": CameraSpec("left_shoulder", (0.15, 0.65, 0.65), (0.55, -0.05, 0.0)),
    "right_shoulder": CameraSpec("right_shoulder", (0.15, -0.65, 0.65), (0.55, 0.05, 0.0)),
    "overhead": CameraSpec("overhead", (0.45, 0.0, 1.45), (0.45, 0.0, 0.0), up=(1.0, 0.0, 0.0),
                           fov_deg=55.0),
    # In the hand frame: z points out between the fingers, y is the closing axis.
    "wrist": CameraSpec("wrist", (0.075, 0.0, 0.06), (0.0, 0.0, 0.3), up=(1.0, 0.0, 0.0),
                        fov_deg=70.0, mount=HAND),
}


def look_at_rotation(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Camera-to-parent rotation in the OpenCV frame (columns: right, down, forward)."""
    fwd = target - eye
    fwd = fwd / np.linalg.norm(fwd)
    right = np.cross(fwd, up)
    if np.linalg.norm(right) < 1e-9:
        right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    right = right / np.linalg.norm(right)
    down = np.cross(fwd, right)
    return np.stack([right, down, fwd], axis=1)


def euler_matrix(euler_rad: Vec3) -> np.ndarray:
    """Rotation matrix of xyz Euler angles (PyBullet's convention)."""
    return np.asarray(p.getMatrixFromQuaternion(p.getQuaternionFromEuler(euler_rad))).reshape(3, 3)


@lru_cache(maxsize=256)
def _nominal(spec: CameraSpec, delta_euler_rad: Vec3) -> tuple[np.ndarray, tuple[float, ...]]:
    """The camera's rotation in its parent frame and its projection matrix: fixed per spec and
    perturbation, so computed once (they were four fifths of a frame's matrix cost: 70 -> 15 us)."""
    eye, target, up = (np.asarray(v, dtype=float) for v in (spec.eye_m, spec.target_m, spec.up))
    rot = look_at_rotation(eye, target, up) @ euler_matrix(delta_euler_rad)
    rot.flags.writeable = False
    return rot, tuple(p.computeProjectionMatrixFOV(spec.fov_deg, 1.0, spec.near_m, spec.far_m))


def camera_frame(
    spec: CameraSpec,
    size: int,
    mount_pose: Pose | None = None,
    delta_pos_m: Vec3 = (0.0, 0.0, 0.0),
    delta_euler_rad: Vec3 = (0.0, 0.0, 0.0),
) -> CameraFrame:
    """The camera's matrices for a square ``size`` image.

    ``mount_pose`` is the hand link's pose for hand-mounted cameras. ``delta_pos_m`` (world
    frame) and ``delta_euler_rad`` (camera frame) perturb the nominal pose.
    """
    ex, ey, ez = delta_euler_rad
    rot, proj = _nominal(spec, (float(ex), float(ey), float(ez)))
    pos = np.add(spec.eye_m, delta_pos_m)
    if spec.mount == HAND:
        if mount_pose is None:
            raise ValueError(f"camera {spec.name!r} is hand-mounted; pass the hand's pose")
        hand_rot = rotation_matrix(mount_pose.quat)
        rot = hand_rot @ rot
        pos = np.asarray(mount_pose.pos) + hand_rot @ pos
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = rot, pos
    # OpenGL's camera looks down -z with y up: the view matrix is the inverse of that rigid frame.
    gl_rot = rot * np.array([1.0, -1.0, -1.0])
    gl_inv = np.eye(4)
    gl_inv[:3, :3], gl_inv[:3, 3] = gl_rot.T, -gl_rot.T @ pos
    view = tuple(float(v) for v in gl_inv.flatten(order="F"))
    f = size / 2 / np.tan(np.radians(spec.fov_deg) / 2)
    # TinyRenderer samples the window at integer coordinates and flips rows (GL counts from the
    # bottom): pixel [row, col] shows window point (col, row + 1), so the principal point is one
    # row above the centre. Measured: every table and wall pixel back-projects onto its plane
    # within 0.1 mm, at any image size.
    K = np.array([[f, 0, size / 2], [0, f, size / 2 - 1], [0, 0, 1.0]])
    return CameraFrame(spec.name, size, size, K, T, view, proj, spec.near_m, spec.far_m)


# A fixed seed: which pixels a point cloud keeps depends only on how many are valid, never on the
# episode's random streams.
SUBSAMPLE_SEED = 0


def fixed_size_cloud(
    xyz: np.ndarray, rgb: np.ndarray, seg: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exactly ``n`` points from ``m`` valid ones, in their given order.

    With ``m > n``, the same ``n`` of them for any ``m`` (a fixed-seed choice without replacement,
    so every region keeps its share); with ``m <= n``, all of them followed by ``n - m`` padding
    rows: xyz 0, rgb 0 and seg -1 (the background id), so ``seg >= 0`` selects the real points.

    Returns:
        ``(xyz float32 (n, 3), rgb uint8 (n, 3), seg int32 (n, 1))``.
    """
    m = len(xyz)
    if m > n:
        keep = np.sort(np.random.default_rng(SUBSAMPLE_SEED).choice(m, n, replace=False))
        xyz, rgb, seg = xyz[keep], rgb[keep], seg[keep]
    out_xyz = np.zeros((n, 3), np.float32)
    out_rgb = np.zeros((n, 3), np.uint8)
    out_seg = np.full((n, 1), -1, np.int32)
    k = min(m, n)
    out_xyz[:k], out_rgb[:k], out_seg[:k, 0] = xyz, rgb, seg
    return out_xyz, out_rgb, out_seg
