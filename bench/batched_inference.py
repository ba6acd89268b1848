"""Batched inference: episodes/s of a small CNN TorchScript policy on rgb observations, batch 1 vs N.

One process, one worker's machinery (``EnvCache`` and ``run_items``, as a sweep worker runs them):
the same episodes (``slide_block_to_target``, no perturbation, ``ee_delta``, rgb from the front and
wrist cameras) run one at a time and then N at a time in lockstep, one ``act_batch`` forward pass
per step. The envs are built and warmed up first; each figure is the median of ``--repeats`` runs.
Also prints the time the model alone takes per observation at batch 1 and at batch N, checks that
both ways give the same rows, and prints how far apart their dense returns are. Usage::

    python bench/batched_inference.py [--batch 8] [--episodes 8] [--steps 20] [--repeats 3] [--device cpu]
                                      [--threads 1] [--width 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from colosseum_lite.eval.plan import SweepConfig, plan
from colosseum_lite.eval.worker import EnvCache, run_items

TASK = "slide_block_to_target"


class NatureCNN(torch.nn.Module):
    """The DQN encoder on each camera, concatenated with the proprioception, to 5 ``ee_delta`` numbers."""

    def __init__(self, width: int = 1) -> None:
        super().__init__()
        a, b = 32 * width, 64 * width
        self.encoder = torch.nn.Sequential(
            torch.nn.Conv2d(3, a, 8, stride=4), torch.nn.ReLU(), torch.nn.Conv2d(a, b, 4, stride=2),
            torch.nn.ReLU(), torch.nn.Conv2d(b, b, 3, stride=1), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(4), torch.nn.Flatten())
        self.head = torch.nn.Sequential(torch.nn.Linear(2 * b * 16 + 22, 256), torch.nn.ReLU(),
                                        torch.nn.Linear(256, 5), torch.nn.Tanh())

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        x = torch.cat([self.encoder(obs["front_rgb"]), self.encoder(obs["wrist_rgb"]), obs["proprio"]], dim=1)
        return self.head(x) * 0.5


def _essence(rows: list) -> list[tuple]:
    return sorted((r.episode, r.seed, r.params, r.success, r.steps, r.status.value) for r in rows)


def _return_gap(a: list, b: list) -> float:
    """The largest difference of an episode's (dense) return between two runs of the same episodes."""
    ra, rb = ({r.episode: r.return_ for r in rows} for rows in (a, b))
    return max(abs(ra[e] - rb[e]) for e in ra)


def _sweep(cache: EnvCache, items: list, batch: int) -> tuple[float, list]:
    """Seconds to run ``items`` in batches of ``batch``, and their rows."""
    rows: list = []
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        run_items(cache, items[i:i + batch], rows.append)
    return time.perf_counter() - start, rows


def _model_ms(policy, obs: dict, batch: int, repeats: int = 20) -> float:
    """Milliseconds the model alone takes per observation at ``batch``."""
    observations = [obs] * batch
    policy.act_batch(observations)
    start = time.perf_counter()
    for _ in range(repeats):
        policy.act_batch(observations)
    return 1000 * (time.perf_counter() - start) / (repeats * batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20, help="ee_delta steps per episode")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a sweep runs a worker per core)")
    parser.add_argument("--width", type=int, default=1, help="channel multiplier of the CNN (1: the DQN's)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cnn.pt"
        torch.jit.save(torch.jit.script(NatureCNN(args.width)), str(path))
        env_kwargs = {"max_episode_steps": args.steps, "reward_mode": "dense"}
        config = SweepConfig("bench", str(path), "0", "rgb", "ee_delta", {}, env_kwargs, device=args.device,
                             batch_size=args.batch)
        items = plan([TASK], ["no_perturbation"], args.episodes, seed=1000)
        cache = EnvCache(config)
        try:
            envs = cache.envs(TASK, "no_perturbation", args.batch)  # build and warm up every env
            _sweep(cache, items[:args.batch], args.batch)
            times: dict[int, list[float]] = {1: [], args.batch: []}
            rows: dict[int, list] = {}
            for _ in range(args.repeats):
                for batch in times:
                    seconds, rows[batch] = _sweep(cache, items, batch)
                    times[batch].append(seconds)
            policy = cache.policy(envs[0])
            obs = envs[0].reset(seed=0)[0]
            model = {b: _model_ms(policy, obs, b) for b in times}
        finally:
            cache.close()
    same = _essence(rows[1]) == _essence(rows[args.batch])
    gap = _return_gap(rows[1], rows[args.batch])
    rate = {b: args.episodes / statistics.median(t) for b, t in times.items()}
    print(f"{TASK}, rgb 128 px (front + wrist), ee_delta, {args.steps} steps per episode, {args.episodes} "
          f"episodes, CNN width x{args.width}, device {args.device}, torch threads {torch.get_num_threads()}, "
          f"median of {args.repeats}")
    print(f"{'batch':>6} {'episodes/s':>11} {'steps/s':>8} {'model ms/obs':>13}")
    for b in times:
        print(f"{b:>6} {rate[b]:>11.2f} {rate[b] * args.steps:>8.1f} {model[b]:>13.2f}")
    print(f"batch {args.batch} / batch 1: {rate[args.batch] / rate[1]:.2f}x episodes/s; model alone "
          f"{model[1] / model[args.batch]:.2f}x per observation")
    print(f"rows (seed, parameters, success, steps, status) identical: {same}; largest difference of a dense "
          f"return: {gap:.1e} (batched matrix products round differently)")
    if not same:
        raise SystemExit("batched rows differ from unbatched rows")


if __name__ == "__main__":
    main()
