// Sliders whose range is a key spec (model/keys.hpp): the widget allows exactly what loading
// a file or `--set` accepts. Each records its range in test mode as "range.<panel>.<key>",
// so an end-to-end test compares every widget with `genlab --keys`.
//
// Usage:
//   double lr = scene.lr();
//   if (key_slider("lr", lr, gan_keys::lr, "%.4g")) scene.set_lr(lr);
//   int steps = scene.steps();
//   if (key_slider("steps", steps, gan_keys::steps)) scene.set_steps(steps);
#pragma once

#include <imgui.h>

#include <string>

#include "keys.hpp"

namespace genlab {

// A double slider over [key.lo, key.hi], logarithmic when key.scale is Log, always clamped.
bool key_slider(const char* label, double& value, const NumberKey& key, const char* format,
                ImGuiSliderFlags flags = 0);
// The same for a float the view keeps.
bool key_slider(const char* label, float& value, const NumberKey& key, const char* format,
                ImGuiSliderFlags flags = 0);
// An integer slider over [key.lo, key.hi].
bool key_slider(const char* label, int& value, const IntKey& key, const char* format = "%d",
                ImGuiSliderFlags flags = 0);
// A plot's title above its canvas, wrapped at `width` (a title wider than its plot would
// widen the group and push the plots beside it out of the window at 1024 px). Returns the
// height it took, with the spacing below it, for the canvas to give back.
float plot_title(const char* text, float width);
// Text wrapped at the window's right edge (or `width` when > 0), breaking only at spaces
// outside parentheses and brackets.
// ImGui's own wrap also breaks after '.', ',' and '-', which split "0.15" into "0." and "15";
// a number or a key name must stay on one line. A word wider than the line gets one alone.
void text_wrapped(const std::string& text, float width = 0);
// Records a widget's range under "range.<panel>.<key>" for a widget that is not a key_slider
// (a drag or an input box bounded by the same spec).
void mark_key_range(const NumberKey& key);
void mark_key_range(const IntKey& key);

}  // namespace genlab
