"""Policies: the protocol, the built-ins (oracle, random, top-down random, idle) and the loaders."""

from __future__ import annotations

from colosseum_lite.policies.base import Policy
from colosseum_lite.policies.loading import BUILTIN_POLICIES, check_policy, load_policy
from colosseum_lite.policies.oracle import OraclePolicy
from colosseum_lite.policies.random_policy import IdlePolicy, RandomPolicy, TopDownRandomPolicy

__all__ = ["BUILTIN_POLICIES", "IdlePolicy", "OraclePolicy", "Policy", "RandomPolicy", "TopDownRandomPolicy",
           "check_policy", "load_policy"]
