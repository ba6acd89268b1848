"""Render docs/scene.png: every task from the front camera, and one task from all five cameras.

Run from the repository root: ``python docs/render_scene.py``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import gymnasium as gym
import numpy as np

from colosseum_lite import TASKS, env_id
from colosseum_lite.cameras import CAMERAS

SIZE = 256
PER_ROW = 5  # tasks per row


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (SIZE, 22), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main() -> None:
    tasks = sorted(TASKS)
    row_tasks = []
    for name in tasks:
        env = gym.make(env_id(name)).unwrapped
        env.reset(seed=1)
        row_tasks.append(label(env.camera_image("front", SIZE)[0], name))
        env.close()
    env = gym.make(env_id(tasks[0])).unwrapped
    env.reset(seed=1)
    row_cams = [label(env.camera_image(cam, SIZE)[0], f"camera: {cam}") for cam in CAMERAS]
    env.close()
    rows = [row_tasks[i:i + PER_ROW] for i in range(0, len(row_tasks), PER_ROW)] + [row_cams]
    width = max(len(row) for row in rows)
    pad = lambda row: row + [np.full((SIZE, SIZE, 3), 255, np.uint8)] * (width - len(row))  # noqa: E731
    grid = np.vstack([np.hstack(pad(row)) for row in rows])
    out = Path(__file__).parent / "scene.png"
    cv2.imwrite(str(out), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(out)


if __name__ == "__main__":
    main()
