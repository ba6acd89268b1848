"""Sweep throughput: episodes per second with 1 and 2 local workers, and the README sweep.

Two policies: the oracle in state mode, and the random policy in rgb mode (128x128 front and
wrist images rendered every step, the cost a vision policy pays). Each is timed with 1 and 2
workers on the same episodes in this process; the speedup is the ratio.
Run: ``python bench/sweep.py [--episodes 6]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from colosseum_lite.eval.runner import evaluate

CASES = {
    "oracle, state": {"policy": "oracle", "obs_mode": "state"},
    "random, rgb 128px": {"policy": "random", "obs_mode": "rgb"},
}


def timed(workers: int, episodes: int, tmp: Path, tasks: str = "all", sets: str = "no_perturbation,all",
          **case) -> float:
    """Episodes per second of one sweep (a fresh store; worker start-up and env builds included)."""
    db = tmp / f"w{workers}_{case['policy']}_{case['obs_mode']}_{abs(hash((tasks, sets)))}.sqlite"
    t = time.perf_counter()
    result = evaluate(tasks=tasks, sets=sets, episodes=episodes, workers=workers, db=str(db),
                      progress=False, **case)
    return len(result.rows) / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=6)
    parser.add_argument("--readme", action="store_true", help="also time the README's first sweep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, case in CASES.items():
            one = timed(1, args.episodes, tmp, **case)
            two = timed(2, args.episodes, tmp, **case)
            print(f"{name:18s}: 1 worker {one:5.2f} ep/s, 2 workers {two:5.2f} ep/s, speedup {two / one:.2f}x")
        if args.readme:
            t = time.perf_counter()
            evaluate("oracle", tasks="all", sets="all", episodes=3, workers=2, db=str(tmp / "readme.sqlite"),
                     obs_mode="state", progress=False)
            print(f"README sweep (oracle, all tasks, all sets, 3 episodes): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
