"""bench/ppo_learning.py's training wrappers: the task frame turns with the layout, and the start-state
curriculum moves only training starts, toward the goal."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")  # the bench script imports it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import ppo_learning  # noqa: E402

BLOCK = slice(11, 14)  # the block's position in TaskFrame's observation (after the hand's 11 values)


def test_the_task_frame_puts_every_layout_the_same_way_round_and_acts_in_it():
    env = ppo_learning.make_env("slide_block_to_target", 40, False, frame="target")
    assert env.action_space.shape == (4,)  # dx, dy, dz, dyaw in the frame; the gripper held closed
    for seed in range(4):
        obs, _ = env.reset(seed=seed)
        assert obs.shape == env.observation_space.shape
        assert obs[BLOCK] == pytest.approx([-0.3, 0.0, 0.025], abs=2e-3)  # the block 0.3 m behind the patch, on x
        start = obs[:3].copy()
        for _ in range(5):
            obs, *_ = env.step(np.array([1.0, 0.0, 0.0, 0.0]))
        moved = obs[:3] - start
        assert moved[0] > 0.05 and abs(moved[1]) < 0.2 * moved[0]  # +x in the frame: toward the patch
        assert env.unwrapped.snapshot().gripper_width_m < 0.01  # held closed
    env.close()


def test_start_nearer_moves_training_starts_toward_the_goal_and_never_evaluation_starts():
    train = ppo_learning.make_env("slide_block_to_target", 40, True, frame="target",
                                  nearer=("block", "target", 1.0))
    evaluation = ppo_learning.make_env("slide_block_to_target", 40, False, frame="target")
    gaps = []
    for seed in range(4):
        obs, _ = train.reset(seed=seed)
        gaps.append(-obs[BLOCK][0])
        assert abs(obs[BLOCK][1]) < 2e-3  # along the line to the patch
        assert evaluation.reset(seed=seed)[0][BLOCK][0] == pytest.approx(-0.3, abs=2e-3)
    assert all(0.3 * 0.1 - 2e-3 <= g <= 0.3 + 2e-3 for g in gaps) and max(gaps) - min(gaps) > 0.02
    box = ppo_learning.make_env("close_box", 40, True, frame="box", nearer=("box", "hinge=0.0", 1.0))
    box.reset(seed=0)
    assert box.unwrapped.sim.joint_position("box", "hinge") < np.deg2rad(150.0)  # turned toward closed
    for env in (train, evaluation, box):
        env.close()


def test_the_curriculum_share_falls_to_zero_by_its_end():
    env = ppo_learning.make_env("slide_block_to_target", 40, True, frame="target",
                                nearer=("block", "target", 1.0), nearer_until=30)
    nearer = env.get_wrapper_attr("current_share")
    assert nearer() == 1.0
    moved = []
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        moved.append(-obs[BLOCK][0] < 0.3 - 2e-3)
        for _ in range(5):  # 5 env steps after each reset
            env.step(np.zeros(4))
    assert moved[0]  # share 1: the first start is moved
    assert 0.0 < nearer() < 1.0
    for _ in range(20):
        env.step(np.zeros(4))
    assert nearer() == 0.0
    for seed in range(3, 6):  # past the end: the task's own starts
        assert env.reset(seed=seed)[0][BLOCK][0] == pytest.approx(-0.3, abs=2e-3)
    env.close()


def test_oracle_starts_put_the_hand_and_lid_where_the_oracle_left_them():
    from colosseum_lite.robot import top_down_quat

    env = ppo_learning.make_env("close_box", 40, True, frame="box", oracle_start=(1.0, 6))
    fresh = ppo_learning.make_env("close_box", 40, False, frame="box")
    base = env.unwrapped
    hinges, moved = [], []
    for seed in range(4):
        env.reset(seed=seed)
        fresh.reset(seed=seed)
        hinges.append(base.sim.joint_position("box", "hinge"))
        moved.append(np.linalg.norm(np.subtract(base.snapshot().ee_pos, fresh.unwrapped.snapshot().ee_pos)))
        cmd = np.asarray(base.robot.command.ee_quat)  # the delta command goes on from the oracle's pose
        assert abs(abs(float(np.dot(cmd, top_down_quat(base.control.yaw_rad)))) - 1.0) < 1e-6
        before = np.asarray(base.snapshot().ee_pos)
        env.step(np.zeros(4))
        assert np.linalg.norm(np.asarray(base.snapshot().ee_pos) - before) < 0.01  # no jump back home
    assert min(moved) > 0.05  # every start moved the hand along the oracle's path
    assert min(hinges) < np.deg2rad(145.0)  # and some reached the swing
    for e in (env, fresh):
        e.close()


def test_a_saved_policy_reloads_as_its_run_says_and_draws_its_filmstrip(tmp_path):
    import argparse
    import json

    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    venv = VecNormalize(DummyVecEnv([lambda: ppo_learning.make_env("slide_block_to_target", 6, False,
                                                                   frame="target")]))
    model = PPO("MlpPolicy", venv, n_steps=8, batch_size=8, device="cpu")
    path = str(tmp_path / "policy")
    model.save(path)
    venv.save(f"{path}.vecnormalize.pkl")
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"task": "slide_block_to_target", "algorithm": "stable-baselines3 PPO",
                               "horizon_steps": 6, "eval_seeds": [1000, 1019],
                               "hyperparameters": {"action_repeat": 1, "task_frame": "target",
                                                   "gripper_action": False}}))
    loaded, norm, env, _, horizon = ppo_learning.load_saved(path, str(run))
    obs, _ = env.reset(seed=1020)
    assert horizon == 6 and env.action_space.shape == (4,) and not norm.training
    action, _ = loaded.predict(norm.normalize_obs(obs[None]), deterministic=True)
    assert np.allclose(action, model.predict(norm.normalize_obs(obs[None]), deterministic=True)[0])
    out = tmp_path / "strip.png"
    ppo_learning.filmstrip(argparse.Namespace(model=path, run=str(run), seed=1020, camera="front", size=48,
                                              frames=3, out=str(out)))
    from PIL import Image

    assert Image.open(out).size[0] > 3 * 48
    venv.close()
    env.close()


@pytest.mark.parametrize(("model", "run", "seeds", "least"), [
    ("close_box_oracle_start_0.8M", "ppo_close_box_oracle_start.json", range(1020, 1030), 8),  # 97.5% of 200
    ("slide_oracle_start_1.6M", "ppo_slide_oracle_start.json", range(1040, 1060), 12),  # 85.5% of 200
])
def test_the_shipped_ppo_checkpoints_still_solve_held_out_episodes(model, run, seeds, least):
    """The README's PPO figures replay: a change to the observations, the actions, the dense reward's
    inputs or the physics that breaks a learned policy shows here (retrain with the run's command)."""
    runs = Path(__file__).resolve().parents[1] / "docs" / "rl_runs"
    policy, norm, env, spec, horizon = ppo_learning.load_saved(str(runs / "models" / model), str(runs / run))
    result = ppo_learning.evaluate(policy, norm, spec["task"], horizon, env, seeds)
    assert result["success_rate"] * len(seeds) >= least, result
    env.close()
