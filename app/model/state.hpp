// The state document: every panel's parameters in one JSON object, shared by sessions,
// presets, `--set` and reports.
//
//   { "version": 1, "panel": "receptive_field", "receptive_field": {...}, ... }
//
// Usage:
//   Json state = default_state();
//   apply_set(state, "receptive_field.kernel=5");     // throws UserError, state unchanged
//   merge_document(state, parse_document(text, "preset.json"));
//   Json report = make_report(state);
//   StateSnapshot last_good;                      // the shell, per panel: see below
//   last_good.reset(state["gan"]);
//   last_good.refresh(*scene, [&] { return view.state(); });  // after each frame
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "panel_model.hpp"

namespace genlab {

class Scene;

constexpr int kStateVersion = 1;
constexpr size_t kMaxDocumentBytes = 16u << 20;
constexpr int kMaxDocumentDepth = 64;

Json default_state();

// Parses JSON text with bounded depth; throws UserError mentioning `origin`.
Json parse_document(const std::string& text, const std::string& origin);

// Validates a session or preset document (it may hold only some panels, and only some keys
// of a panel) and merges it into `state`. All or nothing: on error `state` is untouched.
void merge_document(Json& state, const Json& document, const std::string& origin);

// Reads, parses and merges a file.
void load_file_into(Json& state, const std::string& path);

// Parses a --set VALUE: a number, true/false, a bare word, a comma list, or raw JSON when it
// starts with '[' or '{'.
Json parse_set_value(const std::string& text);

// Applies "KEY=VALUE" where KEY is "panel" or "<panel>.<key>". All or nothing.
void apply_set(Json& state, const std::string& assignment);

// {"version": 1, "panel": p, "state": {...}, p: {...fields...}}
Json make_report(const Json& state);

// A JSON text with non-finite numbers refused (they cannot be read back).
std::string dump_document(const Json& document);

// A panel's last valid state: what sessions, reports and exports are made of, and what a
// panel goes back to after a frame that threw. Taken again only when the scene's revision
// moved since the last snapshot (its setters validate, so its state is valid), so no frame
// builds the panel's JSON.
class StateSnapshot {
  public:
    // After loading `state` (already normalized) into the panel. The next refresh() takes a
    // snapshot whatever the revision: the scene's canonical form is the one kept.
    void reset(const Json& state);
    // After a frame: calls `state` and keeps its result only when `scene.revision()` is not
    // the one of the last snapshot. Returns whether it took one.
    bool refresh(const Scene& scene, const std::function<Json()>& state);
    const Json& state() const { return state_; }

  private:
    Json state_;
    std::optional<std::uint64_t> revision_;  // the scene's revision at the snapshot
};

}  // namespace genlab
