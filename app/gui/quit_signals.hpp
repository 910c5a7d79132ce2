// SIGINT, SIGTERM and SIGHUP end the interactive app the way closing its window does: the
// session and settings are saved (atomically) and the exit status is 0. A second signal while
// that runs ends the process at once (status 128 + signal), so a stuck save cannot trap it.
//
// Usage (app.cpp, before any other thread exists, so every thread inherits the mask):
//   watch_quit_signals();                       // blocks the signals; a thread sigwait()s
//   while (!glfwWindowShouldClose(w) && !quit_requested()) { ... }
#pragma once

namespace genlab {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in threads it starts later)
// and starts a thread that waits for them: the first sets quit_requested() and wakes the
// event loop (glfwPostEmptyEvent, which any thread may call); the second calls _exit.
void watch_quit_signals();

// The signal that asked to quit (SIGTERM, ...), or 0.
int quit_requested();

}  // namespace genlab
