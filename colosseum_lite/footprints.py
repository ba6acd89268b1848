"""Where distractors may not stand: the robot base and the task's objects, each as large as the
task's size axes can make it, so that a distractor draw never depends on a size draw."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import numpy as np

from colosseum_lite.declarations import Role, Scales
from colosseum_lite.perturbations import AXES, applicable_axes
from colosseum_lite.perturbations.base import AxisSetting, Circle, toward_nominal
from colosseum_lite.perturbations.scale import ScaleAxis
from colosseum_lite.scene import ROBOT_FOOTPRINT_M
from colosseum_lite.tasks.base import Snapshot, Task


def largest_scales(task: type[Task], settings: Mapping[str, AxisSetting]) -> dict[Role, float]:
    """The largest scale any size axis of the task can draw for each role (declared or as set)."""
    largest: dict[Role, float] = {}
    declared = applicable_axes(task)
    for name in declared:
        axis = AXES[name]
        if not isinstance(axis, ScaleAxis):
            continue
        tops = [1.0]
        for setting in (declared[name], settings.get(name)):
            if setting is not None and setting.range is not None:
                tops.append(float(toward_nominal(max(setting.range), 1.0, setting.severity)))
        largest[axis.role] = max(largest.get(axis.role, 1.0), *tops)
    return largest


def footprints(
    snap: Snapshot, roles: Mapping[str, Role], largest: Mapping[Role, float], built: Scales,
    keep_clear: Iterable[tuple[float, float, float]], in_place: Collection[str] = (),
) -> tuple[Circle, ...]:
    """The robot base, each task body at its ``largest`` scale, and the task's keep-clear circles.

    A scaled body grows about its base position: its footprint at the largest scale is its box
    now, scaled by ``largest / built`` about that point (and covers every smaller size). Bodies
    named in ``in_place`` keep their footprint: their size axis scales small links in place (an
    oven's knobs).
    """
    out = [Circle(*ROBOT_FOOTPRINT_M)]
    scale_now = {Role.MO: built.mo, Role.RO: built.ro}
    for name, body in snap.bodies.items():
        role = roles[name]
        grow = 1.0 if name in in_place else largest.get(role, 1.0) / scale_now.get(role, 1.0)
        origin = body.pos[:2]
        half = grow * (body.aabb_hi[:2] - body.aabb_lo[:2]) / 2
        center = origin + grow * ((body.aabb_hi[:2] + body.aabb_lo[:2]) / 2 - origin)
        out.append(Circle(float(center[0]), float(center[1]), float(np.linalg.norm(half))))
    out += [Circle(*c) for c in keep_clear]
    return tuple(out)
