// The KL panel's two objective landscapes (view_kl.cpp draws the rest): the scene's grid of
// log(1 + KL) over (μ, log σ) or (μ1, μ2), the restarts' paths, this fit's path, the closed
// form, and q's start, which the user drags.
#include <algorithm>
#include <cmath>

#include "canvas.hpp"
#include "format.hpp"
#include "heatmap.hpp"
#include "scene_kl.hpp"
#include "test_dump.hpp"

namespace genlab {

namespace {

constexpr ImU32 kStart = IM_COL32(250, 140, 0, 255);

Vec2 project(const kl::Vec& theta) { return {theta[0], theta[1]}; }

std::vector<Vec2> path_of(const kl::Fit& f, size_t most) {
    std::vector<Vec2> path;
    for (size_t k : kl_path_indices(f.path.size(), most)) path.push_back(project(f.path[k]));
    return path;
}

// Drags q's start (the orange dot) on `canvas`; `dragging` latches which canvas holds it.
void handle_start_drag(KlScene& scene, Canvas& canvas, const Canvas*& dragging) {
    const auto origin = canvas.left_drag_origin();
    if (!origin) {
        if (dragging == &canvas) dragging = nullptr;
        return;
    }
    const Vec2 start = project(scene.params().q_init.params());
    const double tol = 12.0 / canvas.pixels_per_unit_x();
    if (!dragging && std::abs(origin->x - start.x) < tol &&
        std::abs(origin->y - start.y) <
            12.0 * canvas.view().height() / (canvas.plot_max().y - canvas.plot_min().y)) {
        dragging = &canvas;
    }
    if (dragging != &canvas) return;
    if (auto w = canvas.hover_world()) scene.set_q_start_point(w->x, w->y);
}

}  // namespace

// Landscape i (0: forward, 1: reverse) of `scene`, uploaded to `heat` when the scene has
// recomputed it since `uploaded`. `formula` is the objective's tooltip text.
void draw_kl_landscape(KlScene& scene, int i, Canvas& canvas, Heatmap& heat, int& uploaded,
                       const Canvas*& dragging, ImU32 colour, const std::string& formula,
                       ImVec2 size) {
    const KlLandscape& land = scene.landscape(i);
    if (land.n > 0 && uploaded != scene.recomputes(KlScene::Part::Landscapes)) {
        heat.set_values(land.n, land.n, land.values);
        heat.set_smooth(true);
        heat.set_range(0, land.max > 0 ? land.max : 1, Colormap::Magma);
        uploaded = scene.recomputes(KlScene::Part::Landscapes);
    }
    const bool one_d = scene.dim() == 1;
    const WorldRect box{land.box.x0, land.box.y0, land.box.x1, land.box.y1};
    canvas.set_home(box, false);
    canvas.set_axes({one_d ? "μ" : "μ1"}, {one_d ? "log σ" : "μ2"});
    // Coloured by log(1 + KL) so a single basin does not wash out; the ticks are KL itself.
    canvas.set_colorbar(ColorbarSpec(Colormap::Magma, 0, land.max, "KL (log scale)",
                                     [](double v) { return format_g(std::expm1(v), 3); }));
    const GLuint tex = heat.texture();
    std::vector<std::vector<Vec2>> paths;
    std::vector<Vec2> ends;
    for (const kl::Fit& f : land.restarts) {
        paths.push_back(path_of(f, kKlDrawnPathPoints));
        if (!f.path.empty()) ends.push_back(project(f.path.back()));
    }
    const Vec2 start = project(scene.params().q_init.params());
    std::vector<Vec2> main_path = path_of(scene.fit(i), 600);
    if (main_path.empty()) main_path.push_back(start);  // not stepped yet: at q's start
    std::optional<Vec2> closed;
    if (i == 0) closed = project(scene.closed_form().params());
    const std::string title = std::string(i == 0 ? "KL(p‖q)" : "KL(q‖p)") + " landscape over " +
                              (one_d ? "(μ, log σ)" : "q's mean (μ1, μ2)");
    canvas.set_title(title);
    std::vector<LegendEntry> legend = {{colour, "this fit's path"},
                                       {kStart, "q's start (drag it)", LegendEntry::Mark::Dot},
                                       {IM_COL32(170, 170, 185, 255), "restarts and their ends"}};
    if (closed) legend.emplace_back(IM_COL32(0, 0, 0, 255), "closed form", LegendEntry::Mark::Dot);
    canvas.set_legend(std::move(legend));
    ImGui::BeginGroup();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour), "%s landscape",
                       i == 0 ? "KL(p‖q)" : "KL(q‖p)");
    // The subtitle shares the title's line when it fits, else it wraps below it: a group
    // wider than `size` would push the other landscape out of the window at 1024 px.
    const char* subtitle =
        i == 0 ? "(one basin: the moment-matched optimum)" : "(grey: restarts, each ending in a local optimum)";
    const float title_w = ImGui::GetItemRectSize().x + ImGui::GetStyle().ItemSpacing.x;
    float used_h = ImGui::GetFrameHeightWithSpacing();
    if (title_w + ImGui::CalcTextSize(subtitle).x <= size.x) {
        ImGui::SameLine();
        ImGui::TextDisabled("%s", subtitle);
    } else {
        const float before = ImGui::GetCursorPosY();
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + size.x);
        ImGui::TextDisabled("%s", subtitle);
        ImGui::PopTextWrapPos();
        used_h += ImGui::GetCursorPosY() - before;
    }
    canvas.draw(ImVec2(size.x, size.y - used_h),
                [tex, box, paths, ends, main_path, start, closed, colour](Canvas& c) {
                    c.image(tex, {box.x0, box.y0}, {box.x1, box.y1});
                    for (const auto& p : paths) c.polyline(p, IM_COL32(220, 220, 230, 170), 1.2f);
                    for (const Vec2& e : ends) c.point(e, IM_COL32(235, 235, 245, 255), 3.5f);
                    c.polyline(main_path, IM_COL32_WHITE, 3.5f);
                    c.polyline(main_path, colour, 2.0f);
                    if (!main_path.empty()) c.point(main_path.back(), colour, 5);
                    if (closed) {
                        c.point(*closed, IM_COL32_WHITE, 7);
                        c.point(*closed, IM_COL32(0, 0, 0, 255), 3);
                    }
                    c.point(start, IM_COL32_WHITE, 7);
                    c.point(start, kStart, 5.5f);
                });
    ImGui::EndGroup();
    mark_rect(i == 0 ? "kl.landscape_forward" : "kl.landscape_reverse", canvas.plot_min(),
              canvas.plot_max());
    handle_start_drag(scene, canvas, dragging);
    if (auto w = canvas.hover_world(); w && !canvas.left_drag_origin()) {
        ImGui::SetTooltip("%s\n(%s, %s) = (%s, %s)\nwhite: this fit's path; grey: restarts%s",
                          formula.c_str(), one_d ? "μ" : "μ1", one_d ? "log σ" : "μ2",
                          format_g(w->x, 3).c_str(), format_g(w->y, 3).c_str(),
                          i == 0 ? "; black dot: closed form" : "");
    }
}

}  // namespace genlab
