"""The flow-warping panel in the real app under Xvfb: add a layer from the menu, drag its
handle, drag a planar layer's u until wᵀu < −1, see the ✗ badge with the violated condition,
and export a PNG of the warped density."""
import json
import math
import os
import time
import unittest

from harness import App, XServer, count_distinct_colors, read_png, run_cli, check_canvas_export


def flow(ui):
    return ui["state"]["flow"]


class FlowGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "flow"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "flow.add" in ui["widgets"] and "view.flow.canvas" in ui["values"])

    def screen_of(self, ui, wx, wy):
        """Window pixel of world point (wx, wy) on the flow canvas."""
        x0, y0, x1, y1 = ui["values"]["view.flow.canvas"]
        px, py, pw, ph = ui["widgets"]["flow.canvas"]
        return px + (wx - x0) / (x1 - x0) * pw, py + (y1 - wy) / (y1 - y0) * ph

    def test_add_drag_break_and_export(self):
        app = self.app
        # Add a radial layer from the menu; it becomes the selected layer, with its z0 handle.
        app.click_widget("flow.add")
        app.wait_widget("flow.add.radial")
        app.click_widget("flow.add.radial")
        ui = app.wait_ui(lambda ui: len(flow(ui)["layers"]) == 3 and "flow.handle.z0" in ui["widgets"])
        self.assertEqual(flow(ui)["layers"][2]["type"], "radial")
        z0 = flow(ui)["layers"][2]["z0"]
        sx, sy = self.screen_of(ui, *z0)
        tx, ty = self.screen_of(ui, z0[0] + 1.0, z0[1] - 0.5)
        app.drag(sx, sy, tx, ty)
        ui = app.wait_ui(lambda ui: abs(flow(ui)["layers"][2]["z0"][0] - (z0[0] + 1.0)) < 0.05
                         and abs(flow(ui)["layers"][2]["z0"][1] - (z0[1] - 0.5)) < 0.05)
        self.assertEqual(ui["values"]["flow.badge.3"], "ok")

        # Select the first (planar) layer and drag u to (−1.5, 0): wᵀu = −3 < −1.
        app.click_widget("flow.layer.1")
        ui = app.wait_ui(lambda ui: "flow.handle.u" in ui["widgets"] and "flow.handle.w" in ui["widgets"])
        w = flow(ui)["layers"][0]["w"]
        u = flow(ui)["layers"][0]["u"]
        sx, sy = self.screen_of(ui, *u)
        tx, ty = self.screen_of(ui, -1.5, 0.0)
        app.drag(sx, sy, tx, ty)
        ui = app.wait_ui(lambda ui: ui["values"]["flow.badge.1"] != "ok")
        badge = ui["values"]["flow.badge.1"]
        self.assertIn("wᵀu", badge)
        self.assertIn("< -1", badge)
        self.assertIn("flow.reason.1", ui["widgets"])  # the reason is on screen under the header
        u = flow(ui)["layers"][0]["u"]
        self.assertLess(w[0] * u[0] + w[1] * u[1], -1)

        # The report agrees: not invertible, so no density and no inverse at the probe.
        app.key("ctrl+s")
        session = os.path.join(app.config_dir, "session.json")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        report = json.loads(out)["flow"]
        self.assertEqual(report["invertible"], "disproved")
        self.assertEqual(report["layers"][0]["invertible"], "disproved")
        self.assertEqual(report["layers"][2]["invertible"], "proved")
        # The witness: two points with one image, checked here with the planar formula.
        wit = report["layers"][0]["witness"]
        self.assertEqual(wit["kind"], "collision")
        l0 = flow(ui)["layers"][0]
        def planar(z):
            t = math.tanh(l0["w"][0] * z[0] + l0["w"][1] * z[1] + l0["b"])
            return (z[0] + l0["u"][0] * t, z[1] + l0["u"][1] * t)
        f1, f2 = planar(wit["z1"]), planar(wit["z2"])
        self.assertGreater(math.dist(wit["z1"], wit["z2"]), 1e-6)
        self.assertLess(math.dist(f1, f2), 1e-9)
        self.assertIsNone(report["probe_inverse"])
        self.assertIsNone(report["mass"])
        self.assertIsNone(report["mass_error"])

        # Export the canvas: the right size, and a picture (grid and samples), not a blank.
        app.move(4, ui["window"][1] - 4)
        time.sleep(0.3)
        ui = app.export_from_menu("export.canvas_1x")
        png = read_png(ui["last_export"])
        cx, cy, cw, ch = ui["widgets"]["canvas.flow.canvas"]
        check_canvas_export(self, png, ui, (cx, cy, cw, ch), 1)
        self.assertGreater(count_distinct_colors(png), 50)


class FlowTargetAndLogScale(unittest.TestCase):
    """The KL-identity preset draws its target P_X and shows both KL sides above the plot (the
    target was not drawn, and the readouts sat below the fold at 1024×700); the log-scale box
    recolours the density by log p."""

    PRESET = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "presets",
                          "flow_kl_identity.json")

    def test_target_drawn_kl_above_the_plot_and_log_scale(self):
        with XServer() as x, App(x, args=["--load", self.PRESET]) as app:
            ui = app.wait_ui(lambda u: "legend.flow.canvas" in u["values"]
                             and "flow.show.logscale" in u["widgets"])
            legend = ui["values"]["legend.flow.canvas"]
            self.assertTrue(any(e.startswith("target P_X") for e in legend), legend)
            summary = ui["values"]["flow.kl_summary"]
            r = json.loads(run_cli(["--load", self.PRESET, "--report", "-"])[1])["flow"]
            self.assertIn("D_KL[P_X‖P_F(U)] = ", summary)
            forward = float(summary.split("D_KL[P_X‖P_F(U)] = ")[1].split()[0])
            self.assertAlmostEqual(forward, r["kl_forward"], delta=1e-5 * abs(r["kl_forward"]))
            self.assertEqual(ui["values"]["colorbar.flow.canvas"][0], 0)
            app.click_widget("flow.show.logscale")
            ui = app.wait_ui(lambda u: "logscale" in flow(u)["show"])
            lo2, hi2 = ui["values"]["colorbar.flow.canvas"]
            self.assertAlmostEqual(hi2 - lo2, 6, places=9)  # six decades below the peak
            # ...whose top is the linear bar's peak (read once the box is off again: the
            # first frames' density covered another region, before the window settled).
            app.wait_widget("flow.show.logscale")
            app.click_widget("flow.show.logscale")
            ui = app.wait_ui(lambda u: "logscale" not in flow(u)["show"])
            lo3, hi3 = ui["values"]["colorbar.flow.canvas"]
            self.assertEqual(lo3, 0)
            self.assertAlmostEqual(10 ** hi2, hi3, delta=1e-9 * hi3)


if __name__ == "__main__":
    unittest.main()
