"""`genlab --bench` (issue 6): a short run of the real render loop on every panel, so bench
mode never rots; and damage-tracked rendering proven pixel-identical to whole redraws while a
person clicks and drags (GENLAB_TEST_VERIFY_DAMAGE draws every frame twice and compares)."""
import json
import math
import unittest

from harness import TIME_SCALE, App, XServer, run_cli, panel_ids

# Fewer frames where the app runs slowly (sanitizer builds stretch time by TIME_SCALE).
FRAMES = 12 if TIME_SCALE == 1 else 4
FIELDS = ("p50_ms", "p95_ms", "p99_ms", "compute_ms", "peak_rss_mb")


class BenchSmoke(unittest.TestCase):
    def run_bench(self, x, *args, env=None):
        rc, out, err = run_cli(["--bench", *args], display=x, env_extra=env,
                               timeout=240 * TIME_SCALE)
        self.assertEqual(rc, 0, err)
        return json.loads(out)  # stdout holds the JSON and nothing else

    def test_every_panel_and_heavy_preset_is_timed_while_dragging_a_slider(self):
        with XServer(1280, 800) as x:
            report = self.run_bench(x, "--frames", str(FRAMES), "--size", "1280x800",
                                    env={"GENLAB_TEST_VERIFY_DAMAGE": "1"})
        self.assertEqual(report["size"], "1280x800")
        self.assertTrue(0 < report["first_frame_ms"] < 60000)
        entries = report["panels"]
        self.assertEqual(set(entries), {p + s for p in panel_ids() for s in ("", ":heavy")})
        for name, e in entries.items():
            for field in FIELDS:
                self.assertTrue(math.isfinite(e[field]) and e[field] >= 0, (name, field, e))
            self.assertLessEqual(e["p50_ms"], e["p95_ms"], name)
            self.assertLessEqual(e["p95_ms"], e["p99_ms"], name)
            self.assertEqual(e["frames"], FRAMES)
            self.assertTrue(e["input"].startswith("drag "), (name, e["input"]))
            # The frames drawn in parts equal the same frames drawn whole.
            self.assertEqual(e["verify_mismatched_pixels"], 0, name)

    def test_one_panel(self):
        with XServer(1280, 800) as x:
            report = self.run_bench(x, "--panel", "gan", "--frames", "4", "--size", "640x480")
        self.assertEqual(set(report["panels"]), {"gan", "gan:heavy"})

    def test_bench_refuses_options_it_would_ignore(self):
        for extra in (["--report", "-"], ["--set", "gan.lr=0.1"], ["--screenshot", "x.png"]):
            rc, _, err = run_cli(["--bench", *extra])
            self.assertEqual(rc, 2, extra)
            self.assertIn("--bench", err)
        rc, _, err = run_cli(["--frames", "5"])
        self.assertEqual(rc, 2)
        self.assertIn("needs --screenshot, --figure or --bench", err)


class DamageMatchesWholeRedraws(unittest.TestCase):
    @staticmethod
    def open_tab(app, panel):
        for attempt in range(3):  # a click can land before a busy machine maps the window
            app.click_widget("tab." + panel)
            try:
                return app.wait_ui(lambda ui: ui["panel"] == panel, timeout=10)
            except Exception:
                if attempt == 2:
                    raise

    def test_clicks_drags_and_animation_draw_the_same_pixels(self):
        with XServer() as x, App(x, env_extra={"GENLAB_TEST_VERIFY_DAMAGE": "1"}) as app:
            for panel, slider in (("gan", "gan.gamma"), ("flow", "flow.param.1.b"),
                                  ("kl", "kl.lr"), ("receptive_field", "rf.size")):
                self.open_tab(app, panel)
                app.click_widget("toolbar.play")
                r = app.wait_widget(slider)
                y = r[1] + r[3] / 2
                app.drag(r[0] + r[2] * 0.2, y, r[0] + r[2] * 0.8, y)
                app.click_widget("toolbar.help")  # a window over everything, then gone
                app.key("Escape")
            ui = app.wait_ui(lambda ui: ui["panel"] == "receptive_field")
            self.assertEqual(ui["damage_mismatched_pixels"], 0)


if __name__ == "__main__":
    unittest.main()
