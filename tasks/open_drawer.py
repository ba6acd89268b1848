"""open_drawer: placeholder until the task module lands (raises on use)."""

from __future__ import annotations

from colosseum_lite.tasks.base import Role, Task


class OpenDrawer(Task):
    name = "open_drawer"
    objects = {"body": Role.MO}

    def instruction(self, variant):
        raise NotImplementedError

    def build(self, sim, scales):
        raise NotImplementedError("open_drawer is not implemented yet")

    def reset(self, sim, rng, variant):
        raise NotImplementedError

    def success(self, snap, variant):
        raise NotImplementedError

    def oracle(self, sim, variant):
        raise NotImplementedError
