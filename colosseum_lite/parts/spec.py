"""What a part is: a frozen spec of a procedural body, in nominal sizes, that scales and builds its Model.

Field names carry units, and :meth:`Part.scaled` reads them: ``*_m`` fields (a length or a tuple
of lengths) scale by ``s``, ``*_kg`` fields by ``s**3``, nested parts scale along, and everything
else (``*_rad``, counts, ratios, colours, names) stays. Derived dimensions are properties, so they
follow the scale. A dimension a task steers by is given :func:`as_built`, as the engine has it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import fields, replace
from typing import Any, TypeVar, cast

from colosseum_lite.assets import Geom, Model
from colosseum_lite.sim import vec3

RGBA = tuple[float, float, float, float]
Vec3 = tuple[float, float, float]


def _scaled_value(name: str, value: Any, s: float) -> Any:
    if isinstance(value, Part):
        return value.scaled(s)
    if name.endswith("_m"):
        return tuple(v * s for v in value) if isinstance(value, tuple) else value * s
    if name.endswith("_kg"):
        return value * s**3
    return value


P = TypeVar("P", bound="Part")


class Part(ABC):
    """Base of every part spec (a frozen dataclass): a uniform scale and the assets ``Model``."""

    __slots__ = ()

    def scaled(self: P, s: float) -> P:
        """The spec at uniform scale ``s``: lengths times ``s``, masses times ``s**3``."""
        spec = cast(Any, self)  # every concrete part is a frozen dataclass
        scaled = {f.name: _scaled_value(f.name, getattr(self, f.name), s) for f in fields(spec)}
        return cast(P, replace(spec, **scaled))

    @abstractmethod
    def model(self) -> Model:
        """The body this spec describes, ready for :func:`~colosseum_lite.assets.write_urdf`."""


def as_built(length_m: float) -> float:
    """A length as the generated URDF carries it (six significant digits): the engine's value."""
    return float(f"{length_m:.6g}")


def box(center_m: Vec3, half_m: Vec3, rgba: RGBA) -> Geom:
    """A box geom from its centre and half extents (link frame, metres)."""
    return Geom("box", vec3(half_m), vec3(center_m), rgba=rgba)
