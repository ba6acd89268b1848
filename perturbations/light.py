"""The light colour axis: TinyRenderer's diffuse/specular light colour (ambient is kept)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import Axis, AxisSetting, Params, Scene, Stage, describe_rgb, toward_nominal
from colosseum_lite.sim import Sim


class LightAxis(Axis):
    """RGB light colour ``U(range)`` per channel; direction unchanged."""

    stage = Stage.RENDER
    settings = frozenset({"range", "severity"})

    def __init__(self, name: str, rgb_range: tuple[float, float]) -> None:
        self.name, self.rgb_range = name, rgb_range

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        self.check_range(self.name, setting, 0.0, 1.0, "RGB channel values")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        lo, hi = setting.range or self.rgb_range
        nominal = np.asarray(scene.nominal_light.light_color)
        rgb = toward_nominal(rng.uniform(lo, hi, 3), nominal, setting.severity)
        return {"rgb": [round(float(v), 6) for v in rgb]}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        scene.light = replace(scene.nominal_light, light_color=tuple(params["rgb"]))

    def describe(self, params: Params) -> str:
        return describe_rgb(params)
