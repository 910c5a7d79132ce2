"""The shell around the panels in the real app under Xvfb, driven by X input (issue 12): the
question card of a loaded preset with the state's numbers filled in, the preset combo's
title, "Reset panel" (every setting to its default, unlike Reset, which restarts the run), and
the whole-panel figure export."""
import json
import os
import re
import tempfile
import unittest

from harness import App, XServer, pixel, read_png, run_cli

PRESETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "presets")
NO_R1 = os.path.join(PRESETS, "gan_seed002_q5_no_r1.json")


def natural_order():
    """The preset files as the combo lists them: digits compare as numbers (k2 < k10)."""
    def key(name):
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]
    return sorted((f for f in os.listdir(PRESETS) if f.endswith(".json")), key=key)


def gan_defaults():
    rc, out, err = run_cli(["--panel", "gan", "--report", "-"])
    assert rc == 0, err
    return json.loads(out)["state"]


class ShellGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)

    def test_a_loaded_preset_poses_its_question_with_live_numbers(self):
        with App(self.x, args=["--load", NO_R1]) as app:
            ui = app.wait_ui(lambda u: u["values"].get("question"))
            card = ui["values"]["question"]
            self.assertEqual(card["source"], "Seed 002 Q5.1–5.3 (IFT6135 2021)")
            self.assertTrue(card["open"])
            self.assertIn("raise γ (R1) from 0 ", card["change"])  # {gan.gamma} filled in
            self.assertIn("over 1500 RK4 steps of size 0.05", card["look"])
            self.assertNotIn("{", card["look"].replace("{−1/2", ""))  # no placeholder left
            # A widget edit re-fills the card: γ = 1 from its button.
            app.click_widget("gan.gamma_preset.1")
            ui = app.wait_ui(lambda u: "from 1 " in u["values"]["question"]["change"])
            self.assertEqual(ui["state"]["gan"]["gamma"], 1)
            # Collapsed, the card keeps only its header.
            app.click_widget("question")
            app.wait_ui(lambda u: u["values"]["question"]["open"] is False)

    def test_reset_panel_restores_every_default_and_drops_the_question(self):
        defaults = gan_defaults()
        with App(self.x, args=["--load", NO_R1]) as app:
            app.wait_ui(lambda u: u["values"].get("question") and
                        u["state"]["gan"]["steps"] == 1500)
            app.click_widget("toolbar.reset_panel")
            ui = app.wait_ui(lambda u: u["values"].get("question", 0) is None)
            self.assertEqual(ui["state"]["gan"], defaults)
            self.assertEqual(ui["status"], "GAN dynamics: every setting back to its default")
            self.assertEqual(ui["panel"], "gan")

    def test_choosing_a_preset_from_the_combo_shows_its_card(self):
        with App(self.x, args=["--panel", "kl"]) as app:
            ui = app.wait_ui(lambda u: "toolbar.preset" in u["widgets"])
            self.assertIsNone(ui["values"].get("question"))
            self.assertEqual(ui["values"]["toolbar.preset"], "choose a preset...")
            app.click_widget("toolbar.preset")
            item = "preset." + str(natural_order().index("kl_2d_two_modes.json"))
            app.wait_widget(item)
            with open(os.path.join(PRESETS, "kl_2d_two_modes.json"), encoding="utf-8") as f:
                preset = json.load(f)
            app.click_widget(item)
            # The combo's text follows one frame after the card (it was drawn before the pick).
            ui = app.wait_ui(lambda u: u["values"].get("question") and
                             u["values"]["toolbar.preset"] == preset["title"])
            self.assertEqual(ui["values"]["question"]["source"], preset["question"]["source"])
            self.assertEqual(ui["state"]["kl"]["dim"], 2)
            self.assertEqual(ui["values"]["toolbar.preset"], preset["title"])  # the combo's text
    def test_f1_explains_the_marks_of_every_panel(self):
        # Each panel's legend names its marks (issue 12: "filled vs hollow" was hover-only).
        expected = {"receptive_field": "blind spot", "gan": "hollow", "flow": "probe",
                    "kl": "closed-form forward optimum"}
        for panel, needle in expected.items():
            with App(self.x, args=["--panel", panel]) as app:
                app.wait_ui(lambda u: "toolbar.play" in u["widgets"])
                app.key("F1")
                ui = app.wait_ui(lambda u: u["help_shown"] and u["values"].get("help.legend"))
                text = " ".join(ui["values"]["help.legend"])
                self.assertIn(needle, text, panel)
                self.assertGreaterEqual(len(ui["values"]["help.legend"]), 5, panel)

    def test_the_figure_export_lays_out_every_plot_as_on_screen(self):
        """Export > Figure PNG at 2x: the GAN panel's five plots without the widgets, the two
        phase plots side by side over the spectrum, sweep and series."""
        with App(self.x, args=["--load", NO_R1]) as app:
            ui = app.wait_ui(lambda u: "canvas.gan.series" in u["widgets"])
            ui = app.export_from_menu("export.figure_2x")
            self.assertEqual(ui["last_error"], "")
            png = read_png(ui["last_export"])
            w = ui["widgets"]
            left, right = w["canvas.gan.phase0"], w["canvas.gan.phase"]
            bottom = [w["canvas.gan.spectrum"], w["canvas.gan.sweep"], w["canvas.gan.series"]]
            # Tiles are the canvases at 2x (plus titles, legends and gaps), in two rows.
            self.assertGreaterEqual(png.width, 2 * (left[2] + right[2]))
            self.assertLess(png.width, 2 * (left[2] + right[2]) + 200)
            self.assertGreaterEqual(png.height, 2 * (left[3] + bottom[0][3]))
            self.assertNotEqual((png.width, png.height), tuple(ui["window"]))
            for x, y in ((0, 0), (png.width - 1, 0), (0, png.height - 1),
                         (png.width - 1, png.height - 1)):
                self.assertEqual(pixel(png, x, y)[:3], (255, 255, 255), "a widget's background")

            def count(x0, y0, x1, y1, colour, tol=40):
                return sum(1 for y in range(int(y0), int(y1), 2) for x in range(int(x0), int(x1), 2)
                           if all(abs(a - b) <= tol for a, b in zip(pixel(png, x, y), colour)))
            top_h = png.height * 2 / 3 * left[3] / (left[3] + bottom[0][3])
            orange, blue = (220, 60, 20), (30, 90, 200)
            # The orange trajectory in both phase plots, side by side...
            self.assertGreater(count(0, 0, png.width / 2, top_h, orange), 100)
            self.assertGreater(count(png.width / 2, 0, png.width, top_h, orange), 100)
            # ...and the sweep's blue Re λ dots in the middle of the row below them.
            lower = png.height - 2 * bottom[1][3]
            self.assertGreater(count(png.width / 3, lower, 2 * png.width / 3, png.height, blue), 50)
            self.assertLess(count(0, lower, png.width / 3 - 20, png.height, blue), 20)


class WindowFit(unittest.TestCase):
    def test_a_window_saved_on_a_larger_monitor_reopens_inside_this_one(self):
        with XServer(1024, 768) as x, tempfile.TemporaryDirectory() as d:
            folder = os.path.join(d, "config", "genlab")
            os.makedirs(folder)
            with open(os.path.join(folder, "settings.json"), "w") as f:
                json.dump({"window": [2500, 1400]}, f)  # saved on a 2560x1440 monitor
            with App(x, env_extra={"XDG_CONFIG_HOME": os.path.join(d, "config")}) as app:
                ui = app.wait_ui(lambda u: "toolbar.play" in u["widgets"])
                w, h = ui["window"]
                self.assertLessEqual(w, 1024)
                self.assertLessEqual(h, 768)
                self.assertGreaterEqual(w, 900)  # shrunk to the screen, not to a default


if __name__ == "__main__":
    unittest.main()
