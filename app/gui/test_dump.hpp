// Test mode: with GENLAB_TEST_DUMP=<dir>, each frame that changed writes <dir>/ui.json with
// the widget rectangles (window pixels), the state and the last export/error, so end-to-end
// tests know where to click with xdotool and can check what happened.
//
// Usage:
//   ImGui::Button("Add layer"); mark_item("rf.add_layer");
//   mark_rect("rf.cell.3.4", min, max);
#pragma once

#include <imgui.h>

#include <array>
#include <optional>
#include <string>

#include "panel_model.hpp"

namespace genlab {

bool test_dump_enabled();
void mark_item(const std::string& id);  // the last ImGui item's rectangle
void mark_rect(const std::string& id, ImVec2 min, ImVec2 max);
void mark_value(const std::string& id, const Json& value);  // e.g. a canvas's world view
// Writes ui.json when anything differs from the last write. Call once per frame: it also
// ends the frame's widget record (see previous_widget_rect), and records "gl_errors", the
// number of glGetError codes seen after all frames so far (tests require 0).
void write_test_dump(int frame, const Json& extra);

// Bench mode records rectangles without a dump folder, to find the widgets it drags.
void record_widgets(bool on);
// The first widget (in id order) whose id starts with `prefix`, as it was in the previous
// frame: {x, y, width, height} in window pixels.
std::optional<std::array<float, 4>> previous_widget_rect(const std::string& prefix);

// Test hook for sizes X cannot produce (a minimized window's 0x0 framebuffer): with
// GENLAB_TEST_FORCE_FRAMEBUFFER=WxH set, each SIGUSR1 toggles a mode in which the frame loop
// sees a WxH framebuffer instead of the real one. ui.json's "forced_framebuffer_loops"
// counts the loop passes that saw it. Without the variable this does nothing.
void test_override_framebuffer(int& width, int& height);

}  // namespace genlab
