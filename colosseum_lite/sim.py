"""Sim: a small facade over one PyBullet client.

Every environment owns one ``Sim``; each ``Sim`` owns one DIRECT (or GUI) client, so several
environments in one process never share bodies, textures or light settings. Bodies are looked
up by name. Long-lived objects (tasks, robot, axes) receive the ``Sim`` as an argument instead of
keeping a handle to it.

Anyone holding the client (a policy can reach ``env.unwrapped.sim.client``) may change the engine
or the bodies behind the facade's back. :meth:`Sim.record_nominal` remembers the world as built
and :meth:`Sim.restore_nominal` puts it back (see :mod:`colosseum_lite.nominal`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np


@contextlib.contextmanager
def quiet_stdout(fds: tuple[int, ...] = (1,)) -> Iterator[None]:
    """Silence what PyBullet's C code prints to file descriptors (build time, argv lines)."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = [os.dup(fd) for fd in fds]
    except OSError:  # no usable descriptors: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in fds:
        os.dup2(devnull, fd)
    try:
        yield
    finally:
        for fd, old in zip(fds, saved, strict=True):
            os.dup2(old, fd)
            os.close(old)
        os.close(devnull)


with quiet_stdout((1, 2)):  # its build-time banner goes to stderr
    import pybullet as p
from pybullet_utils.bullet_client import BulletClient  # noqa: E402

from colosseum_lite.nominal import NominalWorld  # noqa: E402


class FastClient(BulletClient):
    """A BulletClient that binds each PyBullet function to its client once, not per call."""

    def __getattr__(self, name: str) -> Any:
        attr = super().__getattr__(name)
        if isinstance(attr, functools.partial):
            self.__dict__[name] = attr  # later lookups skip __getattr__ entirely
        return attr


def connect(gui: bool = False) -> FastClient:
    """A new PyBullet client (DIRECT, or GUI when ``gui``), quietly."""
    with quiet_stdout():
        return FastClient(connection_mode=p.GUI if gui else p.DIRECT)


Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]
VecLike = Sequence[float] | np.ndarray  # a point, vector or quaternion as a tuple, list or array of numbers


def vec3(values: Iterable[float]) -> Vec3:
    """Three numbers (a point or vector; the caller passes exactly three) as a ``Vec3`` of floats."""
    return cast(Vec3, tuple(float(v) for v in values))


def rotation_matrix(quat: VecLike) -> np.ndarray:
    """The 3x3 rotation matrix of a quaternion ``(x, y, z, w)`` (columns: the body's axes in world)."""
    return np.asarray(p.getMatrixFromQuaternion(tuple(float(q) for q in quat))).reshape(3, 3)
IDENTITY_QUAT: Quat = (0.0, 0.0, 0.0, 1.0)


def to_world(pos: VecLike, quat: VecLike, local: VecLike) -> np.ndarray:
    """A point given in the frame of a body at ``pos``, ``quat``, in world coordinates."""
    return np.asarray(pos) + rotation_matrix(quat) @ np.asarray(local, float)


def quat_from_matrix(m: np.ndarray) -> Quat:
    """The xyzw quaternion of a 3x3 rotation matrix (columns: the body's axes in world).

    Shepperd's method: from the largest of the four squared components, so no half turn is lost."""
    m = np.asarray(m, float)
    t = (m[0, 0] + m[1, 1] + m[2, 2], m[0, 0], m[1, 1], m[2, 2])
    k = int(np.argmax(t))
    if k == 0:
        r = np.sqrt(1.0 + t[0]) * 2
        q = ((m[2, 1] - m[1, 2]) / r, (m[0, 2] - m[2, 0]) / r, (m[1, 0] - m[0, 1]) / r, r / 4)
    elif k == 1:
        r = np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = (r / 4, (m[0, 1] + m[1, 0]) / r, (m[0, 2] + m[2, 0]) / r, (m[2, 1] - m[1, 2]) / r)
    elif k == 2:
        r = np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = ((m[0, 1] + m[1, 0]) / r, r / 4, (m[1, 2] + m[2, 1]) / r, (m[0, 2] - m[2, 0]) / r)
    else:
        r = np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = ((m[0, 2] + m[2, 0]) / r, (m[1, 2] + m[2, 1]) / r, r / 4, (m[1, 0] - m[0, 1]) / r)
    v = np.asarray(q) / np.linalg.norm(q)
    return cast(Quat, tuple(float(x) for x in v))


def quat_from_euler(roll_rad: float, pitch_rad: float, yaw_rad: float) -> Quat:
    """The xyzw quaternion of fixed-axis roll, pitch and yaw (PyBullet's convention)."""
    return tuple(p.getQuaternionFromEuler((roll_rad, pitch_rad, yaw_rad)))


def yaw_of(quat: VecLike) -> float:
    """Rotation about world z of an xyzw quaternion, in radians."""
    return float(p.getEulerFromQuaternion(tuple(quat))[2])


@dataclass(frozen=True, slots=True)
class Pose:
    """A world-frame pose: position in metres and an xyzw quaternion."""

    pos: Vec3
    quat: Quat = IDENTITY_QUAT

    @property
    def yaw_rad(self) -> float:
        """Rotation about world z, in radians."""
        return yaw_of(self.quat)


@dataclass(frozen=True, slots=True)
class BodyState:
    """One body in a snapshot: base pose, joint positions and world AABB."""

    pos: np.ndarray
    quat: np.ndarray
    joints: tuple[float, ...]
    aabb_lo: np.ndarray
    aabb_hi: np.ndarray
    joint_names: tuple[str, ...] = ()

    @property
    def yaw_rad(self) -> float:
        """Rotation about world z."""
        return yaw_of(self.quat)

    def joint(self, name: str) -> float:
        """Position of the joint with this URDF name (rad or m)."""
        return self.joints[self.joint_names.index(name)]


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """Everything TinyRenderer needs each frame (its light settings are sticky, so pass all)."""

    light_direction: Vec3 = (0.4, -0.5, 1.0)
    light_color: Vec3 = (1.0, 1.0, 1.0)
    light_distance: float = 2.0
    ambient: float = 0.6
    diffuse: float = 0.45
    specular: float = 0.05
    shadow: bool = False
    renderer: int = p.ER_TINY_RENDERER


# PyBullet's own values for solver parameters it does not report back; pinning them changed no
# trajectory of any task's oracle (and another value of each did), so they can be put back.
BULLET_SOLVER_DEFAULTS: dict[str, float] = {
    "erp": 0.2, "contactERP": 0.08, "frictionERP": 0.2, "globalCFM": 0.0, "enableConeFriction": 1,
    "contactSlop": 1e-5, "numSubSteps": 0, "numNonContactInnerIterations": 1,
}
SOLVER_ITERATIONS = 20
# (group, mask) PyBullet gives a loaded link: a fixed base is static and ignores the static.
STATIC_FILTER, DYNAMIC_FILTER = (2, -1 ^ 2), (1, -1)
# Where a body created without a pose appears until it is placed: out of sight, below the floor.
UNPLACED = Pose((0.0, 3.0, -2.0))
GREY = (0.5, 0.5, 0.5, 1.0)  # the colour of a primitive created without one


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """The engine parameters a Sim sets at construction and puts back in :meth:`Sim.restore_nominal`.

    Attributes:
        timestep_s: physics step in seconds.
        solver_iterations: constraint solver iterations per step.
        gravity_m_s2: gravity, world frame.
    """

    timestep_s: float = 1.0 / 240.0
    solver_iterations: int = SOLVER_ITERATIONS
    gravity_m_s2: Vec3 = (0.0, 0.0, -9.81)

    def parameters(self) -> dict[str, float]:
        """Keywords of ``setPhysicsEngineParameter``."""
        return {
            **BULLET_SOLVER_DEFAULTS, "fixedTimeStep": self.timestep_s,
            "numSolverIterations": self.solver_iterations, "deterministicOverlappingPairs": 1,
            # Always run every solver iteration: stopping early on the residual makes a step depend
            # on warm-started impulses that restoreState keeps, so on the previous episode.
            "solverResidualThreshold": 0.0,
        }


class Sim:
    """One PyBullet client with bodies by name.

    Args:
        timestep_s: physics step in seconds.
        solver_iterations: constraint solver iterations per step.
        gui: open the PyBullet GUI instead of a headless DIRECT client.
    """

    def __init__(
        self, timestep_s: float = 1.0 / 240.0, solver_iterations: int = SOLVER_ITERATIONS, gui: bool = False
    ) -> None:
        self.client = connect(gui)
        self.timestep_s = timestep_s
        self.engine = EngineSettings(timestep_s, solver_iterations)
        self._engine_parameters = self.engine.parameters()
        self.apply_engine()
        self._step = functools.partial(p.stepSimulation, physicsClientId=self.client._client)
        self.bodies: dict[str, int] = {}
        self._structure: dict[str, tuple[dict[str, int], dict[str, int]]] = {}  # joints, links by name
        self._joint_names: dict[str, tuple[str, ...]] = {}  # each body's joint names, in index order
        self._by_id: dict[int, str] = {}  # body names by PyBullet id
        self._textures: dict[str, int] = {}
        self.step_hooks: list[Callable[[], None]] = []  # called after every physics step
        # A task's state outside PyBullet (see Task.substep), saved and restored with the physics.
        self.task_state: dict[str, np.ndarray] = {}
        self._saved_task_state: dict[int, dict[str, np.ndarray]] = {}
        self.nominal = NominalWorld()  # the world as built, for undoing what others did

    # ----------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Disconnect the client; the Sim is unusable afterwards."""
        if self.client is not None and self.client._client >= 0:
            self.client.disconnect()
            self.client._client = -1

    def step(self, n: int = 1) -> None:
        """Advance physics by ``n`` fixed steps."""
        step = self._step
        if not self.step_hooks:
            for _ in range(n):
                step()
            return
        for _ in range(n):
            step()
            for hook in self.step_hooks:
                hook()

    def detect_collisions(self) -> None:
        """Run the broadphase and narrowphase now, without stepping (updates contact pairs)."""
        self.client.performCollisionDetection()

    def save_state(self) -> int:
        """Snapshot positions, velocities, contacts and :attr:`task_state` in memory; returns a state id."""
        state_id = self.client.saveState()
        if self.task_state:
            self._saved_task_state[state_id] = {k: v.copy() for k, v in self.task_state.items()}
        return state_id

    def restore_state(self, state_id: int) -> None:
        """Restore a snapshot from :meth:`save_state` (not colours, textures or dynamics), and the
        :attr:`task_state` saved with it (none if it was empty)."""
        self.client.restoreState(stateId=state_id)
        saved = self._saved_task_state.get(state_id, {})
        if saved or self.task_state:
            self.task_state = {k: v.copy() for k, v in saved.items()}

    def remove_state(self, state_id: int) -> None:
        """Free a saved snapshot."""
        self.client.removeState(state_id)
        self._saved_task_state.pop(state_id, None)

    # ------------------------------------------------------------ nominal world
    def apply_engine(self) -> None:
        """Set the engine parameters and gravity of :attr:`engine`."""
        self.client.setPhysicsEngineParameter(**self._engine_parameters)
        self.client.setGravity(*self.engine.gravity_m_s2)

    def record_nominal(self) -> None:
        """Remember the world as it is now (nominal); see :class:`~colosseum_lite.nominal.NominalWorld`."""
        self.nominal.record(self)

    def restore_nominal(self) -> None:
        """Undo what was done through the client since :meth:`record_nominal` (cheap when nothing was).

        Raises:
            RuntimeError: a change PyBullet cannot undo; see :meth:`NominalWorld.restore`.
        """
        self.apply_engine()
        self.nominal.restore(self)

    # ------------------------------------------------------------------- bodies
    def _register(self, name: str, body_id: int) -> int:
        if name in self.bodies:
            raise ValueError(f"a body named {name!r} exists already; remove it first")
        self.bodies[name] = body_id
        self._by_id[body_id] = name
        return body_id

    def id(self, name: str) -> int:
        """The PyBullet body id of ``name``."""
        try:
            return self.bodies[name]
        except KeyError:
            raise KeyError(f"unknown body {name!r}; bodies are {sorted(self.bodies)}") from None

    def name_of(self, body_id: int) -> str | None:
        """The name of a body id, or None for unnamed bodies."""
        return self._by_id.get(body_id)

    def remove(self, name: str) -> None:
        """Remove a named body from the world (and what was recorded about it)."""
        bid = self.bodies.pop(name)
        self._by_id.pop(bid, None)
        self._structure.pop(name, None)
        self._joint_names.pop(name, None)
        self.nominal.forget(name, bid)
        self.client.removeBody(bid)

    def load_urdf(
        self,
        name: str,
        path: str,
        pose: Pose = UNPLACED,
        fixed: bool = False,
        scale: float = 1.0,
        flags: int = 0,
        self_collision: bool = False,
    ) -> int:
        """Load a URDF file as a named body.

        ``self_collision``: its links collide with each other, a parent with its children too
        (PyBullet skips every self-collision by default).
        """
        if self_collision:
            flags |= p.URDF_USE_SELF_COLLISION | p.URDF_USE_SELF_COLLISION_INCLUDE_PARENT
        body = self.client.loadURDF(
            path,
            basePosition=pose.pos,
            baseOrientation=pose.quat,
            useFixedBase=fixed,
            globalScaling=scale,
            flags=flags,
        )
        return self._register(name, body)

    def add_primitive(
        self,
        name: str,
        shape: int,
        pose: Pose,
        mass_kg: float,
        rgba: Sequence[float],
        half_extents_m: Vec3 | None = None,
        radius_m: float = 0.0,
        length_m: float = 0.0,
        collision: bool = True,
    ) -> int:
        """Create a one-link body: box, cylinder, sphere or capsule (``p.GEOM_*``)."""
        geom = {"halfExtents": half_extents_m} if shape == p.GEOM_BOX else {"radius": radius_m}
        if shape in (p.GEOM_CYLINDER, p.GEOM_CAPSULE):
            vis = self.client.createVisualShape(shape, rgbaColor=list(rgba), length=length_m, **geom)
        else:
            vis = self.client.createVisualShape(shape, rgbaColor=list(rgba), **geom)
        col = -1
        if collision:
            if shape in (p.GEOM_CYLINDER, p.GEOM_CAPSULE):
                col = self.client.createCollisionShape(shape, height=length_m, **geom)
            else:
                col = self.client.createCollisionShape(shape, **geom)
        body = self.client.createMultiBody(
            baseMass=mass_kg,
            baseCollisionShapeIndex=col,
            baseVisualShapeIndex=vis,
            basePosition=pose.pos,
            baseOrientation=pose.quat,
        )
        return self._register(name, body)

    def add_tiled_box(
        self, name: str, half_extents_m: Vec3, pose: Pose, rgba: Sequence[float], uv_repeat_per_m: float
    ) -> int:
        """A static box whose visual is a mesh that tiles textures (for large surfaces)."""
        from colosseum_lite.assets import box_mesh_obj

        vis = self.client.createVisualShape(p.GEOM_MESH, fileName=box_mesh_obj(half_extents_m, uv_repeat_per_m),
                                            rgbaColor=list(rgba))
        col = self.client.createCollisionShape(p.GEOM_BOX, halfExtents=half_extents_m)
        body = self.client.createMultiBody(0.0, col, vis, pose.pos, pose.quat)
        return self._register(name, body)

    def add_box(
        self, name: str, half_extents_m: Vec3, pose: Pose = UNPLACED, mass_kg: float = 0.0,
        rgba: Sequence[float] = GREY, collision: bool = True,
    ) -> int:
        """Create a box body (``mass_kg=0`` makes it static; ``collision=False``: seen, never touched)."""
        return self.add_primitive(name, p.GEOM_BOX, pose, mass_kg, rgba, half_extents_m=half_extents_m,
                                  collision=collision)

    def add_cylinder(
        self, name: str, radius_m: float, length_m: float, pose: Pose = UNPLACED, mass_kg: float = 0.0,
        rgba: Sequence[float] = GREY,
    ) -> int:
        """Create a z-axis cylinder body."""
        return self.add_primitive(
            name, p.GEOM_CYLINDER, pose, mass_kg, rgba, radius_m=radius_m, length_m=length_m
        )

    def add_sphere(
        self, name: str, radius_m: float, pose: Pose = UNPLACED, mass_kg: float = 0.0,
        rgba: Sequence[float] = GREY,
    ) -> int:
        """Create a sphere body."""
        return self.add_primitive(name, p.GEOM_SPHERE, pose, mass_kg, rgba, radius_m=radius_m)

    # -------------------------------------------------------------------- poses
    # ------------------------------------------------------- structure by name
    def _names_of(self, name: str) -> tuple[dict[str, int], dict[str, int]]:
        """The body's joints and links by their URDF names (read once per body)."""
        if name not in self._structure:
            bid = self.id(name)
            infos = [self.client.getJointInfo(bid, j) for j in range(self.client.getNumJoints(bid))]
            self._structure[name] = ({i[1].decode(): i[0] for i in infos}, {i[12].decode(): i[0] for i in infos})
            self._joint_names[name] = tuple(i[1].decode() for i in infos)
        return self._structure[name]

    def _index(self, name: str, key: str | int, kind: int) -> int:
        """A joint's (``kind`` 0) or link's (1) index by URDF name; an index passes through."""
        if not isinstance(key, str):
            return int(key)
        table = self._names_of(name)[kind]
        if key not in table:
            what = ("joint", "link")[kind]
            raise KeyError(f"{name!r} has no {what} {key!r}; its {what}s are {sorted(table)}")
        return table[key]

    def joint(self, name: str, joint: str | int) -> int:
        """A joint's index, by its URDF name (an index passes through).

        Raises:
            KeyError: no such joint, naming the body's joints.
        """
        return self._index(name, joint, 0)

    def link(self, name: str, link: str | int) -> int:
        """A link's index, by its URDF name (an index passes through; -1 is the base).

        Raises:
            KeyError: no such link, naming the body's links.
        """
        return self._index(name, link, 1)

    def joint_limits(self, name: str, joint: str | int) -> tuple[float, float]:
        """Lower and upper limit of a joint (rad or m), as its URDF declares them."""
        info = self.client.getJointInfo(self.id(name), self.joint(name, joint))
        return float(info[8]), float(info[9])

    def collision_boxes(self, name: str, link: str | int = -1) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(full size, centre)`` (m) of each collision shape of a link, the centre in the link's
        centre-of-mass frame, in the order the model declares them."""
        shapes = self.client.getCollisionShapeData(self.id(name), self.link(name, link))
        return [(np.asarray(s[3]), np.asarray(s[5])) for s in shapes]

    def shape_extents(self, name: str, link: str | int = -1) -> np.ndarray:
        """Full extents (m) of a link's first collision shape: a box's size along its own axes."""
        return self.collision_boxes(name, link)[0][0]

    # -------------------------------------------------------------------- poses
    def pose(self, name: str, link: str | int = -1) -> Pose:
        """World pose of a body's base (``link=-1``) or of one link's frame (by index or name)."""
        link = self.link(name, link)
        if link == -1:
            pos, quat = self.client.getBasePositionAndOrientation(self.id(name))
        else:
            state = self.client.getLinkState(self.id(name), link, computeForwardKinematics=True)
            pos, quat = state[4], state[5]
        return Pose(tuple(pos), tuple(quat))

    def set_pose(self, name: str, pose: Pose) -> None:
        """Teleport a body's base and zero its velocity."""
        bid = self.id(name)
        self.client.resetBasePositionAndOrientation(bid, pose.pos, pose.quat)
        self.client.resetBaseVelocity(bid, (0, 0, 0), (0, 0, 0))

    def body_state(self, name: str) -> BodyState:
        """A body's base pose, every joint's position and the world AABB around all its links."""
        c, bid = self.client, self.id(name)
        pos, quat = c.getBasePositionAndOrientation(bid)
        links = range(c.getNumJoints(bid))
        joints = tuple(s[0] for s in c.getJointStates(bid, links)) if links else ()
        lo, hi = c.getAABB(bid, -1)
        for j in links:
            jlo, jhi = c.getAABB(bid, j)
            lo, hi = np.minimum(lo, jlo), np.maximum(hi, jhi)
        if links and name not in self._joint_names:
            self._names_of(name)
        return BodyState(np.asarray(pos), np.asarray(quat), joints, np.asarray(lo), np.asarray(hi),
                         self._joint_names[name] if links else ())

    def joint_positions(self, name: str, joints: Sequence[int]) -> tuple[float, ...]:
        """Positions of several joints of one body, in one read."""
        return tuple(s[0] for s in self.client.getJointStates(self.id(name), list(joints)))

    def contact_links(self, name: str) -> list[tuple[str, int]]:
        """``(other body, own link)`` for every contact point of ``name`` with another named body."""
        names = self._by_id
        points = self.client.getContactPoints(bodyA=self.id(name))  # one query for all its links
        return [(names[cp[2]], cp[3]) for cp in points if cp[2] in names]

    def rest_on_table(
        self, name: str, xy: Sequence[float] | np.ndarray, yaw_rad: float = 0.0, table_top_z_m: float = 0.0
    ) -> None:
        """Teleport a body to ``xy`` turned ``yaw_rad`` about z, its bounding box's centre half the box's
        height above the table top: a box or sphere resting on it."""
        lo, hi = self.aabb(name)
        z = table_top_z_m + float(hi[2] - lo[2]) / 2
        self.set_pose(name, Pose((float(xy[0]), float(xy[1]), z), quat_from_euler(0.0, 0.0, yaw_rad)))

    def velocity(self, name: str) -> tuple[Vec3, Vec3]:
        """Linear and angular velocity of a body's base (world frame)."""
        lin, ang = self.client.getBaseVelocity(self.id(name))
        return tuple(lin), tuple(ang)

    def aabb(self, name: str, link: str | int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned world bounding box of a link (lower, upper corners)."""
        lo, hi = self.client.getAABB(self.id(name), self.link(name, link))
        return np.asarray(lo), np.asarray(hi)

    def num_joints(self, name: str) -> int:
        """Number of joints (= links) of a body."""
        return self.client.getNumJoints(self.id(name))

    def joint_position(self, name: str, joint: str | int) -> float:
        """Position of one joint (rad or m)."""
        return float(self.client.getJointState(self.id(name), self.joint(name, joint))[0])

    def set_joint_position(self, name: str, joint: str | int, value: float) -> None:
        """Teleport a joint and zero its velocity."""
        self.client.resetJointState(self.id(name), self.joint(name, joint), value, 0.0)

    def set_joint_friction(self, name: str, joint: str | int, force: float) -> None:
        """Free a joint from its default locking motor, leaving ``force`` as friction (N or Nm)."""
        joint = self.joint(name, joint)
        self.client.setJointMotorControl2(
            self.id(name), joint, p.VELOCITY_CONTROL, targetVelocity=0.0, force=force
        )
        self.nominal.joint_friction[(name, joint)] = force

    def reinsert_colliders(self, name: str, fixed_base: bool) -> None:
        """Take each link of ``name`` out of the collision world and put it back, as loaded.

        Bullet keeps a pair of links, its contact manifolds and (for compound shapes) its per-child
        algorithms for as long as their bounds overlap, and the order it solves them in shifts with
        every pair made and dropped elsewhere. Links that always overlap (an arm's neighbours) so
        carry one episode's history into the next; put back, they start afresh. The filter is the
        one PyBullet gives a loaded link (a fixed base static, colliding with all but the static).
        """
        bid = self.id(name)
        for link in range(-1, self.client.getNumJoints(bid)):
            static = fixed_base and link == -1
            self.client.setCollisionFilterGroupMask(bid, link, *(STATIC_FILTER if static else DYNAMIC_FILTER))

    def contacts(self, a: str, b: str, link_a: int | None = None) -> list:
        """Contact points between two named bodies (optionally one link of ``a``)."""
        if link_a is None:
            return self.client.getContactPoints(self.id(a), self.id(b))
        return self.client.getContactPoints(self.id(a), self.id(b), linkIndexA=link_a)

    # --------------------------------------------------------- looks & dynamics
    def link_indices(self, name: str) -> list[int]:
        """Every link of a body, base (-1) first."""
        return [-1, *range(self.num_joints(name))]

    def set_color(self, name: str, rgba: Sequence[float], links: Sequence[int] | None = None) -> None:
        """Set the RGBA colour of a body's visual shapes (all links by default)."""
        bid = self.id(name)
        for link in self.link_indices(name) if links is None else links:
            self.client.changeVisualShape(bid, link, rgbaColor=list(rgba))

    def set_shape_colors(self, name: str, rgba: Sequence[float], shapes: Iterable[int]) -> None:
        """Set the RGBA colour of some visual shapes of a body's base link, by shape index.

        ``getVisualShapeData`` (hence :meth:`colors`) does not report these per-shape colours;
        the renderer draws them (alpha 0 hides a shape).
        """
        bid = self.id(name)
        for shape in shapes:
            self.client.changeVisualShape(bid, -1, shapeIndex=int(shape), rgbaColor=list(rgba))

    def colors(self, name: str) -> dict[int, tuple[float, ...]]:
        """RGBA colour of each visual shape of a body, by link index."""
        return {row[1]: tuple(row[7]) for row in self.client.getVisualShapeData(self.id(name))}

    def texture(self, path: str) -> int:
        """Load an image file as a texture once per client; returns its id."""
        if path not in self._textures:
            self._textures[path] = self.client.loadTexture(path)
        return self._textures[path]

    def set_texture(
        self, name: str, texture_id: int, links: Sequence[int] | None = None
    ) -> None:
        """Apply a texture to a body's visual shapes (white base colour so it shows as is)."""
        self.set_look(name, (1.0, 1.0, 1.0, 1.0), texture_id, links)

    def set_look(
        self, name: str, rgba: Sequence[float], texture_id: int, links: Sequence[int] | None = None
    ) -> None:
        """Set a body's texture and its RGBA tint in one call; TinyRenderer shows ``texture x rgba``.

        PyBullet keeps each of the two when a later call sets only the other, so the colour of a
        textured body tints its texture; ``texture_id`` -1 removes the texture.
        """
        bid = self.id(name)
        for link in self.link_indices(name) if links is None else links:
            self.client.changeVisualShape(bid, link, textureUniqueId=texture_id, rgbaColor=list(rgba))

    def clear_texture(self, name: str, links: Sequence[int] | None = None) -> None:
        """Remove any texture from a body's visual shapes."""
        bid = self.id(name)
        for link in self.link_indices(name) if links is None else links:
            self.client.changeVisualShape(bid, link, textureUniqueId=-1)

    def set_dynamics(self, name: str, link: str | int = -1, **values: float) -> None:
        """Forward ``changeDynamics`` keywords (mass, lateralFriction, ...) for one link.

        Values PyBullet cannot report back (damping, activation state...) are remembered, so that
        :meth:`record_nominal` knows them.
        """
        link = self.link(name, link)
        self.client.changeDynamics(self.id(name), link, **values)
        self.nominal.note_dynamics(name, link, values)

    def dynamics(self, name: str, link: str | int = -1) -> dict[str, float]:
        """Mass and friction of one link as the engine reports them."""
        info = self.client.getDynamicsInfo(self.id(name), self.link(name, link))
        return {
            "mass": info[0],
            "lateral_friction": info[1],
            "rolling_friction": info[6],
            "spinning_friction": info[7],
        }

    # ---------------------------------------------------------------- rendering
    def render(
        self,
        width: int,
        height: int,
        view_matrix: Sequence[float],
        projection_matrix: Sequence[float],
        settings: RenderSettings,
        segmentation: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Render one camera image.

        Returns:
            ``(rgb uint8 HxWx3, depth buffer float32 HxW in [0, 1], segmentation int32 HxW or
            None)``; segmentation pixels are ``body + ((link + 1) << 24)``, background -1.
        """
        flags = (
            p.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX if segmentation else p.ER_NO_SEGMENTATION_MASK
        )
        _, _, rgba, depth, seg = self.client.getCameraImage(
            width,
            height,
            viewMatrix=view_matrix,
            projectionMatrix=projection_matrix,
            lightDirection=settings.light_direction,
            lightColor=settings.light_color,
            lightDistance=settings.light_distance,
            lightAmbientCoeff=settings.ambient,
            lightDiffuseCoeff=settings.diffuse,
            lightSpecularCoeff=settings.specular,
            shadow=int(settings.shadow),
            renderer=settings.renderer,
            flags=flags,
        )
        rgb = np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()
        depth_arr = np.asarray(depth, dtype=np.float32).reshape(height, width)
        seg_arr = np.asarray(seg, dtype=np.int32).reshape(height, width) if segmentation else None
        return rgb, depth_arr, seg_arr
