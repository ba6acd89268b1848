"""Sim: a small facade over one PyBullet client.

Every environment owns one ``Sim``; each ``Sim`` owns one DIRECT (or GUI) client, so several
environments in one process never share bodies, textures or light settings. Bodies are looked
up by name. Long-lived objects (tasks, robot, axes) receive the ``Sim`` as an argument instead of
keeping a handle to it.

Anyone holding the client (a policy can reach ``env.unwrapped.sim.client``) may change the engine
or the bodies behind the facade's back. :meth:`Sim.record_nominal` remembers the world as built
and :meth:`Sim.restore_nominal` puts it back: engine parameters, gravity, the dynamics of every
named body, the joint friction set here and the constraints; bodies and constraints nobody named
are removed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@contextlib.contextmanager
def quiet_stdout(fds: tuple[int, ...] = (1,)):
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


class FastClient(BulletClient):
    """A BulletClient that binds each PyBullet function to its client once, not per call."""

    def __getattr__(self, name: str):
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
IDENTITY_QUAT: Quat = (0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class Pose:
    """A world-frame pose: position in metres and an xyzw quaternion."""

    pos: Vec3
    quat: Quat = IDENTITY_QUAT

    @property
    def yaw_rad(self) -> float:
        """Rotation about world z, in radians."""
        return float(p.getEulerFromQuaternion(self.quat)[2])


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
BULLET_DAMPING = float(np.float32(0.04))  # btMultiBody's linear and angular damping (a C float)
# getDynamicsInfo fields that changeDynamics can write back: (index in the info, keyword).
_READBACK = ((0, "mass"), (1, "lateralFriction"), (2, "localInertiaDiagonal"), (5, "restitution"),
             (6, "rollingFriction"), (7, "spinningFriction"))
_DAMPING, _STIFFNESS, _MARGIN = 8, 9, 11  # contact damping, stiffness (-1: not set); collision margin
_READABLE = {kw for _, kw in _READBACK} | {"contactStiffness", "contactDamping"}
# getConstraintInfo fields that changeConstraint can write back.
_CONSTRAINT_READBACK = ((7, "jointChildPivot"), (9, "jointChildFrameOrientation"), (10, "maxForce"),
                        (11, "gearRatio"), (12, "gearAuxLink"), (13, "relativePositionTarget"), (14, "erp"))


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """The engine parameters a Sim sets at construction and puts back in :meth:`Sim.restore_nominal`.

    Attributes:
        timestep_s: physics step in seconds.
        solver_iterations: constraint solver iterations per step.
        gravity_m_s2: gravity, world frame.
    """

    timestep_s: float = 1.0 / 240.0
    solver_iterations: int = 50
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


@dataclass(frozen=True, slots=True)
class _Nominal:
    """One named body as recorded: its id, dynamics per link, and values to write every reset."""

    body_id: int
    links: tuple[int, ...]
    dynamics: tuple[tuple, ...]  # getDynamicsInfo of each link
    rewrites: tuple[tuple[int, Mapping[str, float]], ...]  # (link, changeDynamics keywords)


class Sim:
    """One PyBullet client with bodies by name.

    Args:
        timestep_s: physics step in seconds.
        solver_iterations: constraint solver iterations per step.
        gui: open the PyBullet GUI instead of a headless DIRECT client.
    """

    def __init__(
        self, timestep_s: float = 1.0 / 240.0, solver_iterations: int = 50, gui: bool = False
    ) -> None:
        self.client = connect(gui)
        self.timestep_s = timestep_s
        self.engine = EngineSettings(timestep_s, solver_iterations)
        self._engine_parameters = self.engine.parameters()
        self._apply_engine()
        self._step = functools.partial(p.stepSimulation, physicsClientId=self.client._client)
        self.bodies: dict[str, int] = {}
        self._textures: dict[str, int] = {}
        self.step_hooks: list[Callable[[], None]] = []  # called after every physics step
        # What this facade wrote that PyBullet cannot report back, and the recorded world.
        self._written: dict[tuple[str, int], dict[str, float]] = {}
        self._joint_friction: dict[tuple[str, int], float] = {}
        self._nominal: dict[str, _Nominal] = {}
        self._constraints: dict[int, tuple] = {}

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

    def save_state(self) -> int:
        """Snapshot positions, velocities and contacts in memory; returns a state id."""
        return self.client.saveState()

    def restore_state(self, state_id: int) -> None:
        """Restore a snapshot from :meth:`save_state` (not colours, textures or dynamics)."""
        self.client.restoreState(stateId=state_id)

    def remove_state(self, state_id: int) -> None:
        """Free a saved snapshot."""
        self.client.removeState(state_id)

    # ------------------------------------------------------------ nominal world
    def _apply_engine(self) -> None:
        self.client.setPhysicsEngineParameter(**self._engine_parameters)
        self.client.setGravity(*self.engine.gravity_m_s2)

    def record_nominal(self) -> None:
        """Remember every named body's dynamics and every constraint as they are now (nominal)."""
        c = self.client
        for name, bid in self.bodies.items():
            links = tuple(self.link_indices(name))
            dynamics = tuple(c.getDynamicsInfo(bid, link) for link in links)
            self._nominal[name] = _Nominal(bid, links, dynamics, self._rewrites(name, links, dynamics))
        self._constraints = {uid: c.getConstraintInfo(uid)
                             for uid in (c.getConstraintUniqueId(i) for i in range(c.getNumConstraints()))}

    def _rewrites(self, name: str, links: tuple[int, ...], dynamics: tuple[tuple, ...]):
        """Values PyBullet cannot report, to write every reset: damping (and what was set here)."""
        c, bid = self.client, self.bodies[name]
        movable = [j for j in links[1:] if c.getJointInfo(bid, j)[2] != p.JOINT_FIXED]
        out = []
        for link in links:
            kwargs = dict(self._written.get((name, link), {}))
            if link == -1 and (movable or any(d[0] > 0 for d in dynamics)):
                kwargs = {"linearDamping": BULLET_DAMPING, "angularDamping": BULLET_DAMPING, **kwargs}
            if link in movable:
                kwargs = {"jointDamping": c.getJointInfo(bid, link)[6], **kwargs}
            if kwargs:
                out.append((link, kwargs))
        return tuple(out)

    def restore_nominal(self) -> None:
        """Undo what was done through the client since :meth:`record_nominal` (cheap when nothing was).

        Puts back the engine parameters and gravity, the dynamics of every recorded body (mass,
        inertia, frictions, restitution, contact stiffness, damping), the joint friction set with
        :meth:`set_joint_friction` and the recorded constraints; removes bodies and constraints
        that nobody named or recorded. Poses are the saved state's business (:meth:`restore_state`).

        Raises:
            RuntimeError: a change PyBullet cannot undo (a named body or recorded constraint was
                removed, contact stiffness was given to a link that had none).
        """
        c = self.client
        self._apply_engine()
        self._remove_strays()
        for name, nom in self._nominal.items():
            for link, info in zip(nom.links, nom.dynamics, strict=True):
                now = c.getDynamicsInfo(nom.body_id, link)
                if now != info:
                    self._put_back(name, link, info, now)
            for link, kwargs in nom.rewrites:
                c.changeDynamics(nom.body_id, link, **kwargs)
        for (name, joint), force in self._joint_friction.items():
            c.setJointMotorControl2(self.bodies[name], joint, p.VELOCITY_CONTROL, targetVelocity=0.0, force=force)
        for uid, info in self._constraints.items():
            now = c.getConstraintInfo(uid)
            if now != info:
                c.changeConstraint(uid, **{kw: info[i] for i, kw in _CONSTRAINT_READBACK if now[i] != info[i]})

    def _put_back(self, name: str, link: int, info: tuple, now: tuple) -> None:
        """Write back the recorded dynamics of a link that differ now (only those: fewer surprises)."""
        kwargs = {kw: info[i] for i, kw in _READBACK if now[i] != info[i]}
        if "mass" in kwargs:  # a new mass rescales the inertia: put that back too
            kwargs["localInertiaDiagonal"] = info[2]
        if (now[_STIFFNESS], now[_DAMPING]) != (info[_STIFFNESS], info[_DAMPING]):
            kwargs.update(contactStiffness=info[_STIFFNESS], contactDamping=info[_DAMPING])
        # PyBullet cannot unset contact stiffness, and writes a link's margin to the base instead.
        if (now[_MARGIN] != info[_MARGIN] and link != -1) or (info[_STIFFNESS] < 0 <= now[_STIFFNESS]):
            raise RuntimeError(f"the collision margin or contact stiffness of link {link} of {name!r} was "
                               "changed through the client, and PyBullet cannot put it back: close this env "
                               "and make a new one")
        if now[_MARGIN] != info[_MARGIN]:
            kwargs["collisionMargin"] = info[_MARGIN]
        self.client.changeDynamics(self.bodies[name], link, **kwargs)

    def _remove_strays(self) -> None:
        """Remove bodies and constraints added through the client; refuse if ours were removed."""
        c = self.client
        if c.getNumBodies() != len(self.bodies):
            present = {c.getBodyUniqueId(i) for i in range(c.getNumBodies())}
            gone = sorted(name for name, bid in self.bodies.items() if bid not in present)
            if gone:
                raise RuntimeError(f"bodies {gone} were removed through the client; this Sim cannot "
                                   "rebuild them: close this env and make a new one")
            for bid in sorted(present - set(self.bodies.values())):
                c.removeBody(bid)
        uids = [c.getConstraintUniqueId(i) for i in range(c.getNumConstraints())]
        for uid in uids:
            if uid not in self._constraints:
                c.removeConstraint(uid)
        gone = sorted(set(self._constraints) - set(uids))
        if gone:
            raise RuntimeError(f"constraints {gone} were removed through the client; this Sim cannot "
                               "rebuild them: close this env and make a new one")

    # ------------------------------------------------------------------- bodies
    def _register(self, name: str, body_id: int) -> int:
        if name in self.bodies:
            raise ValueError(f"a body named {name!r} exists already; remove it first")
        self.bodies[name] = body_id
        return body_id

    def id(self, name: str) -> int:
        """The PyBullet body id of ``name``."""
        try:
            return self.bodies[name]
        except KeyError:
            raise KeyError(f"unknown body {name!r}; bodies are {sorted(self.bodies)}") from None

    def name_of(self, body_id: int) -> str | None:
        """The name of a body id, or None for unnamed bodies."""
        for name, bid in self.bodies.items():
            if bid == body_id:
                return name
        return None

    def remove(self, name: str) -> None:
        """Remove a named body from the world (and what was recorded about it)."""
        bid = self.bodies.pop(name)
        self._nominal.pop(name, None)
        for table in (self._written, self._joint_friction):
            for key in [k for k in table if k[0] == name]:
                del table[key]
        self._constraints = {uid: info for uid, info in self._constraints.items() if bid not in (info[0], info[2])}
        self.client.removeBody(bid)

    def load_urdf(
        self,
        name: str,
        path: str,
        pose: Pose,
        fixed: bool = False,
        scale: float = 1.0,
        flags: int = 0,
    ) -> int:
        """Load a URDF file as a named body."""
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
        self, name: str, half_extents_m: Vec3, pose: Pose, mass_kg: float, rgba: Sequence[float]
    ) -> int:
        """Create a box body (``mass_kg=0`` makes it static)."""
        return self.add_primitive(name, p.GEOM_BOX, pose, mass_kg, rgba, half_extents_m=half_extents_m)

    def add_cylinder(
        self, name: str, radius_m: float, length_m: float, pose: Pose, mass_kg: float,
        rgba: Sequence[float],
    ) -> int:
        """Create a z-axis cylinder body."""
        return self.add_primitive(
            name, p.GEOM_CYLINDER, pose, mass_kg, rgba, radius_m=radius_m, length_m=length_m
        )

    def add_sphere(
        self, name: str, radius_m: float, pose: Pose, mass_kg: float, rgba: Sequence[float]
    ) -> int:
        """Create a sphere body."""
        return self.add_primitive(name, p.GEOM_SPHERE, pose, mass_kg, rgba, radius_m=radius_m)

    def add_capsule(
        self, name: str, radius_m: float, length_m: float, pose: Pose, mass_kg: float,
        rgba: Sequence[float],
    ) -> int:
        """Create a z-axis capsule body."""
        return self.add_primitive(
            name, p.GEOM_CAPSULE, pose, mass_kg, rgba, radius_m=radius_m, length_m=length_m
        )

    # -------------------------------------------------------------------- poses
    def pose(self, name: str, link: int = -1) -> Pose:
        """World pose of a body's base (``link=-1``) or of one link's frame."""
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

    def velocity(self, name: str) -> tuple[Vec3, Vec3]:
        """Linear and angular velocity of a body's base (world frame)."""
        lin, ang = self.client.getBaseVelocity(self.id(name))
        return tuple(lin), tuple(ang)

    def aabb(self, name: str, link: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned world bounding box of a link (lower, upper corners)."""
        lo, hi = self.client.getAABB(self.id(name), link)
        return np.asarray(lo), np.asarray(hi)

    def num_joints(self, name: str) -> int:
        """Number of joints (= links) of a body."""
        return self.client.getNumJoints(self.id(name))

    def joint_position(self, name: str, joint: int) -> float:
        """Position of one joint (rad or m)."""
        return float(self.client.getJointState(self.id(name), joint)[0])

    def set_joint_position(self, name: str, joint: int, value: float) -> None:
        """Teleport a joint and zero its velocity."""
        self.client.resetJointState(self.id(name), joint, value, 0.0)

    def set_joint_friction(self, name: str, joint: int, force: float) -> None:
        """Free a joint from its default locking motor, leaving ``force`` as friction (N or Nm)."""
        self.client.setJointMotorControl2(
            self.id(name), joint, p.VELOCITY_CONTROL, targetVelocity=0.0, force=force
        )
        self._joint_friction[(name, joint)] = force

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
        bid = self.id(name)
        for link in self.link_indices(name) if links is None else links:
            self.client.changeVisualShape(
                bid, link, textureUniqueId=texture_id, rgbaColor=[1, 1, 1, 1]
            )

    def clear_texture(self, name: str, links: Sequence[int] | None = None) -> None:
        """Remove any texture from a body's visual shapes."""
        bid = self.id(name)
        for link in self.link_indices(name) if links is None else links:
            self.client.changeVisualShape(bid, link, textureUniqueId=-1)

    def set_dynamics(self, name: str, link: int = -1, **values: float) -> None:
        """Forward ``changeDynamics`` keywords (mass, lateralFriction, ...) for one link.

        Values PyBullet cannot report back (damping, activation state...) are remembered, so that
        :meth:`record_nominal` knows them.
        """
        self.client.changeDynamics(self.id(name), link, **values)
        unreadable = {k: v for k, v in values.items() if k not in _READABLE}
        if unreadable:
            self._written.setdefault((name, link), {}).update(unreadable)

    def dynamics(self, name: str, link: int = -1) -> dict[str, float]:
        """Mass and friction of one link as the engine reports them."""
        info = self.client.getDynamicsInfo(self.id(name), link)
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
