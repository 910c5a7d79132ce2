"""Faults the app must survive (RELIABILITY.md): an OpenGL older than 3.3, tiny and
huge framebuffers, a kill -9 in the middle of saving the session, and 100 MB files."""
import json
import os
import random
import signal
import struct
import tempfile
import time
import unittest

from harness import App, XServer, run_cli

HUNDRED_MB = 100 << 20


def write_huge_document(path):
    """A 100 MB file that is valid JSON (a small state padded with spaces), so only its size
    can be what refuses it. Written in 1 MB chunks: about 0.1 s."""
    head = b'{"version": 1, "receptive_field": {"kernel": 5}'
    chunk = b" " * (1 << 20)
    with open(path, "wb") as f:
        f.write(head)
        for _ in range(HUNDRED_MB >> 20):
            f.write(chunk)
        f.write(b"}")
    return len(head) + HUNDRED_MB + 1


def png_size(path):
    """Width and height from the PNG header, without decoding a huge image."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


class Faults(unittest.TestCase):
    def test_old_opengl_gets_a_clear_error(self):
        with XServer() as x:
            rc, _, err = run_cli(["--screenshot", "/dev/null/never.png"], display=x,
                                 env_extra={"MESA_GL_VERSION_OVERRIDE": "3.0"})
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("OpenGL 3.3", err)

    def test_tiny_and_huge_framebuffers(self):
        with XServer() as x, tempfile.TemporaryDirectory() as d:
            for size, panel in (("1x1", "receptive_field"), ("3x2", "kl"), ("7680x4320", "gan")):
                path = os.path.join(d, size + ".png")
                rc, _, err = run_cli(["--panel", panel, "--screenshot", path, "--size", size,
                                      "--frames", "2"], display=x, timeout=120)
                self.assertEqual(rc, 0, err)
                w, h = (int(v) for v in size.split("x"))
                self.assertEqual(png_size(path), (w, h))
            rc, _, err = run_cli(["--screenshot", os.path.join(d, "x.png"), "--size", "0x10"], display=x)
            self.assertEqual(rc, 2)
            self.assertIn("--size", err)

    def test_kill_during_session_saves_leaves_a_loadable_session(self):
        rng = random.Random(3)
        with XServer() as x, tempfile.TemporaryDirectory() as config:
            session = os.path.join(config, "genlab", "session.json")
            for attempt in range(12):
                with App(x, args=["--panel", "gan"], env_extra={"XDG_CONFIG_HOME": config}) as app:
                    app.wait_ui(lambda ui: "gan.phase" in ui["widgets"])
                    app.click_widget("gan.phase", rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9))
                    for _ in range(rng.randint(1, 6)):
                        app.key("ctrl+s")
                    time.sleep(rng.uniform(0.0, 0.2))
                    app.proc.send_signal(signal.SIGKILL)
                    app.proc.wait(timeout=10)
                if not os.path.exists(session):
                    continue
                with open(session) as f:
                    json.load(f)  # whole, never half-written
                rc, _, err = run_cli(["--load", session, "--report", "-"])
                self.assertEqual(rc, 0, f"attempt {attempt}: {err}")
                leftovers = [n for n in os.listdir(os.path.dirname(session)) if ".tmp-" in n]
                # A kill can leave a temp file behind, never a broken session.json.
                self.assertLessEqual(len(leftovers), 5)

    def test_a_100_mb_file_is_refused_quickly_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            huge = os.path.join(d, "huge.json")
            write_huge_document(huge)
            out = os.path.join(d, "out")
            os.makedirs(out)
            t0 = time.monotonic()
            rc, _, err = run_cli(["--set", "receptive_field.kernel=7", "--load", huge,
                                  "--report", os.path.join(out, "r.json")])
            elapsed = time.monotonic() - t0
            self.assertEqual(rc, 2, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("huge.json", err)
            self.assertIn("100 MB", err)
            self.assertIn("limit", err)
            self.assertLess(elapsed, 5.0)  # refused by its size, not parsed
            self.assertEqual(os.listdir(out), [])

    def test_a_100_mb_session_is_kept_aside_and_the_app_starts(self):
        with XServer() as x, tempfile.TemporaryDirectory() as config:
            os.makedirs(os.path.join(config, "genlab"))
            session = os.path.join(config, "genlab", "session.json")
            size = write_huge_document(session)
            t0 = time.monotonic()
            with App(x, env_extra={"XDG_CONFIG_HOME": config}) as app:
                ui = app.wait_ui(lambda ui: "toolbar.play" in ui["widgets"], timeout=30)
                self.assertLess(time.monotonic() - t0, 20)
                self.assertIn("100 MB", ui["last_error"])
                self.assertIn("kept as", ui["last_error"])
                self.assertEqual(ui["state"]["receptive_field"]["kernel"], 3)  # the defaults
                aside = [n for n in os.listdir(os.path.join(config, "genlab"))
                         if n.startswith("session-unreadable")]
                self.assertEqual(len(aside), 1)
                # Moved whole, never truncated or rewritten.
                self.assertEqual(os.path.getsize(os.path.join(config, "genlab", aside[0])), size)
                app.close()
            rc, _, err = run_cli(["--load", session, "--report", "-"])  # the new one loads
            self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main()
