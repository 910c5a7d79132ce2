#include "widgets.hpp"

#include "test_dump.hpp"

namespace genlab {

namespace {

ImGuiSliderFlags flags_for(Scale scale, ImGuiSliderFlags flags) {
    flags |= ImGuiSliderFlags_AlwaysClamp;
    if (scale == Scale::Log) flags |= ImGuiSliderFlags_Logarithmic;
    return flags;
}

}  // namespace

void mark_key_range(const NumberKey& key) {
    if (test_dump_enabled()) mark_value("range." + key.path(), Json::array({key.lo, key.hi}));
}

void mark_key_range(const IntKey& key) {
    if (test_dump_enabled()) mark_value("range." + key.path(), Json::array({key.lo, key.hi}));
}

bool key_slider(const char* label, double& value, const NumberKey& key, const char* format,
                ImGuiSliderFlags flags) {
    const bool changed = ImGui::SliderScalar(label, ImGuiDataType_Double, &value, &key.lo, &key.hi,
                                             format, flags_for(key.scale, flags));
    mark_key_range(key);
    return changed;
}

bool key_slider(const char* label, float& value, const NumberKey& key, const char* format,
                ImGuiSliderFlags flags) {
    const bool changed =
        ImGui::SliderFloat(label, &value, static_cast<float>(key.lo), static_cast<float>(key.hi),
                           format, flags_for(key.scale, flags));
    mark_key_range(key);
    return changed;
}

bool key_slider(const char* label, int& value, const IntKey& key, const char* format,
                ImGuiSliderFlags flags) {
    const bool changed =
        ImGui::SliderInt(label, &value, static_cast<int>(key.lo), static_cast<int>(key.hi), format,
                         flags_for(key.scale, flags));
    mark_key_range(key);
    return changed;
}

float plot_title(const char* text, float width) {
    const float before = ImGui::GetCursorPosY();
    text_wrapped(text, width);
    return ImGui::GetCursorPosY() - before;
}

namespace {

// The next space at which a line may break: not one inside parentheses, so "(3, 4)" and
// "(μ, σ)" stay whole. text.size() when there is none.
std::size_t next_break(const std::string& text, std::size_t start) {
    int depth = 0;
    for (std::size_t i = start; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '(' || c == '[') ++depth;
        if ((c == ')' || c == ']') && depth > 0) --depth;
        if (c == ' ' && depth == 0) return i;
    }
    return text.size();
}

}  // namespace

void text_wrapped(const std::string& text, float width) {
    // Without a width, the first line fills what is left of the current line (after a
    // SameLine label) and the next ones the whole width from the line's start.
    const bool fill = width <= 0;
    if (fill) width = ImGui::GetContentRegionAvail().x;
    // Lines of one paragraph sit as close as ImGui's own wrapped lines: no item spacing
    // between them, the usual spacing after the last.
    const ImVec2 spacing = ImGui::GetStyle().ItemSpacing;
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(spacing.x, 0));
    std::string line;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = next_break(text, start);
        const std::string word = text.substr(start, end - start);
        const std::string candidate = line.empty() ? word : line + " " + word;
        if (!line.empty() && ImGui::CalcTextSize(candidate.c_str()).x > width) {
            ImGui::TextUnformatted(line.c_str());
            if (fill) width = ImGui::GetContentRegionAvail().x;
            line = word;
        } else {
            line = candidate;
        }
        start = end + 1;
    }
    ImGui::PopStyleVar();
    ImGui::TextUnformatted(line.c_str());
}

}  // namespace genlab
