"""The real app under Xvfb, worked through real X input (xdotool): select a pixel by clicking
the grid, toggle a kernel cell, use the keyboard, export PNGs and check their pixels, and
restore the session after a restart."""
import json
import os
import statistics
import subprocess
import tempfile
import time
import unittest

from harness import TIME_SCALE, App, XServer, pixel, read_png, run_cli, check_canvas_export

# Reference colours of matplotlib's viridis (independent of GenLab's polynomial fit).
VIRIDIS_0_5 = (0x21, 0x91, 0x8C)
VIRIDIS_1_0 = (0xFD, 0xE7, 0x25)


def rf(ui):
    return ui["state"]["receptive_field"]


def median_color(png, rect, fx0, fy0, fx1, fy1):
    """Median RGB over a sub-rectangle (fractions of `rect`), robust to hatch lines and text."""
    x, y, w, h = rect
    xs = range(int(x + w * fx0), int(x + w * fx1))
    ys = range(int(y + h * fy0), int(y + h * fy1))
    samples = [pixel(png, px, py)[:3] for px in xs for py in ys]
    return tuple(int(statistics.median(s[i] for s in samples)) for i in range(3))


def close(c1, c2, tol):
    return all(abs(a - b) <= tol for a, b in zip(c1, c2))


class RfGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()

    def tearDown(self):
        self.x.__exit__(None, None, None)

    def start(self, *args, env_extra=None):
        app = App(self.x, args=list(args), env_extra=env_extra)
        app.__enter__()
        self.addCleanup(app.__exit__, None, None, None)
        app.wait_ui(lambda ui: "rf.cell.1.1" in ui["widgets"] or "rf.compare" in ui["widgets"])
        return app

    def test_clicking_a_cell_selects_the_pixel_and_the_report_follows(self):
        app = self.start("--set", "receptive_field.masks=A,A", "--set", "receptive_field.pixel=1,1")
        app.click_widget("rf.cell.3.3")
        ui = app.wait_ui(lambda ui: rf(ui)["pixel"] == [3, 3])
        app.key("ctrl+s")
        session = os.path.join(app.config_dir, "session.json")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        report = json.loads(out)["receptive_field"]
        # Seed 003 Q2, masks A then A, pixel 33.
        self.assertEqual(report["pixel"], [3, 3])
        self.assertEqual(report["cells"], [[1, 1], [1, 2], [1, 3], [1, 4], [1, 5],
                                           [2, 1], [2, 2], [2, 3], [3, 1]])
        self.assertEqual(report["blind_spot"], [[2, 4], [2, 5], [3, 2]])

    def test_toggling_a_kernel_cell_makes_a_custom_mask_that_breaks_causality(self):
        app = self.start()  # defaults: top-down, masks A then B, pixel 33
        self.assertEqual(rf(app.ui)["masks"], ["A", "B"])
        app.click_widget("rf.kernel.3.3")  # layer 1: let it read the cell below-right
        ui = app.wait_ui(lambda ui: isinstance(rf(ui)["masks"][0], list))
        self.assertEqual(rf(ui)["masks"][0], [[1, 1, 1], [1, 0, 0], [0, 0, 1]])
        self.assertEqual(rf(ui)["masks"][1], "B")
        app.key("ctrl+s")
        session = os.path.join(app.config_dir, "session.json")
        app.wait_ui(lambda ui: os.path.exists(session))
        rc, out, _ = run_cli(["--load", session, "--report", "-"])
        self.assertIn([4, 4], json.loads(out)["receptive_field"]["violations"])
        # Clicking it again restores mask A exactly.
        app.click_widget("rf.kernel.3.3")
        app.wait_ui(lambda ui: rf(ui)["masks"] == ["A", "B"])

    def test_layer_buttons_and_views(self):
        app = self.start()
        app.click_widget("rf.layer.2.A")
        app.wait_ui(lambda ui: rf(ui)["masks"] == ["A", "A"])
        app.click_widget("rf.add_layer")
        app.wait_ui(lambda ui: rf(ui)["masks"] == ["A", "A", "B"])
        app.click_widget("rf.layer.1.remove")
        app.wait_ui(lambda ui: rf(ui)["masks"] == ["A", "B"])
        app.click_widget("rf.view.compare")
        app.wait_ui(lambda ui: rf(ui)["view"] == "compare" and "rf.compare" in ui["widgets"])
        app.click_widget("rf.view.layers")
        app.wait_ui(lambda ui: "rf.layers" in ui["widgets"])

    def test_keyboard_shortcuts_play_and_help(self):
        app = self.start()
        app.key("F1")
        app.wait_ui(lambda ui: ui["help_shown"] and "help" in ui["widgets"])
        app.key("Escape")
        app.wait_ui(lambda ui: not ui["help_shown"])
        app.key("space")
        app.wait_ui(lambda ui: ui["playing"])
        app.key("r")
        app.wait_ui(lambda ui: not ui["playing"])

    def test_window_png_export_has_framebuffer_size_and_known_cell_colours(self):
        app = self.start()  # top-down A then B, pixel 33: counts 1..3
        # Xvfb starts the pointer mid-screen, over the grid: park it on the status line so
        # no hover tooltip covers the cells.
        app.move(4, app.ui["window"][1] - 4)
        time.sleep(0.5)
        app.key("ctrl+e")
        ui = app.wait_ui(lambda ui: ui["last_export"])
        path = ui["last_export"]
        self.assertRegex(os.path.basename(path), r"^genlab-receptive_field-\d{8}-\d{6}\.png$")
        png = read_png(path)
        self.assertEqual([png.width, png.height], ui["framebuffer"])
        cell = lambda r, c: ui["widgets"][f"rf.cell.{r}.{c}"]
        # 13 has 3 paths (the maximum: top of the colour scale), 11 has 1 path.
        self.assertTrue(close(median_color(png, cell(1, 3), 0.6, 0.6, 0.95, 0.95), VIRIDIS_1_0, 14))
        self.assertTrue(close(median_color(png, cell(1, 1), 0.6, 0.6, 0.95, 0.95), VIRIDIS_0_5, 14),
                        median_color(png, cell(1, 1), 0.6, 0.6, 0.95, 0.95))
        # The pixel itself: orange; 25: the blind spot, blue; 55: later, light grey.
        r, g, b = median_color(png, cell(3, 3), 0.3, 0.3, 0.7, 0.7)
        self.assertTrue(r > 230 and 150 < g < 220 and b < 160, (r, g, b))
        r, g, b = median_color(png, cell(2, 5), 0.1, 0.1, 0.9, 0.9)
        self.assertTrue(b > 240 and r < 200 and b - r > 50, (r, g, b))
        r, g, b = median_color(png, cell(5, 5), 0.6, 0.6, 0.95, 0.95)
        self.assertTrue(215 < r < 245 and abs(r - g) < 4 and abs(g - b) < 4, (r, g, b))
        # A second export never overwrites the first.
        app.key("ctrl+e")
        app.wait_ui(lambda ui: ui["last_export"] and ui["last_export"] != path)

    def test_canvas_export_at_2x_through_the_menu(self):
        app = self.start()
        ui = app.export_from_menu("export.canvas_2x")
        png = read_png(ui["last_export"])
        x, y, w, h = ui["widgets"]["canvas.rf.field"]
        top = check_canvas_export(self, png, ui, (x, y, w, h), 2)
        # The plot scales with the export: the centre of the pixel cell (33) is orange.
        gx, gy, gw, gh = ui["widgets"]["rf.cell.3.3"]
        cx, cy = (gx - x + gw * 0.3) * 2, top + (gy - y + gh * 0.7) * 2
        r, g, b, _ = pixel(png, int(cx), int(cy))
        self.assertTrue(r > 230 and 150 < g < 220 and b < 160, (r, g, b))

    def test_export_to_a_missing_folder_shows_an_error(self):
        app = self.start()
        app.click_widget("toolbar.export")
        app.wait_widget("export.folder")
        app.click_widget("export.folder")
        app.key("ctrl+a")
        app.type_text("/nonexistent/folder")
        app.key("Return")
        app.click_widget("export.window_png")
        ui = app.wait_ui(lambda ui: "does not exist" in ui["last_error"])
        self.assertIn("/nonexistent/folder", ui["last_error"])
        self.assertEqual(ui["last_export"], "")

    def test_canvas_wheel_zooms_about_the_cursor_right_drag_pans_double_click_resets(self):
        app = self.start()
        home = app.ui["values"]["view.rf.field"]
        gx, gy, gw, gh = app.widget("rf.grid")
        # Zoom in with the wheel over cell 22: the world point under the cursor stays put.
        px, py = gx + gw * 0.3, gy + gh * 0.3
        world = lambda v: (v[0] + (px - gx) / gw * (v[2] - v[0]), v[3] - (py - gy) / gh * (v[3] - v[1]))
        before = world(home)
        app.scroll(px, py, up=True, n=3)
        ui = app.wait_ui(lambda ui: ui["values"]["view.rf.field"][2] - ui["values"]["view.rf.field"][0]
                         < 0.7 * (home[2] - home[0]))
        zoomed = ui["values"]["view.rf.field"]
        after = world(zoomed)
        self.assertAlmostEqual(before[0], after[0], delta=0.05)
        self.assertAlmostEqual(before[1], after[1], delta=0.05)
        # Right-drag 100 px to the right: the view moves left by 100 px worth of world units.
        units_per_px = (zoomed[2] - zoomed[0]) / gw
        app.drag(px, py, px + 100, py, button=3)
        # ImGui 1.86 takes the press position at the next frame, after xdotool's first motion
        # step may have landed in the same batch: allow one 10 px step plus rounding.
        target = zoomed[0] - 100 * units_per_px
        ui = app.wait_ui(lambda ui: abs(ui["values"]["view.rf.field"][0] - target)
                         < 12 * units_per_px)
        self.assertEqual(rf(ui)["pixel"], [3, 3])  # panning is not a click
        # A double-click restores the home view. ImGui 1.86 sees one only when the two presses
        # land in different frames less than 0.3 s apart, which a build that renders several
        # times slower (the sanitizer run, TIME_SCALE > 1) cannot promise: only there is this
        # timing-bound gesture left out.
        if TIME_SCALE > 1:
            return
        app.move(px, py)
        # ~150 ms apart, like a person: ImGui 1.86 samples buttons once per frame.
        subprocess.run(["xdotool", "click", "--repeat", "2", "--delay", "150", "1"],
                       env=dict(os.environ, DISPLAY=self.x.display), check=True)
        ui = app.wait_ui(lambda ui: all(abs(a - b) < 1e-6 for a, b in
                                        zip(ui["values"]["view.rf.field"], home)))
        # ... and is not also a click (issue 12): past the double-click time, the pixel is
        # still 33, though the pointer was over another cell.
        time.sleep(0.6)
        self.assertEqual(rf(app.read_ui())["pixel"], [3, 3])

    def test_idle_app_sleeps_instead_of_rendering(self):
        app = self.start()
        app.move(4, app.ui["window"][1] - 4)
        time.sleep(1.0)  # let hover and settle frames finish

        def cpu_seconds():
            with open(f"/proc/{app.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        frame, cpu = app.read_ui()["frame"], cpu_seconds()
        time.sleep(3.0)
        # A busy loop would render ~180 frames and burn ~3 s of CPU in that time.
        self.assertLess(cpu_seconds() - cpu, 0.3)
        app.key("space")  # ...and an event still wakes it at once
        app.wait_ui(lambda ui: ui["playing"] and ui["frame"] > frame)

    def test_compare_view_recolours_when_the_pixel_changes(self):
        # Pixel 11 has nothing before it: all four grids start without colour.
        app = self.start("--set", "receptive_field.view=compare",
                         "--set", "receptive_field.pixel=1,1")
        app.move(4, app.ui["window"][1] - 4)
        app.click_widget("rf.compare.0.cell.3.3")  # A then A, pixel 33
        ui = app.wait_ui(lambda ui: rf(ui)["pixel"] == [3, 3])
        app.move(4, ui["window"][1] - 4)
        time.sleep(0.3)
        app.key("ctrl+e")
        ui = app.wait_ui(lambda ui: ui["last_export"])
        png = read_png(ui["last_export"])
        # One colour scale spans the four grids. Its top is B/B's cell 23, reached through
        # 23, 24, 32 and 33 (4 paths). In A/A, 13 is reached through 22, 23, 24 (3 paths):
        # log 4 / log 5 = 0.861 of the scale, matplotlib's viridis at 6/7 is #a0da39.
        colour = median_color(png, ui["widgets"]["rf.compare.0.cell.1.3"], 0.6, 0.6, 0.95, 0.95)
        self.assertTrue(close(colour, (0xA0, 0xDA, 0x39), 14), colour)
        colour = median_color(png, ui["widgets"]["rf.compare.3.cell.2.3"], 0.6, 0.6, 0.95, 0.95)
        self.assertTrue(close(colour, VIRIDIS_1_0, 14), colour)

    def test_a_broken_preset_is_reported_not_fatal(self):
        with tempfile.TemporaryDirectory() as assets:
            os.makedirs(os.path.join(assets, "presets"))
            with open(os.path.join(assets, "presets", "bad.json"), "w") as f:
                f.write('{"version": 1, "title": 5, "receptive_field": {"kernel": 5}}')
            with open(os.path.join(assets, "presets", "good.json"), "w") as f:
                f.write('{"version": 1, "title": "Good", "receptive_field": {"kernel": 7}}')
            app = self.start(env_extra={"GENLAB_ASSETS": assets})
            self.assertIn("'title' must be a string", app.ui["last_error"])
            app.click_widget("toolbar.preset")
            app.wait_widget("preset.0")
            app.click_widget("preset.0")  # only the good one is listed
            app.wait_ui(lambda ui: rf(ui)["kernel"] == 7)

    def test_report_and_csv_exports_from_the_menu(self):
        app = self.start("--set", "receptive_field.masks=B,B")
        exported = [app.export_from_menu(item)["last_export"]
                    for item in ("export.report", "export.csv")]
        report_path, csv_path = exported
        self.assertRegex(os.path.basename(report_path), r"^genlab-receptive_field-\d{8}-\d{6}\.json$")
        with open(report_path) as f:
            report = json.load(f)
        self.assertEqual(report["receptive_field"]["violations"], [[3, 3]])
        with open(csv_path) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "row,col,paths,in_field,blind_spot,violation")
        self.assertEqual(len(lines), 26)
        self.assertIn("3,3,1,1,0,1", lines)

    def test_session_is_restored_after_a_restart(self):
        with tempfile.TemporaryDirectory() as config:
            env = {"XDG_CONFIG_HOME": config}
            app = self.start(env_extra=env)
            app.click_widget("rf.cell.2.4")
            app.wait_ui(lambda ui: rf(ui)["pixel"] == [2, 4])
            self.assertEqual(app.close(), 0)
            with open(os.path.join(config, "genlab", "session.json")) as f:
                self.assertEqual(json.load(f)["receptive_field"]["pixel"], [2, 4])
            again = self.start(env_extra=env)
            self.assertEqual(rf(again.ui)["pixel"], [2, 4])


class RfLegendNamesOnlyDrawnMarks(unittest.TestCase):
    """The legend lists the blind spot and violations only when the view draws them (it once
    listed "violation" beside every causal field)."""

    def legend(self, args):
        with XServer() as x, App(x, args=args) as app:
            ui = app.wait_ui(lambda u: "legend.rf.field" in u["values"])
            return ui["values"]["legend.rf.field"]

    def test_causal_field_with_a_blind_spot(self):
        legend = self.legend(["--panel", "receptive_field"])
        self.assertIn("blind spot", legend)
        self.assertNotIn("violation", legend)

    def test_a_violation_is_named(self):
        preset = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "presets",
                              "rf_causality_violation.json")
        self.assertIn("violation", self.legend(["--load", preset, "--set",
                                                "receptive_field.view=field"]))


if __name__ == "__main__":
    unittest.main()
