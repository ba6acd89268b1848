"""A sponge to wipe a table with, and the specks of dirt it wipes off.

The sponge is one box link; the dirt is one body of thin squares without a collision shape (seen,
never touched): whether a speck is wiped is the task's state, not the engine's (see
``tasks/wipe_desk.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3
from colosseum_lite.sim import vec3


@dataclass(frozen=True, slots=True)
class Sponge(Part):
    """A box-shaped sponge lying on its largest face, its long side along x.

    Frame: the box's centre, z up through the wiping face (the bottom, at ``-half_extents_m[2]``).
    """

    half_extents_m: Vec3 = (0.045, 0.022, 0.02)
    mass_kg: float = 0.1
    rgba: RGBA = (0.95, 0.8, 0.15, 1.0)
    name: str = "sponge"

    BODY: ClassVar[str] = "sponge"

    @property
    def half_height_m(self) -> float:
        """Half the sponge's height (its centre above the table when it lies flat)."""
        return self.half_extents_m[2]

    def under(self, points_local: np.ndarray, tol_m: float) -> np.ndarray:
        """Which points, given in the sponge's frame (N x 3, m), lie within its box grown by
        ``tol_m``: the specks it covers when it touches the table."""
        half = np.asarray(self.half_extents_m) + tol_m
        return np.all(np.abs(points_local) <= half, axis=1)

    def model(self) -> Model:
        geom = Geom("box", self.half_extents_m, rgba=self.rgba)
        return Model(self.name, (Link(self.BODY, (geom,), self.mass_kg),))


@dataclass(frozen=True, slots=True)
class Dirt(Part):
    """Specks of dirt on a grid of cells: one thin square per cell, seen and never touched.

    A task shows the cells that are dirty and hides the others (alpha 0), so one body holds every
    pattern the grid allows. One link (the grid's centre on the table) with one visual shape per
    cell: speck ``i`` is visual shape ``i``, at :meth:`spots_m` ``[i]``. A link per speck (fixed
    joints) made the body an 80-link multibody that cost more per physics step than the rest of
    the scene together (about 65 us of 110, measured); one link costs nothing to step.
    """

    cells: tuple[int, int] = (10, 8)  # along x, along y
    pitch_m: float = 0.016
    speck_half_m: float = 0.006
    half_thickness_m: float = 0.0005
    rgba: RGBA = (0.25, 0.17, 0.08, 1.0)
    name: str = "dirt"

    BASE: ClassVar[str] = "patch"

    @property
    def count(self) -> int:
        """The number of cells (specks)."""
        return self.cells[0] * self.cells[1]

    @property
    def half_size_m(self) -> tuple[float, float]:
        """Half the grid's size along x and y (to the cells' outer edges)."""
        return (self.cells[0] * self.pitch_m / 2, self.cells[1] * self.pitch_m / 2)

    def spots_m(self) -> np.ndarray:
        """Every speck's centre in the body frame (count x 3, m), x running fastest."""
        nx, ny = self.cells
        x = (np.arange(nx) - (nx - 1) / 2) * self.pitch_m
        y = (np.arange(ny) - (ny - 1) / 2) * self.pitch_m
        gx, gy = np.meshgrid(x, y)
        return np.stack([gx.ravel(), gy.ravel(), np.full(self.count, self.half_thickness_m)], axis=1)

    def model(self) -> Model:
        half = (self.speck_half_m, self.speck_half_m, self.half_thickness_m)
        specks = tuple(Geom("box", half, vec3(spot), rgba=self.rgba, collision=False) for spot in self.spots_m())
        return Model(self.name, (Link(self.BASE, specks, 0.0),))
