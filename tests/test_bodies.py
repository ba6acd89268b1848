"""TaskBodies: a rebuild only when the scales change, and every episode starting from the same saved state."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite import TASKS
from colosseum_lite.bodies import TaskBodies
from colosseum_lite.declarations import Scales
from colosseum_lite.distractors import Circle
from colosseum_lite.perturbations import resolve
from colosseum_lite.robot import Panda
from colosseum_lite.scene import build_static_scene
from colosseum_lite.seeding import TASK_STREAM, stream
from colosseum_lite.sim import Sim

TASK = "close_box"


@pytest.fixture
def built():
    sim = Sim()
    build_static_scene(sim)
    robot = Panda(sim)
    task = TASKS[TASK]()
    bodies = TaskBodies(task, resolve(TASKS[TASK], ("mo_size",)))
    assert bodies.build(sim, robot, Scales())
    yield sim, robot, task, bodies
    sim.close()


def test_bodies_are_rebuilt_only_when_the_scales_change(built):
    sim, robot, _, bodies = built
    count = len(sim.bodies)
    assert not bodies.build(sim, robot, Scales())
    assert bodies.build(sim, robot, Scales(mo=1.1))
    assert bodies.built_scales == Scales(mo=1.1) and len(sim.bodies) == count
    assert set(bodies.names) <= set(sim.bodies)


def test_restore_starts_every_episode_from_the_saved_state(built):
    sim, robot, task, bodies = built
    poses = []
    for _ in range(2):
        bodies.restore(sim, robot)
        task.reset(sim, stream(0, TASK, TASK_STREAM), task.variants[0])
        sim.step(24)
        poses.append([np.asarray(sim.pose(n).pos) for n in bodies.names])
    assert all(np.array_equal(a, b) for a, b in zip(*poses, strict=True))


def test_occupied_holds_the_robot_and_every_task_body(built):
    sim, robot, task, bodies = built
    bodies.restore(sim, robot)
    task.reset(sim, stream(0, TASK, TASK_STREAM), task.variants[0])
    circles = bodies.occupied(sim, task.variants[0])
    assert all(isinstance(c, Circle) for c in circles) and len(circles) > len(bodies.names)
    assert bodies.snapshot(sim).bodies.keys() == set(bodies.names)
