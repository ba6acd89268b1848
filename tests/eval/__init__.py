"""Tests of colosseum_lite.eval."""
