"""Random streams: one per (episode seed, task, stream); axes and tasks never share draws."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from colosseum_lite.seeding import MAX_SEED, TASK_STREAM, stream

SEEDS = (0, 3, 11)
LOOKS = ("light_color", "table_color", "camera_pose")
TWO_TASKS = ("close_box", "open_drawer")


def _draws(make_env, task: str, axes, seeds=SEEDS) -> list[dict]:
    env = make_env(task, perturbations=axes)
    return [env.reset(seed=s)[1]["perturbation"] for s in seeds]


def test_a_stream_is_the_documented_generator():
    expected = np.random.default_rng([5, zlib.crc32(b"close_box"), zlib.crc32(b"light_color")])
    assert np.array_equal(stream(5, "close_box", "light_color").random(4), expected.random(4))


def test_streams_differ_by_seed_task_and_name():
    first = {(s, t, n): stream(s, t, n).random() for s in (1, 2) for t in TWO_TASKS
             for n in (TASK_STREAM, "light_color")}
    assert len(set(first.values())) == len(first)
    assert stream(1, "close_box", TASK_STREAM).random() == first[(1, "close_box", TASK_STREAM)]


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1])
def test_a_seed_out_of_range_is_an_error(seed):
    with pytest.raises(ValueError, match="episode seed must be in"):
        stream(seed, "close_box", TASK_STREAM)


def test_the_same_seed_draws_differently_in_two_tasks(make_env):
    a, b = (_draws(make_env, task, LOOKS) for task in TWO_TASKS)
    for name in LOOKS:
        for seed, pa, pb in zip(SEEDS, a, b, strict=True):
            assert pa[name] != pb[name], f"{name} drew {pa[name]} in both tasks for seed {seed}"


def test_the_same_seed_draws_the_same_in_two_envs_of_one_task(make_env):
    assert _draws(make_env, "close_box", LOOKS) == _draws(make_env, "close_box", LOOKS)


@pytest.mark.parametrize("name", LOOKS)
def test_adding_axes_leaves_an_axis_draw_alone(name, make_env):
    alone = _draws(make_env, "close_box", (name,))
    together = _draws(make_env, "close_box", ("mo_color", *LOOKS))
    assert [d[name] for d in alone] == [d[name] for d in together]


def _overlapping(env) -> list[tuple[str, str]]:
    sim = env.unwrapped.sim
    return [(d, body) for d in env.unwrapped.scene.distractors for body in env.unwrapped.task.body_names()
            if sim.client.getClosestPoints(sim.id(d), sim.id(body), 0.0)]


# Tasks whose objects stand where they stand whatever their size (basketball_in_hoop places its
# ball against its size, open_drawer keeps the handle's lane clear: see colosseum_lite.env).
SIZE_FREE_LAYOUTS = {"close_box": ("mo_size",), "reach_and_drag": ("mo_size", "ro_size")}


@pytest.mark.parametrize("task", sorted(SIZE_FREE_LAYOUTS))
def test_distractors_do_not_depend_on_the_size_draw(task, make_env):
    seeds = range(6)
    sizes = SIZE_FREE_LAYOUTS[task]
    alone = make_env(task, perturbations=("distractor",))
    sized = make_env(task, perturbations=("distractor", *sizes))
    scales = set()
    for seed in seeds:
        _, info_alone = alone.reset(seed=seed)
        _, info_sized = sized.reset(seed=seed)
        scales.add(tuple(info_sized["perturbation"][name]["scale"] for name in sizes))
        assert info_sized["perturbation"]["distractor"] == info_alone["perturbation"]["distractor"], seed
        assert not _overlapping(sized), f"seed {seed}: {_overlapping(sized)}"
    assert len(scales) == len(seeds)  # the sizes really changed
