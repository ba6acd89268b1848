"""The Sim facade: bodies by name, looks, dynamics, state save/restore, isolation, rendering."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.assets import Geom, Joint, Link, Model, write_urdf
from colosseum_lite.sim import Pose, RenderSettings, Sim, quat_from_euler, quat_from_matrix, rotation_matrix


@pytest.fixture
def sim():
    s = Sim()
    s.add_box("ground", (1, 1, 0.01), Pose((0, 0, -0.01)), 0.0, (0.5, 0.5, 0.5, 1))
    yield s
    s.close()


def test_bodies_by_name(sim):
    bid = sim.add_box("cube", (0.02, 0.02, 0.02), Pose((0, 0, 0.1)), 0.1, (1, 0, 0, 1))
    assert sim.id("cube") == bid and sim.name_of(bid) == "cube"
    with pytest.raises(ValueError, match="exists already"):
        sim.add_box("cube", (0.02, 0.02, 0.02), Pose((0, 0, 0.3)), 0.1, (1, 0, 0, 1))
    with pytest.raises(KeyError, match="'cube'"):
        sim.id("cub")
    sim.remove("cube")
    assert "cube" not in sim.bodies


def test_color_set_get(sim):
    sim.add_sphere("ball", 0.03, Pose((0, 0, 0.1)), 0.1, (1, 0, 0, 1))
    assert sim.colors("ball")[-1] == pytest.approx((1, 0, 0, 1))
    sim.set_color("ball", (0.1, 0.2, 0.3, 1.0))
    assert sim.colors("ball")[-1] == pytest.approx((0.1, 0.2, 0.3, 1.0))


def test_dynamics_set_get(sim):
    sim.add_box("cube", (0.02, 0.02, 0.02), Pose((0, 0, 0.1)), 0.1, (1, 0, 0, 1))
    sim.set_dynamics("cube", mass=0.7, lateralFriction=0.9)
    d = sim.dynamics("cube")
    assert d["mass"] == pytest.approx(0.7) and d["lateral_friction"] == pytest.approx(0.9)


def test_save_restore_is_exact(sim):
    sim.add_box("cube", (0.02, 0.02, 0.02), Pose((0, 0, 0.3)), 0.1, (1, 0, 0, 1))
    state = sim.save_state()
    sim.step(100)
    first = sim.pose("cube")
    assert first.pos[2] < 0.3  # it fell
    sim.restore_state(state)
    assert sim.pose("cube").pos == (0, 0, 0.3)
    sim.step(100)
    assert sim.pose("cube") == first  # bit-identical replay


def test_two_sims_do_not_interfere():
    a, b = Sim(), Sim()
    try:
        a.add_box("cube", (0.02, 0.02, 0.02), Pose((0, 0, 1.0)), 0.1, (1, 0, 0, 1))
        b.add_box("cube", (0.02, 0.02, 0.02), Pose((0, 0, 1.0)), 0.1, (1, 0, 0, 1))
        a.step(50)
        assert b.pose("cube").pos == (0, 0, 1.0)
        assert a.pose("cube").pos[2] < 1.0
        assert a.client._client != b.client._client
    finally:
        a.close()
        b.close()


def test_articulated_urdf_and_scaling(sim):
    base = Link("base", (Geom("box", (0.05, 0.05, 0.05)),), 0.0)
    door = Link("door", (Geom("box", (0.05, 0.005, 0.05), xyz=(0.05, 0, 0)),), 0.1)
    slide = Joint("slide", "prismatic", "base", "door", xyz=(0, 0.06, 0), axis=(1, 0, 0), upper=0.2)
    model = Model("thing", (base, door), (slide,))
    sim.load_urdf("thing", write_urdf(model), Pose((0, 0, 0.05)), fixed=True)
    assert sim.client.getJointInfo(sim.id("thing"), 0)[2] == p.JOINT_PRISMATIC
    assert sim.joint_limits("thing", "slide")[1] == pytest.approx(0.2)
    sim.load_urdf("big", write_urdf(model.scaled(1.5)), Pose((0.5, 0, 0.1)), fixed=True)
    assert sim.joint_limits("big", "slide")[1] == pytest.approx(0.3)
    lo, hi = sim.aabb("big")
    assert hi[2] - lo[2] == pytest.approx(0.15, abs=0.01)
    assert write_urdf(model) == write_urdf(model)  # same content, same cached path


def _door(sim: Sim, name: str = "thing") -> None:
    base = Link("base", (Geom("box", (0.05, 0.05, 0.05)),), 0.0)
    door = Link("door", (Geom("box", (0.05, 0.005, 0.05), xyz=(0.05, 0, 0)),
                         Geom("box", (0.01, 0.02, 0.01), xyz=(0.09, 0.02, 0))), 0.1)
    slide = Joint("slide", "prismatic", "base", "door", xyz=(0, 0.06, 0), axis=(1, 0, 0), upper=0.2)
    sim.load_urdf(name, write_urdf(Model("door_on_a_slide", (base, door), (slide,))), Pose((0, 0, 0.05)),
                  fixed=True)


def test_joints_and_links_by_name(sim):
    _door(sim)
    assert sim.joint("thing", "slide") == 0 and sim.link("thing", "door") == 0 and sim.link("thing", -1) == -1
    assert sim.joint_limits("thing", "slide") == pytest.approx((0.0, 0.2))
    sim.set_joint_position("thing", "slide", 0.07)
    assert sim.joint_position("thing", "slide") == pytest.approx(0.07)
    assert sim.pose("thing", "door").pos == pytest.approx(sim.pose("thing", 0).pos)
    assert sim.body_state("thing").joint("slide") == pytest.approx(0.07)
    with pytest.raises(KeyError, match=r"no joint 'hinge'; its joints are \['slide'\]"):
        sim.joint("thing", "hinge")
    with pytest.raises(KeyError, match=r"no link 'lid'; its links are \['door'\]"):
        sim.link("thing", "lid")
    # A body loaded again under the same name is looked up afresh, not from a stale cache.
    sim.remove("thing")
    sim.load_urdf("thing", write_urdf(Model("hinged", (Link("base", (Geom("box", (0.05, 0.05, 0.05)),), 0.0),
                                                        Link("lid", (Geom("box", (0.05, 0.05, 0.005)),), 0.1)),
                                                  (Joint("hinge", "revolute", "base", "lid", upper=2.0),))),
                  Pose((0.5, 0, 0.05)), fixed=True)
    assert sim.joint_limits("thing", "hinge") == pytest.approx((0.0, 2.0))


def test_collision_boxes_and_resting_on_the_table(sim):
    _door(sim)
    (panel, panel_at), (knob, knob_at) = sim.collision_boxes("thing", "door")
    assert panel == pytest.approx((0.1, 0.01, 0.1)) and knob == pytest.approx((0.02, 0.04, 0.02))
    assert knob_at[0] - panel_at[0] == pytest.approx(0.04)
    sim.add_box("cube", (0.02, 0.03, 0.04), Pose((0, 0, 1)), 0.1, (1, 0, 0, 1))
    assert sim.shape_extents("cube") == pytest.approx((0.04, 0.06, 0.08))
    sim.rest_on_table("cube", (0.3, -0.2), yaw_rad=0.5, table_top_z_m=0.0)
    lo, hi = sim.aabb("cube")
    assert lo[2] == pytest.approx(0.0, abs=2e-3) and sim.pose("cube").yaw_rad == pytest.approx(0.5)
    sim.step(120)  # resting, it stays put
    assert sim.pose("cube").pos == pytest.approx((0.3, -0.2, 0.04), abs=2e-3)


def test_render_shapes_and_segmentation(sim):
    bid = sim.add_box("cube", (0.05, 0.05, 0.05), Pose((0, 0, 0.05)), 0.0, (1, 0, 0, 1))
    view = p.computeViewMatrix((0.6, 0, 0.4), (0, 0, 0.05), (0, 0, 1))
    proj = p.computeProjectionMatrixFOV(60, 1, 0.01, 5)
    rgb, depth, seg = sim.render(64, 64, view, proj, RenderSettings(), segmentation=True)
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    assert depth.shape == (64, 64) and seg.shape == (64, 64)
    mask = (seg & ((1 << 24) - 1)) == bid
    assert mask.sum() > 50
    assert rgb[mask][:, 0].mean() > 2 * rgb[mask][:, 1].mean()  # the cube is red


def test_quat_from_matrix_inverts_rotation_matrix_half_turns_included():
    rng = np.random.default_rng(0)
    quats = [quat_from_euler(*rng.uniform(-np.pi, np.pi, 3)) for _ in range(200)]
    quats += [(*(np.array(a) / np.linalg.norm(a)), 0.0) for a in ((1, -1, 0), (0, 1, -1), (1, 0, -1), (1, -1, 1))]
    for q in quats:
        m = rotation_matrix(q)
        assert rotation_matrix(quat_from_matrix(m)) == pytest.approx(m, abs=1e-9), q
