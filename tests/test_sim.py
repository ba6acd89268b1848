"""The Sim facade: bodies by name, looks, dynamics, state save/restore, isolation, rendering."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.assets import Geom, Joint, Link, Model, write_urdf
from colosseum_lite.sim import Pose, RenderSettings, Sim


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
    info = sim.client.getJointInfo(sim.id("thing"), 0)
    assert info[2] == p.JOINT_PRISMATIC and info[9] == pytest.approx(0.2)
    sim.load_urdf("big", write_urdf(model.scaled(1.5)), Pose((0.5, 0, 0.1)), fixed=True)
    assert sim.client.getJointInfo(sim.id("big"), 0)[9] == pytest.approx(0.3)
    lo, hi = sim.aabb("big")
    assert hi[2] - lo[2] == pytest.approx(0.15, abs=0.01)
    assert write_urdf(model) == write_urdf(model)  # same content, same cached path


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
