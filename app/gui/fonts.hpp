// Fonts and style: DejaVu Sans with the glyphs the panels write (Greek, math, arrows), or
// ImGui's built-in font when it is missing; the light style, scaled for the monitor.
//
// Usage (after ImGui::CreateContext, before the backends start):
//   setup_fonts(scale);  // scale: the window's content scale, 1 for screenshots
//   setup_style(scale);
#pragma once

namespace genlab {

void setup_fonts(float scale);
void setup_style(float scale);

}  // namespace genlab
