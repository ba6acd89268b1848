"""Oracle skills on scripted scenes (no simulator): where they go and when they stop."""

from __future__ import annotations

import numpy as np
import pytest

from colosseum_lite.robot import Gripper
from colosseum_lite.tasks.skills import push_segments

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
