// The GUI shell. See app.hpp.
//
// [SECTION] Window and context
// [SECTION] Presets and settings
// [SECTION] The shell
// [SECTION] Toolbar, export and help
// [SECTION] Frame loop
// [SECTION] Bench mode
#include "app.hpp"

// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <imgui_internal.h>  // ErrorCheckEndWindowRecover: unwinding after a panel throws

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <sys/resource.h>  // getrusage
#include <unistd.h>        // sysconf: the clock tick of /proc/self/stat

#include "damage.hpp"
#include "errors.hpp"
#include "export.hpp"
#include "fields.hpp"
#include "files.hpp"
#include "gl.hpp"
#include "state.hpp"
#include "test_dump.hpp"
#include "version.hpp"
#include "view.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Window and context
//-----------------------------------------------------------------------------

std::string g_glfw_error;
int g_events = 0;  // bumped by every input/window event: the idle loop sleeps until one comes

void on_glfw_error(int, const char* description) { g_glfw_error = description ? description : ""; }
bool g_refresh_requested = false;  // the window system lost the window's contents
void on_event_window(GLFWwindow*) { ++g_events, g_refresh_requested = true; }
void on_event_size(GLFWwindow*, int, int) { ++g_events; }
void on_event_pos(GLFWwindow*, double, double) { ++g_events; }
void on_event_button(GLFWwindow*, int, int, int) { ++g_events; }
void on_event_key(GLFWwindow*, int, int, int, int) { ++g_events; }
void on_event_char(GLFWwindow*, unsigned int) { ++g_events; }
void on_event_focus(GLFWwindow*, int) { ++g_events; }
void on_event_enter(GLFWwindow*, int) { ++g_events; }

// ImGui 1.86's GLFW backend writes io.KeysDown straight from the callback, so a press and a
// release that arrive in the same poll (fast typing, xdotool, remote desktops) cancel out
// before any frame sees them. Once a key goes down in a batch, every later release of that
// batch is held back until a frame has run: chords like Ctrl+E stay whole. Everything after
// a held release waits with it, in order: keys and characters typed right after Ctrl+A would
// otherwise reach ImGui while Ctrl still looks down (ImGui drops such characters, and takes
// the keys as shortcuts: Ctrl+Y, Ctrl+Z...).
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

// After a frame: deliver all that was held, in order, before the next frame. Keys pressed
// and released among them cancel out (their characters still arrive): better than being
// taken as Ctrl shortcuts, and the text is never delayed by more than a frame.
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

// Installed before ImGui's, which chains to them.
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
}

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

void setup_fonts(float scale) {
    ImGuiIO& io = ImGui::GetIO();
    static ImVector<ImWchar> ranges;  // must outlive the atlas build
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(io.Fonts->GetGlyphRangesDefault());
    static const ImWchar extra[] = {0x0370, 0x03FF,  // Greek: σ θ ψ γ
                                    0x1D00, 0x1D7F,  // phonetic superscripts: ᵀ
                                    0x2000, 0x206F,  // punctuation: – … ‖
                                    0x2070, 0x209F,  // super/subscripts
                                    0x2190, 0x21FF,  // arrows
                                    0x2200, 0x22FF,  // math operators: ≤ ≥ √ Σ
                                    0x25A0, 0x25FF,  // geometric shapes: ▶ ■
                                    0x2700, 0x27BF,  // dingbats: ✓ ✗
                                    0};
    builder.AddRanges(extra);
    builder.BuildRanges(&ranges);
    const char* dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    ImFont* font = nullptr;
    if (FILE* f = std::fopen(dejavu, "rb")) {
        std::fclose(f);
        font =
            io.Fonts->AddFontFromFileTTF(dejavu, std::round(16.0f * scale), nullptr, ranges.Data);
    }
    if (!font) {  // fonts-dejavu-core missing: ImGui's built-in font still works
        ImFontConfig config;
        config.SizePixels = std::round(13.0f * scale);
        io.Fonts->AddFontDefault(&config);
    }
}

void setup_style(float scale) {
    ImGui::StyleColorsLight();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.FramePadding = ImVec2(6, 4);
    style.ItemSpacing = ImVec2(8, 6);
    style.ScaleAllSizes(scale);
}

//-----------------------------------------------------------------------------
// [SECTION] Presets and settings
//-----------------------------------------------------------------------------

struct Preset {
    std::string title, path, panel;
    Json document;
};

fs::path asset_dir() {
    if (const char* env = std::getenv("GENLAB_ASSETS"); env && *env) return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& candidate :
         {exe.parent_path() / "assets", exe.parent_path().parent_path() / "share/genlab/assets",
          fs::path(GENLAB_ASSET_DIR)}) {
        if (fs::is_directory(candidate / "presets", ec)) return candidate;
    }
    return GENLAB_ASSET_DIR;
}

// Every readable preset; a broken one is reported, not fatal.
std::vector<Preset> load_presets(std::string& problems) {
    std::vector<Preset> presets;
    std::error_code ec;
    const fs::path dir = asset_dir() / "presets";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
        try {
            Preset p;
            p.path = file.string();
            p.document = parse_document(read_file_bounded(file, kMaxDocumentBytes), p.path);
            Json probe = default_state();
            merge_document(probe, p.document, p.path);  // validate now, not when clicked
            for (const char* meta : {"title", "description"}) {
                if (p.document.contains(meta) && !p.document[meta].is_string()) {
                    throw UserError(p.path + ": '" + meta + "' must be a string");
                }
            }
            p.panel = p.document.value("panel", probe.value("panel", ""));
            p.title = p.document.value("title", file.stem().string());
            presets.push_back(std::move(p));
        } catch (const std::exception& e) {  // UserError, or a filesystem error
            problems += std::string(problems.empty() ? "" : "; ") + e.what();
        }
    }
    return presets;
}

struct Settings {
    std::string export_folder;
    int window_width = 1600, window_height = 1000;
};

Settings load_settings() {
    Settings s;
    std::error_code ec;
    s.export_folder = fs::current_path(ec).string();
    try {
        const Json j = parse_document(read_file_bounded(config_dir() / "settings.json", 1 << 20),
                                      "settings.json");
        if (j.contains("export_folder") && j["export_folder"].is_string()) {
            s.export_folder = j["export_folder"].get<std::string>();
        }
        if (j.contains("window") && j["window"].is_array() && j["window"].size() == 2) {
            s.window_width = static_cast<int>(whole_number(j["window"][0], 320, 8192, "width"));
            s.window_height = static_cast<int>(whole_number(j["window"][1], 240, 8192, "height"));
        }
    } catch (const std::exception&) {
        // No settings yet, or unreadable ones: the defaults are fine.
    }
    return s;
}

void save_settings(const Settings& s) {
    try {
        write_file_atomic(
            config_dir() / "settings.json",
            Json{{"export_folder", s.export_folder}, {"window", {s.window_width, s.window_height}}}
                .dump(2));
    } catch (const UserError& e) {
        std::cerr << "genlab: " << e.what() << "\n";
    }
}

//-----------------------------------------------------------------------------
// [SECTION] The shell
//-----------------------------------------------------------------------------

class Shell {
  public:
    Shell(const AppConfig& config, GLFWwindow* window)
        : config_(config), window_(window), state_(config.state) {
        views_ = make_all_views();
        const std::string rejected = push_state_to_views();
        if (!rejected.empty() && config.persist) keep_session_aside(rejected);
        std::string problems;
        presets_ = load_presets(problems);
        if (!problems.empty()) show_error("some presets were skipped: " + problems);
        if (!config.startup_note.empty()) show_error(config.startup_note);
        if (config.persist) settings_ = load_settings();
        std::snprintf(folder_buf_, sizeof folder_buf_, "%s", settings_.export_folder.c_str());
    }

    // The document with every view's current state.
    // Each panel's last validated state: what sessions, reports and exports are made of.
    Json state() const {
        Json s = state_;
        for (const auto& v : views_) {
            const auto good = last_good_.find(v->model().id());
            s[v->model().id()] = good != last_good_.end() ? good->second : v->state();
        }
        return s;
    }

    PanelView& active() {
        const std::string id = state_.value("panel", "");
        for (auto& v : views_) {
            if (v->model().id() == id) return *v;
        }
        return *views_.front();
    }

    bool animating() { return active().wants_frames() || window_png_countdown_ > 0; }

    std::vector<std::string> panel_ids() const {
        std::vector<std::string> ids;
        for (const auto& v : views_) ids.push_back(v->model().id());
        return ids;
    }

    // Bench mode: `panel` with its defaults, or with its heavy preset (the preset whose file
    // name says "_heavy"), playing. False when the panel has no heavy preset.
    bool load_for_bench(const std::string& panel, bool heavy) {
        Json next = default_state();
        next["panel"] = panel;
        if (heavy) {
            const auto p = std::find_if(presets_.begin(), presets_.end(), [&](const Preset& p) {
                return p.panel == panel &&
                       fs::path(p.path).filename().string().find("_heavy") != std::string::npos;
            });
            if (p == presets_.end()) return false;
            merge_document(next, p->document, p->path);
        }
        state_ = next;
        select_tab_ = true;
        const std::string rejected = push_state_to_views();
        if (!rejected.empty()) throw UserError("bench: the panel rejected its state: " + rejected);
        active().set_playing(true);
        return true;
    }

    void frame(double dt) {
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
        ImGui::BeginChild("panel", ImVec2(0, -status_h), false);
        draw_active_guarded(dt);
        ImGui::EndChild();
        draw_status();
        ImGui::End();
        if (show_help_) draw_help();
    }

    // Called after rendering, with the frame still in the back buffer.
    void after_render(int fb_width, int fb_height) {
        if (window_png_countdown_ <= 0 || --window_png_countdown_ > 0) return;
        save_image(read_framebuffer(fb_width, fb_height), "png");
    }
    // Two frames later, so the menu that asked for it has closed and is not in the picture.
    void request_window_png() { window_png_countdown_ = 2; }

    void save_session() {
        if (!config_.persist) return;
        if (!config_.save_session) {
            show_error("the session is not saved this run: the unreadable one could not be moved");
            return;
        }
        try {
            write_file_atomic(config_dir() / "session.json", dump_document(state()));
            show_info("session saved to " + (config_dir() / "session.json").string());
        } catch (const UserError& e) {
            show_error(std::string("session not saved: ") + e.what());
        }
    }

    void on_exit() {
        if (!config_.persist) return;
        save_session();
        int w = 0, h = 0;
        glfwGetWindowSize(window_, &w, &h);
        if (w > 0 && h > 0) settings_.window_width = w, settings_.window_height = h;
        save_settings(settings_);
    }

    Json test_dump_extra(int fb_w, int fb_h) const {
        int w = 0, h = 0;
        glfwGetWindowSize(window_, &w, &h);
        return Json{{"window", {w, h}},
                    {"framebuffer", {fb_w, fb_h}},
                    {"panel", state_.value("panel", "")},
                    {"state", state()},
                    {"last_export", last_export_},
                    {"export_folder", settings_.export_folder},
                    {"last_error", last_error_},
                    {"playing", const_cast<Shell*>(this)->active().playing()},
                    {"help_shown", show_help_}};
    }

  private:
    // Gives each view its part of state_. A view that rejects it (a state the model accepted
    // but the view cannot show) gets its defaults instead; returns what was rejected.
    std::string push_state_to_views() {
        std::string rejected;
        for (auto& v : views_) {
            const std::string id = v->model().id();
            try {
                v->set_state(state_[id]);
                last_good_[id] = state_[id];
            } catch (const std::exception& e) {
                rejected += (rejected.empty() ? "" : "; ") + id + ": " + e.what();
                state_[id] = v->model().defaults();
                v->set_state(state_[id]);
                last_good_[id] = state_[id];
            }
        }
        return rejected;
    }

    // The saved session could not be shown whole: keep a copy before anything overwrites it.
    void keep_session_aside(const std::string& why) {
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
    void draw_active_guarded(double dt) {
        PanelView& view = active();
        const std::string id = view.model().id();
        const int depth = GImGui->CurrentWindowStack.Size;
        try {
            view.draw({dt, speed_});
            last_good_[id] = view.model().normalize(view.state());
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
            show_error(view.model().title() + ": " + e.what() +
                       " (restored the last valid settings)");
            try {
                view.set_state(last_good_.count(id) ? last_good_[id] : view.model().defaults());
            } catch (const std::exception&) {
                view.set_state(view.model().defaults());
            }
        }
    }

    void show_error(const std::string& m) {
        status_ = m;
        status_is_error_ = true;
        last_error_ = m;
    }
    void show_info(const std::string& m) {
        status_ = m;
        status_is_error_ = false;
    }

    void apply_preset(const Preset& p) {
        Json next = state();
        try {
            merge_document(next, p.document, p.path);
        } catch (const UserError& e) {
            show_error(e.what());  // the current state is kept
            return;
        }
        const Json previous = state_;
        state_ = next;
        select_tab_ = true;
        const std::string rejected = push_state_to_views();
        if (!rejected.empty()) {  // all or nothing, like every other load
            state_ = previous;
            push_state_to_views();
            show_error("preset not loaded: " + rejected);
            return;
        }
        show_info("loaded preset: " + p.title);
    }

    void handle_shortcuts() {
        ImGuiIO& io = ImGui::GetIO();
        if (io.WantTextInput) return;  // typing a folder name is not a shortcut
        if (ImGui::IsKeyPressed(GLFW_KEY_F1, false)) show_help_ = !show_help_;
        if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) show_help_ = false;
        if (io.KeyCtrl) {
            if (ImGui::IsKeyPressed(GLFW_KEY_S, false)) save_session();
            if (ImGui::IsKeyPressed(GLFW_KEY_E, false)) request_window_png();
            return;
        }
        if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) active().set_playing(!active().playing());
        if (ImGui::IsKeyPressed(GLFW_KEY_S, false)) active().step();
        if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) active().reset();
    }

    //-------------------------------------------------------------------------
    // [SECTION] Toolbar, export and help
    //-------------------------------------------------------------------------

    void draw_panel_tabs() {
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

    void draw_toolbar() {
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
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
        ImGui::SliderFloat("speed", &speed_, 0.1f, 10.0f, "%.1fx",
                           ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
        mark_item("toolbar.speed");
        ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
        draw_preset_combo();
        ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
        if (ImGui::Button("Export...")) ImGui::OpenPopup("export");
        mark_item("toolbar.export");
        draw_export_popup();
        ImGui::SameLine();
        if (ImGui::Button("Save session")) save_session();
        ImGui::SameLine();
        if (ImGui::Button("Help (F1)")) show_help_ = !show_help_;
        mark_item("toolbar.help");
        ImGui::Separator();
    }

    void draw_preset_combo() {
        const std::string panel = state_.value("panel", "");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 20);
        if (ImGui::BeginCombo("preset", "choose a preset...")) {
            for (size_t i = 0; i < presets_.size(); ++i) {
                const Preset& p = presets_[i];
                if (!p.panel.empty() && p.panel != panel) continue;
                if (ImGui::Selectable(p.title.c_str())) apply_preset(p);
                mark_item("preset." + std::to_string(i));
                if (ImGui::IsItemHovered() && p.document.contains("description")) {
                    ImGui::SetTooltip(
                        "%s", p.document["description"].get_ref<const std::string&>().c_str());
                }
            }
            ImGui::EndCombo();
        }
        mark_item("toolbar.preset");
    }

    void draw_export_popup() {
        if (!ImGui::BeginPopup("export")) return;
        ImGui::TextUnformatted("Folder");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 24);
        if (ImGui::InputText("##folder", folder_buf_, sizeof folder_buf_)) {
            settings_.export_folder = folder_buf_;
        }
        mark_item("export.folder");
        ImGui::Separator();
        if (ImGui::Selectable("Window PNG  (Ctrl+E)")) request_window_png();
        mark_item("export.window_png");
        for (int scale : {1, 2, 4}) {
            const std::string label = "Canvas PNG at " + std::to_string(scale) + "x";
            if (ImGui::Selectable(label.c_str())) export_canvas(scale);
            mark_item("export.canvas_" + std::to_string(scale) + "x");
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
    std::string export_path(const std::string& ext) {
        std::error_code ec;
        const fs::path folder = settings_.export_folder;
        if (folder.empty() || !fs::is_directory(folder, ec)) {
            show_error("export failed: the folder '" + folder.string() +
                       "' does not exist; choose another in Export...");
            return "";
        }
        return unique_export_path(folder, "genlab-" + state_.value("panel", "panel"), ext).string();
    }

    void report_export(const std::string& path, const std::string& error) {
        if (error.empty()) {
            last_export_ = path;
            show_info("exported " + path);
        } else {
            show_error("export failed: " + error);
        }
    }

    void export_canvas(int scale) {
        const std::string path = export_path("png");
        if (!path.empty()) report_export(path, active().main_canvas().export_png(path, scale));
    }

    void save_image(const Image& image, const std::string& ext) {
        const std::string path = export_path(ext);
        if (!path.empty()) report_export(path, write_png(path, image, /*overwrite=*/false));
    }

    void save_text(const std::string& text, const std::string& ext) {
        const std::string path = export_path(ext);
        if (path.empty()) return;
        try {
            write_file_exclusive(path, text);
            report_export(path, "");
        } catch (const UserError& e) {
            report_export(path, e.what());
        }
    }

    void draw_status() {
        ImGui::Separator();
        if (status_.empty()) {
            ImGui::TextDisabled(
                "GenLab %s  ·  F1: help  ·  right-drag: pan  ·  wheel: zoom  ·  "
                "double-click: reset view",
                kVersion);
        } else {
            ImGui::TextColored(
                status_is_error_ ? ImVec4(0.8f, 0.05f, 0.05f, 1) : ImVec4(0.1f, 0.4f, 0.1f, 1),
                "%s", status_.c_str());
        }
        mark_item("status");
    }

    void draw_help() {
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
        const auto lines = active().help_lines();
        if (!lines.empty()) {
            ImGui::Separator();
            ImGui::Text("%s", active().model().title().c_str());
            for (const auto& l : lines) ImGui::BulletText("%s", l.c_str());
        }
        ImGui::End();
    }

    AppConfig config_;
    GLFWwindow* window_;
    Json state_;
    std::vector<std::unique_ptr<PanelView>> views_;
    std::vector<Preset> presets_;
    std::map<std::string, Json> last_good_;  // per panel: the last state its model accepted
    Settings settings_;
    char folder_buf_[1024] = {0};
    float speed_ = 1.0f;
    bool select_tab_ = true, show_help_ = false;
    int window_png_countdown_ = 0;  // frames until the requested window PNG is read back
    std::string status_, last_export_, last_error_;
    bool status_is_error_ = false;
};

//-----------------------------------------------------------------------------
// [SECTION] Frame loop
//-----------------------------------------------------------------------------

struct ImGuiSession {
    ImGuiSession(GLFWwindow* window, const std::string& ini_path, float scale) {
        IMGUI_CHECKVERSION();
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        ini_ = ini_path;
        io.IniFilename = ini_.empty() ? nullptr : ini_.c_str();
        setup_fonts(scale);
        setup_style(scale);
        ImGui_ImplGlfw_InitForOpenGL(window, true);
        // Replaces ImGui's key and char callbacks (which still chain to ours) with the deferring
        // ones.
        glfwSetKeyCallback(window, on_key_deferring_fast_releases);
        glfwSetCharCallback(window, on_char_after_held_releases);
        ImGui_ImplOpenGL3_Init("#version 330 core");
    }
    ~ImGuiSession() {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
    }
    std::string ini_;
};

int run_screenshot(Shell& shell, const AppConfig& config) {
    RenderTarget target;
    target.resize(config.width, config.height);
    double last = glfwGetTime();
    for (int i = 0; i < config.frames; ++i) {
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
        const double now = glfwGetTime();
        shell.frame(i == 0 ? 0.0 : now - last);
        last = now;
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
        if (i + 1 == config.frames) {
            const std::string error =
                write_png(config.screenshot, read_framebuffer(target.width(), target.height()),
                          /*overwrite=*/true);
            if (!error.empty()) {
                std::cerr << "genlab: screenshot not written: " << error << "\n";
                return 2;
            }
        }
    }
    return 0;
}

// ImGui 1.86 reads the pointer from GLFW in its NewFrame; bench mode drives it instead.
struct SimulatedMouse {
    ImVec2 pos;
    bool down = false;
};

// One frame of the real loop: the shell's UI and compute, the GL render, and the swap.
// Returns the seconds spent in the shell (the panel's compute and ImGui's UI building).
double render_frame(Shell& shell, GLFWwindow* window, DamageRenderer& damage, int fb_w, int fb_h,
                    double dt, int frame, const SimulatedMouse* mouse = nullptr) {
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
    }
    write_test_dump(frame, extra);
    return shell_seconds;
}

int run_interactive(Shell& shell, GLFWwindow* window) {
    DamageRenderer damage(reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
    double last = glfwGetTime();
    int frame = 0, settle = 3;
    while (!glfwWindowShouldClose(window)) {
        // Idle: sleep until an event arrives. A few frames follow each event so ImGui's
        // hover and release states settle.
        const int events_before = g_events;
        if (shell.animating() || settle > 0) {
            glfwPollEvents();
        } else {
            glfwWaitEventsTimeout(2.0);
        }
        if (g_events != events_before) settle = 3;
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
        if (g_refresh_requested) damage.invalidate(), g_refresh_requested = false;
        const double now = glfwGetTime();
        render_frame(shell, window, damage, fb_w, fb_h,
                     frame == 0 ? 0.0 : std::min(now - last, 0.25), frame);
        last = now;
        const int events_before_release = g_events;
        release_held_keys();
        if (g_events != events_before_release) settle = std::max(settle, 2);
        ++frame;
        if (settle > 0) --settle;
    }
    shell.on_exit();
    return 0;
}

//-----------------------------------------------------------------------------
// [SECTION] Bench mode
//-----------------------------------------------------------------------------
// `genlab --bench` times the real loop above, frame by frame, on each panel's default state
// and heavy preset, playing. The second half of each run drags the panel's most-used slider
// through ImGui's input, as a user would, so every frame also recomputes.

// The slider each panel's bench run drags (a widget id prefix, see test_dump.hpp).
const char* bench_slider(const std::string& panel) {
    if (panel == "receptive_field") return "rf.size";
    if (panel == "gan") return "gan.gamma";
    if (panel == "flow") return "flow.param.1.";
    if (panel == "kl") return "kl.lr";
    return "";
}

double milliseconds_since_process_start() {
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t comm_end = text.rfind(')');  // the command name may contain spaces
    if (comm_end == std::string::npos) return -1;
    std::istringstream fields(text.substr(comm_end + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
    }  // field 22: start time, in ticks
    timespec boot{};
    clock_gettime(CLOCK_BOOTTIME, &boot);
    const double started = std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return (boot.tv_sec + boot.tv_nsec * 1e-9 - started) * 1e3;
}

// Peak resident memory since the last reset (Linux: VmHWM, reset through clear_refs).
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
double peak_rss_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return -1;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(std::min(q * v.size(), v.size() - 1.0))];
}

double round2(double x) { return std::round(x * 100) / 100; }

// CPU seconds of every thread of the process (the UI thread, the core's workers and Mesa's
// rasterizer threads): on a loaded machine, a steadier measure of a frame's work than wall time.
double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Hover, press, sweep the slider left and right, release: one mouse state per drag frame.
SimulatedMouse slider_drag_at(const std::array<float, 4>& rect, int k, int count) {
    const float y = rect[1] + rect[3] / 2;
    const float x =
        rect[0] + rect[2] * (0.5f + 0.35f * static_cast<float>(std::sin(2 * M_PI * k / 60.0)));
    return {ImVec2(x, y), k > 0 && k < count - 1};
}

Json bench_entry(Shell& shell, GLFWwindow* window, DamageRenderer& damage, const std::string& panel,
                 int frames, double& first_frame_ms) {
    constexpr int kWarmup = 5;  // the load's first recompute is not steady state
    constexpr double kDt = 1.0 / 60;
    const int drag_start = frames / 2;
    std::optional<std::array<float, 4>> slider;
    std::vector<double> frame_ms, shell_ms, damaged;
    const long mismatches_before = damage.stats().verify_mismatches;
    reset_peak_rss();
    double last = glfwGetTime(), cpu_start = 0;
    for (int f = 0; f < kWarmup + frames; ++f) {
        glfwPollEvents();
        int fb_w = 0, fb_h = 0;
        glfwGetFramebufferSize(window, &fb_w, &fb_h);
        const int k = f - kWarmup;
        if (k == 0) cpu_start = process_cpu_seconds();
        if (k == drag_start) slider = previous_widget_rect(bench_slider(panel));
        SimulatedMouse mouse{ImVec2(-FLT_MAX, -FLT_MAX), false};
        if (slider && k >= drag_start)
            mouse = slider_drag_at(*slider, k - drag_start, frames - drag_start);
        const double compute = render_frame(shell, window, damage, fb_w, fb_h, kDt, f, &mouse);
        const double now = glfwGetTime();
        if (first_frame_ms < 0) first_frame_ms = milliseconds_since_process_start();
        if (k >= 0) {
            frame_ms.push_back((now - last) * 1e3);
            shell_ms.push_back(compute * 1e3);
            damaged.push_back(damage.stats().fraction);
        }
        last = now;
    }
    return Json{{"p50_ms", round2(percentile(frame_ms, 0.50))},
                {"p95_ms", round2(percentile(frame_ms, 0.95))},
                {"p99_ms", round2(percentile(frame_ms, 0.99))},
                {"compute_ms", round2(percentile(shell_ms, 0.50))},
                {"compute_p95_ms", round2(percentile(shell_ms, 0.95))},
                {"cpu_ms_per_frame", round2((process_cpu_seconds() - cpu_start) * 1e3 / frames)},
                {"peak_rss_mb", round2(peak_rss_mb())},
                {"redrawn_fraction", round2(percentile(damaged, 0.5))},
                {"verify_mismatched_pixels", damage.stats().verify_mismatches - mismatches_before},
                {"frames", frames},
                {"input", slider ? std::string("drag ") + bench_slider(panel) : "none"}};
}

int run_bench(Shell& shell, GLFWwindow* window, const AppConfig& config) {
    record_widgets(true);
    glfwSwapInterval(0);  // time the work, not the display's refresh
    std::vector<std::string> panels = shell.panel_ids();
    if (!config.bench_panel.empty()) panels = {config.bench_panel};
    Json entries = Json::object();
    double first_frame_ms = -1;
    DamageRenderer damage(reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
    try {
        for (const std::string& panel : panels) {
            for (const bool heavy : {false, true}) {
                if (!shell.load_for_bench(panel, heavy)) continue;
                entries[heavy ? panel + ":heavy" : panel] =
                    bench_entry(shell, window, damage, panel, config.frames, first_frame_ms);
            }
        }
    } catch (const UserError& e) {
        std::cerr << "genlab: " << e.what() << "\n";
        return 2;
    }
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    const Json out{{"size", std::to_string(fb_w) + "x" + std::to_string(fb_h)},
                   {"first_frame_ms", round2(first_frame_ms)},
                   {"gl_renderer", reinterpret_cast<const char*>(glGetString(GL_RENDERER))},
                   {"panels", entries}};
    std::cout << out.dump(2) << std::endl;
    return 0;
}

}  // namespace

int run_app(const AppConfig& config) {
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) {
        std::cerr << no_window_message() << "\n";
        return 1;
    }
    GlfwSession glfw_session;
    const bool offscreen = !config.screenshot.empty();
    Settings settings = config.persist ? load_settings() : Settings{};
    if (config.bench) settings.window_width = config.width, settings.window_height = config.height;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, offscreen ? GLFW_FALSE : GLFW_TRUE);
    const int w = offscreen ? 640 : settings.window_width;
    const int h = offscreen ? 480 : settings.window_height;
    GLFWwindow* window = glfwCreateWindow(w, h, "GenLab", nullptr, nullptr);
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
        status = offscreen      ? run_screenshot(shell, config)
                 : config.bench ? run_bench(shell, window, config)
                                : run_interactive(shell, window);
    }
    glfwDestroyWindow(window);  // after ImGui has unhooked its callbacks from it
    return status;
}

}  // namespace genlab
