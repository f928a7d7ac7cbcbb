"""Benchmark of the media pipeline on a realistic 12-megapixel JPEG.

Prints figures; it is not a test. Run from the repository root:

    python bench/media_pipeline.py [--runs 7]

Times are medians of ``--runs`` runs. Peak memory is ``ru_maxrss`` of a fresh
subprocess per measurement (Pillow allocates in C, out of tracemalloc's view).
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wall.media import MediaStore, process_image, process_image_async
from wall.media.analysis import green_score, phash
from wall.media.decode import decode_image
from wall.media.derivatives import DISPLAY_SIDE, THUMB_SIDE, encode, fit
from wall.media.limits import MediaLimits

WIDTH, HEIGHT = 4000, 3000


def make_photo(path: Path) -> None:
    """Smooth gradients, soft shapes and sensor-like noise: compresses like a photo."""
    rng = np.random.default_rng(12)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    sky = np.stack([90 + 60 * y / HEIGHT, 140 + 50 * y / HEIGHT, 200 - 40 * x / WIDTH], axis=-1)
    image = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(120):
        x0, y0 = int(rng.integers(0, WIDTH)), int(rng.integers(HEIGHT // 3, HEIGHT))
        size = int(rng.integers(40, 700))
        colour = (int(rng.integers(0, 120)), int(rng.integers(80, 220)), int(rng.integers(0, 90)))
        draw.ellipse((x0, y0, x0 + size, y0 + size * 2 // 3), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    noisy = np.asarray(image, dtype=np.int16) + rng.normal(0, 6, (HEIGHT, WIDTH, 3))
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=90)


def baseline(path: Path) -> bytes:
    """The least work Pillow can do: full decode, one resize, one JPEG."""
    with Image.open(path) as image:
        small = image.resize((1600, 1200), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def baseline_draft(path: Path) -> bytes:
    """The same with JPEG draft mode: the fastest plain-Pillow way to 1600 px."""
    with Image.open(path) as image:
        image.draft("RGB", (1600, 1200))
        small = image.resize((1600, 1200), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def ours(path: Path) -> None:
    with tempfile.TemporaryDirectory() as root:
        process_image(path, MediaStore(Path(root)))


def ours_jpeg_only(path: Path) -> None:
    """The pipeline's steps minus the two WebP encodings (not a shipped mode)."""
    clean = decode_image(path, "JPEG", MediaLimits(), DISPLAY_SIDE)
    display = fit(clean, DISPLAY_SIDE)
    encode(display, "jpg")
    encode(fit(display, THUMB_SIDE), "jpg")
    green_score(display)
    phash(display)


def median_ms(action: Callable[[Path], object], path: Path, runs: int) -> float:
    action(path)  # warm caches and lazy imports
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action(path)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def step_times(path: Path, runs: int) -> dict[str, float]:
    clean = decode_image(path, "JPEG", MediaLimits(), DISPLAY_SIDE)
    display = fit(clean, DISPLAY_SIDE)
    thumb = fit(display, THUMB_SIDE)
    steps: dict[str, Callable[[], object]] = {
        "decode (draft 1/2) + sRGB": lambda: decode_image(
            path, "JPEG", MediaLimits(), DISPLAY_SIDE
        ),
        "resize to 1600": lambda: fit(clean, DISPLAY_SIDE),
        "JPEG 1600": lambda: encode(display, "jpg"),
        "WebP 1600 (method 2)": lambda: encode(display, "webp"),
        "WebP 1600 (method 4, libwebp default)": lambda: display.save(
            io.BytesIO(), "WEBP", quality=78, method=4
        ),
        "thumb JPEG + WebP": lambda: (encode(thumb, "jpg"), encode(thumb, "webp")),
    }
    result = {}
    for label, step in steps.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        result[label] = statistics.median(times) * 1000
    return result


def peak_rss_mib() -> float:
    """This process's peak resident memory.

    ``VmHWM`` starts afresh at ``exec``; ``ru_maxrss`` does not on Linux (a
    child starts with its parent's peak), so it is only the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: Path) -> None:
    """One memory measurement, in a fresh process; prints peak RSS in MiB."""
    if mode == "make":
        make_photo(path)
        return
    before = peak_rss_mib()
    if mode == "baseline":
        baseline(path)
    elif mode == "single":
        ours(path)
    elif mode.startswith("concurrent"):
        import anyio

        tokens = int(mode.partition(":")[2] or 0)

        async def run_all() -> None:
            limiter = anyio.CapacityLimiter(tokens) if tokens else None
            with tempfile.TemporaryDirectory() as root:
                store = MediaStore(Path(root))
                async with anyio.create_task_group() as group:
                    for _ in range(8):
                        group.start_soon(lambda: process_image_async(path, store, limiter=limiter))

        anyio.run(run_all)
    print(f"{before:.0f} {peak_rss_mib():.0f}")


def measure_memory(mode: str, path: Path) -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(output[0]), float(output[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "photo.jpg"
        subprocess.run([sys.executable, __file__, "--child", "make", str(path)], check=True)
        print(
            f"input: {WIDTH}x{HEIGHT} JPEG, {path.stat().st_size / 1e6:.1f} MB; "
            f"median of {args.runs} runs"
        )
        base = median_ms(baseline, path, args.runs)
        draft = median_ms(baseline_draft, path, args.runs)
        full = median_ms(ours, path, args.runs)
        jpeg_only = median_ms(ours_jpeg_only, path, args.runs)
        print(f"  (a) baseline: Pillow open + resize 1600 + JPEG  {base:7.1f} ms")
        print(f"  (a') baseline with draft mode                   {draft:7.1f} ms")
        print(
            f"  (b) process_image: display+thumb, JPEG+WebP     {full:7.1f} ms"
            f"   {full / base:.2f}x (a), {full / draft:.2f}x (a')"
        )
        print(
            f"  (b) without the two WebP encodings              {jpeg_only:7.1f} ms"
            f"   {jpeg_only / base:.2f}x (a), {jpeg_only / draft:.2f}x (a')"
        )
        print("steps (median):")
        for label, ms in step_times(path, args.runs).items():
            print(f"  {label:40s} {ms:7.1f} ms")
        print("peak RSS, fresh process each (MiB: after imports -> peak):")
        for label, mode in [
            ("baseline, one image", "baseline"),
            ("process_image, one image", "single"),
            ("8 concurrent, default limiter (2)", "concurrent"),
            ("8 concurrent, limiter of 8", "concurrent:8"),
        ]:
            before, peak = measure_memory(mode, path)
            print(f"  {label:36s} {before:5.0f} -> {peak:5.0f}  (+{peak - before:.0f})")


if __name__ == "__main__":
    main()
