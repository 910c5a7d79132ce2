"""The dropout-vs-L2 panel in the real app under Xvfb, driven by X input: dragging the keep
probability p moves dropout's closed form toward 0 (and the report agrees), Play reveals the
dropout SGD run step by step, and the whole-panel figure exports."""
import json
import math
import time
import unittest

from harness import App, XServer, read_png, run_cli

FEATURE_SCALES = "dropout.scales=[1,4]"


def report(*sets):
    args = ["--panel", "dropout"]
    for s in sets:
        args += ["--set", s]
    rc, out, err = run_cli(args + ["--report", "-"])
    assert rc == 0, err
    return json.loads(out)["dropout"]


class DropoutGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "dropout"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "dropout.p" in ui["widgets"] and "dropout.plane" in ui["widgets"])

    def test_lowering_p_shrinks_the_dropout_solution(self):
        app = self.app
        before = app.ui["values"]["dropout.scaled_dropout"]
        x, y, w, h = app.ui["widgets"]["dropout.p"]
        app.drag(x + w * 0.5, y + h / 2, x + 2, y + h / 2)  # toward p = 0.01
        ui = app.wait_ui(lambda u: u["state"]["dropout"]["p"] < 0.2)
        p = ui["state"]["dropout"]["p"]
        after = ui["values"]["dropout.scaled_dropout"]
        self.assertLess(math.hypot(*after), 0.6 * math.hypot(*before))
        # The screen shows what --report computes for the same state.
        r = report(f"dropout.p={p!r}")
        for a, b in zip(after, r["scaled_dropout"]):
            self.assertAlmostEqual(a, b, places=9)
        self.assertAlmostEqual(r["lambda_dropout"], (1 - p) / p, places=9)

    def test_play_reveals_the_sgd_run(self):
        app = self.app
        steps = app.ui["state"]["dropout"]["sgd_steps"]
        self.assertEqual(app.ui["values"]["dropout.sgd_shown"], steps)  # the rest state
        self.assertIn("SGD average × p", app.ui["values"]["legend.dropout.plane"])
        self.assertIn("your ridge λ", app.ui["values"]["legend.dropout.penalty"])
        app.click_widget("toolbar.play")
        ui = app.wait_ui(lambda u: 0 < u["values"]["dropout.sgd_shown"] < steps)
        self.assertTrue(ui["playing"])
        ui = app.wait_ui(lambda u: not u["playing"], timeout=30)
        self.assertEqual(ui["values"]["dropout.sgd_shown"], steps)

    def test_the_figure_holds_all_three_plots(self):
        app = self.app
        app.move(4, app.ui["window"][1] - 4)
        time.sleep(0.2)
        ui = app.export_from_menu("export.figure_1x")
        self.assertEqual(ui["last_error"], "")
        png = read_png(ui["last_export"])
        w = ui["widgets"]
        plane, weights = w["canvas.dropout.plane"], w["canvas.dropout.weights"]
        # The plane beside the two stacked bar plots: one row as wide as both columns.
        self.assertGreaterEqual(png.width, plane[2] + weights[2])
        self.assertLess(png.width, plane[2] + weights[2] + 100)


class DropoutLegends(unittest.TestCase):
    """The legends under the plots name only marks that are drawn (they once listed the ridge
    line at λ = 0, where none is drawn on the log axis)."""

    def test_no_ridge_line_no_ridge_entry(self):
        with XServer() as x, App(x, args=["--panel", "dropout", "--set", "dropout.lambda=0"]) as app:
            ui = app.wait_ui(lambda u: "legend.dropout.penalty" in u["values"])
            self.assertEqual(ui["values"]["legend.dropout.penalty"], ["λ_d·Γ_ii² (dropout)"])
            self.assertIn("least squares", ui["values"]["legend.dropout.weights"])


if __name__ == "__main__":
    unittest.main()
