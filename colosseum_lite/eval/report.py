"""Reports of evaluation runs: CSV tables, a degradation chart, a heatmap, replayed frames, and
the same content as one Markdown page and one self-contained HTML page.

Every number comes from the store's episode rows through ``colosseum_lite.eval.metrics``; frames
are rebuilt by replaying a stored episode's seed and sampled parameters.
"""

from __future__ import annotations

import base64
import csv
import html
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from colosseum_lite.eval.compare import shared_cells
from colosseum_lite.eval.metrics import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, run_stats
from colosseum_lite.eval.plots import RunData, plot_degradation, plot_heatmap, render_frames
from colosseum_lite.eval.store import EpisodeRow, Status, Store, now_iso
from colosseum_lite.eval.tables import (
    Block,
    cell_table,
    compare_table,
    na_note,
    numeric_columns,
    run_keys,
    set_table,
    unobserved_note,
)

MAX_ERRORS = 5


def write_report(db: str | Path, out_dir: str | Path, run: str | None = None,
                 compare: Sequence[str] | None = None, frames: bool = True) -> Path:
    """Write the report of one run, or of several runs side by side, into ``out_dir``.

    Files: ``results.csv`` (one line per episode reported), ``summary.csv`` (per task x set and
    per set), ``degradation.png``, ``heatmap.png``, ``frames/<set>.png`` (when ``frames``),
    ``report.md`` and a self-contained ``report.html``.

    A comparison keeps only the tasks, sets and (task, set) cells every compared run has, and
    says in the report what it left out and why.

    Args:
        db: the SQLite store written by ``evaluate``.
        out_dir: folder for the report (created if missing).
        run: the run to report; by default the newest run in the store.
        compare: two or more run names to report side by side, the first being the baseline of
            the differences (``run``, if given, must be the first).
        frames: rebuild one front-camera frame per set by replaying its first stored episode.

    Returns:
        The path of ``report.html``.

    Raises:
        ValueError: no store at ``db``, an unknown or empty run, runs that share no task and set,
            or an unwritable ``out_dir``.
    """
    runs, notes = _load(Path(db), run, compare)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_results(out / "results.csv", runs)
        _write_summary(out / "summary.csv", runs)
        plot_degradation(runs, out / "degradation.png")
        plot_heatmap(runs, out / "heatmap.png")
        shots, skipped = render_frames(runs, out) if frames else ([], [])
        blocks = _document(runs, Path(db), frames, shots, skipped, notes)
        (out / "report.md").write_text(_markdown(blocks), encoding="utf-8")
        (out / "report.html").write_text(_html(blocks, out), encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot write the report to {out} ({exc.strerror or exc}); the store is untouched: "
                         "free some space or pass another writable folder, then write the report again") \
            from None
    return out / "report.html"


# ------------------------------------------------------------------------------ data
def _names(db: Path, known: list[str], run: str | None, compare: Sequence[str] | None) -> list[str]:
    """The runs to report, checked against the store's."""
    if compare is None:
        names = [known[-1] if run is None else run]
    else:
        if isinstance(compare, str) or len(compare) < 2 or len(set(compare)) != len(compare):
            raise ValueError(f"compare takes two or more different run names, got {compare!r}; runs in {db}: "
                             f"{known}")
        if run is not None and run != compare[0]:
            raise ValueError(f"run {run!r} is not the first run of compare={compare!r}; pass one of them")
        names = list(compare)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown run(s) {unknown} in {db}; expected one of {known}")
    return names


def _load(db: Path, run: str | None, compare: Sequence[str] | None) -> tuple[list[RunData], list[str]]:
    """The chosen runs with their statistics, and the notes of a comparison's restriction.

    Raises:
        ValueError: no store, no runs, an unknown or empty run (naming the runs in the store), or
            compared runs that share no task and set.
    """
    if not db.is_file():
        raise ValueError(f"no results database at {db}; run `colosseum-lite eval --db {db}` first")
    with Store(db, readonly=True) as store:
        known = store.runs()
        if not known:
            raise ValueError(f"{db} holds no runs; evaluate a policy into it first")
        names = _names(db, known, run, compare)
        infos, rows = {}, {}
        for name in names:
            info = store.run_info(name)
            assert info is not None  # _names keeps the runs the store holds
            infos[name] = info
            rows[name] = store.rows(name)
            if not rows[name]:
                raise ValueError(f"run {name!r} in {db} has no finished episodes; run or resume it with "
                                 f"evaluate(..., run={name!r}) first")
    notes: list[str] = []
    if len(names) > 1:
        shared = shared_cells(rows, {n: infos[n][2] for n in names})
        rows, notes = shared.rows, list(shared.notes)
    out = []
    for name in names:
        policy, version, config, created = infos[name]
        cells, sets = run_stats(rows[name], config.get("obs_mode"))
        out.append(RunData(name, policy, version, created, config, rows[name], cells, sets))
    return out, notes


def _write_results(path: Path, runs: list[RunData]) -> None:
    """One CSV line per episode, every store column."""
    names = [f.name for f in fields(EpisodeRow)]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([n.rstrip("_") for n in names])
        for row in (row for r in runs for row in r.rows):
            values = [getattr(row, n) for n in names]
            writer.writerow(["" if v is None else int(v) if isinstance(v, bool) else v.value
                             if isinstance(v, Status) else v for v in values])


SUMMARY_COLUMNS = ("run", "level", "task", "set", "n", "successes", "rate", "wilson_low", "wilson_high",
                   "tasks", "nominal_rate", "change_pct", "change_low", "change_high", "flips_lost",
                   "flips_gained", "mcnemar_p", "observed")


def _write_summary(path: Path, runs: list[RunData]) -> None:
    """Per (task, set) lines (level ``task_set``), then per set lines (level ``set``); rates in [0, 1].

    ``observed`` is 0 for a set the run's observations cannot see (its change columns are empty).
    """
    num = lambda x: "" if math.isnan(x) else round(x, 6)  # noqa: E731
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(SUMMARY_COLUMNS)
        for r in runs:
            for c in r.cells:
                writer.writerow([r.run, "task_set", c.task, c.set_name, c.n, c.successes, num(c.rate), num(c.low),
                                 num(c.high), *[""] * 8, int(c.observed)])
            for s in r.sets:
                writer.writerow([r.run, "set", "", s.set_name, "", "", num(s.rate), "", "", ";".join(s.tasks),
                                 num(s.nominal_rate), num(s.change_pct), num(s.change_low), num(s.change_high),
                                 s.flips_lost, s.flips_gained, num(s.mcnemar_p), int(s.observed)])


def _when(iso: str) -> str:
    """An ISO 8601 UTC time as the report shows it: ``2026-01-01 00:00:00 UTC`` (breaks at the space)."""
    return iso.replace("T", " ").replace("+00:00", " UTC")


def _document(runs: list[RunData], db: Path, frames: bool, shots: list[tuple[str, str]],
              skipped: list[str], notes: Sequence[str] = ()) -> list[Block]:
    """The report as renderer-neutral blocks; ``notes`` say what a comparison left out."""
    two = len(runs) > 1
    info = [[r.run, r.policy, r.version, _when(r.created_at), f"{_when(min(e.finished_at for e in r.rows))} to "
             f"{_when(max(e.finished_at for e in r.rows))}", str(len(r.rows)), str(len({e.task for e in r.rows})),
             str(r.config.get("episodes", "?")), str(r.config.get("seed", "?"))] for r in runs]
    blocks: list[Block] = [
        ("h", 1, "colosseum-lite report: " + " vs ".join(r.run for r in runs)),
        ("table", ["run", "policy", "version", "created", "episodes finished", "episodes", "tasks",
                   "per (task, set)", "seed"], info),
        ("p", f"Store: {db}. Report generated {now_iso()}. Success per set is averaged over the tasks where "
              "the set applies; % change is against no_perturbation on the same tasks and paired episodes "
              f"(same seeds), with a 95% paired bootstrap interval ({BOOTSTRAP_RESAMPLES} resamples, seed "
              f"{BOOTSTRAP_SEED}; eval's summary shows the same numbers); it is n/a where the unperturbed success "
              "is 0. Sets come in the reference's Fig. 5 order. Flips count paired episodes that succeeded "
              "unperturbed and failed perturbed (lost) or the reverse (gained); McNemar p is the exact "
              "two-sided test of the flips. Policy errors count as failures; timeouts and infrastructure "
              "errors say nothing of the policy and are left out (rerun the run to retry them).")]
    if two:
        keys = run_keys([r.run for r in runs])
        named = [] if keys == [r.run for r in runs] else [("table", ["key", "run"], [[k, r.run] for k, r in zip(
            keys, runs, strict=True)])]
        blocks += [("h", 2, "Comparison"), *(("p", note) for note in notes), *named,
                   compare_table([(r.run, r.cells, r.sets) for r in runs])]
    blocks += [("h", 2, "Degradation per perturbation set"), ("img", "degradation.png", "degradation")]
    for r in runs:
        blocks += ([("h", 3, f"Run {r.run}")] if two else []) + [set_table(r.cells, r.sets)]
        blocks += [("p", note) for note in (unobserved_note(r.sets, r.config.get("obs_mode"), r.run),
                                            na_note(r.sets)) if note]
    blocks += [("h", 2, "Success per task and set"), ("img", "heatmap.png", "heatmap")]
    for r in runs:
        blocks += ([("h", 3, f"Run {r.run}")] if two else []) + [cell_table(r.cells, r.rows)]
    blocks.append(("h", 2, "Errors"))
    for r in runs:
        errors = [e for e in r.rows if e.status is not Status.OK]
        counts = Counter(e.status for e in errors)
        kinds = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
        blocks.append(("p", f"Run {r.run}: {len(errors)} of {len(r.rows)} episodes ended in an error"
                            + (f" ({kinds}); the first {min(len(errors), MAX_ERRORS)}:" if errors else ".")))
        if errors:
            blocks.append(("table", ["task", "set", "episode", "status", "error"],
                           [[e.task, e.set_name, str(e.episode), e.status.value, e.error or ""]
                            for e in errors[:MAX_ERRORS]]))
    if frames:
        blocks += [("h", 2, "Frames"), ("p", "Front camera, first stored episode of each set (first task that "
                                             "has it), rebuilt by replaying its seed and sampled parameters.")]
        blocks += [("grid", shots)] if shots else []
        blocks += [("p", "Frames that could not be rebuilt: " + "; ".join(skipped))] if skipped else []
    return blocks


# What starts inline formatting anywhere; "_" only at a word's edge (mo_color stays readable).
MD_SPECIAL = re.compile(r"([\\`*{}\[\]<>#|$~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_escape(text: str) -> str:
    """User text as literal Markdown: specials backslashed, one line."""
    return MD_SPECIAL.sub(lambda m: "\\" + m.group(0), str(text)).replace("\r", " ").replace("\n", " ")


def _markdown(blocks: list[Block]) -> str:
    """GitHub-flavoured Markdown; images by relative path; every text escaped."""
    line = lambda r: "| " + " | ".join(md_escape(c) for c in r) + " |"  # noqa: E731
    parts = []
    for kind, *args in blocks:
        if kind == "h":
            parts.append("#" * args[0] + " " + md_escape(args[1]))
        elif kind == "p":
            parts.append(md_escape(args[0]))
        elif kind == "table":
            rule = "|" + "|".join(" ---: " if right else " --- " for right in numeric_columns(args[1])) + "|"
            parts.append("\n".join([line(args[0]), rule, *map(line, args[1])]))
        elif kind == "img":
            parts.append(f"![{md_escape(args[1])}]({args[0]})")
        elif kind == "grid":
            parts.append("\n".join(f"![{md_escape(c)}]({p})" for p, c in args[0]))
    return "\n\n".join(parts) + "\n"


# Tables sit in a box that scrolls sideways, and long texts (run names, paths, errors: td.long) break
# anywhere, so no table is wider than the page; short names (sets, tasks) keep their words whole.
LONG_CELL = 30
CSS = """body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;
max-width:1100px;margin:2em auto;padding:0 1em}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
h1,h2,h3,p,td.long,figcaption{overflow-wrap:anywhere}th,td{overflow-wrap:break-word}
.table{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}th,td{padding:3px 9px;border-bottom:1px solid #e4e4e4;
text-align:left;vertical-align:top}th{background:#f3f3f3}.num{text-align:right}td.num{white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}img{max-width:100%}.grid{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;width:256px}figcaption{font-size:12px;color:#555}"""


def _cell(tag: str, text: str, number: bool) -> str:
    """One table cell: numbers right-aligned (class num), long texts breakable anywhere (class long)."""
    kind = "num" if number else "long" if tag == "td" and len(text) > LONG_CELL else ""
    attr = f' class="{kind}"' if kind else ""
    return f"<{tag}{attr}>{html.escape(text)}</{tag}>"


def _html(blocks: list[Block], out: Path) -> str:
    """One self-contained page: inline CSS, images as base64 data URIs, no scripts."""
    esc = html.escape
    src = lambda p: "data:image/png;base64," + base64.b64encode((out / p).read_bytes()).decode()  # noqa: E731
    body = []
    for kind, *args in blocks:
        if kind == "h":
            body.append(f"<h{args[0]}>{esc(args[1])}</h{args[0]}>")
        elif kind == "p":
            body.append(f"<p>{esc(args[0])}</p>")
        elif kind == "table":
            right = numeric_columns(args[1])
            lines = [(args[0], "th"), *((r, "td") for r in args[1])]
            rows = "".join("<tr>" + "".join(_cell(tag, v, n) for v, n in zip(r, right, strict=True)) + "</tr>"
                           for r, tag in lines)
            body.append(f'<div class="table"><table>{rows}</table></div>')
        elif kind == "img":
            body.append(f'<p><img alt="{esc(args[1])}" src="{src(args[0])}"></p>')
        elif kind == "grid":
            body.append('<div class="grid">' + "".join(
                f'<figure><img alt="{esc(c)}" src="{src(p)}"><figcaption>{esc(c)}</figcaption></figure>'
                for p, c in args[0]) + "</div>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(blocks[0][2])}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


__all__ = ["RunData", "write_report"]
