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

// Merges `patch` key by key onto a panel's current state, then normalizes the result.
Json merged_panel(const PanelModel& model, const Json& current, const Json& patch,
                  const std::string& origin) {
    if (!patch.is_object()) {
        throw UserError(origin + ": '" + model.id() + "' must be an object of keys (" +
                        allowed_keys(model.defaults()) + ")");
    }
    const Json defaults = model.defaults();
    Json merged = current;
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (!defaults.contains(it.key())) {
            throw UserError(origin + ": unknown key '" + model.id() + "." + it.key() +
                            "' (allowed: " + allowed_keys(defaults) + ")");
        }
        require_all_finite(it.value(), origin + ": '" + model.id() + "." + it.key() + "'");
        merged[it.key()] = it.value();
    }
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

void merge_document(Json& state, const Json& document, const std::string& origin) {
    if (!document.is_object()) {
        throw UserError(origin + " must hold a JSON object like {\"version\": 1, ...}");
    }
    Json next = state;
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
            next["panel"] = require_panel(it->get<std::string>(), origin).id();
        } else if (key == "title" || key == "description") {
            // Preset metadata: shown in the GUI, not part of the state.
        } else {
            const PanelModel& model = require_panel(key, origin);
            next[key] = merged_panel(model, next[key], *it, origin);
        }
    }
    state = std::move(next);
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
    // A number only when the whole text is one: "3x" stays a word.
    char* end = nullptr;
    errno = 0;
    const long long integer = std::strtoll(text.c_str(), &end, 10);
    if (*end == '\0' && errno != ERANGE) return integer;
    errno = 0;
    const double real = std::strtod(text.c_str(), &end);
    if (*end == '\0') return real;  // may be inf: caught as "not finite" on apply
    return text;
}

void apply_set(Json& state, const std::string& assignment) {
    require_utf8(assignment, "--set KEY=VALUE");
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw UserError("--set '" + assignment + "': expected KEY=VALUE, e.g. gan.gamma=0.5");
    }
    const std::string key = assignment.substr(0, eq);
    const Json value = parse_set_value(assignment.substr(eq + 1));
    const std::string origin = "--set " + key;
    if (key == "panel") {
        merge_document(state, Json{{"panel", value}}, origin);
        return;
    }
    const size_t dot = key.find('.');
    if (dot == std::string::npos) {
        throw UserError(origin + ": KEY must be 'panel' or '<panel>.<key>' with panel one of " +
                        panel_ids_joined());
    }
    const std::string panel = key.substr(0, dot);
    const std::string field = key.substr(dot + 1);
    merge_document(state, Json{{panel, Json{{field, value}}}}, origin);
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
