"""The run report: files, exact table cells, a self-contained page, comparisons and bad input.

Synthetic stores with hand-made rows keep these fast; one test replays a real tiny sweep for frames.
"""

from __future__ import annotations

import csv
import html
import json
import re

import pytest

from colosseum_lite.eval.report import write_report
from colosseum_lite.eval.store import EpisodeRow, Status, Store

TASK_A, TASK_B = "close_box", "slide_block_to_target"
# successes per episode 0..3 of run "a"; hand-computed numbers are in the tests below
OUTCOMES = {
    (TASK_A, "no_perturbation"): [1, 1, 1, 1],
    (TASK_A, "mo_color"): [1, 0, 1, 1],
    (TASK_A, "all"): [0, 0, 1, 0],
    (TASK_B, "no_perturbation"): [1, 1, 0, 0],
    (TASK_B, "mo_color"): [0, 1, 1, 0],
    (TASK_B, "all"): [0, 0, 0, 0],
}
ERROR = "RuntimeError: the policy fell over | badly (at policy.py:3)"


def _fill(store: Store, run: str, policy: str, outcomes: dict, error_at: tuple | None = None,
          obs_mode: str = "rgb") -> int:
    store.start_run(run, {"policy": policy, "version": "0.1.0", "episodes": 4, "seed": 0, "obs_mode": obs_mode,
                          "control_mode": "ee_keyframe", "overrides": {}})
    n = 0
    for (task, set_name), wins in outcomes.items():
        for episode, win in enumerate(wins):
            error = ERROR if (task, set_name, episode) == error_at else None
            store.add(EpisodeRow(run, policy, "0.1.0", task, set_name, episode, episode, "{}", bool(win), 10,
                                 float(win), 0.5, error, "2026-01-01T00:00:00+00:00",
                                 Status.OK if error is None else Status.POLICY_ERROR))
            n += 1
    return n


@pytest.fixture
def db(tmp_path):
    """A store with run "a" (24 episodes, one errored) and run "b" (everything solved)."""
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        _fill(store, "a", "random", OUTCOMES, error_at=(TASK_B, "all", 3))
        _fill(store, "b", "oracle", {key: [1, 1, 1, 1] for key in OUTCOMES})
    return path


def _cells(page: str) -> str:
    """The page's table rows as ``|cell|cell|...|`` text."""
    return re.sub(r"</t[dh]></tr>", "|", re.sub(r"<t[dh][^>]*>", "|", re.sub(r"</t[dh]><t", "<t", page)))


def _csv(path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_writes_every_file_with_hand_computed_numbers(db, tmp_path):
    out = tmp_path / "report"
    page = write_report(db, out, run="a", frames=False)
    assert page == out / "report.html"
    for name in ("results.csv", "summary.csv", "degradation.png", "heatmap.png", "report.md", "report.html"):
        assert (out / name).is_file(), name
    for name in ("degradation.png", "heatmap.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert not (out / "frames").exists()

    results = _csv(out / "results.csv")
    assert len(results) == 24
    assert {"run", "task", "set_name", "episode", "seed", "params", "success", "return", "error"} <= set(
        results[0])
    assert sum(r["error"] == ERROR for r in results) == 1

    summary = _csv(out / "summary.csv")
    assert [r["level"] for r in summary].count("task_set") == 6
    mo_color = next(r for r in summary if r["level"] == "set" and r["set"] == "mo_color")
    assert float(mo_color["rate"]) == pytest.approx(0.625)
    assert float(mo_color["nominal_rate"]) == pytest.approx(0.75)
    assert (mo_color["flips_lost"], mo_color["flips_gained"]) == ("2", "1")

    text = page.read_text()
    cells = _cells(text)
    assert f"|{TASK_A}|mo_color|4|3|75.0%|" in cells  # close_box under mo_color: 3 of 4
    assert '<td class="num">75.0%</td>' in text
    # mo_color over both tasks: (75% + 50%) / 2 = 62.5% against (100% + 50%) / 2 = 75.0%: -16.7%;
    # flips: close_box loses episode 1, slide_block loses 0 and gains 2; McNemar p = 2 * 4/8 = 1.0
    assert re.search(r"\|mo_color\|2\|62\.5%\|75\.0%\|-16\.7% \[[-+.\d]+, [-+.\d]+\]\|2 / 1\|1\.0\|", cells)
    assert "|all|2|12.5%|75.0%|-83.3% [" in cells  # all: (25% + 0%) / 2 = 12.5%
    assert text.count("data:image/png;base64,") == 2
    assert not re.search(r"(src|href)=\"(https?:)?//", text) and "<script" not in text and "<link" not in text
    assert "1 of 24 episodes ended in an error" in text and "badly (at policy.py:3)" in text

    md = (out / "report.md").read_text()
    assert "![degradation](degradation.png)" in md and "![heatmap](heatmap.png)" in md
    assert "| mo_color | 2 | 62.5% | 75.0% | -16.7% \\[" in md
    assert "fell over \\| badly" in md  # a pipe in a message does not break the table
    assert md.index("| mo_color |") < md.index("| all |")  # Fig. 5 order: axes, then all


def test_defaults_to_the_newest_run(db, tmp_path):
    text = write_report(db, tmp_path / "r", frames=False).read_text()
    assert "colosseum-lite report: b</title>" in text


def test_compare_reports_both_runs_side_by_side(db, tmp_path):
    out = tmp_path / "cmp"
    text = write_report(db, out, compare=("a", "b"), frames=False).read_text()
    assert len(_csv(out / "results.csv")) == 48
    assert {r["run"] for r in _csv(out / "summary.csv")} == {"a", "b"}
    assert "<h2>Comparison</h2>" in text and "|set|a success|a % change|b success|b % change|" in _cells(text)
    # mo_color: a 62.5%, -16.7%; b 100.0%, +0.0%; b - a: +37.5 pp and +16.7 pp
    assert "|mo_color|62.5%|-16.7%|100.0%|+0.0%|+37.5 pp|+16.7 pp|" in _cells(text)
    assert "<h3>Run a</h3>" in text and "<h3>Run b</h3>" in text
    assert text.count("data:image/png;base64,") == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"run": "nope"}, r"unknown run\(s\) \['nope'\].*expected one of \['a', 'b'\]"),
    ({"compare": ("a", "nope")}, r"unknown run\(s\) \['nope'\]"),
    ({"compare": ("a", "a")}, "two or more different run names"),
    ({"run": "b", "compare": ("a", "b")}, "not the first run"),
], ids=["unknown-run", "unknown-compare", "same-twice", "run-not-first"])
def test_bad_run_names_list_the_runs(db, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_report(db, tmp_path / "r", frames=False, **kwargs)


def test_empty_store_empty_run_and_missing_file(tmp_path):
    path = tmp_path / "empty.sqlite"
    Store(path).close()
    with pytest.raises(ValueError, match="holds no runs"):
        write_report(path, tmp_path / "r")
    with Store(path) as store:
        store.start_run("started", {"policy": "random", "version": "0.1.0"})
    with pytest.raises(ValueError, match="run 'started' .* has no finished episodes"):
        write_report(path, tmp_path / "r")
    with pytest.raises(ValueError, match="no results database"):
        write_report(tmp_path / "missing.sqlite", tmp_path / "r")
    assert not (tmp_path / "missing.sqlite").exists()


def test_unwritable_out_dir_is_named(db, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=f"cannot write the report to {re.escape(str(blocker / 'out'))}"):
        write_report(db, blocker / "out", frames=False)


def test_a_frame_that_cannot_be_rebuilt_is_skipped_and_reported(tmp_path):
    path = tmp_path / "bad.sqlite"
    with Store(path) as store:
        store.start_run("r", {"policy": "random", "version": "0.1.0"})
        for set_name, params in (("no_perturbation", "{}"), ("mo_color", json.dumps({"bogus": {}}))):
            store.add(EpisodeRow("r", "random", "0.1.0", TASK_B, set_name, 0, 0, params, False, 1, 0.0, 0.1, None,
                                 "2026-01-01T00:00:00+00:00"))
    out = tmp_path / "r"
    text = write_report(path, out).read_text()
    assert (out / "frames" / "no_perturbation.png").is_file() and not (out / "frames" / "mo_color.png").exists()
    assert "Frames that could not be rebuilt: mo_color (slide_block_to_target, episode 0): ValueError" in text


def test_frames_replay_a_real_sweep(tmp_path):
    from colosseum_lite.eval.runner import evaluate

    db = tmp_path / "real.sqlite"
    evaluate("oracle", tasks=TASK_B, sets="mo_color", episodes=1, workers=1, db=str(db), obs_mode="state",
             progress=False)
    out = tmp_path / "r"
    text = write_report(db, out).read_text()
    assert re.search(r"\|mo_color\|1\|[\d.]+%\|[\d.]+%\|not observed\|", _cells(text))  # state obs: no colours
    perturbed, nominal = (out / "frames" / "mo_color.png"), (out / "frames" / "no_perturbation.png")
    assert perturbed.is_file() and nominal.is_file()
    assert perturbed.read_bytes() != nominal.read_bytes()
    assert text.count("data:image/png;base64,") == 4
    assert "could not be rebuilt" not in text


def test_user_text_is_printed_as_is_never_parsed(tmp_path):
    path = tmp_path / "odd.sqlite"
    run = r"$\foo$ *bold* [link](x) __init__"
    with Store(path) as store:
        _fill(store, run, "random", {(TASK_A, "no_perturbation"): [1, 0], (TASK_A, "mo_color"): [0, 0]},
              error_at=(TASK_A, "mo_color", 1))
    out = tmp_path / "r"
    write_report(path, out, frames=False)  # matplotlib would raise on the mathtext $\foo$
    md = (out / "report.md").read_text()
    assert r"\$\\foo\$ \*bold\* \[link\](x) \_\_init\_\_" in md
    assert "*bold*" not in md and "[link](x)" not in md
    assert (out / "degradation.png").read_bytes()[:4] == b"\x89PNG"


def test_sets_a_state_run_cannot_see_are_not_observed(tmp_path):
    path = tmp_path / "state.sqlite"
    outcomes = {(TASK_A, "no_perturbation"): [1, 1, 0, 1], (TASK_A, "mo_color"): [1, 1, 0, 1],
                (TASK_A, "mo_size"): [1, 0, 0, 1], (TASK_A, "all"): [0, 0, 0, 1]}
    with Store(path) as store:
        _fill(store, "s", "oracle", outcomes, obs_mode="state")
        _fill(store, "v", "oracle", outcomes)
    out = tmp_path / "r"
    text = write_report(path, out, run="s", frames=False).read_text()
    cells = _cells(text)
    assert "|mo_color|1|75.0%|75.0%|not observed|–|–|" in cells  # not "+0.0%"
    assert re.search(r"\|mo_size\|1\|50\.0%\|75\.0%\|-33\.3% \[", cells)
    assert f"|{TASK_A}|mo_color|4|3|75.0% (not observed)|" in cells
    assert ("Not observed: run s gave the policy state observations, which cannot see mo_color: these axes change "
            "only camera images") in text and "all measures only its other axes" in text
    summary = {r["set"]: r for r in _csv(out / "summary.csv") if r["level"] == "set"}
    assert summary["mo_color"]["observed"] == "0" and summary["mo_color"]["change_pct"] == ""
    assert summary["mo_size"]["observed"] == "1"
    assert (out / "degradation.png").read_bytes()[:4] == b"\x89PNG"

    text = write_report(path, tmp_path / "c", compare=("s", "v"), frames=False).read_text()
    assert "|mo_color|75.0%|not observed|75.0%|+0.0%|+0.0 pp|not observed|" in _cells(text)
    assert "Not observed: run v" not in text


# ------------------------------------------------------------------------------ comparisons
LONG = "/home/researcher/experiments/2026-12-01/sweep_lr3e-4_bs256/checkpoints/diffusion_policy_epoch_{:04d}.pt"


def test_a_comparison_keeps_only_the_tasks_and_sets_every_run_has_and_says_so(tmp_path):
    path = tmp_path / "partial.sqlite"
    wide = {**OUTCOMES, (TASK_A, "mo_size"): [0, 0, 0, 0]}  # run a: both tasks, and mo_size on close_box
    narrow = {key: wins for key, wins in OUTCOMES.items() if key[0] == TASK_A}  # run b: close_box only
    with Store(path) as store:
        _fill(store, "a", "random", wide)
        _fill(store, "b", "oracle", {key: [1, 1, 1, 1] for key in narrow})
    out = tmp_path / "cmp"
    text = write_report(path, out, compare=["a", "b"], frames=False).read_text()
    assert (f"Left out, because not every run has it: task {TASK_B} (only in run a); set mo_size (only in run a)."
            in text)
    assert "(16 of run a)" in text  # slide_block's 12 episodes and close_box's 4 under mo_size
    results = _csv(out / "results.csv")
    assert {r["task"] for r in results} == {TASK_A} and {r["set_name"] for r in results} == {
        "no_perturbation", "mo_color", "all"}
    # a on close_box alone: mo_color 75% against 100%: -25.0%; b solves everything: +0.0%
    assert "|mo_color|75.0%|-25.0%|100.0%|+0.0%|+25.0 pp|+25.0 pp|" in _cells(text)
    summary = {(r["run"], r["set"]): r for r in _csv(out / "summary.csv") if r["level"] == "set"}
    assert summary[("a", "mo_color")]["tasks"] == TASK_A and ("a", "mo_size") not in summary


def test_runs_sharing_nothing_cannot_be_compared(tmp_path):
    path = tmp_path / "apart.sqlite"
    with Store(path) as store:
        _fill(store, "a", "random", {(TASK_A, "no_perturbation"): [1]})
        _fill(store, "b", "random", {(TASK_B, "no_perturbation"): [1]})
    with pytest.raises(ValueError, match="runs a, b share no task and set"):
        write_report(path, tmp_path / "r", compare=["a", "b"], frames=False)
    assert not (tmp_path / "r").exists()


def test_three_runs_with_long_names_are_keyed_and_every_table_fits_the_page(tmp_path):
    path = tmp_path / "three.sqlite"
    names = [LONG.format(100), LONG.format(200), "oracle"]
    with Store(path) as store:
        for name, wins in zip(names, ([1, 0, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1]), strict=True):
            _fill(store, name, name, {key: wins for key in OUTCOMES})
    text = write_report(path, tmp_path / "r", compare=names, frames=False).read_text()
    cells = _cells(text)
    assert f"|A|{names[0]}|" in cells and f"|B|{names[1]}|" in cells and "|C|oracle|" in cells
    assert "|set|A success|A % change|B success|B % change|C success|C % change|success B - A|% change B - A|" \
           "success C - A|% change C - A|" in cells
    # Every table sits in a box that scrolls sideways, inside the page, and long names may break anywhere.
    assert text.count("<table>") == text.count('<div class="table"><table>') == 9
    assert ".table{max-width:100%;overflow-x:auto}" in text
    assert re.search(r"[,}]td\.long[,{][^}]*overflow-wrap:anywhere", text)
    assert f'<td class="long">{names[0]}</td>' in text and "<td>mo_color</td>" in text  # set names stay whole
    assert "th.num" not in text and "td.num{white-space:nowrap}" in text  # headers wrap, numbers do not
    assert "body{" in text and "max-width:1100px" in text


@pytest.mark.parametrize("count", [1, 2, 3])
def test_titles_and_legends_stay_inside_the_figures(tmp_path, count):
    from colosseum_lite.eval.plots import degradation_figure, heatmap_figure, pyplot, texts_outside

    path = tmp_path / "long.sqlite"
    names = [LONG.format(100 * (i + 1)) + "/" + "x" * 150 for i in range(count)]
    with Store(path) as store:
        for name in names:
            _fill(store, name, "pickle:" + name, OUTCOMES)
    from colosseum_lite.eval.report import _load

    runs, _ = _load(path, None, names if count > 1 else None)
    assert len(runs) == count
    for build in (degradation_figure, heatmap_figure):
        fig = build(runs)
        try:
            assert texts_outside(fig) == [], build.__name__
            if count > 1 and build is degradation_figure:
                (legend,) = fig.legends
                labels = [t.get_text() for t in legend.get_texts()]
                assert len(set(labels)) == count and all("\u2026" in t for t in labels)  # shortened, distinct
                for i, text in enumerate(labels):  # what tells the runs apart stays
                    assert f"epoch_{100 * (i + 1):04d}" in text.replace("\n", ""), text
        finally:
            pyplot().close(fig)


def test_wrap_label_breaks_after_separators_and_elides_the_middle():
    from colosseum_lite.eval.plots import wrap_label

    assert wrap_label("short", 20) == "short"
    assert wrap_label("/a/bb/ccc/dddd/eeeee", 10) == "/a/bb/ccc/\ndddd/eeeee"
    long = wrap_label("/" + "abcdefgh/" * 30 + "model.pt", 30, 2)
    lines = long.split("\n")
    assert len(lines) == 2 and all(len(line) <= 30 for line in lines)
    assert lines[0].startswith("/abcdefgh/") and lines[-1].endswith("model.pt") and "\u2026" in long


# ------------------------------------------------------------------------------ the summary and the report agree
def _summary_rows(text: str, first_column: str) -> list[list[str]]:
    """The rows of the summary's table whose header starts with ``first_column``, split into cells."""
    blocks = text.split("\n\n")
    block = next(b for b in blocks if b.startswith(first_column + " "))
    return [re.split(r"\s{2,}", line.strip()) for line in block.splitlines()[2:]]


def _html_rows(page: str, header: str) -> list[list[str]]:
    """The rows of the HTML table whose first header cell is ``header``."""
    for table in re.findall(r"<table>(.*?)</table>", page, re.S):
        rows = [[html.unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
                for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
        if rows[0][0] == header:
            return rows[1:]
    raise AssertionError(f"no table headed {header!r}")


def test_the_terminal_summary_and_the_report_agree(tmp_path):
    from colosseum_lite.cli import summary_table

    path = tmp_path / "agree.sqlite"
    outcomes = {  # written out of the canonical order on purpose
        (TASK_B, "all"): [0, 1, 0, 0, 1, 0], (TASK_B, "object_mass"): [1, 0, 0, 1, 1, 0],
        (TASK_B, "mo_color"): [1, 1, 0, 1, 0, 1], (TASK_B, "no_perturbation"): [1, 1, 0, 1, 1, 0],
        (TASK_A, "no_perturbation"): [0, 0, 0, 0, 0, 0], (TASK_A, "mo_size"): [0, 1, 0, 0, 0, 0],
        (TASK_A, "all"): [0, 0, 0, 0, 0, 0], (TASK_A, "mo_color"): [1, 0, 0, 0, 0, 0],
    }
    with Store(path) as store:
        _fill(store, "s", "random", outcomes, error_at=(TASK_B, "object_mass", 5), obs_mode="state")
        store.add(EpisodeRow("s", "random", "0.1.0", TASK_B, "object_mass", 6, 6, "{}", False, 3, 0.0, 9.0,
                             "EpisodeTimeout", "2026-01-01T00:00:00+00:00", Status.TIMEOUT))
        rows = store.rows("s")
    text = summary_table(rows, "state", "s")
    page = write_report(path, tmp_path / "r", frames=False).read_text()
    sets = _summary_rows(text, "set")
    assert sets == _html_rows(page, "set")
    assert _summary_rows(text, "task") == _html_rows(page, "task")
    assert [r[0] for r in sets] == ["no_perturbation", "mo_color", "mo_size", "object_mass", "all"]  # Fig. 5 order
    by = {r[0]: r for r in sets}
    assert by["mo_color"][4] == "not observed" and by["object_mass"][4].startswith("-")
    assert by["mo_size"][4] == "n/a" and by["mo_size"][5:] == ["0 / 1", "1.0"]  # close_box never succeeded
    words = re.sub(r"data:image/png;base64,[^\"]*", "", page)
    assert not re.search(r"\bnan\b", text, re.I) and not re.search(r"\bnan\b", words, re.I)
    for note in ("n/a: mo_size had no unperturbed success on their tasks, so no relative change exists",
                 "Not observed: run s gave the policy state observations, which cannot see mo_color"):
        assert note in text and note in page
