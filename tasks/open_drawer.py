"""open_drawer: pull the named drawer (bottom, middle or top) of a three-drawer cabinet open.

Task: a cabinet (mo) fixed to the table facing the robot, three drawers on prismatic joints
(3 N emulated friction), each with a bar handle; the variant names the drawer.
Randomizations: layout centre and yaw (+-pi/8, the cabinet keeps facing the robot), variant.
Success: the named drawer is out more than 0.15 m and every other one less than 0.03 m.
Oracle: grasps the bar with the hand pitched 60 degrees down (70, then 50 on a retry) and pulls
in 5 cm keyframes re-aimed at the bar.
Dense reward: reach the named handle (0-1/3), grasp and pull it toward 0.15 m (1/3-2/3); 1.0
only at success; another drawer open counts as reaching at half weight.
Departures from the reference: a procedural carcass on a plinth, placed within the pitched hand's
reach, and bars whose 9 mm gap admits no finger (only a grasp pulls). Why, with measurements:
docs/tasks/open_drawer.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import DrawerCabinet
from colosseum_lite.sim import Sim, to_world
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import only_joint_past
from colosseum_lite.tasks.predicates import closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Approach, pitched_quat, pull_along

CABINET_PART = DrawerCabinet(levels=("bottom", "middle", "top"), name="open_drawer_cabinet")  # at scale 1
VARIANTS = CABINET_PART.levels
# The layout centre is a point in front of the cabinet; the layout yaw swings the cabinet about it,
# so the cabinet keeps facing the robot rather than turning away from it.
CENTER_X_M = (0.43, 0.47)
CENTER_Y_M = (-0.06, 0.06)
CABINET_OFFSET_M = 0.34  # layout centre to cabinet centre, along the layout's +x
OPEN_THRESHOLD_M = 0.15  # absolute, as in the reference (not scaled)
SHUT_THRESHOLD_M = 0.03  # every other drawer must stay out less than this
JOINT_FRICTION_N = 3.0
# Approach pitch below horizontal, one per grasp attempt: 60 degrees reaches nearly every handle,
# a steeper or flatter hand the few spots it misses.
PITCHES_RAD = (np.radians(60.0), np.radians(70.0), np.radians(50.0))
PREGRASP_BACK_M = 0.10  # pre-grasp distance back along the approach axis
PULL_GOAL_M = 0.18  # drawer opening the oracle aims for (capped by the travel limit)
LIMIT_MARGIN_M = 0.01  # stay this far inside the travel limit when pulling
PULL_SEGMENT_M = 0.05  # pull per keyframe
SLIP_TOL_M = 0.012  # grasp target farther than this from the bar: the grasp is lost
SETTLE_M = 0.005  # pulling stops this close to the goal
KEEP_CLEAR_RADIUS_M = 0.1  # distractors stay out of the pull lane
HANDLE_FRICTION = 1.0  # the default 0.5 lets the bar slide out of the fingers
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
AT_BAR_M = 0.02  # dense reward: the cabinet grasped this near the bar is the bar grasped
PULL_STARTED_M = 0.01  # dense reward: the named drawer out this far is being pulled
# The cabinet model's joint and link names, per drawer.
DRAWER_JOINT = {v: CABINET_PART.drawer_joint(v) for v in VARIANTS}
HANDLE_LINK = {v: CABINET_PART.handle_link(v) for v in VARIANTS}


def handle_position(snap: Snapshot, variant: str, cabinet: DrawerCabinet) -> np.ndarray:
    """World position of the named drawer's handle bar centre, from the cabinet's pose and joints."""
    state = snap["cabinet"]
    local = np.asarray(cabinet.handle_xyz_m(variant, state.joint(DRAWER_JOINT[variant])))
    return to_world(state.pos, state.quat, local)


class OpenDrawer(Task):
    """Open the bottom, middle or top drawer of a cabinet by more than 0.15 m."""

    name = "open_drawer"
    objects = {"cabinet": Role.MO}
    variants = VARIANTS
    max_episode_steps = 25
    max_delta_steps = 200  # ee_delta: the oracle's hand path (0.5-0.9 m) is at most 45 full-speed steps
    layout_yaw_rad = (-np.pi / 8, np.pi / 8)
    axes = {
        "mo_color": axis(),
        "mo_size": axis(range=(0.75, 1.0)),
        "distractor": axis(count=2),
    }

    def __init__(self) -> None:
        self._cabinet = CABINET_PART  # replaced by build with the cabinet at its built size

    def instruction(self, variant: str) -> str:
        return f"open the {variant} drawer"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._cabinet = CABINET_PART.scaled(scales.mo)
        sim.load_urdf("cabinet", write_urdf(self._cabinet.model()), fixed=True)
        for v in VARIANTS:
            sim.set_joint_friction("cabinet", DRAWER_JOINT[v], JOINT_FRICTION_N)
        for link in HANDLE_LINK.values():
            sim.set_dynamics("cabinet", link, lateralFriction=HANDLE_FRICTION)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("cabinet", layout.pose((CABINET_OFFSET_M, 0.0, 0.0)))
        for v in VARIANTS:
            sim.set_joint_position("cabinet", DRAWER_JOINT[v], 0.0)

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The lane in front of the cabinet where the drawer slides out and the arm pulls it."""
        yaw = sim.pose("cabinet").yaw_rad
        outward = -np.array([np.cos(yaw), np.sin(yaw)])
        bar = np.asarray(sim.pose("cabinet", HANDLE_LINK[variant]).pos[:2])
        return tuple((*(bar + t * outward), KEEP_CLEAR_RADIUS_M) for t in (0.0, 0.1, 0.2, 0.3))

    def success(self, snap: Snapshot, variant: str) -> bool:
        drawers = tuple(DRAWER_JOINT.values())
        return only_joint_past("cabinet", drawers, DRAWER_JOINT[variant], OPEN_THRESHOLD_M, SHUT_THRESHOLD_M)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the named drawer's bar, then pull the drawer out (in full: docs/tasks)."""
        cabinet = snap["cabinet"]
        opening = cabinet.joint(DRAWER_JOINT[variant])
        to_bar = float(np.linalg.norm(snap.ee_pos - handle_position(snap, variant, self._cabinet)))
        near = closeness(to_bar, REACH_SCALE_M)
        if any(cabinet.joint(DRAWER_JOINT[v]) >= SHUT_THRESHOLD_M for v in VARIANTS if v != variant):
            return staged_reward(False, 0, near / 2, 2)
        if opening >= PULL_STARTED_M or ("cabinet" in snap.grasped and to_bar < AT_BAR_M):
            return staged_reward(self.success(snap, variant), 1, fraction(opening, 0.0, OPEN_THRESHOLD_M), 2)
        return staged_reward(False, 0, near, 2)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        joint, handle = DRAWER_JOINT[variant], HANDLE_LINK[variant]
        goal = min(PULL_GOAL_M, self._cabinet.max_opening_m - LIMIT_MARGIN_M)
        # The drawer slides along the cabinet's -x axis; the hand approaches along +x, pitched down.
        yaw = sim.pose("cabinet").yaw_rad
        inward = np.array([np.cos(yaw), np.sin(yaw), 0.0])

        ways = [Approach(pitched_quat(yaw, pitch), np.array([*(np.cos(pitch) * inward[:2]), -np.sin(pitch)]))
                for pitch in PITCHES_RAD]
        yield from pull_along(lambda: np.asarray(sim.pose("cabinet", handle).pos), lambda: grasp_target(sim),
                              lambda: sim.joint_position("cabinet", joint), -inward, goal, ways,
                              back_m=PREGRASP_BACK_M, segment_m=PULL_SEGMENT_M, settle_m=SETTLE_M,
                              slip_tol_m=SLIP_TOL_M, done_m=OPEN_THRESHOLD_M)
