"""How the GUI ends, under Xvfb (issue 20): SIGTERM, SIGINT and SIGHUP save the session and
the settings and exit 0, as closing the window does; a save that fails at exit is said on
stderr with exit status 4; a killed save's temp files are removed at the next start; a config
folder that is a file is reported at startup and the app still runs."""
import json
import os
import signal
import tempfile
import time
import unittest

from harness import App, XServer

EXIT_SAVE_FAILED = 4


def session_path(app):
    return os.path.join(app.config_dir, "session.json")


class Exit(unittest.TestCase):
    def setUp(self):
        self.x = XServer()
        self.x.__enter__()
        self.addCleanup(self.x.__exit__, None, None, None)

    def edit_and_signal(self, sig):
        """Starts the app, sets γ = 1 with its button (an unsaved change), sends `sig`;
        returns (exit status, stderr, the session file's gan state or None)."""
        with App(self.x, args=["--panel", "gan"]) as app:
            app.wait_ui(lambda u: "gan.gamma_preset.1" in u["widgets"])
            app.click_widget("gan.gamma_preset.1")
            app.wait_ui(lambda u: u["state"]["gan"]["gamma"] == 1)
            self.assertFalse(os.path.exists(session_path(app)))  # nothing saved yet
            app.proc.send_signal(sig)
            rc = app.proc.wait(timeout=30)
            with open(os.path.join(app.tmp, "stderr.log")) as f:
                err = f.read()
            state = None
            if os.path.exists(session_path(app)):
                with open(session_path(app)) as f:
                    state = json.load(f)["gan"]
            settings = os.path.exists(os.path.join(app.config_dir, "settings.json"))
        return rc, err, state, settings

    def test_sigterm_sigint_and_sighup_save_and_exit_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                rc, err, state, settings = self.edit_and_signal(sig)
                self.assertEqual(rc, 0, err)
                self.assertIsNotNone(state, "the session was not saved")
                self.assertEqual(state["gamma"], 1)
                self.assertTrue(settings, "the settings were not saved")

    def test_a_failed_save_at_exit_is_said_and_the_status_says_so(self):
        with App(self.x, args=["--panel", "gan"]) as app:
            app.wait_ui(lambda u: "gan.phase" in u["widgets"])
            # A dangling symlink: the save would go into a folder that does not exist.
            os.symlink("/nonexistent-genlab-folder/session.json", session_path(app))
            app.proc.send_signal(signal.SIGTERM)
            rc = app.proc.wait(timeout=30)
            with open(os.path.join(app.tmp, "stderr.log")) as f:
                err = f.read()
        self.assertEqual(rc, EXIT_SAVE_FAILED, err)
        self.assertIn("session not saved", err)
        self.assertIn("/nonexistent-genlab-folder", err)

    def test_a_killed_saves_temp_files_are_removed_at_the_next_start(self):
        with tempfile.TemporaryDirectory() as config:
            folder = os.path.join(config, "genlab")
            os.makedirs(folder)
            orphan = os.path.join(folder, ".session.json.tmp-12345")
            with open(orphan, "w") as f:
                f.write('{"version": 1, "pan')
            hour_ago = time.time() - 3600
            os.utime(orphan, (hour_ago, hour_ago))
            with App(self.x, args=["--panel", "kl"], env_extra={"XDG_CONFIG_HOME": config}) as app:
                app.wait_ui(lambda u: "toolbar.play" in u["widgets"])
                self.assertFalse(os.path.exists(orphan))
                self.assertEqual(app.close(), 0)

    def test_a_config_folder_that_is_a_file_is_reported_and_the_app_runs(self):
        with tempfile.TemporaryDirectory() as config:
            with open(os.path.join(config, "genlab"), "w") as f:
                f.write("a file where the folder should be")
            with App(self.x, args=["--panel", "kl"], env_extra={"XDG_CONFIG_HOME": config}) as app:
                ui = app.wait_ui(lambda u: "toolbar.play" in u["widgets"])
                self.assertIn("is not a folder", ui["status"])
                self.assertIn("saves no session", ui["status"])
                self.assertEqual(app.close(), 0)
            with open(os.path.join(config, "genlab")) as f:
                self.assertEqual(f.read(), "a file where the folder should be")


if __name__ == "__main__":
    unittest.main()
