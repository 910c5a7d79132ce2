// The shell, part two: sharing a view. The clipboard (Ctrl+Shift+C / V, "Copy as command
// line"), files dropped on the window, and figure-script entries, all loaded through
// adopt_state's all-or-nothing path. See shell.hpp and model/sharing.hpp.
// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on

#include "errors.hpp"
#include "files.hpp"
#include "input.hpp"
#include "sharing.hpp"
#include "shell.hpp"

namespace genlab {

std::string Shell::load_job(const FigureJob& job) {
    const Json previous = state_;
    state_ = job.state;
    const std::string rejected = push_state_to_views();
    if (!rejected.empty()) {
        state_ = previous;
        push_state_to_views();
        return rejected;
    }
    loaded_preset_.clear();
    card_.reset();
    note_loaded_presets(job.loaded_files);
    return "";
}

void Shell::note_loaded_presets(const std::vector<std::string>& files) {
    for (const std::string& file : files) {
        for (const Preset& p : presets_) {
            std::error_code ec;
            if (fs::equivalent(file, p.path, ec)) loaded_preset_[p.panel] = &p;
        }
    }
}

void Shell::copy_state() {
    try {
        glfwSetClipboardString(window_, clipboard_document(state()).c_str());
        show_info("copied the " + active().model().title() +
                  " state (JSON): Ctrl+Shift+V or a drop on the window loads it");
    } catch (const UserError& e) {
        show_error(std::string("not copied: ") + e.what());
    }
}

void Shell::copy_command_line() {
    try {
        const std::string line = command_line(state());
        glfwSetClipboardString(window_, line.c_str());
        show_info("copied: " + line);
    } catch (const UserError& e) {
        show_error(std::string("not copied: ") + e.what());
    }
}

void Shell::paste_state() {
    const char* text = glfwGetClipboardString(window_);
    if (text == nullptr) {
        show_error("nothing pasted: the clipboard holds no text (copy a state with Ctrl+Shift+C)");
        return;
    }
    load_text(text, "the clipboard");
}

// A pasted or dropped document merges like a session (key by key; a preset's title makes it a
// preset), through the same all-or-nothing path as a preset.
void Shell::load_text(const std::string& text, const std::string& origin) {
    Json next = state();
    try {
        merge_pasted(next, text, origin);
    } catch (const UserError& e) {
        show_error(e.what());  // the current state is kept
        return;
    }
    if (!adopt_state(next, origin)) return;
    loaded_preset_.erase(state_.value("panel", ""));
    card_.reset();
    show_info("loaded the state from " + origin);
}

void Shell::load_dropped_files() {
    for (const std::string& path : take_dropped_files()) {
        try {
            load_text(read_file_bounded(path, kMaxDocumentBytes), path);
        } catch (const UserError& e) {
            show_error(e.what());
        }
    }
}

}  // namespace genlab
