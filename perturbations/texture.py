"""Texture axes: an image from the texture set on task objects, the table or the walls.

A texture shows as is (white tint) unless a colour axis also acts on the body: then the colour
tints it (the renderer multiplies the two), whichever of the two axes applies first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import numpy as np

from colosseum_lite.declarations import Role
from colosseum_lite.perturbations.base import Axis, AxisSetting, Params, Scene, Stage, apply_look
from colosseum_lite.sim import Sim


class TextureAxis(Axis):
    """One texture per target (``mo_texture``, ``ro_texture``), or one for a whole group of
    static bodies (``table_texture``, ``background_texture``)."""

    stage = Stage.RENDER
    uses_textures = True

    def __init__(self, name: str, role: Role | None = None, group: str | None = None) -> None:
        self.name, self.role, self.group = name, role, group
        self.settings = frozenset({"targets", "same"}) if group is None else frozenset()

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        if self.group is not None:
            return scene.static_bodies[self.group]
        return setting.targets or scene.bodies(cast(Role, self.role))  # an axis has a role or a group

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        if self.role is not None and not (setting.targets or [n for n, r in roles.items() if r is self.role]):
            raise ValueError(f"{self.name} needs a {self.role.value} object, and {task} has none")
        if setting.severity != 1.0:
            raise ValueError(f"{self.name} draws from a texture set; severity does not apply")

    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        bodies = self.targets(scene, setting)
        n = len(scene.textures)
        if self.group is not None or setting.same:
            name = scene.textures.name(int(rng.integers(n)))
            return {"textures": {b: name for b in bodies}}
        return {"textures": {b: scene.textures.name(int(rng.integers(n))) for b in bodies}}

    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        for body, name in params["textures"].items():
            apply_look(sim, scene, body, texture=name)

    def describe(self, params: Params) -> str:
        """The drawn texture names (without their folder), cut to 28 characters."""
        return ", ".join(sorted({t.split("/")[-1] for t in params["textures"].values()}))[:28]
