"""Faults the running GUI must survive (RELIABILITY.md), driven with real X input:
a minimized (0x0) framebuffer, drags that leave the window, divergent runs, NaN typed into a
field, exports into read-only or crowded folders, and a session saved through a symlink."""
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (App, HarnessError, XServer, count_distinct_colors, cpu_seconds, read_png,
                     run_cli, set_iconified)

PRESETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "presets")


def non_finite(obj, path="$"):
    """Paths of every null, NaN or infinite number inside `obj` (nlohmann writes NaN as null)."""
    if obj is None:
        return [path]
    if isinstance(obj, float):
        return [] if math.isfinite(obj) else [path]
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in non_finite(v, f"{path}.{k}")]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in non_finite(v, f"{path}[{i}]")]
    return []


class GuiFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One roomy screen for all: the drag test moves the window to leave space around it.
        cls.x = XServer(2400, 1600)
        cls.x.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.x.__exit__(None, None, None)

    def start(self, *args, env_extra=None, ready="toolbar.play"):
        """Starts the app (after ending any earlier one of this test: one window at a time)."""
        for earlier in getattr(self, "_apps", []):
            earlier.terminate()
        app = App(self.x, args=list(args), env_extra=env_extra)
        self._apps = getattr(self, "_apps", []) + [app]
        app.__enter__()
        self.addCleanup(app.__exit__, None, None, None)
        # Tabs have no size in the first frame: wait for a laid-out frame before clicking.
        app.wait_ui(lambda ui: ready in ui["widgets"] and ui["widgets"]["tab.gan"][2] > 0,
                    timeout=60)
        return app

    def assert_sane(self, app, ui, panel, reload=True):
        """The app runs, drew without GL errors, and its state, views and colorbars are finite
        and (unless reload is False) accepted by the model: saved, and reloaded by the CLI."""
        self.assertIsNone(app.proc.poll(), "the app exited")
        self.assertEqual(ui["gl_errors"], 0)
        self.assertEqual(non_finite(ui["state"][panel]), [], "non-finite state")
        bad = [k for k, v in ui["values"].items()
               if k.startswith(("view.", "colorbar.")) and non_finite(v)]
        self.assertEqual(bad, [], "non-finite view or colorbar range")
        for k, (lo, hi) in ((k, v) for k, v in ui["values"].items() if k.startswith("colorbar.")):
            self.assertLessEqual(lo, hi, k)
        if not reload:
            return
        session = os.path.join(app.config_dir, "session.json")
        before = os.path.getmtime(session) if os.path.exists(session) else None
        app.key("ctrl+s")
        app.wait_ui(lambda u: os.path.exists(session) and os.path.getmtime(session) != before)
        rc, out, err = run_cli(["--load", session, "--report", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(non_finite(json.loads(out)["state"]), [])

    def assert_answers_clicks(self, app):
        """Clicks on two tabs are seen within seconds (the UI thread is not stuck)."""
        panel = app.wait_ui()["panel"]
        other = "kl" if panel != "kl" else "gan"
        for target in (other, panel):
            # The harness presses only once a frame has seen the pointer over the tab, so the
            # click is taken however long the animating panel's frames are.
            app.click_widget("tab." + target)
            app.wait_ui(lambda ui: ui["panel"] == target, timeout=30)

    def start_endless_animation(self, env_extra=None):
        """The KL panel fitting one iteration a frame for 100,000 iterations with no tolerance:
        it animates (and draws every frame) for as long as any test needs."""
        app = self.start("--panel", "kl", "--set", "kl.iterations=100000", "--set",
                         "kl.tolerance=0", "--set", "kl.iterations_per_frame=1",
                         env_extra=env_extra)
        app.wait_ui(lambda ui: ui["playing"])
        return app

    # -- window sizes ------------------------------------------------------------------------
    def test_minimized_framebuffer_skips_rendering_and_recovers(self):
        # X cannot give a window a 0x0 framebuffer (GLFW on X11 keeps the size while
        # iconified), so the test hook makes the frame loop see one while SIGUSR1 toggles it.
        app = self.start_endless_animation(
            env_extra={"GENLAB_TEST_FORCE_FRAMEBUFFER": "0x0"})
        pid = app.proc.pid
        os.kill(pid, signal.SIGUSR1)  # "minimize"
        time.sleep(0.7)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(2.5)
        cpu1, t1 = cpu_seconds(pid), time.monotonic()
        os.kill(pid, signal.SIGUSR1)  # "restore"
        ui = app.wait_ui(lambda ui: ui["forced_framebuffer_loops"] > 0)
        # A playing panel neither draws nor spins while there is nothing to draw into: it
        # waits for events (0.5 s at most). Drawing takes a large part of a core, a busy
        # loop all of it; skipping takes ~0.
        self.assertLess((cpu1 - cpu0) / (t1 - t0), 0.08)
        self.assertGreaterEqual(ui["forced_framebuffer_loops"], 3)
        self.assertLess(ui["forced_framebuffer_loops"], 15)
        self.assertEqual(ui["framebuffer"], ui["window"])
        self.assertTrue(ui["playing"])
        self.assert_answers_clicks(app)
        self.assert_sane(app, app.wait_ui(), "kl", reload=False)  # a report runs every iteration

    def test_iconified_window_stops_drawing_and_comes_back(self):
        # What a window manager does on minimize (WM_STATE = Iconic, unmapped). X11 keeps the
        # framebuffer size then, so the loop must also look at GLFW_ICONIFIED.
        app = self.start_endless_animation()
        self.assertTrue(set_iconified(app.display, app.window_id(), True), "no libX11")
        time.sleep(0.7)
        cpu0, t0 = cpu_seconds(app.proc.pid), time.monotonic()
        time.sleep(2.5)
        busy = (cpu_seconds(app.proc.pid) - cpu0) / (time.monotonic() - t0)
        set_iconified(app.display, app.window_id(), False)
        self.assertLess(busy, 0.08)  # drawing unseen took a large part of a core
        self.assertTrue(app.wait_ui()["playing"])  # still running after the restore
        self.assert_answers_clicks(app)
        self.assert_sane(app, app.wait_ui(), "kl", reload=False)  # a report runs every iteration

    # -- the pointer leaves the window mid-drag ---------------------------------------------------
    def drag_out(self, app, x0, y0, outside, button=1):
        """Presses at window point (x0, y0), drags 30 px within the canvas, then moves through
        each screen point of `outside` (beyond every edge of the window) and releases at the
        last one."""
        # Each step is seen by a frame before the next (the harness's hover-then-press), so
        # the press lands at (x0, y0) and the drag moves within the canvas first.
        app.move(x0, y0)
        app.press(button)
        for i in range(1, 4):
            app.move(x0 + 10 * i, y0 + 7 * i)
        for sx, sy in outside:
            app._xdo("mousemove", sx, sy)  # screen points beyond the window: no frame to see
            time.sleep(0.12)
        app._xdo("mouseup", button)
        time.sleep(0.3)

    def outside_points(self, app):
        """Screen points left/above, right/below and right/above of the window (moved to
        (400, 300) on a 2400x1600 screen, so there is room on every side)."""
        w, h = app.wait_ui()["window"]
        return [(100, 50), (400 + w + 200, 300 + h + 150), (400 + w + 300, 20), (5, 300 + h + 200)]

    def test_drags_that_leave_the_window(self):
        # (panel, extra args, where to press, the part of the state the drag moves)
        cases = [
            ("gan", [], self.gan_start_point, lambda s: s["start"]),
            ("kl", [], lambda app: self.centre(app, "kl.mode.0"), lambda s: s["target"][0]),
            ("flow", [], lambda app: self.centre(app, "flow.handle.u"), lambda s: s["layers"][0]),
            ("receptive_field", ["--set", "receptive_field.pixel=2,2"],
             lambda app: self.centre(app, "rf.cell.4.4"), lambda s: s["pixel"]),
        ]
        for panel, extra, grab, part in cases:
            with self.subTest(panel):
                app = self.start("--panel", panel, *extra)
                app._xdo("windowmove", app.window_id(), 400, 300)
                time.sleep(0.3)
                canvas = {"gan": "gan.phase", "kl": "kl.main", "flow": "flow.canvas",
                          "receptive_field": "rf.grid"}[panel]
                app.move(10, 10)
                app.wait_widget(canvas)  # laid out for good, so the press hits the object
                ui = app.wait_ui()
                before = ui["state"][panel]
                views_before = {k: v for k, v in ui["values"].items() if k.startswith("view.")}
                x0, y0 = grab(app)
                outside = self.outside_points(app)
                self.drag_out(app, x0, y0, outside)                 # left button: the object
                cx, cy = self.centre(app, canvas)
                self.drag_out(app, cx, cy, outside[::-1], button=3)  # right button: panning
                app.move(10, 10)
                ui = app.wait_ui()
                self.assert_sane(app, ui, panel)
                after = app.wait_ui()["state"][panel]
                views = {k: v for k, v in app.ui["values"].items() if k.startswith("view.")}
                self.assertNotEqual(views, views_before, "the right-drag did not pan")
                if panel == "receptive_field":  # a drag is not a click: no pixel from outside
                    self.assertEqual(after["pixel"], before["pixel"])
                    n = after["size"]
                    self.assertTrue(all(1 <= v <= n for v in after["pixel"]), after["pixel"])
                else:  # the press grabbed the object, which stayed where the pointer left
                    self.assertNotEqual(part(after), part(before), "the drag grabbed nothing")
                app.close()

    def centre(self, app, widget):
        x, y, w, h = app.wait_ui(lambda ui: widget in ui["widgets"])["widgets"][widget]
        return x + w / 2, y + h / 2

    def gan_start_point(self, app):
        ui = app.wait_ui(lambda ui: "view.gan.phase" in ui["values"])
        x0, y0, x1, y1 = ui["values"]["view.gan.phase"]
        px, py, pw, ph = ui["widgets"]["gan.phase"]
        psi0, _, theta = ui["state"]["gan"]["start"]
        return px + (theta - x0) / (x1 - x0) * pw, py + (y1 - psi0) / (y1 - y0) * ph

    # -- divergence ----------------------------------------------------------------------------
    def test_divergent_runs_stop_and_the_ui_stays_sane(self):
        cases = [
            # GAN, simultaneous GDA at lr = 2 on V = dg: |λ| = √5 leaves every bound.
            ("gan", ["--load", os.path.join(PRESETS, "gan_divergent_lr2.json")], "gan.diverged"),
            # A radial flow with the largest β and a tiny α: f(z) = z + β/(α + r)·(z − z0)
            # throws everything far out; the density underflows (mass over the view ~1e-29).
            ("flow", ["--set", 'flow.layers=[{"type":"radial","z0":[0.5,0],"alpha":1e-9,'
                               '"beta":1e6}]', "--set", "flow.show=density,logdet,grid"], None),
            # KL fitted by plain gradient descent with a huge step: σ overflows.
            ("kl", ["--set", "kl.optimizer=gd", "--set", "kl.lr=10"], None),
        ]
        for panel, args, marker in cases:
            with self.subTest(panel):
                app = self.start("--panel", panel, *args)
                state0 = app.wait_ui()["state"][panel]
                if not app.wait_ui()["playing"]:
                    app.click_widget("toolbar.play")
                if marker:  # the run stops with "diverged at step k"
                    t0 = time.monotonic()
                    ui = app.wait_ui(lambda ui: marker in ui["widgets"] and not ui["playing"]
                                     and time.monotonic() - t0 > 1, timeout=60)
                else:
                    time.sleep(1.5)
                    ui = app.wait_ui()
                # The state is never silently altered by a run that blew up (the flow's Play
                # walks "upto", the shown layer, on purpose).
                drop = lambda s: {k: v for k, v in s.items() if k != "upto"}  # noqa: E731
                self.assertEqual(drop(ui["state"][panel]), drop(state0))
                self.assert_answers_clicks(app)
                self.assert_sane(app, app.wait_ui(), panel)
                ui = app.export_from_menu("export.window_png")
                png = read_png(ui["last_export"])
                self.assertEqual((png.width, png.height), tuple(ui["window"]))
                self.assertGreater(count_distinct_colors(png), 30)  # drawn, not blank
                app.close()
        # The KL run is flagged as diverged (the GUI shows "DIVERGED" from the same fit).
        rc, out_json, err = run_cli(["--panel", "kl", "--set", "kl.optimizer=gd",
                                     "--set", "kl.lr=10", "--report", "-"])
        self.assertEqual(rc, 0, err)
        report = json.loads(out_json)["kl"]
        self.assertTrue(report["forward"]["diverged"] or report["reverse"]["diverged"])

    # -- NaN and Inf -----------------------------------------------------------------------------
    def test_nan_never_enters_a_state_or_a_saved_session(self):
        # ImGui's number fields take only digits, signs, '.', 'e' and clamp what they parse, so
        # NaN can only arrive through files and the command line: both refuse it.
        for value in ("nan", "inf", "1e400", "-1e400"):
            rc, _, err = run_cli(["--set", f"gan.lr={value}", "--report", "-"])
            self.assertEqual(rc, 2, value)
            self.assertIn("not finite", err)
        with tempfile.TemporaryDirectory() as d:
            for token in ("NaN", "Infinity", "-Infinity"):
                path = os.path.join(d, "bad.json")
                with open(path, "w") as f:
                    f.write('{"version": 1, "gan": {"lr": %s}}' % token)
                rc, _, err = run_cli(["--load", path, "--report", "-"])
                self.assertEqual(rc, 2, token)
                self.assertIn("not valid JSON", err)
            # A saved session holding NaN: kept aside, the defaults shown, and the session
            # saved afterwards is one that loads.
            config = os.path.join(d, "config")
            os.makedirs(os.path.join(config, "genlab"))
            session = os.path.join(config, "genlab", "session.json")
            with open(session, "w") as f:
                f.write('{"version": 1, "panel": "gan", "gan": {"lr": NaN}}')
            app = self.start(env_extra={"XDG_CONFIG_HOME": config})
            ui = app.wait_ui()
            self.assertIn("could not be loaded", ui["last_error"])
            self.assertEqual(ui["state"]["gan"]["lr"], 0.1)
            self.assert_sane(app, ui, "gan")  # saves, and the saved session reloads
            aside = [n for n in os.listdir(os.path.dirname(session)) if n.startswith("session-un")]
            with open(os.path.join(os.path.dirname(session), aside[0])) as f:
                self.assertIn("NaN", f.read())  # the user's file is kept as it was

    def test_a_session_with_bytes_that_are_not_utf8_is_kept_aside(self):
        # Issue 20: test mode (ui.json) crashed at startup on such a session; normal mode too
        # must keep it aside and run on the defaults.
        with tempfile.TemporaryDirectory() as d:
            config = os.path.join(d, "config")
            os.makedirs(os.path.join(config, "genlab"))
            with open(os.path.join(config, "genlab", "session.json"), "wb") as f:
                f.write(b'{"version": 1, "panel": "gan", "gan": {"lr": "\xff\xfe"}}')
            app = self.start(env_extra={"XDG_CONFIG_HOME": config})
            ui = app.wait_ui()
            self.assertIn("could not be loaded", ui["last_error"])
            self.assertIn("\\xFF", ui["last_error"])  # the byte, quoted as an escape
            self.assert_sane(app, ui, "gan")

    # -- export failures -----------------------------------------------------------------------
    @contextlib.contextmanager
    def read_only_folder(self):
        """A folder (holding old.txt) this process cannot create files in. As root, mode bits
        do not stop writes, so the folder is made immutable (chattr +i) instead; skips when
        neither works here. Writable again, and removed, on exit."""
        with tempfile.TemporaryDirectory() as parent:
            d = os.path.join(parent, "read-only")
            os.makedirs(d)
            with open(os.path.join(d, "old.txt"), "w") as f:
                f.write("keep")
            if os.geteuid() != 0:
                os.chmod(d, 0o555)
                undo = lambda: os.chmod(d, 0o755)  # noqa: E731
            elif shutil.which("chattr") and subprocess.run(
                    ["chattr", "+i", d], capture_output=True).returncode == 0:
                undo = lambda: subprocess.run(["chattr", "-i", d], check=True)  # noqa: E731
            else:
                raise unittest.SkipTest("running as root on a filesystem without chattr +i: "
                                        "no way to make a read-only folder")
            try:
                try:
                    open(os.path.join(d, "probe"), "w").close()
                    raise unittest.SkipTest(f"could not make {d} read-only here")
                except PermissionError:
                    pass
                yield d
            finally:
                undo()

    def set_export_folder(self, app, folder):
        """Types `folder` into the Export menu's field (again, if a busy frame lost keys) and
        leaves the menu open."""
        app.click_widget("toolbar.export")
        app.wait_widget("export.folder")
        for _ in range(3):
            app.click_widget("export.folder")
            time.sleep(0.3)
            app.key("ctrl+a")
            app.type_text(folder)
            app.key("Return")
            try:
                app.wait_ui(lambda ui: ui["export_folder"] == folder, timeout=5)
                return
            except HarnessError:
                pass
        self.fail(f"could not type the export folder; it reads {app.ui['export_folder']!r}")

    def try_exports(self, app, items):
        """Clicks each export item; returns the last_error after each."""
        errors = []
        for item in items:
            app.click_widget(item)
            # The click closes the menu; the same frame reports the export's outcome.
            ui = app.wait_ui(lambda ui: item not in ui["widgets"], timeout=15)
            errors.append(ui["last_error"])
            app.click_widget("toolbar.export")  # reopen: a click on an item closed the menu
            app.wait_widget("export.folder")
        return errors

    def test_export_into_a_read_only_folder_fails_cleanly(self):
        with self.read_only_folder() as folder:
            app = self.start("--panel", "gan")
            self.set_export_folder(app, folder)
            items = ["export.canvas_1x", "export.report", "export.csv"]
            errors = self.try_exports(app, items)
            app.key("Escape")
            for item, error in zip(items, errors):
                self.assertIn("export failed", error, item)
                self.assertIn(folder, error, item)
            self.assertEqual(app.wait_ui()["last_export"], "")
            self.assertEqual(os.listdir(folder), ["old.txt"])  # no partial or temp file
            self.assertIsNone(app.proc.poll())

    def test_export_never_overwrites_an_existing_file(self):
        with tempfile.TemporaryDirectory() as folder:
            # Every name the next 20 s could produce already exists.
            now = time.time()
            taken = {}
            for dt in range(-1, 20):
                stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + dt))
                for ext in ("png", "json"):
                    path = os.path.join(folder, f"genlab-gan-{stamp}.{ext}")
                    with open(path, "w") as f:
                        f.write(f"precious {dt}")
                    taken[path] = f"precious {dt}"
            app = self.start("--panel", "gan")
            self.set_export_folder(app, folder)
            app.click_widget("export.report")
            ui = app.wait_ui(lambda ui: ui["last_export"], timeout=15)
            new = ui["last_export"]
            self.assertNotIn(new, taken)
            self.assertTrue(new.startswith(os.path.join(folder, "genlab-gan-")), new)
            with open(new) as f:
                self.assertEqual(json.load(f)["panel"], "gan")
            for path, text in taken.items():
                with open(path) as f:
                    self.assertEqual(f.read(), text, path)
            self.assertEqual(len(os.listdir(folder)), len(taken) + 1)  # nothing else left

    # -- keyboard --------------------------------------------------------------------------------
    def test_text_typed_right_after_a_ctrl_chord_keeps_every_character(self):
        # Ctrl+A and the text in one burst: the events arrive in one poll. The app holds the
        # chord's releases until a frame has run (so the chord is seen whole), and the text
        # must wait with them: ImGui drops characters typed while Ctrl looks down, which lost
        # the whole text here before.
        app = self.start("--panel", "gan")
        app.click_widget("toolbar.export")
        app.wait_widget("export.folder")
        for i in range(3):
            folder = f"/tmp/typed{i}/after/ctrl-a"
            app.click_widget("export.folder")
            time.sleep(0.3)
            app.focus()
            keys = ["slash" if c == "/" else "minus" if c == "-" else c for c in folder]
            app._xdo("key", "--delay", "0", "ctrl+a", *keys)
            try:
                app.wait_ui(lambda ui: ui["export_folder"] == folder, timeout=10)
            except HarnessError:
                self.fail(f"typed {folder!r}, the field reads {app.ui['export_folder']!r}")
            app.key("Return")
        self.assertIsNone(app.proc.poll())

    # -- saving --------------------------------------------------------------------------------
    def test_saving_through_a_symlink_keeps_the_link(self):
        with tempfile.TemporaryDirectory() as d:
            config = os.path.join(d, "config")
            os.makedirs(os.path.join(config, "genlab"))
            real = os.path.join(d, "dotfiles", "genlab-session.json")
            os.makedirs(os.path.dirname(real))
            with open(real, "w") as f:
                f.write('{"version": 1, "panel": "gan", "gan": {"lr": 0.2}}')
            link = os.path.join(config, "genlab", "session.json")
            os.symlink(os.path.relpath(real, os.path.dirname(link)), link)
            app = self.start(env_extra={"XDG_CONFIG_HOME": config})
            self.assertEqual(app.wait_ui()["state"]["gan"]["lr"], 0.2)  # restored through it
            app.click_widget("gan.gamma_preset.1")
            app.wait_ui(lambda ui: ui["state"]["gan"]["gamma"] == 1)
            app.key("ctrl+s")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with open(real) as f:
                    if json.load(f)["gan"].get("gamma") == 1:
                        break
                time.sleep(0.1)
            self.assertTrue(os.path.islink(link), "the symlink was replaced by a file")
            with open(real) as f:
                self.assertEqual(json.load(f)["gan"]["gamma"], 1)
            self.assertEqual(app.close(), 0)
            self.assertTrue(os.path.islink(link))
            for folder in (os.path.dirname(link), os.path.dirname(real)):
                self.assertEqual([n for n in os.listdir(folder) if ".tmp-" in n], [])


if __name__ == "__main__":
    unittest.main()
