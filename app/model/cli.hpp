// The command line: parses arguments into Options and builds the starting state.
//
//   genlab [--panel P] [--load FILE]... [--set KEY=VALUE]... [--screenshot OUT.png
//          [--size WxH] [--frames N]] [--figure OUT.png [--scale 1|2|4]]
//          [--report OUT.json|-] [--help] [--version]
//   genlab --bench [--panel P] [--frames N] [--size WxH]   (frame times as JSON on stdout)
//   genlab --keys                                           (every numeric key, as JSON)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "panel_model.hpp"

namespace genlab {

struct StateOp {
    enum Kind { Load, Set } kind;
    std::string text;  // the file, or KEY=VALUE
};

struct Options {
    std::optional<std::string> panel;
    std::vector<StateOp> ops;  // --load and --set, in command-line order
    std::string screenshot;
    std::string figure;    // the whole-panel figure (every plot, no widgets)
    int figure_scale = 1;  // 1, 2 or 4
    int width = 1600;
    int height = 1000;
    int frames = 0;      // 0: the mode's default (kScreenshotFrames, kBenchFrames)
    std::string report;  // "-" is stdout
    std::string state;   // --state: the normalized state document ("-" is stdout)
    bool bench = false;
    std::string figures_script, figures_dir;  // --figures SCRIPT.json OUTDIR

    // --report, --screenshot, --figure and --bench start from the defaults and never touch
    // the session.
    bool reproducible() const {
        return !screenshot.empty() || !figure.empty() || !report.empty() || !state.empty() ||
               bench || !figures_script.empty();
    }
};

constexpr int kMaxImageSide = 8192;
constexpr int kMaxFrames = 10000;
constexpr int kScreenshotFrames = 4;
constexpr int kBenchFrames = 240;  // per bench entry: half animating, half dragging a slider

// Returns an exit code when the process should stop now (help, version: 0; bad arguments:
// 2, after printing one line to stderr), or -1 to go on with `out` filled.
int parse_cli(int argc, char** argv, Options& out);

// {"keys": [...]}: every panel's PanelModel::keys(), in panel order (`genlab --keys`).
Json keys_document();

// Applies the --load/--set operations, merged first and validated once (StateEdits: their
// order does not matter, later values win key by key), then --panel. Without --panel or a
// "panel" key, the panel shown is the one whose keys were edited. Returns a note for stderr
// when that choice was ambiguous (several panels edited), else "". Throws UserError.
std::string apply_cli_ops(Json& state, const Options& options);

// Writes the report of `state` to `path` ("-" for stdout). Throws UserError.
// The state document (what sessions and presets hold) to path, or stdout for "-".
void write_state(const Json& state, const std::string& path);
void write_report(const Json& state, const std::string& path);

}  // namespace genlab
