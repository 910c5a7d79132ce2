"""A 30-second soak (scripts/soak.sh runs the 10-minute one): each panel plays, restarting
whenever its run ends, and its resident memory must not grow by more than 5 % after the
warm-up."""
import unittest

from harness import XServer, genlab_bin, panel_ids
from soak import growth, soak_run

SECONDS_PER_PANEL = 6.0


class Soak(unittest.TestCase):
    def test_every_panel_plays_with_flat_memory(self):
        genlab_bin()  # skip cleanly without GENLAB_BIN
        with XServer() as x:
            for panel in panel_ids():
                with self.subTest(panel):
                    samples, played, _ = soak_run(x, panel, None, SECONDS_PER_PANEL,
                                                  interval=0.25)
                    self.assertGreater(played, 0.7, "the panel was not animating")
                    base, final, g = growth(samples, SECONDS_PER_PANEL)
                    self.assertLess(g, 0.05, f"{panel}: RSS {base:.0f} -> {final:.0f} KiB")


if __name__ == "__main__":
    unittest.main()
