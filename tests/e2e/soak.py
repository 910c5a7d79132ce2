"""Soak: each panel plays for a while in the real app under Xvfb, and its resident memory
(VmRSS from /proc/<pid>/status) must stay flat once warmed up.

Usage (scripts/soak.sh wraps this):
  GENLAB_BIN=build/app/genlab python3 tests/e2e/soak.py [--seconds-per-panel 600] [--no-heavy]

Each panel runs its default state and, unless --no-heavy, its heaviest preset, each for half
of the panel's time, in a fresh process. Play is pressed again whenever a run finishes, so the
panel animates the whole time. RSS is sampled every --interval seconds. After a warm-up (a
quarter of the run, at least 2 s) the baseline is the median of the first samples; the run
fails when the median of the last samples exceeds it by more than --max-growth (5 %).
Prints one line per run and exits 1 if any run grew too much or the app died.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import App, HarnessError, XServer, cpu_seconds, rss_kib  # noqa: E402

PRESETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "presets")
HEAVY = {
    "receptive_field": "rf_heavy_deep_stack.json",
    "gan": "gan_heavy_200_trajectories.json",
    "flow": "flow_heavy_16_layers.json",
    "kl": "kl_heavy_2d_three_modes.json",
}


def keep_playing(app):
    """Presses Play when the panel has stopped (a finished run restarts from the beginning)."""
    ui = app.read_ui()
    if ui and not ui.get("playing") and "toolbar.play" in ui.get("widgets", {}):
        app.click_widget("toolbar.play")
        app.wait_ui(lambda u: u["playing"] or u["frame"] > ui["frame"] + 5, timeout=30)


def soak_run(x, panel, preset, seconds, interval):
    """One app process playing `panel` for `seconds`. Returns ([(t, rss_kib)], the fraction
    of samples that saw the panel playing, CPU seconds used); raises HarnessError if the app
    died."""
    args = ["--panel", panel] + (["--load", os.path.join(PRESETS, preset)] if preset else [])
    samples, playing = [], []
    with App(x, args=args) as app:
        app.wait_ui(lambda ui: "toolbar.play" in ui["widgets"], timeout=60)
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            keep_playing(app)
            rss = rss_kib(app.proc.pid)
            if rss is None or app.proc.poll() is not None:
                raise HarnessError(f"{panel}: the app died\n" + app.logs())
            samples.append((time.monotonic() - start, rss))
            playing.append(bool((app.ui or {}).get("playing")))
            time.sleep(interval)
        if app.proc.poll() is not None:
            raise HarnessError(f"{panel}: the app died\n" + app.logs())
        cpu = cpu_seconds(app.proc.pid)
        app.close()
    return samples, sum(playing) / max(1, len(playing)), cpu


def growth(samples, seconds):
    """(baseline KiB, final KiB, growth fraction) after the warm-up."""
    warm = max(2.0, seconds / 4)
    after = [rss for t, rss in samples if t >= warm]
    if len(after) < 4:
        raise HarnessError("too few RSS samples after the warm-up; raise the duration")
    k = max(2, len(after) // 6)
    base, final = statistics.median(after[:k]), statistics.median(after[-k:])
    return base, final, final / base - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds-per-panel", type=float, default=600)
    ap.add_argument("--no-heavy", action="store_true", help="only the default states")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between RSS samples")
    ap.add_argument("--max-growth", type=float, default=0.05)
    ap.add_argument("--panels", default="receptive_field,gan,flow,kl")
    ap.add_argument("--csv", help="also write every sample (run, seconds, rss_kib) here")
    a = ap.parse_args()
    runs = []
    for panel in a.panels.split(","):
        runs.append((panel, None))
        if not a.no_heavy:
            runs.append((panel, HEAVY[panel]))
    per_panel_runs = 1 if a.no_heavy else 2
    seconds = a.seconds_per_panel / per_panel_runs
    failed = False
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("run,seconds,rss_kib\n")
    with XServer() as x:
        for panel, preset in runs:
            name = f"{panel}:{preset or 'default'}"
            try:
                samples, played, cpu = soak_run(x, panel, preset, seconds, a.interval)
                base, final, g = growth(samples, seconds)
            except HarnessError as e:
                print(f"FAIL {name}: {e}", flush=True)
                failed = True
                continue
            ok = g <= a.max_growth
            failed |= not ok
            peak = max(rss for _, rss in samples)
            print(f"{'ok  ' if ok else 'FAIL'} {name:45s} {seconds:7.1f} s, playing {100 * played:3.0f} %, CPU {cpu:6.1f} s, "
                  f"RSS after warm-up {base / 1024:7.1f} MiB -> {final / 1024:7.1f} MiB "
                  f"({100 * g:+.2f} %, limit {100 * a.max_growth:.0f} %), peak {peak / 1024:.1f} MiB",
                  flush=True)
            if a.csv:  # after every run, so a long soak can be watched
                with open(a.csv, "a") as f:
                    f.writelines(f"{name},{t:.2f},{rss}\n" for t, rss in samples)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
