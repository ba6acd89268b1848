"""What an axis is: a stage, a pure ``sample`` and a deterministic ``apply``.

An axis never keeps a simulator handle or a random generator: ``sample(rng, scene, setting)``
draws JSON-serialisable parameters from the axis's own stream without touching the simulator,
and ``apply(sim, scene, params)`` writes absolute values computed from the nominal scene, so
replaying recorded parameters reproduces an episode and an unperturbed reset is exact.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, auto, unique
from typing import Any

import numpy as np

from colosseum_lite.declarations import NAMED_COLORS as NAMED_COLORS  # the palette, re-exported
from colosseum_lite.declarations import AxisSetting, Role
from colosseum_lite.distractors import Circle, Rect
from colosseum_lite.sim import RenderSettings, Sim, Vec3

Params = dict[str, Any]


@unique
class Stage(Enum):
    """When an axis acts during a reset."""

    BUILD = auto()  # needs bodies rebuilt (sizes) or added (distractors)
    RESET = auto()  # changes dynamics of existing bodies
    RENDER = auto()  # changes only what cameras see


WHITE = (1.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Look:
    """What the visual axes gave one body: how it renders is ``texture x tint``, as TinyRenderer
    multiplies a texture by the visual shape's RGBA.

    Attributes:
        tint: RGBA a colour axis drew; None: no colour axis acted on the body (a textured body is
            then tinted white, so the texture shows as is; an untextured one keeps its colours).
        texture: texture-set name a texture axis drew; None: no texture.
    """

    tint: tuple[float, float, float, float] | None = None
    texture: str | None = None


@dataclass(slots=True)
class Scene:
    """What axes read and write besides the simulator; owned by the env's Perturber, rebuilt never.

    Sampling reads the static facts (roles, settings, free area, occupied footprints). Applying
    may change the render state (light, camera offsets) and records what it touched so the next
    reset can put it back.
    """

    task: str
    roles: Mapping[str, Role]
    settings: Mapping[str, AxisSetting]
    static_bodies: Mapping[str, tuple[str, ...]]  # "table" / "walls" -> body names
    nominal_light: RenderSettings
    free_area: Rect
    textures: Any = None  # colosseum_lite.textures.TextureSet
    occupied: tuple[Circle, ...] = ()
    nominal_colors: dict[str, dict[int, tuple[float, ...]]] = field(default_factory=dict)
    nominal_dynamics: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)  # role value -> scale, set by size axes
    light: RenderSettings = field(default_factory=RenderSettings)
    camera_offsets: dict[str, tuple[Vec3, Vec3]] = field(default_factory=dict)
    distractors: list[str] = field(default_factory=list)
    # Bodies whose looks the visual axes changed this episode, and what each shows now; the
    # Perturber's undo iterates and clears it (texture off, nominal colour back).
    touched_looks: dict[str, Look] = field(default_factory=dict)

    def bodies(self, role: Role) -> tuple[str, ...]:
        """Task bodies with a role, in declaration order."""
        return tuple(name for name, r in self.roles.items() if r is role)


_DEFAULT_SETTING = AxisSetting()


class Axis(ABC):
    """One perturbation axis. Subclass once per kind (colour, texture, scale, ...)."""

    name: str
    stage: Stage
    needs_layout: bool = False  # sampled after the task has placed its objects
    settings: frozenset[str] = frozenset()  # the AxisSetting fields the axis reads
    uses_textures: bool = False  # samples from the scene's texture set

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        """Bodies the axis acts on in this scene (empty when it has no targets)."""
        return ()

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:  # noqa: B027
        """Raise ValueError when a task's setting cannot work (no targets, missing range...)."""

    def check_settings(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:
        """Raise ValueError for a field the axis does not read, or targets the task does not have."""
        for name in AxisSetting.__dataclass_fields__:
            if name not in self.settings and getattr(setting, name) != getattr(_DEFAULT_SETTING, name):
                raise ValueError(f"{self.name} has no {name!r} setting; it takes "
                                 f"{sorted(self.settings) or 'none'}")
        for what, names in (("targets", setting.targets), ("ranges", setting.ranges)):
            unknown = [n for n in names or () if n not in roles]
            if unknown:
                raise ValueError(f"{self.name} {what} {unknown} are not bodies of {task}; "
                                 f"expected some of {list(roles)}")

    @staticmethod
    def check_range(name: str, setting: AxisSetting, low: float, high: float, what: str) -> None:
        """Raise ValueError unless the setting's ``range`` lies within [low, high]."""
        if setting.range is not None and not low <= setting.range[0] <= setting.range[1] <= high:
            raise ValueError(f"{name} range must lie within [{low}, {high}] ({what}), got {list(setting.range)}")

    @abstractmethod
    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        """Draw parameters: pure, JSON-serialisable, no simulator."""

    @abstractmethod
    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        """Write the parameters into the scene, as absolute values from nominal."""

    @abstractmethod
    def describe(self, params: Params) -> str:
        """A few words on drawn parameters for a caption, e.g. ``"scale 1.08"``."""


def toward_nominal(value: np.ndarray | float, nominal: np.ndarray | float, severity: float) -> np.ndarray:
    """Pull a draw toward the nominal value: severity 1 keeps it, 0 gives the nominal."""
    return nominal + severity * (np.asarray(value, dtype=float) - nominal)




MIN_TEXTURE_TINT = 0.3  # a texture under a darker tint would vanish (texture x black = black)


def apply_look(sim: Sim, scene: Scene, body: str, *, tint: tuple[float, float, float, float] | None = None,
               texture: str | None = None) -> None:
    """Give a body a colour and/or a texture, keeping what another visual axis gave it.

    Whatever the order the colour and texture axes apply in, the body ends up showing
    ``texture x colour``: both are recorded in ``scene.touched_looks`` and written together. On a
    textured body each channel of the tint is at least ``MIN_TEXTURE_TINT``, so a dark colour
    draw (black, navy) still lets the texture show: both axes stay visible inside ``all``.

    Args:
        tint: RGBA (0..1) from a colour axis; None keeps the body's current tint.
        texture: texture-set name from a texture axis; None keeps the body's current texture.
    """
    if tint is None and texture is None:
        raise ValueError(f"apply_look on {body!r} needs a tint or a texture, got neither")
    look = scene.touched_looks.get(body, Look())
    look = Look(tint=tint if tint is not None else look.tint,
                texture=texture if texture is not None else look.texture)
    scene.touched_looks[body] = look
    if look.texture is None:
        assert look.tint is not None  # no texture: this call brought the tint
        sim.set_color(body, look.tint)  # a colour draw alone: no texture to keep
        return
    shown = WHITE if look.tint is None else (*(max(c, MIN_TEXTURE_TINT) for c in look.tint[:3]), *look.tint[3:])
    sim.set_look(body, shown, sim.texture(scene.textures.path_of(look.texture)))


def describe_rgb(params: Params) -> str:
    """An RGB draw in words, e.g. ``"rgb 0.25 0.50 1.00"``."""
    return "rgb " + " ".join(f"{v:.2f}" for v in params["rgb"])


def all_links(sim: Sim, body: str) -> list[int]:
    """Every link of a body, base (-1) first."""
    return sim.link_indices(body)


def record_looks(sim: Sim, bodies: tuple[str, ...]) -> dict[str, dict[int, tuple[float, ...]]]:
    """Nominal RGBA per link of each body, read once after building."""
    return {body: sim.colors(body) for body in bodies}


def record_dynamics(sim: Sim, bodies: tuple[str, ...]) -> dict[str, dict[int, tuple[float, float]]]:
    """Nominal (mass kg, lateral friction) per link of each body, read once after building."""
    return {
        body: {link: (d["mass"], d["lateral_friction"]) for link in all_links(sim, body)
               for d in [sim.dynamics(body, link)]}
        for body in bodies
    }
