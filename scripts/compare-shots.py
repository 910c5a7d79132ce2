#!/usr/bin/env python3
"""Screenshots of every panel's default and every preset from two genlab binaries, compared
pixel by pixel: the check of a refactor that must not change what users see.

Usage: scripts/compare-shots.py OLD_GENLAB NEW_GENLAB [--size 1024x700] [--out DIR]
                                [--presets DIR]

--presets picks the preset files both binaries load (default: this tree's assets/presets; an
older binary may need its own tree's, which hold no keys it does not know).

Renders each case with `--screenshot` under one Xvfb, writes both PNGs and, where they differ,
a diff picture (differing pixels red over a dimmed copy) into DIR (default
/tmp/genlab-compare), and prints one line per case: identical, or how many pixels differ
and their bounding box. Exits 1 when any case differs, so a refactor that should be
invisible can be checked in one command; where a difference is intended, look at the diff
pictures and say why.
"""
import argparse
import glob
import os
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import XServer, panel_ids, read_png  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def cases(presets, binary):
    for panel in panel_ids(binary):
        yield panel, ["--panel", panel]
    for preset in sorted(glob.glob(os.path.join(presets, "*.json"))):
        yield os.path.basename(preset)[:-5], ["--load", preset]


def shoot(binary, args, out, size, display):
    env = dict(os.environ, DISPLAY=display)
    r = subprocess.run([binary, *args, "--size", size, "--screenshot", out], env=env,
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stderr.strip()


def write_png(path, width, height, rgb_rows):
    def chunk(kind, data):
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    raw = b"".join(b"\0" + row for row in rgb_rows)
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def compare(a, b, diff_path):
    """(differing pixels, bounding box) of two decoded PNGs; writes the diff picture."""
    if (a.width, a.height) != (b.width, b.height):
        return -1, None
    n, box, rows = 0, None, []
    for y in range(a.height):
        row = bytearray()
        for x in range(a.width):
            i = 4 * (y * a.width + x)
            same = a.pixels[i:i + 3] == b.pixels[i:i + 3]
            if same:
                row += bytes(c // 3 + 150 for c in b.pixels[i:i + 3])
            else:
                n += 1
                box = (x, y, x, y) if box is None else (min(box[0], x), min(box[1], y),
                                                        max(box[2], x), max(box[3], y))
                row += b"\xff\x00\x00"
        rows.append(bytes(row))
    if n:
        write_png(diff_path, a.width, a.height, rows)
    return n, box


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--size", default="1024x700")
    ap.add_argument("--out", default="/tmp/genlab-compare")
    ap.add_argument("--presets", default=os.path.join(ROOT, "assets", "presets"))
    opts = ap.parse_args()
    os.makedirs(opts.out, exist_ok=True)
    differing = 0
    with XServer() as x:
        for name, args in cases(opts.presets, opts.new):
            paths = {}
            for tag, binary in (("old", opts.old), ("new", opts.new)):
                paths[tag] = os.path.join(opts.out, f"{name}.{tag}.png")
                rc, err = shoot(binary, args, paths[tag], opts.size, x.display)
                if rc != 0:
                    paths[tag] = None
                    print(f"{name}: {tag} failed (rc {rc}): {err}")
            if not (paths["old"] and paths["new"]):
                differing += 1
                continue
            n, box = compare(read_png(paths["old"]), read_png(paths["new"]),
                             os.path.join(opts.out, f"{name}.diff.png"))
            if n == 0:
                print(f"{name}: identical")
            else:
                differing += 1
                print(f"{name}: {'sizes differ' if n < 0 else f'{n} pixels differ in {box}'}")
    print(f"{differing} of the cases differ; pictures in {opts.out}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
