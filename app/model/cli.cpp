// The command line: CLI11 options, their cross-checks, --keys, and the state operations.
#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "errors.hpp"
#include "files.hpp"
#include "state.hpp"
#include "version.hpp"

namespace genlab {

namespace {

void parse_size(const std::string& text, Options& out) {
    int w = 0, h = 0;
    char x = 0, extra = 0;
    const int got = std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra);
    if (got != 3 || (x != 'x' && x != 'X') || w < 1 || h < 1 || w > kMaxImageSide ||
        h > kMaxImageSide) {
        throw UserError("--size '" + text + "': expected WxH with 1 <= W, H <= " +
                        std::to_string(kMaxImageSide) + ", e.g. 1600x1000");
    }
    out.width = w;
    out.height = h;
}

}  // namespace

int parse_cli(int argc, char** argv, Options& out) {
    CLI::App app{"GenLab: play with the theory of deep generative models.", "genlab"};
    app.set_version_flag("--version", std::string("genlab ") + kVersion);
    std::string panel, size;
    std::vector<std::string> loads, sets;
    auto* panel_opt = app.add_option("--panel", panel, "Open on a panel: " + panel_ids_joined());
    auto* load_opt = app.add_option("--load", loads, "Load a session or preset JSON (repeatable)");
    auto* set_opt = app.add_option("--set", sets, "KEY=VALUE, e.g. receptive_field.kernel=5")
                        ->allow_extra_args(false);
    app.add_option("--screenshot", out.screenshot, "Render, write this PNG, and exit");
    auto* size_opt =
        app.add_option("--size", size, "Screenshot or bench size WxH (default 1600x1000)");
    auto* frames_opt =
        app.add_option("--frames", out.frames,
                       "Frames to render: before the screenshot (default " +
                           std::to_string(kScreenshotFrames) + "), or per bench entry (default " +
                           std::to_string(kBenchFrames) + ")")
            ->check(CLI::Range(1, kMaxFrames));
    app.add_option("--report", out.report, "Write the panel's results as JSON ('-': stdout)");
    auto* bench_opt = app.add_flag(
        "--bench", out.bench,
        "Time the real render loop on every panel's default and heavy preset (or --panel's) and "
        "print JSON");
    for (const char* other : {"--screenshot", "--report", "--load", "--set"})
        bench_opt->excludes(app.get_option(other));
    bool keys = false;
    app.add_flag("--keys", keys,
                 "Print every panel's numeric keys (range, default) as JSON {\"keys\": [...]}, "
                 "and exit");
    try {
        app.parse(argc, argv);
        if (keys) {
            std::cout << keys_document().dump(2) << "\n";
            return 0;
        }
        if ((*size_opt || *frames_opt) && out.screenshot.empty() && !out.bench) {
            throw UserError(std::string(*size_opt ? "--size" : "--frames") +
                            " needs --screenshot or --bench");
        }
        if (out.frames == 0) out.frames = out.bench ? kBenchFrames : kScreenshotFrames;
        if (*panel_opt) {
            if (!find_panel_model(panel)) {
                throw UserError("--panel '" + panel + "': expected one of " + panel_ids_joined());
            }
            out.panel = panel;
        }
        if (*size_opt) parse_size(size, out);
        // CLI11 keeps each option's values apart; parse_order() tells how they interleave.
        size_t next_load = 0, next_set = 0;
        for (const CLI::Option* opt : app.parse_order()) {
            if (opt == load_opt) out.ops.push_back({StateOp::Load, loads.at(next_load++)});
            if (opt == set_opt) out.ops.push_back({StateOp::Set, sets.at(next_set++)});
        }
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::CallForVersion&) {
        std::cout << "genlab " << kVersion << "\n";
        return 0;
    } catch (const CLI::ParseError& e) {
        std::cerr << "genlab: " << e.what() << " (see genlab --help)\n";
        return 2;
    } catch (const UserError& e) {
        std::cerr << "genlab: " << e.what() << "\n";
        return 2;
    }
    return -1;
}

Json keys_document() {
    Json keys = Json::array();
    for (const PanelModel* model : all_panel_models()) {
        for (const Json& key : model->keys()) keys.push_back(key);
    }
    return Json{{"keys", keys}};
}

void apply_cli_ops(Json& state, const Options& options) {
    for (const StateOp& op : options.ops) {
        if (op.kind == StateOp::Load) {
            load_file_into(state, op.text);
        } else {
            apply_set(state, op.text);
        }
    }
    if (options.panel) apply_set(state, "panel=" + *options.panel);
}

void write_report(const Json& state, const std::string& path) {
    const std::string text = dump_document(make_report(state));
    if (path == "-") {
        std::cout << text << std::flush;
    } else {
        write_file_atomic(path, text);
    }
}

}  // namespace genlab
