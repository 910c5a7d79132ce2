"""The flow panel's "1-D map (Q5)" tab in the real app under Xvfb: switch to it, pick the radial
map from the menu, drag β below −α, and see the verdict turn to "not invertible" with the band
z0 ± (√(−αβ) − α) that seed 000 Q5.4's condition predicts; the saved session's report agrees;
the "Stack" tab brings the 2-D panel back."""
import json
import math
import os
import unittest

from harness import App, XServer, run_cli


def flow(ui):
    return ui["state"]["flow"]


class Flow1dGui(unittest.TestCase):
    def test_radial_beta_below_minus_alpha_is_not_invertible(self):
        with XServer() as x, App(x, args=["--panel", "flow"]) as app:
            self.run_in(app)

    def run_in(self, app):
        app.wait_ui(lambda ui: "flow.tab.map1d" in ui["widgets"] and "flow.add" in ui["widgets"])
        app.click_widget("flow.tab.map1d")
        ui = app.wait_ui(lambda ui: flow(ui)["mode"] == "map1d" and "flow.map1d.type" in ui["widgets"])
        self.assertNotIn("flow.add", ui["widgets"])  # the stack's controls are gone
        self.assertIn("flow.map1d.g", ui["widgets"])
        self.assertIn("flow.map1d.p", ui["widgets"])

        # The radial map from the type menu: its defaults (β = −0.6 ≥ −α) are invertible.
        app.click_widget("flow.map1d.type")
        app.wait_widget("flow.map1d.type.radial")
        app.click_widget("flow.map1d.type.radial")
        ui = app.wait_ui(lambda ui: flow(ui)["map1d"]["type"] == "radial"
                         and "flow.map1d.param.beta" in ui["widgets"])
        ui = app.wait_ui(lambda ui: ui["values"].get("flow.map1d.verdict", "").startswith("invertible"))
        self.assertEqual(ui["values"]["flow.map1d.intervals"], [])
        self.assertAlmostEqual(ui["values"]["flow.map1d.mass"], 1, delta=1e-7)

        # Drag β's slider to its left end (−5): β < −α = −1.
        x, y, w, h = ui["widgets"]["flow.map1d.param.beta"]
        app.drag(x + w * 0.5, y + h / 2, x + 1, y + h / 2)
        ui = app.wait_ui(lambda ui: flow(ui)["map1d"]["beta"] < -flow(ui)["map1d"]["alpha"]
                         and ui["values"].get("flow.map1d.verdict") == "not invertible")
        m = flow(ui)["map1d"]
        self.assertAlmostEqual(m["beta"], -5, delta=0.1)
        # g′ = 1 + αβ/(α + |t − t0|)² < 0 ⇔ |t − t0| < √(−αβ) − α (written out here).
        r = math.sqrt(-m["alpha"] * m["beta"]) - m["alpha"]
        intervals = ui["values"]["flow.map1d.intervals"]
        self.assertEqual(len(intervals), 1, intervals)
        what, lo, hi = intervals[0]
        self.assertEqual(what, "g′ < 0 on")
        self.assertAlmostEqual(lo, m["t0"] - r, delta=1e-9)
        self.assertAlmostEqual(hi, m["t0"] + r, delta=1e-9)
        self.assertAlmostEqual(ui["values"]["flow.map1d.mass"], 1, delta=1e-6)

        # The saved session's report says the same.
        app.key("ctrl+s")
        session = os.path.join(app.config_dir, "session.json")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        report = json.loads(out)["flow"]["map1d"]
        self.assertEqual(report["verdict"], "not invertible")
        self.assertAlmostEqual(report["decreasing"][0][0], m["t0"] - r, delta=1e-9)

        # Back to the stack: its canvas and controls return, the map is kept in the state.
        app.click_widget("flow.tab.stack")
        ui = app.wait_ui(lambda ui: flow(ui)["mode"] == "stack" and "flow.add" in ui["widgets"])
        self.assertEqual(flow(ui)["map1d"]["type"], "radial")
        self.assertNotIn("flow.map1d.g", ui["widgets"])


if __name__ == "__main__":
    unittest.main()
