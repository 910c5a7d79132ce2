// Settings: the export folder and the window size, kept in <config_dir>/settings.json
// (files.hpp). Separate from the session: they survive loading another session or preset.
//
// Usage (shell.cpp):
//   std::string problem;
//   Settings s = load_settings(&problem);  // the defaults when there is no readable file
//   s.export_folder = "/tmp";
//   save_settings(s);              // atomic; false (and a line on stderr) when it failed
#pragma once

#include <string>

#include "files.hpp"

namespace genlab {

struct Settings {
    std::string export_folder;  // the current folder when none is saved
    int window_width = 1600, window_height = 1000;
};

// The saved window size made to fit a work area of area_w × area_h (the current monitor's,
// without its panels): a session saved on a larger monitor reopens inside this one. Each side
// is at most the area's and at least the smallest size the settings accept (320×240); an
// unknown area (≤ 0) leaves the size alone.
struct WindowSize {
    int width, height;
};
WindowSize fit_window(int width, int height, int area_w, int area_h);

// From `file` (default: config_dir() / "settings.json"). A missing file gives the defaults.
// A file that cannot be read as JSON is moved aside (settings-unreadable-<time>.json beside
// it, never overwritten) and a wrong-typed entry keeps its default; either way `problem`
// (when given) says what happened, for the status line.
Settings load_settings(std::string* problem = nullptr);
Settings load_settings(const fs::path& file, std::string* problem = nullptr);

// To `file` (default: config_dir() / "settings.json"), atomically. False, after one line on
// stderr, when it could not be written.
bool save_settings(const Settings& s);
bool save_settings(const Settings& s, const fs::path& file);

// Removes what a killed atomic save left in `folder` (".session.json.tmp-*" and the like,
// older than a minute, so another instance's save in progress is left alone). Returns how
// many were removed.
int remove_orphaned_temp_files(const fs::path& folder);

}  // namespace genlab
