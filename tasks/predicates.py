"""Geometry shared by success conditions and dense rewards, and the dense-reward shaping (tested in tests/)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from colosseum_lite.sim import VecLike, rotation_matrix


def in_oriented_rect(point_xy: VecLike, center_xy: VecLike, half_extents_xy: VecLike, yaw_rad: float) -> bool:
    """Whether a world xy point lies inside a rectangle rotated by ``yaw_rad`` about its centre."""
    dx, dy = float(point_xy[0]) - float(center_xy[0]), float(point_xy[1]) - float(center_xy[1])
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)  # scalar math: this runs every step
    return abs(c * dx + s * dy) <= half_extents_xy[0] and abs(-s * dx + c * dy) <= half_extents_xy[1]


_CORNER_SIGNS = np.array([(sx, sy, sz) for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=float)


def box_corners(pos: VecLike, quat: VecLike, half_extents: VecLike) -> np.ndarray:
    """The 8 corners (world frame, m) of a box body with the given pose and half extents."""
    offsets = _CORNER_SIGNS * np.asarray(half_extents, dtype=float)
    return np.asarray(pos, dtype=float) + offsets @ rotation_matrix(quat).T


def all_in_oriented_rect(
    points: Iterable[VecLike], center_xy: VecLike, half_extents_xy: VecLike, yaw_rad: float
) -> bool:
    """Whether every point's xy lies inside a rectangle rotated by ``yaw_rad`` about its centre."""
    return all(in_oriented_rect(q, center_xy, half_extents_xy, yaw_rad) for q in points)


# ------------------------------------------------------------------ dense-reward shaping
# Each task's ``dense_reward`` names the stage the scene is in and the progress within it; these
# helpers turn that into a reward in [0, 1] by one convention shared by every task.


def closeness(distance_m: float, scale_m: float) -> float:
    """Smooth nearness in (0, 1]: 1 at zero distance, ``1 - tanh(d / scale)``; ~0.24 at one scale."""
    return 1.0 - math.tanh(max(float(distance_m), 0.0) / float(scale_m))


def approach(distance_m: float, scale_m: float, fine_scale_m: float) -> float:
    """The mean of a coarse and a fine :func:`closeness`: a slope from afar and over the last centimetres."""
    return (closeness(distance_m, scale_m) + closeness(distance_m, fine_scale_m)) / 2


def fraction(value: float, start: float, end: float) -> float:
    """Linear progress of ``value`` from ``start`` (0) to ``end`` (1), clipped to [0, 1]."""
    return min(max((float(value) - float(start)) / (float(end) - float(start)), 0.0), 1.0)


def staged_reward(success: bool, stage: int, progress: float, n_stages: int) -> float:
    """The normalized dense reward: 1.0 at success, else ``(stage + progress) / (n_stages + 1)``.

    Stages count from 0; ``progress`` (clipped to [0, 1]) measures how far the current stage has
    come. Any scene in a later stage outranks every scene in an earlier one, and nothing short of
    success gets more than ``n_stages / (n_stages + 1)``, so success is the only 1.0.
    """
    if success:
        return 1.0
    if not 0 <= stage < n_stages:
        raise ValueError(f"stage must be in [0, {n_stages}), got {stage}")
    return (stage + min(max(float(progress), 0.0), 1.0)) / (n_stages + 1)
