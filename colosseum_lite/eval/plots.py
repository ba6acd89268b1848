"""Figures of evaluation runs: the degradation chart, the task x set heatmap and replayed frames.

matplotlib is imported only when a figure is drawn, on the headless Agg backend.
"""

from __future__ import annotations

import functools
import json
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from colosseum_lite.eval.metrics import NO_PERTURBATION, NOT_OBSERVED, CellStats, SetStats
from colosseum_lite.eval.store import EpisodeRow, Status
from colosseum_lite.perturbations import ALL, AXES

SET_ORDER = (NO_PERTURBATION, *AXES, ALL)  # the reference's Fig. 5 order, framed by nominal and "all"
FRAME_PX = 256
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

    def nominal_rate(self) -> tuple[int, float]:
        """Number of tasks with a no_perturbation cell and their average success rate."""
        rates = [c.rate for c in self.cells if c.set_name == NO_PERTURBATION]
        return len(rates), float(np.mean(rates)) if rates else math.nan


def set_key(name: str) -> tuple[int, str]:
    """Sort key of a set name: Fig. 5 order, unknown names last."""
    return (SET_ORDER.index(name) if name in SET_ORDER else len(SET_ORDER), name)


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
    return r.run if r.run == r.policy else f"{r.run} ({r.policy})"


@plain_text
def plot_degradation(runs: list[RunData], path: Path) -> None:
    """Grouped bars of % change per set with bootstrap whiskers and value labels, in Fig. 5 order.

    A set the run did not observe gets a "not observed" label instead of a bar.
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
    title = f"Success-rate change per perturbation set: {' vs '.join(label(r) for r in runs)}"
    width = max(40, int(fig.get_figwidth() * 13))  # characters a line of 9.5 pt text holds
    ax.set_title(textwrap.fill(title, width) + "\n(task-averaged, whiskers: 95% bootstrap interval)",
                 fontsize=9.5)
    if len(runs) > 1:
        handles = [Patch(color=f"C{i}", label=label(r)) for i, r in enumerate(runs)]
        fig.legend(handles=handles, frameon=False, fontsize=8.5, loc="outside lower center", ncols=len(runs))
    fig.savefig(path, dpi=200)
    plt.close(fig)


@plain_text
def plot_heatmap(runs: list[RunData], path: Path) -> None:
    """Task x set success rates, one panel per run, rate printed in every cell that exists.

    A cell the run's observations cannot see is grey and says "not observed" instead of a rate.
    """
    plt = pyplot()
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import PercentFormatter

    tasks = sorted({c.task for r in runs for c in r.cells})
    names = sorted({c.set_name for r in runs for c in r.cells}, key=set_key)
    fig, axes = plt.subplots(len(runs), 1, sharex=True, squeeze=False, constrained_layout=True,
                             figsize=(2.6 + 0.62 * len(names), 0.9 + len(runs) * (0.5 + 0.36 * len(tasks))))
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    image = None
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
        ax.set_title(f"run {label(r)}", fontsize=9, loc="left")
    axes[-1, 0].set_xticks(range(len(names)), names, rotation=40, ha="right", rotation_mode="anchor", fontsize=8.5)
    fig.colorbar(image, ax=axes[:, 0].tolist(), format=PercentFormatter(1.0), fraction=0.04, pad=0.01,
                 label="success rate")
    unseen = any(not c.observed for r in runs for c in r.cells)
    fig.suptitle("Success rate per task and perturbation set\n(blank: set does not apply"
                 + ("; grey: the run's observations cannot see it)" if unseen else ")"), fontsize=10)
    fig.savefig(path, dpi=200)
    plt.close(fig)


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
                img = env.unwrapped.camera_image("front", FRAME_PX)[0]
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


# ------------------------------------------------------------------------------ document
