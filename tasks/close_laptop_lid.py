"""close_laptop_lid: push the open screen of a laptop shut.

Task: a laptop (mo) fixed to the table, its screen on a stiff hinge along the base's back edge,
open 155-165 degrees and leaning back; a 15 cm fence stands 6 cm behind the screen's free edge.
Randomizations: layout centre and yaw (+-pi: the screen may face the robot or away from it),
start angle.
Success: the hinge angle is within 0.35 rad of closed.
Oracle: closed fingers come down between the fence and the screen's free edge, push the screen
up and over vertical along its arc, then press it down onto the base; every keyframe re-reads the
hinge.
Dense reward: reach over the spot behind the free edge (0-1/4), come down (1/4-1/2), swing the
screen (1/2-3/4: its angle, and the hand at the next push point); 1.0 only at success.
Departures from the reference: a procedural laptop fixed to the table, one scale for base and
screen, a stiff hinge, a wide start angle and the fence, which keep random sweeps from closing it.
Why, with measurements: docs/tasks/close_laptop_lid.md.
"""

from __future__ import annotations

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import Laptop
from colosseum_lite.sim import Sim
from colosseum_lite.tasks.panel_tasks import ShutPanelTask
from colosseum_lite.tasks.skills import PanelPush, PanelReward

LAPTOP = "laptop"
HINGE = Laptop.HINGE
CLOSED_TOL_RAD = 0.35
OPEN_RANGE_RAD = (np.deg2rad(155.0), np.deg2rad(165.0))
# The laptop at scale 1: a screen opened as far as the start range stays 6 cm short of the fence.
# The fence is as wide as the laptop: 6 cm wider on each side, its footprint left room for two
# distractors on 52 of 100 layouts (none on 22); as wide, on 98.
LAPTOP_SPEC = Laptop(max_open_rad=np.deg2rad(172.0), backstop_open_rad=OPEN_RANGE_RAD[1], backstop_height_m=0.15,
                     backstop_margin_m=0.0, name="close_laptop_lid_laptop")
JOINT_FRICTION_NM = 2.0  # at scale 1, scaled with size; 2.5x the screen's largest gravity torque
CENTER_X_M = (0.48, 0.55)  # layout centre, world x
CENTER_Y_M = (-0.1, 0.1)  # layout centre, world y
# The layout centre lies this far behind the base's centre (near the open screen's middle), so the
# whole swing, from the fence to the base's front edge, stays within reach at every yaw.
BASE_BEFORE_CENTRE_M = 0.15
# The oracle's pushes (tasks/skills.py). The fingers come down 1 cm clear of the free edge, or the
# hand grazes the leaning screen and pushes it further open; each push leads the screen by 15
# degrees, and one that turns it less than 2 counts as a stall (the fingers come down again): a
# screen this far open turns little under a finger's side.
PUSH = PanelPush(approach_clear_m=0.01, lead_rad=float(np.deg2rad(15.0)), stall_rad=float(np.deg2rad(2.0)))
TURNED_RAD = np.deg2rad(150.0)  # dense reward: the screen below this has been turned toward closed
# The hand counts as at the next push point within 5 cm of it (15 degrees ahead: 4.4 cm at the edge).
REWARD = PanelReward(OPEN_RANGE_RAD[1], CLOSED_TOL_RAD, TURNED_RAD, at_edge_m=0.05)


class CloseLaptopLid(ShutPanelTask):
    """Close the screen of a laptop that starts open."""

    name = "close_laptop_lid"
    objects = {LAPTOP: Role.MO}
    body, closed_tol_rad, push, reward = LAPTOP, CLOSED_TOL_RAD, PUSH, REWARD
    axes = {"mo_color": axis(), "mo_texture": axis(), "mo_size": axis(range=(0.75, 1.0)),
            "distractor": axis(count=2)}
    max_episode_steps = 25  # the oracle takes 8-20
    max_delta_steps = 300
    layout_yaw_rad = (-np.pi, np.pi)

    def __init__(self) -> None:
        self._mount = LAPTOP_SPEC  # replaced by build with the laptop at its built size

    def instruction(self, variant: str) -> str:
        return "close the laptop lid"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._mount = LAPTOP_SPEC.scaled(scales.mo)
        sim.load_urdf(LAPTOP, write_urdf(self._mount.model()), fixed=True, self_collision=True)
        sim.set_joint_friction(LAPTOP, HINGE, JOINT_FRICTION_NM * scales.mo)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose(LAPTOP, layout.pose((-BASE_BEFORE_CENTRE_M, 0.0, 0.0)))
        sim.set_joint_position(LAPTOP, HINGE, float(rng.uniform(*OPEN_RANGE_RAD)))
