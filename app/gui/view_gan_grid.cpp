// [SECTION] Helpers
// [SECTION] The grid
#include "view_gan_grid.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"
#include "format.hpp"
#include "json_numbers.hpp"
#include "test_dump.hpp"
#include "view_gan_plots.hpp"
#include "widgets.hpp"

namespace genlab {

namespace gm = gan_methods;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

constexpr ImU32 kEquilibrium = IM_COL32(0, 0, 0, 255);
constexpr ImU32 kStart = IM_COL32(220, 60, 20, 255);
constexpr ImU32 kConverges = IM_COL32(0, 130, 60, 255);
constexpr ImU32 kCycles = IM_COL32(190, 120, 0, 255);
constexpr ImU32 kDiverges = IM_COL32(200, 30, 30, 255);
constexpr ImU32 kTrajectory = IM_COL32(30, 90, 200, 255);

ImU32 verdict_color(gm::Verdict v) {
    return v == gm::Verdict::Converges ? kConverges
           : v == gm::Verdict::Cycles  ? kCycles
                                       : kDiverges;
}

// The regularizers a cell can pick on `system`, from the term table: each objective alone and
// with each penalty (the bilinear game: none, or consensus).
std::vector<std::string> regularizer_choices(gm::System system) {
    std::vector<std::string> out;
    const std::uint32_t bit = gm::system_bit(system);
    if (system == gm::System::Bilinear) out.push_back("");
    for (const gm::TermInfo& o : gm::term_table()) {
        if (!o.objective || !(o.systems & bit)) continue;
        out.push_back(o.cli);
    }
    const size_t objectives = out.size();
    for (size_t i = 0; i < objectives; ++i) {
        for (const gm::TermInfo& t : gm::term_table()) {
            if (t.objective || !(t.systems & bit)) continue;
            if (t.needs_gan_loss && out[i] != "gan" && out[i] != "nsgan") continue;
            out.push_back(out[i].empty() ? std::string(t.cli) : out[i] + "+" + t.cli);
        }
    }
    return out;
}

std::string shown_regularizer(const std::string& r) { return r.empty() ? "(none)" : r; }

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] The grid
//-----------------------------------------------------------------------------

GanGridView::GanGridView() {
    for (size_t i = 0; i < canvases_.size(); ++i) {
        canvases_[i] = std::make_unique<Canvas>("gan.grid." + std::to_string(i));
    }
}

std::vector<Canvas*> GanGridView::canvases() {
    std::vector<Canvas*> out;
    for (auto& c : canvases_) out.push_back(c.get());
    return out;
}

void GanGridView::draw_parameters(GanScene& scene) {
    if (!ImGui::CollapsingHeader("method grid parameters")) return;
    const GanGridParams& g = scene.params().grid;
    for (const NumberKey& k : grid_keys()) {
        double v = gm::get_param(g.base, k.path());
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (key_slider(k.key, v, k, "%.4g")) {
            try {
                scene.set_grid_param(k.key, v);
            } catch (const UserError&) {
                // a value a cell refuses (e.g. clip at its bound): the slider keeps the old one
            }
        }
        mark_item("gan.grid_param." + std::string(k.key));  // the main controls use k.path()
        if (ImGui::IsItemHovered()) {
            const gm::KeySpec* spec = gm::find_key(k.path());
            if (spec) ImGui::SetTooltip("%s", spec->meaning);
        }
    }
}

void GanGridView::draw(GanScene& scene, ImVec2 size) {
    const GanGridParams& g = scene.params().grid;
    const float font = ImGui::GetFontSize();
    // Top row: the system and "add a cell".
    int system = static_cast<int>(g.system);
    ImGui::SetNextItemWidth(font * 7);
    if (ImGui::Combo("grid system", &system, "dirac3\0dirac2\0bilinear\0")) {
        scene.set_grid_system(static_cast<gm::System>(system));
    }
    mark_item("gan.grid_system");
    ImGui::SameLine();
    ImGui::BeginDisabled(g.cells.size() >= static_cast<size_t>(kGridMaxCells));
    if (ImGui::Button("+ add method")) {
        GanGridCell cell;
        cell.regularizer = g.system == gm::System::Bilinear ? "" : "gan";
        scene.add_grid_cell(cell);
    }
    mark_item("gan.grid.add");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::TextDisabled("%zu of %d · lr %s · %d steps from the panel's start", g.cells.size(),
                        kGridMaxCells, format_g(scene.params().run.lr).c_str(),
                        gan_grid_steps(scene.params().steps));
    scene.update();
    const size_t n = scene.grid().size();
    if (n == 0) {
        ImGui::TextWrapped(
            "Add methods to compare them side by side: each cell runs one training method "
            "from the same start with the same lr and step count, titled with its verdict and "
            "the spectral radius of its step map at the equilibrium.");
        return;
    }
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const int cols = n <= 2 ? static_cast<int>(n) : n <= 4 ? 2 : n <= 6 ? 3 : 4;
    const int rows = static_cast<int>((n + cols - 1) / cols);
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float w = (avail.x - gap * (cols - 1)) / cols;
    const float h =
        (std::min(avail.y, size.y) - ImGui::GetStyle().ItemSpacing.y * (rows - 1)) / rows;
    for (size_t i = 0; i < n; ++i) {
        if (i % cols != 0) ImGui::SameLine();
        if (draw_cell(scene, i, ImVec2(w, std::max(h, font * 8)))) break;  // removed
    }
}

bool GanGridView::draw_cell(GanScene& scene, size_t i, ImVec2 size) {
    const GanGridResult& r = scene.grid().result(i);
    const std::string id = "gan.grid." + std::to_string(i);
    const float font = ImGui::GetFontSize();
    ImGui::BeginGroup();
    ImGui::PushID(static_cast<int>(i));
    // Editors: method, regularizer, remove.
    ImGui::SetNextItemWidth(std::min(font * 7.5f, size.x * 0.42f));
    if (ImGui::BeginCombo("##method", r.cell.method.c_str())) {
        for (const gm::MethodInfo& m : gm::method_table()) {
            if (ImGui::Selectable(m.cli, r.cell.method == m.cli)) {
                GanGridCell c = r.cell;
                c.method = m.cli;
                try {
                    scene.set_grid_cell(i, c);
                } catch (const UserError&) {
                }
            }
            mark_item(id + ".method." + m.cli);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s", m.name, m.formula);
        }
        ImGui::EndCombo();
    }
    mark_item(id + ".method");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(std::min(font * 8.5f, size.x * 0.42f));
    if (ImGui::BeginCombo("##regularizer", shown_regularizer(r.cell.regularizer).c_str())) {
        for (const std::string& choice : regularizer_choices(scene.params().grid.system)) {
            if (ImGui::Selectable(shown_regularizer(choice).c_str(),
                                  r.cell.regularizer == choice)) {
                GanGridCell c = r.cell;
                c.regularizer = choice;
                try {
                    scene.set_grid_cell(i, c);
                } catch (const UserError&) {
                }
            }
            mark_item(id + ".regularizer." + (choice.empty() ? "none" : choice));
        }
        ImGui::EndCombo();
    }
    mark_item(id + ".regularizer");
    ImGui::SameLine();
    const bool remove = ImGui::SmallButton("x");
    mark_item(id + ".remove");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("remove this method");
    ImGui::PopID();

    const gm::System system = r.params.system;
    const int px = GanGrid::plane_x(system), py = GanGrid::plane_y(system);
    const bool bilinear = system == gm::System::Bilinear;
    // A pending cell (its frame has not come yet) says so rather than show a stale verdict
    // under the new title.
    const std::string title = r.pending ? gan_grid_title(r.cell) + ": computing…"
                                        : gan_grid_title(r.cell) + ": " + r.verdict_line;
    Canvas& canvas = *canvases_[i];
    canvas.set_title(title);
    canvas.set_axes({bilinear ? "g (generator)" : "θ (generator)"},
                    {bilinear                       ? "d (discriminator)"
                     : system == gm::System::Dirac3 ? "ψ0 (critic)"
                                                    : "ψ (critic)"});
    std::vector<Vec2> pts;
    const auto& states = r.trajectory.states;
    const size_t stride = std::max<size_t>(1, states.size() / gan_view::kMaxDrawnPoints);
    double extent = 0.5;
    for (size_t k = 0; k < states.size(); k += stride) {
        pts.push_back({states[k][px], states[k][py]});
    }
    if (!states.empty()) pts.push_back({states.back()[px], states.back()[py]});
    const Vec2 start = pts.empty() ? Vec2{} : pts.front();
    extent = std::max({extent, std::abs(start.x), std::abs(start.y)});
    for (const Vec2& p : pts) {
        // Frame the run, but at most 4× the start's extent: a divergent run leaves the plot.
        if (std::isfinite(p.x) && std::isfinite(p.y)) {
            extent = std::max(extent, std::min(std::max(std::abs(p.x), std::abs(p.y)),
                                               4 * std::max(std::abs(start.x), std::abs(start.y))));
        }
    }
    extent *= 1.15;
    canvas.set_home({-extent, -extent, extent, extent}, true);
    canvas.set_legend({{kTrajectory, "trajectory"},
                       {kStart, "start", LegendEntry::Mark::Dot},
                       {kEquilibrium, "equilibrium (+)"}});
    const float title_h = plot_title(title.c_str(), size.x);
    const ImU32 vcol = verdict_color(r.spectrum.verdict);
    const double cross = extent * 0.06;
    canvas.draw(
        ImVec2(size.x, std::max(font * 5, size.y - title_h - ImGui::GetFrameHeightWithSpacing())),
        [pts, start, vcol, cross](Canvas& c) {
            c.line({-cross, 0}, {cross, 0}, kEquilibrium, 2);
            c.line({0, -cross}, {0, cross}, kEquilibrium, 2);
            c.polyline(pts, kTrajectory, 2.0f);
            if (!pts.empty()) c.point(pts.back(), vcol, 4.5f);
            c.point(start, IM_COL32_WHITE, 6.5f);
            c.point(start, kStart, 5.0f);
        });
    mark_rect(id, canvas.plot_min(), canvas.plot_max());
    // A click (not a drag, which pans) opens the cell in the main plots.
    const bool open = canvas.clicked_world().has_value();
    mark_value(id, Json{{"method", r.cell.method},
                        {"regularizer", r.cell.regularizer},
                        {"title", title},
                        {"pending", r.pending},
                        {"verdict", gm::to_string(r.spectrum.verdict)},
                        {"radius", finite_or_null(r.spectrum.radius)}});
    if (canvas.hovered()) {
        std::string text = title + "\nstep map eigenvalues:\n";
        for (const auto& z : r.spectrum.step_eigenvalues) {
            text +=
                "  " + gan_view::complex_text(z) + "   |λ| = " + format_g(std::abs(z), 4) + "\n";
        }
        text += "J eigenvalues:\n";
        for (const auto& z : r.spectrum.field_eigenvalues) {
            text += "  " + gan_view::complex_text(z) + "\n";
        }
        text += "final distance to the equilibrium: " + format_g(r.final_distance, 4);
        text += "\nclick: open in the main plots";
        if (r.trajectory.diverged) {
            text += "\ndiverged at step " + std::to_string(r.trajectory.diverged_at);
        }
        ImGui::SetTooltip("%s", text.c_str());
    }
    ImGui::EndGroup();
    if (remove) scene.remove_grid_cell(i);
    if (open && !remove) {
        try {
            scene.open_grid_cell(i);
            opened_ = true;
        } catch (const UserError&) {
            // the main run's other keys refuse the cell (e.g. its work budget): stay here
        }
    }
    return remove;
}

}  // namespace genlab
