// Precondition checks shared by the core's sources (private to core/src).
#pragma once

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

}  // namespace genlab::detail
