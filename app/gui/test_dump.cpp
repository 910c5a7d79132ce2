#include "test_dump.hpp"

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

Json& values() {
    static Json v = Json::object();
    return v;
}

}  // namespace

bool test_dump_enabled() { return dump_dir() != nullptr; }

void mark_rect(const std::string& id, ImVec2 min, ImVec2 max) {
    if (!dump_dir()) return;
    widgets()[id] = {min.x, min.y, max.x - min.x, max.y - min.y};
}

void mark_value(const std::string& id, const Json& value) {
    if (dump_dir()) values()[id] = value;
}

void mark_item(const std::string& id) {
    if (!dump_dir()) return;
    mark_rect(id, ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
}

void write_test_dump(int frame, const Json& extra) {
    if (!dump_dir()) return;
    static std::string last;
    Json doc = extra;
    doc["widgets"] = widgets();
    doc["values"] = values();
    const std::string body = doc.dump();
    widgets() = Json::object();
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

}  // namespace genlab
