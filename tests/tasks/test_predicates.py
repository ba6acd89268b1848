"""Shared geometric predicates."""

from __future__ import annotations

import numpy as np

from colosseum_lite.tasks.predicates import (
    all_in_oriented_rect,
    box_corners,
    in_oriented_rect,
)


def test_in_oriented_rect_respects_rotation():
    assert in_oriented_rect((0.09, 0.0), (0, 0), (0.1, 0.02), 0.0)
    assert not in_oriented_rect((0.09, 0.0), (0, 0), (0.1, 0.02), np.pi / 2)
    assert in_oriented_rect((0.0, 0.09), (0, 0), (0.1, 0.02), np.pi / 2)
    assert in_oriented_rect((1.05, 2.0, 5.0), (1.0, 2.0), (0.06, 0.06), 0.3)



def test_box_corners_follow_the_pose_and_all_must_lie_in_the_rect():
    quarter = (0.0, 0.0, np.sin(np.pi / 8), np.cos(np.pi / 8))  # 45 degrees about z
    corners = box_corners((1.0, 2.0, 0.5), quarter, (0.1, 0.1, 0.1))
    assert corners.shape == (8, 3)
    np.testing.assert_allclose(sorted(np.hypot(corners[:, 0] - 1.0, corners[:, 1] - 2.0)), [0.1 * np.sqrt(2)] * 8)
    np.testing.assert_allclose(sorted(set(np.round(corners[:, 2], 9))), [0.4, 0.6])
    assert all_in_oriented_rect(corners, (1.0, 2.0), (0.12, 0.12), np.pi / 4)
    assert not all_in_oriented_rect(corners, (1.0, 2.0), (0.12, 0.12), 0.0)  # the corners stick out
