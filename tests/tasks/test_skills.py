"""Oracle skills on scripted scenes (no simulator): where they go and when they stop."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from colosseum_lite.parts import HingeFrame
from colosseum_lite.robot import Gripper
from colosseum_lite.tasks.base import top_down
from colosseum_lite.tasks.skills import (
    Approach,
    Grasp,
    PanelPush,
    arrive,
    carry_tool,
    grasp_yaw,
    pick,
    pitched_approaches,
    pull_along,
    push_segments,
    push_to,
    release_into,
    retreat,
    rotation_2d,
    shut_panel,
    swing,
)

QUAT = (1.0, 0.0, 0.0, 0.0)


class Pushed:
    """A point object 3 cm ahead of the hand along x, shoved to wherever each keyframe puts the hand;
    ``drift`` slides it sideways by that much per push."""

    def __init__(self, drift: float = 0.0) -> None:
        self.hand, self.drift = np.array([0.0, 0.0]), drift

    def obj(self) -> np.ndarray:
        return self.hand + [0.03, 0.0]

    def play(self, **kwargs) -> list:
        out = []
        for kf in push_segments(self.obj, lambda: self.hand, np.array([0.33, 0.0]), 0.015, QUAT, **kwargs):
            out.append(kf)
            self.hand = np.asarray(kf.pos[:2]) + [0.0, self.drift]
        return out


def test_pushes_in_steps_until_the_object_is_there():
    scene = Pushed()
    keys = scene.play(step_m=0.06, done_m=0.01, segments=10)
    assert len(keys) == 5  # 0.3 m in 6 cm steps
    assert all(k.gripper is Gripper.CLOSED and k.pos[2] == 0.015 and k.quat == QUAT for k in keys)
    assert np.linalg.norm(scene.obj() - [0.33, 0.0]) < 0.01
    assert np.diff([k.pos[0] for k in keys]) == pytest.approx([0.06] * 4)


def test_stops_after_its_segments_and_when_the_object_slides_off_the_line():
    assert len(Pushed().play(step_m=0.06, done_m=0.01, segments=3)) == 3
    drifting = Pushed(drift=0.02)
    keys = drifting.play(step_m=0.06, done_m=0.01, segments=10, along=np.array([1.0, 0.0]), max_lateral=0.35)
    assert 1 <= len(keys) < 5  # went round before the object reached the target
    assert np.linalg.norm(drifting.obj() - [0.33, 0.0]) > 0.01


def test_pick_descends_closes_lifts_and_retries_when_the_object_stayed_down():
    tries = []
    plan = lambda: (tries.append(1), Grasp((0.5, 0.0, 0.2), 0.3, 0.25))[1]  # noqa: E731
    keys = list(pick(plan, lambda: np.array([0.5, 0.0, 0.02]), tries=2, lifted=lambda at: len(tries) == 2))
    assert len(tries) == 2 and len(keys) == 9  # 4 per try, the failed one opens again
    assert [k.gripper for k in keys[:5]] == [Gripper.OPEN, Gripper.OPEN, Gripper.CLOSED, Gripper.CLOSED,
                                             Gripper.OPEN]
    assert keys[0].pos == (0.5, 0.0, 0.2) and keys[1].pos == (0.5, 0.0, 0.02) and keys[3].pos == (0.5, 0.0, 0.25)
    assert len(list(pick(plan, lambda: np.array([0.5, 0.0, 0.02])))) == 4  # without a check, one try


class Held:
    """An object hanging 1 cm off the hand's axis and 5 cm below it."""

    def __init__(self) -> None:
        self.hand = np.array([0.0, 0.0, 0.5])

    def obj(self) -> np.ndarray:
        return self.hand + [0.01, 0.0, -0.05]


def test_release_into_lowers_the_object_onto_the_goal_then_opens_and_retracts():
    held, goal = Held(), np.array([0.3, 0.1])
    keys = []
    for kf in release_into(held.obj, lambda: held.hand, goal, 0.2, 0.0, over_z_m=0.4, tol_m=0.002, corrections=3):
        keys.append(kf)
        held.hand = np.asarray(kf.pos)
    assert keys[0].pos == (0.3, 0.1, 0.4)
    assert np.allclose(held.obj()[:2], goal) and keys[-2].gripper is Gripper.OPEN
    assert np.isclose(keys[-2].pos[2] - 0.05, 0.2) and keys[-1].pos[2] == 0.4
    assert len(keys) == 4  # over, lowered (already on target: no correction), open, retract


def test_retreat_lifts_or_backs_off_from_the_hand():
    hand = lambda: np.array([0.1, 0.2, 0.3])  # noqa: E731
    (up,) = retreat(hand, QUAT, Gripper.CLOSED, to_z_m=0.5)
    assert up.pos == (0.1, 0.2, 0.5) and up.gripper is Gripper.CLOSED
    opened, back = retreat(hand, QUAT, Gripper.OPEN, by_m=(-0.1, 0.0, 0.0), release=True)
    assert opened.pos == (0.1, 0.2, 0.3) and opened.gripper is Gripper.OPEN
    assert back.pos == pytest.approx((0.0, 0.2, 0.3))


def test_push_to_comes_down_behind_pushes_and_goes_round():
    scene = Pushed()
    keys = []
    for kf in push_to(scene.obj, lambda: 0.03, lambda: np.array([*scene.hand, 0.1]), np.array([0.33, 0.0]),
                      push_z_m=0.015, above_z_m=0.12, step_m=0.06, done_m=0.01, segments=3, max_lateral=0.35):
        keys.append(kf)
        scene.hand = np.asarray(kf.pos[:2])
    assert keys[0].pos == pytest.approx((0.0, 0.0, 0.12)) and keys[1].pos[2] == 0.015
    assert keys[-1].pos[2] == 0.12  # raised after the last segment
    assert np.linalg.norm(scene.obj() - [0.33, 0.0]) < 0.01
    assert len(keys) == 2 * (2 + 1) + 5  # two approaches: 3 segments, then the last 2


class Drawer:
    """A drawer pulled open along -x by however far the hand moved; it slips out at ``slip_at`` m."""

    def __init__(self, slip_at: float = np.inf) -> None:
        self.opening, self.hand, self.slip_at, self.held = 0.0, np.zeros(3), slip_at, False

    def handle(self) -> np.ndarray:
        return np.array([0.5 - self.opening, 0.0, 0.2])

    def play(self, **kwargs) -> list:
        ahead = np.array([1.0, 0.0, 0.0])
        ways = [Approach(QUAT, ahead), Approach((0.0, 1.0, 0.0, 0.0), ahead)]
        out = []
        for kf in pull_along(self.handle, lambda: self.hand, lambda: self.opening, np.array([-1.0, 0.0, 0.0]),
                             0.18, ways, back_m=0.1, segment_m=0.05, settle_m=0.005, slip_tol_m=0.012, **kwargs):
            out.append(kf)
            self.hand = np.asarray(kf.pos)
            self.held = kf.gripper is Gripper.CLOSED and (self.held or np.allclose(kf.pos, self.handle()))
            if self.held:
                self.opening = min(max(self.opening, 0.5 - kf.pos[0]), self.slip_at)
        return out


def test_pull_along_pulls_in_segments_and_stops_once_open():
    drawer = Drawer()
    keys = drawer.play(done_m=0.15)
    assert drawer.opening == pytest.approx(0.18) and all(k.quat == QUAT for k in keys)  # one approach did it
    assert keys[-2].gripper is Gripper.OPEN and keys[-1].pos[0] == pytest.approx(keys[-2].pos[0] - 0.1)


def test_pull_along_regrasps_at_the_next_approach_after_a_slip():
    drawer = Drawer(slip_at=0.06)
    keys = drawer.play(done_m=0.15)
    assert {k.quat for k in keys} == {QUAT, (0.0, 1.0, 0.0, 0.0)}  # slipped, came again at the other pitch


def test_swing_leads_the_angle_and_stops_when_done_or_stalled():
    hinge = {"angle": 1.0}
    keys = []
    for kf in swing(lambda: hinge["angle"], lambda a: np.array([a, 0.0, 0.0]), QUAT, lead_rad=0.2, goal_rad=-0.03,
                    done_rad=0.08, pushes=30, max_stalls=2, stall_rad=0.01):
        keys.append(kf)
        hinge["angle"] = kf.pos[0]
    assert keys[0].pos[0] == pytest.approx(0.8) and hinge["angle"] < 0.08
    stuck = list(swing(lambda: 1.0, lambda a: np.array([a, 0.0, 0.0]), QUAT, lead_rad=0.2, goal_rad=-0.03,
                       done_rad=0.08, pushes=30, max_stalls=2, stall_rad=0.01))
    assert len(stuck) == 2


def test_carry_tool_corrects_for_how_the_tool_sits_in_the_hand():
    grip = np.array([0.05, 0.0])  # the tool's frame 5 cm along the hand's x axis, turned 0.1 rad
    hand = {"xy": np.zeros(2), "yaw": 0.0}

    def tool() -> tuple[np.ndarray, float]:
        return hand["xy"] + rotation_2d(hand["yaw"]) @ grip, hand["yaw"] + 0.1

    gen = carry_tool(tool, lambda: hand["xy"], lambda: (np.array([0.4, 0.2]), np.pi / 2), 0.0, (0.3,))
    kf = next(gen)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    hand["xy"], hand["yaw"] = np.asarray(kf.pos[:2]), stop.value.value
    assert kf.pos[2] == 0.3 and kf.gripper is Gripper.CLOSED
    assert tool()[0] == pytest.approx([0.4, 0.2]) and tool()[1] == pytest.approx(np.pi / 2)


class Lid:
    """A hinged lid (13 cm, 1 cm thick, hinge 10 cm up, closing toward +x) that a keyframe at the
    contact point of ``lead_rad`` further closed turns there, never below ``stuck_at``."""

    def __init__(self, angle: float, stuck_at: float = -1.0) -> None:
        self.angle, self.stuck_at, self.hand = angle, stuck_at, np.zeros(3)

    def frame(self) -> HingeFrame:
        return HingeFrame(np.array([0.0, 0.0, 0.1]), np.array([1.0, 0.0, 0.0]), 0.0, self.angle, 0.13, 0.01)

    def play(self, how: PanelPush) -> list:
        out = []
        for kf in shut_panel(self.frame, lambda: self.hand, how):
            out.append(kf)
            self.hand = np.asarray(kf.pos)
            led = max(self.angle - how.lead_rad, how.goal_rad)
            if np.allclose(how.hand(self.frame(), *how.contact(self.frame(), led)), self.hand, atol=1e-12):
                self.angle = max(led, self.stuck_at)  # a push along the arc: the lid follows the finger
        return out


def test_shut_panel_comes_over_the_edge_down_beside_it_and_swings_it_shut():
    how = PanelPush()
    lid = Lid(np.deg2rad(160.0))
    keys = lid.play(how)
    edge_a = float(lid.frame().face_point(np.deg2rad(160.0), 0.13)[0])
    over, down = keys[0].pos, keys[1].pos
    assert over[:2] == pytest.approx(down[:2]) and over[2] > down[2] + 0.05  # straight down onto the spot
    assert down[0] < edge_a - how.finger_half_m  # beyond the free edge, away from the hinge
    assert all(k.gripper is Gripper.CLOSED for k in keys)
    assert lid.angle < how.done_rad
    assert keys[-1].pos[2] == pytest.approx(keys[-2].pos[2] + how.above_m)  # lifts off at the end
    assert len(keys) == 2 + int(np.ceil((np.deg2rad(160.0) - how.done_rad) / how.lead_rad)) + 1  # one approach


def test_shut_panel_gives_up_after_its_approaches_when_the_lid_is_stuck():
    how = PanelPush(approaches=2)
    lid = Lid(np.deg2rad(160.0), stuck_at=np.deg2rad(120.0))
    keys = lid.play(how)
    assert lid.angle == pytest.approx(np.deg2rad(120.0))
    assert len(keys) < 2 * (2 + 10)  # two approaches, each ending after its stalls
    assert list(shut_panel(Lid(0.05).frame, lambda: np.zeros(3), how)) == []  # already shut: nothing to do


@pytest.mark.parametrize(("part_yaw", "turn"), [(0.3, 0.2), (2.8, 0.1), (-2.8, -0.1), (1.5, 3.0)])
def test_grasp_yaw_is_the_half_turn_that_keeps_the_wrist_in_range(part_yaw, turn):
    yaw = grasp_yaw(part_yaw, turn)
    assert np.isclose(np.cos(2 * (yaw - part_yaw)), 1.0)  # across the bar either way round
    others = [part_yaw + k * np.pi for k in (-1, 0, 1)]
    wrapped = float(np.arctan2(np.sin(turn), np.cos(turn)))
    assert max(abs(yaw), abs(yaw + wrapped)) == pytest.approx(min(max(abs(y), abs(y + wrapped)) for y in others))


def test_pitched_approaches_come_in_along_the_heading_pitched_down_by_each_pitch():
    ways = pitched_approaches(0.5, (np.radians(60.0), np.radians(45.0)))
    for way, pitch in zip(ways, (np.radians(60.0), np.radians(45.0)), strict=True):
        assert np.linalg.norm(way.axis) == pytest.approx(1.0)
        assert way.axis[2] == pytest.approx(-np.sin(pitch))  # down by the pitch ...
        assert np.arctan2(way.axis[1], way.axis[0]) == pytest.approx(0.5)  # ... along the heading
        approach_axis = np.asarray(p.getMatrixFromQuaternion(way.quat)).reshape(3, 3)[:, 2]
        np.testing.assert_allclose(approach_axis, way.axis, atol=1e-6)  # the hand points along it


def test_arrive_repeats_a_keyframe_until_the_hand_is_there_or_the_tries_run_out():
    kf = top_down((0.5, 0.0, 0.2), 0.0, Gripper.OPEN)
    ends = iter([(0.5, 0.0, 0.23), (0.5, 0.0, 0.201), (0.5, 0.0, 0.2)])  # where each move ends
    hand = {"at": None}

    def moves():
        for step in arrive(kf, lambda: np.asarray(hand["at"]), 3, 0.002):
            hand["at"] = next(ends)
            yield step
    assert len(list(moves())) == 2  # short by 3 cm, then within 1 mm: done
    far = list(arrive(kf, lambda: np.array([0.5, 0.0, 0.3]), 3, 0.002))
    assert far == [kf] * 3  # never there: three tries, then on
