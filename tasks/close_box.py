"""close_box: swing the open lid of a box shut.

Task: a box (mo) fixed to the table, its lid on a stiff hinge (4 Nm emulated friction at scale 1)
on the far wall, open 150-170 degrees and leaning back over the table; a low fence behind it.
Randomizations: layout centre and yaw (+-pi/8), start angle.
Success: the hinge angle is within 0.35 rad of closed.
Oracle: closed fingers come down beyond the free edge, lift it up and over vertical along its
arc, then press the lid down; every keyframe re-reads the hinge.
Dense reward: reach over the spot beyond the edge (0-1/4), come down (1/4-1/2), swing the lid
(1/2-3/4: its angle, and the hand at the next push point); 1.0 only at success.
Departures from the reference: a procedural box fixed to the table, a start range of at least the
reference's swing, self-collision between lid and walls, and the fence that keeps random sweeps
from catching the lid. Why, with measurements: docs/tasks/close_box.md.
"""

from __future__ import annotations

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import HingedLidBox
from colosseum_lite.sim import Sim
from colosseum_lite.tasks.panel_tasks import ShutPanelTask
from colosseum_lite.tasks.skills import PanelPush, PanelReward

BOX = "box"
HINGE, LID = HingedLidBox.HINGE, HingedLidBox.LID
CLOSED_TOL_RAD = 0.35
OPEN_RANGE_RAD = (np.deg2rad(150.0), np.deg2rad(170.0))
# The box at scale 1; a lid opened as far as the start range stays 6 cm short of the backstop.
LID_BOX = HingedLidBox(backstop_open_rad=OPEN_RANGE_RAD[1], name="close_box_box")
JOINT_FRICTION_NM = 4.0  # at scale 1; scales with size, so closing takes the same push at the free edge
CENTER_X_M = (0.47, 0.53)  # box centre, world x
CENTER_Y_M = (-0.12, 0.12)  # box centre, world y

PUSH = PanelPush()  # the oracle's pushes (measured on the Panda's closed fingers: tasks/skills.py)
TURNED_RAD = np.deg2rad(145.0)  # dense reward: the lid below this has been turned toward closed
REWARD = PanelReward(OPEN_RANGE_RAD[1], CLOSED_TOL_RAD, TURNED_RAD)

class CloseBox(ShutPanelTask):
    """Close the hinged lid of a box that starts open."""

    name = "close_box"
    objects = {BOX: Role.MO}
    body, closed_tol_rad, push, reward = BOX, CLOSED_TOL_RAD, PUSH, REWARD
    axes = {"mo_color": axis(), "mo_texture": axis(), "mo_size": axis(range=(0.75, 1.15)),
            "distractor": axis(count=2)}
    max_episode_steps = 25
    max_delta_steps = 300  # ee_delta: an oracle-following ee_delta controller took 97-213 steps (20 seeds)
    layout_yaw_rad = (-np.pi / 8, np.pi / 8)

    def __init__(self) -> None:
        self._mount = LID_BOX  # replaced by build with the box at its built size

    def instruction(self, variant: str) -> str:
        return "close the box"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._mount = LID_BOX.scaled(scales.mo)
        sim.load_urdf(BOX, write_urdf(self._mount.model()), fixed=True, self_collision=True)
        sim.set_joint_friction(BOX, HINGE, JOINT_FRICTION_NM * scales.mo)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose(BOX, layout.pose((0.0, 0.0, 0.0)))
        sim.set_joint_position(BOX, HINGE, float(rng.uniform(*OPEN_RANGE_RAD)))
