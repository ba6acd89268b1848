"""Oracle skills: keyframe generators that read the scene between yields.

A skill takes callables that locate what it needs (``locate`` returns where the object is now),
so an oracle reading privileged simulator state and a policy reading camera images share one
loop (the pixel baseline, ``policies/pixel_pusher.py``, pushes with the same
:func:`push_segments` as the ``slide_block_to_target`` oracle). The skills:

- :func:`pick`: approach, descend, close, lift; retried when the object did not come up;
- :func:`release_into`: carry over a receiver, lower, correct the offset, open, retract;
- :func:`retreat`: lift or back off from where the hand is; :func:`arrive`: repeat a keyframe
  the hand ended short of;
- :func:`push_segments` and :func:`push_to`: short pushes re-aimed from the object's real
  position, going round when it turns off the line;
- :func:`pull_along`: pull a handle along its joint in re-aimed segments, regrasping on a slip
  (:func:`pitched_approaches`: the hand pitched down along one heading, one per pitch to retry);
- :func:`swing`: lead a hinged panel along its arc, stopping when it stalls;
- :func:`shut_panel`: come down at a hinged panel's free edge and swing it shut
  (:class:`PanelPush` says where the fingers touch it);
- :func:`grasp_yaw` and :func:`carry_tool`: grasp a tool so the wrist can turn it, bring it to a
  pose, correcting for how it sits in the hand.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from colosseum_lite.parts import HingedMount, HingeFrame
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, Gripper, top_down_quat, wrap_grasp_yaw
from colosseum_lite.sim import Quat, Sim, VecLike, quat_from_euler, vec3
from colosseum_lite.tasks.base import Keyframe, Snapshot, top_down
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward

Locate = Callable[[], np.ndarray]


def push_segments(locate: Locate, hand_xy: Locate, target_xy: np.ndarray, z_m: float, quat: Quat, *,
                  step_m: float, done_m: float, segments: int, along: np.ndarray | None = None,
                  max_lateral: float = math.inf) -> Iterator[Keyframe]:
    """Move the closed hand toward where the object must go, in short straight segments, each
    re-aimed from where ``locate`` finds the object (xy) and ``hand_xy`` finds the hand.

    Stops after ``segments`` keyframes, once the object is within ``done_m`` of ``target_xy``, or,
    given ``along`` (the unit push direction of the approach), once the way to go has turned off
    that line by more than ``max_lateral`` (the sine of the angle): the object slid aside and must
    be approached again.
    """
    for _ in range(segments):
        to_go = np.asarray(target_xy) - locate()
        dist = float(np.linalg.norm(to_go))
        if dist < done_m:
            return
        if along is not None and abs(float(along[0] * to_go[1] - along[1] * to_go[0])) / dist > max_lateral:
            return
        step = min(step_m, dist)
        yield Keyframe(vec3((*(hand_xy() + (to_go / dist) * step), z_m)), quat, Gripper.CLOSED)


def pitched_quat(heading_rad: float, pitch_down_rad: float) -> tuple[float, float, float, float]:
    """Gripper orientation approaching along world heading ``heading_rad``, pitched down.

    The approach axis is horizontal at pitch 0 and points straight down at pi/2; the fingers
    close horizontally, across the heading.
    """
    return quat_from_euler(np.pi, pitch_down_rad - np.pi / 2, heading_rad)


def rotation_2d(yaw_rad: float) -> np.ndarray:
    """The 2x2 rotation by ``yaw_rad`` about world z."""
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    return np.array([[c, -s], [s, c]])


def wrap_pi(angle_rad: float) -> float:
    """``angle_rad`` wrapped into [-pi, pi)."""
    return float((angle_rad + np.pi) % (2 * np.pi) - np.pi)


@dataclass(frozen=True, slots=True)
class Grasp:
    """One top-down grasp attempt: the pre-grasp point (world frame, m), the hand's yaw and the lift height."""

    above: VecLike
    yaw_rad: float
    lift_z_m: float


G = TypeVar("G", bound=Grasp)


def pick(plan: Callable[[], G], locate: Locate, *, tries: int = 1,
         lifted: Callable[[np.ndarray], bool] | None = None) -> Generator[Keyframe, None, G]:
    """Pick an object top-down: approach above it, descend, close, lift.

    Each try asks ``plan`` for the grasp (read from the scene as it is now), yields the open hand
    at ``plan().above``, then at ``locate()`` (read once the hand is above: where the grasp target
    goes) open and closed, then lifts straight up to ``lift_z_m``. It stops after the lift when
    ``lifted(grasp point)`` says the object came up (always, without ``lifted``); otherwise it
    opens the hand where it is and tries again, ``tries`` times in all.

    Returns:
        the last try's grasp plan.
    """
    for _ in range(tries):
        grasp = plan()
        yield top_down(grasp.above, grasp.yaw_rad, Gripper.OPEN)
        at = locate()
        yield top_down(at, grasp.yaw_rad, Gripper.OPEN)
        yield top_down(at, grasp.yaw_rad, Gripper.CLOSED)
        yield top_down((*at[:2], grasp.lift_z_m), grasp.yaw_rad, Gripper.CLOSED)
        if lifted is None or lifted(at):
            break
        yield top_down((*at[:2], grasp.lift_z_m), grasp.yaw_rad, Gripper.OPEN)
    return grasp


def release_into(held: Locate, hand: Locate, goal_xy: np.ndarray, release_z_m: float, yaw_rad: float, *,
                 over_z_m: float, tol_m: float, corrections: int) -> Iterator[Keyframe]:
    """Put a held object into a receiver and let go.

    Yields the closed hand over ``goal_xy`` at ``over_z_m``; then the hand lowered so that the
    object's centre (``held``, read with the hand there) comes to ``goal_xy`` at ``release_z_m``;
    then up to ``corrections`` keyframes shifting the hand by the object's remaining horizontal
    offset, stopping once it is under ``tol_m``; then the hand opened there and raised back to
    ``over_z_m``.
    """
    yield top_down((*goal_xy, over_z_m), yaw_rad, Gripper.CLOSED)
    ee, obj = hand(), held()
    target = np.array([*(goal_xy + ee[:2] - obj[:2]), release_z_m + ee[2] - obj[2]])
    yield top_down(target, yaw_rad, Gripper.CLOSED)
    for _ in range(corrections):
        err = goal_xy - held()[:2]
        if np.linalg.norm(err) < tol_m:
            break
        target[:2] += err
        yield top_down(target, yaw_rad, Gripper.CLOSED)
    yield top_down(target, yaw_rad, Gripper.OPEN)
    yield top_down((*target[:2], over_z_m), yaw_rad, Gripper.OPEN)


def retreat(hand: Locate, quat: Quat, gripper: Gripper, *, by_m: VecLike | None = None,
            to_z_m: float | None = None, release: bool = False) -> Iterator[Keyframe]:
    """Move away from where the hand is now: by the offset ``by_m`` (world frame, m) or straight
    up or down to the height ``to_z_m``, with the gripper ``gripper``.

    With ``release`` it first yields the hand opened where it is, then retreats from that same
    spot; one keyframe otherwise.
    """
    here = hand()
    if release:
        yield Keyframe(vec3(here), quat, Gripper.OPEN)
    if by_m is not None:
        yield Keyframe(vec3(here + np.asarray(by_m)), quat, gripper)
    else:
        assert to_z_m is not None, "retreat needs by_m or to_z_m"
        yield Keyframe(vec3((*here[:2], to_z_m)), quat, gripper)


def push_to(locate: Locate, standoff: Callable[[], float], hand: Locate, target_xy: np.ndarray, *,
            push_z_m: float, above_z_m: float, step_m: float, done_m: float, segments: int,
            max_lateral: float) -> Iterator[Keyframe]:
    """Push an object to ``target_xy`` with the closed fingers, going round whenever it turns away.

    Each approach yields the hand at ``above_z_m`` and then at ``push_z_m``, ``standoff()`` behind
    the object (``locate``, xy) on the line to the target, the fingers across that line; then
    :func:`push_segments` along it; then the hand raised to ``above_z_m``. Stops, before an
    approach, once the object is within ``done_m`` of the target.
    """
    while True:
        obj = locate()
        to_go = target_xy - obj
        dist = float(np.linalg.norm(to_go))
        if dist < done_m:
            return
        d = to_go / dist
        yaw = wrap_grasp_yaw(float(np.arctan2(d[1], d[0])))
        behind = obj - d * standoff()
        yield top_down((*behind, above_z_m), yaw, Gripper.CLOSED)
        yield top_down((*behind, push_z_m), yaw, Gripper.CLOSED)
        yield from push_segments(locate, lambda: hand()[:2], target_xy, push_z_m, top_down_quat(yaw),
                                 step_m=step_m, done_m=done_m, segments=segments, along=d,
                                 max_lateral=max_lateral)
        yield from retreat(hand, top_down_quat(yaw), Gripper.CLOSED, to_z_m=above_z_m)


@dataclass(frozen=True, slots=True)
class Approach:
    """How the hand comes at a handle: its orientation and the unit approach axis (world frame)."""

    quat: Quat
    axis: np.ndarray


def pull_along(handle: Locate, hand: Locate, opening: Callable[[], float], pull_dir: np.ndarray,
               goal_m: float, approaches: Sequence[Approach], *, back_m: float, segment_m: float,
               settle_m: float, slip_tol_m: float, done_m: float) -> Iterator[Keyframe]:
    """Grasp a handle and pull it along a prismatic joint, regrasping at the next approach on a slip.

    Per approach: the open hand ``back_m`` back along the approach axis from the handle, at the
    handle open and closed, then pulls of at most ``segment_m`` along ``pull_dir`` (unit, world
    frame), each re-aimed from the handle's real position, until ``opening()`` is within
    ``settle_m`` of ``goal_m`` or the hand is farther than ``slip_tol_m`` from the handle; then it
    opens and backs off ``back_m`` along the approach axis. Stops once ``opening()`` exceeds
    ``done_m`` after an approach, or after the last approach.
    """
    for way in approaches:
        yield Keyframe(vec3(handle() - back_m * way.axis), way.quat, Gripper.OPEN)
        yield Keyframe(vec3(handle()), way.quat, Gripper.OPEN)
        yield Keyframe(vec3(handle()), way.quat, Gripper.CLOSED)
        for _ in range(int(np.ceil(goal_m / segment_m)) + 1):
            now = opening()
            if now > goal_m - settle_m or np.linalg.norm(handle() - hand()) > slip_tol_m:
                break
            step = min(segment_m, goal_m - now)
            yield Keyframe(vec3(handle() + step * pull_dir), way.quat, Gripper.CLOSED)
        yield from retreat(hand, way.quat, Gripper.OPEN, by_m=-back_m * way.axis, release=True)
        if opening() > done_m:
            return


def swing(angle: Callable[[], float], contact: Callable[[float], np.ndarray], quat: Quat, *, lead_rad: float,
          goal_rad: float, done_rad: float, pushes: int, max_stalls: int, stall_rad: float) -> Iterator[Keyframe]:
    """Swing a hinge toward ``goal_rad`` with the closed hand, keyframe by keyframe along its arc.

    Each keyframe puts the hand at ``contact(a)`` (world frame), the point that pushes the hinged
    part when it stands at ``a``, ``lead_rad`` ahead of the angle read now (never past
    ``goal_rad``). Stops once ``angle()`` is below ``done_rad``, after ``max_stalls`` keyframes in a
    row that turned it less than ``stall_rad``, or after ``pushes`` keyframes.
    """
    stalls = 0
    for _ in range(pushes):
        now = angle()
        if now < done_rad or stalls >= max_stalls:
            return
        yield Keyframe(vec3(contact(max(now - lead_rad, goal_rad))), quat, Gripper.CLOSED)
        moved = now - angle()
        stalls = stalls + 1 if moved < stall_rad else 0


@dataclass(frozen=True, slots=True)
class PanelPush:
    """How the closed top-down fingers push a hinged panel (a lid, a screen) shut, and how
    :func:`shut_panel` paces it. Lengths in metres, angles in radians; the defaults are measured
    on the Panda's closed fingers (collision hull 17-21 mm thick along the push, fingertips 11 mm
    below the grasp target, sides vertical from 3 to 18 mm above the tips).
    """

    finger_half_m: float = 0.010
    fingertip_below_ee_m: float = FINGERTIP_BELOW_EE_M
    edge_below_m: float = 0.03  # fingertip below the free edge while lifting (less rides up onto it)
    press_inset_m: float = 0.02  # press this far in from the free edge
    press_depth_m: float = 0.003  # aim this far into the panel's outer face
    lift_to_press_rad: float = float(np.deg2rad(50.0))  # below this angle, press down instead of pushing the edge
    approach_clear_m: float = 0.004  # gap between finger and panel before the first push
    above_m: float = 0.08  # approach height above the free edge
    lead_rad: float = float(np.deg2rad(10.0))  # how far each keyframe leads the panel
    goal_rad: float = -0.03  # the last keyframes press just past closed
    done_rad: float = 0.08
    approaches: int = 3
    pushes: int = 30
    max_stalls: int = 2
    stall_rad: float = float(np.deg2rad(0.5))  # less progress than this in a push counts as a stall

    def contact(self, h: HingeFrame, angle_rad: float) -> tuple[float, float]:
        """Finger centre ``a`` and fingertip height ``b`` (hinge plane) touching the panel at ``angle_rad``.

        Above ``lift_to_press_rad`` the finger's side pushes the free edge from beyond (the side
        away from the hinge), its tip below the edge; below it, the fingertip presses on the
        outer face near the edge.
        """
        if angle_rad > self.lift_to_press_rad:
            edge = h.face_point(angle_rad, h.length_m)
            return float(edge[0]) - self.finger_half_m, float(edge[1]) - self.edge_below_m
        pt = h.face_point(angle_rad, h.length_m - self.press_inset_m, self.press_depth_m)
        return float(pt[0]) - self.finger_half_m, float(pt[1])

    def hand(self, h: HingeFrame, a: float, tip_b: float) -> np.ndarray:
        """World grasp-target position putting the closed fingertips at ``(a, tip_b)`` in the hinge plane."""
        return h.world(a, tip_b + self.fingertip_below_ee_m)

    def quat(self, h: HingeFrame) -> Quat:
        """The hand pointing down with its x axis (across the closing axis) along the mount's yaw."""
        return top_down_quat(wrap_grasp_yaw(h.yaw_rad))


def read_hinge(sim: Sim, body: str, mount: HingedMount) -> HingeFrame:
    """The hinge of ``body`` (built from ``mount``) in the simulator now: its line from the panel
    link's frame, the angle from the joint."""
    return mount.hinge_frame(sim.pose(body, mount.PANEL_LINK).pos, sim.pose(body).quat,
                             sim.joint_position(body, mount.HINGE))


def hinge_in(snap: Snapshot, body: str, mount: HingedMount) -> HingeFrame:
    """The hinge of ``body`` (built from ``mount``) in a snapshot, from its base pose and the spec."""
    state = snap[body]
    return mount.hinge_frame(mount.hinge_origin(state.pos, state.quat), state.quat, state.joint(mount.HINGE))


def shut_panel(hinge: Callable[[], HingeFrame], hand: Locate, how: PanelPush) -> Iterator[Keyframe]:
    """Swing a hinged panel shut: each approach comes over the free edge (``how.above_m`` above
    it), down beside it, then :func:`swing` leads the panel along its arc and the hand lifts off.

    ``hinge()`` reads the panel's frame now; stops, before an approach, once it is below
    ``how.done_rad``, or after ``how.approaches`` approaches.
    """
    for _ in range(how.approaches):
        h = hinge()
        if h.angle_rad < how.done_rad:
            return
        quat = how.quat(h)
        a, tip = how.contact(h, h.angle_rad)
        if h.angle_rad > how.lift_to_press_rad:
            a -= how.approach_clear_m
        else:
            tip += how.approach_clear_m
        yield Keyframe(vec3(how.hand(h, a, max(tip, h.length_m) + how.above_m)), quat, Gripper.CLOSED)
        yield Keyframe(vec3(how.hand(h, a, tip)), quat, Gripper.CLOSED)

        def contact(angle_rad: float) -> np.ndarray:
            now = hinge()
            return how.hand(now, *how.contact(now, angle_rad))

        yield from swing(lambda: hinge().angle_rad, contact, quat, lead_rad=how.lead_rad, goal_rad=how.goal_rad,
                         done_rad=how.done_rad, pushes=how.pushes, max_stalls=how.max_stalls,
                         stall_rad=how.stall_rad)
        yield from retreat(hand, quat, Gripper.CLOSED, by_m=(0.0, 0.0, how.above_m))


@dataclass(frozen=True, slots=True)
class PanelReward:
    """The dense reward that follows :func:`shut_panel`'s stages, for a panel that starts open up to
    ``open_rad`` and counts as shut within ``closed_tol_rad`` (lengths in metres, angles in radians):

    - stage 0, reach over (0-1/4): the grasp target nears the point ``above_m`` over the spot
      beyond the free edge (:func:`~colosseum_lite.tasks.predicates.approach`);
    - stage 1, come down (1/4-1/2): within ``over_spot_xy_m`` of that spot horizontally and below
      the approach height, the hand nears the spot;
    - stage 2, swing (1/2-3/4): once the panel has turned below ``turned_rad``, or the hand touches
      the body within ``at_edge_m`` of the next push point: the panel's angle travelled toward
      shut (``close_share``) and the hand at the next push point.
    """

    open_rad: float
    closed_tol_rad: float
    turned_rad: float
    reach_scale_m: float = 0.3
    reach_fine_scale_m: float = 0.03
    descend_scale_m: float = 0.05
    at_edge_m: float = 0.03
    over_spot_xy_m: float = 0.03
    close_share: float = 0.8

    def __call__(self, h: HingeFrame, how: PanelPush, ee_pos: np.ndarray, touching: bool, success: bool) -> float:
        """The reward with the panel in frame ``h``, the hand at ``ee_pos``, touching the body or not."""
        a, tip = how.contact(h, max(h.angle_rad - how.lead_rad, how.goal_rad))
        to_push = float(np.linalg.norm(ee_pos - how.hand(h, a, tip)))
        if h.angle_rad < self.turned_rad or (touching and to_push < self.at_edge_m):
            push = closeness(to_push, self.descend_scale_m)
            shut = fraction(h.angle_rad, self.open_rad, self.closed_tol_rad)
            return staged_reward(success, 2, self.close_share * shut + (1 - self.close_share) * push, 3)
        a, tip = how.contact(h, h.angle_rad)
        spot = how.hand(h, a - how.approach_clear_m, tip)
        above = how.hand(h, a - how.approach_clear_m, max(tip, h.length_m) + how.above_m)
        if np.linalg.norm(ee_pos[:2] - spot[:2]) < self.over_spot_xy_m and ee_pos[2] <= above[2]:
            down = closeness(float(np.linalg.norm(ee_pos - spot)), self.descend_scale_m)
            return staged_reward(success, 1, down, 3)
        return staged_reward(success, 0, approach(float(np.linalg.norm(ee_pos - above)), self.reach_scale_m,
                                                  self.reach_fine_scale_m), 3)


ToolPose = Callable[[], tuple[np.ndarray, float]]


def grasp_yaw(part_yaw_rad: float, turn_rad: float) -> float:
    """The ``top_down`` yaw to grasp a bar lying at ``part_yaw_rad`` that the hand will then turn by
    ``turn_rad``: of the grasps a half turn apart, the one keeping both the pick's and the turned
    yaw smallest (the wrist's range is limited)."""
    turn = wrap_pi(turn_rad)
    candidates = (part_yaw_rad, part_yaw_rad - np.pi, part_yaw_rad + np.pi)
    return min(candidates, key=lambda y: max(abs(y), abs(y + turn)))


def carry_tool(tool: ToolPose, hand_xy: Locate, goal: ToolPose, hand_yaw_rad: float,
               heights_m: Sequence[float]) -> Generator[Keyframe, None, float]:
    """Carry a held tool so that its frame reaches ``goal()`` (xy, yaw; world frame).

    One closed top-down keyframe per height in ``heights_m``, each correcting for how the tool
    sits in the hand now: the tool's pose (``tool()``) is read in the hand's frame, and the hand
    goes where that grip puts the tool at the goal.

    Returns:
        the hand's ``top_down`` yaw at the last keyframe.
    """
    yaw = hand_yaw_rad
    for z in heights_m:
        goal_xy, goal_yaw = goal()
        tool_xy, tool_yaw = tool()
        in_hand = rotation_2d(-yaw) @ (tool_xy - hand_xy())
        yaw = yaw + wrap_pi(goal_yaw - tool_yaw)
        yield top_down((*(goal_xy - rotation_2d(yaw) @ in_hand), z), yaw, Gripper.CLOSED)
    return yaw


def pitched_approaches(heading_rad: float, pitches_rad: Sequence[float]) -> list[Approach]:
    """One :class:`Approach` per pitch below horizontal, all coming in along world heading ``heading_rad``
    (a handle grasped by :func:`pull_along`, retried at the next pitch)."""
    along = np.array([np.cos(heading_rad), np.sin(heading_rad)])
    return [Approach(pitched_quat(heading_rad, p), np.array([*(np.cos(p) * along), -np.sin(p)]))
            for p in pitches_rad]


def arrive(kf: Keyframe, hand: Locate, tries: int, tol_m: float) -> Iterator[Keyframe]:
    """``kf``, and again (``tries`` times in all) while the hand (``hand()``, the grasp target) ends
    farther than ``tol_m`` from it: a long move can end near its goal, not at it."""
    for _ in range(tries):
        yield kf
        if np.linalg.norm(hand() - np.asarray(kf.pos)) < tol_m:
            return
