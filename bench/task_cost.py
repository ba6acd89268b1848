"""What each task costs a sweep, against the mean task, in one process (state mode).

Per task: the oracle's episodes (seeds 0..N-1) and, as the proxy of a learned policy that fails
and so spends its whole budget, random top-down keyframes (seeds 7000..): median keyframes,
substeps, wall time per episode and wall time per substep, and each task's episode time over the
mean task's. The issues ask that no task make a sweep slower than 2x the mean task.

Run: ``python bench/task_cost.py [--tasks a,b] [--episodes 10] [--random-episodes 3] [--json out]``.
About 3 minutes on one core for the twenty tasks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from throughput import episodes  # noqa: E402

from colosseum_lite import TASKS  # noqa: E402

POLICIES = {"oracle": 0, "top_down_random": 7000}  # policy: first seed


def measure(task: str, policy: str, n: int) -> dict:
    eps = episodes(task, policy, range(POLICIES[policy], POLICIES[policy] + n))
    med = {k: statistics.median(e[k] for e in eps) for k in ("keyframes", "substeps", "wall_s")}
    med["us_per_substep"] = 1e6 * sum(e["wall_s"] for e in eps) / sum(e["substeps"] for e in eps)
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="all")
    ap.add_argument("--episodes", type=int, default=10, help="oracle episodes per task")
    ap.add_argument("--random-episodes", type=int, default=3, help="top-down random episodes per task")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tasks = sorted(TASKS) if args.tasks == "all" else args.tasks.split(",")
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        sys.exit(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(sorted(TASKS))}")
    counts = {"oracle": args.episodes, "top_down_random": args.random_episodes}
    rows = {t: {p: measure(t, p, counts[p]) for p in POLICIES} for t in tasks}
    mean = {p: statistics.mean(r[p]["wall_s"] for r in rows.values()) for p in POLICIES}
    print("| task | oracle: keyframes, substeps, wall s, us/substep, x mean | top-down random: the same |")
    print("|---|---|---|")
    for t, r in rows.items():
        cells = [f"{r[p]['keyframes']:.0f}, {r[p]['substeps']:.0f}, {r[p]['wall_s']:.2f}, "
                 f"{r[p]['us_per_substep']:.0f}, {r[p]['wall_s'] / mean[p]:.2f}x" for p in POLICIES]
        print(f"| {t} | {' | '.join(cells)} |")
    print(f"| mean task | {mean['oracle']:.2f} s | {mean['top_down_random']:.2f} s |")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "mean_wall_s": mean}, indent=1))


if __name__ == "__main__":
    main()
