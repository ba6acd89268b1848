"""Oracle skills: keyframe generators that read the scene between yields.

A skill takes callables that locate what it needs (``locate`` returns where the object is now),
so an oracle reading privileged simulator state and a policy reading camera images share one
loop: ``bench``-free, the pixel baseline (``policies/pixel_pusher.py``) pushes with the same
:func:`push_segments` as the ``slide_block_to_target`` oracle, and ``reach_and_drag`` drags its
cube with it too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from colosseum_lite.robot import Gripper
from colosseum_lite.sim import Quat, vec3
from colosseum_lite.tasks.base import Keyframe

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
