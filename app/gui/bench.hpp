// The bench: `genlab --bench` times the real frame loop (frame_loop.hpp), frame by frame, on
// each panel's default state and heavy preset, playing, and prints JSON on stdout. The second
// half of each run drags the panel's most-used slider (PanelView::bench_slider) through
// ImGui's input, as a user would, so every frame also recomputes.
//
// Usage (app.cpp):
//   return run_bench(shell, window, config);  // config.frames per entry, config.bench_panel
#pragma once

#include "app.hpp"
#include "shell.hpp"

struct GLFWwindow;

namespace genlab {

// Returns the exit status: 0, or 2 when a panel rejects its bench state.
int run_bench(Shell& shell, GLFWwindow* window, const AppConfig& config);

}  // namespace genlab
