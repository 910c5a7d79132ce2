// Precondition checks shared by the core's sources (private to core/src).
#pragma once

#include <cstdlib>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>

namespace genlab::detail {

// Throws std::invalid_argument: the message names the key and what is allowed.
inline void require(bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
}

// "-1", "0.5", "nan" read better in a message than std::to_string's "-1.000000".
inline std::string show(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

// Reasons quote the numbers that broke a condition, often right at a boundary: six digits
// (show()) would print −1 − 1e-6 as "-1". Ten significant digits, shortest form.
inline std::string num(double v) {
    std::ostringstream out;
    out << std::setprecision(10) << v;
    return out.str();
}

// `v` with as many digits as it takes (10 to 17) for the text to sit on v's side of `bound`:
// a reason "wᵀu = -1 < -1" for −1 − 1e-12 would contradict itself (issue 12).
inline std::string num_beside(double v, double bound) {
    for (int digits = 10; digits <= 17; ++digits) {
        std::ostringstream out;
        out << std::setprecision(digits) << v;
        const double shown = std::strtod(out.str().c_str(), nullptr);
        if ((shown < bound) == (v < bound) && (shown > bound) == (v > bound)) return out.str();
    }
    return num(v);
}

}  // namespace genlab::detail
