"""Self-test for harness.py; needs Xvfb/xdotool/xdpyinfo but not GENLAB_BIN.

Run from /work/main:  /usr/bin/python3 -m unittest tests/e2e/test_harness_selftest.py -v
"""
import json
import os
import random
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


# -- a tiny PNG encoder, independent of the decoder under test -------------------
def _chunk(ctype, body):
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _filter_row(ft, row, prev, bpp):
    """Apply PNG filter ft to one row (textbook definitions)."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ft == 0:
            pred = 0
        elif ft == 1:
            pred = a
        elif ft == 2:
            pred = b
        elif ft == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (x - pred) & 255
    return bytes(out)


def encode_png(width, height, rows, alpha, filters=(0, 1, 2, 3, 4), idat_size=None,
               depth=8, colour=None, interlace=0):
    """rows: list of bytes (RGB or RGBA). Row y uses filters[y % len(filters)];
    the zlib stream is split into IDAT chunks of idat_size bytes."""
    bpp = 4 if alpha else 3
    colour = (6 if alpha else 2) if colour is None else colour
    raw, prev = bytearray(), bytes(width * bpp)
    for y, row in enumerate(rows):
        ft = filters[y % len(filters)]
        raw += bytes([ft]) + _filter_row(ft, row, prev, bpp)
        prev = row
    z = zlib.compress(bytes(raw), 9)
    n = idat_size or len(z) or 1
    idats = b"".join(_chunk(b"IDAT", z[i:i + n]) for i in range(0, max(len(z), 1), n))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"tEXt", b"Comment\0self-test")
            + idats + _chunk(b"IEND", b""))


def random_rows(width, height, bpp, seed):
    """Mostly smooth gradients (so Paeth/Average hit all branches) plus noise."""
    rnd = random.Random(seed)
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            px = [(x * 7 + y * 3 + c * 50) & 255 for c in range(bpp)]
            if rnd.random() < 0.3:
                px = [rnd.randrange(256) for _ in range(bpp)]
            row += bytes(px)
        rows.append(bytes(row))
    return rows


def expected_rgba(rows, alpha):
    out = bytearray()
    for row in rows:
        if alpha:
            out += row
        else:
            for i in range(0, len(row), 3):
                out += row[i:i + 3] + b"\xff"
    return out


class PngTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="png-selftest-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, data, name="t.png"):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def roundtrip(self, w, h, alpha, **kw):
        rows = random_rows(w, h, 4 if alpha else 3, seed=w * 1000 + h + alpha)
        png = H.read_png(self.write(encode_png(w, h, rows, alpha, **kw)))
        self.assertEqual((png.width, png.height), (w, h))
        self.assertEqual(png.pixels, expected_rgba(rows, alpha))
        return png

    def test_all_filters_cycling_rgb_and_rgba(self):
        for alpha in (False, True):
            with self.subTest(alpha=alpha):
                self.roundtrip(37, 23, alpha)

    def test_each_filter_alone(self):
        for ft in range(5):
            for alpha in (False, True):
                with self.subTest(filter=ft, alpha=alpha):
                    self.roundtrip(19, 11, alpha, filters=(ft,))

    def test_multiple_idat_chunks(self):
        for size in (1, 7, 100):
            with self.subTest(idat_size=size):
                self.roundtrip(16, 16, True, idat_size=size, filters=(4, 3, 2, 1, 0))

    def test_tiny_images(self):
        self.roundtrip(1, 1, False)
        self.roundtrip(1, 9, True)
        self.roundtrip(9, 1, False, filters=(4,))

    def test_tuple_unpacking_and_pixel(self):
        rows = [bytes([10, 20, 30, 40, 50, 60]), bytes([70, 80, 90, 100, 110, 120])]
        w, h, pixels = H.read_png(self.write(encode_png(2, 2, rows, False)))
        png = H.Png(w, h, pixels)
        self.assertEqual(H.pixel(png, 0, 0), (10, 20, 30, 255))
        self.assertEqual(H.pixel(png, 1, 1), (100, 110, 120, 255))

    def test_rejects_other_formats(self):
        rows = [bytes(6)] * 2
        cases = {"16-bit": dict(depth=16), "palette": dict(colour=3), "grey": dict(colour=0),
                 "interlaced": dict(interlace=1)}
        for name, kw in cases.items():
            with self.subTest(name):
                with self.assertRaisesRegex(H.PNGError, "unsupported PNG"):
                    H.read_png(self.write(encode_png(2, 2, rows, False, **kw)))
        with self.assertRaisesRegex(H.PNGError, "signature"):
            H.read_png(self.write(b"GIF89a" + bytes(100)))
        good = encode_png(4, 4, [bytes(12)] * 4, False)
        with self.assertRaises(H.PNGError):
            H.read_png(self.write(good[:40]))

    def test_color_helpers(self):
        self.assertTrue(H.color_close((10, 20, 30), (18, 12, 30, 255)))
        self.assertFalse(H.color_close((10, 20, 30), (19, 20, 30)))
        self.assertTrue(H.color_close((10, 20, 30), (19, 20, 30), tol=9))
        red, blue = b"\xff\x00\x00", b"\x00\x00\xff"
        rows = [red * 2 + blue * 2] * 2 + [blue * 4] * 2
        png = H.read_png(self.write(encode_png(4, 4, rows, False)))
        self.assertEqual(H.count_distinct_colors(png), 2)
        self.assertEqual(H.count_distinct_colors(png, (0, 0, 2, 2)), 1)
        self.assertEqual(H.count_distinct_colors(png, (1, 1, 100, 100)), 2)

    def test_full_size_screenshot_speed(self):
        """A 1600x1000 Paeth-filtered RGBA image must decode in reasonable time."""
        row = bytes((x * 13) & 255 for x in range(1600 * 4))
        path = self.write(encode_png(1600, 1000, [row] * 1000, True, filters=(4, 1, 2, 3)))
        t = time.monotonic()
        png = H.read_png(path)
        self.assertLess(time.monotonic() - t, 30)
        self.assertEqual(H.pixel(png, 1599, 999), tuple(row[-4:]))


def _have(*tools):
    return all(shutil.which(t) for t in tools)


@unittest.skipUnless(_have("Xvfb", "xdpyinfo", "xdotool"), "Xvfb/xdpyinfo/xdotool not installed")
class XServerTest(unittest.TestCase):
    def xdpyinfo(self, display):
        return subprocess.run(["xdpyinfo", "-display", display], capture_output=True, text=True)

    def test_start_and_stop(self):
        with H.XServer() as xs:
            display = xs.display
            n = int(display[1:])
            self.assertGreaterEqual(n, 90)
            r = self.xdpyinfo(display)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("1600x1000 pixels", r.stdout)
            self.assertTrue(os.path.exists(f"/tmp/.X11-unix/X{n}"))
        self.assertNotEqual(self.xdpyinfo(display).returncode, 0)
        self.assertFalse(os.path.exists(f"/tmp/.X11-unix/X{n}"))
        self.assertFalse(os.path.exists(f"/tmp/.X{n}-lock"))

    def test_two_servers_custom_size(self):
        with H.XServer(800, 600) as a, H.XServer() as b:
            self.assertNotEqual(a.display, b.display)
            self.assertIn("800x600 pixels", self.xdpyinfo(a.display).stdout)


FAKE_APP = r'''#!/usr/bin/python3
"""Stands in for GenLab: prints argv/env, writes ui.json frames
(first a half-written file, then atomic replaces), exits 3 on SIGTERM."""
import json, os, signal, sys, time
d = os.environ["GENLAB_TEST_DUMP"]
signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))
print(json.dumps({"args": sys.argv[1:], "env": {k: os.environ.get(k) for k in
                  ("HOME", "XDG_CONFIG_HOME", "DISPLAY", "GENLAB_TEST_DUMP", "EXTRA")}}), flush=True)
with open(os.path.join(d, "ui.json"), "w") as f:
    f.write('{"frame": 0, "wid')
for frame in range(1, 1000):
    ui = {"frame": frame, "window": [800, 600], "framebuffer": [800, 600], "panel": "receptive_field",
          "state": {}, "widgets": {"toolbar.play": [10, 20, 40, 20]}, "last_export": "", "last_error": ""}
    with open(os.path.join(d, "ui.json.tmp"), "w") as f:
        json.dump(ui, f)
    os.replace(os.path.join(d, "ui.json.tmp"), os.path.join(d, "ui.json"))
    time.sleep(0.05)
'''


@unittest.skipUnless(_have("Xvfb", "xdpyinfo", "xdotool"), "Xvfb/xdpyinfo/xdotool not installed")
class AppPlumbingTest(unittest.TestCase):
    """App/run_cli against stand-in binaries (GENLAB_BIN not needed)."""

    @classmethod
    def setUpClass(cls):
        cls.xs = H.XServer().__enter__()
        cls.dir = tempfile.mkdtemp(prefix="fake-app-")
        cls.fake = os.path.join(cls.dir, "fake_genlab")
        with open(cls.fake, "w") as f:
            f.write(FAKE_APP)
        os.chmod(cls.fake, stat.S_IRWXU)

    @classmethod
    def tearDownClass(cls):
        cls.xs.__exit__(None, None, None)
        shutil.rmtree(cls.dir)

    def test_wait_ui_env_and_terminate(self):
        with H.App(self.xs, ["--foo"], env_extra={"EXTRA": "1"}, binary=self.fake) as app:
            ui = app.wait_ui(lambda u: u["frame"] >= 3, timeout=10)
            self.assertEqual(app.widget("toolbar.play"), [10, 20, 40, 20])
            with self.assertRaisesRegex(H.HarnessError, "no widget"):
                app.widget("nope")
            self.assertGreaterEqual(ui["frame"], 3)
            self.assertTrue(app.config_dir.startswith(app.tmp))
            self.assertEqual(app.terminate(), 3)
            with open(os.path.join(app.tmp, "stdout.log")) as f:
                seen = json.loads(f.readline())
            self.assertEqual(seen["args"], ["--foo"])
            self.assertEqual(seen["env"], {"HOME": os.path.join(app.tmp, "home"),
                                           "XDG_CONFIG_HOME": os.path.join(app.tmp, "config"),
                                           "DISPLAY": self.xs.display, "GENLAB_TEST_DUMP": app.dump_dir,
                                           "EXTRA": "1"})
            with self.assertRaisesRegex(H.HarnessError, "app exited"):
                app.wait_ui(lambda u: False, timeout=5)
        self.assertFalse(os.path.exists(app.tmp))

    def test_run_cli_has_no_display_and_fresh_home(self):
        rc, out, err = H.run_cli(["-c", "import os; print(os.environ.get('DISPLAY'), os.environ['HOME'])"],
                                 binary=sys.executable)
        self.assertEqual(rc, 0, err)
        shown_display, home = out.split()
        self.assertEqual(shown_display, "None")
        self.assertNotEqual(home, os.path.expanduser("~"))
        rc, out, _ = H.run_cli(["-c", "import os; print(os.environ['DISPLAY'])"],
                               display=self.xs, binary=sys.executable)
        self.assertEqual(out.strip(), self.xs.display)

    def test_a_sanitizer_report_fails_the_run_whatever_the_exit_code(self):
        # A sanitized genlab that hits a bug while a test expects "exit 2 on bad input" must
        # not pass: the report in stderr fails it (scripts/sanitize.sh).
        report = ("import sys; sys.stderr.write('==1==ERROR: AddressSanitizer: "
                  "heap-use-after-free on address 0x1\\n'); sys.exit(2)")
        with self.assertRaisesRegex(H.HarnessError, "sanitizer found a bug:\n.*heap-use-after-free"):
            H.run_cli(["-c", report], binary=sys.executable)
        ubsan = "import sys; sys.stderr.write('x.cpp:5:30: runtime error: 1e+20 is outside')"
        with self.assertRaisesRegex(H.HarnessError, "runtime error: 1e\\+20"):
            H.run_cli(["-c", ubsan], binary=sys.executable)
        with self.assertRaisesRegex(H.HarnessError, "sanitizer found a bug"):
            with H.App(self.xs, ["-c", report + "; import time; time.sleep(30)"],
                       binary=sys.executable) as app:
                time.sleep(0.5)
        self.assertFalse(os.path.exists(app.tmp))
        rc, _, err = H.run_cli(["-c", "import sys; sys.stderr.write('no error here'); sys.exit(2)"],
                               binary=sys.executable)
        self.assertEqual((rc, err), (2, "no error here"))

    @unittest.skipUnless(_have("xev"), "xev (x11-utils) not installed")
    def test_input_against_real_x_client(self):
        """xev titled GenLab echoes events: checks window-relative coordinates."""
        args = ["-name", H.WINDOW_TITLE, "-geometry", "400x300+0+0", "-bw", "0"]
        with H.App(self.xs, args, binary=shutil.which("xev")) as app:
            app.window_id()
            app.click(300, 200, button=1)
            app.drag(100, 100, 200, 150, button=1, steps=5)
            app.scroll(250, 250, up=False, n=2)
            app.key("ctrl+s")
            time.sleep(0.3)
            with open(os.path.join(app.tmp, "stdout.log")) as f:
                log = f.read()
            self.assertRegex(log, r"ButtonPress event.*\n.*\(300,200\).*\n.*button 1,")
            self.assertRegex(log, r"ButtonPress event.*\n.*\(100,100\).*\n.*button 1,")
            self.assertRegex(log, r"ButtonRelease event.*\n.*\(200,150\).*\n.*button 1,")
            self.assertEqual(len(re.findall(r"\(250,250\).*\n.*button 5,", log)), 4)  # press+release x2
            self.assertRegex(log, r"KeyPress event.*\n.*\n.*keysym 0x73, s\)")
            self.assertEqual(app.close(timeout=5), 0)  # xev exits 0 on WM_DELETE_WINDOW
            with open(os.path.join(app.tmp, "stdout.log")) as f:
                self.assertIn("ClientMessage event", f.read())


if __name__ == "__main__":
    unittest.main()
