"""Success conditions: named tests over a :class:`~colosseum_lite.tasks.base.Snapshot`.

A task's ``success`` combines them, e.g.::

    return all_of(wholly_on_patch("block", "target", PATCH_HALF, BLOCK_HALF),
                  rests_on_table("block", 0.005), not_grasped("block"))(snap)

Each condition is a pure function of the snapshot, tested once in ``tests/tasks/test_conditions.py``.
Joints are named as the body's model names them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import VecLike, rotation_matrix
from colosseum_lite.tasks.base import Snapshot
from colosseum_lite.tasks.predicates import all_in_oriented_rect, box_corners, in_oriented_rect

Condition = Callable[[Snapshot], bool]


def all_of(*conditions: Condition) -> Condition:
    """Every condition holds (checked in order, stopping at the first that fails)."""
    return lambda snap: all(c(snap) for c in conditions)


def not_grasped(body: str) -> Condition:
    """The body is not held between the fingers (closed fingers pushing hold nothing)."""
    return lambda snap: body not in snap.grasped


def grasped(body: str) -> Condition:
    """The body is held between the fingers."""
    return lambda snap: body in snap.grasped


def untouched(body: str) -> Condition:
    """No link of the robot touches the body."""
    return lambda snap: body not in snap.touched


def joint_within(body: str, joint: str, target: float, tol: float) -> Condition:
    """The named joint is within ``tol`` of ``target`` (rad or m)."""
    return lambda snap: abs(snap[body].joint(joint) - target) <= tol


def joint_past(body: str, joint: str, value: float) -> Condition:
    """The named joint is beyond ``value`` (greater than it; rad or m)."""
    return lambda snap: snap[body].joint(joint) > value


def only_joint_past(body: str, joints: Sequence[str], chosen: str, open_above: float,
                    closed_below: float) -> Condition:
    """Joint ``chosen`` is past ``open_above`` and every other of ``joints`` stays below ``closed_below``."""
    def check(snap: Snapshot) -> bool:
        b = snap[body]
        return all(b.joint(j) > open_above if j == chosen else b.joint(j) < closed_below for j in joints)
    return check


def rests_on_table(body: str, tol_m: float) -> Condition:
    """The body's lowest point (its bounding box's bottom) is within ``tol_m`` of the table top."""
    return lambda snap: abs(float(snap[body].aabb_lo[2]) - TABLE_TOP_Z) <= tol_m


def centre_on_patch(body: str, patch: str, patch_half_xy: tuple[float, float]) -> Condition:
    """The body's centre lies over a flat patch (a rectangle turned with the patch body's yaw)."""
    def check(snap: Snapshot) -> bool:
        t = snap[patch]
        return in_oriented_rect(snap[body].pos, t.pos, patch_half_xy, t.yaw_rad)
    return check


def wholly_on_patch(body: str, patch: str, patch_half_xy: tuple[float, float],
                    body_half_extents: tuple[float, float, float]) -> Condition:
    """Every corner of a box body lies over a flat patch, in the horizontal plane."""
    def check(snap: Snapshot) -> bool:
        t, b = snap[patch], snap[body]
        return all_in_oriented_rect(box_corners(b.pos, b.quat, body_half_extents), t.pos, patch_half_xy, t.yaw_rad)
    return check


def inside_cylinder(body: str, receiver: str, radius_m: float, z_range_m: tuple[float, float]) -> Condition:
    """The body's centre lies in a vertical cylinder of the receiver's frame: within ``radius_m``
    of its z axis and between the two heights of ``z_range_m`` (receiver frame)."""
    def check(snap: Snapshot) -> bool:
        r = snap[receiver]
        local = rotation_matrix(r.quat).T @ (snap[body].pos - r.pos)
        return bool(z_range_m[0] <= local[2] <= z_range_m[1] and np.hypot(local[0], local[1]) <= radius_m)
    return check


def on_top_of(body: str, support: str, tol_m: float) -> Condition:
    """The body rests on the support: its bottom within ``tol_m`` of the support's top and its
    centre over the support's footprint (bounding boxes, world frame)."""
    def check(snap: Snapshot) -> bool:
        b, s = snap[body], snap[support]
        over = bool(np.all(b.pos[:2] >= s.aabb_lo[:2]) and np.all(b.pos[:2] <= s.aabb_hi[:2]))
        return over and abs(float(b.aabb_lo[2]) - float(s.aabb_hi[2])) <= tol_m
    return check


def upright(body: str, tol_rad: float) -> Condition:
    """The body's own z axis is within ``tol_rad`` of the world's vertical."""
    return lambda snap: float(rotation_matrix(snap[body].quat)[2, 2]) >= np.cos(tol_rad)


def wholly_inside(body: str, receiver: str, center_m: tuple[float, float, float],
                  half_m: tuple[float, float, float], body_half_extents: tuple[float, float, float]) -> Condition:
    """Every corner of a box body lies inside a box of the receiver's frame (its centre ``center_m``
    and half extents ``half_m``, metres, axes along the receiver's)."""
    def check(snap: Snapshot) -> bool:
        r, b = snap[receiver], snap[body]
        local = (box_corners(b.pos, b.quat, body_half_extents) - r.pos) @ rotation_matrix(r.quat) - center_m
        return bool(np.all(np.abs(local) <= half_m))
    return check


def disc_rests_on_table(body: str, radius_m: float, thickness_m: float, tol_m: float) -> Condition:
    """A disc body (its faces' normal along the body's y axis) has its lowest point, computed from
    its pose (an AABB pads a cylinder), within ``tol_m`` of the table top: standing on its rim,
    lying on a face or leaning."""
    def check(snap: Snapshot) -> bool:
        b = snap[body]
        return abs(disc_bottom_z(b.pos, b.quat, radius_m, thickness_m) - TABLE_TOP_Z) <= tol_m
    return check


def disc_bottom_z(pos: VecLike, quat: VecLike, radius_m: float, thickness_m: float) -> float:
    """Height of the lowest point of a disc (its faces' normal along its y axis) at ``pos``, ``quat``."""
    n_z = float(rotation_matrix(quat)[2, 1])
    return float(pos[2]) - radius_m * float(np.sqrt(max(1.0 - n_z**2, 0.0))) - thickness_m / 2 * abs(n_z)


def lies_along(body: str, receiver: str, tol_rad: float) -> Condition:
    """The body's own x axis within ``tol_rad`` of the receiver's x axis, either way round (a bottle
    laid along a cradle: horizontal where the receiver stands level)."""
    def check(snap: Snapshot) -> bool:
        b, r = rotation_matrix(snap[body].quat)[:, 0], rotation_matrix(snap[receiver].quat)[:, 0]
        return abs(float(b @ r)) >= np.cos(tol_rad)
    return check


def points_on_patches(points: Callable[[Snapshot], np.ndarray], patches: Sequence[str],
                      patch_half_xy: tuple[float, float]) -> Condition:
    """Each point (``points(snap)``: one row per patch, world frame) lies over a different one of the flat
    patches (rectangles turned with each patch body's yaw), in some pairing: alike points on alike patches."""
    def check(snap: Snapshot) -> bool:
        pts = points(snap)
        def over(pt: np.ndarray, patch: str) -> bool:
            return in_oriented_rect(pt, snap[patch].pos, patch_half_xy, snap[patch].yaw_rad)
        return any(all(over(pt, p) for pt, p in zip(pts, order, strict=True))
                   for order in itertools.permutations(patches))
    return check


def point_inside(body: str, point_m: VecLike, receiver: str, center_m: VecLike, half_m: VecLike) -> Condition:
    """A point fixed to the body (``point_m``, in the body's snapshot frame: a hook's inner top) lies
    inside a box of the receiver's frame (its centre ``center_m`` and half extents ``half_m``, metres,
    axes along the receiver's)."""
    def check(snap: Snapshot) -> bool:
        r, b = snap[receiver], snap[body]
        world = b.pos + rotation_matrix(b.quat) @ np.asarray(point_m, dtype=float)
        local = rotation_matrix(r.quat).T @ (world - r.pos) - np.asarray(center_m, dtype=float)
        return bool(np.all(np.abs(local) <= np.asarray(half_m, dtype=float)))
    return check
