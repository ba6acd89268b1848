"""Physics axes: lateral friction and mass of the task's declared physics targets."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import Axis, AxisSetting, Params, Scene, Stage, toward_nominal
from colosseum_lite.sim import Sim


class FrictionAxis(Axis):
    """One lateral friction coefficient ``U(range)`` on every target (all links)."""

    stage = Stage.RESET
    settings = frozenset({"range", "targets", "severity"})

    def __init__(self, name: str, default_range: tuple[float, float]) -> None:
        self.name, self.default_range = name, default_range

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        return setting.targets or ()

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        if not setting.targets:
            raise ValueError(f"{self.name} on {task} needs physics targets, e.g. on(targets=('block',))")
        if setting.range is not None and setting.range[0] < 0:
            raise ValueError(f"{self.name} range must be friction coefficients >= 0, got {list(setting.range)}")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        value = rng.uniform(*(setting.range or self.default_range))
        return {"lateral_friction": {
            b: round(float(toward_nominal(value, scene.nominal_dynamics[b][-1][1], setting.severity)), 6)
            for b in self.targets(scene, setting)
        }}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        for body, mu in params["lateral_friction"].items():
            for link in sim.link_indices(body):
                sim.set_dynamics(body, link, lateralFriction=float(mu))

    def describe(self, params: Params) -> str:
        return ", ".join(f"{b} mu {m:.2f}" for b, m in params["lateral_friction"].items())


class MassAxis(Axis):
    """Mass ``U(range)`` kg per target (its base link), each target with its own range."""

    stage = Stage.RESET
    settings = frozenset({"ranges", "severity"})

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        return tuple(setting.ranges or ())

    def __init__(self, name: str) -> None:
        self.name = name

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        if not setting.ranges:
            raise ValueError(f"{self.name} on {task} needs per-target ranges, e.g. on(ranges={{'block': (1, 5)}})")
        for body, (lo, hi) in setting.ranges.items():
            if not 0 < lo <= hi:
                raise ValueError(f"{self.name} range for {body} must be 0 < low <= high kg, got {[lo, hi]}")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        assert setting.ranges is not None  # check() refused a setting without them
        out = {}
        for body, (lo, hi) in setting.ranges.items():
            value = toward_nominal(rng.uniform(lo, hi), scene.nominal_dynamics[body][-1][0], setting.severity)
            out[body] = round(float(value), 6)
        return {"mass_kg": out}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        for body, mass in params["mass_kg"].items():
            sim.set_dynamics(body, -1, mass=float(mass))

    def describe(self, params: Params) -> str:
        return ", ".join(f"{b} {m:.2f} kg" for b, m in params["mass_kg"].items())
