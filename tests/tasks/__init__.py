"""Tests of colosseum_lite.tasks."""
