"""basketball_in_hoop: placeholder until the task module lands (raises on use)."""

from __future__ import annotations

from colosseum_lite.tasks.base import Role, Task


class BasketballInHoop(Task):
    name = "basketball_in_hoop"
    objects = {"body": Role.MO}

    def instruction(self, variant):
        raise NotImplementedError

    def build(self, sim, scales):
        raise NotImplementedError("basketball_in_hoop is not implemented yet")

    def reset(self, sim, rng, variant):
        raise NotImplementedError

    def success(self, snap, variant):
        raise NotImplementedError

    def oracle(self, sim, variant):
        raise NotImplementedError
