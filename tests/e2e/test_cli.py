"""The command line of the real binary: help, version, reports without a display, errors
with exit status 2 that write nothing, no-display failures, and screenshots under Xvfb."""
import json
import time
import stat
import subprocess
import threading
import os
import tempfile
import unittest

from harness import TIME_SCALE, XServer, genlab_bin, fresh_env, read_png, pixel, run_cli, count_distinct_colors

PRESETS = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "presets")


class HelpAndVersion(unittest.TestCase):
    def test_help_lists_every_option(self):
        rc, out, _ = run_cli(["--help"])
        self.assertEqual(rc, 0)
        for opt in ("--panel", "--load", "--set", "--screenshot", "--size", "--frames", "--report"):
            self.assertIn(opt, out)

    def test_version(self):
        rc, out, _ = run_cli(["--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out.strip(), r"^genlab \d+\.\d+\.\d+$")


class Keys(unittest.TestCase):
    def test_keys_is_a_json_document_with_a_list_and_needs_no_display(self):
        rc, out, err = run_cli(["--keys"])  # run_cli unsets DISPLAY
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual(list(doc), ["keys"])
        self.assertIsInstance(doc["keys"], list)
        panels = ("receptive_field.", "gan.", "flow.", "kl.", "dropout.", "ssl.", "vi.", "div.")
        for key in doc["keys"]:  # each panel's PanelModel::keys(), as keys.hpp writes them
            self.assertTrue(key["key"].startswith(panels), key)
            # a vector key says "each": its range bounds every number of its (nested) list
            items, default = [], key["default"]
            stack = [default]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(item)
                else:
                    items.append(item)
            self.assertEqual(isinstance(default, list), key.get("each", False), key)
            for item in items:
                self.assertLessEqual(key["min"], item, key)
                self.assertLessEqual(item, key["max"], key)

    def test_each_keys_default_is_the_panels_default_state(self):
        rc, out, err = run_cli(["--keys"])
        self.assertEqual(rc, 0, err)
        defaults = {}
        for key in json.loads(out)["keys"]:
            if "[]" in key["key"]:
                continue  # a list item's key (flow.layers[].planar.w) has no single path
            panel, path = key["key"].split(".", 1)
            if panel not in defaults:
                rc, rep, err = run_cli(["--panel", panel, "--report", "-"])
                self.assertEqual(rc, 0, err)
                defaults[panel] = json.loads(rep)["state"]
            value = defaults[panel]
            for part in path.split("."):
                value = value[part]
            self.assertEqual(key["default"], value, key["key"])

    def test_help_lists_keys(self):
        rc, out, _ = run_cli(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("--keys", out)


class Reports(unittest.TestCase):
    def test_report_needs_no_display_and_answers_seed_000(self):
        rc, out, err = run_cli(["--set", "receptive_field.order=bottom-up",
                                "--set", "receptive_field.masks=A",
                                "--set", "receptive_field.pixel=3,4", "--report", "-"])
        self.assertEqual(rc, 0, err)
        report = json.loads(out)
        self.assertEqual(report["version"], 1)
        self.assertEqual(report["panel"], "receptive_field")
        self.assertEqual(report["state"]["masks"], ["A"])
        self.assertEqual(report["receptive_field"]["cells"], [[3, 3], [4, 3], [4, 4], [4, 5]])

    def test_load_and_set_apply_in_command_line_order(self):
        preset = os.path.join(PRESETS, "rf_seed003_q2_pixel33_top_down.json")
        rc, out, err = run_cli(["--set", "receptive_field.kernel=5", "--load", preset, "--report", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["state"]["kernel"], 3)  # the preset came later
        rc, out, err = run_cli(["--load", preset, "--set", "receptive_field.kernel=5", "--report", "-"])
        self.assertEqual(json.loads(out)["state"]["kernel"], 5)

    def test_state_writes_what_load_reads_without_running_the_panel(self):
        # A training state would train 20,000 steps in a report; --state only normalizes it.
        args = ["--set", "flow.mode=train", "--set", 'flow.train={"K":32,"steps":20000}']
        t0 = time.monotonic()
        rc, out, err = run_cli(args + ["--state", "-"])
        self.assertEqual(rc, 0, err)
        self.assertLess(time.monotonic() - t0, 5)
        doc = json.loads(out)
        self.assertEqual(doc["panel"], "flow")
        self.assertEqual(doc["flow"]["train"]["steps"], 20000)
        self.assertEqual(doc["flow"]["train"]["lr"], 0.01)  # the members not given: defaults
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "state.json")
            rc, _, err = run_cli(["--panel", "gan", "--set", "gan.gamma=0.7", "--state", path])
            self.assertEqual(rc, 0, err)
            rc, out, err = run_cli(["--load", path, "--report", "-"])
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["state"]["gamma"], 0.7)
        rc, _, err = run_cli(["--state", ""])
        self.assertEqual(rc, 2)
        self.assertIn("--state needs a file path", err)

    def test_report_to_file_is_written_whole(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.json")
            rc, _, err = run_cli(["--report", path])
            self.assertEqual(rc, 0, err)
            with open(path) as f:
                self.assertIn("paths", json.load(f)["receptive_field"])
            self.assertEqual(os.listdir(d), ["r.json"])


class EditsAreMergedThenValidated(unittest.TestCase):
    """Issue 12: all --load/--set are merged first, then validated once."""

    def test_set_order_does_not_matter(self):
        for sets in (["receptive_field.size=20", "receptive_field.pixel=11,10"],
                     ["receptive_field.pixel=11,10", "receptive_field.size=20"]):
            args = [a for s in sets for a in ("--set", s)] + ["--report", "-"]
            rc, out, err = run_cli(args)
            self.assertEqual(rc, 0, err)
            state = json.loads(out)["state"]
            self.assertEqual((state["size"], state["pixel"]), (20, [11, 10]), sets)

    def test_an_invalid_final_state_blames_the_set_that_wrote_the_key(self):
        rc, _, err = run_cli(["--set", "receptive_field.pixel=11,10", "--report", "-"])
        self.assertEqual(rc, 2)
        self.assertIn("--set receptive_field.pixel", err)

    def test_report_without_panel_reports_the_edited_panel(self):
        rc, out, err = run_cli(["--set", "kl.lr=0.01", "--report", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["panel"], "kl")
        self.assertEqual(err, "")

    def test_several_edited_panels_say_which_is_shown(self):
        rc, out, err = run_cli(["--set", "kl.lr=0.01", "--set", "gan.lr=0.1", "--report", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["panel"], "gan")  # the first in selector order
        self.assertIn("showing gan (--panel picks another)", err)
        rc, out, err = run_cli(["--panel", "kl", "--set", "kl.lr=0.01", "--set", "gan.lr=0.1",
                                "--report", "-"])
        self.assertEqual((rc, json.loads(out)["panel"], err), (0, "kl", ""))


class OutputPaths(unittest.TestCase):
    """Issue 20: empty and shared output paths are errors; streams are written, not replaced."""

    def test_empty_paths_are_errors(self):
        for args, needle in ((["--report", ""], "--report needs a file path"),
                             (["--screenshot", ""], "--screenshot needs a file path")):
            rc, out, err = run_cli(args)
            self.assertEqual(rc, 2, (args, err))
            self.assertIn(needle, err)

    def test_report_and_screenshot_on_one_path_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out")
            other = os.path.join(d, ".", "out")
            rc, _, err = run_cli(["--report", path, "--screenshot", other])
            self.assertEqual(rc, 2, err)
            self.assertIn("give them different paths", err)
            self.assertEqual(os.listdir(d), [])

    def test_report_to_a_stream_device(self):
        rc, out, err = run_cli(["--panel", "gan", "--report", "/dev/stdout"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["panel"], "gan")
        self.assertTrue(os.path.exists("/dev/stdout"))

    def test_report_into_a_fifo_is_streamed_and_the_fifo_kept(self):
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "pipe")
            os.mkfifo(fifo)
            # The read end is open before genlab starts (a FIFO nobody reads is an error) and is
            # read while genlab writes (a report can be larger than the pipe's buffer). The
            # test's own write end keeps the reader from seeing end-of-file before genlab
            # opens the FIFO; closing it after genlab has exited ends the read.
            read_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            keep_open = os.open(fifo, os.O_WRONLY)
            os.set_blocking(read_fd, True)
            got = []
            reader = threading.Thread(target=lambda: got.append(os.fdopen(read_fd).read()))
            reader.start()
            rc, _, err = run_cli(["--panel", "kl", "--report", fifo])
            os.close(keep_open)
            reader.join(timeout=30)
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(got[0])["panel"], "kl")
            self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced")

    def test_screenshot_to_a_stream_and_to_a_directory(self):
        with XServer() as x, tempfile.TemporaryDirectory() as d, \
                tempfile.TemporaryDirectory() as home:
            # The harness's environment (a private HOME, and under sanitizers the preloaded
            # Mesa driver that keeps LeakSanitizer's report clean), with stdout as bytes.
            r = subprocess.run([genlab_bin(), "--panel", "kl", "--size", "64x48",
                                "--screenshot", "/dev/stdout"],
                               env=fresh_env(home, x.display), capture_output=True,
                               timeout=120 * TIME_SCALE)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout[:8], b"\x89PNG\r\n\x1a\n")  # the picture, streamed
            rc, _, err = run_cli(["--screenshot", d, "--size", "64x48"], display=x)
            self.assertEqual(rc, 2, err)
            self.assertIn("is a directory", err)
            self.assertEqual(os.listdir(d), [])

    def test_size_is_digits_x_digits(self):
        for size in ("99999999999x10", " 12x10", "+12x10", "12x10x", "12x", "0x10", "8193x10"):
            rc, _, err = run_cli(["--screenshot", "/tmp/never.png", "--size", size])
            self.assertEqual(rc, 2, size)
            self.assertIn("expected WxH", err, size)


class BadInput(unittest.TestCase):
    def assert_one_line_error(self, args, *needles):
        with tempfile.TemporaryDirectory() as d:
            out_path = os.path.join(d, "r.json")
            rc, out, err = run_cli(args + ["--report", out_path])
            self.assertEqual(rc, 2, err)
            lines = err.strip().splitlines()
            self.assertEqual(len(lines), 1, err)
            for needle in needles:
                self.assertIn(needle, lines[0])
            self.assertEqual(os.listdir(d), [], "nothing may be written on error")

    def test_bad_values_name_the_key_and_allowed_values(self):
        self.assert_one_line_error(["--set", "receptive_field.kernel=4"],
                                   "receptive_field.kernel", "1, 3, 5, 7, 9")
        self.assert_one_line_error(["--set", "receptive_field.order=left"],
                                   "receptive_field.order", "top-down | bottom-up")
        self.assert_one_line_error(["--set", "receptive_field.nope=1"], "unknown key")
        self.assert_one_line_error(["--set", "receptive_field.size=0"], "receptive_field.size")
        self.assert_one_line_error(["--panel", "nope"], "receptive_field")
        self.assert_one_line_error(["--bogus"], "--bogus")
        self.assert_one_line_error(["--size", "10x10"], "--screenshot")

    def test_bad_preset_files(self):
        with tempfile.TemporaryDirectory() as d:
            cases = {
                "empty.json": ("", "empty"),
                "truncated.json": ('{"version": 1, "receptive_field": {"si', "not valid JSON"),
                "wrongtype.json": ('{"receptive_field": {"size": "five"}}', "receptive_field.size"),
                "version.json": ('{"version": 7}', "unsupported version 7"),
                "unknown.json": ('{"receptive_field": {"colour": 1}}', "unknown key"),
                "huge.json": ('{"receptive_field": {"size": 1e400}}', "1e400"),
                "deep.json": ("[" * 100000 + "]" * 100000, "nested deeper"),
            }
            for name, (text, needle) in cases.items():
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    f.write(text)
                with self.subTest(name):
                    self.assert_one_line_error(["--load", path], name, needle)
            self.assert_one_line_error(["--load", os.path.join(d, "missing.json")], "no such file")

    def test_a_cli_error_leaves_an_unreadable_session_where_it_is(self):
        with tempfile.TemporaryDirectory() as config:
            os.makedirs(os.path.join(config, "genlab"))
            session = os.path.join(config, "genlab", "session.json")
            with open(session, "w") as f:
                f.write("{ truncated")
            rc, _, err = run_cli(["--set", "receptive_field.kernel=4"],
                                 env_extra={"XDG_CONFIG_HOME": config})
            self.assertEqual(rc, 2, err)
            self.assertEqual(os.listdir(os.path.join(config, "genlab")), ["session.json"])


class NoDisplay(unittest.TestCase):
    def test_gui_without_display_exits_1_with_the_fix(self):
        rc, _, err = run_cli([])
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("DISPLAY", err)
        self.assertIn("xvfb-run", err)


class Screenshots(unittest.TestCase):
    def test_screenshot_has_the_requested_size_and_is_not_blank(self):
        with XServer() as x, tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "shot.png")
            rc, _, err = run_cli(["--screenshot", path, "--size", "900x700", "--frames", "3"],
                                 display=x)
            self.assertEqual(rc, 0, err)
            png = read_png(path)
            self.assertEqual((png.width, png.height), (900, 700))
            self.assertEqual(pixel(png, 0, 0)[3], 255)
            self.assertGreater(count_distinct_colors(png), 50)

    def test_screenshot_never_touches_the_session(self):
        with XServer() as x, tempfile.TemporaryDirectory() as d:
            config = os.path.join(d, "config")
            os.makedirs(os.path.join(config, "genlab"))
            session = os.path.join(config, "genlab", "session.json")
            with open(session, "w") as f:
                f.write('{"version": 1, "receptive_field": {"kernel": 7}}')
            rc, out, err = run_cli(["--report", "-"], env_extra={"XDG_CONFIG_HOME": config})
            self.assertEqual(json.loads(out)["state"]["kernel"], 3)  # defaults, not the session
            rc, _, err = run_cli(["--screenshot", os.path.join(d, "s.png"), "--size", "400x300"],
                                 display=x, env_extra={"XDG_CONFIG_HOME": config})
            self.assertEqual(rc, 0, err)
            with open(session) as f:
                self.assertEqual(json.load(f)["receptive_field"]["kernel"], 7)
            self.assertEqual(sorted(os.listdir(os.path.join(config, "genlab"))), ["session.json"])


class Figures(unittest.TestCase):
    """--figure: the whole-panel figure (every plot with its title, legend and colourbar)."""

    def test_figure_scales_and_has_no_widgets(self):
        with XServer() as x, tempfile.TemporaryDirectory() as d:
            sizes = {}
            for scale in (1, 2):
                path = os.path.join(d, f"fig{scale}.png")
                rc, _, err = run_cli(["--panel", "kl", "--figure", path, "--scale", str(scale),
                                      "--size", "1024x700"], display=x)
                self.assertEqual(rc, 0, err)
                png = read_png(path)
                sizes[scale] = (png.width, png.height)
                self.assertEqual(pixel(png, 0, 0)[:3], (255, 255, 255))  # no window background
                self.assertEqual(pixel(png, png.width - 1, png.height - 1)[:3], (255, 255, 255))
                self.assertGreater(count_distinct_colors(png), 200)
            # Everything scales: 2x is twice 1x, up to the rounding of each tile's strips.
            self.assertLessEqual(abs(sizes[2][0] - 2 * sizes[1][0]), 6, sizes)
            self.assertLessEqual(abs(sizes[2][1] - 2 * sizes[1][1]), 12, sizes)
            self.assertNotEqual(sizes[1], (1024, 700))  # the plots only, not the window

    def test_bad_figure_arguments_are_errors_that_name_the_fix(self):
        rc, _, err = run_cli(["--scale", "2"])
        self.assertEqual(rc, 2)
        self.assertIn("add --figure OUT.png", err)
        rc, _, err = run_cli(["--figure", "f.png", "--scale", "3"])
        self.assertEqual(rc, 2)
        self.assertIn("--scale", err)
        rc, _, err = run_cli(["--figure", "same.png", "--screenshot", "same.png"])
        self.assertEqual(rc, 2)
        self.assertIn("--screenshot and --figure both write", err)
        rc, _, err = run_cli(["--figure", ""])
        self.assertEqual(rc, 2)
        self.assertIn("--figure needs a file path", err)


if __name__ == "__main__":
    unittest.main()


class OpenAndInstall(unittest.TestCase):
    """Desktop integration (issue 18): `genlab FILE.json` opens a file as --load does, and
    `cmake --install` puts the app, its presets, the desktop entry and the icon in place."""
    PRESET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets",
                          "presets", "kl_three_modes.json")

    def test_a_file_argument_is_a_load(self):
        rc, by_arg, err = run_cli([self.PRESET, "--state", "-"])
        self.assertEqual(rc, 0, err)
        rc, by_load, err = run_cli(["--load", self.PRESET, "--state", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(by_arg), json.loads(by_load))
        self.assertEqual(json.loads(by_arg)["panel"], "kl")
        # It takes its place in the order like a --load: a --set after it wins.
        rc, out, err = run_cli([self.PRESET, "--set", "kl.lr=0.07", "--state", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["kl"]["lr"], 0.07)
        rc, _, err = run_cli(["/no/such/file.json", "--state", "-"])
        self.assertEqual(rc, 2)
        self.assertIn("/no/such/file.json", err)

    def test_cmake_install_puts_app_presets_desktop_entry_and_icon_in_place(self):
        build = os.path.dirname(os.path.dirname(os.path.abspath(genlab_bin())))
        with tempfile.TemporaryDirectory() as prefix:
            r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            share = os.path.join(prefix, "share")
            desktop = os.path.join(share, "applications", "genlab.desktop")
            icon = os.path.join(share, "icons", "hicolor", "scalable", "apps", "genlab.svg")
            presets = os.path.join(share, "genlab", "assets", "presets")
            for path in (desktop, icon, os.path.join(presets, "kl_three_modes.json")):
                self.assertTrue(os.path.isfile(path), path)
            with open(desktop, encoding="utf-8") as f:
                entry = f.read()
            self.assertIn("Exec=genlab %f", entry)
            self.assertIn("Icon=genlab", entry)
            r = subprocess.run(["desktop-file-validate", desktop], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            import xml.dom.minidom
            xml.dom.minidom.parse(icon)  # valid XML
            installed = os.path.join(prefix, "bin", "genlab")
            rc, out, err = run_cli([os.path.join(presets, "kl_three_modes.json"), "--state", "-"],
                                   binary=installed)
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["panel"], "kl")


class FigureScripts(unittest.TestCase):
    """--figures SCRIPT OUTDIR (issue 18): every entry rendered, validated first; a bad entry
    is named by index and key and nothing is written."""
    PRESETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets",
                           "presets")

    def script(self, d, figures):
        path = os.path.join(d, "figs.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "figures": figures}, f)
        return path

    def test_a_script_renders_every_entry(self):
        with XServer() as x, tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            os.mkdir(out)
            preset = os.path.relpath(os.path.join(self.PRESETS, "kl_three_modes.json"), d)
            path = self.script(d, [
                {"file": "kl.png", "load": [preset], "kind": "figure"},
                {"file": "gan.png", "set": ["panel=gan", "gan.gamma=0.5"], "kind": "window",
                 "size": [640, 480]},
                {"file": "kl2.png", "load": [preset], "set": ["kl.lr=0.1"], "scale": 2}])
            rc, _, err = run_cli(["--figures", path, out], display=x, timeout=180)
            self.assertEqual(rc, 0, err)
            self.assertEqual(sorted(os.listdir(out)), ["gan.png", "kl.png", "kl2.png"])
            window = read_png(os.path.join(out, "gan.png"))
            self.assertEqual((window.width, window.height), (640, 480))
            one, two = read_png(os.path.join(out, "kl.png")), read_png(os.path.join(out, "kl2.png"))
            self.assertLessEqual(abs(two.width - 2 * one.width), 6)
            self.assertGreater(count_distinct_colors(one), 200)
            self.assertIn("3/3", err)  # progress on stderr

    def test_a_bad_entry_is_named_and_nothing_is_written(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            os.mkdir(out)
            good = {"file": "a.png", "set": ["panel=kl"]}
            cases = [
                ([good, {"file": "b.png", "set": ["gan.gamma=-3"]}], "figures[1]"),
                ([good, {"file": "b.png", "set": ["gan.gamma=-3"]}], "gan.gamma"),
                ([good, {"file": "../b.png"}], "figures[1].file must be a plain file name"),
                ([good, {"file": "a.png"}], "figures[1].file 'a.png' is already written"),
                ([good, {"file": "b.png", "colour": 1}], "figures[1].colour is not a figure key"),
                ([{"file": "a.png", "load": ["missing.json"]}], "missing.json"),
                ([{"file": "a.png", "scale": 3}], "figures[0].scale must be 1, 2 or 4"),
            ]
            for figures, expected in cases:
                with self.subTest(expected=expected):
                    rc, _, err = run_cli(["--figures", self.script(d, figures), out])
                    self.assertEqual(rc, 2, err)
                    self.assertIn(expected, err)
                    self.assertEqual(os.listdir(out), [])
            rc, _, err = run_cli(["--figures", self.script(d, [good]), os.path.join(d, "nope")])
            self.assertEqual(rc, 2)
            self.assertIn("does not exist", err)
            rc, _, err = run_cli(["--figures", self.script(d, [good]), out, "--set", "kl.lr=1"])
            self.assertEqual(rc, 2)
            self.assertIn("--figures", err)
