// Presets: discovery and loading. See presets.hpp.
#include "presets.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "errors.hpp"
#include "state.hpp"

namespace genlab {

fs::path asset_dir(const fs::path& built_in) {
    if (const char* env = std::getenv("GENLAB_ASSETS"); env && *env) return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& candidate :
         {exe.parent_path() / "assets", exe.parent_path().parent_path() / "share/genlab/assets",
          built_in}) {
        if (fs::is_directory(candidate / "presets", ec)) return candidate;
    }
    return built_in;
}

bool natural_less(const std::string& a, const std::string& b) {
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            std::size_t i_end = i, j_end = j;
            while (i_end < a.size() && digit(a[i_end])) ++i_end;
            while (j_end < b.size() && digit(b[j_end])) ++j_end;
            // Without leading zeros, the longer run is the larger number.
            std::size_t i0 = i, j0 = j;
            while (i0 + 1 < i_end && a[i0] == '0') ++i0;
            while (j0 + 1 < j_end && b[j0] == '0') ++j0;
            const std::string_view x(a.data() + i0, i_end - i0), y(b.data() + j0, j_end - j0);
            if (x.size() != y.size()) return x.size() < y.size();
            if (x != y) return x < y;
            i = i_end, j = j_end;
        } else {
            if (a[i] != b[j])
                return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i, ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

std::vector<Preset> load_presets(const fs::path& dir, std::string& problems) {
    std::vector<Preset> presets;
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
        return natural_less(a.filename().string(), b.filename().string());
    });
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
            p.question = question_of(p.document, p.path, probe);
            presets.push_back(std::move(p));
        } catch (const std::exception& e) {  // UserError, or a filesystem error
            problems += std::string(problems.empty() ? "" : "; ") + e.what();
        }
    }
    return presets;
}

const Preset* find_heavy_preset(const std::vector<Preset>& presets, const std::string& panel) {
    const auto p = std::find_if(presets.begin(), presets.end(), [&](const Preset& p) {
        return p.panel == panel &&
               fs::path(p.path).filename().string().find("_heavy") != std::string::npos;
    });
    return p == presets.end() ? nullptr : &*p;
}

}  // namespace genlab
