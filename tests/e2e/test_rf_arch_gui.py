"""Issue 21 through real X input: switch the receptive-field panel's architecture from its
combo (hover, then press), click a pixel, and check the field against closed forms: the gated
PixelCNN stack's field, with no blind spot, the plain vs gated compare view (both grids there,
and clickable), and WaveNet's 2^L steps."""
import json
import os
import unittest

from harness import App, XServer, run_cli


def rf(ui):
    return ui["state"]["receptive_field"]


def gated_field(n, L, r, c):
    """Closed form of a gated stack of 3×3 kernels (h = 1), 1-based: the vertical stack after
    L layers covers rows r − 1 − L … r − 1 and columns c − L … c + L (a full rectangle: each
    layer adds a row above and a column each side); the horizontal stack the row's c − L …
    c − 1. The links at earlier layers add only cells inside these."""
    cells = [[i, j] for i in range(max(1, r - 1 - L), r) for j in range(max(1, c - L),
                                                                       min(n, c + L) + 1)]
    cells += [[r, j] for j in range(max(1, c - L), c)]
    return sorted(cells)


class RfArchitectureGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)

    def start(self, *sets):
        args = ["--panel", "receptive_field"]
        for s in sets:
            args += ["--set", s]
        app = App(self.x, args=args)
        app.__enter__()
        self.addCleanup(app.__exit__, None, None, None)
        app.wait_ui(lambda ui: "rf.architecture" in ui["widgets"])
        return app

    def pick_architecture(self, app, name):
        app.click_widget("rf.architecture")
        app.wait_widget("rf.architecture." + name)
        app.click_widget("rf.architecture." + name)
        return app.wait_ui(lambda ui: rf(ui)["architecture"] == name)

    def saved_report(self, app):
        session = os.path.join(app.config_dir, "session.json")
        if os.path.exists(session):
            os.remove(session)
        app.key("ctrl+s")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        return json.loads(out)["receptive_field"]

    def test_gated_stack_field_after_a_click_has_no_blind_spot(self):
        app = self.start("receptive_field.size=11", "receptive_field.masks=A,B,B,B,B",
                         "receptive_field.pixel=8,6")
        self.pick_architecture(app, "gated")
        app.wait_widget("rf.cell.9.7")
        app.click_widget("rf.cell.9.7")
        app.wait_ui(lambda ui: rf(ui)["pixel"] == [9, 7])
        report = self.saved_report(app)
        self.assertEqual(report["architecture"], "gated")
        self.assertEqual(report["cells"], gated_field(11, 5, 9, 7))
        self.assertEqual(report["blind_spot"], [])
        self.assertEqual(report["violations"], [])
        # The plain stack of the same depth, beside it in the compare view, has one.
        self.assertTrue(report["plain_vs_gated"]["plain"]["blind_spot"])
        app.click_widget("rf.view.compare")
        ui = app.wait_ui(lambda ui: "rf.versus.1.cell.1.1" in ui["widgets"])
        self.assertIn("rf.versus.0.cell.1.1", ui["widgets"])  # plain and gated side by side
        # A click in the gated grid selects the pixel there too.
        app.click_widget("rf.versus.1.cell.6.4")
        app.wait_ui(lambda ui: rf(ui)["pixel"] == [6, 4])
        self.assertEqual(self.saved_report(app)["cells"], gated_field(11, 5, 6, 4))

    def test_wavenet_step_click_gives_two_to_the_l_steps(self):
        app = self.start("receptive_field.size=40", "receptive_field.masks=B,B,B,B",
                         "receptive_field.dilations=[1,2,4,8]")
        self.pick_architecture(app, "causal1d")
        app.wait_widget("rf.step.30")
        app.click_widget("rf.step.30")
        app.wait_ui(lambda ui: rf(ui)["pixel"][1] == 30)
        report = self.saved_report(app)
        self.assertEqual(report["cells"], [[1, t] for t in range(15, 31)])  # 2^4 steps
        self.assertEqual([g["cells"] for g in report["growth"]], [2, 4, 8, 16])
        self.assertEqual(report["blind_spot"], [])


if __name__ == "__main__":
    unittest.main()
