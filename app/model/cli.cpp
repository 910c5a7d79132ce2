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

// "1600x1000": digits only on each side (no sign, spaces or overflow: sscanf's %d would wrap
// 99999999999 and accept " 12" and "+12").
void parse_size(const std::string& text, Options& out) {
    const auto side = [](const std::string& digits) {
        if (digits.empty() || digits.size() > 5 ||
            digits.find_first_not_of("0123456789") != std::string::npos) {
            return -1;
        }
        return std::stoi(digits);
    };
    const std::size_t x = text.find_first_of("xX");
    const int w = x == std::string::npos ? -1 : side(text.substr(0, x));
    const int h = x == std::string::npos ? -1 : side(text.substr(x + 1));
    if (w < 1 || h < 1 || w > kMaxImageSide || h > kMaxImageSide) {
        throw UserError("--size '" + text + "': expected WxH with 1 <= W, H <= " +
                        std::to_string(kMaxImageSide) + ", e.g. 1600x1000");
    }
    out.width = w;
    out.height = h;
}

// --report "" or --screenshot "" would otherwise read as "not given" and open the GUI; one
// path for two outputs would write one and then replace it with the other.
void check_output_paths(const Options& out, bool report_given, bool screenshot_given,
                        bool figure_given) {
    if (report_given && out.report.empty()) {
        throw UserError("--report needs a file path, or '-' for standard output");
    }
    if (screenshot_given && out.screenshot.empty()) {
        throw UserError("--screenshot needs a file path, e.g. --screenshot panel.png");
    }
    if (figure_given && out.figure.empty()) {
        throw UserError("--figure needs a file path, e.g. --figure figure.png");
    }
    const std::pair<const char*, std::string> outputs[] = {
        {"--report", out.report == "-" ? "" : out.report},
        {"--screenshot", out.screenshot},
        {"--figure", out.figure}};
    for (size_t i = 0; i < 3; ++i) {
        for (size_t k = i + 1; k < 3; ++k) {
            const std::string &a = outputs[i].second, &b = outputs[k].second;
            if (a.empty() || b.empty()) continue;
            std::error_code ec;
            if (a == b || fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec)) {
                throw UserError(std::string(outputs[i].first) + " and " + outputs[k].first +
                                " both write '" + a + "'; give them different paths");
            }
        }
    }
}

}  // namespace

int parse_cli(int argc, char** argv, Options& out) {
    CLI::App app{"GenLab: play with the theory of deep generative models.", "genlab"};
    app.set_version_flag("--version", std::string("genlab ") + kVersion);
    std::string panel, size;
    std::vector<std::string> loads, sets, files;
    auto* panel_opt = app.add_option("--panel", panel, "Open on a panel: " + panel_ids_joined());
    auto* load_opt = app.add_option("--load", loads, "Load a session or preset JSON (repeatable)");
    auto* set_opt = app.add_option("--set", sets, "KEY=VALUE, e.g. receptive_field.kernel=5")
                        ->allow_extra_args(false);
    // `genlab FILE.json`: what a file manager's "Open with" (assets/genlab.desktop) runs.
    auto* file_opt =
        app.add_option("file", files, "A session or preset JSON to open (as --load FILE)");
    auto* screenshot_opt =
        app.add_option("--screenshot", out.screenshot, "Render, write this PNG, and exit");
    auto* figure_opt = app.add_option(
        "--figure", out.figure,
        "Render, write the whole-panel figure (every plot with its title, legend and colourbar; "
        "no widgets) as this PNG, and exit");
    auto* scale_opt = app.add_option("--scale", out.figure_scale,
                                     "The --figure's resolution: 1, 2 or 4 times the screen's "
                                     "(default 1)")
                          ->check(CLI::IsMember({1, 2, 4}));
    auto* size_opt =
        app.add_option("--size", size,
                       "Window size WxH for --screenshot, --figure or --bench (default 1600x1000)");
    auto* frames_opt =
        app.add_option("--frames", out.frames,
                       "Frames to render: before the screenshot (default " +
                           std::to_string(kScreenshotFrames) + "), or per bench entry (default " +
                           std::to_string(kBenchFrames) + ")")
            ->check(CLI::Range(1, kMaxFrames));
    auto* report_opt =
        app.add_option("--report", out.report, "Write the panel's results as JSON ('-': stdout)");
    auto* state_opt = app.add_option(
        "--state", out.state,
        "Write the state the --load and --set options give, as a document --load reads, and "
        "exit without running the panel ('-': stdout)");
    auto* bench_opt = app.add_flag(
        "--bench", out.bench,
        "Time the real render loop on every panel's default and heavy preset (or --panel's) and "
        "print JSON");
    for (const char* other : {"--screenshot", "--figure", "--report", "--load", "--set", "--state"})
        bench_opt->excludes(app.get_option(other));
    bench_opt->excludes(file_opt);
    std::vector<std::string> figures;
    auto* figures_opt =
        app.add_option("--figures", figures,
                       "Render every figure of a script (SCRIPT.json OUTDIR; README: Figure "
                       "scripts), validated first, and exit")
            ->expected(2)
            ->type_name("SCRIPT OUTDIR");
    for (const char* other : {"--screenshot", "--figure", "--report", "--load", "--set", "--state",
                              "--bench", "--panel", "--size", "--frames", "--scale"})
        figures_opt->excludes(app.get_option(other));
    figures_opt->excludes(file_opt);
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
        if (figures.size() == 2) out.figures_script = figures[0], out.figures_dir = figures[1];
        if ((*size_opt || *frames_opt) && out.screenshot.empty() && out.figure.empty() &&
            !out.bench) {
            throw UserError(std::string(*size_opt ? "--size" : "--frames") +
                            " needs --screenshot, --figure or --bench");
        }
        if (*scale_opt && out.figure.empty()) {
            throw UserError("--scale sets the --figure's resolution; add --figure OUT.png");
        }
        if (out.frames == 0) out.frames = out.bench ? kBenchFrames : kScreenshotFrames;
        if (*panel_opt) {
            if (!find_panel_model(panel)) {
                throw UserError("--panel '" + panel + "': expected one of " + panel_ids_joined());
            }
            out.panel = panel;
        }
        if (*size_opt) parse_size(size, out);
        if (state_opt->count() > 0 && out.state.empty())
            throw UserError("--state needs a file path, or '-' for standard output");
        check_output_paths(out, report_opt->count() > 0, screenshot_opt->count() > 0,
                           figure_opt->count() > 0);
        // CLI11 keeps each option's values apart; parse_order() tells how they interleave.
        size_t next_load = 0, next_set = 0, next_file = 0;
        for (const CLI::Option* opt : app.parse_order()) {
            if (opt == load_opt) out.ops.push_back({StateOp::Load, loads.at(next_load++)});
            if (opt == file_opt) out.ops.push_back({StateOp::Load, files.at(next_file++)});
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

std::string apply_cli_ops(Json& state, const Options& options) {
    StateEdits edits;
    for (const StateOp& op : options.ops) {
        if (op.kind == StateOp::Load) {
            edits.add_file(op.text);
        } else {
            edits.add_set(op.text);
        }
    }
    edits.apply_to(state);
    if (options.panel) {
        state["panel"] = *options.panel;
        return "";
    }
    const std::vector<std::string> edited = edits.panels_edited();
    if (edits.sets_panel() || edited.empty()) return "";
    // No panel named: the one whose keys were edited (a report of another would ignore them).
    state["panel"] = edited.front();
    if (edited.size() == 1) return "";
    std::string all;
    for (const std::string& id : edited) all += (all.empty() ? "" : ", ") + id;
    return "the command line edits " + all + "; showing " + edited.front() +
           " (--panel picks another)";
}

void write_state(const Json& state, const std::string& path) {
    const std::string text = dump_document(state);
    if (path == "-") {
        std::cout << text << std::flush;
    } else {
        write_output(path, text);
    }
}

void write_report(const Json& state, const std::string& path) {
    const std::string text = dump_document(make_report(state));
    if (path == "-") {
        std::cout << text << std::flush;
    } else {
        write_output(path, text);  // a FIFO or /dev/stdout is written as a stream
    }
}

}  // namespace genlab
