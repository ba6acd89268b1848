"""Rejection sampling of reset spots: the first draw that fits, else the roomiest one tried."""

from __future__ import annotations

import numpy as np

from colosseum_lite.tasks.base import roomiest


def _draws(*xs: float):
    it = iter(xs)
    calls = []

    def draw() -> np.ndarray:
        calls.append(1)
        return np.array([next(it), 0.0])

    return draw, calls


def test_roomiest_returns_the_first_spot_that_fits_and_draws_no_more():
    draw, calls = _draws(0.1, 0.5, 0.7, 0.9)
    spot = roomiest(draw, lambda xy: float(xy[0]) - 0.4, tries=10)  # fits from x >= 0.4
    assert spot[0] == 0.5 and len(calls) == 2


def test_roomiest_keeps_the_roomiest_draw_when_none_fits():
    draw, calls = _draws(0.1, 0.3, 0.2)
    spot = roomiest(draw, lambda xy: float(xy[0]) - 0.4, tries=3)
    assert spot[0] == 0.3 and len(calls) == 3
