"""The tables of a run, the same in the terminal summary, report.md and report.html.

Each table is a renderer-neutral block ``("table", header, rows)`` of strings built from
:func:`colosseum_lite.eval.metrics.run_stats`, so the summary ``eval`` prints and the report
written later agree cell for cell: one bootstrap, one set order, the same words, ``n/a`` where a
relative change is undefined (no unperturbed success).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from colosseum_lite.eval.metrics import NO_PERTURBATION, NOT_OBSERVED, CellStats, SetStats, run_stats, set_key
from colosseum_lite.eval.store import EpisodeRow, Status
from colosseum_lite.perturbations import ALL

DASH = "\u2013"
NA = "n/a"
Block = tuple  # ("h", level, text) | ("p", text) | ("table", header, rows) | ("img", path, alt) | ("grid", shots)
SET_HEADER = ["set", "tasks", "success", "unperturbed", "% change [95% CI]", "flips lost / gained", "McNemar p"]
CELL_HEADER = ["task", "set", "episodes", "successes", "success", "95% Wilson CI", "mean steps", "errors"]
# A number, a percentage or points, with an interval, a ratio or a "not observed" after it.
NUMBER = re.compile(rf"^([-+]?\d[\d.]*(e[-+]?\d+)?(%| pp)?( \[[-+\d., ]+\]| / \d+| to [\d.]+%)?"
                    rf"( \({NOT_OBSERVED}\))?|{DASH}|{NA})$")
SHORT_NAME = 24  # longer run names are keyed by letters in the comparison table's headers


def pct(x: float) -> str:
    """A rate in [0, 1] as a percentage with one decimal, ``n/a`` for NaN."""
    return NA if math.isnan(x) else f"{100 * x:.1f}%"


def signed(x: float, unit: str = "%") -> str:
    """A signed change with one decimal, ``n/a`` for NaN (no unperturbed success: no relative change)."""
    return NA if math.isnan(x) else f"{x:+.1f}{unit}"


def change(s: SetStats | None) -> str:
    """A set's % change, or why there is none."""
    return NA if s is None else signed(s.change_pct) if s.observed else NOT_OBSERVED


def nominal_rate(cells: Sequence[CellStats]) -> tuple[int, float]:
    """Number of tasks with a no_perturbation cell and their average success rate."""
    rates = [c.rate for c in cells if c.set_name == NO_PERTURBATION]
    return len(rates), (sum(rates) / len(rates) if rates else math.nan)


def set_table(cells: Sequence[CellStats], sets: Sequence[SetStats]) -> Block:
    """Per set (the reference's Fig. 5 numbers), no_perturbation first; unseen sets say "not observed"."""
    count, nominal = nominal_rate(cells)
    rows = [[NO_PERTURBATION, str(count), pct(nominal), DASH, DASH, DASH, DASH]]
    for s in sets:
        if not s.observed:
            rows.append([s.set_name, str(len(s.tasks)), pct(s.rate), pct(s.nominal_rate), NOT_OBSERVED, DASH,
                         DASH])
            continue
        ci = "" if math.isnan(s.change_pct) or math.isnan(s.change_low) else \
            f" [{s.change_low:+.1f}, {s.change_high:+.1f}]"
        rows.append([s.set_name, str(len(s.tasks)), pct(s.rate), pct(s.nominal_rate), signed(s.change_pct) + ci,
                     f"{s.flips_lost} / {s.flips_gained}", f"{s.mcnemar_p:#.2g}"])
    return ("table", SET_HEADER, rows)


def cell_table(cells: Sequence[CellStats], rows: Sequence[EpisodeRow]) -> Block:
    """Per (task, set): counted episodes, successes, rate, Wilson interval, mean steps, errors.

    ``episodes`` counts the episodes in the rate (timeouts and infrastructure errors are not);
    ``errors`` counts every episode that ended in an error of any kind.
    """
    steps: dict[tuple[str, str], list[int]] = {}
    errors: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r.task, r.set_name)
        errors[key] = errors.get(key, 0) + (r.status is not Status.OK)
        if r.counted:
            steps.setdefault(key, []).append(r.steps)
    out = []
    for c in cells:
        taken = steps.get((c.task, c.set_name), [])
        out.append([c.task, c.set_name, str(c.n), str(c.successes),
                    pct(c.rate) + ("" if c.observed else f" ({NOT_OBSERVED})"), f"{pct(c.low)} to {pct(c.high)}",
                    f"{sum(taken) / len(taken):.1f}" if taken else DASH, str(errors.get((c.task, c.set_name), 0))])
    return ("table", CELL_HEADER, out)


def unobserved_note(sets: Sequence[SetStats], obs_mode: str | None, run: str) -> str | None:
    """One sentence naming the sets the run's observations cannot see, and why (None when none)."""
    unseen = [s.set_name for s in sets if not s.observed]
    if not unseen:
        return None
    rest = any(s.set_name == ALL and s.observed for s in sets)
    return (f"Not observed: run {run} gave the policy {obs_mode} observations, which cannot see "
            f"{', '.join(unseen)}: these axes change only camera images, so their episodes repeat their "
            "unperturbed twins for any policy and measure no robustness (evaluate with --obs-mode rgb to "
            "measure them)" + (f"; under {obs_mode} observations, {ALL} measures only its other axes." if rest
                               else "."))


def na_note(sets: Sequence[SetStats]) -> str | None:
    """Why a set's % change reads n/a (no unperturbed success to compare with), when one does."""
    undefined = [s.set_name for s in sets if s.observed and math.isnan(s.change_pct)]
    if not undefined:
        return None
    return (f"{NA}: {', '.join(undefined)} had no unperturbed success on their tasks, so no relative change "
            "exists (the success columns still compare).")


def run_keys(names: Sequence[str]) -> list[str]:
    """What the comparison's column headers call each run: its name, or a letter when a name is long."""
    if all(len(n) <= SHORT_NAME for n in names):
        return list(names)
    return [chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i in range(len(names))]


def compare_table(runs: Sequence[tuple[str, Sequence[CellStats], Sequence[SetStats]]]) -> Block:
    """Success and % change of every run per set, then each later run minus the first, in points.

    Headers name the runs by :func:`run_keys` (letters when a name is long; the report lists them).

    Args:
        runs: ``(name, cells, sets)`` per run, the first being the baseline of the differences.
    """
    keys = run_keys([name for name, _, _ in runs])
    by = [{s.set_name: s for s in sets} for _, _, sets in runs]
    nominal = [nominal_rate(cells)[1] for _, cells, _ in runs]
    row = [NO_PERTURBATION]
    for n in nominal:
        row += [pct(n), DASH]
    for n in nominal[1:]:
        row += [signed(100 * (n - nominal[0]), " pp"), DASH]
    rows = [row]
    for name in sorted({n for sets in by for n in sets}, key=set_key):
        found = [b.get(name) for b in by]
        row = [name]
        for s in found:
            row += [pct(s.rate if s else math.nan), change(s)]
        base = found[0]
        for s in found[1:]:
            seen = all(x is None or x.observed for x in (base, s))
            rate = (s.rate if s else math.nan) - (base.rate if base else math.nan)
            delta = (s.change_pct if s else math.nan) - (base.change_pct if base else math.nan)
            row += [signed(100 * rate, " pp"), signed(delta, " pp") if seen else NOT_OBSERVED]
        rows.append(row)
    header = ["set"]
    for key in keys:
        header += [f"{key} success", f"{key} % change"]
    for key in keys[1:]:
        header += [f"success {key} - {keys[0]}", f"% change {key} - {keys[0]}"]
    return ("table", header, rows)


def numeric_columns(rows: Sequence[Sequence[str]]) -> list[bool]:
    """Which table columns hold only numbers (right-aligned)."""
    return [all(NUMBER.match(c) for c in col) for col in zip(*rows, strict=True)]


def plain_table(block: Block) -> str:
    """A table block as aligned plain text (numbers right-aligned), for a terminal."""
    _, header, rows = block
    right = numeric_columns(rows) if rows else [False] * len(header)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        cells = [str(c).rjust(w) if numeric else str(c).ljust(w) for c, w, numeric in zip(r, widths, right,
                                                                                           strict=True)]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def summary_blocks(rows: Sequence[EpisodeRow], obs_mode: str | None, run: str) -> list[Block]:
    """A run's summary: the (task, set) table, the per-set table and the not-observed note, if any."""
    cells, sets = run_stats(rows, obs_mode)
    blocks: list[Block] = [cell_table(cells, rows)]
    if sets:
        blocks.append(set_table(cells, sets))
        blocks += [("p", note) for note in (unobserved_note(sets, obs_mode, run), na_note(sets)) if note]
    return blocks


def summary_text(rows: Sequence[EpisodeRow], obs_mode: str | None, run: str) -> str:
    """:func:`summary_blocks` as plain text: what ``colosseum-lite eval`` prints when a sweep ends."""
    if not rows:
        return f"run {run}: no episodes"
    return "\n\n".join(plain_table(b) if b[0] == "table" else b[1] for b in summary_blocks(rows, obs_mode, run))
