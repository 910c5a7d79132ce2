#include "keys.hpp"

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

}  // namespace genlab
