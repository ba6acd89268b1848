"""The texture set: deterministic, distinct, structured procedural textures; pybullet_data and user
images; stable names; patterns visible on rendered boxes, cylinders and spheres."""

from __future__ import annotations

import hashlib
import json
import os

import cv2
import numpy as np
import pybullet as p
import pytest

from colosseum_lite.sim import Pose, RenderSettings, Sim
from colosseum_lite.textures import (
    BOX_FACE_TILES,
    FAMILIES,
    PROCEDURAL_COUNT,
    PYBULLET_DATA_DIR,
    PYBULLET_DATA_TEXTURES,
    TextureSet,
    procedural_texture,
    texture_file,
)

MIN_STD = 12.0  # per-channel pixel std (0..255) a whole texture must reach
MIN_FACE_STD = 6.0  # the same for each quarter-by-quarter tile a box face shows
MIN_PAIR_MAD = 5.0  # mean abs difference (0..255) between 16x16 thumbnails of any two textures
FLAT_LIGHT = RenderSettings(ambient=1.0, diffuse=0.0, specular=0.0)  # shading-free: only texture varies
ENTRIES_TO_RENDER = tuple(  # one procedural texture per family, and every pybullet_data image
    [f"procedural/{i:04d}" for i in range(len(FAMILIES))] + [f"pybullet_data/{r}" for r in PYBULLET_DATA_TEXTURES]
)


def channel_std(img: np.ndarray) -> float:
    """Mean over channels of the spatial std of an HxWx3 (or Nx3) array."""
    return float(img.reshape(-1, 3).astype(np.float64).std(axis=0).mean())


def face_tiles(img: np.ndarray) -> list[np.ndarray]:
    """The parts of an image that the six faces of a primitive box show."""
    q = img.shape[0] // 4, img.shape[1] // 4
    return [img[r * q[0]:(r + 1) * q[0], c * q[1]:(c + 1) * q[1]] for c, r in BOX_FACE_TILES]


@pytest.fixture(scope="module")
def textures() -> list[np.ndarray]:
    return [procedural_texture(i) for i in range(PROCEDURAL_COUNT)]


# ----------------------------------------------------------------------------- procedural textures
def test_procedural_is_deterministic_and_leaves_global_random_alone():
    state = np.random.get_state()  # noqa: NPY002 (checking the legacy global state is untouched)
    a, b = procedural_texture(42), procedural_texture(42)
    assert a.dtype == np.uint8 and a.shape == (128, 128, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, procedural_texture(43))
    assert procedural_texture(42, size_px=64).shape == (64, 64, 3)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(x, y) for x, y in zip(state[1:], after[1:], strict=True))
    with pytest.raises(ValueError, match=">= 0"):
        procedural_texture(-1)


def test_texture_file_is_cached_and_regenerates_identical_bytes():
    path = texture_file(7)
    first = open(path, "rb").read()
    assert texture_file(7) == path and path.endswith("procedural_0007_128px.png")
    os.remove(path)
    assert open(texture_file(7), "rb").read() == first
    decoded = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert np.array_equal(decoded, procedural_texture(7))  # PNG is lossless
    assert not [f for f in os.listdir(os.path.dirname(path)) if f.endswith(".tmp")]


def test_at_least_200_distinct_textures(textures):
    assert PROCEDURAL_COUNT >= 200
    assert len({hashlib.sha1(t.tobytes()).hexdigest() for t in textures}) == PROCEDURAL_COUNT
    thumbs = np.array([cv2.resize(t, (16, 16), interpolation=cv2.INTER_AREA) for t in textures], np.float32)
    for i in range(len(thumbs)):  # every pair, not a sample
        mad = np.abs(thumbs[i + 1:] - thumbs[i]).mean(axis=(1, 2, 3))
        assert mad.size == 0 or mad.min() > MIN_PAIR_MAD, f"texture {i} looks like {i + 1 + mad.argmin()}"


def test_every_texture_has_structure_on_every_box_face(textures):
    for i, t in enumerate(textures):
        assert channel_std(t) > MIN_STD, f"procedural/{i:04d} is nearly flat"
        assert channel_std(t[:64, :64]) > MIN_FACE_STD, f"procedural/{i:04d}: a quarter is nearly flat"
        tile_std = [channel_std(tile) for tile in face_tiles(t)]
        assert min(tile_std) > MIN_FACE_STD, f"procedural/{i:04d}: a box face is nearly flat {tile_std}"


# --------------------------------------------------------------------------- images and the set
@pytest.mark.parametrize("rel", PYBULLET_DATA_TEXTURES)
def test_pybullet_data_image_loads(rel):
    path = PYBULLET_DATA_DIR / rel
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert img is not None and img.ndim == 3, f"cv2 cannot read {path}"
    sim = Sim()
    try:
        assert sim.texture(str(path)) >= 0
    finally:
        sim.close()


def test_default_set_names_round_trip():
    ts = TextureSet.default()
    assert len(ts) == PROCEDURAL_COUNT + len(PYBULLET_DATA_TEXTURES)
    names = ts.names()
    assert len(set(names)) == len(ts) and json.loads(json.dumps(names)) == list(names)
    assert names[42] == "procedural/0042" and names[PROCEDURAL_COUNT] == "pybullet_data/checker_grid.jpg"
    for i in (0, 42, PROCEDURAL_COUNT - 1, PROCEDURAL_COUNT, len(ts) - 1):
        assert ts.path_of(ts.name(i)) == ts.path(i) and os.path.isfile(ts.path(i))
    with pytest.raises(IndexError, match="out of range"):
        ts.path(len(ts))
    for bad in ("procedural/9999", "pybullet_data/nope.png", "user/a.png", "bricks"):
        with pytest.raises(ValueError, match="unknown texture"):
            ts.path_of(bad)


def test_user_folder(tmp_path):
    for name in ("b.png", "a.jpg", "c.BMP"):
        cv2.imwrite(str(tmp_path / name), procedural_texture(len(name)).astype(np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    ts = TextureSet.default().with_folder(tmp_path)
    base = PROCEDURAL_COUNT + len(PYBULLET_DATA_TEXTURES)
    assert len(ts) == base + 3
    assert [ts.name(base + k) for k in range(3)] == ["user/a.jpg", "user/b.png", "user/c.BMP"]
    assert ts.path_of("user/b.png") == str((tmp_path / "b.png").resolve()) == ts.path(base + 1)
    assert len(TextureSet.default()) == base  # with_folder returns a copy
    with pytest.raises(ValueError, match="repeats"):
        ts.with_folder(tmp_path)


def test_missing_or_empty_folder_raises(tmp_path):
    with pytest.raises(ValueError, match=r"'.*nowhere'.*does not exist"):
        TextureSet.default().with_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("")
    with pytest.raises(ValueError, match=r"'.*empty' holds no images; expected files ending in .png"):
        TextureSet.default().with_folder(tmp_path / "empty")


# -------------------------------------------------------------------------------------- rendering
SHAPES = ("box", "cylinder", "sphere")
HALF_M = 0.025  # 5 cm objects


@pytest.fixture(scope="module")
def scene():
    """A box, a cylinder and a sphere, 5 cm across, seen by a 128 px camera (about 17 px each)."""
    sim = Sim()
    grey = (0.6, 0.6, 0.6, 1.0)
    sim.add_box("box", (HALF_M,) * 3, Pose((-0.08, 0.0, HALF_M)), 0.0, grey)
    sim.add_cylinder("cylinder", HALF_M, 2 * HALF_M, Pose((0.0, 0.0, HALF_M)), 0.0, grey)
    sim.add_sphere("sphere", HALF_M, Pose((0.08, 0.0, HALF_M)), 0.0, grey)
    yield sim
    sim.close()


def object_std(sim: Sim, eye: tuple[float, float, float], settings: RenderSettings,
               up: tuple[float, float, float] = (0, 0, 1)) -> dict[str, float]:
    """Per-channel pixel std inside each shape's segmentation mask."""
    view = p.computeViewMatrix(eye, (0.0, 0.0, 0.02), up)
    proj = p.computeProjectionMatrixFOV(45.0, 1.0, 0.01, 2.0)
    rgb, _, seg = sim.render(128, 128, view, proj, settings, segmentation=True)
    out = {}
    for name in SHAPES:
        mask = seg == sim.id(name)
        assert mask.sum() > 100, f"{name} barely visible ({mask.sum()} px)"
        out[name] = channel_std(rgb[mask])
    return out


@pytest.mark.parametrize("name", ENTRIES_TO_RENDER)
def test_pattern_visible_on_every_shape(scene, name):
    eye = (0.0, -0.4, 0.25)
    for shape in SHAPES:
        scene.clear_texture(shape)
        scene.set_color(shape, (0.6, 0.6, 0.6, 1.0))
    plain = object_std(scene, eye, FLAT_LIGHT)
    assert max(plain.values()) < 1.0  # untextured and unlit: one flat colour
    tid = scene.texture(TextureSet.default().path_of(name))
    for shape in SHAPES:
        scene.set_texture(shape, tid)
    textured = object_std(scene, eye, FLAT_LIGHT)
    assert min(textured.values()) > 8.0, f"{name}: {textured}"


def test_pattern_visible_under_default_light(scene):
    tid = scene.texture(texture_file(9))  # plaid
    eye = (0.0, -0.4, 0.25)
    for shape in SHAPES:
        scene.clear_texture(shape)
        scene.set_color(shape, (0.6, 0.6, 0.6, 1.0))
    plain = object_std(scene, eye, RenderSettings())
    for shape in SHAPES:
        scene.set_texture(shape, tid)
    textured = object_std(scene, eye, RenderSettings())
    assert all(textured[s] > 2.0 * plain[s] for s in SHAPES), (plain, textured)


@pytest.mark.parametrize("name", ENTRIES_TO_RENDER)
def test_each_box_face_shows_a_pattern(name):
    """Each face seen head-on, unlit: a pattern, not one stretched texel."""
    sim = Sim()
    try:
        sim.add_box("box", (HALF_M,) * 3, Pose((0.0, 0.0, 0.0)), 0.0, (1, 1, 1, 1))
        sim.set_texture("box", sim.texture(TextureSet.default().path_of(name)))
        proj = p.computeProjectionMatrixFOV(20.0, 1.0, 0.01, 2.0)
        for axis in range(3):
            for sign in (-1.0, 1.0):
                eye = [0.0, 0.0, 0.0]
                eye[axis] = sign * 0.2
                view = p.computeViewMatrix(eye, (0, 0, 0), (0, 1, 0) if axis == 2 else (0, 0, 1))
                rgb, _, seg = sim.render(64, 64, view, proj, FLAT_LIGHT, segmentation=True)
                face = rgb[seg == sim.id("box")]
                assert len(face) > 400 and channel_std(face) > 6.0, f"face {'-+'[sign > 0]}{'xyz'[axis]}"
    finally:
        sim.close()
