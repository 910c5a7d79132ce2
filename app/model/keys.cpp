#include "keys.hpp"

#include "errors.hpp"
#include "format.hpp"

namespace genlab {

Json key_json(const NumberKey& k) {
    return Json{{"key", k.path()},  {"kind", "number"},
                {"min", k.lo},      {"max", k.hi},
                {"default", k.def}, {"scale", k.scale == Scale::Log ? "log" : "linear"}};
}

Json key_json(const IntKey& k) {
    return Json{{"key", k.path()},  {"kind", "integer"},
                {"min", k.lo},      {"max", k.hi},
                {"default", k.def}, {"scale", k.scale == Scale::Log ? "log" : "linear"}};
}

std::string readme_range(const NumberKey& k) {
    return format_number(k.lo) + "–" + format_number(k.hi);
}

std::string readme_range(const IntKey& k) {
    return std::to_string(k.lo) + "–" + std::to_string(k.hi);
}

void check_range(const NumberKey& key, double v) {
    if (!(v >= key.lo && v <= key.hi)) {
        throw UserError(key.path() + " must be in [" + readme_range(key) + "] (got " +
                        format_number(v) + ")");
    }
}

void check_range(const IntKey& key, long long v) {
    if (v < key.lo || v > key.hi) {
        throw UserError(key.path() + " must be in [" + readme_range(key) + "] (got " +
                        std::to_string(v) + ")");
    }
}

}  // namespace genlab
