"""The 14 perturbation axes as named instances of a few small classes, and how tasks pick them.

``AXES`` maps every axis name to its axis object. A task declares the axes that apply to it
beyond ``COMMON_AXES`` (which apply to every task) in its ``axes`` class attribute, one line each:
``"mo_size": on(range=(0.75, 1.15))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from colosseum_lite.declarations import AxisSetting, Declared, Role, axis, describe
from colosseum_lite.perturbations.base import Axis, Scene, Stage
from colosseum_lite.perturbations.camera import CameraAxis
from colosseum_lite.perturbations.color import PaletteColorAxis, RGBColorAxis
from colosseum_lite.perturbations.distractor import DistractorAxis
from colosseum_lite.perturbations.dynamics import FrictionAxis, MassAxis
from colosseum_lite.perturbations.light import LightAxis
from colosseum_lite.perturbations.scale import ScaleAxis
from colosseum_lite.perturbations.texture import TextureAxis

AXES: dict[str, Axis] = {
    axis.name: axis
    for axis in (
        PaletteColorAxis("mo_color", Role.MO),
        PaletteColorAxis("ro_color", Role.RO),
        TextureAxis("mo_texture", role=Role.MO),
        TextureAxis("ro_texture", role=Role.RO),
        ScaleAxis("mo_size", Role.MO),
        ScaleAxis("ro_size", Role.RO),
        LightAxis("light_color", rgb_range=(0.0, 0.5)),
        RGBColorAxis("table_color", group="table", rgb_range=(0.25, 1.0)),
        TextureAxis("table_texture", group="table"),
        DistractorAxis("distractor"),
        TextureAxis("background_texture", group="walls"),
        CameraAxis("camera_pose", ("front", "left_shoulder", "right_shoulder"), pos_range_m=(-0.1, 0.1),
                   euler_range_rad=(-0.05, 0.05)),
        FrictionAxis("object_friction", default_range=(0.75, 1.0)),
        MassAxis("object_mass"),
    )
}

COMMON_AXES: dict[str, AxisSetting] = {
    name: axis() for name in ("light_color", "table_color", "table_texture", "background_texture", "camera_pose")
}
NO_PERTURBATION = "no_perturbation"
ALL = "all"


def applicable_axes(task: type[Declared]) -> dict[str, AxisSetting]:
    """Every axis that applies to a task with the task's setting, in ``AXES`` order."""
    declared = {**COMMON_AXES, **task.axes}
    unknown = sorted(set(declared) - set(AXES))
    if unknown:
        raise ValueError(f"task {task.name} declares unknown axis {unknown}; expected one of {sorted(AXES)}")
    return {name: declared[name] for name in AXES if name in declared}


def resolve(task: type[Declared], perturbations: Any) -> dict[str, AxisSetting]:
    """The active axes of an env, validated against the task.

    Args:
        perturbations: ``None``/``()``/``"no_perturbation"`` (none), ``"all"`` (every applicable
            axis), an axis name, a sequence of names, or a mapping from names to setting overrides
            such as ``{"mo_size": {"range": (0.8, 1.2)}, "light_color": {"severity": 0.5}}``.

    Raises:
        ValueError: for an unknown axis, one that does not apply to the task, or a bad override
            (naming the axis and the field).
    """
    applicable = applicable_axes(task)
    chosen = _chosen(perturbations, applicable)
    active = {}
    for name, overrides in chosen.items():
        if name not in AXES:
            raise ValueError(f"unknown axis {name!r}; expected one of {sorted(AXES)} (or 'all')")
        if name not in applicable:
            raise ValueError(f"axis {name!r} does not apply to {task.name}; applicable: {list(applicable)}")
        try:
            setting = applicable[name].merged(overrides)
            AXES[name].check(task.name, setting, task.objects)
            AXES[name].check_settings(task.name, setting, task.objects)
        except ValueError as exc:
            raise ValueError(f"perturbations[{name!r}] on {task.name}: {exc}") from None
        active[name] = setting
    return {name: active[name] for name in AXES if name in active}


def _chosen(perturbations: Any, applicable: Mapping[str, AxisSetting]) -> dict[str, Mapping[str, Any]]:
    """Axis names with their overrides, from any accepted form of ``perturbations``."""
    form = ("None, 'all', an axis name, a list of axis names or a dict from axis names to setting "
            "overrides")
    if perturbations is None:
        return {}
    if isinstance(perturbations, str):
        if perturbations == NO_PERTURBATION:
            return {}
        return {name: {} for name in applicable} if perturbations == ALL else {perturbations: {}}
    if isinstance(perturbations, Mapping):
        chosen = {}
        for name, overrides in perturbations.items():
            if not isinstance(name, str):
                raise ValueError(f"perturbations must map axis names to overrides; got the key {describe(name)}")
            if overrides is not None and not isinstance(overrides, Mapping):
                raise ValueError(f"perturbations[{name!r}] must be a dict of setting overrides such as "
                                 f"{{'range': [0.8, 1.2]}} (or None), got {describe(overrides)}")
            chosen[name] = overrides or {}
        return chosen
    if isinstance(perturbations, list | tuple | set | frozenset):
        for name in perturbations:
            if not isinstance(name, str):
                raise ValueError(f"perturbations must be {form}; got the entry {describe(name)}")
        return {name: {} for name in perturbations}
    raise ValueError(f"perturbations must be {form}; got {describe(perturbations)}")


__all__ = ["ALL", "AXES", "COMMON_AXES", "NO_PERTURBATION", "Axis", "AxisSetting", "Scene", "Stage",
           "applicable_axes", "on", "resolve"]
