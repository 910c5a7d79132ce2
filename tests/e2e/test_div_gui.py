"""The Divergences panel in the real app under X input: the discriminator choice is a real
click that retrains (the JSD readouts then match --report's), dragging p0's mean moves the
exact JSD as --report computes it, and Play reveals the training from step 0."""
import json
import os
import tempfile
import unittest

from harness import App, XServer, run_cli


def report(state):
    """--report of the panel loaded with `state` (the GUI's, from ui.json)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "state.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "panel": "div", "div": state}, f)
        rc, out, err = run_cli(["--load", path, "--report", "-"])
    assert rc == 0, err
    return json.loads(out)["div"]


class DivGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "div"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "div.lr" in ui["widgets"]
                         and "div.densities" in ui["widgets"])

    def test_the_discriminator_is_a_click_and_the_readouts_are_the_reports(self):
        app = self.app
        self.assertEqual(app.ui["state"]["div"]["discriminator"], "mlp")
        app.click_widget("div.discriminator.logistic")
        ui = app.wait_ui(lambda u: u["state"]["div"]["discriminator"] == "logistic")
        r = report(ui["state"]["div"])
        self.assertEqual(ui["values"]["div.jsd_exact"], r["jsd"]["exact"])
        self.assertEqual(ui["values"]["div.jsd_estimate"], r["jsd"]["estimate"])
        self.assertEqual(ui["values"]["div.jsd_se"], r["jsd"]["se"])

    def test_dragging_p0s_mean_moves_the_exact_jsd(self):
        app = self.app
        before = app.ui["values"]["div.jsd_exact"]
        x, y, w, h = app.ui["widgets"]["div.p0.0.mean"]
        app.drag(x + w / 2, y + h / 2, x + w * 0.85, y + h / 2)
        ui = app.wait_ui(lambda u: u["state"]["div"]["p0"][0]["mean"] > 0.5)
        self.assertNotEqual(ui["values"]["div.jsd_exact"], before)
        self.assertEqual(ui["values"]["div.jsd_exact"], report(ui["state"]["div"])["jsd"]["exact"])

    def test_play_reveals_the_training_from_step_zero(self):
        app = self.app
        steps = app.ui["state"]["div"]["steps"]
        self.assertEqual(app.ui["values"]["div.shown_step"], steps)  # the rest state
        app.click_widget("toolbar.play")
        ui = app.wait_ui(lambda u: 0 <= u["values"]["div.shown_step"] < steps)
        self.assertTrue(ui["playing"])
        ui = app.wait_ui(lambda u: not u["playing"], timeout=30)
        self.assertEqual(ui["values"]["div.shown_step"], steps)


if __name__ == "__main__":
    unittest.main()
