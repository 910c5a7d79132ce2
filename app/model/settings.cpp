// Settings I/O. See settings.hpp.
#include "settings.hpp"

#include <iostream>

#include "errors.hpp"
#include "fields.hpp"
#include "state.hpp"

namespace genlab {

Settings load_settings() { return load_settings(config_dir() / "settings.json"); }

Settings load_settings(const fs::path& file) {
    Settings s;
    std::error_code ec;
    s.export_folder = fs::current_path(ec).string();
    try {
        const Json j = parse_document(read_file_bounded(file, 1 << 20), "settings.json");
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

void save_settings(const Settings& s) { save_settings(s, config_dir() / "settings.json"); }

void save_settings(const Settings& s, const fs::path& file) {
    try {
        write_file_atomic(file, Json{{"export_folder", s.export_folder},
                                     {"window", {s.window_width, s.window_height}}}
                                    .dump(2));
    } catch (const UserError& e) {
        std::cerr << "genlab: " << e.what() << "\n";
    }
}

}  // namespace genlab
