// The shell: tabs, toolbar, status line and help around the active view, and the state,
// presets, settings and exports they act on. See shell.hpp.
//
// [SECTION] State and panels
// [SECTION] Toolbar, export and help
// (Sharing: the clipboard, drops and figure-script entries are in shell_sharing.cpp.)
#include "shell.hpp"

// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on
#include <imgui.h>
#include <imgui_internal.h>  // ErrorCheckEndWindowRecover: unwinding after a panel throws

#include <cstdio>
#include <iostream>

#include "errors.hpp"
#include "export.hpp"
#include "files.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "version.hpp"
#include "widgets.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] State and panels
//-----------------------------------------------------------------------------

Shell::Shell(const AppConfig& config, GLFWwindow* window)
    : config_(config), window_(window), state_(config.state) {
    views_ = make_all_views();
    const std::string rejected = push_state_to_views();
    if (!rejected.empty() && config.persist) keep_session_aside(rejected);
    std::string problems;
    presets_ = load_presets(asset_dir(GENLAB_ASSET_DIR) / "presets", problems);
    if (!problems.empty()) show_error("some presets were skipped: " + problems);
    note_loaded_presets(config.loaded_files);  // `--load preset.json` poses its question
    if (!config.startup_note.empty()) show_error(config.startup_note);
    settings_ = config.settings;
    std::snprintf(folder_buf_, sizeof folder_buf_, "%s", settings_.export_folder.c_str());
}

// Copies of the snapshots: no view is asked for its state here.
Json Shell::state() const {
    Json s = state_;
    for (const auto& v : views_) {
        const auto good = last_good_.find(v->model().id());
        s[v->model().id()] = good != last_good_.end() ? good->second.state() : v->state();
    }
    return s;
}

PanelView& Shell::active() {
    const std::string id = state_.value("panel", "");
    for (auto& v : views_) {
        if (v->model().id() == id) return *v;
    }
    return *views_.front();
}

std::vector<std::string> Shell::panel_ids() const {
    std::vector<std::string> ids;
    for (const auto& v : views_) ids.push_back(v->model().id());
    return ids;
}

bool Shell::load_for_bench(const std::string& panel, bool heavy) {
    Json next = default_state();
    next["panel"] = panel;
    if (heavy) {
        const Preset* p = find_heavy_preset(presets_, panel);
        if (!p) return false;
        merge_document(next, p->document, p->path);
    }
    state_ = next;
    select_tab_ = true;
    const std::string rejected = push_state_to_views();
    if (!rejected.empty()) throw UserError("bench: the panel rejected its state: " + rejected);
    active().set_playing(true);
    return true;
}

void Shell::frame(double dt) {
    load_dropped_files();
    handle_shortcuts();
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->Pos);
    ImGui::SetNextWindowSize(vp->Size);
    ImGui::Begin("GenLab", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                     ImGuiWindowFlags_NoBackground);  // the clear colour is the background
    draw_panel_tabs();
    draw_toolbar();
    const float status_h = ImGui::GetFrameHeightWithSpacing();
    draw_question_card();
    ImGui::BeginChild("panel", ImVec2(0, -status_h), false);
    draw_active_guarded(dt);
    ImGui::EndChild();
    draw_status();
    ImGui::End();
    if (show_help_) draw_help();
}

void Shell::after_render(int fb_width, int fb_height) {
    if (window_png_countdown_ <= 0 || --window_png_countdown_ > 0) return;
    save_image(read_framebuffer(fb_width, fb_height), "png");
}
bool Shell::save_session() {
    if (!config_.persist) return true;
    if (!config_.save_session) {
        show_error("the session is not saved this run: the unreadable one could not be moved");
        return false;
    }
    try {
        write_file_atomic(config_dir() / "session.json", dump_document(state()));
        show_info("session saved to " + (config_dir() / "session.json").string());
        return true;
    } catch (const UserError& e) {
        show_error(std::string("session not saved: ") + e.what());
        return false;
    }
}

bool Shell::on_exit() {
    if (!config_.persist) return true;
    const bool session_saved = save_session();
    if (!session_saved) std::cerr << "genlab: " << status_ << "\n";
    int w = 0, h = 0;
    glfwGetWindowSize(window_, &w, &h);
    if (w > 0 && h > 0) settings_.window_width = w, settings_.window_height = h;
    const bool settings_saved = save_settings(settings_);  // says why on stderr
    return session_saved && settings_saved;
}

Json Shell::test_dump_extra(int fb_w, int fb_h) const {
    int w = 0, h = 0;
    glfwGetWindowSize(window_, &w, &h);
    return Json{{"window", {w, h}},
                {"framebuffer", {fb_w, fb_h}},
                {"panel", state_.value("panel", "")},
                {"state", state()},
                {"last_export", last_export_},
                {"last_export_plot_top", last_export_plot_top_},
                {"export_folder", settings_.export_folder},
                {"last_error", last_error_},
                {"status", status_},
                {"playing", const_cast<Shell*>(this)->active().playing()},
                {"help_shown", show_help_}};
}

// Gives each view its part of state_. A view that rejects it (a state the model accepted
// but the view cannot show) gets its defaults instead; returns what was rejected.
std::string Shell::push_state_to_views() {
    std::string rejected;
    for (auto& v : views_) {
        const std::string id = v->model().id();
        try {
            v->set_state(state_[id]);
            last_good_[id].reset(state_[id]);
        } catch (const std::exception& e) {
            rejected += (rejected.empty() ? "" : "; ") + id + ": " + e.what();
            state_[id] = v->model().defaults();
            v->set_state(state_[id]);
            last_good_[id].reset(state_[id]);
        }
    }
    return rejected;
}

// The saved session could not be shown whole: keep a copy before anything overwrites it.
void Shell::keep_session_aside(const std::string& why) {
    std::error_code ec;
    const fs::path session = config_dir() / "session.json";
    const fs::path aside = unique_export_path(config_dir(), "session-unreadable", "json");
    fs::copy_file(session, aside, ec);
    show_error("part of the saved session could not be shown (" + why +
               "); defaults are used there" +
               (ec ? std::string() : "; the old session was kept as " + aside.string()));
}

// Draws the active panel. An exception from its frame, or a state its model rejects (a
// value typed past a widget's range), must not end the session: the panel goes back to
// its last valid state, the status line says why, and the app runs on.
//
// The scene advances (play) before the view draws, so what is drawn is this frame's state.
void Shell::draw_active_guarded(double dt) {
    PanelView& view = active();
    const std::string id = view.model().id();
    const int depth = GImGui->CurrentWindowStack.Size;
    try {
        view.scene().tick(dt, speed_);
        view.draw();
        snapshot_last_good(view);
    } catch (const std::exception& e) {
        while (GImGui->CurrentWindowStack.Size > depth) {  // close what the panel opened
            ImGui::ErrorCheckEndWindowRecover(nullptr);
            if (GImGui->CurrentWindow->Flags & ImGuiWindowFlags_ChildWindow) {
                ImGui::EndChild();
            } else {
                ImGui::End();
            }
        }
        ImGui::ErrorCheckEndWindowRecover(nullptr);
        show_error(view.model().title() + ": " + e.what() + " (restored the last valid settings)");
        const auto good = last_good_.find(id);
        Json restored = good != last_good_.end() ? good->second.state() : view.model().defaults();
        try {
            view.set_state(restored);
        } catch (const std::exception&) {
            restored = view.model().defaults();
            view.set_state(restored);
        }
        last_good_[id].reset(restored);
    }
}

// A snapshot only when the scene's revision moved (its setters validate, so its state is
// valid): no state -> JSON -> params round trip per frame.
void Shell::snapshot_last_good(PanelView& view) {
    last_good_[view.model().id()].refresh(view.scene(), [&] { return view.state(); });
}

void Shell::show_error(const std::string& m) {
    status_ = m;
    status_is_error_ = true;
    last_error_ = m;
}
void Shell::show_info(const std::string& m) {
    status_ = m;
    status_is_error_ = false;
}

bool Shell::adopt_state(const Json& next, const std::string& what) {
    const Json previous = state_;
    state_ = next;
    select_tab_ = true;
    const std::string rejected = push_state_to_views();
    if (!rejected.empty()) {  // all or nothing, like every other load
        state_ = previous;
        push_state_to_views();
        show_error(what + " not loaded: " + rejected);
        return false;
    }
    return true;
}

void Shell::apply_preset(const Preset& p) {
    Json next = state();
    try {
        merge_document(next, p.document, p.path);
    } catch (const UserError& e) {
        show_error(e.what());  // the current state is kept
        return;
    }
    if (!adopt_state(next, "preset")) return;
    loaded_preset_[p.panel] = &p;
    card_.reset();
    show_info("loaded preset: " + p.title);
}

void Shell::reset_panel() {
    PanelView& view = active();
    const std::string id = view.model().id();
    // Only this panel: the others keep their scenes (and runs) as they are.
    state_[id] = view.model().defaults();
    view.set_state(state_[id]);  // the defaults are valid by construction
    last_good_[id].reset(state_[id]);
    loaded_preset_.erase(id);
    card_.reset();
    show_info(view.model().title() + ": every setting back to its default");
}

void Shell::handle_shortcuts() {
    ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;  // typing a folder name is not a shortcut
    if (ImGui::IsKeyPressed(GLFW_KEY_F1, false)) show_help_ = !show_help_;
    if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) show_help_ = false;
    if (io.KeyCtrl && io.KeyShift) {
        if (ImGui::IsKeyPressed(GLFW_KEY_C, false)) copy_state();
        if (ImGui::IsKeyPressed(GLFW_KEY_V, false)) paste_state();
        return;
    }
    if (io.KeyCtrl) {
        if (ImGui::IsKeyPressed(GLFW_KEY_S, false)) save_session();
        if (ImGui::IsKeyPressed(GLFW_KEY_E, false)) request_window_png();
        return;
    }
    if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) active().set_playing(!active().playing());
    if (ImGui::IsKeyPressed(GLFW_KEY_S, false)) active().step();
    if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) active().reset();
}

//-----------------------------------------------------------------------------
// [SECTION] Toolbar, export and help
//-----------------------------------------------------------------------------

void Shell::draw_panel_tabs() {
    if (!ImGui::BeginTabBar("panels")) return;
    const std::string current = state_.value("panel", "");
    for (auto& v : views_) {
        const std::string id = v->model().id();
        const ImGuiTabItemFlags flags =
            (select_tab_ && id == current) ? ImGuiTabItemFlags_SetSelected : 0;
        const bool open = ImGui::BeginTabItem(v->model().title().c_str(), nullptr, flags);
        mark_item("tab." + id);
        if (open) {
            if (!select_tab_ && id != current) state_["panel"] = id;
            ImGui::EndTabItem();
        }
    }
    select_tab_ = false;
    ImGui::EndTabBar();
}

void Shell::draw_toolbar() {
    PanelView& view = active();
    if (ImGui::Button(view.playing() ? "Pause" : "Play", ImVec2(ImGui::GetFontSize() * 4, 0))) {
        view.set_playing(!view.playing());
    }
    mark_item("toolbar.play");
    ImGui::SameLine();
    if (ImGui::Button("Step")) view.step();
    mark_item("toolbar.step");
    ImGui::SameLine();
    if (ImGui::Button("Reset")) view.reset();
    mark_item("toolbar.reset");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Back to the start of the run (R)");
    ImGui::SameLine();
    if (ImGui::Button("Reset panel")) reset_panel();
    mark_item("toolbar.reset_panel");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Every setting of this panel to its default");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    ImGui::SliderFloat("speed", &speed_, 0.1f, 10.0f, "%.1fx",
                       ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    mark_item("toolbar.speed");
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
    if (ImGui::Button("Export...")) ImGui::OpenPopup("export");
    mark_item("toolbar.export");
    draw_export_popup();
    ImGui::SameLine();
    if (ImGui::Button("Save session")) save_session();
    mark_item("toolbar.save");
    ImGui::SameLine();
    if (ImGui::Button("Help (F1)")) show_help_ = !show_help_;
    mark_item("toolbar.help");
    // Last, so the preset title gets whatever width is left (it is clipped at 1024 px
    // otherwise).
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
    draw_preset_combo();
    ImGui::Separator();
}

void Shell::draw_preset_combo() {
    const std::string panel = state_.value("panel", "");
    const auto loaded = loaded_preset_.find(panel);
    const std::string preview =
        loaded != loaded_preset_.end() ? loaded->second->title : "choose a preset...";
    const ImGuiStyle& style = ImGui::GetStyle();
    ImGui::SetNextItemWidth(-(ImGui::CalcTextSize("preset").x + style.ItemInnerSpacing.x));
    if (ImGui::BeginCombo("preset", preview.c_str())) {
        for (size_t i = 0; i < presets_.size(); ++i) {
            const Preset& p = presets_[i];
            if (!p.panel.empty() && p.panel != panel) continue;
            if (ImGui::Selectable(p.title.c_str())) apply_preset(p);
            mark_item("preset." + std::to_string(i));
            if (ImGui::IsItemHovered() && p.document.contains("description")) {
                ImGui::SetTooltip("%s",
                                  p.document["description"].get_ref<const std::string&>().c_str());
            }
        }
        ImGui::EndCombo();
    }
    mark_item("toolbar.preset");
    mark_value("toolbar.preset", preview);
}

// Always visible above the panel, collapsible: the loaded preset's seed question, what to
// change and what to look for, with the current numbers filled in (issue 12).
void Shell::draw_question_card() {
    PanelView& view = active();
    const std::string id = view.model().id();
    const auto loaded = loaded_preset_.find(id);
    if (loaded == loaded_preset_.end() || !loaded->second->question) {
        ImGui::TextDisabled(
            "No question loaded. Each preset poses a seed question: pick one "
            "to see what to change and what to look for.");
        mark_item("question");
        mark_value("question", nullptr);
        return;
    }
    const std::uint64_t revision = view.scene().revision();
    if (!card_ || card_->panel != id || card_->revision != revision) {
        const QuestionCard& q = *loaded->second->question;
        Json now = state();
        now[id] = view.state();
        QuestionCard filled = q;
        try {
            for (std::string* t : {&filled.source, &filled.ask, &filled.change, &filled.look}) {
                *t = fill_in(*t, now);
            }
        } catch (const UserError&) {
            filled = q;  // validated at load; a placeholder that cannot resolve shows as written
        }
        card_ = FilledCard{id, revision, filled};
    }
    const QuestionCard& q = card_->text;
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    const bool open = ImGui::CollapsingHeader(("Question  ·  " + q.source + "###question").c_str());
    mark_item("question");
    mark_value("question", Json{{"source", q.source},
                                {"ask", q.ask},
                                {"change", q.change},
                                {"look", q.look},
                                {"open", open}});
    if (!open) return;
    ImGui::Indent();
    text_wrapped(q.ask);
    ImGui::TextColored(palette::kInfoText, "Change:");
    ImGui::SameLine();
    text_wrapped(q.change);
    ImGui::TextColored(palette::kInfoText, "Look for:");
    ImGui::SameLine();
    text_wrapped(q.look);
    ImGui::Unindent();
    ImGui::Separator();
}

void Shell::draw_export_popup() {
    if (!ImGui::BeginPopup("export")) return;
    ImGui::TextUnformatted("Folder");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 24);
    if (ImGui::InputText("##folder", folder_buf_, sizeof folder_buf_)) {
        settings_.export_folder = folder_buf_;
    }
    mark_item("export.folder");
    ImGui::Separator();
    if (ImGui::Selectable("Copy state  (Ctrl+Shift+C)")) copy_state();
    mark_item("export.copy_state");
    if (ImGui::Selectable("Copy as command line")) copy_command_line();
    mark_item("export.copy_command");
    if (ImGui::Selectable("Paste state  (Ctrl+Shift+V)")) paste_state();
    mark_item("export.paste_state");
    ImGui::Separator();
    if (ImGui::Selectable("Window PNG  (Ctrl+E)")) request_window_png();
    mark_item("export.window_png");
    for (int scale : {1, 2, 4}) {
        const std::string label = "Canvas PNG at " + std::to_string(scale) + "x";
        if (ImGui::Selectable(label.c_str())) export_canvas(scale);
        mark_item("export.canvas_" + std::to_string(scale) + "x");
    }
    for (int scale : {1, 2, 4}) {
        const std::string label = "Figure PNG at " + std::to_string(scale) + "x  (every plot)";
        if (ImGui::Selectable(label.c_str())) {
            const std::string path = export_path("png");
            if (!path.empty()) report_export(path, export_figure(path, scale, false));
        }
        mark_item("export.figure_" + std::to_string(scale) + "x");
    }
    // Computing a report can fail (say a run that overflowed): an error, not an exit.
    try {
        if (ImGui::Selectable("Report JSON"))
            save_text(dump_document(make_report(state())), "json");
        mark_item("export.report");
        if (ImGui::Selectable("Numbers CSV")) {
            const Json s = state();
            save_text(active().model().csv(s[s.value("panel", "")]), "csv");
        }
    } catch (const std::exception& e) {
        show_error(std::string("export failed: ") + e.what());
    }
    mark_item("export.csv");
    ImGui::EndPopup();
}

// A fresh auto-named path in the chosen folder, or "" after reporting why not.
std::string Shell::export_path(const std::string& ext) {
    std::error_code ec;
    const fs::path folder = settings_.export_folder;
    if (folder.empty() || !fs::is_directory(folder, ec)) {
        show_error("export failed: the folder '" + folder.string() +
                   "' does not exist; choose another in Export...");
        return "";
    }
    return unique_export_path(folder, "genlab-" + state_.value("panel", "panel"), ext).string();
}

void Shell::report_export(const std::string& path, const std::string& error) {
    if (error.empty()) {
        last_export_ = path;
        show_info("exported " + path);
    } else {
        show_error("export failed: " + error);
    }
}

void Shell::export_canvas(int scale) {
    const std::string path = export_path("png");
    if (path.empty()) return;
    Canvas& canvas = active().main_canvas();
    last_export_plot_top_ = canvas.export_plot_top(scale);
    report_export(path, canvas.export_png(path, scale));
}

std::string Shell::figure_heading() const {
    const std::string panel = state_.value("panel", "");
    const auto loaded = loaded_preset_.find(panel);
    std::string heading = "GenLab: " + active().model().title();
    if (loaded != loaded_preset_.end()) heading += " - " + loaded->second->title;
    return heading;
}

std::string Shell::export_figure(const std::string& path, int scale, bool overwrite) {
    return Canvas::export_figure_png(active().figure_canvases(), path, scale, overwrite,
                                     figure_heading());
}

void Shell::save_image(const Image& image, const std::string& ext) {
    const std::string path = export_path(ext);
    if (!path.empty()) report_export(path, write_png(path, image, /*overwrite=*/false));
}

void Shell::save_text(const std::string& text, const std::string& ext) {
    const std::string path = export_path(ext);
    if (path.empty()) return;
    try {
        write_file_exclusive(path, text);
        report_export(path, "");
    } catch (const UserError& e) {
        report_export(path, e.what());
    }
}

void Shell::draw_status() {
    ImGui::Separator();
    if (status_.empty()) {
        ImGui::TextDisabled(
            "GenLab %s  ·  F1: help  ·  right-drag: pan  ·  wheel: zoom  ·  "
            "double-click: reset view",
            kVersion);
    } else {
        ImGui::TextColored(status_is_error_ ? palette::kErrorText : palette::kInfoText, "%s",
                           status_.c_str());
    }
    mark_item("status");
}

void Shell::draw_help() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + vp->Size.x / 2, vp->Pos.y + vp->Size.y / 2),
                            ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowBgAlpha(0.96f);
    ImGui::Begin("Help", &show_help_,
                 ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoCollapse |
                     ImGuiWindowFlags_NoSavedSettings);
    mark_rect("help", ImGui::GetWindowPos(),
              ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x,
                     ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
    static const char* keys[][2] = {{"Space", "play / pause"},
                                    {"S", "step"},
                                    {"R", "reset"},
                                    {"Ctrl+S", "save the session"},
                                    {"Ctrl+E", "export a PNG of the window"},
                                    {"Ctrl+Shift+C", "copy the panel's state (JSON)"},
                                    {"Ctrl+Shift+V", "paste a state (or drop a .json file)"},
                                    {"F1 / Esc", "show / hide this help"},
                                    {"Right or middle drag", "pan a plot"},
                                    {"Mouse wheel", "zoom about the cursor"},
                                    {"Double-click", "reset the plot's view"}};
    if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg)) {
        for (const auto& k : keys) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(k[0]);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(k[1]);
        }
        ImGui::EndTable();
    }
    const float wrap = ImGui::GetFontSize() * 40;
    ImGui::Separator();
    ImGui::Text("%s", active().model().title().c_str());
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + wrap);
    for (const auto& l : active().help_lines()) ImGui::BulletText("%s", l.c_str());
    ImGui::Separator();
    ImGui::TextUnformatted("What the marks mean");
    const std::vector<std::string> legend = active().legend_lines();
    for (const auto& l : legend) ImGui::BulletText("%s", l.c_str());
    ImGui::PopTextWrapPos();
    mark_value("help.legend", legend);
    ImGui::End();
}

}  // namespace genlab
