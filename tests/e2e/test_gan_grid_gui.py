"""The GAN panel's Method grid tab (issue 14) in the real app under Xvfb: build a four-method
grid with real clicks (add cells, pick a regularizer and a method from the combos), check the
verdicts the cells show (test dump), export the grid as one figure, and open a cell in the main
plots with a click."""
import unittest

from harness import App, XServer, read_png


def grid(ui):
    return ui["state"]["gan"]["grid"]


def shown(ui, i):
    return ui["values"].get("gan.grid." + str(i))


class GanGridGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--panel", "gan"])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.app.wait_ui(lambda ui: "gan.tab.grid" in ui["widgets"])

    def pick(self, combo, item):
        self.app.click_widget(combo)
        self.app.wait_widget(item)
        self.app.click_widget(item)

    def test_build_a_four_method_grid_check_verdicts_and_export(self):
        app = self.app
        app.click_widget("gan.tab.grid")
        app.wait_widget("gan.grid.add")
        for n in range(1, 5):
            app.click_widget("gan.grid.add")
            app.wait_ui(lambda ui, n=n: len(grid(ui)) == n)
            app.wait_widget("gan.grid.add")  # the layout moved: wait until it settles
        # Cell 1: WGAN; cell 2: R1 (the panel's γ = 0.3); cell 3: extragradient.
        app.wait_widget("gan.grid.1.regularizer")
        self.pick("gan.grid.1.regularizer", "gan.grid.1.regularizer.wgan")
        app.wait_ui(lambda ui: grid(ui)[1]["regularizer"] == "wgan")
        app.wait_widget("gan.grid.2.regularizer")
        self.pick("gan.grid.2.regularizer", "gan.grid.2.regularizer.gan+r1")
        app.wait_ui(lambda ui: grid(ui)[2]["regularizer"] == "gan+r1")
        app.wait_widget("gan.grid.3.method")
        self.pick("gan.grid.3.method", "gan.grid.3.method.extragradient")
        ui = app.wait_ui(lambda ui: grid(ui)[3]["method"] == "extragradient"
                         and shown(ui, 3) and shown(ui, 3)["method"] == "extragradient"
                         # cells spread over frames: wait until none is pending
                         and not any(shown(ui, i)["pending"] for i in range(4)))
        self.assertEqual([(c["method"], c["regularizer"]) for c in grid(ui)],
                         [("simultaneous", "gan"), ("simultaneous", "wgan"),
                          ("simultaneous", "gan+r1"), ("extragradient", "gan")])
        verdicts = [shown(ui, i)["verdict"] for i in range(4)]
        self.assertEqual(verdicts, ["diverges", "diverges", "converges", "converges"])
        for i in range(4):  # each title carries the verdict and the radius
            self.assertIn(verdicts[i] + " · r = ", shown(ui, i)["title"])
        self.assertEqual(ui["last_error"], "")
        # The whole grid as one figure: a 2 × 2 arrangement of the four canvases.
        ui = app.export_from_menu("export.figure_1x")
        self.assertEqual(ui["last_error"], "")
        png = read_png(ui["last_export"])
        w = ui["widgets"]
        a, b, c = w["canvas.gan.grid.0"], w["canvas.gan.grid.1"], w["canvas.gan.grid.2"]
        self.assertGreaterEqual(png.width, a[2] + b[2])
        self.assertLess(png.width, a[2] + b[2] + 150)
        self.assertGreaterEqual(png.height, a[3] + c[3])
        self.assertLess(png.height, a[3] + c[3] + 400)
        # A click on a cell's plot opens that method in the main plots (the Dynamics tab):
        # cell 3, extragradient + gan on Mescheder's system.
        app.wait_widget("gan.grid.3")
        app.click_widget("gan.grid.3")
        ui = app.wait_ui(lambda ui: ui["state"]["gan"]["method"] == "extragradient"
                         and "gan.phase" in ui["widgets"] and "gan.main" in ui["values"])
        self.assertEqual(ui["state"]["gan"]["system"], "dirac2")
        self.assertEqual(ui["state"]["gan"]["regularizer"], "")
        self.assertEqual(ui["state"]["gan"]["loss"], "saturating")
        self.assertEqual(ui["values"]["gan.main"],
                         {"system": "dirac2", "method": "extragradient", "regularizer": "gan",
                          "verdict": "converges"})
        self.assertNotIn("gan.grid.3", ui["widgets"])  # the grid tab is no longer drawn
        self.assertEqual(ui["last_error"], "")


if __name__ == "__main__":
    unittest.main()
