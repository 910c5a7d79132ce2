#include "question.hpp"

#include <cctype>

#include "errors.hpp"
#include "format.hpp"

namespace genlab {

namespace {

// The value at `path` inside `state`, or nullptr.
const Json* resolve(const Json& state, const std::string& path) {
    if (path.empty() || path[0] == '[' || path[0] == '.') return nullptr;
    const Json* at = &state;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '[') {
            const size_t close = path.find(']', i);
            if (close == std::string::npos || !at->is_array()) return nullptr;
            const std::string digits = path.substr(i + 1, close - i - 1);
            if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
                return nullptr;
            const size_t index = std::stoul(digits);
            if (index >= at->size()) return nullptr;
            at = &(*at)[index];
            i = close + 1;
        } else {
            if (path[i] == '.') ++i;
            const size_t end = path.find_first_of(".[", i);
            const std::string key = path.substr(i, end == std::string::npos ? end : end - i);
            if (key.empty() || !at->is_object() || !at->contains(key)) return nullptr;
            at = &(*at)[key];
            i = end == std::string::npos ? path.size() : end;
        }
    }
    return at;
}

std::string text_of(const Json& value) {
    if (value.is_number()) return format_g(value.get<double>(), 4);
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    if (value.is_array()) {
        std::string out;
        for (const Json& item : value) out += (out.empty() ? "" : ", ") + text_of(item);
        return out;
    }
    return value.dump();
}

}  // namespace

std::string fill_in(const std::string& text, const Json& state) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "{{") == 0 || text.compare(i, 2, "}}") == 0) {
            out += text[i++];
            continue;
        }
        if (text[i] != '{') {
            out += text[i];
            continue;
        }
        const size_t close = text.find('}', i);
        if (close == std::string::npos) throw UserError("'{' without '}' in \"" + text + "\"");
        const std::string path = text.substr(i + 1, close - i - 1);
        const Json* value = resolve(state, path);
        if (!value) {
            throw UserError("{" + path + "} names no key of the state (write e.g. {gan.gamma})");
        }
        out += text_of(*value);
        i = close;
    }
    return out;
}

std::optional<QuestionCard> question_of(const Json& preset, const std::string& origin,
                                        const Json& state) {
    if (!preset.is_object() || !preset.contains("question")) return std::nullopt;
    const Json& q = preset["question"];
    const char* fields[] = {"source", "ask", "change", "look"};
    if (!q.is_object()) {
        throw UserError(origin + ": 'question' must be an object with source, ask, change, look");
    }
    for (auto it = q.begin(); it != q.end(); ++it) {
        bool known = false;
        for (const char* f : fields) known = known || it.key() == f;
        if (!known || !it->is_string()) {
            throw UserError(
                origin + ": question." + it.key() +
                (known ? " must be a string" : " is not one of source, ask, change, look"));
        }
    }
    QuestionCard card{q.value("source", ""), q.value("ask", ""), q.value("change", ""),
                      q.value("look", "")};
    for (const std::string* text : {&card.source, &card.ask, &card.change, &card.look}) {
        try {
            (void)fill_in(*text, state);
        } catch (const UserError& e) {
            throw UserError(origin + ": question: " + e.what());
        }
    }
    return card;
}

}  // namespace genlab
