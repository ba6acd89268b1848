"""A chess set: a board of 8x8 squares, one fixed body, and pieces told apart by their silhouette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part

KINDS = ("pawn", "rook", "knight", "bishop", "queen", "king")
BACK_RANK = ("rook", "knight", "bishop", "queen", "king", "bishop", "knight", "rook")  # files a-h
FILES = "abcdefgh"


@dataclass(frozen=True, slots=True)
class ChessPiece(Part):
    """One weighted piece: a column the fingers hold over a round foot, and a top that names its kind.

    Frame: origin at the centre of the underside, z up; the centre of mass (the base pose the
    engine reports) ``mass_centre_m`` above it, below the foot sphere's centre, so the piece rights
    itself like a weighted piece on a domed base, and rests on one contact point (the cheapest
    resting contact: 32 pieces on a board cost little per step). Collision shapes: the foot sphere
    and the column above it, a cylinder of ``radius_m`` up to ``height_m``; the seen column, foot and
    top are not touched. One link, one colour.
    """

    kind: str = "pawn"
    radius_m: float = 0.011  # the column: what the fingers close on
    height_m: float = 0.034
    foot_radius_m: float = 0.008  # the round foot it stands on
    column_gap_m: float = 0.002  # the touched column starts this far above the foot
    mass_centre_m: float = 0.003  # the centre of mass this high above the underside
    mass_kg: float = 0.03
    rgba: RGBA = (0.92, 0.9, 0.82, 1.0)
    name: str = "chess_piece"

    PIECE: ClassVar[str] = "piece"
    HEIGHTS_M: ClassVar[dict[str, float]] = {
        "pawn": 0.034, "rook": 0.038, "knight": 0.042, "bishop": 0.046, "queen": 0.05, "king": 0.054,
    }

    @classmethod
    def of(cls, kind: str, rgba: RGBA, name: str) -> ChessPiece:
        """A nominal piece of ``kind`` (one of ``KINDS``) and colour."""
        if kind not in cls.HEIGHTS_M:
            raise ValueError(f"unknown chess piece {kind!r}; expected one of {list(KINDS)}")
        return cls(kind=kind, height_m=cls.HEIGHTS_M[kind], rgba=rgba, name=name)

    def _top(self) -> tuple[Geom, ...]:
        """The seen top of the piece, by kind (visual only)."""
        r, h, c = self.radius_m, self.height_m, self.rgba

        def vis(kind: str, size: tuple[float, ...], z: float, x: float = 0.0,
                rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Geom:
            return Geom(kind, size, (x, 0.0, z), rpy, c, collision=False)

        if self.kind == "pawn":
            return (vis("sphere", (1.05 * r,), h - 1.05 * r),)
        if self.kind == "rook":
            return (vis("cylinder", (1.2 * r, 0.25 * h), h - 0.125 * h),)
        if self.kind == "knight":
            return (vis("box", (1.25 * r, 0.55 * r, 0.5 * r), h - 0.5 * r, 0.4 * r, (0.0, 0.5, 0.0)),)
        if self.kind == "bishop":
            return (vis("sphere", (0.95 * r,), h - 1.3 * r), vis("sphere", (0.35 * r,), h - 0.35 * r))
        if self.kind == "queen":
            return (vis("cylinder", (1.3 * r, 0.12 * h), h - 0.2 * h), vis("sphere", (0.5 * r,), h - 0.5 * r))
        return (vis("box", (0.25 * r, 0.25 * r, 0.7 * r), h - 0.7 * r),  # king: a cross
                vis("box", (0.7 * r, 0.25 * r, 0.25 * r), h - 0.8 * r))

    def geoms(self) -> tuple[Geom, ...]:
        """The touched foot and column, then the seen column, foot and top, in the piece's frame."""
        r, h, c, f = self.radius_m, self.height_m, self.rgba, self.foot_radius_m
        low = 2 * f + self.column_gap_m
        touched = (Geom("sphere", (f,), (0.0, 0.0, f), rgba=c, visual=False),
                   Geom("cylinder", (r, h - low), (0.0, 0.0, (h + low) / 2), rgba=c, visual=False))
        column = Geom("cylinder", (r, h), (0.0, 0.0, h / 2), rgba=c, collision=False)
        foot = Geom("cylinder", (1.3 * r, 0.15 * h), (0.0, 0.0, 0.075 * h), rgba=c, collision=False)
        return (*touched, column, foot, *self._top())

    def model(self) -> Model:
        return Model(self.name, (Link(self.PIECE, self.geoms(), self.mass_kg, (0.0, 0.0, self.mass_centre_m)),))


@dataclass(frozen=True, slots=True)
class ChessBoard(Part):
    """An 8x8 board: a dark slab with a border and the light squares on it, one fixed body.

    Frame: origin at the centre of the underside, x along the ranks (files a to h), y along the
    files (rank 1 to 8). The light squares are a second link, fixed to the slab, seen, not touched.
    """

    square_m: float = 0.055
    border_m: float = 0.012
    thickness_m: float = 0.012
    face_m: float = 0.001  # the light squares' thickness, on top of the slab
    mass_kg: float = 1.0  # fixed to the table: the mass plays no part
    rgba: RGBA = (0.35, 0.22, 0.12, 1.0)
    light_rgba: RGBA = (0.88, 0.78, 0.6, 1.0)
    name: str = "chess_board"

    SLAB: ClassVar[str] = "slab"
    LIGHT: ClassVar[str] = "light_squares"

    @property
    def half_m(self) -> float:
        """Half the board's side, border included."""
        return 4 * self.square_m + self.border_m

    def square_xy(self, file: int, rank: int) -> tuple[float, float]:
        """The centre of a square (board frame), ``file`` 0-7 (a-h), ``rank`` 0-7 (1-8)."""
        return (file - 3.5) * self.square_m, (rank - 3.5) * self.square_m

    def model(self) -> Model:
        t, s = self.thickness_m, self.square_m
        slab = Geom("box", (self.half_m, self.half_m, t / 2), (0.0, 0.0, t / 2), rgba=self.rgba)
        light = tuple(Geom("box", (s / 2, s / 2, self.face_m / 2), (*self.square_xy(f, r), 0.0),
                           rgba=self.light_rgba, collision=False)
                      for f in range(8) for r in range(8) if (f + r) % 2 == 1)
        return Model(self.name, (Link(self.SLAB, (slab,), self.mass_kg), Link(self.LIGHT, light, 0.0)),
                     (Joint("light_squares_on_slab", "fixed", self.SLAB, self.LIGHT, (0.0, 0.0, t)),))
