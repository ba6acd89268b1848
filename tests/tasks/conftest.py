"""Fixtures of the task tests: one task built in a bare scene, and an oracle played in it."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pytest

from colosseum_lite.declarations import Scales
from colosseum_lite.robot import Panda
from colosseum_lite.scene import build_static_scene
from colosseum_lite.sim import Sim
from colosseum_lite.tasks import TASKS
from colosseum_lite.tasks.base import Task, take_snapshot

SETTLE_SUBSTEPS = 24


class World(NamedTuple):
    """A task built and placed in a scene with the table and the Panda, without the env around it."""

    sim: Sim
    task: Task
    robot: Panda


def build_world(task: str, mo: float = 1.0, ro: float = 1.0, seed: int = 0, variant: str | None = None) -> World:
    """``task`` built at scales ``mo``/``ro`` and placed by ``seed`` (its first variant unless named)."""
    sim = Sim()
    build_static_scene(sim)
    robot = Panda(sim)
    robot.reset(sim)
    t = TASKS[task]()
    if type(t).substep is not Task.substep:  # as the env does: a task with state outside PyBullet
        sim.step_hooks.append(functools.partial(t.substep, sim))
    t.build(sim, Scales(mo=mo, ro=ro))
    t.reset(sim, np.random.default_rng(seed), variant or t.variants[0])
    sim.step(SETTLE_SUBSTEPS)
    return World(sim, t, robot)


@pytest.fixture
def world() -> Iterator:
    """Factory: ``world(task, mo=1.0, ro=1.0, seed=0, variant=None)`` -> :class:`World`; closed after the test."""
    made: list[World] = []

    def make(task: str, mo: float = 1.0, ro: float = 1.0, seed: int = 0, variant: str | None = None) -> World:
        made.append(build_world(task, mo, ro, seed, variant))
        return made[-1]

    yield make
    for w in made:
        w.sim.close()


def oracle_solves(w: World, variant: str = "default") -> bool:
    """Play the task's oracle in ``w`` keyframe by keyframe; whether the task is solved on the way."""
    for kf in w.task.oracle(w.sim, variant):
        w.robot.move_to(w.sim, kf.pos, kf.quat)
        if kf.gripper is not w.robot.command.gripper:
            w.robot.actuate_gripper(w.sim, kf.gripper)
        if w.task.success(take_snapshot(w.sim, w.task.body_names()), variant):
            return True
    return False
