"""A policy that reaches into the simulator cannot change the next episode.

A policy can call ``env.unwrapped.sim.client`` (a PyBullet client): set gravity, the time step or
solver parameters, change masses, frictions and damping, move bodies, add bodies or constraints.
``reset`` must undo all of it: the next episode equals the same episode in a fresh env, bit for bit.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pybullet as p
import pybullet_data
import pytest

from colosseum_lite import env_id
from colosseum_lite.policies.oracle import OraclePolicy
from colosseum_lite.robot import FINGER_JOINTS

SEED_TAMPERED, SEED_CHECKED = 3, 4


def _links(env, body: str) -> list[int]:
    return env.sim.link_indices(body)


def _task_body(env) -> str:
    return env.task.body_names()[0]


def tamper_as_in_the_brief(env) -> None:
    """Gravity, time step, solver iterations, finger and task-body mass and friction at once."""
    c, sim = env.sim.client, env.sim
    c.setGravity(0, 0, 5)
    c.setTimeStep(1 / 60)
    c.setPhysicsEngineParameter(numSolverIterations=1)
    for j in FINGER_JOINTS:
        c.changeDynamics(sim.id("panda"), j, mass=1.0, lateralFriction=0.05)
    for link in _links(env, _task_body(env)):
        c.changeDynamics(sim.id(_task_body(env)), link, mass=5.0, lateralFriction=0.01)


def _body(env, name: str) -> int:
    return env.sim.id(_task_body(env) if name == "task" else name)


TAMPERS = {
    "gravity": lambda e: e.sim.client.setGravity(0, 0, 5),
    "time-step": lambda e: e.sim.client.setTimeStep(1 / 60),
    "solver-iterations": lambda e: e.sim.client.setPhysicsEngineParameter(numSolverIterations=1),
    "solver-residual": lambda e: e.sim.client.setPhysicsEngineParameter(solverResidualThreshold=1e-2),
    "contact-erp": lambda e: e.sim.client.setPhysicsEngineParameter(erp=0.5, contactERP=0.5, frictionERP=0.5),
    "sub-steps": lambda e: e.sim.client.setPhysicsEngineParameter(numSubSteps=4),
    "finger-mass": lambda e: [e.sim.client.changeDynamics(_body(e, "panda"), j, mass=1.0) for j in FINGER_JOINTS],
    "finger-friction": lambda e: [e.sim.client.changeDynamics(_body(e, "panda"), j, lateralFriction=0.05,
                                                              spinningFriction=0.1) for j in FINGER_JOINTS],
    "finger-contact-stiffness": lambda e: [e.sim.client.changeDynamics(_body(e, "panda"), j, contactStiffness=10.0,
                                                                       contactDamping=1.0) for j in FINGER_JOINTS],
    "finger-joint-damping": lambda e: [e.sim.client.changeDynamics(_body(e, "panda"), j, jointDamping=5.0)
                                       for j in FINGER_JOINTS],
    "robot-damping": lambda e: e.sim.client.changeDynamics(_body(e, "panda"), -1, linearDamping=2.0,
                                                           angularDamping=2.0),
    "task-body-mass": lambda e: e.sim.client.changeDynamics(_body(e, "task"), -1, mass=9.0),
    "task-body-friction": lambda e: e.sim.client.changeDynamics(_body(e, "task"), -1, lateralFriction=0.01,
                                                                restitution=0.9, rollingFriction=0.1),
    "task-body-damping": lambda e: e.sim.client.changeDynamics(_body(e, "task"), -1, linearDamping=5.0),
    "table-friction": lambda e: e.sim.client.changeDynamics(_body(e, "table"), -1, lateralFriction=0.01),
    "finger-gear": lambda e: e.sim.client.changeConstraint(e.robot._gear, maxForce=1.0, erp=0.9),
    "moved-table": lambda e: e.sim.client.resetBasePositionAndOrientation(_body(e, "table"), (0.4, 0.0, -0.2),
                                                                          (0, 0, 0, 1)),
    "added-body": lambda e: e.sim.client.loadURDF(f"{pybullet_data.getDataPath()}/cube_small.urdf", [0.5, 0, 0.3]),
    "added-constraint": lambda e: e.sim.client.createConstraint(_body(e, "panda"), 11, _body(e, "task"), -1,
                                                                p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), (0, 0, 0)),
}


def _episode(env, seed: int, tamper=None, actions=None) -> tuple[list, list, list, list]:
    """Observations, rewards, actions and final poses of one episode (oracle unless ``actions``)."""
    obs, info = env.reset(seed=seed)
    policy = OraclePolicy(env)
    policy.reset(seed)
    seen, rewards, played = [obs], [], []
    for k in range(len(actions) if actions is not None else env.spec.max_episode_steps):
        if tamper is not None and k == 1:
            tamper(env.unwrapped)
        action = actions[k] if actions is not None else policy.act(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        seen.append(obs)
        rewards.append(reward)
        played.append(action)
        if terminated or truncated:
            break
    u = env.unwrapped
    poses = [(u.sim.pose(n).pos, u.sim.pose(n).quat) for n in u.task.body_names()]
    return seen, rewards, played, poses


def _same(a, b) -> bool:
    (obs_a, rew_a, _, pose_a), (obs_b, rew_b, _, pose_b) = a, b
    return (len(obs_a) == len(obs_b) and rew_a == rew_b and pose_a == pose_b
            and all(np.array_equal(x[k], y[k]) for x, y in zip(obs_a, obs_b, strict=True) for k in x))


@pytest.mark.parametrize("task", ["slide_block_to_target", "close_box"])
def test_a_tampering_episode_does_not_change_the_next(task):
    fresh, used = gym.make(env_id(task)), gym.make(env_id(task))
    try:
        _episode(used, SEED_TAMPERED, tamper_as_in_the_brief)
        after = _episode(used, SEED_CHECKED)
        reference = _episode(fresh, SEED_CHECKED)
        assert reference[1][-1] == 1.0, "the oracle should solve the checked episode"
        assert _same(after, reference)
    finally:
        fresh.close()
        used.close()


@pytest.fixture(scope="module")
def reference():
    """The oracle's checked episode of slide_block_to_target in a fresh env, and its actions."""
    env = gym.make(env_id("slide_block_to_target"))
    try:
        ref = _episode(env, SEED_CHECKED)
        return ref, env.unwrapped.sim.client.getPhysicsEngineParameters()
    finally:
        env.close()


@pytest.mark.parametrize("name", list(TAMPERS))
def test_each_tamper_is_undone(name, reference):
    (ref, engine) = reference
    env = gym.make(env_id("slide_block_to_target"))
    try:
        u = env.unwrapped
        bodies, constraints = u.sim.client.getNumBodies(), u.sim.client.getNumConstraints()
        _episode(env, SEED_TAMPERED, TAMPERS[name], actions=ref[2][:3])
        after = _episode(env, SEED_CHECKED, actions=ref[2])  # the oracle's actions: they solve it
        assert after[1][-1] == 1.0
        assert _same(after, ref)
        assert u.sim.client.getPhysicsEngineParameters() == engine
        assert (u.sim.client.getNumBodies(), u.sim.client.getNumConstraints()) == (bodies, constraints)
    finally:
        env.close()


def test_dynamics_read_back_as_nominal_after_reset():
    env = gym.make(env_id("close_box")).unwrapped
    try:
        env.reset(seed=0)
        def dynamics(name: str) -> list[tuple]:
            return [env.sim.client.getDynamicsInfo(env.sim.id(name), link) for link in _links(env, name)]

        nominal = {name: dynamics(name) for name in env.sim.bodies}
        tamper_as_in_the_brief(env)
        env.sim.client.changeDynamics(env.sim.id("table"), -1, lateralFriction=0.01, restitution=0.5)
        env.reset(seed=1)
        for name, before in nominal.items():
            assert dynamics(name) == before, name
    finally:
        env.close()


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        (lambda e: e.sim.client.removeBody(e.sim.id("table")), r"bodies \['table'\] were removed"),
        (lambda e: e.sim.client.changeDynamics(e.sim.id("table"), -1, contactStiffness=10.0, contactDamping=1.0),
         "contact stiffness of link -1 of 'table'"),
    ],
    ids=["removed-body", "contact-stiffness-on-a-link-without"],
)
def test_what_cannot_be_undone_is_refused_at_reset(tamper, match):
    env = gym.make(env_id("slide_block_to_target")).unwrapped
    try:
        env.reset(seed=0)
        tamper(env)
        with pytest.raises(RuntimeError, match=match):
            env.reset(seed=1)
    finally:
        env.close()
