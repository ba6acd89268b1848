"""Small helpers shared by the runner, backend and CLI tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

ROOT = Path(__file__).parents[1]
SCRIPTED_POLICIES = ROOT / "tests" / "scripted_policies.py"  # policies that misbehave on seed 1


def count_rows(db: Path) -> int:
    """Episodes in a store, read while a sweep may be writing it (0 until there is a table)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0]
    except sqlite3.Error:
        return 0


def oracle_episodes(task: str, seeds, **make_kwargs) -> list:
    """The oracle's :class:`~colosseum_lite.eval.rollout.EpisodeResult` on each seed, in an env made
    with ``make_kwargs`` (keyframe control unless named)."""
    import gymnasium as gym

    from colosseum_lite import env_id
    from colosseum_lite.eval.rollout import run_episode
    from colosseum_lite.policies import load_policy

    env = gym.make(env_id(task), **{"control_mode": "ee_keyframe", **make_kwargs})
    try:
        policy = load_policy("oracle", env)
        return [run_episode(env, policy, seed) for seed in seeds]
    finally:
        env.close()
