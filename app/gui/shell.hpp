// The shell: the panel tabs, toolbar (transport, speed, presets, export, session), status
// line and help overlay around the active panel's view, and what they act on: the state
// document, each panel's last valid state, presets, settings and exports. The frame loops
// (frame_loop.hpp) and the bench (bench.hpp) drive it one frame at a time.
//
// Usage (app.cpp, frame_loop.cpp):
//   Shell shell(config, window);  // views made, state pushed to them, presets and settings read
//   ImGui::NewFrame();
//   shell.frame(dt);              // the whole UI and the active panel's compute
//   ImGui::Render(); ...draw...
//   shell.after_render(fb_w, fb_h);  // a requested window PNG is read back here
//   shell.on_exit();              // saves the session and the settings (when persisting)
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app.hpp"
#include "gl.hpp"
#include "presets.hpp"
#include "settings.hpp"
#include "state.hpp"
#include "state_snapshot.hpp"
#include "view.hpp"

struct GLFWwindow;

namespace genlab {

class Shell {
  public:
    Shell(const AppConfig& config, GLFWwindow* window);

    // The document with every panel's last valid state. Built on demand (session save,
    // export, the test dump), never by the frame itself.
    Json state() const;
    PanelView& active();
    const PanelView& active() const { return const_cast<Shell*>(this)->active(); }
    bool animating() {
        return active().wants_frames() || window_png_countdown_ > 0 ||
               Canvas::click_pending_anywhere();
    }
    std::vector<std::string> panel_ids() const;

    // Bench mode: `panel` with its defaults, or with its heavy preset, playing. False when
    // the panel has no heavy preset.
    bool load_for_bench(const std::string& panel, bool heavy);
    // A figure script's entry: its (validated) state in every view, and the bundled presets
    // it loaded for the heading. Returns "" or why a view refused the state.
    std::string load_job(const FigureJob& job);

    // One frame of UI: everything between ImGui::NewFrame and ImGui::Render.
    void frame(double dt);
    // Called after rendering, with the frame still in the back buffer.
    void after_render(int fb_width, int fb_height);
    // False (and the status line says why) when the session could not be written.
    bool save_session();
    // Saves the session and the settings when persisting; false, after one line on stderr
    // each, when either could not be written.
    bool on_exit();
    // The active panel's whole-panel figure (Canvas::export_figure_png) under its heading:
    // "" or the error.
    std::string export_figure(const std::string& path, int scale, bool overwrite);
    // What the test dump (test_dump.hpp) records beyond the widgets, each frame.
    Json test_dump_extra(int fb_w, int fb_h) const;

  private:
    std::string push_state_to_views();
    void keep_session_aside(const std::string& why);
    void draw_active_guarded(double dt);
    void snapshot_last_good(PanelView& view);
    void show_error(const std::string& m);
    void show_info(const std::string& m);
    void apply_preset(const Preset& p);
    // Makes `next` (merged and validated) the state of every view: all or nothing. On a
    // view's refusal the old state stays and the error names `what`.
    bool adopt_state(const Json& next, const std::string& what);
    // Sharing (model/sharing.hpp): the clipboard and dropped files.
    void copy_state();
    void copy_command_line();
    void paste_state();
    void load_text(const std::string& text, const std::string& origin);
    void load_dropped_files();
    // The bundled presets among `files` (loaded as --load does): their question cards.
    void note_loaded_presets(const std::vector<std::string>& files);
    // The active panel back to its defaults (all of them, unlike Reset, which restarts the run).
    void reset_panel();
    void handle_shortcuts();
    // Two frames later, so the menu that asked for it has closed and is not in the picture.
    void request_window_png() { window_png_countdown_ = 2; }

    void draw_panel_tabs();
    void draw_toolbar();
    void draw_preset_combo();
    void draw_question_card();
    void draw_export_popup();
    std::string export_path(const std::string& ext);
    void report_export(const std::string& path, const std::string& error);
    void export_canvas(int scale);
    std::string figure_heading() const;  // "GenLab: <panel> - <loaded preset>"
    void save_image(const Image& image, const std::string& ext);
    void save_text(const std::string& text, const std::string& ext);
    void draw_status();
    void draw_help();

    AppConfig config_;
    GLFWwindow* window_;
    Json state_;  // "version", "panel", and each panel's state as last pushed to the views
    std::vector<std::unique_ptr<PanelView>> views_;
    std::vector<Preset> presets_;
    std::map<std::string, StateSnapshot> last_good_;  // per panel: its last valid state
    // Per panel: the preset loaded last (its title in the combo, its question on the card).
    std::map<std::string, const Preset*> loaded_preset_;
    // The card's texts with the state's numbers filled in, redone when the scene changes.
    struct FilledCard {
        std::string panel;
        std::uint64_t revision = 0;
        QuestionCard text;
    };
    std::optional<FilledCard> card_;
    Settings settings_;
    char folder_buf_[1024] = {0};
    float speed_ = 1.0f;
    bool select_tab_ = true, show_help_ = false;
    int window_png_countdown_ = 0;  // frames until the requested window PNG is read back
    std::string status_, last_export_, last_error_;
    float last_export_plot_top_ = 0;  // the canvas export's title strip (test dump)
    bool status_is_error_ = false;
};

}  // namespace genlab
