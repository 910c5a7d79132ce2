"""Sharing a view in the real app (issue 18): Ctrl+Shift+C puts the panel's state on the X
clipboard as JSON that loads back to an identical report, "Copy as command line" gives a
shell line that rebuilds the same state, and Ctrl+Shift+V loads a pasted state all or
nothing (garbage is refused with a message, the state kept). xclip is the other X client."""
import json
import os
import shlex
import subprocess
import tempfile
import time
import unittest

from harness import App, XServer, genlab_bin, run_cli

PRESETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets",
                       "presets")
PRESET = os.path.join(PRESETS, "gan_seed002_q5_r1_gamma_0_3.json")


def clipboard(display, text=None, timeout=10):
    """Reads the CLIPBOARD selection (waiting until it holds text), or owns it with `text`
    (xclip serves it from the background until another client takes the selection)."""
    env = dict(os.environ, DISPLAY=display)
    if text is not None:
        # Its background copy says "X connection broken" when the server stops: not ours.
        subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=text, text=True,
                       env=env, check=True, timeout=timeout, stderr=subprocess.DEVNULL)
        return None
    deadline = time.monotonic() + timeout
    while True:
        r = subprocess.run(["xclip", "-selection", "clipboard", "-o", "-t", "UTF8_STRING"],
                           capture_output=True, text=True, env=env, timeout=timeout)
        if r.returncode == 0 and r.stdout:
            return r.stdout
        if time.monotonic() > deadline:
            raise AssertionError("the clipboard stayed empty: " + r.stderr)
        time.sleep(0.2)


def report_of(*args):
    rc, out, err = run_cli(list(args) + ["--report", "-"], timeout=120)
    assert rc == 0, err
    return json.loads(out)


class SharingGui(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)
        self.app = App(self.x, args=["--load", PRESET])
        self.app.__enter__()
        self.addCleanup(self.app.__exit__, None, None, None)
        self.ui = self.app.wait_ui(lambda ui: ui["panel"] == "gan" and "toolbar.export" in ui["widgets"])

    def test_copy_state_gives_json_that_loads_to_the_same_report(self):
        clipboard(self.x.display, "nothing yet")
        self.app.key("ctrl+shift+c")
        ui = self.app.wait_ui(lambda ui: "copied the" in ui["status"])
        text = clipboard(self.x.display)
        doc = json.loads(text)
        self.assertEqual(sorted(doc), ["gan", "panel", "version"])
        self.assertEqual(doc["gan"], ui["state"]["gan"])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(report_of("--load", f.name)["gan"], report_of("--load", PRESET)["gan"])

    def test_copy_as_command_line_rebuilds_the_state(self):
        self.app.click_widget("toolbar.export")
        self.app.wait_widget("export.copy_command")
        self.app.click_widget("export.copy_command")
        ui = self.app.wait_ui(lambda ui: ui["status"].startswith("copied: genlab"))
        line = clipboard(self.x.display)
        words = shlex.split(line)  # a POSIX shell's reading of it
        self.assertEqual(words[:3], ["genlab", "--panel", "gan"])
        self.assertIn("--set", words)
        rc, out, err = run_cli(words[1:] + ["--state", "-"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["gan"], ui["state"]["gan"])

    def test_paste_loads_a_state_and_refuses_garbage_keeping_the_state(self):
        rc, out, err = run_cli(["--panel", "kl", "--set", "kl.lr=0.07", "--state", "-"])
        self.assertEqual(rc, 0, err)
        kl = json.loads(out)["kl"]
        clipboard(self.x.display, json.dumps({"version": 1, "panel": "kl", "kl": kl}))
        self.app.key("ctrl+shift+v")
        ui = self.app.wait_ui(lambda ui: ui["panel"] == "kl" and "loaded the state" in ui["status"])
        self.assertEqual(ui["state"]["kl"], kl)
        before = ui["state"]
        clipboard(self.x.display, "{ this is not json")
        self.app.key("ctrl+shift+v")
        ui = self.app.wait_ui(lambda ui: "the clipboard is not valid JSON" in ui["last_error"])
        self.assertEqual(ui["state"], before)
        # A document with a bad value names its key and loads nothing.
        clipboard(self.x.display, json.dumps({"version": 1, "panel": "gan", "gan": {"lr": -4}}))
        self.app.key("ctrl+shift+v")
        ui = self.app.wait_ui(lambda ui: "gan.lr" in ui["last_error"])
        self.assertEqual(ui["state"], before)


if __name__ == "__main__":
    unittest.main()
