#include "state.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "errors.hpp"
#include "files.hpp"

namespace genlab {

namespace {

std::string allowed_keys(const Json& defaults) {
    std::string keys;
    for (auto it = defaults.begin(); it != defaults.end(); ++it) {
        keys += (keys.empty() ? "" : ", ") + it.key();
    }
    return keys;
}

void require_all_finite(const Json& value, const std::string& where) {
    if (value.is_number_float() && !std::isfinite(value.get<double>())) {
        throw UserError(where + " holds a number that is not finite (NaN, Inf or beyond 1e308)");
    }
    if (value.is_structured()) {
        for (const auto& item : value) require_all_finite(item, where);
    }
}

// Checks a panel's patch before any value is used: an object of known keys, finite numbers.
void check_patch(const PanelModel& model, const Json& patch, const std::string& origin) {
    if (!patch.is_object()) {
        throw UserError(origin + ": '" + model.id() + "' must be an object of keys (" +
                        allowed_keys(model.defaults()) + ")");
    }
    const Json defaults = model.defaults();
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (!defaults.contains(it.key())) {
            throw UserError(origin + ": unknown key '" + model.id() + "." + it.key() +
                            "' (allowed: " + allowed_keys(defaults) + ")");
        }
        require_all_finite(it.value(), origin + ": '" + model.id() + "." + it.key() + "'");
    }
}

// Merges `patch` key by key onto a panel's current state, then normalizes the result.
Json merged_panel(const PanelModel& model, const Json& current, const Json& patch,
                  const std::string& origin) {
    check_patch(model, patch, origin);
    Json merged = current;
    for (auto it = patch.begin(); it != patch.end(); ++it) merged[it.key()] = it.value();
    try {
        return model.normalize(merged);
    } catch (const UserError& e) {
        throw UserError(origin + ": " + e.what());
    }
}

// Command-line text is raw bytes, but a JSON string (the state, a report, and every error
// message that quotes a value) must be UTF-8: nlohmann::json throws a type_error when it
// writes one that is not, far from the input that caused it. So --set checks its text here.
void require_utf8(const std::string& text, const std::string& what) {
    try {
        (void)Json(text).dump();
    } catch (const Json::type_error&) {
        throw UserError(what + " is not valid UTF-8 text; write it as plain (UTF-8) text, e.g. " +
                        "gan.gamma=0.5");
    }
}

// A number token whose mantissa has a non-zero digit but which reads as 0 (1e-400): JSON
// parsers silently give 0, which the user did not write. Exponent digits do not count.
bool underflows_to_zero(const std::string& token) {
    const size_t exponent = token.find_first_of("eE");
    const std::string mantissa = token.substr(0, exponent);
    if (mantissa.find_first_of("123456789") == std::string::npos) return false;
    return std::strtod(token.c_str(), nullptr) == 0;
}

// The first number token outside strings that underflows, or "" (JSON text, any validity).
std::string first_underflowing_number(const std::string& text) {
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const size_t end = text.find_first_not_of("0123456789+-.eE", i);
            const std::string token = text.substr(i, end - i);
            if (underflows_to_zero(token)) return token;
            if (end == std::string::npos) break;
            i = end - 1;
        }
    }
    return "";
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(const std::string& t) {
    size_t i = 0;
    const auto digits = [&] {
        const size_t from = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        return i > from;
    };
    if (i < t.size() && t[i] == '-') ++i;
    if (i < t.size() && t[i] == '0') {
        ++i;
    } else if (!digits()) {
        return false;
    }
    if (i < t.size() && t[i] == '.' && (++i, !digits())) return false;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == t.size();
}

// Text that C's strtod reads as a number but JSON does not: hex, inf/nan, "+1", ".5", " 5".
bool looks_numeric(const std::string& t) {
    if (t.empty()) return false;
    char* end = nullptr;
    std::strtod(t.c_str(), &end);
    return end != t.c_str() && t.find_first_not_of(" \t\r\n", end - t.c_str()) == std::string::npos;
}

const PanelModel& require_panel(const std::string& id, const std::string& origin) {
    const PanelModel* model = find_panel_model(id);
    if (!model) {
        throw UserError(origin + ": unknown panel '" + id + "' (allowed: " + panel_ids_joined() +
                        ")");
    }
    return *model;
}

}  // namespace

Json default_state() {
    Json state = {{"version", kStateVersion}, {"panel", all_panel_models().front()->id()}};
    for (const PanelModel* model : all_panel_models()) state[model->id()] = model->defaults();
    return state;
}

Json parse_document(const std::string& text, const std::string& origin) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw UserError(origin + " is empty; expected a JSON object like {\"version\": 1, ...}");
    }
    if (text.size() > kMaxDocumentBytes) {
        throw UserError(origin + " is larger than " + std::to_string(kMaxDocumentBytes >> 20) +
                        " MB");
    }
    // The callback sees the depth before values are built, so a deeply nested file stops
    // early instead of exhausting memory.
    const auto depth_guard = [&](int depth, Json::parse_event_t, Json&) {
        if (depth > kMaxDocumentDepth) {
            throw UserError(origin + " is nested deeper than " + std::to_string(kMaxDocumentDepth) +
                            " levels");
        }
        return true;
    };
    if (const std::string tiny = first_underflowing_number(text); !tiny.empty()) {
        throw UserError(origin + " has the number " + tiny +
                        ", which is below the smallest double and would read as 0; write 0 or a "
                        "number above 1e-300");
    }
    try {
        return Json::parse(text, depth_guard);
    } catch (const Json::parse_error& e) {
        std::string what = e.what();
        const auto colon = what.find("parse error");
        throw UserError(origin + " is not valid JSON (" +
                        (colon == std::string::npos ? what : what.substr(colon)) + ")");
    } catch (const Json::exception& e) {  // e.g. out_of_range: "number overflow parsing '1e400'"
        std::string what = e.what();
        const auto bracket = what.find("] ");
        throw UserError(origin + " cannot be read: " +
                        (bracket == std::string::npos ? what : what.substr(bracket + 2)));
    }
}

namespace {

// A preset (a document with a title or a description) sets every key of its panels: the
// panel's defaults plus the preset, never what the state held before (issue 12: after the
// non-saturating loss, "Dirac-GAN without R1 cycles forever" spiralled inward). A session
// or a --set merges key by key.
bool is_preset(const Json& document) {
    return document.is_object() && (document.contains("title") || document.contains("description"));
}

Json complete_panel(const PanelModel& model, const Json& document, const Json& patch) {
    if (!is_preset(document) || !patch.is_object()) return patch;
    Json full = model.defaults();
    for (auto it = patch.begin(); it != patch.end(); ++it) full[it.key()] = it.value();
    return full;
}

// The document's top-level shape: an object, a supported version, a known panel, known panel
// keys. Calls `each_panel(model, patch)` for every panel it holds.
template <typename EachPanel>
void check_document(const Json& document, const std::string& origin, EachPanel each_panel) {
    if (!document.is_object()) {
        throw UserError(origin + " must hold a JSON object like {\"version\": 1, ...}");
    }
    for (auto it = document.begin(); it != document.end(); ++it) {
        const std::string& key = it.key();
        if (key == "version") {
            if (!it->is_number_integer() || it->get<long long>() != kStateVersion) {
                throw UserError(origin + ": unsupported version " + it->dump() +
                                " (this GenLab reads version " + std::to_string(kStateVersion) +
                                ")");
            }
        } else if (key == "panel") {
            if (!it->is_string()) {
                throw UserError(origin + ": 'panel' must be one of " + panel_ids_joined());
            }
            require_panel(it->get<std::string>(), origin);
        } else if (key == "title" || key == "description" || key == "question") {
            // Preset metadata: shown in the GUI, not part of the state.
        } else {
            const PanelModel& model = require_panel(key, origin);
            check_patch(model, *it, origin);  // unknown keys are named before defaults fill in
            each_panel(model, complete_panel(model, document, *it));
        }
    }
}

}  // namespace

void merge_document(Json& state, const Json& document, const std::string& origin) {
    Json next = state;
    check_document(document, origin, [&](const PanelModel& model, const Json& patch) {
        next[model.id()] = merged_panel(model, next[model.id()], patch, origin);
    });
    if (document.contains("panel")) next["panel"] = document["panel"];
    state = std::move(next);
}

void StateEdits::add_document(const Json& document, const std::string& origin) {
    check_document(document, origin, [&](const PanelModel& model, const Json& patch) {
        for (auto it = patch.begin(); it != patch.end(); ++it) {
            overlay_[model.id()][it.key()] = it.value();
            origins_[model.id() + "." + it.key()] = origin;
        }
    });
    if (document.contains("panel")) {
        overlay_["panel"] = document["panel"];
        origins_["panel"] = origin;
    }
}

void StateEdits::add_file(const std::string& path) {
    add_document(parse_document(read_file_bounded(path, kMaxDocumentBytes), path), path);
}

void StateEdits::add_set(const std::string& assignment) {
    const auto [key, value] = parse_assignment(assignment);
    const std::string origin = "--set " + key;
    if (key == "panel") {
        add_document(Json{{"panel", value}}, origin);
        return;
    }
    const size_t dot = key.find('.');
    add_document(Json{{key.substr(0, dot), Json{{key.substr(dot + 1), value}}}}, origin);
}

std::vector<std::string> StateEdits::panels_edited() const {
    std::vector<std::string> panels;
    for (const PanelModel* model : all_panel_models()) {
        if (overlay_.contains(model->id())) panels.push_back(model->id());
    }
    return panels;
}

void StateEdits::apply_to(Json& state) const {
    constexpr const char* kWhere = "the command line";
    try {
        merge_document(state, overlay_, kWhere);
    } catch (const UserError& e) {
        // Blame the --set or file that wrote the key the error is about (the longest key named).
        const std::string message = e.what();
        std::string blamed = kWhere, longest;
        for (const auto& [path, origin] : origins_) {
            if (path.size() > longest.size() && message.find(path) != std::string::npos) {
                longest = path;
                blamed = origin;
            }
        }
        const std::string prefix = std::string(kWhere) + ": ";
        throw UserError(blamed + ": " +
                        (message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message));
    }
}

void load_file_into(Json& state, const std::string& path) {
    merge_document(state, parse_document(read_file_bounded(path, kMaxDocumentBytes), path), path);
}

Json parse_set_value(const std::string& text) {
    require_utf8(text, "--set VALUE");
    if (text.empty()) return Json("");
    if (text.front() == '[' || text.front() == '{') {
        return parse_document(text, "the value '" + text + "'");
    }
    // A JSON string: how a string that reads as a number or a list ("1", "max(x1, x2)") is
    // written, e.g. by "Copy as command line".
    if (text.front() == '"') return parse_document(text, "the value '" + text + "'");
    if (text.find(',') != std::string::npos) {
        Json list = Json::array();
        size_t start = 0;
        while (true) {
            const size_t comma = text.find(',', start);
            list.push_back(parse_set_value(text.substr(start, comma - start)));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        return list;
    }
    if (text == "true") return true;
    if (text == "false") return false;
    if (text == "null") return nullptr;
    // A number only when the whole text is one in JSON's grammar, as in files: "3x" stays a
    // word, and what only C reads as a number (0x10, inf, " 5", +1, .5) is an error.
    if (is_json_number(text)) {
        if (std::isinf(std::strtod(text.c_str(), nullptr))) {
            throw UserError("the value '" + text + "' is not finite: it overflows a double");
        }
        return parse_document(text, "the value '" + text + "'");
    }
    if (looks_numeric(text)) {
        if (!std::isfinite(std::strtod(text.c_str(), nullptr))) {
            throw UserError("the value '" + text + "' is not finite (JSON has no NaN or Inf)");
        }
        throw UserError("the value '" + text +
                        "' is not a number as JSON writes them (decimal digits, no spaces, no "
                        "hex, inf or nan), e.g. 0.25, -3 or 1e-3");
    }
    return text;
}

std::pair<std::string, Json> parse_assignment(const std::string& assignment) {
    require_utf8(assignment, "--set KEY=VALUE");
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw UserError("--set '" + assignment + "': expected KEY=VALUE, e.g. gan.gamma=0.5");
    }
    const std::string key = assignment.substr(0, eq);
    const std::string origin = "--set " + key;
    if (key != "panel" && key.find('.') == std::string::npos) {
        throw UserError(origin + ": KEY must be 'panel' or '<panel>.<key>' with panel one of " +
                        panel_ids_joined());
    }
    try {
        return {key, parse_set_value(assignment.substr(eq + 1))};
    } catch (const UserError& e) {
        throw UserError(origin + ": " + e.what());
    }
}

void apply_set(Json& state, const std::string& assignment) {
    StateEdits edits;
    edits.add_set(assignment);
    edits.apply_to(state);
}

Json make_report(const Json& state) {
    const std::string panel = state.at("panel").get<std::string>();
    const PanelModel& model = require_panel(panel, "report");
    return Json{{"version", kStateVersion},
                {"panel", panel},
                {"state", state.at(panel)},
                {panel, model.report(state.at(panel))}};
}

std::string dump_document(const Json& document) {
    require_all_finite(document, "the document");
    return document.dump(2) + "\n";
}

}  // namespace genlab
