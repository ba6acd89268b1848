"""Figures of evaluation runs: the degradation chart, the task x set heatmap and replayed frames.

matplotlib is imported only when a figure is drawn, on the headless Agg backend.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from colosseum_lite.eval.metrics import NO_PERTURBATION, NOT_OBSERVED, SET_ORDER, CellStats, SetStats, set_key
from colosseum_lite.eval.store import EpisodeRow, Status
from colosseum_lite.perturbations import ALL

if TYPE_CHECKING:
    from colosseum_lite.env import ColosseumEnv

FRAME_PX = 256
ELLIPSIS = "\u2026"
BREAK_AFTER = "/\\_-.:, "  # where a long name may break: after path separators and punctuation
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunData:
    """One run's metadata, episode rows and derived statistics."""

    run: str
    policy: str
    version: str
    created_at: str
    config: dict[str, Any]
    rows: list[EpisodeRow]
    cells: list[CellStats]
    sets: list[SetStats]


def _lines(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` characters, after a separator where one is near."""
    lines = []
    while len(text) > width:
        cut = max(text.rfind(c, 0, width) for c in BREAK_AFTER) + 1
        cut = cut if cut > width // 2 else width
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*lines, text] if text or not lines else lines


def wrap_label(text: str, width: int, max_lines: int = 3) -> str:
    """User text (a run name, a policy file path) as at most ``max_lines`` lines of ``width`` characters.

    Lines break after path separators and punctuation where one is near, anywhere otherwise; text
    that does not fit loses its middle (an ellipsis), keeping its start and its end (the file name).
    """
    width, text = max(4, width), " ".join(str(text).split())
    keep = width * max_lines
    lines = _lines(text, width)
    while len(lines) > max_lines and keep > 2:
        keep -= max(1, width // 4)
        head = keep * 2 // 5
        lines = _lines(text[:head] + ELLIPSIS + text[len(text) - (keep - head - 1):], width)
    return "\n".join(lines[:max_lines])


# ------------------------------------------------------------------------------ figures
def pyplot() -> Any:
    """matplotlib.pyplot on the headless Agg backend (imported only when a report is drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plain_text(draw: Callable[..., T]) -> Callable[..., T]:
    """Draw with mathtext off: run names and errors are user text, and ``$\\foo$`` must print as is."""
    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with pyplot().rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)
    return wrapper


def label(r: RunData) -> str:
    """A run as the figures name it: its name, and its policy when that differs."""
    return r.run if r.run == r.policy else f"{r.run} ({r.policy})"


def _chars(fig: Any, fontsize: float, share: float = 1.0) -> int:
    """About how many characters of ``fontsize`` points fit in ``share`` of the figure's width."""
    return int(share * fig.get_figwidth() * 72 / (0.6 * fontsize))


def texts_outside(fig: Any) -> list[str]:
    """Every visible text (and legend) of a drawn-now figure that reaches past the figure's edges."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer, box = fig.canvas.get_renderer(), fig.bbox
    items = [(t.get_text(), t) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    items += [("legend", leg) for leg in fig.legends]
    out = []
    for text, artist in items:
        e = artist.get_window_extent(renderer)
        if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1:
            out.append(text)
    return out


def _fit(fig: Any, texts: Sequence[tuple[Any, str, int, int]]) -> None:
    """Rewrap user texts narrower until the figure holds every text: (artist, text, width, lines) each."""
    shrink = 1.0
    for _ in range(8):
        if not texts_outside(fig):
            return
        shrink *= 0.8
        for artist, text, width, lines in texts:
            artist.set_text(wrap_label(text, int(width * shrink), lines))


def _distinct(texts: Sequence[str], width: int, lines: int) -> list[str]:
    """Run labels to wrap: where wrapping would make two alike, their shared start, then their shared
    end, give way to an ellipsis (cut at a separator), so what tells them apart stays."""
    def alike(t: Sequence[str]) -> bool:
        wrapped = [wrap_label(x, width, lines) for x in t]
        return len(set(wrapped)) < len(wrapped)

    texts = list(texts)
    if len(texts) < 2 or not alike(texts) or len(set(texts)) < len(texts):
        return texts
    head = os.path.commonprefix(texts)
    cut = max(head.rfind("/"), head.rfind("\\")) + 1 or max(head.rfind(c) for c in BREAK_AFTER) + 1
    if cut > 0:
        texts = [ELLIPSIS + t[cut:] for t in texts]
    if alike(texts):
        tail = os.path.commonprefix([t[::-1] for t in texts])[::-1]
        keep = min(len(t) - len(tail) for t in texts)
        cut = min((tail.find(c) for c in BREAK_AFTER if c in tail), default=-1)
        if cut >= 0:
            texts = [t[:len(t) - len(tail) + cut + 1] + ELLIPSIS for t in texts]
        elif keep > 0:
            texts = [t[:len(t) - len(tail)] + ELLIPSIS for t in texts]
    return texts


@plain_text
def degradation_figure(runs: list[RunData]) -> Any:
    """Grouped bars of % change per set with bootstrap whiskers and value labels, in Fig. 5 order.

    A set the run did not observe gets a "not observed" label instead of a bar; a set whose
    unperturbed success is 0 has no relative change and says "n/a". Run names (often long policy
    file paths) are wrapped and, past three lines, shortened in the middle, so every title and
    legend stays inside the figure.

    Returns:
        The matplotlib figure (close it with ``pyplot().close(fig)``).
    """
    plt = pyplot()
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    names = sorted({s.set_name for r in runs for s in r.sets}, key=set_key)
    fig, ax = plt.subplots(figsize=(max(5.5, 1.6 + 0.5 * len(names) * (1 + 0.4 * (len(runs) - 1))), 4.0),
                           constrained_layout=True)
    x, width, ends = np.arange(len(names)), 0.8 / len(runs), [-10.0, 10.0]
    unseen: list[float] = []  # bar positions of sets a run did not observe
    for i, r in enumerate(runs):
        by = {s.set_name: s for s in r.sets}
        for p, name in zip(x + (i - (len(runs) - 1) / 2) * width, names, strict=True):
            s = by.get(name)
            if s is None:
                continue
            if not s.observed:  # the run's observations cannot see the set: no bar, not a 0% one
                unseen.append(p)
                continue
            if math.isnan(s.change_pct):  # nominal success was 0: no relative change
                ax.text(p, 1, "n/a", rotation=90, ha="center", va="bottom", fontsize=6.5, color="0.4")
                continue
            lo, hi = (s.change_pct,) * 2 if math.isnan(s.change_low) else (s.change_low, s.change_high)
            err = [[max(0.0, s.change_pct - lo)], [max(0.0, hi - s.change_pct)]]
            ax.bar(p, s.change_pct, width * 0.9, yerr=err, color=f"C{i}", capsize=2.5, zorder=2,
                   error_kw={"elinewidth": 0.9, "ecolor": "0.25", "capthick": 0.9})
            down, text = s.change_pct < 0, f"{s.change_pct:+.0f}%".replace("+0%", "0%").replace("-0%", "0%")
            ax.annotate(text, (p, lo if down else hi), xytext=(0, -3 if down else 3), textcoords="offset points",
                        ha="center", va="top" if down else "bottom", fontsize=6.5)
            ends += [lo, hi]
    pad = 0.12 * (max(ends) - min(ends))
    ax.set_ylim(min(ends) - pad, max(ends) + pad)
    for p in unseen:
        ax.text(p, (min(ends) + max(ends)) / 2, NOT_OBSERVED, rotation=90, ha="center", va="center", fontsize=7,
                color="0.4", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.axhline(0, color="0.15", lw=0.8, zorder=3)
    if ALL in names and len(names) > 1:
        ax.axvline(names.index(ALL) - 0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xticks(x, names, rotation=40, ha="right", rotation_mode="anchor", fontsize=9)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_ylabel("change in success rate\nvs no_perturbation", fontsize=9)
    ax.yaxis.grid(True, color="0.88", lw=0.8, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    fits: list[tuple[Any, str, int, int]] = []
    fig.suptitle("Success-rate change per perturbation set\n(task-averaged, whiskers: 95% bootstrap interval)",
                 fontsize=9.5)
    if len(runs) == 1:
        name, chars = label(runs[0]), _chars(fig, 9, 0.9)
        fits.append((ax.set_title(wrap_label(name, chars, 2), fontsize=9), name, chars, 2))
    else:
        cols = min(len(runs), 3)
        chars = max(12, _chars(fig, 8.5, 1 / cols) - 7)  # a column less its colour patch and spacing
        texts = _distinct([label(r) for r in runs], chars, 2)
        handles = [Patch(color=f"C{i}", label=wrap_label(t, chars, 2)) for i, t in enumerate(texts)]
        legend = fig.legend(handles=handles, frameon=False, fontsize=8.5, loc="outside lower center", ncols=cols)
        fits += [(artist, t, chars, 2) for artist, t in zip(legend.get_texts(), texts, strict=True)]
    _fit(fig, fits)
    return fig


@plain_text
def plot_degradation(runs: list[RunData], path: Path) -> None:
    """Save :func:`degradation_figure` as a PNG at 200 dpi."""
    fig = degradation_figure(runs)
    fig.savefig(path, dpi=200)
    pyplot().close(fig)


@plain_text
def heatmap_figure(runs: list[RunData]) -> Any:
    """Task x set success rates, one panel per run, rate printed in every cell that exists.

    A cell the run's observations cannot see is grey and says "not observed" instead of a rate.
    Panel titles (run names, often long paths) are wrapped to stay inside the figure.

    Returns:
        The matplotlib figure (close it with ``pyplot().close(fig)``).
    """
    plt = pyplot()
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import PercentFormatter

    tasks = sorted({c.task for r in runs for c in r.cells})
    names = sorted({c.set_name for r in runs for c in r.cells}, key=set_key)
    fig, axes = plt.subplots(len(runs), 1, sharex=True, squeeze=False, constrained_layout=True,
                             figsize=(max(4.5, 2.6 + 0.62 * len(names)),
                                      1.1 + len(runs) * (0.7 + 0.36 * len(tasks))))
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    image = None
    fits: list[tuple[Any, str, int, int]] = []
    chars = _chars(fig, 9, 0.75)
    for ax, r in zip(axes[:, 0], runs, strict=True):
        grid = np.full((len(tasks), len(names)), np.nan)
        unseen = []
        for c in r.cells:
            if c.observed:
                grid[tasks.index(c.task), names.index(c.set_name)] = c.rate
            else:
                unseen.append((tasks.index(c.task), names.index(c.set_name)))
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(grid):
            if not math.isnan(v):
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7.5,
                        color="white" if v < 0.6 else "black")
        for i, j in unseen:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color="0.88", zorder=1))
            ax.text(j, i, NOT_OBSERVED.replace(" ", "\n"), ha="center", va="center", fontsize=6, color="0.35",
                    zorder=2)
        ax.set_yticks(range(len(tasks)), tasks, fontsize=8.5)
        ax.set_xticks(np.arange(len(names) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(tasks) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="0.85", lw=0.8)
        ax.tick_params(which="minor", length=0)
        name = f"run {label(r)}"
        fits.append((ax.set_title(wrap_label(name, chars, 2), fontsize=9, loc="left"), name, chars, 2))
    axes[-1, 0].set_xticks(range(len(names)), names, rotation=40, ha="right", rotation_mode="anchor", fontsize=8.5)
    fig.colorbar(image, ax=axes[:, 0].tolist(), format=PercentFormatter(1.0), fraction=0.04, pad=0.01,
                 label="success rate")
    any_unseen = any(not c.observed for r in runs for c in r.cells)
    note = "blank: set does not apply" + ("; grey: the run's observations cannot see it" if any_unseen else "")
    fig.suptitle("Success rate per task and perturbation set\n" + wrap_label(f"({note})", _chars(fig, 10), 2),
                 fontsize=10)
    _fit(fig, fits)
    return fig


@plain_text
def plot_heatmap(runs: list[RunData], path: Path) -> None:
    """Save :func:`heatmap_figure` as a PNG at 200 dpi."""
    fig = heatmap_figure(runs)
    fig.savefig(path, dpi=200)
    pyplot().close(fig)


def render_frames(runs: list[RunData], out: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Replay the first clean episode of each set; returns (relative path, caption) pairs and skip notes."""
    import gymnasium as gym

    from colosseum_lite.eval.runner import SweepConfig
    from colosseum_lite.gallery import summarize
    from colosseum_lite.tasks import env_id

    picks: dict[str, tuple[RunData, EpisodeRow]] = {}
    for r in runs:
        for row in sorted(r.rows, key=lambda e: (e.task, e.episode)):
            if row.status is Status.OK:
                picks.setdefault(row.set_name, (r, row))
    all_sets = {row.set_name for r in runs for row in r.rows}
    skipped = [f"{name}: every episode ended in an error" for name in sorted(all_sets - set(picks), key=set_key)]
    (out / "frames").mkdir(exist_ok=True)
    shots = []
    for name in sorted(picks, key=set_key):
        r, row = picks[name]
        modes = {"obs_mode": r.config.get("obs_mode", "state"),
                 "control_mode": r.config.get("control_mode", "ee_keyframe")}
        config = SweepConfig(r.run, r.policy, r.version, overrides=r.config.get("overrides") or {},
                             env_kwargs=r.config.get("env_kwargs") or {}, **modes)
        try:
            params = json.loads(row.params)
            env = gym.make(env_id(row.task), perturbations=config.perturbations(row.task, name), **modes,
                           **config.env_kwargs)
            try:
                env.reset(seed=row.seed, options={"perturbation": params})
                img = cast("ColosseumEnv", env.unwrapped).camera_image("front", FRAME_PX)[0]
            finally:
                env.close()
        except Exception as exc:  # noqa: BLE001 - a frame that cannot be rebuilt is reported, not fatal
            skipped.append(f"{name} ({row.task}, episode {row.episode}): {type(exc).__name__}: {exc}")
            continue
        caption = ("nominal scene" if name == NO_PERTURBATION else "no stored parameters" if not params
                   else f"{len(params)} axes at once" if name == ALL else summarize(name, params.get(name, {})))
        save_frame(img, f"{name}  |  {row.task}", f"episode {row.episode}, seed {row.seed}: {caption}"[:60],
                    out / "frames" / f"{name}.png")
        shots.append((f"frames/{name}.png", f"{name}: {row.task}, episode {row.episode}; {caption}"))
    return shots, skipped


@plain_text
def save_frame(img: np.ndarray, title: str, caption: str, path: Path) -> None:
    """The frame under a two-line label, drawn at twice its pixel size for crisp text."""
    plt = pyplot()
    h, w = img.shape[:2]
    total = h + 34  # label strip, px
    fig = plt.figure(figsize=(w / 100, total / 100))
    ax = fig.add_axes((0, 0, 1, h / total))
    ax.imshow(img, interpolation="nearest")
    ax.axis("off")
    fig.text(4 / w, 1 - 11 / total, title, fontsize=7.5, weight="bold", va="center")
    fig.text(4 / w, 1 - 25 / total, caption, fontsize=6.2, color="0.3", va="center")
    fig.savefig(path, dpi=200)
    plt.close(fig)



__all__ = ["SET_ORDER", "RunData", "degradation_figure", "heatmap_figure", "label", "plot_degradation",
           "plot_heatmap", "render_frames", "set_key", "texts_outside", "wrap_label"]
