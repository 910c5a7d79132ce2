// Fonts and style. See fonts.hpp.
#include "fonts.hpp"

#include <imgui.h>

#include <cmath>
#include <cstdio>

namespace genlab {

void setup_fonts(float scale) {
    ImGuiIO& io = ImGui::GetIO();
    static ImVector<ImWchar> ranges;  // must outlive the atlas build
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(io.Fonts->GetGlyphRangesDefault());
    // tests/e2e/test_presets.py reads this table: every character of a preset's texts must
    // be in it (a missing glyph shows as '?').
    static const ImWchar extra[] = {0x0100, 0x017F,  // Latin Extended-A: ġ
                                    0x02B0, 0x02FF,  // modifier letters: ˣ
                                    0x0300, 0x036F,  // combining marks: z̃ (the tilde)
                                    0x0370, 0x03FF,  // Greek: σ θ ψ γ
                                    0x1E00, 0x1EFF,  // Latin Extended Additional: ḋ
                                    0x1D00, 0x1D7F,  // phonetic superscripts: ᵀ
                                    0x2000, 0x206F,  // punctuation: – … ‖
                                    0x2070, 0x209F,  // super/subscripts
                                    0x2190, 0x21FF,  // arrows
                                    0x2200, 0x22FF,  // math operators: ≤ ≥ √ Σ
                                    0x25A0, 0x25FF,  // geometric shapes: ▶ ■
                                    0x2700, 0x27BF,  // dingbats: ✓ ✗
                                    0x2AB0, 0x2AB0,  // ⪰: the PSD order
                                    0};
    builder.AddRanges(extra);
    builder.BuildRanges(&ranges);
    const char* dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    ImFont* font = nullptr;
    if (FILE* f = std::fopen(dejavu, "rb")) {
        std::fclose(f);
        font =
            io.Fonts->AddFontFromFileTTF(dejavu, std::round(16.0f * scale), nullptr, ranges.Data);
    }
    if (!font) {  // fonts-dejavu-core missing: ImGui's built-in font still works
        ImFontConfig config;
        config.SizePixels = std::round(13.0f * scale);
        io.Fonts->AddFontDefault(&config);
    }
}

void setup_style(float scale) {
    ImGui::StyleColorsLight();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.FramePadding = ImVec2(6, 4);
    style.ItemSpacing = ImVec2(8, 6);
    style.ScaleAllSizes(scale);
}

}  // namespace genlab
