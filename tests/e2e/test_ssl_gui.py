"""The SSL-collapse panel in the real app under X input: the variant switches and the focus
are real clicks that change the state (and the spectra plotted), dragging the weight decay
re-runs every variant with the verdicts and rates --report computes, Play moves the time
cursor from t = 0, and the whole-panel figure holds the four plots."""
import json
import unittest

from harness import App, XServer, read_png, run_cli


def report(*sets):
    args = ["--panel", "ssl"]
    for s in sets:
        args += ["--set", s]
    rc, out, err = run_cli(args + ["--report", "-"])
    assert rc == 0, err
    return json.loads(out)["ssl"]


class SslGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "ssl"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "ssl.weight_decay" in ui["widgets"]
                         and "ssl.norms" in ui["widgets"])

    def test_switches_and_focus_are_clicks(self):
        app = self.app
        self.assertTrue(app.ui["state"]["ssl"]["show_no_stopgrad"])
        app.click_widget("ssl.show.no_stopgrad")
        app.wait_ui(lambda u: u["state"]["ssl"]["show_no_stopgrad"] is False)
        app.click_widget("ssl.focus.neither")
        ui = app.wait_ui(lambda u: u["state"]["ssl"]["focus"] == "neither")
        self.assertEqual(ui["values"]["ssl.verdicts"]["neither"], "collapsed")

    def test_weight_decay_reruns_the_variants_as_the_report_does(self):
        app = self.app
        x, y, w, h = app.ui["widgets"]["ssl.weight_decay"]
        app.drag(x + 4, y + h / 2, x + w * 0.12, y + h / 2)  # the item includes its label
        ui = app.wait_ui(lambda u: 0.05 < u["state"]["ssl"]["weight_decay"] < 0.45)
        wd = ui["state"]["ssl"]["weight_decay"]
        r = report(f"ssl.weight_decay={wd!r}")
        for name, verdict in ui["values"]["ssl.verdicts"].items():
            self.assertEqual(verdict, r["variants"][name]["verdict"], name)
        self.assertEqual(r["variants"]["simsiam"]["verdict"], "no collapse")
        # Q5.4's rate with weight decay: 2λ_min(X′) + η.
        self.assertAlmostEqual(r["variants"]["neither"]["late_decay_rate"],
                               2 * r["lambda_min_xp"] + wd, delta=2e-3)

    def test_play_moves_the_time_cursor_from_zero(self):
        app = self.app
        steps = app.ui["state"]["ssl"]["steps"]
        self.assertEqual(app.ui["values"]["ssl.shown_steps"], steps)  # the rest state
        app.click_widget("toolbar.play")
        ui = app.wait_ui(lambda u: 0 < u["values"]["ssl.shown_steps"] < steps)
        self.assertTrue(ui["playing"])
        ui = app.wait_ui(lambda u: not u["playing"], timeout=30)
        self.assertEqual(ui["values"]["ssl.shown_steps"], steps)

    def test_the_figure_holds_the_four_plots(self):
        app = self.app
        ui = app.export_from_menu("export.figure_1x")
        self.assertEqual(ui["last_error"], "")
        png = read_png(ui["last_export"])
        w = ui["widgets"]
        norms, points = w["canvas.ssl.norms"], w["canvas.ssl.points"]
        spectra = w["canvas.ssl.spectra"]
        # Two plots a row, two rows.
        self.assertGreaterEqual(png.width, norms[2] + points[2])
        self.assertLess(png.width, norms[2] + points[2] + 100)
        self.assertGreaterEqual(png.height, norms[3] + spectra[3])


if __name__ == "__main__":
    unittest.main()
