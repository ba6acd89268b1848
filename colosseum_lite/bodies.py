"""The task's bodies in the env's client: built once per size draw, restored from a saved state per episode.

A reset on a used env observes byte for byte what a fresh env does: the base state is saved with
every task body parked apart and never sleeping, and :meth:`TaskBodies.restore` empties Bullet's
broadphase of last episode's pairs and puts the arm's colliders back afresh (see
:meth:`TaskBodies.forget_contacts`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pybullet as p

from colosseum_lite.declarations import AxisSetting, Scales
from colosseum_lite.distractors import Circle
from colosseum_lite.footprints import footprints, largest_scales
from colosseum_lite.robot import Panda
from colosseum_lite.sim import Pose, Sim
from colosseum_lite.tasks.base import Snapshot, Task, take_snapshot

# Bullet's broadphase drops stale pairs (and their warm-started contacts) a tenth at a time, and
# only in a pass where some body jumped: the arm hops between two spots far from everything.
PAIR_CLEANUP_PASSES = 12
AWAY_POSES = (Pose((100.0, 100.0, 100.0)), Pose((110.0, 100.0, 100.0)))


class TaskBodies:
    """A task's bodies and the saved state an episode starts from; keeps no simulator handle.

    Args:
        task: the env's task.
        axes: the env's active axes (the size axes bound how large a body can get).

    Attributes:
        names: the task's body names, in declaration order.
        built_scales: the scales the bodies stand at (None before the first build).
    """

    def __init__(self, task: Task, axes: Mapping[str, AxisSetting]) -> None:
        self.task = task
        self.names = task.body_names()
        self.built_scales: Scales | None = None
        self._largest = largest_scales(type(task), axes)
        self._base_state: int | None = None

    def build(self, sim: Sim, robot: Panda, scales: Scales) -> bool:
        """(Re)create the bodies at ``scales``, save the base state and the Sim's nominal values.

        Returns:
            False (and does nothing) when the bodies already stand at ``scales``.
        """
        if scales == self.built_scales:
            return False
        if self._base_state is not None:
            sim.remove_state(self._base_state)
            for name in self.names:
                sim.remove(name)
        self.task.build(sim, scales)
        self._park(sim)
        robot.reset(sim)
        self._base_state = sim.save_state()
        self.built_scales = scales
        sim.record_nominal()
        return True

    def restore(self, sim: Sim, robot: Panda) -> None:
        """Back to the base state, with a collision pipeline like a fresh env's and the arm at home."""
        assert self._base_state is not None, "restore before the first build"
        sim.restore_state(self._base_state)
        self.forget_contacts(sim, robot)
        robot.reset(sim)

    def occupied(self, sim: Sim, variant: str) -> tuple[Circle, ...]:
        """Where distractors may not stand: the robot, each body at its largest size, the keep-clear circles."""
        assert self.built_scales is not None, "occupied before the first build"
        return footprints(self.snapshot(sim), self.task.objects, self._largest, self.built_scales,
                          self.task.keep_clear(sim, variant), self.task.sized_links.keys())

    def snapshot(self, sim: Sim) -> Snapshot:
        """The bodies as the task's success predicate sees them."""
        return take_snapshot(sim, self.names)

    @staticmethod
    def forget_contacts(sim: Sim, robot: Panda) -> None:
        """Make the collision pipeline the same as a fresh env's, whatever earlier episodes did.

        The task's bodies are parked apart now and the arm goes far away: the broadphase drops
        every old pair (and its warm-started contacts) and keeps exact bounding volumes, so the
        next step finds the same pairs, islands and solver order as in a fresh env.
        """
        home = sim.pose(Panda.name)
        for i in range(PAIR_CLEANUP_PASSES):
            robot.move_base(sim, AWAY_POSES[i % 2])
            sim.detect_collisions()
        robot.move_base(sim, home)
        # The arm's links always overlap their neighbours: no pass drops those pairs, and the order
        # Bullet solves them in would follow from every episode before. Put back, they start afresh.
        sim.reinsert_colliders(Panda.name, fixed_base=True)

    def _park(self, sim: Sim) -> None:
        """Move every task body to its own spot far from the table, touching nothing."""
        for i, name in enumerate(self.names):
            sim.set_pose(name, Pose((3.0 + 1.5 * i, 4.0, 3.0)))
            # Bullet's sleep timers survive restoreState: a body that rested last episode would
            # fall asleep at another moment this one. Never sleeping keeps episodes independent.
            sim.set_dynamics(name, -1, activationState=p.ACTIVATION_STATE_DISABLE_SLEEPING)
