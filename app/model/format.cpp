#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace genlab {

std::string format_g(double value, int digits) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, value == 0 ? 0.0 : value);  // no "-0"
    return buf;
}

std::string format_number(double value) {
    if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "Inf" : "-Inf");
    char buf[48];
    // Plain digits where people read them easily ("100", "0.25"), exponents beyond.
    const double magnitude = std::abs(value);
    if (magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e7)) {
        std::snprintf(buf, sizeof buf, "%.6f", value);
        std::string s = buf;
        s.erase(s.find_last_not_of('0') + 1);
        if (s.back() == '.') s.pop_back();
        if (s == "-0") s = "0";
        if (std::abs(std::strtod(s.c_str(), nullptr) - value) <= 1e-6 * std::max(1.0, magnitude)) {
            return s;
        }
    }
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, value);
        if (std::strtod(buf, nullptr) == value) break;
        if (precision >= 4 && std::abs(std::strtod(buf, nullptr) - value) <=
                                  1e-4 * std::max(1e-300, std::abs(value))) {
            break;  // readouts don't need all 17 digits
        }
    }
    return buf;
}

}  // namespace genlab
