// Polynomial fits of matplotlib's viridis and magma (Matt Zucker's CC0 fits, max error
// about 1/255), so no data table has to be shipped.
#include "colormap.hpp"

#include <algorithm>
#include <cmath>

namespace genlab {

namespace {

using Coeffs = std::array<std::array<double, 3>, 7>;

constexpr Coeffs kViridis = {{{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                              {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                              {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                              {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                              {6.228269936347081, 14.17993336680509, 56.69055260068105},
                              {4.776384997670288, -13.74514537774601, -65.35303263337234},
                              {-5.435455855934631, 4.645852612178535, 26.3124352495832}}};

constexpr Coeffs kMagma = {{{-0.002136485053939582, -0.000749655052795221, -0.005386127855323933},
                            {0.2516605407371642, 0.6775232436837668, 2.494026599312351},
                            {8.353717279216625, -3.577719514958484, 0.3144679030132573},
                            {-27.66873308576866, 14.26473078096533, -13.64921318813922},
                            {52.17613981234068, -27.94360607168351, 12.94416944238394},
                            {-50.76852536473588, 29.04658282127291, 4.23415299384598},
                            {18.65570506591883, -11.48977351997711, -5.601961508734096}}};

std::array<Rgba8, 256> build(const Coeffs& c) {
    std::array<Rgba8, 256> table{};
    for (int i = 0; i < 256; ++i) {
        const double t = i / 255.0;
        double rgb[3];
        for (int ch = 0; ch < 3; ++ch) {
            double v = c[6][ch];
            for (int k = 5; k >= 0; --k) v = c[k][ch] + t * v;  // Horner
            rgb[ch] = std::clamp(v, 0.0, 1.0);
        }
        table[i] = {static_cast<std::uint8_t>(std::lround(rgb[0] * 255)),
                    static_cast<std::uint8_t>(std::lround(rgb[1] * 255)),
                    static_cast<std::uint8_t>(std::lround(rgb[2] * 255)), 255};
    }
    return table;
}

}  // namespace

const std::array<Rgba8, 256>& colormap_table(Colormap map) {
    static const std::array<Rgba8, 256> viridis = build(kViridis);
    static const std::array<Rgba8, 256> magma = build(kMagma);
    return map == Colormap::Magma ? magma : viridis;
}

std::uint32_t colormap_color(Colormap map, double t, std::uint8_t alpha) {
    if (!std::isfinite(t)) return 0;
    const int i = static_cast<int>(std::lround(std::clamp(t, 0.0, 1.0) * 255));
    const Rgba8 c = colormap_table(map)[i];
    return static_cast<std::uint32_t>(c.r) | (static_cast<std::uint32_t>(c.g) << 8) |
           (static_cast<std::uint32_t>(c.b) << 16) | (static_cast<std::uint32_t>(alpha) << 24);
}

}  // namespace genlab
