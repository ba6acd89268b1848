"""Policies: the protocol, the built-in oracle and random policies, ``load_policy`` and ``check_policy``."""

from __future__ import annotations

from colosseum_lite.policies.base import Policy
from colosseum_lite.policies.loading import BUILTIN_POLICIES, check_policy, load_policy
from colosseum_lite.policies.oracle import OraclePolicy
from colosseum_lite.policies.random_policy import RandomPolicy

__all__ = ["BUILTIN_POLICIES", "OraclePolicy", "Policy", "RandomPolicy", "check_policy", "load_policy"]
