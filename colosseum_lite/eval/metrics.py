"""Success rates with intervals, degradation per perturbation set, and paired flips.

Everything here is derived from episode rows only: ``(task, set_name, episode, success)``.
An episode that ended in an error counts as a failure (the policy did not solve it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

NO_PERTURBATION = "no_perturbation"
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished episode as metrics see it."""

    task: str
    set_name: str
    episode: int
    success: bool


@dataclass(frozen=True, slots=True)
class CellStats:
    """Success of one (task, set): counts, rate and a 95% Wilson interval."""

    task: str
    set_name: str
    n: int
    successes: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class SetStats:
    """One perturbation set over the tasks where it applies (the reference's Fig. 5 measure)."""

    set_name: str
    tasks: tuple[str, ...]
    rate: float  # task-averaged success rate under the set
    nominal_rate: float  # task-averaged no_perturbation rate on the same tasks
    change_pct: float  # % change of rate against nominal_rate
    change_low: float  # 95% bootstrap interval of change_pct
    change_high: float
    flips_lost: int  # succeeded unperturbed, failed perturbed (paired episodes)
    flips_gained: int  # the reverse
    mcnemar_p: float


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``(0, 1)`` when ``n == 0``)."""
    if n == 0:
        return 0.0, 1.0
    phat = successes / n
    denom = 1 + z * z / n
    center = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def mcnemar_exact(lost: int, gained: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of the discordant pairs at 1/2."""
    n = lost + gained
    if n == 0:
        return 1.0
    k = min(lost, gained)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def pct_change(rate: float, nominal: float) -> float:
    """Relative change in percent; NaN when the nominal rate is zero."""
    return 100.0 * (rate - nominal) / nominal if nominal > 0 else float("nan")


def cell_stats(outcomes: Iterable[Outcome]) -> list[CellStats]:
    """Per (task, set) counts, rates and Wilson intervals, sorted by task then set."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        c = counts[(o.task, o.set_name)]
        c[0] += 1
        c[1] += int(o.success)
    out = []
    for (task, set_name), (n, k) in sorted(counts.items()):
        lo, hi = wilson(k, n)
        out.append(CellStats(task, set_name, n, k, k / n, lo, hi))
    return out


def _paired(outcomes: Iterable[Outcome]) -> dict[str, dict[str, dict[int, bool]]]:
    table: dict[str, dict[str, dict[int, bool]]] = defaultdict(lambda: defaultdict(dict))
    for o in outcomes:
        table[o.set_name][o.task][o.episode] = o.success
    return table


def set_stats(
    outcomes: Sequence[Outcome], bootstrap: int = 2000, seed: int = 0
) -> list[SetStats]:
    """Per perturbation set: task-averaged rate, % change vs no_perturbation, flips.

    Only tasks that have the set and ``no_perturbation`` count, and within a task only episode
    indices present in both (the paired twins). The interval resamples episodes within each task
    with replacement, the same indices for both sets, ``bootstrap`` times.
    """
    table = _paired(outcomes)
    nominal = table.get(NO_PERTURBATION, {})
    rng = np.random.default_rng(seed)
    out = []
    for set_name in sorted(s for s in table if s != NO_PERTURBATION):
        pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for task, eps in sorted(table[set_name].items()):
            shared = sorted(set(eps) & set(nominal.get(task, {})))
            if shared:
                pert = np.array([eps[e] for e in shared], dtype=float)
                base = np.array([nominal[task][e] for e in shared], dtype=float)
                pairs[task] = (pert, base)
        if not pairs:
            continue
        rate = float(np.mean([p.mean() for p, _ in pairs.values()]))
        nominal_rate = float(np.mean([b.mean() for _, b in pairs.values()]))
        lost = int(sum(((b == 1) & (p == 0)).sum() for p, b in pairs.values()))
        gained = int(sum(((b == 0) & (p == 1)).sum() for p, b in pairs.values()))
        boots = np.empty(bootstrap)
        for i in range(bootstrap):
            rs, ns = [], []
            for p_arr, b_arr in pairs.values():
                idx = rng.integers(0, len(p_arr), len(p_arr))
                rs.append(p_arr[idx].mean())
                ns.append(b_arr[idx].mean())
            boots[i] = pct_change(float(np.mean(rs)), float(np.mean(ns)))
        finite = boots[np.isfinite(boots)]
        lo, hi = (np.percentile(finite, [2.5, 97.5]) if finite.size else (float("nan"),) * 2)
        out.append(SetStats(set_name, tuple(pairs), rate, nominal_rate, pct_change(rate, nominal_rate),
                            float(lo), float(hi), lost, gained, mcnemar_exact(lost, gained)))
    return out
