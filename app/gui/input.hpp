// Input: counts window events (so the idle loop knows when to draw) and works around ImGui
// 1.86's GLFW backend losing fast key releases. See input.cpp for why.
//
// Usage (frame_loop.cpp):
//   install_event_callbacks(window);          // before ImGui_ImplGlfw_InitForOpenGL
//   ImGui_ImplGlfw_InitForOpenGL(window, true);
//   install_deferring_key_callbacks(window);  // after it: replaces its key/char callbacks
//   const int before = input_event_count();
//   glfwPollEvents(); ... draw a frame ...
//   release_held_keys();                      // after each frame
#pragma once

struct GLFWwindow;

#include <string>
#include <vector>

namespace genlab {

// Every input/window callback bumps a counter. Installed before ImGui's, which chain to them.
void install_event_callbacks(GLFWwindow* window);
// Replaces ImGui's key and char callbacks (which still chain to ours) with the deferring ones.
void install_deferring_key_callbacks(GLFWwindow* window);

// The number of input/window events so far: the idle loop sleeps until it moves.
int input_event_count();
// True once after the window system lost the window's contents (a refresh event).
bool take_refresh_request();

// After a frame: delivers the held key and character events, in order, before the next frame.
void release_held_keys();

// The paths of files dropped on the window since the last call (GLFW's drop callback).
std::vector<std::string> take_dropped_files();

}  // namespace genlab
