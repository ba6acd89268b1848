"""setup_chess: put the displaced chess pieces (1, 2 or 3: the variant) back on their squares.

Task: a chess board (ro), one fixed body, with the 32 pieces (mo) of a set; the variant's number of them
stand off their squares, on the empty middle of the board.
Randomizations: layout centre and yaw (+-pi), which pieces are displaced (among those whose squares the
hand reaches top-down), their waiting spots along the middle of the board and their yaw, variant.
mo_color recolours the white side in one colour (the black side keeps black, so the sides stay apart);
mo_texture textures the white pieces; mo_size scales every piece by one draw.
Success: every piece's centre within 1 cm of its own square's centre, standing upright on the board,
and no piece grasped.
Oracle: per displaced piece, a top-down grasp of its column with the fingers closing along the board's
diagonal (the room between a square's neighbours; retried once), lift over the set, carry it over its
square, lower it onto it (its offset in the hand read at the carry height), let go, lift: 7, 15 or 23
keyframes of the 25.
Dense reward: per displaced piece, reach it, carry it over its square, lower it and let go; 1.0 only at
success.
Departures from the reference: procedural pieces (a column and a top per kind), weighted on a round
foot (one resting contact each: the step cost of 32 pieces stays near the mean task's).
Why, with the measurements: docs/tasks/setup_chess.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import BACK_RANK, FILES, ChessBoard, ChessPiece
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, wrap_grasp_yaw
from colosseum_lite.sim import Sim, rotation_matrix
from colosseum_lite.tasks.base import Keyframe, Layout, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import Condition, all_of, upright, wholly_inside
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, pick, release_into

BOARD = ChessBoard(name="chess_board")
WHITE_RGBA, BLACK_RGBA = (0.92, 0.9, 0.82, 1.0), (0.08, 0.08, 0.08, 1.0)
SQUARES: dict[str, tuple[str, int, int]] = {  # piece name -> (kind, file, rank) of its home square
    f"{side}_{kind}_{FILES[f]}{rank + 1}": (kind, f, rank)
    for side, ranks in (("white", (0, 1)), ("black", (7, 6)))
    for rank, row in zip(ranks, (BACK_RANK, ("pawn",) * 8), strict=True) for f, kind in enumerate(row)}
PIECES = tuple(SQUARES)
WHITE = tuple(p for p in PIECES if p.startswith("white"))
VARIANTS = ("1", "2", "3")
PIECE_FRICTION = 1.0
PIECE_ANGULAR_DAMPING = 2.0  # a tipped piece rocks back upright and stops within about 0.5 s
CENTER_X_M = (0.52, 0.56)  # the board's centre (world)
CENTER_Y_M = (-0.04, 0.04)
REACH_X_M = (0.33, 0.75)  # a displaced piece's square lies in this top-down reach (world)
REACH_Y_M = 0.28
WAIT_X_M = (-0.13, 0.0, 0.13)  # the waiting spots along the middle of the board (board frame) ...
WAIT_JITTER_M = (0.015, 0.035)  # ... each shifted up to this much along x and y
TOP_BELOW_M = 0.02  # the grasp target this far below a piece's top (low: a light piece tips less) ...
GRIP_ABOVE_M = FINGERTIP_BELOW_EE_M + 0.003  # ... the fingertips at least 3 mm above the board ...
HAND_ABOVE_EE_M = 0.035  # ... and the hand's underside (this far above the grasp target) ...
HAND_CLEAR_M = 0.004  # ... this far above the tallest piece, which may stand on a diagonal neighbour
APPROACH_M = 0.07  # the pre-grasp this high above the grasp
CARRY_CLEAR_M = 0.04  # a carried piece's bottom this far above the tallest piece's top
DROP_GAP_M = 0.002  # let go this far above the board
ALIGN_TOL_M = 0.003  # (no correction keyframes: the 25-keyframe budget has no room for them)
GRASP_TRIES = 2
LIFTED_M = 0.02
HOME_TOL_M = 0.01  # success: a piece's centre this close to its square's, in x and y
ON_BOARD_TOL_M = 0.004  # ... its bottom this close to the board's top
UPRIGHT_RAD = 0.2
REACH_SCALE_M = 0.3  # dense reward: distance scales
REACH_FINE_SCALE_M = 0.02
HOME_SCALE_M = 0.15
PLACE_RADIUS_M = 0.015  # dense reward: a piece this close over its square is being put down


class SetupChess(Task):
    """Put the displaced chess pieces back on their squares."""

    name = "setup_chess"
    objects = {"board": Role.RO, **{p: Role.MO for p in PIECES}}
    variants = VARIANTS
    axes = {
        "mo_color": axis(targets=WHITE, same=True), "ro_color": axis(), "mo_texture": axis(targets=WHITE),
        "mo_size": axis(range=(0.75, 1.25)),
    }
    max_episode_steps = 25
    max_delta_steps = 500  # ee_delta: up to three pick-and-place moves at 20 Hz

    def __init__(self) -> None:
        self._pieces = {p: self._piece(p, 1.0) for p in PIECES}  # replaced by build at the built size

    @staticmethod
    def _piece(name: str, scale: float) -> ChessPiece:
        return ChessPiece.of(SQUARES[name][0], WHITE_RGBA if name in WHITE else BLACK_RGBA, name).scaled(scale)

    def instruction(self, variant: str) -> str:
        return "put the chess pieces back on their squares"

    def build(self, sim: Sim, scales: Scales) -> None:
        sim.load_urdf("board", write_urdf(BOARD.model()), fixed=True)
        self._pieces = {p: self._piece(p, scales.mo) for p in PIECES}
        for name, part in self._pieces.items():
            sim.load_urdf(name, write_urdf(part.model()))
            sim.set_dynamics(name, -1, lateralFriction=PIECE_FRICTION, angularDamping=PIECE_ANGULAR_DAMPING)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("board", layout.pose((0.0, 0.0, 0.0)))
        reachable = [p for p in PIECES if self._reachable(layout.point((*self.square(p), 0.0)))]
        displaced = rng.choice(reachable, int(variant), replace=False)
        spots = rng.permutation(len(WAIT_X_M))
        for name in PIECES:
            xy, yaw = self.square(name), 0.0 if name in WHITE else np.pi  # the knights face the other side
            if name in displaced:
                k = int(spots[list(displaced).index(name)])
                jitter = rng.uniform(-1.0, 1.0, 2) * WAIT_JITTER_M
                xy, yaw = (WAIT_X_M[k] + float(jitter[0]), float(jitter[1])), float(rng.uniform(-np.pi, np.pi))
            sim.set_pose(name, layout.pose((*xy, BOARD.thickness_m + self._pieces[name].mass_centre_m), yaw))

    @staticmethod
    def _reachable(xy: np.ndarray) -> bool:
        return bool(REACH_X_M[0] <= xy[0] <= REACH_X_M[1] and abs(xy[1]) <= REACH_Y_M)

    @staticmethod
    def square(name: str) -> tuple[float, float]:
        """The centre of the piece's home square (board frame)."""
        return BOARD.square_xy(*SQUARES[name][1:])

    def home(self, name: str) -> Condition:
        """The piece stands upright on its own square."""
        standing = BOARD.thickness_m + self._pieces[name].mass_centre_m  # its centre of mass's height
        return all_of(wholly_inside(name, "board", (*self.square(name), standing),
                                    (HOME_TOL_M, HOME_TOL_M, ON_BOARD_TOL_M), (0.0, 0.0, 0.0)),
                      upright(name, UPRIGHT_RAD))

    def success(self, snap: Snapshot, variant: str) -> bool:
        return not (snap.grasped & set(PIECES)) and all(self.home(p)(snap) for p in PIECES)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Per displaced piece: reach it, carry it, lower it onto its square and let go (in full: docs/tasks)."""
        n_stages = 3 * int(variant)
        away = [p for p in PIECES if not self.home(p)(snap)]
        if not away:
            return staged_reward(self.success(snap, variant), n_stages - 1, 1.0, n_stages)
        stage = 3 * max(int(variant) - len(away), 0)
        piece, board = away[0], snap["board"]
        top = board.pos + rotation_matrix(board.quat) @ np.array([*self.square(piece), BOARD.thickness_m])
        pos, held = snap[piece].pos, piece in snap.grasped
        bottom, carry, off = float(pos[2]) - self._pieces[piece].mass_centre_m, self._carry_z(float(top[2])), \
            float(np.linalg.norm(pos[:2] - top[:2]))
        if off <= PLACE_RADIUS_M and bottom <= carry + PLACE_RADIUS_M:  # over its square: lower it, let go
            return staged_reward(False, stage + 2, 0.5 * fraction(bottom, carry, float(top[2])) + 0.5 * (not held),
                                 n_stages)
        if held:
            lift = fraction(bottom, float(top[2]), carry)
            return staged_reward(False, stage + 1, 0.5 * lift * (1.0 + closeness(off, HOME_SCALE_M)), n_stages)
        to_piece = float(np.linalg.norm(snap.ee_pos - self._grip_point(piece, pos)))
        return staged_reward(False, stage, approach(to_piece, REACH_SCALE_M, REACH_FINE_SCALE_M), n_stages)

    def _grip_point(self, name: str, pos: np.ndarray) -> np.ndarray:
        """Where the grasp target holds a piece standing with its centre of mass at ``pos``."""
        part, tallest = self._pieces[name], max(p.height_m for p in self._pieces.values())
        grip = max(part.height_m - TOP_BELOW_M, GRIP_ABOVE_M, tallest + HAND_CLEAR_M - HAND_ABOVE_EE_M)
        return np.array([pos[0], pos[1], float(pos[2]) - part.mass_centre_m + grip])

    def _carry_z(self, board_top_z: float) -> float:
        """A carried piece's bottom: clear over every piece standing on the board."""
        return board_top_z + max(p.height_m for p in self._pieces.values()) + CARRY_CLEAR_M

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        board = sim.pose("board")
        layout = Layout((float(board.pos[0]), float(board.pos[1])), board.yaw_rad)
        top = float(board.pos[2]) + BOARD.thickness_m
        yaw = wrap_grasp_yaw(board.yaw_rad - np.pi / 4)  # the fingers close along the board's diagonal
        snap_home = {p: self._at_home(sim, p) for p in PIECES}
        for name in (p for p in PIECES if not snap_home[p]):
            locate = partial(self._grip_of, sim, name)
            grasp = yield from pick(partial(self._grasp, sim, name, yaw, top), locate, tries=GRASP_TRIES,
                                    lifted=partial(self._lifted, sim, name, top))
            yield from release_into(partial(self._centre, sim, name), partial(grasp_target, sim),
                                    layout.point((*self.square(name), 0.0))[:2],
                                    top + DROP_GAP_M + self._pieces[name].mass_centre_m, yaw,
                                    over_z_m=grasp.lift_z_m, tol_m=ALIGN_TOL_M, corrections=0)

    def _at_home(self, sim: Sim, name: str) -> bool:
        """The piece stands on its square now (read from the simulator)."""
        board, pos = sim.pose("board"), np.asarray(sim.pose(name).pos)
        local = rotation_matrix(board.quat).T @ (pos - np.asarray(board.pos))
        return bool(np.all(np.abs(local[:2] - self.square(name)) <= HOME_TOL_M / 2))

    @staticmethod
    def _lifted(sim: Sim, name: str, board_top_z: float, at: np.ndarray) -> bool:
        """The piece came up off the board."""
        return bool(sim.pose(name).pos[2] > board_top_z + LIFTED_M)

    @staticmethod
    def _centre(sim: Sim, name: str) -> np.ndarray:
        """The piece's centre of mass now (world frame)."""
        return np.asarray(sim.pose(name).pos)

    def _grip_of(self, sim: Sim, name: str) -> np.ndarray:
        return self._grip_point(name, np.asarray(sim.pose(name).pos))

    def _grasp(self, sim: Sim, name: str, yaw_rad: float, top_z: float) -> Grasp:
        """A top-down grasp of the column, lifted so the piece clears every piece on the board."""
        at = self._grip_of(sim, name)
        lift = self._carry_z(top_z) + (at[2] - float(sim.pose(name).pos[2]) + self._pieces[name].mass_centre_m)
        return Grasp((*at[:2], at[2] + APPROACH_M), yaw_rad, lift)
