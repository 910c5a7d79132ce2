// libFuzzer target for everything GenLab reads from outside: session/preset documents and
// `--set KEY=VALUE` arguments. Build with the `sanitize` preset; run with scripts/fuzz.sh.
//
// Input: a state document, optionally followed by a NUL byte and `--set` assignments, one
// per line, and optionally by another NUL and command-line arguments, one per line:
//   {"version": 1, "gan": {...}}\0gan.gamma=0.5\nrf.masks=A,B\0--size\n12x10\n--report\nx
//
// For every input it checks the contracts of app/model/state.hpp:
//   - bad input is a UserError (any other exception, or a crash, is a finding), and a
//     rejected document or assignment leaves the state exactly as it was;
//   - an accepted state is canonical: normalizing it again changes nothing;
//   - every panel's model simulates it (report and CSV) and the report can be written;
//   - save (dump_document) and load again (parse_document + merge_document into the
//     defaults) give back an equal state.
//   - the command line (parse_cli, which touches no file) never throws: it returns an exit
//     status, or fills Options whose --size is within 1..8192 per side and whose --report
//     and --screenshot paths, when given, are not empty and not the same.
// Any broken contract aborts, so libFuzzer keeps the input as a crash.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include <vector>

#include "cli.hpp"
#include "errors.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

[[noreturn]] void fail(const char* what, const Json& a, const Json& b) {
    std::fprintf(stderr, "fuzz_state: %s\n--- before:\n%s\n--- after:\n%s\n", what,
                 a.dump(2).c_str(), b.dump(2).c_str());
    std::abort();
}

// Runs a step that may reject its input; a rejection must leave `state` untouched.
template <typename Step>
void all_or_nothing(Json& state, const char* what, Step step) {
    const Json before = state;
    try {
        step();
    } catch (const UserError&) {
        if (state != before) fail(what, before, state);
    }
}

// The simulation cost is capped so that one input stays fast (libFuzzer explores breadth,
// not a 100k-step GAN run): the fuzzer simulates a copy of the state with its work keys
// clamped to small values. The copy goes through merge_document, so it is a valid state
// and the clamping itself is checked like any other input. The round trip below uses the
// unclamped state.
Json cheap_copy(const Json& state) {
    Json patch = Json::object();
    const auto clamp = [&](const char* panel, const char* key, long long most) {
        const Json& value = state.at(panel).at(key);
        if (value.is_number() && value.get<double>() > static_cast<double>(most)) {
            patch[panel][key] = most;
        }
    };
    clamp("gan", "steps", 200);
    clamp("kl", "iterations", 10);
    clamp("kl", "mc_samples", 64);
    clamp("kl", "iterations_per_frame", 100);
    clamp("flow", "samples", 100);
    clamp("flow", "resolution", 16);
    clamp("dropout", "n", 100);  // the heavy preset (n 2000, 20000 SGD steps) took > 30 s
    clamp("dropout", "sgd_steps", 200);
    clamp("dropout", "mc_masks", 64);
    clamp("ssl", "steps", 100);
    clamp("vi", "encoder_steps", 20);  // each step: n points × 64 Gauss–Hermite nodes
    clamp("vi", "data_n", 4);          // each point: three exact-ELBO fits for q_i*
    clamp("vi", "mc_samples", 64);
    clamp("vi", "est_repeats", 100);
    clamp("vi", "rp_samples", 100);
    clamp("div", "steps", 20);  // each step: 2·batch samples through the discriminator
    clamp("div", "train_size", 200);
    clamp("div", "jsd_samples", 200);
    const auto first = [&](const char* panel, const char* key, size_t most) {
        const Json& list = state.at(panel).at(key);
        if (list.is_array() && list.size() > most) {
            patch[panel][key] = Json(list.begin(), list.begin() + most);
        }
    };
    first("gan", "extra_starts", 2);
    first("flow", "layers", 4);  // the report's mass: up to 20000 inverses through each
    // A training state's report trains flow.train.steps (a preset: 3000 steps of 32 layers).
    Json train = state.at("flow").at("train");
    bool cut = false;
    const std::array<std::pair<const char*, int>, 3> train_caps = {
        {{"steps", 20}, {"batch", 32}, {"K", 4}}};
    for (const auto& [key, most] : train_caps) {
        if (train.contains(key) && train[key].is_number() && train[key].get<double>() > most) {
            train[key] = most;
            cut = true;
        }
    }
    if (cut) patch["flow"]["train"] = train;
    Json cheap = state;
    merge_document(cheap, patch, "the fuzzer's cost cap");
    return cheap;
}

// Simulating is a pure function of one panel's state, and most inputs leave most panels at a
// state already simulated (the defaults, above all): those are skipped, so the time goes to
// new states. A fixed ring of hashes, so the check itself never allocates (libFuzzer re-runs
// an input under the leak checker whenever mallocs and frees differ).
bool simulated_before(const std::string& panel_state) {
    static std::array<size_t, 4096> seen{};
    static size_t next = 0;
    const size_t h = std::hash<std::string>{}(panel_state) | 1;  // 0 marks an empty slot
    if (std::find(seen.begin(), seen.end(), h) != seen.end()) return true;
    seen[next++ % seen.size()] = h;
    return false;
}

void simulate_every_panel(const Json& state) {
    for (const PanelModel* model : all_panel_models()) {
        const Json& panel = state.at(model->id());
        if (simulated_before(model->id() + panel.dump())) continue;
        const Json canonical = model->normalize(panel);
        if (canonical != panel) fail("an accepted panel state is not canonical", panel, canonical);
        Json copy = state;
        copy["panel"] = model->id();
        (void)dump_document(make_report(copy));  // throws on a non-finite number
        (void)model->csv(panel);
    }
}

void save_and_load_again(const Json& state) {
    const std::string saved = dump_document(state);
    Json loaded = default_state();
    merge_document(loaded, parse_document(saved, "the saved state"), "the saved state");
    if (loaded != state) fail("save + load changed the state", state, loaded);
}

// --help and --keys print a page each: left out, they only slow the run down.
void parse_command_line(const std::string& lines) {
    std::vector<std::string> args{"genlab"};
    size_t start = 0;
    while (start <= lines.size()) {
        const size_t end = std::min(lines.find('\n', start), lines.size());
        args.push_back(lines.substr(start, end - start));
        start = end + 1;
    }
    for (const std::string& a : args) {
        if (a.rfind("--h", 0) == 0 || a.rfind("-h", 0) == 0 || a.rfind("--k", 0) == 0 ||
            a.rfind("--v", 0) == 0) {
            return;
        }
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    Options options;
    int code = 0;
    try {
        code = parse_cli(static_cast<int>(argv.size()), argv.data(), options);
    } catch (const std::exception& e) {
        fail("parse_cli threw", Json(e.what()), Json(lines));
    }
    if (code >= 0) return;
    if (options.width < 1 || options.width > kMaxImageSide || options.height < 1 ||
        options.height > kMaxImageSide) {
        fail("parse_cli accepted a --size out of range", Json(lines),
             Json::array({options.width, options.height}));
    }
    // The size accepted is the one written: "4294967297x10" once wrapped to 1×10.
    size_t last = 0;  // the last --size is the one CLI11 keeps, if it accepts several
    for (size_t i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == "--size") last = i;
    }
    if (last > 0) {
        const std::string& text = args[last + 1];
        const size_t x = text.find_first_of("xX");
        const auto digits = [](const std::string& t) {
            return !t.empty() && t.size() < 7 &&
                   t.find_first_not_of("0123456789") == std::string::npos;
        };
        if (x == std::string::npos || !digits(text.substr(0, x)) || !digits(text.substr(x + 1)) ||
            std::stoi(text.substr(0, x)) != options.width ||
            std::stoi(text.substr(x + 1)) != options.height) {
            fail("parse_cli accepted a --size other than the one written", Json(text),
                 Json::array({options.width, options.height}));
        }
    }
    if (!options.report.empty() && options.report != "-" && options.report == options.screenshot) {
        fail("parse_cli accepted one path for --report and --screenshot", Json(lines),
             Json(options.report));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const size_t nul = input.find('\0');
    const std::string document = input.substr(0, nul);

    Json state = default_state();
    all_or_nothing(state, "a rejected document changed the state", [&] {
        merge_document(state, parse_document(document, "fuzz.json"), "fuzz.json");
    });
    const size_t cli_nul = nul == std::string::npos ? nul : input.find('\0', nul + 1);
    if (cli_nul != std::string::npos) parse_command_line(input.substr(cli_nul + 1));
    const size_t sets_end = cli_nul == std::string::npos ? input.size() : cli_nul;
    if (nul != std::string::npos) {
        size_t start = nul + 1;
        while (start <= sets_end) {
            const size_t end = std::min(input.find('\n', start), sets_end);
            const std::string assignment = input.substr(start, end - start);
            all_or_nothing(state, "a rejected --set changed the state",
                           [&] { apply_set(state, assignment); });
            const size_t eq = assignment.find('=');
            if (eq != std::string::npos) {
                try {
                    (void)parse_set_value(assignment.substr(eq + 1));
                } catch (const UserError&) {
                }
            }
            start = end + 1;
        }
    }
    try {
        simulate_every_panel(cheap_copy(state));
    } catch (const UserError& e) {
        std::fprintf(stderr, "fuzz_state: an accepted state failed to simulate: %s\n", e.what());
        std::abort();
    }
    save_and_load_again(state);
    return 0;
}
