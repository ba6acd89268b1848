"""Registers one Gymnasium id per task: ``ColosseumLite/<CamelName>-v0``."""

from __future__ import annotations

import gymnasium as gym

from colosseum_lite.tasks import TASKS, env_id


def register_all() -> list[str]:
    """Register every task (idempotent); returns the ids."""
    ids = []
    for name, cls in TASKS.items():
        eid = env_id(name)
        if eid not in gym.registry:
            gym.register(
                id=eid,
                entry_point="colosseum_lite.env:ColosseumEnv",
                kwargs={"task": name},
                max_episode_steps=cls.max_episode_steps,
            )
        ids.append(eid)
    return ids
