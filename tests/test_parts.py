"""The parts library: every part builds in a Sim with its named joints and links, scales uniformly, and its
named dimensions are where the built body has them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.assets import urdf_text, write_urdf
from colosseum_lite.parts import (
    PARTS,
    BarHandle,
    CapsuleChain,
    ChainJoint,
    DrawerCabinet,
    FlatPatch,
    HingedLidBox,
    HingedPanel,
    HingeFrame,
    Hoop,
    Knob,
    KnobOven,
    Laptop,
    Part,
    PrismaticSlot,
    RingOfBoxes,
    SlottedRack,
    Tool,
)
from colosseum_lite.sim import Pose, Sim, rotation_matrix

AT = Pose((0.3, -0.2, 0.5))


def _load(sim: Sim, part: Part, name: str = "part") -> str:
    sim.load_urdf(name, write_urdf(part.model()), AT, fixed=True)
    return name


@pytest.fixture
def sim():
    s = Sim()
    yield s
    s.close()


@pytest.mark.parametrize("part", [cls() for cls in PARTS], ids=[cls.__name__ for cls in PARTS])
def test_every_part_builds_with_its_named_links_and_joints(sim, part):
    model = part.model()
    name = _load(sim, part)
    assert sim.num_joints(name) == len(model.joints) == len(model.links) - 1
    for link in model.links[1:]:
        assert sim.link(name, link.name) >= 0
    for joint in model.joints:
        assert sim.joint(name, joint.name) >= 0


@pytest.mark.parametrize("part", [cls() for cls in PARTS], ids=[cls.__name__ for cls in PARTS])
@pytest.mark.parametrize("s", [0.5, 1.3])
def test_scaled_scales_lengths_by_s_and_masses_by_s_cubed(part, s):
    big = part.scaled(s)
    for f in dataclasses.fields(part):
        before, after = getattr(part, f.name), getattr(big, f.name)
        if f.name.endswith("_m"):
            assert np.asarray(after) == pytest.approx(np.asarray(before) * s)
        elif f.name.endswith("_kg"):
            assert after == pytest.approx(before * s**3)
        elif isinstance(before, Part):  # a nested part scales along
            assert after == before.scaled(s)
        else:
            assert after == before
    want = part.model().scaled(s)  # the nominal body scaled as a whole
    got = big.model()
    for a, b in zip(got.links, want.links, strict=True):
        assert (a.name, a.mass_kg) == (b.name, pytest.approx(b.mass_kg))
        assert np.asarray(a.com_xyz) == pytest.approx(np.asarray(b.com_xyz), abs=1e-12)
        for ga, gb in zip(a.geoms, b.geoms, strict=True):
            assert (ga.kind, ga.rgba, ga.collision) == (gb.kind, gb.rgba, gb.collision)
            assert ga.rpy == pytest.approx(gb.rpy)
            assert np.asarray(ga.size + ga.xyz) == pytest.approx(np.asarray(gb.size + gb.xyz), abs=1e-12)
    for a, b in zip(got.joints, want.joints, strict=True):
        assert (a.name, a.kind, a.axis) == (b.name, b.kind, b.axis)
        assert np.asarray((*a.xyz, a.lower, a.upper)) == pytest.approx(np.asarray((*b.xyz, b.lower, b.upper)))


@pytest.mark.parametrize("part", [HingedLidBox(), DrawerCabinet(), Hoop(), Tool()], ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("s", [0.7731946, 0.9136797, 1.1382817])
def test_a_scaled_spec_builds_the_scaled_nominal_model_to_the_byte(part, s):
    """The URDF text too (at scales with few decimals, a tie in the six-digit rounding may differ)."""
    assert urdf_text(part.scaled(s).model()) == urdf_text(part.model().scaled(s))


def test_hinged_lid_box_hinge_and_lid_where_the_spec_says(sim):
    box = HingedLidBox().scaled(0.9)
    name = _load(sim, box)
    hinge = np.asarray(AT.pos) + rotation_matrix(AT.quat) @ np.asarray(box.hinge_xyz_m)
    assert np.asarray(sim.pose(name, box.LID).pos) == pytest.approx(hinge, abs=1e-6)
    dims = sim.shape_extents(name, box.LID)
    assert (dims[0], dims[2]) == pytest.approx((box.lid_length_m, box.lid_thickness_m), abs=1e-12)
    assert sim.joint_limits(name, box.HINGE) == pytest.approx((box.lid_lower_rad, box.max_open_rad))


@pytest.mark.parametrize("mount", [HingedLidBox().scaled(1.1), Laptop().scaled(0.8)],
                         ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("angle", [0.0, 1.2, 2.3])
def test_hinge_frame_puts_the_free_edge_where_the_built_panel_has_it(sim, mount, angle):
    """The frame an oracle steers by agrees with the engine: the free edge's outer face at any angle,
    read from the panel link (oracle) or from the base pose and the spec (snapshots)."""
    name = _load(sim, mount)
    sim.set_joint_position(name, mount.HINGE, angle)
    panel = sim.pose(name, mount.PANEL_LINK)
    from_sim = mount.hinge_frame(panel.pos, AT.quat, angle)
    from_spec = mount.hinge_frame(mount.hinge_origin(AT.pos, AT.quat), AT.quat, angle)
    assert from_sim.origin == pytest.approx(from_spec.origin, abs=1e-6)  # the engine reports float32 poses
    assert isinstance(from_sim, HingeFrame) and from_sim.yaw_rad == pytest.approx(0.0)
    length, thickness = mount.panel_m
    assert sim.shape_extents(name, mount.PANEL_LINK)[[0, 2]] == pytest.approx([length, thickness], abs=1e-12)
    edge = from_spec.world(*from_spec.face_point(angle, length))  # outer face at the free edge, mid-width
    expected = np.asarray(panel.pos) + rotation_matrix(panel.quat) @ [-length, 0.0, thickness]
    assert edge == pytest.approx(expected, abs=1e-6)


def test_hinged_panel_swings_its_free_edge_up(sim):
    panel = HingedPanel(length_m=0.2, upper_rad=1.0)
    name = _load(sim, panel)
    assert sim.joint_limits(name, panel.HINGE) == pytest.approx((0.0, 1.0))
    sim.set_joint_position(name, panel.HINGE, 1.0)
    lo, hi = sim.aabb(name, panel.PANEL)
    assert hi[2] - AT.pos[2] == pytest.approx(0.2 * np.sin(1.0) + 0.01 * np.cos(1.0), abs=0.003)


def test_drawer_cabinet_handles_and_travel_where_the_spec_says(sim):
    cabinet = DrawerCabinet().scaled(0.8)
    name = _load(sim, cabinet)
    for i, level in enumerate(cabinet.levels):
        assert sim.joint_limits(name, cabinet.drawer_joint(level)) == (0.0, cabinet.max_opening_m)
        sim.set_joint_position(name, cabinet.drawer_joint(level), 0.05 * i)
        want = np.asarray(AT.pos) + np.asarray(cabinet.handle_xyz_m(level, 0.05 * i))
        assert np.asarray(sim.pose(name, cabinet.handle_link(level)).pos) == pytest.approx(want, abs=1e-6)
    assert sim.aabb(name)[1][2] - AT.pos[2] == pytest.approx(cabinet.height_m, abs=0.002)


def test_handle_and_knob_reach_out_from_their_mounting_face(sim):
    handle, knob = BarHandle(), Knob()
    lo, hi = sim.aabb(_load(sim, handle, "handle"))
    assert hi[0] - AT.pos[0] == pytest.approx(handle.standoff_m, abs=0.002)
    assert handle.gap_m > 0
    lo, hi = sim.aabb(_load(sim, knob, "knob"))
    assert hi[0] - AT.pos[0] == pytest.approx(knob.reach_m, abs=0.004)  # AABBs carry a margin
    assert hi[2] - lo[2] == pytest.approx(2 * knob.radius_m, abs=0.008)


def test_oven_knobs_sit_on_the_panel_and_turn_about_its_normal(sim):
    oven = KnobOven()
    name = _load(sim, oven, "oven")
    rot = rotation_matrix(AT.quat)
    normal = rot @ oven.normal
    left = [float(sim.pose(name, oven.knob_link(i)).pos[1]) for i in range(oven.knobs)]
    assert left == sorted(left, reverse=True)  # knob 0 leftmost seen from the front (-x)
    for i in range(oven.knobs):
        sim.set_joint_position(name, oven.knob_joint(i), 0.0)
        dial = sim.pose(name, oven.knob_link(i))
        frame = rotation_matrix(dial.quat)
        assert frame[:, 2] == pytest.approx(normal, abs=1e-6)  # the knob's axis: the panel's normal
        assert frame[:, 0] == pytest.approx(rot @ oven.up_panel, abs=1e-6)  # the bar up the panel at 0
        face = np.asarray(AT.pos) + rot @ np.asarray(oven.knob_xyz_m(i))
        assert np.asarray(dial.pos) == pytest.approx(face, abs=1e-6)  # the dial's back on the panel face
        sim.set_joint_position(name, oven.knob_joint(i), 1.0)  # positive: counter-clockwise from the front
        turned = rotation_matrix(sim.pose(name, oven.knob_link(i)).quat)[:, 0]
        assert np.cross(frame[:, 0], turned) @ normal == pytest.approx(np.sin(1.0), abs=1e-6)


def test_prismatic_slot_travels_along_its_axis(sim):
    slot = PrismaticSlot(travel_m=0.2, axis=(0.0, 1.0, 0.0))
    name = _load(sim, slot)
    assert sim.joint_limits(name, slot.SLIDE) == pytest.approx((0.0, 0.2))
    start = np.asarray(sim.pose(name, slot.BLOCK).pos)
    sim.set_joint_position(name, slot.SLIDE, 0.2)
    assert np.asarray(sim.pose(name, slot.BLOCK).pos) - start == pytest.approx((0.0, 0.2, 0.0), abs=1e-6)


def test_ring_of_boxes_and_hoop_radii(sim):
    ring = RingOfBoxes.closed(0.05, 0.004, 12, (1.0, 0.0, 0.0, 1.0))
    assert (ring.inner_radius_m, ring.outer_radius_m) == pytest.approx((0.05, 0.058))
    assert len(ring.geoms()) == 12
    lo, hi = sim.aabb(_load(sim, ring, "ring"))
    assert hi[0] - AT.pos[0] == pytest.approx(ring.outer_radius_m, abs=0.003)
    hoop = Hoop().scaled(1.1)
    name = _load(sim, hoop, "hoop")
    assert sim.pose(name, hoop.RING).pos[2] - AT.pos[2] == pytest.approx(hoop.ring_z_m)
    assert sim.aabb(name, hoop.NET)[0][2] - AT.pos[2] == pytest.approx(
        hoop.net_floor_z_m - hoop.net_floor_thickness_m, abs=0.004)
    assert sim.pose(name, hoop.BOARD).pos[1] - AT.pos[1] == pytest.approx(hoop.board_y_m)


def test_slotted_rack_slots_lie_between_its_dividers(sim):
    rack = SlottedRack(slot_count=3)
    name = _load(sim, rack)
    lo, hi = sim.aabb(name)
    assert hi[0] - lo[0] == pytest.approx(rack.length_m, abs=0.004)
    dividers = sorted(float(c[0]) for _, c in sim.collision_boxes(name)[1:])
    assert len(dividers) == 4
    for i in range(3):
        assert dividers[i] < rack.slot_center_x_m(i) < dividers[i + 1]
        assert rack.slot_center_x_m(i) == pytest.approx((dividers[i] + dividers[i + 1]) / 2)


def test_flat_patch_is_seen_not_touched(sim):
    patch = FlatPatch((0.04, 0.03))
    name = _load(sim, patch)
    assert sim.client.getCollisionShapeData(sim.id(name), -1) == ()
    assert patch.half_extents_m == (0.04, 0.03, patch.half_thickness_m)


@pytest.mark.parametrize("kind", list(ChainJoint), ids=str)
def test_capsule_chain_links_joined_by_its_joint_kind(sim, kind):
    rope = CapsuleChain(count=5, joint=kind)
    name = _load(sim, rope)
    expected = p.JOINT_SPHERICAL if kind is ChainJoint.SPHERICAL else p.JOINT_REVOLUTE
    for i in range(1, 5):
        assert sim.client.getJointInfo(sim.id(name), sim.joint(name, rope.joint_name(i)))[2] == expected
        assert sim.link(name, rope.link_name(i)) == i - 1
    lo, hi = sim.aabb(name)
    for j in range(4):
        jlo, jhi = sim.aabb(name, j)
        lo, hi = np.minimum(lo, jlo), np.maximum(hi, jhi)
    assert hi[0] - lo[0] == pytest.approx(rope.length_m, abs=0.002)
