"""Colour axes: a named palette on task objects, or a continuous RGB range on scene bodies."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import (
    NAMED_COLORS,
    Axis,
    AxisSetting,
    Params,
    Scene,
    Stage,
    apply_look,
    describe_rgb,
    toward_nominal,
)
from colosseum_lite.sim import Sim

MIN_COLOR_DISTANCE = 0.35  # palette colours this close (RGB, Euclidean) to nominal are skipped


class PaletteColorAxis(Axis):
    """One of the 20 named colours per target (or one for all with ``same``), e.g. ``mo_color``."""

    stage = Stage.RENDER
    settings = frozenset({"targets", "same", "choices"})

    def __init__(self, name: str, role: Role) -> None:
        self.name, self.role = name, role

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        return setting.targets or scene.bodies(self.role)

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        if not (setting.targets or [n for n, r in roles.items() if r is self.role]):
            raise ValueError(f"{self.name} needs a {self.role.value} object, and {task} has none")
        unknown = sorted(set(setting.choices or ()) - set(NAMED_COLORS))
        if unknown:
            raise ValueError(f"unknown colour(s) {unknown}; expected some of {list(NAMED_COLORS)}")
        if setting.severity != 1.0:
            raise ValueError(f"{self.name} draws from a palette; narrow it with 'choices', not 'severity'")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        bodies = self.targets(scene, setting)
        palette = list(setting.choices or NAMED_COLORS)
        # Bodies of the role the axis leaves alone (a task's named-colour object): no target may look like them.
        kept = [np.asarray(scene.nominal_colors[b][-1][:3]) for b in scene.bodies(self.role) if b not in bodies]

        def draw(body: str) -> str:
            # Skip colours that would look like the nominal one: the axis must change pixels.
            avoid = [np.asarray(scene.nominal_colors[body][-1][:3]), *kept]
            far = [c for c in palette
                   if all(np.linalg.norm(np.subtract(NAMED_COLORS[c], a)) > MIN_COLOR_DISTANCE for a in avoid)]
            return str(rng.choice(far or palette))

        if setting.same:
            color = draw(bodies[0])
            return {"colors": {b: color for b in bodies}}
        return {"colors": {b: draw(b) for b in bodies}}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        for body, color in params["colors"].items():
            apply_look(sim, scene, body, tint=(*NAMED_COLORS[color], 1.0))

    def describe(self, params: Params) -> str:
        """The drawn colour names, e.g. ``"navy, red"``."""
        return ", ".join(sorted(set(params["colors"].values())))


class RGBColorAxis(Axis):
    """A continuous RGB draw on static scene bodies, e.g. ``table_color``."""

    stage = Stage.RENDER
    settings = frozenset({"range", "severity"})

    def __init__(self, name: str, group: str, rgb_range: tuple[float, float]) -> None:
        self.name, self.group, self.rgb_range = name, group, rgb_range

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        return scene.static_bodies[self.group]

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        self.check_range(self.name, setting, 0.0, 1.0, "RGB channel values")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        lo, hi = setting.range or self.rgb_range
        nominal = np.asarray(scene.nominal_colors[self.targets(scene, setting)[0]][-1][:3])
        rgb = toward_nominal(rng.uniform(lo, hi, 3), nominal, setting.severity)
        return {"rgb": [round(float(v), 6) for v in rgb]}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        for body in scene.static_bodies[self.group]:
            apply_look(sim, scene, body, tint=(*params["rgb"], 1.0))

    def describe(self, params: Params) -> str:
        return describe_rgb(params)
