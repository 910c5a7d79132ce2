#include "test_dump.hpp"

#include <glad/gl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "errors.hpp"
#include "files.hpp"

namespace genlab {

namespace {

const char* dump_dir() {
    static const char* dir = std::getenv("GENLAB_TEST_DUMP");
    return dir && *dir ? dir : nullptr;
}

Json& widgets() {
    static Json w = Json::object();
    return w;
}

Json& previous_widgets() {
    static Json w = Json::object();
    return w;
}

bool g_record_widgets = false;
bool recording() { return dump_dir() != nullptr || g_record_widgets; }

Json& values() {
    static Json v = Json::object();
    return v;
}

int g_gl_errors = 0;
volatile std::sig_atomic_t g_force_framebuffer = 0;  // toggled by SIGUSR1
long g_forced_loops = 0;

void toggle_forced_framebuffer(int) { g_force_framebuffer = !g_force_framebuffer; }

}  // namespace

bool test_dump_enabled() { return dump_dir() != nullptr; }

void record_widgets(bool on) { g_record_widgets = on; }

namespace {
// This frame's rectangles become the previous frame's (what previous_widget_rect reads).
void end_widget_frame() {
    previous_widgets() = std::move(widgets());
    widgets() = Json::object();
}
}  // namespace

std::optional<std::array<float, 4>> previous_widget_rect(const std::string& prefix) {
    const auto& w = previous_widgets().get_ref<const Json::object_t&>();  // a std::map
    const auto it = w.lower_bound(prefix);
    if (it == w.end() || it->first.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const Json& r = it->second;
    return std::array<float, 4>{r[0].get<float>(), r[1].get<float>(), r[2].get<float>(),
                                r[3].get<float>()};
}

void mark_rect(const std::string& id, ImVec2 min, ImVec2 max) {
    if (!recording()) return;
    widgets()[id] = {min.x, min.y, max.x - min.x, max.y - min.y};
}

void mark_value(const std::string& id, const Json& value) {
    if (dump_dir()) values()[id] = value;
}

void mark_item(const std::string& id) {
    if (!recording()) return;
    mark_rect(id, ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
}

void write_test_dump(int frame, const Json& extra) {
    if (!dump_dir()) {
        end_widget_frame();
        return;
    }
    static std::string last;
    for (GLenum e = glGetError(); e != GL_NO_ERROR; e = glGetError()) ++g_gl_errors;
    Json doc = extra;
    doc["gl_errors"] = g_gl_errors;
    doc["forced_framebuffer_loops"] = g_forced_loops;
    doc["widgets"] = widgets();
    doc["values"] = values();
    const std::string body = doc.dump();
    end_widget_frame();
    values() = Json::object();
    if (body == last) return;
    last = body;
    doc["frame"] = frame;
    try {
        write_file_atomic(fs::path(dump_dir()) / "ui.json", doc.dump(1));
    } catch (const UserError&) {
        // A test harness that removed its folder is not the user's problem.
    }
}

void test_override_framebuffer(int& width, int& height) {
    static int forced_w = -1, forced_h = -1;
    static const bool enabled = [] {
        const char* spec = std::getenv("GENLAB_TEST_FORCE_FRAMEBUFFER");
        if (!spec || std::sscanf(spec, "%dx%d", &forced_w, &forced_h) != 2) return false;
        std::signal(SIGUSR1, toggle_forced_framebuffer);
        return true;
    }();
    if (!enabled || !g_force_framebuffer) return;
    width = forced_w;
    height = forced_h;
    ++g_forced_loops;
}

}  // namespace genlab
