// Number text, one formatter for the whole app: readouts, axis ticks, tooltips, error texts.
//
// Usage:
//   format_g(0.12345, 3)   -> "0.123"   (printf %.3g; never "-0")
//   format_number(0.25)    -> "0.25"    (ticks: plain digits where easy, shortest exact else)
//   format_error(2.3e-7)   -> "3e-7"    (an error bound: 1–2 digits, rounded up)
#pragma once

#include <string>

namespace genlab {

// printf's %.*g with `digits` significant digits, without a "-0".
std::string format_g(double value, int digits = 3);
// Axis ticks and readouts: plain digits between 1e-4 and 1e7, else the shortest %g that
// reads back (at most 4 digits when that is within 1e-4 relative); NaN, Inf, -Inf spelled.
std::string format_number(double value);
// An error bound for "value ± error": one significant digit, two when the first is 1
// ("1.4e-7"), rounded up so the text never claims less error than there is; exponents without
// padding ("2e-7", not "2e-07"). NaN and Inf spelled; 0 is "0".
std::string format_error(double error);

}  // namespace genlab
