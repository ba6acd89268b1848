"""A labelled picture of what every perturbation axis does to one task."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import cv2
import gymnasium as gym
import numpy as np

from colosseum_lite.cameras import CAMERAS
from colosseum_lite.perturbations import ALL, AXES, NO_PERTURBATION, applicable_axes
from colosseum_lite.registration import check_integer
from colosseum_lite.seeding import MAX_SEED
from colosseum_lite.tasks import TASKS, env_id

if TYPE_CHECKING:
    from colosseum_lite.env import ColosseumEnv

LABEL_H = 34
MIN_SIZE_PX = 16  # smaller tiles cannot hold their caption
MAX_SIZE_PX = 1024  # the renderer's buffers fail (or crash the process) far beyond this
GALLERY_SUFFIXES = (".png", ".jpg", ".jpeg")


def summarize(name: str, params: dict) -> str:
    """A few words on an axis's drawn parameters, for a tile caption (empty without parameters)."""
    axis = AXES.get(name)
    return axis.describe(params) if axis is not None and params else ""


def _tile(img: np.ndarray, title: str, caption: str) -> np.ndarray:
    h, w = img.shape[:2]
    out = np.full((h + LABEL_H, w, 3), 255, np.uint8)
    out[LABEL_H:] = img
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(out, title, (4, 14), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(out, caption, (4, 29), font, 0.35, (70, 70, 70), 1, cv2.LINE_AA)
    return out


def check_gallery(task: str, seed: int = 0, camera: str | None = None, size: int = 224, cols: int = 4) -> None:
    """Validate the arguments of :func:`render_gallery` without building anything.

    Raises:
        ValueError: an unknown task or camera, or a seed, size or column count out of range.
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(TASKS)}")
    if camera is not None and (not isinstance(camera, str) or camera not in CAMERAS):
        raise ValueError(f"unknown camera {camera!r}; expected one of {list(CAMERAS)}")
    check_integer(seed, "seed", 0, MAX_SEED)
    check_integer(size, "size (tile side in pixels)", MIN_SIZE_PX, MAX_SIZE_PX)
    check_integer(cols, "cols", 1, 64)


def render_gallery(task: str, seed: int = 0, camera: str | None = None, size: int = 224,
                   cols: int = 4) -> np.ndarray:
    """RGB grid: the task unperturbed, under each applicable axis alone, and under all of them, seen
    from ``camera`` (by default the task's ``view_camera``: front, unless a tall body hides the rest).

    Raises:
        ValueError: bad arguments (see :func:`check_gallery`), before any simulation.
    """
    check_gallery(task, seed, camera, size, cols)
    camera = camera or TASKS[task].view_camera
    sets = [NO_PERTURBATION, *applicable_axes(TASKS[task]), ALL]
    tiles = []
    for name in sets:
        made = gym.make(env_id(task), perturbations=None if name == NO_PERTURBATION else name)
        env = cast("ColosseumEnv", made.unwrapped)
        _, info = env.reset(seed=seed)
        img = env.camera_image(camera, size)[0]
        env.close()
        params = info["perturbation"]
        caption = summarize(name, params[name]) if name in params else (
            f"{len(params)} axes" if name == ALL else f"seed {seed}")
        tiles.append(_tile(img, name, caption))
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % cols)
    rows = [np.hstack(tiles[i:i + cols]) for i in range(0, len(tiles), cols)]
    return np.vstack(rows)


def save_gallery(task: str, out: str | Path, seed: int = 0, camera: str | None = None, size: int = 224,
                 cols: int = 4) -> Path:
    """Render the gallery of ``task`` and write it as an image file (its folder is created).

    Raises:
        ValueError: bad arguments or a path that is no .png/.jpg, before any simulation.
        OSError: the image cannot be written (a full disk, an unwritable folder).
    """
    out = Path(out)
    if out.suffix.lower() not in GALLERY_SUFFIXES:
        raise ValueError(f"the gallery is an image: give a path ending in .png or .jpg, got {str(out)!r}")
    image = cv2.cvtColor(render_gallery(task, seed, camera, size, cols), cv2.COLOR_RGB2BGR)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), image):
        raise OSError(f"cannot write {out}; use a .png or .jpg path in a writable folder")
    return out
