// Input: the event counter and the GLFW fast-key-release workaround. See input.hpp.
//
// ImGui 1.86's GLFW backend writes io.KeysDown straight from the callback, so a press and a
// release that arrive in the same poll (fast typing, xdotool, remote desktops) cancel out
// before any frame sees them. Once a key goes down in a batch, every later release of that
// batch is held back until a frame has run: chords like Ctrl+E stay whole. Everything after
// a held release waits with it, in order: keys and characters typed right after Ctrl+A would
// otherwise reach ImGui while Ctrl still looks down (ImGui drops such characters, and takes
// the keys as shortcuts: Ctrl+Y, Ctrl+Z...).
#include "input.hpp"

// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on
#include <backends/imgui_impl_glfw.h>

#include <vector>

namespace genlab {

namespace {

int g_events = 0;  // bumped by every input/window event: the idle loop sleeps until one comes
bool g_refresh_requested = false;  // the window system lost the window's contents

void on_event_window(GLFWwindow*) { ++g_events, g_refresh_requested = true; }
void on_event_size(GLFWwindow*, int, int) { ++g_events; }
void on_event_pos(GLFWwindow*, double, double) { ++g_events; }
void on_event_button(GLFWwindow*, int, int, int) { ++g_events; }
void on_event_key(GLFWwindow*, int, int, int, int) { ++g_events; }
void on_event_char(GLFWwindow*, unsigned int) { ++g_events; }
void on_event_focus(GLFWwindow*, int) { ++g_events; }
void on_event_enter(GLFWwindow*, int) { ++g_events; }

struct InputEvent {
    GLFWwindow* window;
    int key, scancode, action, mods;
    unsigned int codepoint;  // a character event when nonzero
};
std::vector<InputEvent> g_held_events;
bool g_pressed_this_frame = false;

void on_key_deferring_fast_releases(GLFWwindow* w, int key, int scancode, int action, int mods) {
    ++g_events;
    if (!g_held_events.empty() || (action == GLFW_RELEASE && g_pressed_this_frame)) {
        g_held_events.push_back({w, key, scancode, action, mods, 0});
        return;
    }
    if (action == GLFW_PRESS) g_pressed_this_frame = true;
    ImGui_ImplGlfw_KeyCallback(w, key, scancode, action, mods);
}

void on_char_after_held_releases(GLFWwindow* w, unsigned int codepoint) {
    ++g_events;
    if (!g_held_events.empty()) {
        g_held_events.push_back({w, 0, 0, 0, 0, codepoint});
        return;
    }
    ImGui_ImplGlfw_CharCallback(w, codepoint);
}

std::vector<std::string> g_dropped;

void on_event_drop(GLFWwindow*, int count, const char** paths) {
    ++g_events;
    for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

}  // namespace

void install_event_callbacks(GLFWwindow* w) {
    glfwSetWindowRefreshCallback(w, on_event_window);
    glfwSetWindowSizeCallback(w, on_event_size);
    glfwSetFramebufferSizeCallback(w, on_event_size);
    glfwSetCursorPosCallback(w, on_event_pos);
    glfwSetMouseButtonCallback(w, on_event_button);
    glfwSetScrollCallback(w, on_event_pos);
    glfwSetKeyCallback(w, on_event_key);
    glfwSetCharCallback(w, on_event_char);
    glfwSetWindowFocusCallback(w, on_event_focus);
    glfwSetCursorEnterCallback(w, on_event_enter);
    glfwSetDropCallback(w, on_event_drop);
}

void install_deferring_key_callbacks(GLFWwindow* w) {
    glfwSetKeyCallback(w, on_key_deferring_fast_releases);
    glfwSetCharCallback(w, on_char_after_held_releases);
}

int input_event_count() { return g_events; }

std::vector<std::string> take_dropped_files() {
    std::vector<std::string> out;
    out.swap(g_dropped);
    return out;
}

bool take_refresh_request() {
    const bool requested = g_refresh_requested;
    g_refresh_requested = false;
    return requested;
}

// Keys pressed and released among the held events cancel out (their characters still
// arrive): better than being taken as Ctrl shortcuts, and the text is never delayed by more
// than a frame.
void release_held_keys() {
    std::vector<InputEvent> held;
    held.swap(g_held_events);
    g_pressed_this_frame = false;
    for (const InputEvent& e : held) {
        if (e.codepoint) {
            ImGui_ImplGlfw_CharCallback(e.window, e.codepoint);
        } else {
            ImGui_ImplGlfw_KeyCallback(e.window, e.key, e.scancode, e.action, e.mods);
            // A key left down here must stay down until a frame has seen it.
            if (e.action == GLFW_PRESS) g_pressed_this_frame = true;
        }
    }
    if (!held.empty()) ++g_events;  // the release needs a frame of its own
}

}  // namespace genlab
