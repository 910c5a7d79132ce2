// The frame loops: the ImGui session, screenshots, the interactive loop, and the one frame
// the bench times. See frame_loop.hpp.
#include "frame_loop.hpp"

// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "export.hpp"
#include "fonts.hpp"
#include "gl.hpp"
#include "input.hpp"
#include "quit_signals.hpp"
#include "test_dump.hpp"

namespace genlab {

namespace {

// For the e2e harness's hover-then-press: the pointer and buttons this frame's widgets saw
// (pos null when the pointer is outside the window). A test presses only once a frame has
// seen the pointer where it moved it, and releases only once a frame has seen the press.
Json mouse_as_imgui_saw_it() {
    const ImGuiIO& io = ImGui::GetIO();
    Json pos = nullptr;
    if (ImGui::IsMousePosValid(&io.MousePos)) {
        pos = {static_cast<int>(std::lround(io.MousePos.x)),
               static_cast<int>(std::lround(io.MousePos.y))};
    }
    return Json{{"pos", pos}, {"down", {io.MouseDown[0], io.MouseDown[1], io.MouseDown[2]}}};
}

}  // namespace

ImGuiSession::ImGuiSession(GLFWwindow* window, const std::string& ini_path, float scale) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    ini_ = ini_path;
    io.IniFilename = ini_.empty() ? nullptr : ini_.c_str();
    setup_fonts(scale);
    setup_style(scale);
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    install_deferring_key_callbacks(window);
    ImGui_ImplOpenGL3_Init("#version 330 core");
}

ImGuiSession::~ImGuiSession() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
}

namespace {

// One frame of the shell drawn into `target` (not the hidden window), finished.
void render_offscreen_frame(Shell& shell, RenderTarget& target, double dt) {
    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    // The offscreen target, not the hidden window, defines the frame.
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize =
        ImVec2(static_cast<float>(target.width()), static_cast<float>(target.height()));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
    shell.frame(dt);
    ImGui::Render();
    BoundTarget bind(target);
    // The main window draws no background: the clear colour is it, as in render_frame.
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, bg.w);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    // No swap ends these frames: without a finish, the driver keeps queueing them (and
    // every frame's orphaned vertex buffers) until the final read-back.
    glFinish();
}

// `frames` frames at w×h, then the window PNG and/or the figure written. "" or the error.
std::string capture(Shell& shell, int w, int h, int frames, const std::string& window_png,
                    const std::string& figure_png, int figure_scale) {
    RenderTarget target;
    target.resize(w, h);
    double last = glfwGetTime();
    for (int i = 0; i < frames; ++i) {
        const double now = glfwGetTime();
        render_offscreen_frame(shell, target, i == 0 ? 0.0 : now - last);
        last = now;
    }
    if (!window_png.empty()) {
        BoundTarget bind(target);
        const std::string error =
            write_png(window_png, read_framebuffer(target.width(), target.height()),
                      /*overwrite=*/true);
        if (!error.empty()) return "screenshot not written: " + error;
    }
    if (!figure_png.empty()) {
        const std::string error = shell.export_figure(figure_png, figure_scale, /*overwrite=*/true);
        if (!error.empty()) return "figure not written: " + error;
    }
    return "";
}

}  // namespace

int run_screenshot(Shell& shell, const AppConfig& config) {
    const std::string error = capture(shell, config.width, config.height, config.frames,
                                      config.screenshot, config.figure, config.figure_scale);
    if (error.empty()) return 0;
    std::cerr << "genlab: " << error << "\n";
    return 2;
}

int run_figures(Shell& shell, const AppConfig& config) {
    const auto& jobs = config.figure_jobs;
    std::vector<std::string> parts;
    const auto remove_parts = [&] {
        for (const std::string& p : parts) std::remove(p.c_str());
    };
    for (size_t i = 0; i < jobs.size(); ++i) {
        const FigureJob& job = jobs[i];
        const std::string where = "figures[" + std::to_string(i) + "]";
        std::cerr << "genlab: " << where << " " << (i + 1) << "/" << jobs.size() << ": " << job.path
                  << "\n";
        if (const std::string why = shell.load_job(job); !why.empty()) {
            remove_parts();
            std::cerr << "genlab: " << where << ": " << why << "; nothing written\n";
            return 2;
        }
        parts.push_back(job.path + ".part");
        const std::string error =
            capture(shell, job.width, job.height, job.frames, job.figure ? "" : parts.back(),
                    job.figure ? parts.back() : "", job.scale);
        if (!error.empty()) {
            remove_parts();
            std::cerr << "genlab: " << where << ": " << error << "; nothing written\n";
            return 2;
        }
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
        if (std::rename(parts[i].c_str(), jobs[i].path.c_str()) != 0) {
            std::cerr << "genlab: could not move " << parts[i] << " to " << jobs[i].path << "\n";
            return 2;
        }
    }
    std::cerr << "genlab: wrote " << jobs.size() << " figures\n";
    return 0;
}

double render_frame(Shell& shell, GLFWwindow* window, DamageRenderer& damage, int fb_w, int fb_h,
                    double dt, int frame, const SimulatedMouse* mouse) {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (mouse) {
        ImGui::GetIO().MousePos = mouse->pos;
        ImGui::GetIO().MouseDown[0] = mouse->down;
    }
    ImGui::NewFrame();
    const double start = glfwGetTime();
    shell.frame(dt);
    const double shell_seconds = glfwGetTime() - start;
    ImGui::Render();
    damage.render(ImGui::GetDrawData(), fb_w, fb_h, ImGui::GetStyle().Colors[ImGuiCol_WindowBg]);
    glViewport(0, 0, fb_w, fb_h);
    shell.after_render(fb_w, fb_h);
    glfwSwapBuffers(window);
    Json extra;
    if (test_dump_enabled()) {
        extra = shell.test_dump_extra(fb_w, fb_h);
        extra["damage_mismatched_pixels"] = damage.stats().verify_mismatches;
        extra["mouse"] = mouse_as_imgui_saw_it();
    }
    write_test_dump(frame, extra);
    return shell_seconds;
}

int run_interactive(Shell& shell, GLFWwindow* window) {
    DamageRenderer damage(reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
    double last = glfwGetTime();
    int frame = 0, settle = 3;
    while (!glfwWindowShouldClose(window) && !quit_requested()) {
        // Idle: sleep until an event arrives. A few frames follow each event so ImGui's
        // hover and release states settle.
        const int events_before = input_event_count();
        if (shell.animating() || settle > 0) {
            glfwPollEvents();
        } else {
            glfwWaitEventsTimeout(2.0);
        }
        if (input_event_count() != events_before) settle = 3;
        int fb_w = 0, fb_h = 0;
        glfwGetFramebufferSize(window, &fb_w, &fb_h);
        test_override_framebuffer(fb_w, fb_h);
        // Minimized: nothing to draw into. X11 keeps an iconified window's size, so without
        // the attribute a playing panel would go on drawing (and using a core) unseen.
        if (fb_w <= 0 || fb_h <= 0 || glfwGetWindowAttrib(window, GLFW_ICONIFIED)) {
            glfwWaitEventsTimeout(0.5);
            damage.invalidate();  // what the kept frame shows is not to be trusted afterwards
            continue;
        }
        if (take_refresh_request()) damage.invalidate();
        const double now = glfwGetTime();
        render_frame(shell, window, damage, fb_w, fb_h,
                     frame == 0 ? 0.0 : std::min(now - last, 0.25), frame);
        last = now;
        const int events_before_release = input_event_count();
        release_held_keys();
        if (input_event_count() != events_before_release) settle = std::max(settle, 2);
        ++frame;
        if (settle > 0) --settle;
    }
    // A save that fails at exit is said on stderr and in the status: the change is lost.
    return shell.on_exit() ? 0 : kExitSaveFailed;
}

}  // namespace genlab
