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
from dataclasses import fields
from pathlib import Path

from colosseum_lite.eval.metrics import NO_PERTURBATION, NOT_OBSERVED, Outcome, SetStats, cell_stats, set_stats
from colosseum_lite.eval.plots import (
    RunData,
    plot_degradation,
    plot_heatmap,
    render_frames,
    set_key,
)
from colosseum_lite.eval.store import EpisodeRow, Status, Store, now_iso
from colosseum_lite.perturbations import ALL

MAX_ERRORS = 5
DASH = "–"
Block = tuple  # ("h", level, text) | ("p", text) | ("table", header, rows) | ("img", path, alt) | ("grid", shots)


def write_report(db: str | Path, out_dir: str | Path, run: str | None = None,
                 compare: tuple[str, str] | None = None, frames: bool = True) -> Path:
    """Write the report of one run, or of two runs side by side, into ``out_dir``.

    Files: ``results.csv`` (one line per episode), ``summary.csv`` (per task x set and per set),
    ``degradation.png``, ``heatmap.png``, ``frames/<set>.png`` (when ``frames``), ``report.md``
    and a self-contained ``report.html``.

    Args:
        db: the SQLite store written by ``evaluate``.
        out_dir: folder for the report (created if missing).
        run: the run to report; by default the newest run in the store.
        compare: two run names to report side by side (``run``, if given, must be the first).
        frames: rebuild one front-camera frame per set by replaying its first stored episode.

    Returns:
        The path of ``report.html``.

    Raises:
        ValueError: no store at ``db``, an unknown or empty run, or an unwritable ``out_dir``.
    """
    runs = _load(Path(db), run, compare)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_results(out / "results.csv", runs)
        _write_summary(out / "summary.csv", runs)
        plot_degradation(runs, out / "degradation.png")
        plot_heatmap(runs, out / "heatmap.png")
        shots, skipped = render_frames(runs, out) if frames else ([], [])
        blocks = _document(runs, Path(db), frames, shots, skipped)
        (out / "report.md").write_text(_markdown(blocks), encoding="utf-8")
        (out / "report.html").write_text(_html(blocks, out), encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot write the report to {out} ({exc.strerror or exc}); the store is untouched: "
                         "free some space or pass another writable folder, then write the report again") \
            from None
    return out / "report.html"


# ------------------------------------------------------------------------------ data
def _load(db: Path, run: str | None, compare: tuple[str, str] | None) -> list[RunData]:
    """The chosen runs with their statistics; raises ValueError naming the runs in the store."""
    if not db.is_file():
        raise ValueError(f"no results database at {db}; run `colosseum-lite evaluate --db {db}` first")
    with Store(db, readonly=True) as store:
        known = store.runs()
        if not known:
            raise ValueError(f"{db} holds no runs; evaluate a policy into it first")
        if compare is not None:
            if len(compare) != 2 or compare[0] == compare[1]:
                raise ValueError(f"compare takes two different run names, got {compare!r}; runs in {db}: {known}")
            if run is not None and run != compare[0]:
                raise ValueError(f"run {run!r} is not the first run of compare={compare!r}; pass one of them")
            names = list(compare)
        else:
            names = [known[-1] if run is None else run]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown run(s) {unknown} in {db}; expected one of {known}")
        out = []
        for name in names:
            policy, version, config, created = store.run_info(name)
            rows = store.rows(name)
            if not rows:
                raise ValueError(f"run {name!r} in {db} has no finished episodes; run or resume it with "
                                 f"evaluate(..., run={name!r}) first")
            outcomes = [Outcome(r.task, r.set_name, r.episode, r.success and r.status is Status.OK)
                        for r in rows if r.counted]
            obs_mode = config.get("obs_mode")
            out.append(RunData(name, policy, version, created, config, rows,
                               sorted(cell_stats(outcomes, obs_mode), key=lambda c: (c.task, set_key(c.set_name))),
                               sorted(set_stats(outcomes, obs_mode=obs_mode), key=lambda s: set_key(s.set_name))))
    return out


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


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.1f}%"


def _signed(x: float, unit: str = "%") -> str:
    return "n/a" if math.isnan(x) else f"{x:+.1f}{unit}"


def _change(s: SetStats | None) -> str:
    """A set's % change, or why there is none."""
    return "n/a" if s is None else _signed(s.change_pct) if s.observed else NOT_OBSERVED


def _set_table(r: RunData) -> Block:
    """The per-set table (Fig. 5 numbers) of one run, nominal first; unseen sets say "not observed"."""
    count, nominal = r.nominal_rate()
    rows = [[NO_PERTURBATION, str(count), _pct(nominal), DASH, DASH, DASH, DASH]]
    for s in r.sets:
        if not s.observed:
            rows.append([s.set_name, str(len(s.tasks)), _pct(s.rate), _pct(s.nominal_rate), NOT_OBSERVED, DASH,
                         DASH])
            continue
        ci = "" if math.isnan(s.change_low) else f" [{s.change_low:+.1f}, {s.change_high:+.1f}]"
        rows.append([s.set_name, str(len(s.tasks)), _pct(s.rate), _pct(s.nominal_rate), _signed(s.change_pct) + ci,
                     f"{s.flips_lost} / {s.flips_gained}", f"{s.mcnemar_p:#.2g}"])
    return ("table", ["set", "tasks", "success", "nominal", "% change [95% CI]", "flips lost / gained",
                      "McNemar p"], rows)


def _cell_table(r: RunData) -> Block:
    """The per (task, set) table of one run."""
    rows = [[c.task, c.set_name, str(c.n), str(c.successes), _pct(c.rate) + ("" if c.observed else
             f" ({NOT_OBSERVED})"), f"{_pct(c.low)} to {_pct(c.high)}"] for c in r.cells]
    return ("table", ["task", "set", "n", "successes", "success", "95% Wilson CI"], rows)


def _compare_table(a: RunData, b: RunData) -> Block:
    """Success and % change of two runs per set, and B minus A in percentage points."""
    sa, sb = ({s.set_name: s for s in r.sets} for r in (a, b))
    na, nb = a.nominal_rate()[1], b.nominal_rate()[1]
    rows = [[NO_PERTURBATION, _pct(na), DASH, _pct(nb), DASH, _signed(100 * (nb - na), " pp"), DASH]]
    for name in sorted(set(sa) | set(sb), key=set_key):
        a_set, b_set = sa.get(name), sb.get(name)
        ra, rb = (s.rate if s else math.nan for s in (a_set, b_set))
        ca, cb = (s.change_pct if s else math.nan for s in (a_set, b_set))
        both = all(s is None or s.observed for s in (a_set, b_set))
        rows.append([name, _pct(ra), _change(a_set), _pct(rb), _change(b_set), _signed(100 * (rb - ra), " pp"),
                     _signed(cb - ca, " pp") if both else NOT_OBSERVED])
    return ("table", ["set", f"{a.run} success", f"{a.run} % change", f"{b.run} success", f"{b.run} % change",
                      f"success {b.run} - {a.run}", f"% change {b.run} - {a.run}"], rows)


def _unobserved_note(r: RunData) -> list[Block]:
    """One line naming the sets the run's observations cannot see, and why (nothing when none)."""
    unseen = [s.set_name for s in r.sets if not s.observed]
    if not unseen:
        return []
    mode = r.config.get("obs_mode")
    return [("p", f"Not observed: run {r.run} gave the policy {mode} observations, which cannot see "
                  f"{', '.join(unseen)}: these "
                  "axes change only camera images, so their episodes repeat their unperturbed twins for any "
                  "policy and measure no robustness (evaluate with --obs-mode rgb to measure them)"
                  + (f"; under {mode} observations, {ALL} measures only its other axes." if any(
                      s.set_name == ALL and s.observed for s in r.sets) else "."))]


def _document(runs: list[RunData], db: Path, frames: bool, shots: list[tuple[str, str]],
              skipped: list[str]) -> list[Block]:
    """The report as renderer-neutral blocks."""
    two = len(runs) > 1
    info = [[r.run, r.policy, r.version, r.created_at, f"{min(e.finished_at for e in r.rows)} to "
             f"{max(e.finished_at for e in r.rows)}", str(len(r.rows)), str(len({e.task for e in r.rows})),
             str(r.config.get("episodes", "?")), str(r.config.get("seed", "?"))] for r in runs]
    blocks: list[Block] = [
        ("h", 1, "colosseum-lite report: " + " vs ".join(r.run for r in runs)),
        ("table", ["run", "policy", "version", "created", "episodes finished", "episodes", "tasks",
                   "per (task, set)", "seed"], info),
        ("p", f"Store: {db}. Report generated {now_iso()}. Success per set is averaged over the tasks where "
              "the set applies; % change is against no_perturbation on the same tasks and paired episodes "
              "(same seeds), with a 95% bootstrap interval. Flips count paired episodes that succeeded "
              "unperturbed and failed perturbed (lost) or the reverse (gained); McNemar p is the exact "
              "two-sided test of the flips. Policy errors count as failures; timeouts and infrastructure "
              "errors say nothing of the policy and are left out (rerun the run to retry them).")]
    if two:
        blocks += [("h", 2, "Comparison"), _compare_table(*runs)]
    blocks += [("h", 2, "Degradation per perturbation set"), ("img", "degradation.png", "degradation")]
    for r in runs:
        blocks += ([("h", 3, f"Run {r.run}")] if two else []) + [_set_table(r)] + _unobserved_note(r)
    blocks += [("h", 2, "Success per task and set"), ("img", "heatmap.png", "heatmap")]
    for r in runs:
        blocks += ([("h", 3, f"Run {r.run}")] if two else []) + [_cell_table(r)]
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


def _numeric_columns(rows: list[list[str]]) -> list[bool]:
    """Which table columns hold only numbers (right-aligned)."""
    number = re.compile(rf"^([-+]?\d|{DASH}$|n/a)")
    return [all(number.match(c) for c in col) for col in zip(*rows, strict=True)]


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
            rule = "|" + "|".join(" ---: " if right else " --- " for right in _numeric_columns(args[1])) + "|"
            parts.append("\n".join([line(args[0]), rule, *map(line, args[1])]))
        elif kind == "img":
            parts.append(f"![{md_escape(args[1])}]({args[0]})")
        elif kind == "grid":
            parts.append("\n".join(f"![{md_escape(c)}]({p})" for p, c in args[0]))
    return "\n\n".join(parts) + "\n"


CSS = """body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;
max-width:1100px;margin:2em auto;padding:0 1em}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}th,td{padding:3px 9px;border-bottom:1px solid #e4e4e4;
text-align:left;vertical-align:top}th{background:#f3f3f3}.num{text-align:right;white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}img{max-width:100%}.grid{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;width:256px}figcaption{font-size:12px;color:#555}"""


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
            cls = [' class="num"' if right else "" for right in _numeric_columns(args[1])]
            body.append("<table>" + "".join("<tr>" + "".join(f"<{tag}{c}>{esc(v)}</{tag}>" for c, v in zip(
                cls, r, strict=True)) + "</tr>" for r, tag in [(args[0], "th"), *((r, "td") for r in args[1])])
                + "</table>")
        elif kind == "img":
            body.append(f'<p><img alt="{esc(args[1])}" src="{src(args[0])}"></p>')
        elif kind == "grid":
            body.append('<div class="grid">' + "".join(
                f'<figure><img alt="{esc(c)}" src="{src(p)}"><figcaption>{esc(c)}</figcaption></figure>'
                for p, c in args[0]) + "</div>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(blocks[0][2])}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


__all__ = ["RunData", "write_report"]
