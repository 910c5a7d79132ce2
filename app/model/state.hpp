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

#include <string>

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

// Applies "KEY=VALUE" where KEY is "panel" or "<panel>.<key>". All or nothing.
void apply_set(Json& state, const std::string& assignment);

// {"version": 1, "panel": p, "state": {...}, p: {...fields...}}
Json make_report(const Json& state);

// A JSON text with non-finite numbers refused (they cannot be read back).
std::string dump_document(const Json& document);

}  // namespace genlab
