"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from colosseum_lite.eval.metrics import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    SET_ORDER,
    Outcome,
    cell_stats,
    mcnemar_exact,
    outcomes,
    pct_change,
    run_stats,
    set_key,
    set_stats,
    wilson,
)
from colosseum_lite.eval.store import EpisodeRow, Status
from colosseum_lite.perturbations import AXES


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


def _pairs(outcomes: dict[tuple[str, str], list[int]]) -> list[Outcome]:
    return [Outcome(task, set_name, e, bool(win)) for (task, set_name), wins in outcomes.items()
            for e, win in enumerate(wins)]


def test_bootstrap_resamples_each_task_independently():
    # a's and b's perturbed episodes are mirror images: resampling the same indices in both tasks would
    # always average to 50% (change exactly -50%); independent draws reach 0% and 100% (1/16 each).
    outcomes = _pairs({("a", "no_perturbation"): [1, 1], ("a", "mo_size"): [1, 0],
                       ("b", "no_perturbation"): [1, 1], ("b", "mo_size"): [0, 1]})
    (s,) = set_stats(outcomes, bootstrap=2000, seed=0)
    assert s.change_pct == pytest.approx(-50.0)
    assert (s.change_low, s.change_high) == pytest.approx((-100.0, 0.0))


def test_bootstrap_pairs_each_episode_with_its_unperturbed_twin():
    # Perturbed equals unperturbed episode by episode: with the twins resampled together every
    # replicate's change is 0 (or undefined when it drew only failures); unpaired it would spread.
    wins = [1, 0, 1, 0, 0, 1]
    outcomes = _pairs({("a", "no_perturbation"): wins, ("a", "mo_size"): wins,
                       ("b", "no_perturbation"): wins[::-1], ("b", "mo_size"): wins[::-1]})
    (s,) = set_stats(outcomes, bootstrap=500, seed=0)
    assert (s.change_pct, s.change_low, s.change_high) == (0.0, 0.0, 0.0)


def test_a_sets_interval_does_not_depend_on_the_other_sets():
    alone = [o for o in _synthetic() if o.set_name != "ro_color"]
    assert set_stats(alone, bootstrap=300, seed=5)[0] == set_stats(_synthetic(), bootstrap=300, seed=5)[0]


def test_sets_the_obs_mode_cannot_see_are_not_observed():
    outcomes = _pairs({("close_box", "no_perturbation"): [1, 0, 1], ("close_box", "mo_color"): [1, 0, 1],
                       ("close_box", "mo_size"): [0, 0, 1], ("close_box", "all"): [0, 0, 0]})
    state = {s.set_name: s for s in set_stats(outcomes, bootstrap=100, obs_mode="state")}
    assert not state["mo_color"].observed and state["mo_size"].observed and state["all"].observed
    color = state["mo_color"]
    assert math.isnan(color.change_pct) and math.isnan(color.change_low) and math.isnan(color.change_high)
    assert (color.rate, color.nominal_rate, color.flips_lost) == (pytest.approx(2 / 3), pytest.approx(2 / 3), 0)
    assert state["mo_size"].change_pct == pytest.approx(-50.0)
    assert all(s.observed for s in set_stats(outcomes, bootstrap=100, obs_mode="rgb"))
    assert all(s.observed for s in set_stats(outcomes, bootstrap=100))  # no obs mode given
    cells = {c.set_name: c.observed for c in cell_stats(outcomes, "state")}
    assert cells == {"no_perturbation": True, "mo_color": False, "mo_size": True, "all": True}


def test_sets_and_cells_come_in_the_canonical_order():
    outcomes = _pairs({("b", "all"): [1], ("b", "object_mass"): [1], ("a", "zz_unknown"): [1],
                       ("b", "mo_color"): [0], ("b", "no_perturbation"): [1], ("a", "no_perturbation"): [1],
                       ("b", "distractor"): [1], ("a", "all"): [0]})
    assert [s.set_name for s in set_stats(outcomes, bootstrap=10)] == [
        "mo_color", "distractor", "object_mass", "all", "zz_unknown"]
    assert [(c.task, c.set_name) for c in cell_stats(outcomes)] == [
        ("a", "no_perturbation"), ("a", "all"), ("a", "zz_unknown"), ("b", "no_perturbation"), ("b", "mo_color"),
        ("b", "distractor"), ("b", "object_mass"), ("b", "all")]
    assert SET_ORDER == ("no_perturbation", *AXES, "all") and set_key("zz") > set_key("all")


def _row(set_name: str, episode: int, success: bool, status: Status = Status.OK) -> EpisodeRow:
    return EpisodeRow("r", "p", "0", "close_box", set_name, episode, episode, "{}", success, 1, 0.0, 0.1, None,
                      "2026-01-01T00:00:00+00:00", status)


def test_outcomes_leave_out_what_says_nothing_of_the_policy():
    rows = [_row("no_perturbation", 0, True), _row("no_perturbation", 1, True, Status.POLICY_ERROR),
            _row("no_perturbation", 2, False, Status.TIMEOUT),
            _row("no_perturbation", 3, True, Status.INFRA_ERROR)]
    assert outcomes(rows) == [Outcome("close_box", "no_perturbation", 0, True),
                              Outcome("close_box", "no_perturbation", 1, False)]  # a policy error fails


def test_run_stats_is_the_one_bootstrap():
    rows = [_row(s, e, bool((e * 7 + len(s)) % 3)) for s in ("no_perturbation", "mo_size", "all")
            for e in range(8)]
    cells, sets = run_stats(rows, "state")
    assert sets == set_stats(outcomes(rows), BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, obs_mode="state")
    assert cells == cell_stats(outcomes(rows), "state")
    assert BOOTSTRAP_RESAMPLES >= 2000
