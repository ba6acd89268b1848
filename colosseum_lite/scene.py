"""The static scene every task shares: floor, table, walls, the Panda and the light.

World frame: the Panda's base sits at the origin on the tabletop (z = 0), facing +x. Task
objects live on the tabletop in front of it, x in [0.3, 0.75], |y| <= 0.35.
"""

from __future__ import annotations

from dataclasses import dataclass

from colosseum_lite.sim import Pose, RenderSettings, Sim

TABLE = "table"
FLOOR = "floor"
WALLS = ("wall_back", "wall_front", "wall_left", "wall_right")
TABLE_TOP_Z = 0.0
TABLE_HALF_EXTENTS_M = (0.65, 0.7, 0.025)
TABLE_CENTER_XY = (0.4, 0.0)
TABLE_RGBA = (0.72, 0.58, 0.42, 1.0)
WALL_RGBA = (0.78, 0.8, 0.84, 1.0)
FLOOR_RGBA = (0.45, 0.45, 0.47, 1.0)
FLOOR_Z = -0.75
UV_REPEAT_PER_M = 1.0  # textures on the table and walls repeat every metre

DEFAULT_LIGHT = RenderSettings()

# Where distractors may stand (x_min, x_max, y_min, y_max), and the robot base's footprint
# (x, y, radius), world frame, metres.
DISTRACTOR_AREA_M = (0.25, 0.8, -0.45, 0.45)
ROBOT_FOOTPRINT_M = (0.0, 0.0, 0.22)


@dataclass(frozen=True, slots=True)
class _Slab:
    name: str
    center: tuple[float, float, float]
    half_extents: tuple[float, float, float]
    rgba: tuple[float, float, float, float]


def _slabs() -> tuple[_Slab, ...]:
    tx, ty = TABLE_CENTER_XY
    hx, hy, hz = TABLE_HALF_EXTENTS_M
    leg_h = (TABLE_TOP_Z - 2 * hz - FLOOR_Z) / 2
    legs = tuple(
        _Slab(f"table_leg_{i}", (tx + sx * (hx - 0.05), ty + sy * (hy - 0.05), FLOOR_Z + leg_h),
              (0.03, 0.03, leg_h), TABLE_RGBA)
        for i, (sx, sy) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1)))
    )
    wall_h = 1.3
    zc = FLOOR_Z + wall_h
    return (
        _Slab(TABLE, (tx, ty, TABLE_TOP_Z - hz), TABLE_HALF_EXTENTS_M, TABLE_RGBA),
        *legs,
        _Slab(FLOOR, (0.5, 0.0, FLOOR_Z - 0.01), (2.0, 2.0, 0.01), FLOOR_RGBA),
        _Slab("wall_back", (-0.95, 0.0, zc), (0.02, 1.5, wall_h), WALL_RGBA),
        _Slab("wall_front", (1.95, 0.0, zc), (0.02, 1.5, wall_h), WALL_RGBA),
        _Slab("wall_left", (0.5, 1.5, zc), (1.45, 0.02, wall_h), WALL_RGBA),
        _Slab("wall_right", (0.5, -1.5, zc), (1.45, 0.02, wall_h), WALL_RGBA),
    )


def build_static_scene(sim: Sim) -> None:
    """Create floor, table (with legs) and the four walls as static named boxes."""
    for slab in _slabs():
        if slab.name in (TABLE, *WALLS):  # textured by the table and background axes: tile it
            sim.add_tiled_box(slab.name, slab.half_extents, Pose(slab.center), slab.rgba, UV_REPEAT_PER_M)
        else:
            sim.add_box(slab.name, slab.half_extents, Pose(slab.center), 0.0, slab.rgba)
    sim.set_dynamics(TABLE, lateralFriction=0.6)
