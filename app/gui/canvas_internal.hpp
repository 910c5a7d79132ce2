// What canvas.cpp and canvas_export.cpp share: the plot colours and the offscreen pass.
#pragma once

#include <imgui.h>

#include "gl.hpp"

namespace genlab::canvas_detail {

constexpr ImU32 kBackground = IM_COL32(250, 250, 252, 255);
constexpr ImU32 kGridLine = IM_COL32(0, 0, 0, 28);
constexpr ImU32 kAxisText = IM_COL32(60, 60, 70, 255);
constexpr ImU32 kFrame = IM_COL32(120, 120, 130, 255);

// Renders one draw list into `target` (cleared to `clear`) with ImGui's GL backend.
void render_list(ImDrawList& list, RenderTarget& target, ImVec4 clear);
// A draw list ready for offscreen use: the font atlas bound, clipped to w×h.
void begin_offscreen_list(ImDrawList& list, float w, float h);

}  // namespace genlab::canvas_detail
