"""The world as built, recorded so that a reset can undo what anyone did through the client.

A policy can reach ``env.unwrapped.sim.client`` and change the engine, the bodies' dynamics or
the constraints behind the :class:`~colosseum_lite.sim.Sim` facade; ``restoreState`` puts back
poses and velocities but none of those. :class:`NominalWorld` records them once the scene is
built and writes back only what differs at each reset (cheap when nothing was touched).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pybullet as p  # imported quietly by colosseum_lite.sim, the only importer of this module

if TYPE_CHECKING:
    from colosseum_lite.sim import Sim

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
class _Body:
    """One named body as recorded: its id, dynamics per link, and values to write every reset."""

    body_id: int
    links: tuple[int, ...]
    dynamics: tuple[tuple, ...]  # getDynamicsInfo of each link
    rewrites: tuple[tuple[int, Mapping[str, float]], ...]  # (link, changeDynamics keywords)


@dataclass(slots=True)
class NominalWorld:
    """What the facade wrote that PyBullet cannot report back, and the recorded world.

    Attributes:
        written: ``(body, link) -> changeDynamics`` keywords PyBullet does not report (damping,
            activation state...), as the facade set them.
        joint_friction: ``(body, joint) -> force`` of the joints freed with friction.
    """

    written: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    joint_friction: dict[tuple[str, int], float] = field(default_factory=dict)
    _bodies: dict[str, _Body] = field(default_factory=dict)
    _constraints: dict[int, tuple] = field(default_factory=dict)

    def note_dynamics(self, name: str, link: int, values: Mapping[str, float]) -> None:
        """Remember the keywords of a ``changeDynamics`` call that PyBullet cannot report back."""
        unreadable = {k: v for k, v in values.items() if k not in _READABLE}
        if unreadable:
            self.written.setdefault((name, link), {}).update(unreadable)

    def forget(self, name: str, body_id: int) -> None:
        """Drop what was recorded about a body the facade removes."""
        self._bodies.pop(name, None)
        for table in (self.written, self.joint_friction):
            for key in [k for k in table if k[0] == name]:
                del table[key]
        self._constraints = {uid: info for uid, info in self._constraints.items()
                             if body_id not in (info[0], info[2])}

    def record(self, sim: Sim) -> None:
        """Remember every named body's dynamics and every constraint as they are now (nominal)."""
        c = sim.client
        for name, bid in sim.bodies.items():
            links = tuple(sim.link_indices(name))
            dynamics = tuple(c.getDynamicsInfo(bid, link) for link in links)
            self._bodies[name] = _Body(bid, links, dynamics, self._rewrites(sim, name, links, dynamics))
        self._constraints = {uid: c.getConstraintInfo(uid)
                             for uid in (c.getConstraintUniqueId(i) for i in range(c.getNumConstraints()))}

    def _rewrites(
        self, sim: Sim, name: str, links: tuple[int, ...], dynamics: tuple[tuple, ...]
    ) -> tuple[tuple[int, Mapping[str, float]], ...]:
        """Values PyBullet cannot report, to write every reset: damping (and what the facade set)."""
        c, bid = sim.client, sim.bodies[name]
        movable = [j for j in links[1:] if c.getJointInfo(bid, j)[2] != p.JOINT_FIXED]
        out = []
        for link in links:
            kwargs = dict(self.written.get((name, link), {}))
            if link == -1 and (movable or any(d[0] > 0 for d in dynamics)):
                kwargs = {"linearDamping": BULLET_DAMPING, "angularDamping": BULLET_DAMPING, **kwargs}
            if link in movable:
                kwargs = {"jointDamping": c.getJointInfo(bid, link)[6], **kwargs}
            if kwargs:
                out.append((link, kwargs))
        return tuple(out)

    def restore(self, sim: Sim) -> None:
        """Undo what was done through the client since :meth:`record` (engine settings aside).

        Puts back the dynamics of every recorded body (mass, inertia, frictions, restitution,
        contact stiffness, damping), the joint friction and the recorded constraints; removes
        bodies and constraints nobody named or recorded. Poses are the saved state's business.

        Raises:
            RuntimeError: a change PyBullet cannot undo (a named body or recorded constraint was
                removed, contact stiffness was given to a link that had none).
        """
        c = sim.client
        self._remove_strays(sim)
        for name, body in self._bodies.items():
            for link, info in zip(body.links, body.dynamics, strict=True):
                now = c.getDynamicsInfo(body.body_id, link)
                if now != info:
                    _put_back(sim, name, link, info, now)
            for link, kwargs in body.rewrites:
                c.changeDynamics(body.body_id, link, **kwargs)
        for (name, joint), force in self.joint_friction.items():
            c.setJointMotorControl2(sim.bodies[name], joint, p.VELOCITY_CONTROL, targetVelocity=0.0, force=force)
        for uid, info in self._constraints.items():
            now = c.getConstraintInfo(uid)
            if now != info:
                c.changeConstraint(uid, **{kw: info[i] for i, kw in _CONSTRAINT_READBACK if now[i] != info[i]})

    def _remove_strays(self, sim: Sim) -> None:
        """Remove bodies and constraints added through the client; refuse if ours were removed."""
        c = sim.client
        if c.getNumBodies() != len(sim.bodies):
            present = {c.getBodyUniqueId(i) for i in range(c.getNumBodies())}
            gone = sorted(name for name, bid in sim.bodies.items() if bid not in present)
            if gone:
                raise RuntimeError(f"bodies {gone} were removed through the client; this Sim cannot "
                                   "rebuild them: close this env and make a new one")
            for bid in sorted(present - set(sim.bodies.values())):
                c.removeBody(bid)
        uids = [c.getConstraintUniqueId(i) for i in range(c.getNumConstraints())]
        for uid in uids:
            if uid not in self._constraints:
                c.removeConstraint(uid)
        gone_uids = sorted(set(self._constraints) - set(uids))
        if gone_uids:
            raise RuntimeError(f"constraints {gone_uids} were removed through the client; this Sim cannot "
                               "rebuild them: close this env and make a new one")


def _put_back(sim: Sim, name: str, link: int, info: tuple, now: tuple) -> None:
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
    sim.client.changeDynamics(sim.bodies[name], link, **kwargs)
