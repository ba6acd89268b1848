"""Which episodes a comparison of runs may use: the tasks and sets every run has, said aloud.

Runs of a comparison often differ in what they cover: one ran every task, another only two; one
ran the visual sets, another did not. Averages over different tasks compare different things, so
a comparison keeps only the (task, set) cells that every run has, and the report says what was
left out and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from colosseum_lite.eval.metrics import set_key
from colosseum_lite.eval.store import EpisodeRow


@dataclass(frozen=True, slots=True)
class Shared:
    """The rows of each run restricted to the cells every run has, and what the restriction did."""

    rows: dict[str, list[EpisodeRow]]  # run -> its rows in the shared cells
    tasks: tuple[str, ...]
    sets: tuple[str, ...]
    notes: tuple[str, ...]  # what was left out and why, and what else differs between the runs


def _runs(names: Sequence[str], of: Sequence[str]) -> str:
    """``run a`` or ``runs a, b``."""
    return ("run " if len(names) == 1 else "runs ") + ", ".join(names) if len(names) < len(of) else "every run"


def _missing(item: str, holders: Mapping[str, set[str]], runs: Sequence[str], what: str) -> str:
    """``task t (only in run a)``."""
    having = [r for r in runs if item in holders[r]]
    return f"{what} {item} (only in {_runs(having, runs)})"


def shared_cells(rows: Mapping[str, Sequence[EpisodeRow]], configs: Mapping[str, Mapping[str, Any]]) -> Shared:
    """Restrict each run's rows to the tasks, sets and (task, set) cells every run has.

    Args:
        rows: run name -> its stored episodes, in the order the runs are compared.
        configs: run name -> its stored configuration (to say when seeds or episodes differ).

    Raises:
        ValueError: the runs share no (task, set) cell, naming what each run has.
    """
    runs = list(rows)
    tasks = {r: {e.task for e in rows[r]} for r in runs}
    sets = {r: {e.set_name for e in rows[r]} for r in runs}
    common_tasks = set.intersection(*tasks.values())
    common_sets = set.intersection(*sets.values())
    cells = {r: {(e.task, e.set_name) for e in rows[r]} for r in runs}
    common = {c for c in set.intersection(*cells.values()) if c[0] in common_tasks and c[1] in common_sets}
    if not common:
        have = "; ".join(f"{r}: tasks {sorted(tasks[r])}, sets {sorted(sets[r], key=set_key)}" for r in runs)
        raise ValueError(f"runs {', '.join(runs)} share no task and set, so there is nothing to compare ({have}); "
                         "compare runs evaluated on common tasks and sets")
    left = [_missing(t, tasks, runs, "task") for t in sorted(set.union(*tasks.values()) - common_tasks)]
    left += [_missing(s, sets, runs, "set") for s in sorted(set.union(*sets.values()) - common_sets, key=set_key)]
    partial = sorted({c for r in runs for c in cells[r] if c[0] in common_tasks and c[1] in common_sets} - common,
                     key=lambda c: (c[0], set_key(c[1])))
    left += [f"{t} under {s} (only in {_runs([r for r in runs if (t, s) in cells[r]], runs)})" for t, s in partial]
    kept = {r: [e for e in rows[r] if (e.task, e.set_name) in common] for r in runs}
    notes = []
    if left:
        dropped = ", ".join(f"{len(rows[r]) - len(kept[r])} of run {r}" for r in runs
                            if len(rows[r]) > len(kept[r]))
        notes.append(f"Compared on what every run has: {len(common_tasks)} task(s) and {len(common_sets)} set(s). "
                     f"Left out, because not every run has it: {'; '.join(left)}. The episodes left out "
                     f"({dropped}) are in no table or figure of this report: averages over different tasks "
                     "would compare different things.")
    counts = {r: sorted({sum(1 for e in kept[r] if (e.task, e.set_name) == c) for c in common}) for r in runs}
    if len({tuple(v) for v in counts.values()}) > 1:
        shown = ", ".join(f"{r}: {'-'.join(map(str, (v[0], v[-1]))) if len(v) > 1 else v[0]}"
                          for r, v in counts.items())
        notes.append(f"The runs differ in episodes per task and set ({shown}): their rates have intervals "
                     "of different widths.")
    seeds = {r: configs[r].get("seed") for r in runs}
    if len(set(map(str, seeds.values()))) > 1:
        notes.append("The runs start from different seeds (" + ", ".join(f"{r}: {s}" for r, s in seeds.items())
                     + "), so their episodes are not the same scenes: compare their rates, not their episodes.")
    return Shared(kept, tuple(sorted(common_tasks)), tuple(sorted(common_sets, key=set_key)), tuple(notes))
