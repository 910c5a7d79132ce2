// Presets: finding the assets folder and loading every preset in it, validated at load time.
// JSON and files only (no GL), so the shell's preset list is tested headless.
//
// Usage (shell.cpp):
//   std::string problems;
//   std::vector<Preset> presets = load_presets(asset_dir(GENLAB_ASSET_DIR) / "presets", problems);
//   merge_document(state, presets[i].document, presets[i].path);   // when one is chosen
//   const Preset* heavy = find_heavy_preset(presets, "gan");        // bench mode
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "files.hpp"
#include "panel_model.hpp"
#include "question.hpp"

namespace genlab {

struct Preset {
    std::string title, path, panel;        // title: "title", or the file name without .json
    Json document;                         // as parsed; merge_document validated it once
    std::optional<QuestionCard> question;  // validated too: its placeholders resolve
};

// $GENLAB_ASSETS, else `assets` beside the executable, else `share/genlab/assets` beside its
// folder, else `built_in` (the source tree's assets, compiled in): the first that holds a
// `presets` folder.
fs::path asset_dir(const fs::path& built_in);

// Every *.json of `dir`, in natural order of file name (flow_planar_k2 before
// flow_planar_k10). A broken preset (its state, title, description or question card) is left
// out and named in `problems` ("; "-separated), not fatal; a missing folder gives no presets.
std::vector<Preset> load_presets(const fs::path& dir, std::string& problems);

// Natural order: runs of digits compare as numbers ("k2" < "k10"), the rest byte by byte.
bool natural_less(const std::string& a, const std::string& b);

// The panel's heavy preset (its file name says "_heavy"), or nullptr.
const Preset* find_heavy_preset(const std::vector<Preset>& presets, const std::string& panel);

}  // namespace genlab
