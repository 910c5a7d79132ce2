"""End-to-end harness for GenLab: Xvfb, app launcher, xdotool input, PNG reader.

Stdlib only (Debian /usr/bin/python3), so e2e tests run under ctest without a
virtualenv. Needs Xvfb, xdotool and xdpyinfo on PATH. The app binary comes from
$GENLAB_BIN. Every app run gets throwaway HOME / XDG_* dirs so tests never read
or write the developer's real session. Set GENLAB_E2E_KEEP=1 to keep the temp
dirs (logs, ui.json, config) for post-mortem.
"""
import ctypes
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import zlib
from collections import namedtuple

WINDOW_TITLE = "GenLab"

# The sanitizer build (scripts/sanitize.sh) renders several times slower. Its runs set
# GENLAB_E2E_TIME_SCALE: the harness's waiting budgets and the pauses it makes like a person
# (the settle after a move, a click's hold, a drag's hold, a popup's settling) stretch by that
# factor. ImGui 1.86 samples input once per frame, so a press, a move and a release that land
# in one slow frame are not the gesture the test meant; and ui.json is only rewritten when it
# changes, so the harness cannot count frames instead. Assertions are not changed.
TIME_SCALE = max(1.0, float(os.environ.get("GENLAB_E2E_TIME_SCALE", "1")))


class HarnessError(RuntimeError):
    """Raised for anything the harness itself cannot do (with diagnostics)."""


def genlab_bin():
    """Path of the app under test. Unset -> SkipTest (e.g. plain unittest run);
    set but unusable -> hard failure, so a broken ctest setup can't pass silently."""
    path = os.environ.get("GENLAB_BIN")
    if not path:
        raise unittest.SkipTest("GENLAB_BIN is not set (ctest sets it); skipping e2e test")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise HarnessError(f"GENLAB_BIN={path!r} is not an executable file")
    return path


# What ASan, LSan and UBSan print when they find something (scripts/sanitize.sh runs these
# tests against a sanitized genlab). The run aborts there, but a test that expects a failing
# exit code, or stops the app with SIGTERM, would not notice: the harness fails it instead.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ",
                     "SUMMARY: UndefinedBehaviorSanitizer")


def sanitizer_report(text):
    """The sanitizer report in a process's stderr, or None."""
    at = min((text.find(m) for m in SANITIZER_MARKERS if m in text), default=-1)
    return None if at < 0 else text[at:at + 6000]


def fresh_env(tmp, display=None, extra=None):
    """The environment the harness runs genlab in (see _fresh_env), for a test's own
    subprocess call."""
    return _fresh_env(tmp, display, extra)


def _fresh_env(tmp, display=None, extra=None):
    """Environment with private HOME/XDG dirs under tmp; DISPLAY only if given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "GENLAB_TEST_DUMP", "XAUTHORITY")}
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_DATA_HOME", "data"),
                     ("XDG_STATE_HOME", "state")):
        env[var] = os.path.join(tmp, sub)
        os.makedirs(env[var], exist_ok=True)
    if display:
        env["DISPLAY"] = display
    # Sanitizer runs (scripts/sanitizer-env.sh) keep Mesa's driver loaded in the app: Mesa
    # dlcloses it at exit, and LeakSanitizer would then call everything the driver's globals
    # still point to a leak from an "<unknown module>" that no suppression can name.
    if os.environ.get("GENLAB_SANITIZE_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["GENLAB_SANITIZE_PRELOAD"]
    env.update(extra or {})
    return env


def _xdo(display, *args, timeout=10, check=True):
    """Run one xdotool command against `display`; returns stdout."""
    r = subprocess.run(["xdotool", *map(str, args)], env=dict(os.environ, DISPLAY=display),
                       capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise HarnessError(f"xdotool {' '.join(map(str, args))} failed: {r.stderr.strip()}")
    return r.stdout


class XServer:
    """A private Xvfb. Tries display :90 upward; -displayfd tells us the exact
    moment the server listens (and fails fast if the number was taken by a
    racing server), then xdpyinfo confirms it accepts clients. -noreset keeps
    the server from regenerating when the last client disconnects."""

    def __init__(self, width=1600, height=1000, depth=24, first=90, timeout=15):
        self.size, self.depth, self.first, self.timeout = (width, height), depth, first, timeout
        self.proc, self.display, self.log = None, None, None

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        for n in range(self.first, self.first + 100):
            if os.path.exists(f"/tmp/.X{n}-lock") or os.path.exists(f"/tmp/.X11-unix/X{n}"):
                continue
            if self._try(n):
                return self
        self.log.seek(0)
        raise HarnessError("could not start Xvfb: " + self.log.read().decode(errors="replace")[-2000:])

    def _try(self, n):
        r, w = os.pipe()
        w_, h_ = self.size
        self.proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", f"{w_}x{h_}x{self.depth}", "-nolisten", "tcp",
             "-noreset", "-displayfd", str(w)],
            pass_fds=(w,), stdout=self.log, stderr=self.log)
        os.close(w)
        got, deadline = b"", time.monotonic() + self.timeout
        while b"\n" not in got and time.monotonic() < deadline:
            if select.select([r], [], [], 0.1)[0]:
                chunk = os.read(r, 64)
                if not chunk:
                    break  # Xvfb exited (display in use) -> EOF
                got += chunk
        os.close(r)
        if b"\n" in got:
            self.display = ":" + got.strip().decode()
            while time.monotonic() < deadline:
                if subprocess.run(["xdpyinfo", "-display", self.display],
                                  capture_output=True).returncode == 0:
                    return True
                time.sleep(0.05)
        self._stop()
        return False

    def _stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self._stop()
        self.log.close()


def _with_x11(display, action):
    """Opens `display` with libX11 (via ctypes, declaring the calls used here), returns
    action(x, dpy) and closes it again; False when libX11 or the display is missing."""
    try:
        x = ctypes.CDLL("libX11.so.6")
    except OSError:
        return False
    vp, ul, i = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int
    x.XOpenDisplay.restype, x.XOpenDisplay.argtypes = vp, [ctypes.c_char_p]
    x.XInternAtom.restype, x.XInternAtom.argtypes = ul, [vp, ctypes.c_char_p, i]
    x.XSendEvent.argtypes = [vp, ul, i, ctypes.c_long, vp]
    x.XChangeProperty.argtypes = [vp, ul, ul, ul, i, i, vp, i]
    x.XMapWindow.argtypes = x.XUnmapWindow.argtypes = [vp, ul]
    x.XFlush.argtypes = x.XCloseDisplay.argtypes = [vp]
    dpy = x.XOpenDisplay(display.encode())
    if not dpy:
        return False
    try:
        result = action(x, dpy)
        x.XFlush(dpy)
        return result
    finally:
        x.XCloseDisplay(dpy)


def _send_wm_delete(display, wid):
    """Ask a window to close like a title-bar X click (ClientMessage
    WM_PROTOCOLS/WM_DELETE_WINDOW), which GLFW turns into glfwWindowShouldClose.
    Done via ctypes+libX11 because Debian 12's xdotool (3.20160805) has no
    `windowquit`, and its `windowclose` is XDestroyWindow, which kills a GLFW
    app with a BadDrawable X error (exit 1, no clean shutdown)."""
    vp, ul = ctypes.c_void_p, ctypes.c_ulong

    class XClientMessageEvent(ctypes.Structure):  # padded to sizeof(XEvent)
        _fields_ = [("type", ctypes.c_int), ("serial", ul), ("send_event", ctypes.c_int),
                    ("display", vp), ("window", ul), ("message_type", ul),
                    ("format", ctypes.c_int), ("l", ctypes.c_long * 5), ("pad", ctypes.c_long * 12)]

    def send(x, dpy):
        ev = XClientMessageEvent(type=33, window=wid, format=32,  # 33 = ClientMessage
                                 message_type=x.XInternAtom(dpy, b"WM_PROTOCOLS", 0))
        ev.l[0] = x.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        return x.XSendEvent(dpy, wid, 0, 0, ctypes.byref(ev)) != 0

    return _with_x11(display, send)


def set_iconified(display, wid, iconic):
    """Minimizes or restores a window the way a window manager does (Xvfb has none): sets the
    ICCCM WM_STATE property to IconicState (3) or NormalState (1), and unmaps or maps the
    window. GLFW reads WM_STATE for GLFW_ICONIFIED. Returns False if libX11 is missing."""
    def change(x, dpy):
        wm_state = x.XInternAtom(dpy, b"WM_STATE", 0)
        data = (ctypes.c_long * 2)(3 if iconic else 1, 0)  # state, icon window (None)
        x.XChangeProperty(dpy, wid, wm_state, wm_state, 32, 0, ctypes.byref(data), 2)  # Replace
        (x.XUnmapWindow if iconic else x.XMapWindow)(dpy, wid)
        return True

    return _with_x11(display, change)


class App:
    """Runs the app under an XServer (or display string) in test mode.
    stdout/stderr go to files in the temp dir and are printed if the `with`
    block fails. After exit, `returncode` holds the exit status."""

    def __init__(self, xserver, args=(), env_extra=None, binary=None, title=WINDOW_TITLE):
        self.display = getattr(xserver, "display", xserver)
        self.args, self.env_extra, self.title = list(args), env_extra, title
        # Another X client (the self-test's xev) dumps no frames: input then only paces itself.
        self.dumps_frames = binary is None
        self.binary = binary or genlab_bin()
        self.proc = self.ui = self._wid = self.returncode = None

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="genlab-e2e-")
        self.dump_dir = os.path.join(self.tmp, "dump")
        os.makedirs(self.dump_dir)
        self.env = _fresh_env(self.tmp, self.display, dict(self.env_extra or {}, GENLAB_TEST_DUMP=self.dump_dir))
        self.config_dir = os.path.join(self.env["XDG_CONFIG_HOME"], "genlab")
        self._out = open(os.path.join(self.tmp, "stdout.log"), "wb")
        self._err = open(os.path.join(self.tmp, "stderr.log"), "wb")
        self.proc = subprocess.Popen([self.binary, *self.args], env=self.env, cwd=self.tmp,
                                     stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err)
        return self

    def __exit__(self, exc_type, *_):
        self.terminate()
        self._out.close()
        self._err.close()
        with open(os.path.join(self.tmp, "stderr.log"), "rb") as f:
            report = sanitizer_report(f.read().decode(errors="replace"))
        if exc_type is not None or report:
            sys.stderr.write(self.logs())
        if os.environ.get("GENLAB_E2E_KEEP"):
            sys.stderr.write(f"[harness] kept {self.tmp}\n")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if report and exc_type is None:
            raise HarnessError("the app's sanitizer found a bug:\n" + report)

    def logs(self):
        """Captured stdout/stderr plus last ui.json frame, for failure messages."""
        parts = [f"--- {self.binary} {' '.join(self.args)} (rc={self.proc.poll()})"]
        for name in ("stdout.log", "stderr.log"):
            with open(os.path.join(self.tmp, name), "rb") as f:
                parts.append(f"--- {name}\n" + f.read().decode(errors="replace")[-4000:])
        return "\n".join(parts) + f"\n--- last ui frame: {(self.ui or {}).get('frame')}\n"

    # -- state -------------------------------------------------------------
    def read_ui(self):
        """Latest ui.json or None if missing/half-written (never raises for that)."""
        try:
            with open(os.path.join(self.dump_dir, "ui.json"), encoding="utf-8") as f:
                ui = json.load(f)
        except (OSError, ValueError):
            return None
        self.ui = ui
        return ui

    def wait_ui(self, predicate=None, timeout=20):
        """Poll ui.json until predicate(ui) holds; fails fast if the app died."""
        timeout *= TIME_SCALE
        deadline = time.monotonic() + timeout
        while True:
            ui = self.read_ui()
            try:
                if ui is not None and (predicate is None or predicate(ui)):
                    return ui
            except (KeyError, IndexError, TypeError):
                pass  # predicate looked at something not there yet
            if self.proc.poll() is not None:
                raise HarnessError("app exited while waiting for ui.json\n" + self.logs())
            if time.monotonic() > deadline:
                raise HarnessError(f"timeout ({timeout}s) waiting for ui.json predicate\n" + self.logs())
            time.sleep(0.05)

    def widget(self, wid):
        """[x, y, w, h] of a widget from the latest ui.json."""
        widgets = (self.ui or self.wait_ui())["widgets"]
        if wid not in widgets:
            raise HarnessError(f"no widget {wid!r}; have: {', '.join(sorted(widgets)[:40])}")
        return widgets[wid]

    # -- input ---------------------------------------------------------------
    def window_id(self, timeout=20):
        """X id of the top-level window titled exactly `title` (cached)."""
        if self._wid is None:
            try:
                out = _xdo(self.display, "search", "--sync", "--onlyvisible", "--name",
                           f"^{self.title}$", timeout=timeout)
            except subprocess.TimeoutExpired:
                raise HarnessError(f"no window named {self.title!r} after {timeout}s\n" + self.logs())
            self._wid = int(out.split()[0])
        return self._wid

    def _xdo(self, *args, **kw):
        return _xdo(self.display, *args, **kw)

    # The hover-then-press path. ImGui 1.86 samples the pointer and the buttons once per frame:
    # a move and a press that land in one frame can press where the pointer was, and a press
    # and a release in one frame are not a drag. So each step waits until a frame has seen it
    # (ui.json's "mouse", what ImGui saw that frame) before the next event is sent: no fixed
    # pause, however slow the frames.
    _IMGUI_BUTTON = {1: 0, 3: 1, 2: 2}  # X's left, right, middle -> ImGui's 0, 1, 2

    def _inside(self, x, y):
        if not self.dumps_frames:
            return False
        w, h = (self.ui or self.wait_ui())["window"]
        return 0 <= x < w and 0 <= y < h

    def move(self, x, y, settle=0.0):
        """Window-relative pointer move; returns once a frame has seen the pointer there (a
        point outside the window only waits `settle` seconds)."""
        ix, iy = int(round(x)), int(round(y))
        self._xdo("mousemove", "--window", self.window_id(), ix, iy)
        if self._inside(ix, iy):
            self.wait_mouse(lambda m: m["pos"] == [ix, iy], f"the pointer at ({ix}, {iy})")
        time.sleep(settle * TIME_SCALE)

    def press(self, button=1):
        """Button down; returns once a frame has seen it down."""
        self._xdo("mousedown", button)
        b = self._IMGUI_BUTTON[button]
        self.wait_mouse(lambda m: m["down"][b], f"button {button} down")

    def release(self, button=1):
        """Button up; returns once a frame has seen it up."""
        self._xdo("mouseup", button)
        b = self._IMGUI_BUTTON[button]
        self.wait_mouse(lambda m: not m["down"][b], f"button {button} up")

    def wait_mouse(self, predicate, what, timeout=30):
        if not self.dumps_frames:
            time.sleep(0.05)
            return None
        try:
            return self.wait_ui(lambda ui: predicate(ui["mouse"]), timeout=timeout)
        except HarnessError as e:
            raise HarnessError(f"no frame saw {what}: {e}") from None

    def click(self, x, y, button=1):
        self.move(x, y)
        self.press(button)
        self.release(button)

    def click_widget(self, wid, dx=0.5, dy=0.5, button=1):
        x, y, w, h = self.widget(wid)
        self.click(x + w * dx, y + h * dy, button)

    def drag(self, x0, y0, x1, y1, button=1, steps=10):
        """Hover, press, move in steps, release: each seen by a frame of its own."""
        self.move(x0, y0)
        self.press(button)
        for i in range(1, steps + 1):
            self.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        self.release(button)

    def wait_widget(self, widget_id, timeout=20):
        """Waits until `widget_id` is dumped at the same rectangle twice, 0.15 s apart (times
        TIME_SCALE): a popup's first frame lays items out provisionally, and a click there can
        miss."""
        deadline = time.time() + timeout * TIME_SCALE
        last = None
        while time.time() < deadline:
            ui = self.wait_ui(lambda ui: widget_id in ui["widgets"],
                              timeout=max(0.1, (deadline - time.time()) / TIME_SCALE))
            rect = ui["widgets"][widget_id]
            if rect == last:
                return rect
            last = rect
            time.sleep(0.15 * TIME_SCALE)
        raise HarnessError(f"widget {widget_id!r} did not settle within {timeout}s\n" + self.logs())

    def export_from_menu(self, item, timeout=20):
        """Open the toolbar's Export menu, click `item` (e.g. "export.canvas_2x"), and return
        the ui frame that reports a new export."""
        before = (self.ui or {}).get("last_export", "")
        self.click_widget("toolbar.export")
        self.wait_widget(item)
        self.click_widget(item)
        return self.wait_ui(lambda ui: ui["last_export"] and ui["last_export"] != before,
                            timeout=timeout)

    def scroll(self, x, y, up=True, n=1):
        self.move(x, y)
        self._xdo("click", "--repeat", n, "--delay", 30, 4 if up else 5)

    def key(self, *keys):
        """Keys like "ctrl+s", "space", "F1". Focus first, then send real XTEST
        events (what a keyboard produces). `key --window` on an unfocused window
        falls back to synthetic XSendEvent events, which GLFW delivers while the
        app believes it is unfocused (ImGui drops key state on focus loss)."""
        self.focus()
        self._xdo("key", "--clearmodifiers", "--delay", 30, *keys)

    def type_text(self, text):
        self.focus()
        self._xdo("type", "--clearmodifiers", "--delay", 20, text)

    def focus(self):
        """Give the window X input focus (no WM under Xvfb); failures ignored."""
        try:
            self._xdo("windowfocus", "--sync", self.window_id(), timeout=5)
        except (HarnessError, subprocess.TimeoutExpired):
            pass

    # -- shutdown ------------------------------------------------------------
    def request_close(self, timeout=5):
        """Close like the user clicking X (app may save its session). False if unsent."""
        return _send_wm_delete(self.display, self.window_id(timeout))

    def wait_exit(self, timeout=10):
        """Wait for the process to end by itself; returns the exit code."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"app did not exit within {timeout}s\n" + self.logs())
        return self.returncode

    def close(self, timeout=10):
        """Graceful close (WM_DELETE_WINDOW), falling back to SIGTERM/SIGKILL."""
        if self.proc.poll() is None:
            try:
                if self.request_close():
                    return self.wait_exit(timeout)
            except HarnessError:
                pass
        return self.terminate()

    def terminate(self, timeout=5):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        return self.returncode


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    """Resident set size (VmRSS) in KiB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_cli(args, env_extra=None, display=None, timeout=60, binary=None):
    """Run the app to completion (--help/--report/--screenshot). DISPLAY is unset
    unless given, so headless modes are proven not to need X. Returns
    (returncode, stdout, stderr)."""
    tmp = tempfile.mkdtemp(prefix="genlab-cli-")
    try:
        env = _fresh_env(tmp, getattr(display, "display", display), env_extra)
        r = subprocess.run([binary or genlab_bin(), *args], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        report = sanitizer_report(r.stderr)
        if report:
            raise HarnessError(f"genlab {' '.join(args)}: the sanitizer found a bug:\n{report}")
        return r.returncode, r.stdout, r.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_PANEL_IDS = None


def panel_ids(binary=None):
    """Every panel's id, in the app's order, read from `genlab --keys` (one list: a test of
    'every panel' then covers a panel the day it is registered, not when someone edits it)."""
    global _PANEL_IDS
    if _PANEL_IDS is None:
        rc, out, err = run_cli(["--keys"], binary=binary)
        if rc != 0:
            raise HarnessError(f"genlab --keys failed: {err}")
        keys = json.loads(out)["keys"]
        _PANEL_IDS = tuple(dict.fromkeys(k["key"].split(".")[0] for k in keys))
    return _PANEL_IDS


# -- PNG -----------------------------------------------------------------------
class PNGError(ValueError):
    pass


Png = namedtuple("Png", "width height pixels")  # pixels: flat RGBA bytearray, row-major


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_png(path):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what screenshot code writes)
    into Png(width, height, RGBA bytearray). Anything else raises PNGError, so
    a test never silently compares garbage. CRCs are not checked."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise PNGError(f"{path}: not a PNG (bad signature)")
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        length, ctype = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise PNGError(f"{path}: truncated {ctype!r} chunk")
        pos += 12 + length
        if ctype == b"IHDR":
            ihdr = body
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    if ihdr is None or len(ihdr) != 13:
        raise PNGError(f"{path}: missing IHDR")
    w, h = int.from_bytes(ihdr[0:4], "big"), int.from_bytes(ihdr[4:8], "big")
    depth, ctype, interlace = ihdr[8], ihdr[9], ihdr[12]
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise PNGError(f"{path}: unsupported PNG (bit depth {depth}, colour type {ctype}, "
                       f"interlace {interlace}); only 8-bit RGB/RGBA non-interlaced")
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise PNGError(f"{path}: bad image data: {e}")
    if len(raw) < h * (stride + 1):
        raise PNGError(f"{path}: image data too short")
    out, prev = bytearray(), bytearray(stride)
    m7, m8 = int.from_bytes(b"\x7f" * stride, "little"), int.from_bytes(b"\x80" * stride, "little")
    for y in range(h):
        ft, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif ft == 2:  # bytewise add of whole rows without carries (SWAR)
            a, b = int.from_bytes(row, "little"), int.from_bytes(prev, "little")
            row = bytearray((((a & m7) + (b & m7)) ^ ((a ^ b) & m8)).to_bytes(stride, "little"))
        elif ft == 3:
            for i in range(stride):
                row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif ft == 4:
            for i in range(stride):
                left, upleft = (row[i - bpp], prev[i - bpp]) if i >= bpp else (0, 0)
                row[i] = (row[i] + _paeth(left, prev[i], upleft)) & 255
        elif ft != 0:
            raise PNGError(f"{path}: bad filter type {ft} on row {y}")
        prev = row
        if bpp == 4:
            out += row
        else:
            rgba = bytearray(b"\xff") * (w * 4)
            for c in range(3):
                rgba[c::4] = row[c::3]
            out += rgba
    return Png(w, h, out)


def check_canvas_export(test, png, ui, canvas_rect, scale):
    """A canvas export: the canvas at `scale`x, under its title strip (height
    ui["last_export_plot_top"], with dark title text in it) and over its legend rows
    (dark label text). Returns the plot's top edge in the file."""
    _, _, w, h = canvas_rect
    top = int(round(ui["last_export_plot_top"]))
    test.assertEqual(png.width, int(w) * scale)
    test.assertGreater(top, 0, "no title strip")
    below = png.height - top - int(h) * scale
    test.assertGreater(below, 0, "no legend rows")
    dark = lambda y0, y1: sum(1 for y in range(y0, y1) for x in range(0, png.width, 2)
                              if max(pixel(png, x, y)[:3]) < 110)
    test.assertGreater(dark(0, top), 10 * scale, "the title strip holds no text")
    test.assertGreater(dark(png.height - below, png.height), 10 * scale,
                       "the legend rows hold no text")
    return top


def pixel(png, x, y):
    """(r, g, b, a) at x, y (origin top-left)."""
    i = (y * png.width + x) * 4
    return tuple(png.pixels[i:i + 4])


def color_close(c1, c2, tol=8):
    """Channels within tol; compares only as many channels as the shorter has (RGB vs RGBA ok)."""
    return all(abs(a - b) <= tol for a, b in zip(c1, c2))


def count_distinct_colors(png, region=None):
    """Distinct RGBA values in region (x, y, w, h), clipped to the image; whole image if None."""
    x, y, w, h = region or (0, 0, png.width, png.height)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(png.width, x + w), min(png.height, y + h)
    p, colors = png.pixels, set()
    for yy in range(y0, y1):
        row = bytes(p[(yy * png.width + x0) * 4:(yy * png.width + x1) * 4])
        colors.update(row[i:i + 4] for i in range(0, len(row), 4))
    return len(colors)
