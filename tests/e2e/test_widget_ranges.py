"""One source per range (issue 11): every slider the real GUI shows for a numeric key has the
range `genlab --keys` states, which is the range loading a file or `--set` accepts. Widgets
record their range as "range.<panel>.<key>" in test mode (app/gui/widgets.hpp)."""
import json
import unittest

from harness import App, XServer, run_cli, panel_ids

# Panels and the flow layer types to open, so the layer editors' sliders are on screen too.


def spec_ranges():
    rc, out, err = run_cli(["--keys"])
    assert rc == 0, err
    return {k["key"]: [k["min"], k["max"]] for k in json.loads(out)["keys"]}


class WidgetRanges(unittest.TestCase):
    def test_every_shown_slider_has_its_keys_range(self):
        specs = spec_ranges()
        with XServer() as x:
            for panel in panel_ids():
                with self.subTest(panel=panel):
                    with App(x, args=["--panel", panel]) as app:
                        ui = app.wait_ui(lambda ui: any(
                            k.startswith("range." + panel + ".") for k in ui["values"]))
                        shown = {k[len("range."):]: v for k, v in ui["values"].items()
                                 if k.startswith("range.")}
                        self.assertTrue(shown, panel + " shows no key slider")
                        for key, rng in shown.items():
                            self.assertIn(key, specs, key + " has a widget but no key spec")
                            self.assertEqual(rng, specs[key], key)


if __name__ == "__main__":
    unittest.main()
