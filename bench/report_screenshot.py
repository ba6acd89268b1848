"""Does a comparison report fit a 1,400 px browser window? A headless-Chromium check.

Builds a synthetic store of three runs whose names are long checkpoint paths (every task, every
applicable set, one run missing a task so the report has to restrict the comparison), writes the
comparison report, then opens report.html in headless Chromium twice: once for a screenshot at
1400 x 2000 px (to look at), once with a small measuring script that reports, for the page and
for every table, how wide it is against the room it has. Exit status 1 when anything overflows.

    python bench/report_screenshot.py --out /tmp/report_check   # needs chromium (apt-get install chromium)

The report itself carries no script: the measuring copy (measure.html) is written next to it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from colosseum_lite.eval.report import write_report
from colosseum_lite.eval.store import EpisodeRow, Store, now_iso
from colosseum_lite.perturbations import ALL, NO_PERTURBATION, applicable_axes
from colosseum_lite.tasks import TASKS

WINDOW = (1400, 2000)
RUNS = {  # run name -> (policy, nominal success, drop per axis, tasks left out, obs mode)
    "/home/researcher/experiments/2026-12-01/sweep_lr3e-4_bs256/checkpoints/diffusion_policy_epoch_0100.pt":
        (0.9, 0.3, (), "rgb"),
    "/home/researcher/experiments/2026-12-01/sweep_lr3e-4_bs256/checkpoints/diffusion_policy_epoch_0200.pt":
        (0.95, 0.2, (), "rgb"),
    "oracle-privileged-state-baseline-with-a-long-descriptive-run-name": (1.0, 0.0, ("open_drawer",), "state"),
}
EPISODES = 10
MEASURE = """<script>
addEventListener("load", () => {
  const doc = document.documentElement;
  const tables = [...document.querySelectorAll("table")].map((t, i) => {
    const box = t.parentElement;
    return {index: i, table_px: Math.ceil(t.getBoundingClientRect().width), room_px: box.clientWidth,
            scrolls: box.scrollWidth > box.clientWidth + 1,
            right_px: Math.ceil(t.getBoundingClientRect().right)};
  });
  const out = {window_px: innerWidth, page_px: doc.scrollWidth, tables: tables};
  const pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def build_store(path: Path) -> None:
    """Three runs with seeded, plausible outcomes (a drop under every axis, more under all)."""
    rng = np.random.default_rng(0)
    with Store(path) as store:
        for run, (nominal, drop, left_out, obs_mode) in RUNS.items():
            tasks = [t for t in sorted(TASKS) if t not in left_out]
            store.start_run(run, {"policy": run, "version": "0.1.0", "episodes": EPISODES, "seed": 1000,
                                  "obs_mode": obs_mode, "control_mode": "ee_keyframe", "tasks": tasks})
            for task in tasks:
                for set_name in (NO_PERTURBATION, *applicable_axes(TASKS[task]), ALL):
                    rate = nominal - (0 if set_name == NO_PERTURBATION else 2 * drop if set_name == ALL else drop)
                    for episode in range(EPISODES):
                        win = bool(rng.random() < rate)
                        store.add(EpisodeRow(run, run, "0.1.0", task, set_name, episode, 1000 + episode, "{}", win,
                                             12, float(win), 0.5, None, now_iso()))


def chromium(binary: str, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throwaway profile and no network services."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--no-first-run",
                               f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}", *args],
                              capture_output=True, text=True, timeout=180, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("report_screenshot"), help="folder for the report")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"),
                        help="the Chromium binary")
    parser.add_argument("--frames", action="store_true", help="also replay frames (slower; needs the simulator)")
    args = parser.parse_args()
    if not args.chromium:
        print("chromium not found: apt-get install -y chromium (or pass --chromium PATH)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "runs.sqlite"
    db.unlink(missing_ok=True)
    build_store(db)
    page = write_report(db, args.out / "report", compare=list(RUNS), frames=args.frames)
    shot = args.out / "screenshot.png"
    proc = chromium(args.chromium, f"--screenshot={shot.resolve()}", page.resolve().as_uri())
    if not shot.is_file():
        print(f"chromium made no screenshot:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return 2
    measuring = page.with_name("measure.html")
    text = page.read_text(encoding="utf-8")
    measuring.write_text(text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    proc = chromium(args.chromium, "--virtual-time-budget=5000", "--dump-dom", measuring.resolve().as_uri())
    found = re.search(r'<pre id="measure">(.*?)</pre>', proc.stdout, re.S)
    if not found:
        print(f"the measuring script reported nothing:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return 2
    m = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    wide = [t for t in m["tables"] if t["scrolls"] or t["table_px"] > t["room_px"] + 1]
    print(f"window {m['window_px']} px, page {m['page_px']} px wide; {len(m['tables'])} tables, widest "
          f"{max(t['table_px'] for t in m['tables'])} px in {m['tables'][0]['room_px']} px of room; "
          f"{len(wide)} overflow")
    for t in wide:
        print(f"  table {t['index']}: {t['table_px']} px in {t['room_px']} px")
    print(f"screenshot: {shot}\nreport: {page}")
    return 1 if wide or m["page_px"] > m["window_px"] else 0


if __name__ == "__main__":
    sys.exit(main())
