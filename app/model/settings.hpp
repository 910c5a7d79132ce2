// Settings: the export folder and the window size, kept in <config_dir>/settings.json
// (files.hpp). Separate from the session: they survive loading another session or preset.
//
// Usage (shell.cpp):
//   Settings s = load_settings();  // the defaults when there is no readable file
//   s.export_folder = "/tmp";
//   save_settings(s);              // atomic; a failure is printed to stderr, not thrown
#pragma once

#include <string>

#include "files.hpp"

namespace genlab {

struct Settings {
    std::string export_folder;  // the current folder when none is saved
    int window_width = 1600, window_height = 1000;
};

// From `file` (default: config_dir() / "settings.json"). Missing, unreadable or wrong-typed
// entries keep their defaults.
Settings load_settings();
Settings load_settings(const fs::path& file);

// To `file` (default: config_dir() / "settings.json"), atomically.
void save_settings(const Settings& s);
void save_settings(const Settings& s, const fs::path& file);

}  // namespace genlab
