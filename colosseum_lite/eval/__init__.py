"""Evaluation: running policies on tasks and summarising what happened."""

from colosseum_lite.eval.rollout import EpisodeResult, run_episode

__all__ = ["EpisodeResult", "run_episode"]
