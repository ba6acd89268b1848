"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from colosseum_lite.eval.metrics import Outcome, cell_stats, mcnemar_exact, pct_change, set_stats, wilson


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_and_pct_change():
    # 8 lost, 3 gained: p = 2 * P(X <= 3), X ~ Bin(11, 1/2) = 2 * (1 + 11 + 55 + 165) / 2048.
    assert mcnemar_exact(8, 3) == pytest.approx(2 * 232 / 2048)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert pct_change(0.5, 0.75) == pytest.approx(-100 / 3)
    assert math.isnan(pct_change(0.5, 0.0))


def _synthetic() -> list[Outcome]:
    out = []
    for e in range(10):
        out.append(Outcome("a", "no_perturbation", e, True))
        out.append(Outcome("a", "mo_color", e, e < 5))
        out.append(Outcome("b", "no_perturbation", e, e < 5))  # successes at 0-4
        out.append(Outcome("b", "mo_color", e, 3 <= e < 8))  # successes at 3-7
        out.append(Outcome("b", "ro_color", e, False))  # ro_color applies to b only
    return out


def test_cell_stats_counts_rates_and_intervals():
    cells = {(c.task, c.set_name): c for c in cell_stats(_synthetic())}
    c = cells[("a", "mo_color")]
    assert (c.n, c.successes, c.rate) == (10, 5, 0.5)
    assert (c.low, c.high) == pytest.approx(wilson(5, 10))
    assert cells[("b", "ro_color")].rate == 0.0


def test_set_stats_average_over_the_tasks_where_the_axis_applies():
    stats = {s.set_name: s for s in set_stats(_synthetic(), bootstrap=400, seed=1)}
    mo = stats["mo_color"]
    assert mo.tasks == ("a", "b")
    assert mo.rate == pytest.approx(0.5) and mo.nominal_rate == pytest.approx(0.75)
    assert mo.change_pct == pytest.approx(-100 / 3)
    assert (mo.flips_lost, mo.flips_gained) == (8, 3)  # a: episodes 5-9; b: 0-2 lost, 5-7 gained
    assert mo.mcnemar_p == pytest.approx(2 * 232 / 2048)
    assert mo.change_low < mo.change_pct < mo.change_high
    ro = stats["ro_color"]
    assert ro.tasks == ("b",) and ro.nominal_rate == pytest.approx(0.5)  # only b's baseline counts
    assert ro.change_pct == pytest.approx(-100.0)
    assert (ro.flips_lost, ro.flips_gained) == (5, 0)


def test_bootstrap_is_reproducible():
    a = set_stats(_synthetic(), bootstrap=200, seed=3)
    b = set_stats(_synthetic(), bootstrap=200, seed=3)
    assert a == b
