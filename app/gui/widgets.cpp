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
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    return ImGui::GetCursorPosY() - before;
}

}  // namespace genlab
