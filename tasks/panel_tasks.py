"""What the tasks that swing a hinged panel shut share (close_box, close_laptop_lid): where the fingers
come down, the success predicate, the dense reward and the oracle, all read from the part's hinge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from colosseum_lite.parts import HingedMount
from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import joint_within
from colosseum_lite.tasks.skills import PanelPush, PanelReward, hinge_in, read_hinge, shut_panel


class ShutPanelTask(Task):
    """A task whose one object (``body``, a :class:`HingedMount`) is solved by swinging its panel to
    within ``closed_tol_rad`` of closed. A subclass sets the class constants, keeps the built part in
    ``self._mount`` (from ``build``), and places it in ``reset``."""

    body: ClassVar[str]
    closed_tol_rad: ClassVar[float]
    push: ClassVar[PanelPush]  # the oracle's pushes
    reward: ClassVar[PanelReward]
    keep_clear_radius_m: ClassVar[float] = 0.06  # distractors stay this far from where the fingers come down
    _mount: HingedMount

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """Where the closed fingers come down beyond the panel's free edge to start lifting it."""
        h = read_hinge(sim, self.body, self._mount)
        a, _ = self.push.contact(h, h.angle_rad)
        spot = h.world(a - self.push.approach_clear_m, 0.0)
        return ((float(spot[0]), float(spot[1]), self.keep_clear_radius_m),)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return joint_within(self.body, self._mount.HINGE, 0.0, self.closed_tol_rad)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach over the spot beyond the free edge, come down, swing the panel shut (in full: docs/tasks)."""
        h, success = hinge_in(snap, self.body, self._mount), self.success(snap, variant)
        return self.reward(h, self.push, snap.ee_pos, self.body in snap.touched, success)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        hinge = lambda: read_hinge(sim, self.body, self._mount)  # noqa: E731
        yield from shut_panel(hinge, lambda: grasp_target(sim), self.push)
