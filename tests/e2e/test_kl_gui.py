"""The KL-direction panel in the real app under Xvfb: drag a mode of p with the mouse, check
that both fits follow (report: forward = p's moments, reverse = the dragged mode) and
converge within a few frames, then export a PNG of the plot."""
import json
import math
import os
import time
import unittest

from harness import App, XServer, pixel, read_png, run_cli, check_canvas_export

FORWARD_BLUE = (30, 100, 220)
REVERSE_RED = (220, 50, 40)


def moments(target):
    """Mean and std of a 1-D Gaussian mixture, independently of GenLab."""
    w = [c["weight"] for c in target]
    total = sum(w)
    mean = sum(wi * c["mean"][0] for wi, c in zip(w, target)) / total
    second = sum(wi * (c["std"][0] ** 2 + c["mean"][0] ** 2) for wi, c in zip(w, target)) / total
    return mean, math.sqrt(second - mean * mean)


def count_near(png, colour, tol=40):
    n = 0
    for y in range(0, png.height, 2):
        for x in range(0, png.width, 2):
            if all(abs(a - b) <= tol for a, b in zip(pixel(png, x, y)[:3], colour)):
                n += 1
    return n


class KlGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "kl"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "kl.mode.1" in ui["widgets"] and "kl.fits" in ui["values"])

    def test_dragging_a_mode_refits_both_directions(self):
        app = self.app
        ui = app.ui
        # The default fits: reverse sits on the mode at +3 (the start is at +0.7).
        self.assertAlmostEqual(ui["values"]["kl.fits"][1]["mean"], 3.0, delta=0.05)
        x, y, w, h = ui["widgets"]["kl.mode.1"]
        view = ui["values"]["view.kl.main"]
        gx, gy, gw, gh = ui["widgets"]["kl.main"]
        units_per_px = (view[2] - view[0]) / gw
        # Towards q's start (+0.7): the reverse fit, which sat on this mode, follows it.
        # (Dragged far away instead, the start can fall into the wide middle basin, a local
        # optimum of KL(q‖p); the landscape's restarts show that.)
        app.drag(x + w / 2, y + h / 2, x + w / 2 - 60, y + h / 2)
        target_mean = 3.0 - 60 * units_per_px
        ui = app.wait_ui(lambda ui: abs(ui["state"]["kl"]["target"][1]["mean"][0] - target_mean)
                         < 6 * units_per_px)
        # Re-fitting converges within a few frames of the drag's end at default settings.
        ui = app.wait_ui(lambda ui: all(f["converged"] for f in ui["values"]["kl.fits"]))
        self.assertLessEqual(ui["values"]["kl.frames_fitting"], 10)
        target = ui["state"]["kl"]["target"]
        mean, sd = moments(target)
        fits = ui["values"]["kl.fits"]
        self.assertAlmostEqual(fits[0]["mean"], mean, delta=1e-3)   # forward: p's mean
        self.assertAlmostEqual(fits[1]["mean"], target[1]["mean"][0], delta=0.05)  # reverse: the mode
        # The saved session gives the same answer through --report.
        app.key("ctrl+s")
        session = os.path.join(app.config_dir, "session.json")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        report = json.loads(out)["kl"]
        self.assertAlmostEqual(report["forward"]["mean"][0], mean, delta=1e-3)
        self.assertAlmostEqual(report["forward"]["std"][0], sd, delta=1e-3)
        self.assertAlmostEqual(report["forward_closed_form"]["mean"][0], mean, delta=1e-9)
        self.assertAlmostEqual(report["reverse"]["mean"][0], target[1]["mean"][0], delta=0.05)
        self.assertTrue(report["forward"]["converged"] and report["reverse"]["converged"])
        # Each fit wins its own direction.
        self.assertLess(report["forward"]["kl_pq"], report["reverse"]["kl_pq"])
        self.assertLess(report["reverse"]["kl_qp"], report["forward"]["kl_qp"])

        # And the plot exports with both fits in it.
        app.move(4, ui["window"][1] - 4)
        time.sleep(0.3)
        ui = app.export_from_menu("export.canvas_1x")
        png = read_png(ui["last_export"])
        cx, cy, cw, ch = ui["widgets"]["canvas.kl.main"]
        check_canvas_export(self, png, ui, (cx, cy, cw, ch), 1)
        self.assertGreater(count_near(png, FORWARD_BLUE), 100)
        self.assertGreater(count_near(png, REVERSE_RED), 100)


if __name__ == "__main__":
    unittest.main()
