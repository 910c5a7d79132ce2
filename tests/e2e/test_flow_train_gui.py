"""Flow training in the real app under Xvfb (issue 13): open the Train tab, train a
Rezende–Mohamed preset with Play for some frames and see the loss fall and the density change;
then draw a points target with clicks and train it by forward KL; export the trained panel."""
import json
import os
import unittest

from harness import App, XServer, check_canvas_export, read_png, run_cli

PRESETS = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "presets")


def flow(ui):
    return ui["state"]["flow"]


def values(ui):
    return ui["values"]


class FlowTrainGui(unittest.TestCase):
    def start(self, *args):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "flow", *args])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        return self.app

    def test_play_trains_u1_and_the_density_follows(self):
        app = self.start()
        app.wait_widget("flow.tab.train")
        app.click_widget("flow.tab.train")
        ui = app.wait_ui(lambda ui: flow(ui)["mode"] == "train" and "flow.train.steps_run" in values(ui))
        self.assertEqual(values(ui)["flow.train.steps_run"], 0)
        before = values(ui)["flow.probe_log_density"]
        # The defaults: U1 with K = 8 random planar layers, reverse KL.
        app.click_widget("toolbar.play")
        ui = app.wait_ui(lambda ui: values(ui).get("flow.train.steps_run", 0) >= 300, timeout=60)
        app.click_widget("toolbar.play")  # Pause
        ui = app.wait_ui(lambda ui: not ui["playing"])
        steps = values(ui)["flow.train.steps_run"]
        self.assertGreaterEqual(steps, 300)
        # The loss fell: the running mean now is below the first steps' (U1's untrained
        # objective is ~2.2; after 300 steps it is below 1).
        loss = values(ui)["flow.train.loss"]
        self.assertLess(loss, 1.5)
        # The density changed: the probe's log-density moved.
        ui = app.wait_ui(lambda ui: values(ui)["flow.probe_log_density"] != before)
        # Step runs one frame's steps; Reset goes back to step 0.
        app.click_widget("toolbar.step")
        ui = app.wait_ui(lambda ui: values(ui)["flow.train.steps_run"] == steps + flow(ui)["train"]["steps_per_frame"])
        app.click_widget("toolbar.reset")
        ui = app.wait_ui(lambda ui: values(ui)["flow.train.steps_run"] == 0)
        self.assertEqual(values(ui)["flow.probe_log_density"], before)

    def test_draw_points_then_train_by_forward_kl(self):
        app = self.start("--set", "flow.mode=train", "--set",
                         'flow.train={"target":"points","objective":"forward","init":"affine","K":1,"steps":400,"lr":0.05,"steps_per_frame":20}')
        ui = app.wait_ui(lambda ui: "flow.train.target_canvas" in ui["widgets"]
                         and "view.flow.train.target" in values(ui))
        self.assertIn("draw at least 2 points", values(ui)["flow.train.summary"])
        x0, y0, x1, y1 = values(ui)["view.flow.train.target"]
        px, py, pw, ph = ui["widgets"]["flow.train.target_canvas"]

        def screen(wx, wy):
            return px + (wx - x0) / (x1 - x0) * pw, py + (y1 - wy) / (y1 - y0) * ph

        clicks = [(1.5, 1.0), (2.0, 1.5), (2.5, 1.0), (2.0, 0.5)]
        for i, (wx, wy) in enumerate(clicks):
            app.click(*screen(wx, wy))
            app.wait_ui(lambda ui, n=i + 1: len(flow(ui)["train"]["points"]) == n)
        ui = app.read_ui()
        pts = flow(ui)["train"]["points"]
        for (wx, wy), (qx, qy) in zip(clicks, pts):
            self.assertAlmostEqual(qx, wx, delta=0.1 * (x1 - x0) / 8)
            self.assertAlmostEqual(qy, wy, delta=0.1 * (y1 - y0) / 8)
        app.click_widget("toolbar.play")
        ui = app.wait_ui(lambda ui: values(ui).get("flow.train.steps_run", 0) >= 400, timeout=60)
        # Maximum likelihood with one affine layer: the Gaussian of the points, μ = their mean.
        app.key("ctrl+s")
        session = os.path.join(app.config_dir, "session.json")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        trained = json.loads(out)["flow"]["train"]["trained_layers"][0]
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        self.assertAlmostEqual(trained["mu"][0], mx, delta=0.1)
        self.assertAlmostEqual(trained["mu"][1], my, delta=0.1)
        # The trained model's canvas exports, titled with its step.
        app.move(4, ui["window"][1] - 4)
        ui = app.export_from_menu("export.canvas_1x")
        png = read_png(ui["last_export"])
        check_canvas_export(self, png, ui, ui["widgets"]["canvas.flow.canvas"], 1)


if __name__ == "__main__":
    unittest.main()
