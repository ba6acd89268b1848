"""Success conditions, each on scenes that pass and scenes that fail (synthetic snapshots)."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.sim import BodyState, quat_from_euler
from colosseum_lite.tasks.base import Snapshot
from colosseum_lite.tasks.conditions import (
    all_of,
    centre_on_patch,
    disc_bottom_z,
    disc_rests_on_table,
    grasped,
    inside_cylinder,
    joint_past,
    joint_within,
    lies_along,
    not_grasped,
    on_top_of,
    only_joint_past,
    point_inside,
    points_on_patches,
    rests_on_table,
    untouched,
    upright,
    wholly_inside,
    wholly_on_patch,
)

CUBE_HALF = 0.025


def body(pos=(0.0, 0.0, CUBE_HALF), yaw=0.0, roll=0.0, half=CUBE_HALF, joints=()) -> BodyState:
    """A cube-like body: its AABB is the box of half size ``half`` about ``pos`` (rotation ignored)."""
    pos = np.asarray(pos, dtype=float)
    names, values = tuple(n for n, _ in joints), tuple(v for _, v in joints)
    return BodyState(pos, np.asarray(quat_from_euler(roll, 0.0, yaw)), values, pos - half, pos + half, names)


def scene(grasped_=(), touched=(), **bodies: BodyState) -> Snapshot:
    return Snapshot(bodies, np.zeros(3), 0.0, frozenset(grasped_), frozenset(touched))


PATCH = body((0.5, 0.0, 0.0005), yaw=0.3, half=0.0005)
DRAWERS = (("slide_bottom", 0.0), ("slide_middle", 0.0), ("slide_top", 0.0))


def drawers(**out: float) -> BodyState:
    return body(joints=tuple((n, out.get(n, v)) for n, v in DRAWERS))


CASES = [
    # (condition, scene where it holds, scene where it does not)
    (not_grasped("block"), scene(block=body()), scene(("block",), block=body())),
    (grasped("stick"), scene(("stick",), stick=body()), scene(stick=body())),
    (untouched("cube"), scene(touched=("stick",), cube=body()), scene(touched=("cube",), cube=body())),
    (joint_within("box", "hinge", 0.0, 0.35), scene(box=body(joints=(("hinge", 0.3),))),
     scene(box=body(joints=(("hinge", 0.4),)))),
    (joint_past("cabinet", "slide_top", 0.15), scene(cabinet=drawers(slide_top=0.16)),
     scene(cabinet=drawers(slide_top=0.15))),
    (only_joint_past("cabinet", [n for n, _ in DRAWERS], "slide_top", 0.15, 0.03),
     scene(cabinet=drawers(slide_top=0.2, slide_bottom=0.02)),
     scene(cabinet=drawers(slide_top=0.2, slide_bottom=0.04))),  # another drawer is out too
    (only_joint_past("cabinet", [n for n, _ in DRAWERS], "slide_top", 0.15, 0.03),
     scene(cabinet=drawers(slide_top=0.2)), scene(cabinet=drawers(slide_top=0.1))),  # not out far enough
    (rests_on_table("block", 0.005), scene(block=body((0.3, 0.1, CUBE_HALF + 0.004))),
     scene(block=body((0.3, 0.1, CUBE_HALF + 0.02)))),  # held above the table
    (centre_on_patch("cube", "target", (0.05, 0.05)), scene(cube=body((0.54, 0.01, CUBE_HALF)), target=PATCH),
     scene(cube=body((0.56, 0.0, CUBE_HALF)), target=PATCH)),
    # Wholly on: the centre over the patch is not enough, every corner must be.
    (wholly_on_patch("block", "target", (0.05, 0.05), (CUBE_HALF,) * 3),
     scene(block=body((0.51, 0.0, CUBE_HALF), yaw=0.3), target=PATCH),
     scene(block=body((0.535, 0.0, CUBE_HALF), yaw=0.3), target=PATCH)),
    (wholly_on_patch("block", "target", (0.05, 0.05), (0.04,) * 3),
     scene(block=body((0.5, 0.0, 0.04), yaw=0.3, half=0.04), target=PATCH),
     scene(block=body((0.5, 0.0, 0.04), yaw=0.3 + np.pi / 4, half=0.04), target=PATCH)),  # turned: corners out
    (inside_cylinder("ball", "hoop", 0.1, (0.3, 0.5)),
     scene(ball=body((0.55, 0.05, 0.4)), hoop=body((0.5, 0.0, 0.0), yaw=1.0)),
     scene(ball=body((0.55, 0.05, 0.55)), hoop=body((0.5, 0.0, 0.0), yaw=1.0))),  # above the ring
    (inside_cylinder("ball", "hoop", 0.1, (0.3, 0.5)),
     scene(ball=body((0.55, 0.05, 0.4)), hoop=body((0.5, 0.0, 0.0))),
     scene(ball=body((0.62, 0.0, 0.4)), hoop=body((0.5, 0.0, 0.0)))),  # outside the radius
    (on_top_of("cup", "saucer", 0.005), scene(cup=body((0.5, 0.0, 0.083)), saucer=body((0.51, 0.0, 0.03))),
     scene(cup=body((0.5, 0.0, 0.1)), saucer=body((0.51, 0.0, 0.03)))),  # hovering over it
    (on_top_of("cup", "saucer", 0.005), scene(cup=body((0.5, 0.0, 0.083)), saucer=body((0.51, 0.0, 0.03))),
     scene(cup=body((0.6, 0.0, 0.083)), saucer=body((0.51, 0.0, 0.03)))),  # beside it, at the same height
    (upright("bottle", 0.2), scene(bottle=body(roll=0.15)), scene(bottle=body(roll=0.3))),
    # Wholly inside a box of the receiver's frame (a compartment): every corner, turned with the receiver.
    (wholly_inside("money", "safe", (0.1, 0.0, 0.1), (0.1, 0.05, 0.04), (0.07, 0.03, 0.01)),
     scene(money=body((0.51, 0.11, 0.1), yaw=np.pi / 2), safe=body((0.5, 0.0, 0.0), yaw=np.pi / 2)),
     scene(money=body((0.51, 0.11, 0.1)), safe=body((0.5, 0.0, 0.0), yaw=np.pi / 2))),  # across it: ends stick out
    (wholly_inside("money", "safe", (0.1, 0.0, 0.1), (0.1, 0.05, 0.04), (0.07, 0.03, 0.01)),
     scene(money=body((0.6, 0.0, 0.1)), safe=body((0.5, 0.0, 0.0))),
     scene(money=body((0.6, 0.0, 0.135)), safe=body((0.5, 0.0, 0.0)))),  # its top through the ceiling
    # A disc (faces' normal along its y) on the table: standing on its rim, or lying on a face; not above it.
    (disc_rests_on_table("plate", 0.06, 0.012, 0.005), scene(plate=body((0.5, 0.0, 0.062), yaw=0.4)),
     scene(plate=body((0.5, 0.0, 0.075), yaw=0.4))),
    (disc_rests_on_table("plate", 0.06, 0.012, 0.005), scene(plate=body((0.5, 0.0, 0.007), roll=np.pi / 2)),
     scene(plate=body((0.5, 0.0, 0.062), roll=np.pi / 2))),  # lying flat, at a standing plate's height
    # A body's x axis along the receiver's, either way round; not turned off it or across it.
    (lies_along("bottle", "rack", 0.2), scene(bottle=body(yaw=np.pi + 0.1), rack=body()),
     scene(bottle=body(yaw=0.4), rack=body())),
    (lies_along("bottle", "rack", 0.2), scene(bottle=body(yaw=0.7), rack=body(yaw=0.6)),
     scene(bottle=body(yaw=np.pi / 2 + 0.6), rack=body(yaw=0.6))),
]


@pytest.mark.parametrize("condition, holds, fails", CASES, ids=[c[0].__qualname__.split(".")[0] for c in CASES])
def test_condition_tells_a_passing_scene_from_a_failing_one(condition, holds, fails):
    assert condition(holds)
    assert not condition(fails)


def test_all_of_needs_every_condition():
    on_patch = centre_on_patch("block", "target", (0.05, 0.05))
    both = all_of(on_patch, not_grasped("block"))
    block = body((0.5, 0.0, CUBE_HALF))
    assert both(scene(block=block, target=PATCH))
    assert not both(scene(("block",), block=block, target=PATCH))  # on the patch, but held there
    assert not both(scene(block=body((0.7, 0.0, CUBE_HALF)), target=PATCH))
    assert all_of()(scene())  # nothing to check holds


def test_disc_bottom_is_its_rim_standing_a_face_lying_and_between_when_leaning():
    pos, r, t = (0.0, 0.0, 0.5), 0.06, 0.012
    assert disc_bottom_z(pos, quat_from_euler(0.0, 0.0, 1.0), r, t) == pytest.approx(0.5 - r)
    assert disc_bottom_z(pos, quat_from_euler(np.pi / 2, 0.0, 0.0), r, t) == pytest.approx(0.5 - t / 2)
    lean = np.pi / 6  # the normal tilted 30 degrees up
    expected = 0.5 - r * np.cos(lean) - t / 2 * np.sin(lean)
    assert disc_bottom_z(pos, quat_from_euler(lean, 0.0, 0.0), r, t) == pytest.approx(expected)


def test_point_inside_follows_the_point_on_the_body_and_the_receivers_frame():
    hook = (0.0, 0.0, 0.07)  # a point 7 cm over the body's centre (a hanger's hook over its centre of mass)
    on_rail = point_inside("hanger", hook, "rail", (0.0, 0.0, 0.25), (0.15, 0.01, 0.008))
    rail = body((0.5, 0.1, 0.0), yaw=np.pi / 2)  # turned: its x axis along world y
    assert on_rail(scene(hanger=body((0.5, 0.2, 0.18)), rail=rail))  # 10 cm along the rail, hook at its top
    assert not on_rail(scene(hanger=body((0.52, 0.1, 0.18)), rail=rail))  # 2 cm across it
    assert not on_rail(scene(hanger=body((0.5, 0.1, 0.25)), rail=rail))  # the centre, not the hook, at the top
    assert not on_rail(scene(hanger=body((0.5, 0.1, 0.25), roll=np.pi), rail=rail))  # upside down: hook below


def test_points_on_patches_needs_one_point_on_each_patch_in_either_pairing():
    patches = scene(tape_a=body((0.4, 0.0, 0.0005), yaw=0.3, half=0.0005), tape_b=PATCH)

    def over(*points) -> bool:
        return points_on_patches(lambda snap: np.asarray(points), ("tape_a", "tape_b"), (0.03, 0.03))(patches)

    assert over((0.41, 0.01, 0.01), (0.5, -0.02, 0.01))
    assert over((0.5, -0.02, 0.01), (0.41, 0.01, 0.01))  # the other way round
    assert not over((0.41, 0.01, 0.01), (0.4, -0.01, 0.01))  # both on one patch
    assert not over((0.41, 0.01, 0.01), (0.5, 0.04, 0.01))  # one beside its patch
