"""Tests of colosseum_lite.perturbations."""
