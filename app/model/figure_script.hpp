// Figure scripts (issue 18): `genlab --figures SCRIPT.json OUTDIR` renders a list of states
// to image files, the way a teacher regenerates every figure of a problem set after changing
// one parameter. Everything is validated before anything is rendered.
//
// A script:
//   {"version": 1,
//    "figures": [
//      {"file": "r1.png", "load": ["../presets/gan_seed002_q5_r1_gamma_0_3.json"],
//       "set": ["gan.gamma=0.5"], "kind": "figure", "scale": 2},
//      {"file": "kl.png", "set": ["panel=kl", "kl.lr=0.1"], "kind": "window",
//       "size": [1024, 700]}]}
// "load" paths are relative to the script's folder; "kind" is "figure" (every plot of the
// panel, no widgets; `scale` 1, 2 or 4) or "window" (the whole window at `size`); "frames"
// (default 4) are rendered before the capture.
//
// Usage:
//   std::vector<FigureJob> jobs = read_figure_script("fig.json", "out/");  // UserError names
//   for (const FigureJob& job : jobs) ...                                  // figures[i].key
#pragma once

#include <string>
#include <vector>

#include "panel_model.hpp"

namespace genlab {

constexpr int kMaxFigureJobs = 500;

struct FigureJob {
    Json state;          // the complete, validated state
    std::string path;    // OUTDIR/file
    bool figure = true;  // false: the window
    int scale = 1;       // figure only
    int width = 1600, height = 1000, frames = 4;
    std::vector<std::string> loaded_files;  // for the question card, as --load gives
};

// Reads and validates the whole script: every entry's state, kind, size and file name (a
// plain .png name, no folders, each once), and that `out_dir` is an existing folder. Errors
// name the entry and key ("figures[2].set[0]: ...").
std::vector<FigureJob> read_figure_script(const std::string& script_path,
                                          const std::string& out_dir);

}  // namespace genlab
