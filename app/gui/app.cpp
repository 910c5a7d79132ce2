// run_app: opens the window and the GL 3.3 context, then hands them to the shell and one of
// the frame loops. See app.hpp. The parts live by job:
//   shell.cpp       tabs, toolbar, presets, export, status, help: the UI around a panel
//   frame_loop.cpp  the ImGui session, the interactive loop, screenshots, one timed frame
//   bench.cpp       `genlab --bench`
//   input.cpp       event counting and the GLFW fast-key-release workaround
//   quit_signals.cpp  SIGINT/SIGTERM/SIGHUP end the app as closing the window does
//   fonts.cpp       fonts and style
//   model/presets.cpp, model/settings.cpp   preset and settings files (no GL)
#include "app.hpp"

// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "bench.hpp"
#include "files.hpp"
#include "frame_loop.hpp"
#include "input.hpp"
#include "quit_signals.hpp"
#include "settings.hpp"
#include "shell.hpp"

namespace genlab {

namespace {

std::string g_glfw_error;

void on_glfw_error(int, const char* description) { g_glfw_error = description ? description : ""; }

struct GlfwSession {
    ~GlfwSession() { glfwTerminate(); }
};

// One line that names the cause and the fix; the caller exits with status 1.
std::string no_window_message() {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!display || !*display) && (!wayland || !*wayland)) {
        return "genlab: no display (DISPLAY is not set). Run it under a desktop session or "
               "`xvfb-run -s \"-screen 0 1600x1000x24\" genlab`; `genlab --report` needs no "
               "display.";
    }
    return "genlab: cannot open a window on display '" + std::string(display ? display : "") +
           "': " + g_glfw_error + ". Check that the X server is running and reachable.";
}

float content_scale(GLFWwindow* window) {
    float xs = 1, ys = 1;
    glfwGetWindowContentScale(window, &xs, &ys);
    const float s = std::max(xs, ys);
    return std::isfinite(s) ? std::clamp(s, 1.0f, 4.0f) : 1.0f;
}

}  // namespace

int run_app(const AppConfig& config) {
    const bool offscreen =
        !config.screenshot.empty() || !config.figure.empty() || !config.figure_jobs.empty();
    // First, before the kernels' thread pool exists: its threads inherit the blocked mask.
    if (!offscreen && !config.bench) watch_quit_signals();
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) {
        std::cerr << no_window_message() << "\n";
        return 1;
    }
    GlfwSession glfw_session;
    Settings settings = config.settings;
    if (config.bench) settings.window_width = config.width, settings.window_height = config.height;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, offscreen ? GLFW_FALSE : GLFW_TRUE);
    int area_x = 0, area_y = 0, area_w = 0, area_h = 0;
    if (GLFWmonitor* monitor = glfwGetPrimaryMonitor(); monitor && !config.bench)
        glfwGetMonitorWorkarea(monitor, &area_x, &area_y, &area_w, &area_h);
    const WindowSize fitted =
        fit_window(settings.window_width, settings.window_height, area_w, area_h);
    const int w = offscreen ? 640 : fitted.width;
    const int h = offscreen ? 480 : fitted.height;
    GLFWwindow* window = glfwCreateWindow(w, h, "GenLab", nullptr, nullptr);
    // Shrunk to fit: also placed inside the area, where the window manager may not put it.
    if (window && !offscreen &&
        (fitted.width != settings.window_width || fitted.height != settings.window_height))
        glfwSetWindowPos(window, area_x + (area_w - w) / 2, area_y + (area_h - h) / 2);
    if (!window) {
        std::cerr << "genlab: cannot create an OpenGL 3.3 core window: " << g_glfw_error
                  << ". Update the graphics driver, or run under xvfb-run (Mesa llvmpipe "
                     "provides GL 3.3).\n";
        return 1;
    }
    glfwMakeContextCurrent(window);
    const int gl_version = gladLoadGL(glfwGetProcAddress);
    if (GLAD_VERSION_MAJOR(gl_version) * 10 + GLAD_VERSION_MINOR(gl_version) < 33) {
        std::cerr << "genlab: OpenGL 3.3 is required, this driver offers "
                  << GLAD_VERSION_MAJOR(gl_version) << "." << GLAD_VERSION_MINOR(gl_version)
                  << ". Update the graphics driver, or run under xvfb-run.\n";
        glfwDestroyWindow(window);
        return 1;
    }
    glfwSwapInterval(1);
    install_event_callbacks(window);
    const float scale = offscreen ? 1.0f : content_scale(window);
    int status = 0;
    {
        ImGuiSession imgui(
            window, config.persist ? (config_dir() / "imgui.ini").string() : std::string(), scale);
        Shell shell(config, window);
        status = !config.figure_jobs.empty() ? run_figures(shell, config)
                 : offscreen                 ? run_screenshot(shell, config)
                 : config.bench              ? run_bench(shell, window, config)
                                             : run_interactive(shell, window);
    }
    glfwDestroyWindow(window);  // after ImGui has unhooked its callbacks from it
    return status;
}

}  // namespace genlab
