"""The GAN-dynamics panel in the real app under Xvfb, driven by X input: click the phase plot
to add a trajectory, switch γ with its button, drag the start point, then check the report
(seed 002 Q5's eigenvalues) and an exported PNG."""
import json
import os
import time
import unittest

from harness import App, XServer, pixel, read_png, run_cli, check_canvas_export

EXTRA_BLUE = (30, 90, 200)
MAIN_ORANGE = (220, 60, 20)


def gan(ui):
    return ui["state"]["gan"]


def world_at(ui, canvas, fx, fy):
    """The world point at fractions (fx, fy) of a canvas's plot rectangle (y down)."""
    x0, y0, x1, y1 = ui["values"]["view." + canvas]
    return x0 + fx * (x1 - x0), y1 - fy * (y1 - y0)


def near_colour(png, rect, colour, tol=40):
    """How many pixels inside `rect` are close to `colour`."""
    x, y, w, h = (int(v) for v in rect)
    count = 0
    for py in range(max(0, y), min(png.height, y + h), 2):
        for px in range(max(0, x), min(png.width, x + w), 2):
            if all(abs(a - b) <= tol for a, b in zip(pixel(png, px, py)[:3], colour)):
                count += 1
    return count


class GanGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "gan", "--set", "gan.method=flow",
                                     "--set", "gan.lr=0.05", "--set", "gan.steps=800",
                                     "--set", "gan.gamma=0"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "gan.phase" in ui["widgets"] and "view.gan.phase" in ui["values"])

    def report(self):
        # The previous save's file goes first, or a slow Ctrl+S would let it be read instead.
        session = os.path.join(self.app.config_dir, "session.json")
        if os.path.exists(session):
            os.remove(session)
        self.app.key("ctrl+s")
        self.app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        return json.loads(out)["gan"]

    def test_click_adds_a_trajectory_and_gamma_changes_the_spectrum(self):
        app = self.app
        # Click at 25 % / 75 % of the right phase plot: a new start there.
        expected = world_at(app.ui, "gan.phase", 0.25, 0.75)
        app.click_widget("gan.phase", 0.25, 0.75)
        ui = app.wait_ui(lambda ui: len(gan(ui)["extra_starts"]) == 1)
        psi0, psi1, theta = gan(ui)["extra_starts"][0]
        tol = 0.02 * (ui["values"]["view.gan.phase"][2] - ui["values"]["view.gan.phase"][0])
        self.assertAlmostEqual(theta, expected[0], delta=tol)  # x axis: θ
        self.assertAlmostEqual(psi0, expected[1], delta=tol)   # y axis: ψ0
        self.assertEqual(psi1, 0.0)
        # Without R1 the spectrum is {−1/2, ±i/2} (seed 002 Q5.3) ...
        r = self.report()
        self.assertEqual(len(r["extra_trajectories"]), 1)
        eig = sorted((round(a, 9), round(b, 9)) for a, b in r["eigenvalues_flow"])
        self.assertEqual(eig, [(-0.5, 0.0), (0.0, -0.5), (0.0, 0.5)])
        # ... and at γ = 1 all three are −1/2 (critical damping, seed 002 Q5.6).
        app.click_widget("gan.gamma_preset.1")
        app.wait_ui(lambda ui: gan(ui)["gamma"] == 1)
        r = self.report()
        for re, im in r["eigenvalues_flow"]:
            self.assertAlmostEqual(re, -0.5, places=6)
            self.assertAlmostEqual(im, 0.0, places=3)
        self.assertLess(r["distance_to_equilibrium"], 0.2)  # damped towards the equilibrium

    def test_dragging_the_start_moves_it(self):
        app = self.app
        ui = app.ui
        x0, y0, x1, y1 = ui["values"]["view.gan.phase"]
        px, py, pw, ph = ui["widgets"]["gan.phase"]
        psi0, _, theta = gan(ui)["start"]
        sx = px + (theta - x0) / (x1 - x0) * pw
        sy = py + (y1 - psi0) / (y1 - y0) * ph
        app.drag(sx, sy, sx - 80, sy + 60)
        # The start follows the pointer: it ends where the drag ended (θ left, ψ0 down).
        units = (x1 - x0) / pw
        ui = app.wait_ui(lambda ui: abs(gan(ui)["start"][2] - (theta - 80 * units)) < 4 * units
                         and abs(gan(ui)["start"][0] - (psi0 - 60 * units)) < 4 * units)
        self.assertEqual(gan(ui)["extra_starts"], [])  # a drag is not a click

    def test_switching_the_system_keeps_the_app_running(self):
        # The readouts once read the old 3-D trajectory as a 2-D one and the app exited.
        app = self.app
        app.click_widget("gan.system")
        app.wait_widget("gan.system.bilinear")
        app.click_widget("gan.system.bilinear")
        ui = app.wait_ui(lambda ui: gan(ui)["system"] == "bilinear")
        self.assertEqual(len(gan(ui)["start"]), 2)
        self.assertEqual(ui["last_error"], "")
        app.click_widget("gan.system")
        app.wait_widget("gan.system.dirac")
        app.click_widget("gan.system.dirac")
        ui = app.wait_ui(lambda ui: gan(ui)["system"] == "dirac")
        self.assertEqual(len(gan(ui)["start"]), 3)
        self.assertIsNone(app.proc.poll())  # still running

    def test_exported_canvas_shows_both_trajectories(self):
        app = self.app
        app.click_widget("gan.phase", 0.3, 0.3)
        app.wait_ui(lambda ui: len(gan(ui)["extra_starts"]) == 1)
        app.move(4, app.ui["window"][1] - 4)
        time.sleep(0.3)
        ui = app.export_from_menu("export.canvas_2x")
        png = read_png(ui["last_export"])
        x, y, w, h = ui["widgets"]["canvas.gan.phase"]
        check_canvas_export(self, png, ui, (x, y, w, h), 2)
        whole = (0, 0, png.width, png.height)
        self.assertGreater(near_colour(png, whole, MAIN_ORANGE), 200)
        self.assertGreater(near_colour(png, whole, EXTRA_BLUE), 200)


class GanStepPlayers(unittest.TestCase):
    """Step D and Step G with real clicks: each press is one player's gradient step, kept in
    gan.manual, drawn on the right plot, and the screen's end point is the report's."""

    def test_step_d_then_step_g(self):
        sets = ["--panel", "gan", "--set", "gan.lr=0.3", "--set", "gan.gamma=0.5"]
        with XServer() as x, App(x, args=sets) as app:
            app.wait_ui(lambda u: "gan.step_d" in u["widgets"])
            app.click_widget("gan.step_d")
            ui = app.wait_ui(lambda u: gan(u)["manual"] == "D")
            start, after_d = gan(ui)["start"], ui["values"]["gan.manual_end"]
            self.assertEqual(after_d[2], start[2])  # θ did not move
            self.assertNotEqual(after_d[0], start[0])  # ψ0 did
            self.assertIn("Step D (critic moves)", ui["values"]["legend.gan.phase"])
            app.wait_widget("gan.step_g")
            app.click_widget("gan.step_g")
            ui = app.wait_ui(lambda u: gan(u)["manual"] == "DG")
            end = ui["values"]["gan.manual_end"]
            self.assertEqual(end[0], after_d[0])  # ψ0 stayed for G
            rc, out, err = run_cli(sets + ["--set", "gan.manual=DG", "--report", "-"])
            self.assertEqual(rc, 0, err)
            r = json.loads(out)["gan"]["manual"]
            for a, b in zip(end, r["end"]):
                self.assertAlmostEqual(a, b, places=12)
            # D then G is alternating GDA's step.
            rc, out, err = run_cli(sets + ["--set", "gan.method=alternating", "--set",
                                           "gan.steps=1", "--report", "-"])
            for a, b in zip(end, json.loads(out)["gan"]["trajectory_end"]):
                self.assertAlmostEqual(a, b, places=12)


if __name__ == "__main__":
    unittest.main()
