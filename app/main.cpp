// genlab: entry point. Parses the command line, builds the starting state, then either
// writes a report (no display needed) or runs the GUI.
#include <iostream>

#include "app.hpp"
#include "cli.hpp"
#include "errors.hpp"
#include "figure_script.hpp"
#include "files.hpp"
#include "settings.hpp"
#include "state.hpp"

namespace {

// The saved session, or the defaults when there is none. A session that cannot be read is
// moved aside (never overwritten) and the user is told.
genlab::Json restore_session(std::string& note, bool& may_save) {
    using namespace genlab;
    Json state = default_state();
    const fs::path path = config_dir() / "session.json";
    std::error_code ec;
    if (!fs::exists(path, ec)) return state;
    try {
        load_file_into(state, path.string());
    } catch (const UserError& e) {
        const fs::path aside = unique_export_path(config_dir(), "session-unreadable", "json");
        fs::rename(path, aside, ec);
        if (ec) {  // could not move it: then it must not be overwritten either
            may_save = false;
            note = std::string("the saved session could not be loaded (") + e.what() +
                   ") nor moved aside (" + ec.message() +
                   "); it is left as it is and this run will not save the session";
        } else {
            note = std::string("the saved session could not be loaded (") + e.what() +
                   "); it was kept as " + aside.string() + " and the defaults are used";
        }
        state = default_state();
    }
    return state;
}

void add_note(std::string& notes, const std::string& note) {
    if (!note.empty()) notes += (notes.empty() ? "" : "; ") + note;
}

// A config folder that cannot be used (HOME unset with no home, a file in its place) is said
// at startup, and the run keeps no session or settings instead of failing later. What a
// killed save left behind is removed.
void prepare_config_folder(genlab::AppConfig& config) {
    using namespace genlab;
    try {
        remove_orphaned_temp_files(config_dir());
    } catch (const UserError& e) {
        config.persist = false;
        add_note(config.startup_note,
                 std::string(e.what()) + "; this run restores and saves no session or settings");
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace genlab;
    Options options;
    if (const int code = parse_cli(argc, argv, options); code >= 0) return code;
    try {
        AppConfig config;
        config.persist = !options.reproducible();
        if (!options.figures_script.empty()) {  // every entry checked before a window opens
            config.figure_jobs = read_figure_script(options.figures_script, options.figures_dir);
            config.state = default_state();
            return run_app(config);
        }
        // Bad --load/--set input is an error before any session is read or moved.
        config.state = default_state();
        const std::string choice = apply_cli_ops(config.state, options);
        if (config.persist) prepare_config_folder(config);
        if (config.persist) {
            config.state = restore_session(config.startup_note, config.save_session);
            apply_cli_ops(config.state, options);
            std::string problem;
            config.settings = load_settings(&problem);
            add_note(config.startup_note, problem);
        }
        if (!choice.empty()) std::cerr << "genlab: " << choice << "\n";
        if (!options.state.empty()) {
            write_state(config.state, options.state);
            if (options.report.empty() && options.screenshot.empty() && options.figure.empty())
                return 0;
        }
        if (!options.report.empty()) {
            write_report(config.state, options.report);
            if (options.screenshot.empty() && options.figure.empty()) return 0;
        }
        config.screenshot = options.screenshot;
        config.figure = options.figure;
        config.figure_scale = options.figure_scale;
        config.width = options.width;
        config.height = options.height;
        config.frames = options.frames;
        config.bench = options.bench;
        for (const StateOp& op : options.ops) {
            if (op.kind == StateOp::Load) config.loaded_files.push_back(op.text);
        }
        if (options.bench && options.panel) config.bench_panel = *options.panel;
        return run_app(config);
    } catch (const UserError& e) {
        std::cerr << "genlab: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "genlab: internal error: " << e.what() << "\n";
        return 3;
    }
}
