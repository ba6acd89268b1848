"""The camera pose axis: front and shoulder cameras moved and turned from their nominal pose."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import Axis, AxisSetting, Params, Scene, Stage
from colosseum_lite.sim import Sim

MAX_SHIFT_M = 0.5  # a camera moved further looks at another scene, not a perturbed one


class CameraAxis(Axis):
    """Per camera: position delta ``U(range)`` m per world axis, Euler delta ``U(+-euler)`` rad."""

    stage = Stage.RENDER
    settings = frozenset({"range", "severity"})

    def __init__(self, name: str, cameras: tuple[str, ...], pos_range_m: tuple[float, float],
                 euler_range_rad: tuple[float, float]) -> None:
        self.name, self.cameras = name, cameras
        self.pos_range_m, self.euler_range_rad = pos_range_m, euler_range_rad

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        self.check_range(self.name, setting, -MAX_SHIFT_M, MAX_SHIFT_M, "position shifts in metres")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        lo, hi = setting.range or self.pos_range_m
        out = {}
        for cam in self.cameras:
            dpos = setting.severity * rng.uniform(lo, hi, 3)
            deuler = setting.severity * rng.uniform(*self.euler_range_rad, 3)
            out[cam] = {"delta_pos_m": [round(float(v), 6) for v in dpos],
                        "delta_euler_rad": [round(float(v), 6) for v in deuler]}
        return {"cameras": out}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        for cam, d in params["cameras"].items():
            scene.camera_offsets[cam] = (tuple(d["delta_pos_m"]), tuple(d["delta_euler_rad"]))

    def describe(self, params: Params) -> str:
        """The first camera's shift in metres, e.g. ``"front moved +0.01 -0.05 +0.09"``."""
        cam = self.cameras[0]
        return f"{cam} moved " + " ".join(f"{v:+.2f}" for v in params["cameras"][cam]["delta_pos_m"])
