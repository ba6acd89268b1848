"""Record an episode as an mp4 from one camera, with frames between keyframes too."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from colosseum_lite.env import ColosseumEnv

FPS = 30


class VideoRecorder:
    """Renders ``camera`` every ``1 / FPS`` s of simulated time while attached to an env.

    Frames are captured inside keyframe moves (through the Sim's step hooks), so a video shows
    the motion, not only the end of each step.
    """

    def __init__(self, env: ColosseumEnv, camera: str = "front", size: int = 256) -> None:
        self.env, self.camera, self.size = env, camera, size
        self.frames: list[np.ndarray] = []
        self._every = max(1, round(1.0 / (FPS * env.sim.timestep_s)))
        self._count = 0

    def _hook(self) -> None:
        self._count += 1
        if self._count % self._every == 0:
            self.capture()

    def capture(self) -> None:
        """Add the current view as a frame."""
        self.frames.append(self.env.camera_image(self.camera, self.size)[0])

    def __enter__(self) -> VideoRecorder:
        self.env.sim.step_hooks.append(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        self.env.sim.step_hooks.remove(self._hook)

    def save(self, path: str | Path) -> Path:
        """Write the frames as an mp4 (H.264-compatible ``mp4v``); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.frames:
            self.capture()
        h, w = self.frames[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (w, h))
        if not writer.isOpened():
            raise OSError(f"cannot open a video writer for {path}")
        for frame in self.frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        writer.release()
        return path
