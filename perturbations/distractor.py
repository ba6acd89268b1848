"""The distractor axis: extra objects from the distractor set on the free part of the table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import Axis, AxisSetting, Params, Scene, Stage
from colosseum_lite.sim import Sim

MIN_GAP_M = 0.05


class DistractorAxis(Axis):
    """``count`` models drawn with replacement, placed apart from the task's objects and each other."""

    stage = Stage.BUILD
    needs_layout = True
    settings = frozenset({"count"})

    def __init__(self, name: str) -> None:
        self.name = name

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        if setting.count is None or not 1 <= setting.count <= 8:
            raise ValueError(f"{self.name} on {task} needs a count in [1, 8], got {setting.count}")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        from colosseum_lite import distractors as ds

        models = [int(i) for i in rng.integers(len(ds.DISTRACTOR_MODELS), size=setting.count)]
        placed = ds.place(rng, models, scene.free_area, scene.occupied, min_gap_m=MIN_GAP_M)
        return {"objects": [
            {"model": ds.DISTRACTOR_MODELS[pl.model_index].name, "x": round(float(pl.x), 6),
             "y": round(float(pl.y), 6), "z": round(float(pl.z), 6), "yaw": round(float(pl.yaw), 6)}
            for pl in placed
        ]}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        from colosseum_lite import distractors as ds

        index = {m.name: i for i, m in enumerate(ds.DISTRACTOR_MODELS)}
        for i, obj in enumerate(params["objects"]):
            name = f"distractor_{i}"
            ds.spawn(sim, name, ds.Placement(index[obj["model"]], obj["x"], obj["y"], obj["z"], obj["yaw"]))
            scene.distractors.append(name)

    def describe(self, params: Params) -> str:
        return f"{len(params['objects'])} objects"
