"""setup_chess: only every piece standing on its own square and let go counts, the set resets still with the
displaced pieces in reach at every size, and the oracle solves the fixed seeds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from colosseum_lite.sim import Pose, quat_from_euler, to_world
from colosseum_lite.tasks.base import take_snapshot
from colosseum_lite.tasks.setup_chess import BOARD, PIECES, REACH_X_M, REACH_Y_M
from tests.tasks.conftest import oracle_solves


def _put(sim, task, name: str, square_of: str, lift_m: float = 0.0, roll_rad: float = 0.0) -> None:
    """A piece standing (or tipped by ``roll_rad``) on the square of ``square_of``, ``lift_m`` above the board."""
    board = sim.pose("board")
    local = (*task.square(square_of), BOARD.thickness_m + task._pieces[name].mass_centre_m + lift_m)
    sim.set_pose(name, Pose(tuple(to_world(board.pos, board.quat, local)),
                            quat_from_euler(roll_rad, 0.0, board.yaw_rad)))


def _away(sim, task) -> list[str]:
    return [p for p in PIECES if not task.home(p)(take_snapshot(sim, task.body_names()))]


@pytest.mark.parametrize("mo", [0.75, 1.25])
def test_only_every_piece_upright_on_its_own_square_and_let_go_counts(world, mo):
    w = world("setup_chess", mo=mo, seed=5, variant="3")
    sim, task = w.sim, w.task
    away = _away(sim, task)
    assert len(away) == 3 and not task.success(take_snapshot(sim, task.body_names()), "3")
    for p in away:
        _put(sim, task, p, p, 0.002)
    sim.step(120)
    snap = take_snapshot(sim, task.body_names())
    assert task.success(snap, "3") and task.dense_reward(snap, "3") == 1.0
    assert not task.success(replace(snap, grasped=frozenset({away[0]})), "3")  # still held
    shortcuts = {"held over its square": (0.03, 0.0), "lying on its square": (0.011 * mo, np.pi / 2),
                 "tipped on its square": (0.0, 0.35)}
    for what, (lift, roll) in shortcuts.items():
        _put(sim, task, away[0], away[0], lift, roll)
        assert not task.success(take_snapshot(sim, task.body_names()), "3"), what
    _put(sim, task, away[0], away[1])  # two displaced pieces on each other's squares
    _put(sim, task, away[1], away[0])
    assert not task.success(take_snapshot(sim, task.body_names()), "3")
    board = sim.pose("board")  # standing on the table beside the board
    sim.set_pose(away[0], Pose(tuple(to_world(board.pos, board.quat, (BOARD.half_m + 0.04, 0.0, 0.0)))))
    _put(sim, task, away[1], away[1])
    assert not task.success(take_snapshot(sim, task.body_names()), "3")


@pytest.mark.parametrize("mo", [0.75, 1.0, 1.25])
def test_every_size_resets_the_set_still_with_the_displaced_pieces_in_reach(world, mo):
    w = world("setup_chess", mo=mo)
    sim, task = w.sim, w.task
    for seed in range(4):
        variant = str(seed % 3 + 1)
        task.reset(sim, np.random.default_rng(seed), variant)
        start = {p: np.asarray(sim.pose(p).pos) for p in PIECES}
        sim.step(240)
        for p in PIECES:
            assert np.linalg.norm(np.asarray(sim.pose(p).pos) - start[p]) < 0.003, (seed, p)  # stands still
            assert not any(sim.contacts(p, o) for o in PIECES if o != p), (seed, p)
        away = _away(sim, task)
        assert len(away) == int(variant), (seed, away)
        board = sim.pose("board")
        for p in away:  # its square lies in the hand's top-down reach
            x, y, _ = to_world(board.pos, board.quat, (*task.square(p), 0.0))
            assert REACH_X_M[0] <= x <= REACH_X_M[1] and abs(y) <= REACH_Y_M, (seed, p)


@pytest.mark.parametrize("mo", [0.75, 1.25])
def test_oracle_solves_the_size_extremes(world, mo):
    assert sum(oracle_solves(world("setup_chess", mo=mo, seed=s, variant="3"), "3") for s in range(3)) >= 2


def test_oracle_solves_the_fixed_seeds(world):
    variants = [str(s % 3 + 1) for s in range(10)]
    solved = [oracle_solves(world("setup_chess", seed=s, variant=v), v) for s, v in enumerate(variants)]
    assert sum(solved) >= 9, solved
