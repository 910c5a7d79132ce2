// Seeded random numbers shared by the core's sources (private to core/src).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace genlab::detail {

// Built from raw mt19937_64 words, not std:: distributions, whose algorithms the standard
// leaves to the library: the same seed gives the same numbers on every platform.
// (kl.cpp keeps its own 32-bit stream: switching it would change every saved KL result.)
class Random {
  public:
    explicit Random(std::uint64_t seed) : gen_(seed) {}
    double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
    double normal() {  // Box–Muller, one of the pair
        const double u = 1.0 - uniform(), v = uniform();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * 3.14159265358979323846 * v);
    }
    bool keep(double p) { return uniform() < p; }

  private:
    std::mt19937_64 gen_;
};

}  // namespace genlab::detail
