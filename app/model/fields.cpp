#include "fields.hpp"

#include <algorithm>
#include <cmath>

namespace genlab {

std::string join(const std::vector<std::string>& words, const std::string& sep) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : sep) + w;
    return out;
}

void Fields::fail(const std::string& key, const std::string& expected) const {
    const Json* value = state_.contains(key) ? &state_.at(key) : nullptr;
    throw UserError(name(key) + " must be " + expected +
                    (value ? " (got " + value->dump() + ")" : " (missing)"));
}

const Json& Fields::at(const std::string& key) const {
    if (!state_.contains(key)) fail(key, "present");
    return state_.at(key);
}

void require_known_keys(const Json& value, const std::vector<std::string>& allowed,
                        const std::string& what) {
    if (!value.is_object()) return;
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
            throw UserError(what + ": unknown key '" + it.key() +
                            "' (allowed: " + join(allowed, ", ") + ")");
        }
    }
}

long long whole_number(const Json& value, long long lo, long long hi, const std::string& what) {
    const std::string range = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                              "] (got " + value.dump() + ")";
    if (!value.is_number()) throw UserError(what + " must be " + range);
    const double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) ||
        d > static_cast<double>(hi)) {
        throw UserError(what + " must be " + range);
    }
    return static_cast<long long>(d);
}

long long Fields::integer(const std::string& key, long long lo, long long hi) const {
    return whole_number(at(key), lo, hi, name(key));
}

double Fields::number(const std::string& key, double lo, double hi) const {
    const Json& v = at(key);
    const std::string range = "a number in [" + Json(lo).dump() + ", " + Json(hi).dump() + "]";
    if (!v.is_number()) fail(key, range);
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) fail(key, range);
    return d;
}

bool Fields::boolean(const std::string& key) const {
    const Json& v = at(key);
    if (!v.is_boolean()) fail(key, "true or false");
    return v.get<bool>();
}

std::string Fields::word(const std::string& key, const std::vector<std::string>& allowed) const {
    const Json& v = at(key);
    if (v.is_string()) {
        for (const auto& a : allowed) {
            if (v.get<std::string>() == a) return a;
        }
    }
    fail(key, "one of " + join(allowed));
}

std::vector<double> Fields::numbers(const NumberKey& key, std::size_t max_items,
                                    const std::string& each) const {
    const Json& v = at(key.key);
    if (!v.is_array() || v.empty() || v.size() > max_items) {
        fail(key.key, "a list of 1 to " + std::to_string(max_items) + " numbers (" + each +
                          "), each in [" + readme_range(key) + "]");
    }
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i) {
        const Json& x = v[i];
        if (!x.is_number() || !(x.get<double>() >= key.lo && x.get<double>() <= key.hi)) {
            throw UserError(name(key.key) + "[" + std::to_string(i) + "] must be in [" +
                            readme_range(key) + "] (got " + x.dump() + ")");
        }
        out.push_back(x.get<double>());
    }
    return out;
}

}  // namespace genlab
