// The frame loops: ImGui's context and backends for a window, and the three ways frames are
// run: interactive (sleeps on events when idle), a screenshot (offscreen, N frames, a PNG)
// and one frame at a time for the bench (bench.hpp).
//
// Usage (app.cpp):
//   ImGuiSession imgui(window, ini_path, scale);  // fonts, style, backends, key workaround
//   Shell shell(config, window);
//   return screenshot ? run_screenshot(shell, config) : run_interactive(shell, window);
#pragma once

#include <imgui.h>

#include <string>

#include "app.hpp"
#include "damage.hpp"
#include "shell.hpp"

struct GLFWwindow;

namespace genlab {

// ImGui's context, fonts, style and GLFW/OpenGL3 backends, for the lifetime of the object.
// `ini_path` "" keeps no imgui.ini.
class ImGuiSession {
  public:
    ImGuiSession(GLFWwindow* window, const std::string& ini_path, float scale);
    ~ImGuiSession();
    ImGuiSession(const ImGuiSession&) = delete;
    ImGuiSession& operator=(const ImGuiSession&) = delete;

  private:
    std::string ini_;  // io.IniFilename points into it
};

// Renders config.frames frames into an offscreen config.width × config.height target and
// writes the last one to config.screenshot. Returns the exit status (2: PNG not written).
int run_screenshot(Shell& shell, const AppConfig& config);
// --figures: each job's state rendered offscreen and captured into a temporary file beside
// its output; only when every job succeeded are they renamed into place (else all removed).
int run_figures(Shell& shell, const AppConfig& config);

// The interactive loop, until the window is closed; then saves what persists.
// Until the window closes or a quit signal arrives; then saves (Shell::on_exit). Returns 0, or
// kExitSaveFailed.
int run_interactive(Shell& shell, GLFWwindow* window);

// ImGui 1.86 reads the pointer from GLFW in its NewFrame; bench mode drives it instead.
struct SimulatedMouse {
    ImVec2 pos;
    bool down = false;
};

// One frame of the real loop: the shell's UI and compute, the GL render, and the swap.
// Returns the seconds spent in the shell (the panel's compute and ImGui's UI building).
double render_frame(Shell& shell, GLFWwindow* window, DamageRenderer& damage, int fb_w, int fb_h,
                    double dt, int frame, const SimulatedMouse* mouse = nullptr);

}  // namespace genlab
