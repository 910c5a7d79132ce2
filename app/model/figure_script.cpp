// Figure scripts: reading and validating. See figure_script.hpp.
#include "figure_script.hpp"

#include <filesystem>
#include <set>

#include "errors.hpp"
#include "files.hpp"
#include "state.hpp"

namespace genlab {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kEntryKeys = {"file", "load", "set", "kind", "scale", "size", "frames"};

int integer_in(const Json& v, int lo, int hi, const std::string& where) {
    if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
        throw UserError(where + " must be an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "] (got " + v.dump() + ")");
    return v.get<int>();
}

std::vector<std::string> strings(const Json& entry, const char* key, const std::string& where) {
    std::vector<std::string> out;
    if (!entry.contains(key)) return out;
    const Json& list = entry.at(key);
    if (!list.is_array())
        throw UserError(where + "." + key + " must be a list of strings, e.g. [\"gan.lr=0.1\"]");
    for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string())
            throw UserError(where + "." + key + "[" + std::to_string(i) + "] must be a string");
        out.push_back(list[i].get<std::string>());
    }
    return out;
}

// A plain file name ending in .png: no folder, so nothing is written outside OUTDIR.
std::string file_name(const Json& entry, const std::string& where) {
    if (!entry.contains("file") || !entry.at("file").is_string())
        throw UserError(where + ".file is missing: the output's name, e.g. \"fig1.png\"");
    const std::string name = entry.at("file").get<std::string>();
    const fs::path p(name);
    if (name.empty() || p.has_parent_path() || name == "." || name == ".." ||
        p.extension() != ".png")
        throw UserError(where + ".file must be a plain file name ending in .png (got \"" + name +
                        "\")");
    return name;
}

FigureJob read_entry(const Json& entry, const std::string& where, const fs::path& script_dir,
                     const fs::path& out_dir) {
    if (!entry.is_object()) throw UserError(where + " must be an object with a \"file\"");
    for (auto it = entry.begin(); it != entry.end(); ++it)
        if (!kEntryKeys.count(it.key()))
            throw UserError(where + "." + it.key() +
                            " is not a figure key (file, load, set, kind, scale, size, frames)");
    FigureJob job;
    job.path = (out_dir / file_name(entry, where)).string();
    const std::string kind = entry.value("kind", std::string("figure"));
    if (kind != "figure" && kind != "window")
        throw UserError(where + ".kind must be \"figure\" or \"window\" (got \"" + kind + "\")");
    job.figure = kind == "figure";
    if (entry.contains("scale")) {
        job.scale = integer_in(entry.at("scale"), 1, 4, where + ".scale");
        if (job.scale == 3) throw UserError(where + ".scale must be 1, 2 or 4 (got 3)");
        if (!job.figure) throw UserError(where + ".scale is for \"kind\": \"figure\" only");
    }
    if (entry.contains("size")) {
        const Json& s = entry.at("size");
        if (!s.is_array() || s.size() != 2)
            throw UserError(where + ".size must be [width, height], e.g. [1600, 1000]");
        job.width = integer_in(s[0], 320, 8192, where + ".size[0]");
        job.height = integer_in(s[1], 240, 8192, where + ".size[1]");
    }
    if (entry.contains("frames"))
        job.frames = integer_in(entry.at("frames"), 1, 1000, where + ".frames");
    StateEdits edits;
    const std::vector<std::string> loads = strings(entry, "load", where);
    const std::vector<std::string> sets = strings(entry, "set", where);
    try {
        for (const std::string& l : loads) {
            const fs::path p = fs::path(l).is_absolute() ? fs::path(l) : script_dir / l;
            edits.add_file(p.string());
            job.loaded_files.push_back(p.string());
        }
        for (const std::string& s : sets) edits.add_set(s);
        job.state = default_state();
        edits.apply_to(job.state);
    } catch (const UserError& e) {
        throw UserError(where + ": " + e.what());
    }
    // Like the command line: the panel named, else the one edited.
    if (!edits.sets_panel() && !edits.panels_edited().empty())
        job.state["panel"] = edits.panels_edited().front();
    return job;
}

}  // namespace

std::vector<FigureJob> read_figure_script(const std::string& script_path,
                                          const std::string& out_dir) {
    std::error_code ec;
    if (out_dir.empty() || !fs::is_directory(out_dir, ec))
        throw UserError("--figures: the output folder '" + out_dir +
                        "' does not exist; create it first");
    const Json doc = parse_document(read_file_bounded(script_path, kMaxDocumentBytes), script_path);
    if (!doc.is_object() || !doc.contains("figures") || !doc.at("figures").is_array())
        throw UserError(script_path + ": a figure script is {\"version\": 1, \"figures\": [...]}");
    for (auto it = doc.begin(); it != doc.end(); ++it)
        if (it.key() != "version" && it.key() != "figures")
            throw UserError(script_path + ": '" + it.key() +
                            "' is not a script key (version, figures)");
    if (doc.value("version", kStateVersion) != kStateVersion)
        throw UserError(script_path + ": version must be " + std::to_string(kStateVersion));
    const Json& list = doc.at("figures");
    if (list.empty()) throw UserError(script_path + ": \"figures\" is empty; nothing to render");
    if (list.size() > static_cast<size_t>(kMaxFigureJobs))
        throw UserError(script_path + ": at most " + std::to_string(kMaxFigureJobs) +
                        " figures per script");
    const fs::path script_dir = fs::path(script_path).parent_path();
    std::vector<FigureJob> jobs;
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where = "figures[" + std::to_string(i) + "]";
        FigureJob job = read_entry(list[i], where, script_dir, out_dir);
        if (!names.insert(job.path).second)
            throw UserError(where + ".file '" + fs::path(job.path).filename().string() +
                            "' is already written by an earlier figure");
        jobs.push_back(std::move(job));
    }
    return jobs;
}

}  // namespace genlab
