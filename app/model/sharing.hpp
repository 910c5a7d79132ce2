// Sharing a view: the active panel's state as a compact document (what Ctrl+Shift+C puts on
// the clipboard, the same shape as a preset), the exact command line that reproduces it, and
// reading a pasted or dropped document back (issue 18).
//
// Usage:
//   std::string text = clipboard_document(state);    // {"version":1,"panel":"gan","gan":{…}}
//   std::string line = command_line(state);          // genlab --panel gan --set 'gan.lr=0.1'
//   Json next = state;
//   merge_pasted(next, text, "the clipboard");        // all or nothing; UserError names origin
#pragma once

#include <string>
#include <vector>

#include "panel_model.hpp"

namespace genlab {

// {"version", "panel", <panel>: its whole state}, for the state's active panel.
Json panel_document(const Json& state);
// panel_document as one line of JSON.
std::string clipboard_document(const Json& state);

// The arguments after `genlab` that rebuild the active panel from the defaults: --panel, then
// one --set per key that differs from its default, each value written as JSON (a string in
// quotes, so "1" or "a,b" stay strings). Keys in the model's order.
std::vector<std::string> command_args(const Json& state);
// "genlab" and command_args joined for a POSIX shell (single-quoted where needed).
std::string command_line(const Json& state);
std::string shell_quote(const std::string& word);

// Parses `text` (a preset, session or clipboard document) and merges it into `state`: all or
// nothing, errors name `origin` ("the clipboard", the dropped file's path).
void merge_pasted(Json& state, const std::string& text, const std::string& origin);

}  // namespace genlab
