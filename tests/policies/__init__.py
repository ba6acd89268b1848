"""Tests of colosseum_lite.policies."""
