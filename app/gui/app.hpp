// The GUI: run_app opens the window and GL context and runs the shell (shell.hpp) in the
// frame loop the config asks for: interactive, a screenshot, or the bench.
//
// Usage (main.cpp):
//   AppConfig config;
//   config.state = start_state;            // defaults + --load/--set, or the saved session
//   config.persist = !options.reproducible();
//   return run_app(config);                // exit status
#pragma once

#include <string>
#include <vector>

#include "figure_script.hpp"
#include "panel_model.hpp"
#include "settings.hpp"

namespace genlab {

struct AppConfig {
    Json state;
    bool persist = true;       // restore/save session and settings (false for --screenshot)
    bool save_session = true;  // false when an unreadable session could not be moved aside
    std::string startup_note;  // shown in the status line (e.g. a session that failed to load)
    std::string screenshot;    // render `frames` frames offscreen, write this PNG, exit
    std::string figure;        // ...and/or the whole-panel figure at figure_scale
    int figure_scale = 1;
    int width = 1600, height = 1000, frames = 4;
    bool bench = false;       // time `frames` frames per bench entry, print JSON, exit
    std::string bench_panel;  // "" = every panel
    Settings settings;        // the export folder and window size (loaded by main when persisting)
    // The --load files, in order: one that is a bundled preset shows its question card.
    std::vector<std::string> loaded_files;
    // --figures: render each job offscreen (all written, or none).
    std::vector<FigureJob> figure_jobs;
};

// The exit status when the session or the settings could not be saved at exit.
constexpr int kExitSaveFailed = 4;

// Returns the process exit status: 0; 1 when no window/GL 3.3 context can be made;
// kExitSaveFailed when the interactive app could not save at exit (said on stderr).
int run_app(const AppConfig& config);

}  // namespace genlab
