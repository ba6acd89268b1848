"""Shared geometric predicates."""

from __future__ import annotations

import numpy as np

from colosseum_lite.tasks.predicates import (
    all_in_oriented_rect,
    box_corners,
    in_box,
    in_oriented_rect,
    joint_near,
    only_one_open,
    rests_on,
    within_xy,
)


def test_in_oriented_rect_respects_rotation():
    assert in_oriented_rect((0.09, 0.0), (0, 0), (0.1, 0.02), 0.0)
    assert not in_oriented_rect((0.09, 0.0), (0, 0), (0.1, 0.02), np.pi / 2)
    assert in_oriented_rect((0.0, 0.09), (0, 0), (0.1, 0.02), np.pi / 2)
    assert in_oriented_rect((1.05, 2.0, 5.0), (1.0, 2.0), (0.06, 0.06), 0.3)


def test_in_box_and_within_xy_and_joint_near():
    assert in_box((0, 0, 0), (-1, -1, -1), (1, 1, 1))
    assert not in_box((0, 0, 1.5), (-1, -1, -1), (1, 1, 1))
    assert within_xy((0, 0, 9), (0.03, 0.04, -9), 0.05)
    assert not within_xy((0, 0), (0.04, 0.04), 0.05)
    assert joint_near(0.1, 0.0, 0.1) and not joint_near(0.2, 0.0, 0.1)


def test_rests_on_a_surface_within_tolerance():
    assert rests_on(0.002, 0.0, 0.005) and rests_on(-0.004, 0.0, 0.005)
    assert not rests_on(0.12, 0.0, 0.005)


def test_only_one_open_needs_the_chosen_joint_open_and_the_others_shut():
    assert only_one_open((0.2, 0.01, 0.0), 0, 0.15, 0.03)
    assert not only_one_open((0.2, 0.05, 0.0), 0, 0.15, 0.03)
    assert not only_one_open((0.1, 0.0, 0.0), 0, 0.15, 0.03)
    assert only_one_open((0.0, 0.0, 0.16), 2, 0.15, 0.03)


def test_box_corners_follow_the_pose_and_all_must_lie_in_the_rect():
    quarter = (0.0, 0.0, np.sin(np.pi / 8), np.cos(np.pi / 8))  # 45 degrees about z
    corners = box_corners((1.0, 2.0, 0.5), quarter, (0.1, 0.1, 0.1))
    assert corners.shape == (8, 3)
    np.testing.assert_allclose(sorted(np.hypot(corners[:, 0] - 1.0, corners[:, 1] - 2.0)), [0.1 * np.sqrt(2)] * 8)
    np.testing.assert_allclose(sorted(set(np.round(corners[:, 2], 9))), [0.4, 0.6])
    assert all_in_oriented_rect(corners, (1.0, 2.0), (0.12, 0.12), np.pi / 4)
    assert not all_in_oriented_rect(corners, (1.0, 2.0), (0.12, 0.12), 0.0)  # the corners stick out
