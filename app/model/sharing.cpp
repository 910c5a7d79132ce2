// Sharing a view: clipboard documents, the command line that rebuilds a view, pasted and
// dropped documents. See sharing.hpp.
#include "sharing.hpp"

#include "errors.hpp"
#include "state.hpp"

namespace genlab {

namespace {

const PanelModel& active_model(const Json& state) {
    const std::string id = state.value("panel", "");
    const PanelModel* model = find_panel_model(id);
    if (model == nullptr) throw UserError("the state's panel '" + id + "' is not a panel");
    return *model;
}

// A --set VALUE that parse_set_value reads back as exactly `value`: JSON, with strings quoted
// (a bare word would turn "1" into a number and "a,b" into a list).
std::string set_value(const Json& value) { return value.dump(); }

bool shell_safe(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string("-_./=:,+@%").find(c) != std::string::npos;
}

}  // namespace

Json panel_document(const Json& state) {
    const PanelModel& model = active_model(state);
    return Json{
        {"version", kStateVersion}, {"panel", model.id()}, {model.id(), state.at(model.id())}};
}

std::string clipboard_document(const Json& state) { return panel_document(state).dump(); }

std::vector<std::string> command_args(const Json& state) {
    const PanelModel& model = active_model(state);
    std::vector<std::string> args = {"--panel", model.id()};
    const Json defaults = model.defaults();
    const Json& panel = state.at(model.id());
    for (auto it = defaults.begin(); it != defaults.end(); ++it) {
        const auto now = panel.find(it.key());
        if (now == panel.end() || *now == it.value()) continue;
        args.push_back("--set");
        args.push_back(model.id() + "." + it.key() + "=" + set_value(*now));
    }
    return args;
}

std::string shell_quote(const std::string& word) {
    bool safe = !word.empty();
    for (char c : word) safe = safe && shell_safe(c);
    if (safe) return word;
    std::string quoted = "'";
    for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

std::string command_line(const Json& state) {
    std::string line = "genlab";
    for (const std::string& a : command_args(state)) line += " " + shell_quote(a);
    return line;
}

void merge_pasted(Json& state, const std::string& text, const std::string& origin) {
    merge_document(state, parse_document(text, origin), origin);
}

}  // namespace genlab
