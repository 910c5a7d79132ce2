// The GAN panel's lower row of plots (view_gan.cpp draws the controls and phase plots):
// the spectrum, the γ sweep and the time series, drawn from the scene. Drawing only.
//
// Usage (in GanView::draw):
//   gan_view::draw_spectrum(spectrum_canvas_, size, *scene_);
#pragma once

#include <string>

#include "canvas.hpp"
#include "scene_gan.hpp"

namespace genlab::gan_view {

constexpr ImU32 kMainTrajectory = IM_COL32(220, 60, 20, 255);
constexpr ImU32 kBoundary = IM_COL32(0, 150, 60, 255);
constexpr int kMaxDrawnPoints = 600;  // per trajectory: enough for a smooth curve

// "a + bi" with 4 significant digits, "a" when real.
std::string complex_text(const gan::Complex& c);

void draw_spectrum(Canvas& canvas, ImVec2 size, const GanScene& scene);
void draw_sweep(Canvas& canvas, ImVec2 size, const GanScene& scene);
void draw_series(Canvas& canvas, ImVec2 size, const GanScene& scene);

}  // namespace genlab::gan_view
