// Settings I/O. See settings.hpp.
#include "settings.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "errors.hpp"
#include "fields.hpp"
#include "state.hpp"

namespace genlab {

Settings load_settings(std::string* problem) {
    return load_settings(config_dir() / "settings.json", problem);
}

Settings load_settings(const fs::path& file, std::string* problem) {
    Settings s;
    std::error_code ec;
    s.export_folder = fs::current_path(ec).string();
    if (!fs::exists(fs::symlink_status(file, ec))) return s;
    Json j;
    try {
        j = parse_document(read_file_bounded(file, 1 << 20), file.string());
        if (!j.is_object()) throw UserError(file.string() + " does not hold a JSON object");
    } catch (const UserError& e) {
        const fs::path aside =
            unique_export_path(file.parent_path(), "settings-unreadable", "json");
        fs::rename(file, aside, ec);
        if (problem) {
            *problem = std::string("the settings could not be read (") + e.what() + "); " +
                       (ec ? "they could not be moved aside either (" + ec.message() + ")"
                           : "they were kept as " + aside.string()) +
                       " and the defaults are used";
        }
        return s;
    }
    std::string wrong;
    if (j.contains("export_folder")) {
        if (j["export_folder"].is_string()) {
            s.export_folder = j["export_folder"].get<std::string>();
        } else {
            wrong = "export_folder must be a string";
        }
    }
    if (j.contains("window")) {
        try {
            if (!j["window"].is_array() || j["window"].size() != 2) {
                throw UserError("window must be [width, height]");
            }
            const int w = static_cast<int>(whole_number(j["window"][0], 320, 8192, "window[0]"));
            const int h = static_cast<int>(whole_number(j["window"][1], 240, 8192, "window[1]"));
            s.window_width = w, s.window_height = h;
        } catch (const UserError& e) {
            wrong += (wrong.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    if (problem && !wrong.empty()) {
        *problem = file.string() + ": " + wrong + " (the default is used)";
    }
    return s;
}

WindowSize fit_window(int width, int height, int area_w, int area_h) {
    constexpr int kMinWidth = 320, kMinHeight = 240;  // load_settings' lower bounds
    if (area_w > 0) width = std::max(kMinWidth, std::min(width, area_w));
    if (area_h > 0) height = std::max(kMinHeight, std::min(height, area_h));
    return {width, height};
}

bool save_settings(const Settings& s) { return save_settings(s, config_dir() / "settings.json"); }

bool save_settings(const Settings& s, const fs::path& file) {
    try {
        write_file_atomic(file, Json{{"export_folder", s.export_folder},
                                     {"window", {s.window_width, s.window_height}}}
                                    .dump(2));
        return true;
    } catch (const UserError& e) {
        std::cerr << "genlab: settings not saved: " << e.what() << "\n";
        return false;
    }
}

int remove_orphaned_temp_files(const fs::path& folder) {
    int removed = 0;
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - std::chrono::minutes(1);
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        const std::string name = entry.path().filename().string();
        // write_temp_beside's names: "." + target + ".tmp-" + a random number.
        if (name.empty() || name[0] != '.' || name.find(".tmp-") == std::string::npos) continue;
        if (!entry.is_regular_file(ec) || entry.last_write_time(ec) > cutoff || ec) continue;
        if (fs::remove(entry.path(), ec)) ++removed;
    }
    return removed;
}

}  // namespace genlab
