"""empty_dishwasher: open a dishwasher's drop-down door, pull its rack out and take the plate out.

Task: a dishwasher (mo) fixed to the table facing the robot: a door hinged along its bottom edge
(0.7 Nm emulated friction at scale 1) with a bar along its top, a rack on a slide (3 N) with a bar
handle, a glass top, and a plate (ro) standing on its rim in the rack's slot, shut in.
Randomizations: layout centre and yaw (+-pi/3; the yaw turns the dishwasher about a point in front
of it, so its door always opens toward that point, within reach; beyond about 70 degrees the
forearm reaching the rack's bar meets the dishwasher's top, so not the reference's +-pi/2).
Success: the plate's centre outside the dishwasher's footprint, resting on the table, not grasped.
Oracle: hooks the closed fingers behind the door's bar and tips the door, presses it down along
its arc to horizontal, grasps the rack's bar pitched 60 degrees down and pulls it out, picks the
plate by its top edge, carries it out and sets it down on its rim beside the dishwasher.
Dense reward: door opened (0-1/5), rack out (1/5-2/5), plate reached (2/5-3/5), plate carried to
where it is set down (3/5-4/5); 1.0 only at success.
Departures from the reference: a procedural dishwasher, 0.27 m tall, with one rack, one plate and a
glass top (the cameras see the plate), and the yaw range. Why, with measurements:
docs/tasks/empty_dishwasher.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import Dishwasher, HingeFrame, Plate
from colosseum_lite.robot import EE_LINK, Gripper, wrap_grasp_yaw
from colosseum_lite.sim import Pose, Sim, VecLike, rotation_matrix, to_world, vec3
from colosseum_lite.tasks import conditions as cond
from colosseum_lite.tasks.base import PANDA, Keyframe, Snapshot, Task, grasp_target, top_down
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import (
    Grasp,
    PanelPush,
    pick,
    pitched_approaches,
    pull_along,
    release_into,
    retreat,
    shut_panel,
    swing,
    wrap_pi,
)

WASHER_PART = Dishwasher(name="empty_dishwasher_washer")  # at scale 1
PLATE_PART = Plate(name="empty_dishwasher_plate")
DOOR, RACK = WASHER_PART.DOOR_JOINT, WASHER_PART.RACK_JOINT
DOOR_FRICTION_NM = 0.7  # at scale 1, as the fourth power of the scale: above the weight's 0.53 Nm lying open
RACK_FRICTION_N = 3.0
REST_TOL_M = 0.01  # the plate's lowest point this near the table top rests on it
# The layout centre is a point in front of the dishwasher; the layout yaw swings it about that point.
CENTER_X_M = (0.38, 0.42)
CENTER_Y_M = (-0.04, 0.04)
WASHER_OFFSET_M = 0.38  # layout centre to the dishwasher's centre, along the layout's +x
# The oracle: hook the door's bar, tip the door to HOOK_TO_RAD, press it down to horizontal.
HOOK_DEPTH_M = 0.008  # fingertips this far below the bar's centre
HOOK_TO_RAD = np.deg2rad(25.0)
HOOK_LEAD_RAD = np.deg2rad(8.0)
HOOK_PUSHES = 6
HOOK_STALL_RAD = np.deg2rad(0.5)
PRESS = PanelPush(lift_to_press_rad=np.pi, press_inset_m=0.03, lead_rad=np.deg2rad(12.0))
RACK_GOAL_M = 0.21  # the oracle pulls the rack out this far (capped by the travel)
RACK_PITCHES_RAD = (np.radians(60.0), np.radians(50.0), np.radians(70.0))
# The hand comes at the rack's bar turned from the dishwasher's heading toward the line from the
# robot's base by up to this much: along the heading of a dishwasher turned far, the forearm passes over its top.
RACK_TURN_RAD = np.radians(25.0)
RACK_BACK_M = 0.06  # the pre-grasp and the retreat, back along the approach from the rack's bar
BACK_OFF_M = 0.03  # after the pull, the open hand backs off the bar this far before rising
HOME_EE_M = (0.307, 0.0, 0.485)  # the grasp target at the Panda's home pose
PULL_SEGMENT_M, SETTLE_M, SLIP_TOL_M, LIMIT_MARGIN_M = 0.05, 0.005, 0.012, 0.01  # as open_drawer's pull
HANDLE_FRICTION = 1.0  # the default 0.5 lets the rack's bar slide out of the fingers
PLATE_OUT_M = 0.05  # the rack out this far beyond the plate's start clears its top edge of the carcass
GRIP_BELOW_TOP_M = 0.02  # the grasp target this far below the plate's top edge
ABOVE_PLATE_M = 0.1  # the pre-grasp above it
SET_DOWN_TOL_M = 0.02
LIFT_M = 0.05  # the plate lifted this far out of its slot (at scale 1) ...
CARRY_OUT_M = 0.1  # ... then carried this far out of the dishwasher
CARRY_Z_M = 0.3  # the grasp target's height while carrying it to where it is set down
SET_DOWN_X_M = 0.1  # where it is set down: this far in front of the dishwasher ...
SET_DOWN_SIDE_M = 0.08  # ... and its rim this far beside it
SET_DOWN_ABOVE_M = 0.01  # released with its rim this far above the table
KEEP_CLEAR_RADIUS_M = 0.1
REACH_SCALE_M = 0.3  # dense reward: distance scales
REACH_FINE_SCALE_M = 0.02
CARRY_SCALE_M = 0.2
DOOR_OPEN_RAD = np.deg2rad(80.0)  # dense reward: the door counts as open ...
RACK_OUT_M = 0.15  # ... and the rack as out
MOVED_RAD, MOVED_M = np.deg2rad(2.0), 0.01  # dense reward: the door or rack has started to move
AT_PLATE_M = 0.03  # dense reward: the plate grasped this near its grip point is held


def moved(value: float, started: float, done: float, reach: float) -> float:
    """A stage's progress: a quarter for the hand's reach (``reach`` in [0, 1]) until the joint has moved past
    ``started``, then the rest for its travel toward ``done`` (rad or m)."""
    return 0.25 + 0.75 * fraction(value, 0.0, done) if value >= started else 0.25 * reach


class EmptyDishwasher(Task):
    """Take the plate out of the dishwasher."""

    name = "empty_dishwasher"
    objects = {"dishwasher": Role.MO, "plate": Role.RO}
    axes = {
        "mo_color": axis(), "ro_color": axis(), "mo_texture": axis(), "ro_texture": axis(),
        "mo_size": axis(range=(0.8, 1.0)), "ro_size": axis(range=(0.75, 1.15)), "distractor": axis(count=2),
    }
    max_episode_steps = 55  # the oracle took 33-48 keyframes (seeds 0-49)
    max_delta_steps = 500
    layout_yaw_rad = (-np.pi / 3, np.pi / 3)

    def __init__(self) -> None:
        self._washer, self._plate = WASHER_PART, PLATE_PART  # replaced by build at their built sizes

    def instruction(self, variant: str) -> str:
        return "empty the dishwasher"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._washer, self._plate = WASHER_PART.scaled(scales.mo), PLATE_PART.scaled(scales.ro)
        # No self-collision: contacts between its links outlast an episode (the next one would depend on it);
        # the joint limits stop the door, and the plate, a body of its own, meets every link.
        sim.load_urdf("dishwasher", write_urdf(self._washer.model()), fixed=True)
        sim.set_joint_friction("dishwasher", DOOR, DOOR_FRICTION_NM * scales.mo**4)
        sim.set_joint_friction("dishwasher", RACK, RACK_FRICTION_N)
        sim.set_dynamics("dishwasher", self._washer.RACK_HANDLE, lateralFriction=HANDLE_FRICTION)
        sim.load_urdf("plate", write_urdf(self._plate.model()))

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("dishwasher", layout.pose((WASHER_OFFSET_M, 0.0, 0.0)))
        sim.set_joint_position("dishwasher", DOOR, 0.0)
        sim.set_joint_position("dishwasher", RACK, 0.0)
        pose = sim.pose("dishwasher")
        sim.set_pose("plate", Pose(vec3(to_world(pose.pos, pose.quat, self._washer.plate_xyz_m(self._plate))),
                                         pose.quat))

    def door(self, sim: Sim) -> HingeFrame:
        """The door's plane of swing now (a lid's frame: angle 0 is the door lying open)."""
        return self._washer.door_frame(sim.pose("dishwasher", self._washer.DOOR).pos, sim.pose("dishwasher").quat,
                                       sim.joint_position("dishwasher", DOOR))

    def set_down_xy(self, pos: VecLike, quat: VecLike) -> np.ndarray:
        """Where the plate is set down, the dishwasher at ``pos``, ``quat``: in front of it and beside it,
        on the side nearer the robot."""
        w = self._washer
        across = w.width_m / 2 + self._plate.radius_m + SET_DOWN_SIDE_M
        spots = [to_world(pos, quat, (-w.depth_m / 2 - SET_DOWN_X_M, s * across, 0.0))[:2] for s in (1, -1)]
        return min(spots, key=lambda xy: float(np.linalg.norm(xy)))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The open door's and the rack's lane in front of the dishwasher, and where the plate goes."""
        pose, w = sim.pose("dishwasher"), self._washer
        lane = [to_world(pose.pos, pose.quat, (-w.depth_m / 2 - t, 0.0, 0.0))[:2] for t in (0.0, 0.12, 0.24, 0.36)]
        spot = self.set_down_xy(pose.pos, pose.quat)
        return tuple((float(x), float(y), KEEP_CLEAR_RADIUS_M) for x, y in (*lane, spot))

    def out(self, snap: Snapshot) -> bool:
        """The plate's centre outside the dishwasher's (closed) footprint."""
        w = self._washer
        return not cond.centre_on_patch("plate", "dishwasher", (w.depth_m / 2, w.width_m / 2))(snap)

    def success(self, snap: Snapshot, variant: str) -> bool:
        on_table = cond.disc_rests_on_table("plate", self._plate.radius_m, self._plate.thickness_m, REST_TOL_M)
        return self.out(snap) and cond.all_of(on_table, cond.not_grasped("plate"))(snap)

    def grip_point(self, pos: np.ndarray, quat: np.ndarray) -> np.ndarray:
        """Where the grasp target holds the plate: at the top of its rim (however it has rolled), just below."""
        normal = rotation_matrix(quat)[:, 1]
        up = np.array([0.0, 0.0, 1.0]) - normal[2] * normal
        norm = float(np.linalg.norm(up))
        if norm < 1e-6:  # lying flat: no top edge, its centre
            return np.asarray(pos, dtype=float)
        return np.asarray(pos) + (self._plate.radius_m - GRIP_BELOW_TOP_M) * up / norm

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Door opened, rack out, plate grasped, plate out (in full: docs/tasks)."""
        washer, plate, w, p = snap["dishwasher"], snap["plate"], self._washer, self._plate
        door, rack = washer.joint(DOOR), washer.joint(RACK)
        to_plate = float(np.linalg.norm(snap.ee_pos - self.grip_point(plate.pos, plate.quat)))
        bottom = cond.disc_bottom_z(plate.pos, plate.quat, p.radius_m, p.thickness_m)
        off_rack = self.out(snap) and bottom < w.rack_bottom_m
        if ("plate" in snap.grasped and to_plate < AT_PLATE_M) or off_rack:
            to_spot = float(np.linalg.norm(plate.pos[:2] - self.set_down_xy(washer.pos, washer.quat)))
            return staged_reward(self.success(snap, variant), 3, closeness(to_spot, CARRY_SCALE_M), 4)
        if door >= DOOR_OPEN_RAD and rack >= RACK_OUT_M:
            return staged_reward(False, 2, approach(to_plate, REACH_SCALE_M, REACH_FINE_SCALE_M), 4)
        if door >= DOOR_OPEN_RAD:
            bar = to_world(washer.pos, washer.quat, w.rack_handle_xyz_m(rack))
            reach = closeness(float(np.linalg.norm(snap.ee_pos - bar)), REACH_SCALE_M)
            return staged_reward(False, 1, moved(rack, MOVED_M, RACK_OUT_M, reach), 4)
        h = w.door_frame_at(washer.pos, washer.quat, door)
        reach = closeness(float(np.linalg.norm(snap.ee_pos - self.hook_point(h, h.angle_rad))), REACH_SCALE_M)
        return staged_reward(False, 0, moved(door, MOVED_RAD, DOOR_OPEN_RAD, reach), 4)

    def hook_point(self, h: HingeFrame, angle_rad: float) -> np.ndarray:
        """The grasp target putting the closed fingertips behind the door's bar, the door at ``angle_rad``."""
        w = self._washer
        gap = (w.handle_standoff_m - w.handle_half_m) / 2
        along = w.door_length_m - w.handle_below_top_m - HOOK_DEPTH_M
        a, b = h.face_point(angle_rad, along, h.thickness_m + gap)
        return PRESS.hand(h, float(a), float(b))

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        w, h, hand = self._washer, self.door(sim), lambda: grasp_target(sim)
        quat = PRESS.quat(h)
        # The door: hook the closed fingers behind its bar and tip it, then press it down along its arc.
        yield Keyframe(vec3(self.hook_point(h, h.angle_rad) + [0.0, 0.0, PRESS.above_m]), quat, Gripper.CLOSED)
        yield Keyframe(vec3(self.hook_point(h, h.angle_rad)), quat, Gripper.CLOSED)
        tipped = w.door_open_rad - HOOK_TO_RAD
        yield from swing(lambda: self.door(sim).angle_rad, lambda a: self.hook_point(self.door(sim), a), quat,
                         lead_rad=HOOK_LEAD_RAD, goal_rad=tipped - HOOK_LEAD_RAD, done_rad=tipped,
                         pushes=HOOK_PUSHES, max_stalls=2, stall_rad=HOOK_STALL_RAD)
        yield from retreat(hand, quat, Gripper.CLOSED, by_m=(0.0, 0.0, PRESS.above_m))
        yield from shut_panel(lambda: self.door(sim), hand, PRESS)
        # The rack: grasp its bar pitched down, turned toward the robot, and pull it out along the dishwasher's -x.
        pose, bar = sim.pose("dishwasher"), sim.pose("dishwasher", w.RACK_HANDLE).pos
        inward = np.array([np.cos(pose.yaw_rad), np.sin(pose.yaw_rad), 0.0])
        bearing = float(np.arctan2(bar[1], bar[0]))
        heading = bearing + float(np.clip(wrap_pi(pose.yaw_rad - bearing), -RACK_TURN_RAD, RACK_TURN_RAD))
        yield from pull_along(lambda: np.asarray(sim.pose("dishwasher", w.RACK_HANDLE).pos), hand,
                              lambda: sim.joint_position("dishwasher", RACK), -inward,
                              min(RACK_GOAL_M, w.max_rack_out_m - LIMIT_MARGIN_M),
                              pitched_approaches(heading, RACK_PITCHES_RAD), back_m=RACK_BACK_M,
                              segment_m=PULL_SEGMENT_M, settle_m=SETTLE_M, slip_tol_m=SLIP_TOL_M,
                              done_m=w.slot_x_m + w.rack_inset_m + PLATE_OUT_M)
        # Off the bar level and up (rising at once, the fingers catch the bar), then by the home pose:
        # from the posture the pitched pull leaves, the arm cannot reach down to the plate.
        here = sim.pose(PANDA, EE_LINK)
        yield Keyframe(vec3(hand() - BACK_OFF_M * np.array([np.cos(heading), np.sin(heading), 0.0])), here.quat,
                       Gripper.OPEN)
        yield top_down((*hand()[:2], CARRY_Z_M), wrap_grasp_yaw(pose.yaw_rad), Gripper.OPEN)
        yield top_down(HOME_EE_M, 0.0, Gripper.OPEN)
        # The plate: pick it by its top edge, carry it out and set it down on its rim beside the dishwasher.
        plate = sim.pose("plate")
        normal = rotation_matrix(plate.quat)[:, 1]
        yaw = wrap_grasp_yaw(float(np.arctan2(-normal[0], normal[1])))
        grip = self.grip_point(np.asarray(plate.pos), np.asarray(plate.quat))
        lift_z = grip[2] + LIFT_M * w.depth_m / WASHER_PART.depth_m
        yield from pick(lambda: Grasp(grip + [0.0, 0.0, ABOVE_PLATE_M], yaw, lift_z), lambda: grip)
        yield top_down((*(grip[:2] - CARRY_OUT_M * inward[:2]), lift_z), yaw, Gripper.CLOSED)
        spot, release_z = self.set_down_xy(pose.pos, pose.quat), self._plate.radius_m + SET_DOWN_ABOVE_M
        yield from release_into(lambda: np.asarray(sim.pose("plate").pos), hand, spot, release_z, yaw,
                                over_z_m=CARRY_Z_M, tol_m=SET_DOWN_TOL_M, corrections=0)
