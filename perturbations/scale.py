"""Size axes: a uniform scale of the manipulated or receiver object; the env rebuilds them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import Axis, AxisSetting, Params, Scene, Stage, toward_nominal
from colosseum_lite.sim import Sim

SCALE_BOUNDS = (0.25, 4.0)  # sizes beyond these break grasps, layouts and the table


class ScaleAxis(Axis):
    """``U(range)`` scale against the nominal size; the task rebuilds its bodies at that scale, and
    its grasp points, joint limits, success zones and oracle follow."""

    stage = Stage.BUILD
    settings = frozenset({"range", "severity"})

    def __init__(self, name: str, role: Role) -> None:
        self.name, self.role = name, role

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        return scene.bodies(self.role)

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        if setting.range is None:
            raise ValueError(f"{self.name} on {task} needs a scale range, e.g. on(range=(0.75, 1.25))")
        self.check_range(self.name, setting, *SCALE_BOUNDS, "scale factors against the nominal size")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        assert setting.range is not None  # check() refused a setting without one
        scale = toward_nominal(rng.uniform(*setting.range), 1.0, setting.severity)
        return {"scale": round(float(scale), 6)}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        scene.scales[self.role.value] = float(params["scale"])

    def describe(self, params: Params) -> str:
        return f"scale {params['scale']:.2f}"
