"""Success rates with intervals, degradation per perturbation set, and paired flips.

Everything here is derived from episode rows only: ``(task, set_name, episode, success)``, and
the run's observation mode, which decides whether a set was observed at all (:func:`observes`).
An episode that ended in a policy error counts as a failure (the policy did not solve it);
timeouts and infrastructure errors are left out (:func:`outcomes`). :func:`run_stats` is the one
way every view of a run (the terminal summary, the report, its CSVs and figures) gets its numbers:
one bootstrap count, one seed, one set order.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from colosseum_lite.perturbations import ALL, AXES, applicable_axes
from colosseum_lite.perturbations.base import Stage
from colosseum_lite.registration import ObsMode, _choice
from colosseum_lite.tasks import TASKS

if TYPE_CHECKING:
    from colosseum_lite.eval.store import EpisodeRow

NO_PERTURBATION = "no_perturbation"
NOT_OBSERVED = "not observed"
Z95 = 1.959963984540054
# The canonical set order (the reference's Fig. 5): nominal, the axes in AXES order, then "all".
SET_ORDER = (NO_PERTURBATION, *AXES, ALL)
# The bootstrap behind every reported interval of a % change: one count, one seed, everywhere.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def set_key(name: str) -> tuple[int, str]:
    """Sort key of a set name: :data:`SET_ORDER`, unknown names last (alphabetically)."""
    return (SET_ORDER.index(name) if name in SET_ORDER else len(SET_ORDER), name)


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
    observed: bool = True  # False: the run's observations cannot see the set (see observes)


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
    observed: bool = True  # False: change_pct and its interval are NaN (see observes)


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


def observes(obs_mode: str | ObsMode, axis: str) -> bool:
    """Whether observations in ``obs_mode`` can see the perturbation axis ``axis``.

    The one rule behind "not observed", read from each axis's stage. A RENDER axis (colours,
    textures, light, table, background, camera pose) changes only what cameras see, so only the
    image modes (``rgb``, ``rgbd``) observe it: under ``state`` observations its episodes repeat
    their unperturbed twins exactly, for any policy, and a 0% change there says nothing of
    robustness. BUILD axes (sizes, distractors) and RESET axes (friction, mass) change bodies or
    dynamics, which every mode meets: sizes change the object state, friction and mass the
    dynamics, and distractors are bodies with collision boxes that the arm and the objects can hit
    (state observations do not list them, so a state policy meets them blind, as it would a real
    unseen obstacle).

    Raises:
        ValueError: an unknown observation mode or axis, naming the valid ones.
    """
    mode = _choice(ObsMode, obs_mode, "obs_mode")
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; expected one of {sorted(AXES)}")
    return mode is not ObsMode.STATE or AXES[axis].stage is not Stage.RENDER


def set_observed(obs_mode: str | ObsMode | None, task: str, set_name: str) -> bool:
    """Whether a run's observations see the (task, set) perturbation (:func:`observes`).

    ``no_perturbation`` is always observed; ``all`` is when any of the task's axes is (in state
    mode it then measures only those). A run stored without an observation mode (None), a set
    name that is no axis, or ``all`` on an unknown task count as observed: nothing says otherwise.
    """
    if obs_mode is None or set_name == NO_PERTURBATION:
        return True
    if set_name == ALL:
        return task not in TASKS or any(observes(obs_mode, a) for a in applicable_axes(TASKS[task]))
    return set_name not in AXES or observes(obs_mode, set_name)


def cell_stats(outcomes: Iterable[Outcome], obs_mode: str | None = None) -> list[CellStats]:
    """Per (task, set) counts, rates and Wilson intervals, by task, then sets in :data:`SET_ORDER`.

    ``obs_mode`` is the run's observation mode; cells it cannot see have ``observed=False``.
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        c = counts[(o.task, o.set_name)]
        c[0] += 1
        c[1] += int(o.success)
    out = []
    for (task, set_name), (n, k) in sorted(counts.items(), key=lambda kv: (kv[0][0], set_key(kv[0][1]))):
        lo, hi = wilson(k, n)
        out.append(CellStats(task, set_name, n, k, k / n, lo, hi, set_observed(obs_mode, task, set_name)))
    return out


def _paired(outcomes: Iterable[Outcome]) -> dict[str, dict[str, dict[int, bool]]]:
    table: dict[str, dict[str, dict[int, bool]]] = defaultdict(lambda: defaultdict(dict))
    for o in outcomes:
        table[o.set_name][o.task][o.episode] = o.success
    return table


def set_stats(
    outcomes: Sequence[Outcome], bootstrap: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
    obs_mode: str | None = None,
) -> list[SetStats]:
    """Per perturbation set, in :data:`SET_ORDER`: task-averaged rate, % change vs no_perturbation, flips.

    Only tasks that have the set and ``no_perturbation`` count, and within a task only episode
    indices present in both (the paired twins). The interval is a paired, task-stratified
    bootstrap: each of the ``bootstrap`` replicates resamples, with replacement, the episodes of
    every task independently of the other tasks (tasks have their own seeds and draws), and uses
    the same resampled episode indices for the perturbed set and its unperturbed twin within that
    task; the replicate's % change is that of the task-averaged rates. Each set draws from its own
    stream of ``seed``, so a set's interval does not depend on which other sets are present.

    A set the run's ``obs_mode`` sees on none of its tasks (:func:`set_observed`) keeps its rates
    and flips, but its change and interval are NaN and ``observed`` is False: it was not measured.
    """
    table = _paired(outcomes)
    nominal = table.get(NO_PERTURBATION, {})
    out = []
    for set_name in sorted((s for s in table if s != NO_PERTURBATION), key=set_key):
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
        observed = any(set_observed(obs_mode, task, set_name) for task in pairs)
        if observed:
            change = pct_change(rate, nominal_rate)
            lo, hi = _bootstrap(list(pairs.values()), bootstrap,
                                np.random.default_rng([seed, zlib.crc32(set_name.encode())]))
        else:
            change = lo = hi = float("nan")
        out.append(SetStats(set_name, tuple(pairs), rate, nominal_rate, change, lo, hi, lost, gained,
                            mcnemar_exact(lost, gained), observed))
    return out


def outcomes(rows: Iterable[EpisodeRow]) -> list[Outcome]:
    """The episodes that say something about the policy, as metrics see them.

    Timeouts and infrastructure errors are left out; a policy error is a failure whatever the
    row's success flag says.
    """
    from colosseum_lite.eval.store import Status

    return [Outcome(r.task, r.set_name, r.episode, bool(r.success) and r.status is Status.OK)
            for r in rows if r.counted]


def run_stats(rows: Iterable[EpisodeRow], obs_mode: str | None) -> tuple[list[CellStats], list[SetStats]]:
    """A run's cell and set statistics, as the summary, the report and its CSVs all show them.

    Args:
        rows: the run's stored episodes (any order).
        obs_mode: the run's observation mode (None: every set counts as observed).

    Returns:
        ``(cells, sets)``: cells by task then :data:`SET_ORDER`, sets in :data:`SET_ORDER`, with
        intervals from :data:`BOOTSTRAP_RESAMPLES` resamples seeded by :data:`BOOTSTRAP_SEED`.
    """
    counted = outcomes(rows)
    return cell_stats(counted, obs_mode), set_stats(counted, obs_mode=obs_mode)


def _bootstrap(pairs: list[tuple[np.ndarray, np.ndarray]], n: int,
               rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile interval of the % change: episodes resampled per task, paired within it."""
    rates, nominals = np.zeros(n), np.zeros(n)
    for pert, base in pairs:
        idx = rng.integers(0, len(pert), size=(n, len(pert)))  # this task's own draws
        rates += pert[idx].mean(axis=1)
        nominals += base[idx].mean(axis=1)  # the same episodes: the paired twins
    with np.errstate(divide="ignore", invalid="ignore"):
        boots = 100.0 * (rates - nominals) / nominals  # the 1/len(pairs) of both averages cancels
    finite = boots[np.isfinite(boots)]
    if not finite.size:
        return float("nan"), float("nan")
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return float(lo), float(hi)
