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

std::string format_error(double error) {
    if (!std::isfinite(error)) return format_number(error);
    error = std::abs(error);
    if (error == 0) return "0";
    const int k = static_cast<int>(std::floor(std::log10(error)));
    const int digits = error / std::pow(10.0, k) < 2 ? 2 : 1;
    const double unit = std::pow(10.0, k - digits + 1);
    // The 1e-9 keeps an exact 2e-7 (2.0000000000000002 units in binary) from becoming 3e-7.
    const double rounded = std::ceil(error / unit - 1e-9) * unit;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, rounded);
    std::string s = buf;
    for (const char* pad : {"e-0", "e+0"}) {
        const size_t at = s.find(pad);
        if (at != std::string::npos) s.erase(at + 2, 1);
    }
    return s;
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
