"""The Franka Panda: loading, inverse kinematics and the two controllers.

Inverse kinematics runs on a kinematic copy of the arm in a private DIRECT client (PyBullet's
``currentPositions`` argument shifts solutions, so the copy is reset to the seed instead). The
simulated arm is driven with position motors; a keyframe move interpolates the end-effector
along a straight line with an IK waypoint every few substeps, so held objects are not flung.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum, unique
from typing import Any

import numpy as np
import pybullet as p

from colosseum_lite.assets import panda_urdf
from colosseum_lite.sim import Pose, Sim, VecLike, connect

ARM_JOINTS = tuple(range(7))
FINGER_JOINTS = (9, 10)
HAND_LINK = 8
EE_LINK = 11  # panda_grasptarget, 0.105 m along the hand's z axis; fingertips 11 mm beyond
FINGERTIP_BELOW_EE_M = 0.011  # the fingertips' reach beyond the grasp target (along the hand's z axis)
HOME_Q = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785)
ARM_FORCES_NM = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
ARM_POSITION_GAIN = 0.2  # position-motor gain (PyBullet's default 0.1 lags twice as far behind)
LOWER = np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
UPPER = np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
FINGER_OPEN_M = 0.04
GRIP_FORCE_N = 25.0
WAYPOINT_SUBSTEPS = 16  # an IK waypoint every 16 substeps (2 cm at full speed) ...
MOTOR_SUBSTEPS = 8  # ... with joint targets interpolated every 8 substeps in between
TRACK_IK_ITERATIONS = 12
# The last waypoint of a move is solved in full. A solution farther than this (any joint) from
# the previous waypoint's posture may be another posture of the arm, reached only by swinging
# the whole arm through the workspace; the goal is then refined from the tracked posture.
MAX_GOAL_LEAP_RAD = 0.25
GOAL_REFINEMENTS = 8
# The Panda's joint velocity limits (Franka datasheet): no waypoint asks a joint for more, so an
# IK solution that leaps (another posture, a singularity) is followed at the robot's pace.
JOINT_SPEED_RAD_S = np.array([2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61])
BASE_POSE = Pose((0.0, 0.0, 0.0))

# Keyframe motion limits. In free space the hand moves at up to 1 m/s (the Panda's hand reaches
# about that); within NEAR_M of any other body (an object, the table) at most 0.5 m/s, so nothing
# is struck or flung at speed; holding something (fingers closed on it) at most 0.3 m/s.
FREE_SPEED_M_S = 1.0
NEAR_SPEED_M_S = 0.5
ANGULAR_SPEED_RAD_S = 1.5  # everywhere: a faster wrist whips the forearm through the scene
HELD_SPEED_M_S = 0.3
HOLDING_WIDTH_M = 0.004  # closed fingers at least this far apart hold something (grasp predicates too)
NEAR_M = 0.03
FIRST_NEAR_LINK = 4  # links 4 (forearm) to 11 count for "near"; the base and upper arm do not
MAX_MOVE_SUBSTEPS = 720  # the hard cap on one keyframe: 3 s of simulated time
SETTLE_SUBSTEPS = 90
SETTLE_CHECK_SUBSTEPS = 8
SETTLED_RAD = 5e-3  # a move has arrived when every joint is this near its target ...
SETTLED_SPEED_RAD_S = 0.1  # ... and slower than this
STALLED_CHECKS = 3  # a settling arm that has not moved for this many checks is blocked: it stops
GRIPPER_SUBSTEPS = 60


@unique
class Gripper(Enum):
    """Gripper command: fully open or closing with the grip force."""

    OPEN = 1
    CLOSED = 0


def top_down_quat(yaw_rad: float = 0.0) -> tuple[float, float, float, float]:
    """Orientation of the gripper pointing straight down, rotated ``yaw_rad`` about world z.

    At yaw 0 the fingers close along world y; at yaw ``a`` they close along world y turned by ``a``
    counter-clockwise, i.e. along ``(-sin a, cos a)``.
    """
    return tuple(p.getQuaternionFromEuler((np.pi, 0.0, yaw_rad)))


def wrap_grasp_yaw(yaw_rad: float) -> float:
    """Map a yaw into [-pi/2, pi/2): the parallel gripper is symmetric under a half turn."""
    return float((yaw_rad + np.pi / 2) % np.pi - np.pi / 2)


def quat_error_rad(a: VecLike, b: VecLike) -> float:
    """Angle between two orientations in radians."""
    d = abs(float(np.dot(np.asarray(a), np.asarray(b))))
    return float(2 * np.arccos(min(1.0, d)))


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between unit quaternions."""
    dot = float(np.dot(a, b))
    if dot < 0:
        b, dot = -b, -dot
    if dot > 0.9995:
        q = a + t * (b - a)
        return q / np.linalg.norm(q)
    theta = np.arccos(dot)
    return (np.sin((1 - t) * theta) * a + np.sin(t * theta) * b) / np.sin(theta)


class IKSolver:
    """Inverse kinematics on a kinematic Panda copy in its own DIRECT client."""

    def __init__(self) -> None:
        self.client = connect()
        self.body = self.client.loadURDF(panda_urdf(True), useFixedBase=True)
        self._ranges = list(UPPER - LOWER) + [0.04, 0.04]
        self._lower = list(LOWER) + [0.0, 0.0]
        self._upper = list(UPPER) + [0.04, 0.04]

    def _set(self, q: np.ndarray) -> None:
        self.client.resetJointStatesMultiDof(self.body, ARM_JOINTS, [[float(v)] for v in q])

    def forward(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """End-effector position and quaternion for joint angles ``q``."""
        self._set(q)
        st = self.client.getLinkState(self.body, EE_LINK, computeForwardKinematics=True)
        return np.asarray(st[4]), np.asarray(st[5])

    def _ik(self, pos: VecLike, quat: VecLike, seed: np.ndarray, null_space: bool, iters: int) -> np.ndarray:
        self._set(seed)
        kwargs: dict[str, Any] = dict(maxNumIterations=iters, residualThreshold=1e-5)
        if null_space:
            kwargs.update(lowerLimits=self._lower, upperLimits=self._upper,
                          jointRanges=self._ranges, restPoses=list(HOME_Q) + [0.02, 0.02])
        q = self.client.calculateInverseKinematics(self.body, EE_LINK, list(pos), list(quat), **kwargs)
        return np.clip(np.asarray(q[:7]), LOWER, UPPER)

    def _error(self, q: np.ndarray, pos: VecLike, quat: VecLike) -> tuple[float, float]:
        fp, fq = self.forward(q)
        return float(np.linalg.norm(fp - np.asarray(pos))), quat_error_rad(fq, quat)

    def track(self, pos: VecLike, quat: VecLike, seed: np.ndarray, iters: int = TRACK_IK_ITERATIONS) -> np.ndarray:
        """A short, unchecked refinement from ``seed``: for targets a few centimetres away."""
        return self._ik(pos, quat, seed, False, iters)

    def solve(
        self, pos: VecLike, quat: VecLike, seed: np.ndarray, tol_m: float = 2e-3, tol_rad: float = 0.02,
        quick: bool = False,
    ) -> tuple[np.ndarray, float]:
        """Joint angles reaching ``pos``/``quat``; returns ``(q, position error in m)``.

        ``quick`` tries a short refinement from ``seed`` first (for nearby waypoints).
        """
        best_q, best_err = np.asarray(seed, dtype=float), np.inf
        attempts = []
        if quick:
            attempts.append((seed, False, 30))
        attempts += [(seed, True, 200), (np.asarray(HOME_Q), True, 200)]
        for start, null_space, iters in attempts:
            q = self._ik(pos, quat, np.asarray(start), null_space, iters)
            q = self._ik(pos, quat, q, False, 50) if null_space else q
            err_m, err_rad = self._error(q, pos, quat)
            score = err_m + 0.05 * err_rad
            if score < best_err:
                best_q, best_err = q, score
            if err_m < tol_m and err_rad < tol_rad:
                return q, err_m
        return best_q, best_err


_SOLVERS: dict[int, IKSolver] = {}


def ik_solver() -> IKSolver:
    """This process's IK solver (created on first use; stateless between calls)."""
    pid = os.getpid()
    if pid not in _SOLVERS:
        _SOLVERS[pid] = IKSolver()
    return _SOLVERS[pid]


@dataclass(slots=True)
class ArmCommand:
    """What the motors are asked to hold now (commanded, not measured)."""

    q: np.ndarray
    ee_pos: np.ndarray
    ee_quat: np.ndarray
    gripper: Gripper


class Panda:
    """The Panda arm and gripper in one ``Sim``, under the body name ``panda``.

    Holds only the current motor command; the simulator is passed into every call.
    """

    name = "panda"

    def __init__(self, sim: Sim, low_poly: bool = True) -> None:
        sim.load_urdf(self.name, panda_urdf(low_poly), BASE_POSE, fixed=True,
                      flags=p.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT)
        bid = sim.id(self.name)
        c = sim.client
        self._gear: int | None = None
        self._couple_fingers(sim)
        for j in FINGER_JOINTS:
            c.changeDynamics(bid, j, lateralFriction=1.0, spinningFriction=0.001,
                             contactStiffness=1e6, contactDamping=1e4)
        self.command = ArmCommand(np.asarray(HOME_Q), *ik_solver().forward(np.asarray(HOME_Q)),
                                  Gripper.OPEN)

    # ----------------------------------------------------------------- state
    def joint_state(self, sim: Sim) -> tuple[np.ndarray, np.ndarray]:
        """Arm joint angles (rad) and velocities (rad/s), read in one query."""
        states = sim.client.getJointStates(sim.id(self.name), ARM_JOINTS)
        return np.array([s[0] for s in states]), np.array([s[1] for s in states])

    def joint_positions(self, sim: Sim) -> np.ndarray:
        """Arm joint angles (rad)."""
        return self.joint_state(sim)[0]

    def joint_velocities(self, sim: Sim) -> np.ndarray:
        """Arm joint velocities (rad/s)."""
        return self.joint_state(sim)[1]

    def proprio(self, sim: Sim) -> np.ndarray:
        """Grasp-target position (3) and quaternion (4), gripper width, joint angles (7) and
        velocities (7): 22 float32 values read in three calls."""
        bid, c = sim.id(self.name), sim.client
        ee = c.getLinkState(bid, EE_LINK, computeForwardKinematics=True)
        states = c.getJointStates(bid, ARM_JOINTS + FINGER_JOINTS)
        arm = states[:7]
        return np.array([*ee[4], *ee[5], states[7][0] + states[8][0], *(s[0] for s in arm),
                         *(s[1] for s in arm)], dtype=np.float32)

    def ee_pose(self, sim: Sim) -> Pose:
        """Measured pose of the grasp target between the fingertips (world frame)."""
        return sim.pose(self.name, EE_LINK)

    def gripper_width_m(self, sim: Sim) -> float:
        """Distance between the fingers (0 to 0.08 m)."""
        bid = sim.id(self.name)
        return float(sum(sim.client.getJointState(bid, j)[0] for j in FINGER_JOINTS))

    # --------------------------------------------------------------- control
    def reset(self, sim: Sim, q: VecLike = HOME_Q, gripper: Gripper = Gripper.OPEN) -> None:
        """Teleport to joint angles ``q`` with the gripper in state ``gripper``; hold there."""
        bid = sim.id(self.name)
        q = np.asarray(q, dtype=float)
        for j, v in zip(ARM_JOINTS, q, strict=True):
            sim.client.resetJointState(bid, j, float(v), 0.0)
        width = FINGER_OPEN_M if gripper is Gripper.OPEN else 0.0
        for j in FINGER_JOINTS:
            sim.client.resetJointState(bid, j, width, 0.0)
        pos, quat = ik_solver().forward(q)
        self.command = ArmCommand(q, pos, quat, gripper)
        self._drive(sim)

    def move_base(self, sim: Sim, pose: Pose) -> None:
        """Teleport the whole arm (its fixed base) to ``pose``, joints unchanged.

        ``pose`` is the base's inertial frame, as ``sim.pose("panda")`` reads it (5 cm above the
        base link's origin): read it first to come back exactly.

        Bullet's broadphase only grows a link's bounding volume while it moves a little; a jump
        to where it does not overlap resets it to the link's exact box. Moving the arm far away
        and back thus forgets how it moved last episode (which overlapping pairs, hence which
        simulation islands and which solver order, the next step sees).
        """
        sim.client.resetBasePositionAndOrientation(sim.id(self.name), pose.pos, pose.quat)

    def _couple_fingers(self, sim: Sim) -> None:
        """PyBullet ignores the URDF's finger mimic tag: couple the fingers with a gear constraint."""
        c, bid = sim.client, sim.id(self.name)
        self._gear = c.createConstraint(bid, FINGER_JOINTS[0], bid, FINGER_JOINTS[1], p.JOINT_GEAR,
                                        (1, 0, 0), (0, 0, 0), (0, 0, 0))
        c.changeConstraint(self._gear, gearRatio=-1, erp=0.1, maxForce=50)

    def _drive(self, sim: Sim) -> None:
        bid = sim.id(self.name)
        sim.client.setJointMotorControlArray(
            bid, ARM_JOINTS, p.POSITION_CONTROL, targetPositions=list(self.command.q),
            forces=list(ARM_FORCES_NM), positionGains=[ARM_POSITION_GAIN] * len(ARM_JOINTS),
        )
        target = FINGER_OPEN_M if self.command.gripper is Gripper.OPEN else 0.0
        sim.client.setJointMotorControlArray(
            bid, FINGER_JOINTS, p.POSITION_CONTROL, targetPositions=[target, target],
            forces=[GRIP_FORCE_N, GRIP_FORCE_N],
        )

    def aim(self, sim: Sim, pos: VecLike, quat: VecLike) -> None:
        """Set motor targets for a nearby end-effector pose (a short IK refinement, unchecked)."""
        q = ik_solver().track(pos, quat, self.command.q)
        self._command(sim, q, pos, quat)

    def _command(self, sim: Sim, q: np.ndarray, pos: VecLike, quat: VecLike) -> None:
        self.command = ArmCommand(q, np.asarray(pos, float), np.asarray(quat, float),
                                  self.command.gripper)
        self._drive(sim)

    def set_gripper(self, sim: Sim, gripper: Gripper) -> None:
        """Command the gripper (takes effect over the following substeps)."""
        self.command.gripper = gripper
        self._drive(sim)

    def near_anything(self, sim: Sim) -> bool:
        """Whether a link from the forearm on is within :data:`NEAR_M` of another body (or touches one).

        The base and upper arm are left out: they stand on the table all the time.
        """
        c, bid = sim.client, sim.id(self.name)
        return any(pt[3] >= FIRST_NEAR_LINK for other in sim.bodies.values() if other != bid
                   for pt in c.getClosestPoints(bid, other, NEAR_M))

    def speed_limits(self, sim: Sim) -> tuple[float, float]:
        """The hand's speed bounds now, (m/s, rad/s): held, near something, or in free space."""
        if self.command.gripper is Gripper.CLOSED and self.gripper_width_m(sim) >= HOLDING_WIDTH_M:
            return HELD_SPEED_M_S, ANGULAR_SPEED_RAD_S
        if self.near_anything(sim):
            return NEAR_SPEED_M_S, ANGULAR_SPEED_RAD_S
        return FREE_SPEED_M_S, ANGULAR_SPEED_RAD_S

    def move_to(self, sim: Sim, pos: VecLike, quat: VecLike, max_substeps: int = MAX_MOVE_SUBSTEPS) -> int:
        """Drive the grasp target along a straight line to ``pos``/``quat``; returns substeps used.

        Speed is bounded per waypoint (:meth:`speed_limits`): 1 m/s in free space, 0.5 m/s while
        another body is within :data:`NEAR_M` of the arm (pushing, coming down to an object or
        the table), 0.3 m/s while the fingers hold something; turns at 1.5 rad/s; each joint by
        the Panda's joint speed limit. The arm settles until it has arrived or stalled, and the
        move stops after ``max_substeps`` (3 s simulated): a keyframe that cannot be reached in
        that time ends where it got to. A goal the arm reaches only in another posture is not
        swung into (the whole arm would sweep the workspace): the move ends as near as the
        posture tracked along the line gets.
        """
        start_p, start_q = self.command.ee_pos.copy(), self.command.ee_quat.copy()
        goal_p, goal_q = np.asarray(pos, float), np.asarray(quat, float)
        dt = sim.timestep_s * WAYPOINT_SUBSTEPS
        dist = float(np.linalg.norm(goal_p - start_p))
        ang = quat_error_rad(start_q, goal_q)
        budget = max_substeps - SETTLE_SUBSTEPS
        used = 0
        solver = ik_solver()
        max_step = JOINT_SPEED_RAD_S * dt
        q_prev = self.command.q
        t = 0.0
        while t < 1.0 and used + WAYPOINT_SUBSTEPS <= budget:
            speed, turn = self.speed_limits(sim)
            t = min(1.0, t + 1.0 / max(1.0, dist / (speed * dt), ang / (turn * dt)))
            if budget - used < 2 * WAYPOINT_SUBSTEPS:
                t = 1.0  # the last waypoint the budget allows: aim at the goal
            p_i, quat_i = start_p + t * (goal_p - start_p), slerp(start_q, goal_q, t)
            if t < 1.0:
                q_i = solver.track(p_i, quat_i, q_prev)
            else:  # the goal: solved in full, unless that leaps into another arm posture
                q_i = solver.solve(p_i, quat_i, q_prev, quick=True)[0]
                if np.abs(q_i - q_prev).max() > MAX_GOAL_LEAP_RAD:
                    q_i = q_prev  # refine in the posture tracked along the line instead
                    for _ in range(GOAL_REFINEMENTS + 1):
                        q_i = solver.track(p_i, quat_i, q_i)
            # No joint faster than the Panda allows: an IK solution that leaps (another arm
            # posture, a singularity) takes as many waypoint periods as the joints need.
            while used + WAYPOINT_SUBSTEPS <= budget:
                q_next = q_prev + np.clip(q_i - q_prev, -max_step, max_step)
                for k in range(1, WAYPOINT_SUBSTEPS // MOTOR_SUBSTEPS + 1):
                    f = k * MOTOR_SUBSTEPS / WAYPOINT_SUBSTEPS
                    self._command(sim, q_prev + f * (q_next - q_prev), p_i, quat_i)
                    sim.step(MOTOR_SUBSTEPS)
                    used += MOTOR_SUBSTEPS
                q_prev = q_next
                if np.array_equal(q_next, q_i):
                    break
        # Let the arm catch up with the last waypoint: stop as soon as it has arrived, or once it
        # has stood still for STALLED_CHECKS checks short of it (blocked by the table or an object).
        still = 0
        for _ in range(0, max_substeps - used, SETTLE_CHECK_SUBSTEPS):
            q, qd = self.joint_state(sim)
            err = np.abs(q - self.command.q).max()
            stopped = np.abs(qd).max() < SETTLED_SPEED_RAD_S
            still = still + 1 if stopped else 0
            if stopped and (err < SETTLED_RAD or still > STALLED_CHECKS):
                break
            sim.step(SETTLE_CHECK_SUBSTEPS)
            used += SETTLE_CHECK_SUBSTEPS
        return used

    def actuate_gripper(self, sim: Sim, gripper: Gripper, max_substeps: int = GRIPPER_SUBSTEPS) -> int:
        """Open or close the gripper, stepping until the fingers stop; returns substeps used."""
        self.set_gripper(sim, gripper)
        bid = sim.id(self.name)
        used = 0
        while used < max_substeps:
            sim.step(SETTLE_CHECK_SUBSTEPS)
            used += SETTLE_CHECK_SUBSTEPS
            vel = max(abs(sim.client.getJointState(bid, j)[1]) for j in FINGER_JOINTS)
            if used >= 16 and vel < 1e-3:
                break
        return used
