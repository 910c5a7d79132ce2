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
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "panel_model.hpp"

namespace genlab {

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

// Splits "KEY=VALUE" (KEY is "panel" or "<panel>.<key>") and parses VALUE; throws UserError.
std::pair<std::string, Json> parse_assignment(const std::string& assignment);

// Applies "KEY=VALUE". All or nothing.
void apply_set(Json& state, const std::string& assignment);

// The command line's --load and --set, merged first (later values win, key by key) and then
// validated once, so their order does not matter: `--set size=20 --set pixel=11,10` and the
// reverse both work. Each add checks what it can alone (JSON, known panels and keys, finite
// numbers) and names its origin; apply_to's error names the --set or file that wrote the key.
//
//   StateEdits edits;
//   edits.add_file("preset.json");
//   edits.add_set("receptive_field.pixel=11,10");
//   edits.apply_to(state);  // all or nothing
class StateEdits {
  public:
    void add_document(const Json& document, const std::string& origin);
    void add_file(const std::string& path);
    void add_set(const std::string& assignment);
    void apply_to(Json& state) const;
    // The panels whose keys were edited, in selector order.
    std::vector<std::string> panels_edited() const;
    bool sets_panel() const { return overlay_.contains("panel"); }

  private:
    Json overlay_ = Json::object();
    std::map<std::string, std::string> origins_;  // "gan.lr" -> "--set gan.lr" or a file
};

// {"version": 1, "panel": p, "state": {...}, p: {...fields...}}
Json make_report(const Json& state);

// A JSON text with non-finite numbers refused (they cannot be read back).
std::string dump_document(const Json& document);

}  // namespace genlab
