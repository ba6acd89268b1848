"""The perturbation lifecycle of one env: record the nominal scene, draw and apply in stages, undo.

An env owns one :class:`Perturber` for its life. Per episode it calls :meth:`Perturber.begin`
(check a replay, put the nominal scene back), :meth:`Perturber.apply_build_stage` before building
(the size axes, which decide which bodies exist) and :meth:`Perturber.apply_scene_stage` once the
task has placed its objects (everything else: distractors avoid the objects). Each axis draws from
its own stream (:func:`colosseum_lite.seeding.stream`) unless the episode replays recorded
parameters. The Perturber keeps no simulator handle: every call that touches the scene takes it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from itertools import chain
from typing import Any

from colosseum_lite.declarations import AxisSetting, Role, Scales
from colosseum_lite.distractors import Circle, Rect
from colosseum_lite.perturbations.base import Axis, Params, Scene, Stage, record_dynamics, record_looks
from colosseum_lite.seeding import stream
from colosseum_lite.sim import RenderSettings, Sim


def check_replay(replay: Any, axes: Mapping[str, AxisSetting]) -> None:
    """Raise ValueError unless ``replay`` is ``{}`` or holds parameters of exactly these axes."""
    if replay == {}:
        return  # an unperturbed episode
    if not isinstance(replay, dict) or set(replay) != set(axes):
        got = sorted(replay) if isinstance(replay, dict) else type(replay).__name__
        raise ValueError(f"options['perturbation'] must hold the parameters of exactly this env's axes "
                         f"{sorted(axes)} (as in info['perturbation']), got {got}")


class Perturber:
    """The active axes of one env and the scene they act on, from one episode to the next.

    Args:
        sim: the simulator with the static scene built (its bodies' nominal looks are read now).
        task: task name (names the random streams).
        roles: the task's bodies and their roles.
        axes: the resolved active axes (see :func:`colosseum_lite.perturbations.resolve`), in
            ``AXES`` order.
        static_bodies: ``"table"`` / ``"walls"`` to their body names.
        nominal_light: the unperturbed render settings.
        free_area: where distractors may stand (world frame, m).
        texture_folder: a folder of images added to the texture set.

    Attributes:
        axes: name -> setting of every active axis.
        scene: what the axes read and write besides the simulator (never rebuilt).
        params: every parameter applied this episode, by axis name (``info["perturbation"]``).
    """

    def __init__(
        self, sim: Sim, task: str, roles: Mapping[str, Role], axes: Mapping[str, AxisSetting], *,
        static_bodies: Mapping[str, tuple[str, ...]], nominal_light: RenderSettings, free_area: Rect,
        texture_folder: str | os.PathLike[str] | None = None,
    ) -> None:
        from colosseum_lite.perturbations import AXES  # the registry imports this module's package

        self._registry: Mapping[str, Axis] = AXES
        self.axes = dict(axes)
        self.scene = Scene(
            task=task, roles=roles, settings=self.axes, static_bodies=static_bodies,
            nominal_light=nominal_light, free_area=free_area, light=nominal_light,
            textures=self._texture_set(texture_folder),
            nominal_colors=record_looks(sim, tuple(chain.from_iterable(static_bodies.values()))),
        )
        self.params: Params = {}
        self._episode_seed = 0
        self._replay: dict | None = None

    def _texture_set(self, folder: str | os.PathLike[str] | None) -> Any:
        """The texture set, loaded only when a texture axis is active or a folder was given."""
        if folder is None and not any(self._registry[n].uses_textures for n in self.axes):
            return None
        from colosseum_lite.textures import TextureSet

        textures = TextureSet.default()
        return textures if folder is None else textures.with_folder(folder)

    def record_nominal(self, sim: Sim, bodies: tuple[str, ...]) -> None:
        """Read the nominal looks and dynamics of freshly built task bodies."""
        self.scene.nominal_colors.update(record_looks(sim, bodies))
        self.scene.nominal_dynamics.update(record_dynamics(sim, bodies))

    def record_episode_looks(self, sim: Sim, bodies: tuple[str, ...]) -> None:
        """Read the task bodies' looks as the task's reset left them (a task may colour its objects
        per variant): what the visual axes draw away from and the next episode's undo puts back."""
        self.scene.nominal_colors.update(record_looks(sim, bodies))

    def begin(self, sim: Sim, episode_seed: int, replay: Any = None) -> None:
        """Start an episode: check ``replay`` (recorded parameters, or None to draw), then undo the last one.

        Raises:
            ValueError: ``replay`` does not hold exactly this env's axes (nor is ``{}``).
        """
        if replay is not None:
            check_replay(replay, self.axes)
        self._episode_seed, self._replay, self.params = episode_seed, replay, {}
        self.undo(sim)

    def apply_build_stage(self, sim: Sim) -> Scales:
        """Apply the axes that decide which bodies exist (sizes); the scales to build at."""
        self._apply(sim, build=True)
        return Scales(mo=self.scene.scales.get(Role.MO.value, 1.0), ro=self.scene.scales.get(Role.RO.value, 1.0))

    def apply_scene_stage(self, sim: Sim, occupied: tuple[Circle, ...]) -> Params:
        """Apply every other axis once the task placed its objects (``occupied``: where distractors may not
        stand); every parameter of the episode."""
        self.scene.occupied = occupied
        self._apply(sim, build=False)
        return self.params

    def _apply(self, sim: Sim, build: bool) -> None:
        """Draw (or take from the replay) the parameters of one stage's axes, apply and record them."""
        for name in self.axes:
            axis = self._registry[name]
            if (axis.stage is Stage.BUILD and not axis.needs_layout) != build:
                continue
            if self._replay is not None and name not in self._replay:
                continue  # replaying an unperturbed episode
            drawn = self._replay[name] if self._replay is not None else axis.sample(
                stream(self._episode_seed, self.scene.task, name), self.scene, self.axes[name])
            axis.apply(sim, self.scene, drawn)
            self.params[name] = drawn

    def undo(self, sim: Sim) -> None:
        """Put back the nominal scene: no distractors, nominal looks, light, cameras (dynamics: the Sim)."""
        scene = self.scene
        for name in scene.distractors:
            sim.remove(name)
        scene.distractors.clear()
        for body in scene.touched_looks:
            for link, rgba in scene.nominal_colors[body].items():
                sim.set_look(body, rgba, -1, links=(link,))
        scene.touched_looks.clear()
        scene.light = scene.nominal_light
        scene.camera_offsets.clear()
        scene.scales.clear()
