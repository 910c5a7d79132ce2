// Perceptually uniform colormaps (viridis, magma) as 256-entry tables.
//
// Usage:
//   ImU32 c = colormap_color(Colormap::Viridis, 0.25);  // t in [0, 1], clamped
#pragma once

#include <array>
#include <cstdint>

namespace genlab {

enum class Colormap { Viridis, Magma };

struct Rgba8 {
    std::uint8_t r, g, b, a;
};

// 256 entries from t = 0 to t = 1.
const std::array<Rgba8, 256>& colormap_table(Colormap map);

// Packed as ImU32 (ABGR in memory, as ImGui expects). Non-finite t gives transparent.
std::uint32_t colormap_color(Colormap map, double t, std::uint8_t alpha = 255);

}  // namespace genlab
