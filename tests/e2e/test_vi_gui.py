"""The variational-inference panel in the real app under Xvfb, driven by X input: clicking a
data point in the Bounds view observes that x (the state and the plotted bound follow), dragging
the x slider moves log p(x) and the ELBO as --report computes them, clicks draw data points,
dragging K shows the exact L_K that --report computes for that K, Play in the Amortization view trains
the encoder live to the gap --report gives, and the whole-panel figure holds the Bounds view's
plots."""
import json
import unittest

from harness import App, XServer, read_png, run_cli


def report(*sets):
    args = ["--panel", "vi"]
    for s in sets:
        args += ["--set", s]
    rc, out, err = run_cli(args + ["--report", "-"], timeout=120)
    assert rc == 0, err
    return json.loads(out)["vi"]


class ViGui(unittest.TestCase):
    def start(self, *args):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "vi", *args])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        return self.app

    def test_clicking_a_data_point_observes_that_x(self):
        app = self.start()
        ui = app.wait_ui(lambda u: "vi.data_points" in u["values"] and "vi.data" in u["widgets"])
        xs = report("vi.encoder_steps=0")["amortization"]["xs"]
        points = ui["values"]["vi.data_points"]
        self.assertEqual(len(points), len(xs))
        # The data point farthest from the observed x = 2 that lies inside the slider's range.
        i = max((j for j in range(len(xs)) if abs(xs[j]) < 10), key=lambda j: abs(xs[j] - 2))
        px, py = points[i]
        app.click(px, py)
        ui = app.wait_ui(lambda u: u["state"]["vi"]["x"] != 2.0)
        self.assertEqual(ui["state"]["vi"]["x"], xs[i])
        # The bounds now belong to that x: the readout equals --report's at the new x.
        ui = app.wait_ui(lambda u: u["values"].get("vi.L_K") is not None
                         and u["values"]["vi.log_px"] != report()["log_px"]["value"])
        r = report(f"vi.x={xs[i]!r}", "vi.encoder_steps=0")
        self.assertAlmostEqual(ui["values"]["vi.log_px"], r["log_px"]["value"], places=12)
        self.assertAlmostEqual(ui["values"]["vi.L_K"], r["L_K"]["exact"], places=12)

    def test_dragging_x_moves_the_evidence_and_the_elbo_with_it(self):
        app = self.start()
        ui = app.wait_ui(lambda u: "vi.x" in u["widgets"] and u["values"].get("vi.L_K") is not None)
        x, y, w, h = ui["widgets"]["vi.x"]  # the item includes its label: the slider is 10 em
        app.drag(x + 70, y + h / 2, x + 50, y + h / 2)  # 160 px over [−10, 10]: to about −3.8
        ui = app.wait_ui(lambda u: u["state"]["vi"]["x"] < 0)
        ui = app.wait_ui(lambda u: u["values"].get("vi.L_K") is not None, timeout=30)
        xv = ui["state"]["vi"]["x"]
        r = report(f"vi.x={xv!r}", "vi.encoder_steps=0")
        self.assertAlmostEqual(ui["values"]["vi.log_px"], r["log_px"]["value"], places=12)
        self.assertAlmostEqual(ui["values"]["vi.elbo"], r["elbo"], places=12)
        # x < b = 0 under f = z²: a one-mode posterior near z = 0, and the bounds still order.
        self.assertLessEqual(r["elbo"], ui["values"]["vi.L_K"])
        self.assertLessEqual(ui["values"]["vi.L_K"], r["log_px"]["value"] + r["L_K"]["error"])

    def test_raising_K_shows_the_exact_bound_the_report_computes(self):
        app = self.start()
        ui = app.wait_ui(lambda u: "vi.K" in u["widgets"] and u["values"].get("vi.L_K") is not None)
        l10 = ui["values"]["vi.L_K"]
        x, y, w, h = ui["widgets"]["vi.K"]
        app.drag(x + w * 0.2, y + h / 2, x + w * 0.5, y + h / 2)  # a log slider: K grows
        ui = app.wait_ui(lambda u: u["state"]["vi"]["K"] > 10)
        ui = app.wait_ui(lambda u: u["values"].get("vi.L_K") is not None
                         and u["values"]["vi.L_K"] != l10, timeout=30)
        k = ui["state"]["vi"]["K"]
        r = report(f"vi.K={k}", "vi.encoder_steps=0")
        self.assertAlmostEqual(ui["values"]["vi.L_K"], r["L_K"]["exact"], places=12)
        # L_10 ≤ L_K ≤ log p(x): the bound tightened.
        self.assertGreater(ui["values"]["vi.L_K"], l10)
        self.assertLess(ui["values"]["vi.L_K"], ui["values"]["vi.log_px"])

    def test_play_trains_the_encoder_to_the_reported_gap(self):
        app = self.start("--set", "vi.steps_per_frame=25")
        app.wait_ui(lambda u: "vi.view.amortization" in u["widgets"])
        app.click_widget("vi.view.amortization")
        ui = app.wait_ui(lambda u: u["state"]["vi"]["view"] == "amortization"
                         and "vi.gap" in u["values"])
        self.assertEqual(ui["values"]["vi.encoder_steps_done"], 0)  # at rest: untrained
        untrained = ui["values"]["vi.gap"]
        steps = ui["state"]["vi"]["encoder_steps"]
        app.click_widget("toolbar.play")
        ui = app.wait_ui(lambda u: 0 < u["values"]["vi.encoder_steps_done"] < steps)
        self.assertTrue(ui["playing"])
        ui = app.wait_ui(lambda u: not u["playing"], timeout=60)
        self.assertEqual(ui["values"]["vi.encoder_steps_done"], steps)
        r = report("vi.view=amortization", "vi.steps_per_frame=25")["amortization"]
        self.assertAlmostEqual(ui["values"]["vi.gap"], r["gap"], delta=1e-6 * max(1, r["gap"]))
        self.assertLess(r["gap"], untrained)  # training shrank the gap...
        self.assertGreater(r["gap"], 1)       # ...but a linear encoder keeps one

    def test_clicks_draw_data_points_and_sample_instead_restores_the_sample(self):
        app = self.start("--set", "vi.view=amortization", "--set", "vi.data_n=4")
        ui = app.wait_ui(lambda u: "vi.add_points" in u["widgets"] and "vi.encoder_map" in u["widgets"])
        xs = report("vi.data_n=4", "vi.encoder_steps=0")["amortization"]["xs"]
        app.click_widget("vi.add_points", dx=0.05)
        x, y, w, h = ui["widgets"]["vi.encoder_map"]
        app.click(x + w * 0.5, y + h * 0.5)
        ui = app.wait_ui(lambda u: len(u["state"]["vi"]["data_points"]) == len(xs) + 1)
        drawn = ui["state"]["vi"]["data_points"]
        self.assertEqual(drawn[:-1], xs)  # the sampled points stay; the click added one
        self.assertTrue(min(xs) - 1 < drawn[-1] < max(xs) + 1)
        r = report("vi.data_points=" + json.dumps(drawn), "vi.encoder_steps=0")
        self.assertEqual(r["amortization"]["xs"], drawn)
        # The button appears with the first drawn point: a frame after the state has it.
        app.wait_widget("vi.clear_points")
        app.click_widget("vi.clear_points")
        app.wait_ui(lambda u: u["state"]["vi"]["data_points"] == [])

    def test_the_figure_holds_the_bounds_views_plots(self):
        app = self.start()
        app.wait_ui(lambda u: "vi.bounds" in u["widgets"] and u["values"].get("vi.L_K") is not None)
        ui = app.export_from_menu("export.figure_1x")
        self.assertEqual(ui["last_error"], "")
        png = read_png(ui["last_export"])
        w = ui["widgets"]
        density, bounds = w["canvas.vi.density"], w["canvas.vi.bounds"]
        self.assertGreaterEqual(png.width, density[2] + bounds[2])
        self.assertGreaterEqual(png.height, bounds[3])


if __name__ == "__main__":
    unittest.main()
