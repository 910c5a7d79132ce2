// Pieces the flow panel's views share (view_flow.cpp, view_flow_train.cpp): the invertibility
// badges and colours, wrapped coloured text, and the conversions between the model's and the
// canvas's 2-D points.
#pragma once

#include <imgui.h>

#include <string>

#include "canvas.hpp"
#include "genlab/flow.hpp"
#include "palette.hpp"
#include "widgets.hpp"

namespace genlab::flow_view {

// The "invertible" green of this panel's badges (darker than palette::kOkText, which would
// change the screenshots; the lead may fold it into the palette).
inline const ImVec4 kInvertibleText{0.05f, 0.45f, 0.15f, 1};

// ✓ proved, ✗ disproved (with a witness), ? not proved (a sufficient check failed or a search
// ran out): issue 12's three states.
inline const char* badge(const flow::Invertibility& inv) {
    switch (inv.verdict) {
        case flow::Verdict::Proved:
            return "✓";
        case flow::Verdict::Disproved:
            return "✗";
        case flow::Verdict::NotProved:
            return "?";
    }
    return "?";
}

inline ImVec4 verdict_colour(flow::Verdict v) {
    return v == flow::Verdict::Proved      ? kInvertibleText
           : v == flow::Verdict::Disproved ? palette::kErrorText
                                           : palette::kWarnText;
}

// text_wrapped() (breaks only between numbers) in a colour.
inline void coloured_wrapped(const std::string& text, const ImVec4& colour) {
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    text_wrapped(text);
    ImGui::PopStyleColor();
}

inline Vec2 to_vec2(const flow::Vec2& v) { return {v[0], v[1]}; }
inline flow::Vec2 to_flow(Vec2 v) { return {v.x, v.y}; }

}  // namespace genlab::flow_view
