// SSL-collapse panel (seed 003 Q5): the linear SimSiam trained four ways from one start. Without
// the stop-gradient (or without the predictor) ‖W‖ decays to 0: the representations collapse
// to a point; with both, WWᵀ − W_pᵀW_p is conserved and they do not. Everything is computed
// by SslScene (model/scene_ssl.hpp); this file holds the widgets and the drawing.
//
// [SECTION] Colours and helpers
// [SECTION] The view
// [SECTION] Controls and readouts
// [SECTION] Plots
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "canvas.hpp"
#include "format.hpp"
#include "palette.hpp"
#include "scene_ssl.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Colours and helpers
//-----------------------------------------------------------------------------

constexpr std::array<ImU32, ssl::kVariants> kVariantColor = {
    IM_COL32(20, 140, 60, 255),   // simsiam: green, the one that works
    IM_COL32(200, 40, 40, 255),   // no stop-gradient
    IM_COL32(230, 130, 20, 255),  // no predictor
    IM_COL32(120, 60, 170, 255),  // neither
};
constexpr std::array<const char*, ssl::kVariants> kVariantLabel = {
    "SimSiam (stop-grad + predictor)", "no stop-gradient", "no predictor (W_p = I)",
    "neither (Q5.4)"};
constexpr ImU32 kBound = IM_COL32(40, 40, 50, 200);
constexpr ImU32 kWpEig = IM_COL32(30, 90, 200, 255);
constexpr ImU32 kCursor = IM_COL32(0, 0, 0, 90);

ImU32 color_of(ssl::Variant v) { return kVariantColor[static_cast<size_t>(v)]; }
const char* label_of(ssl::Variant v) { return kVariantLabel[static_cast<size_t>(v)]; }

// ‖W‖ below this is drawn no further: a collapsed run's line ends at the plot's floor
// instead of running along it (which would look like a non-zero limit).
constexpr double kNormFloor = 1e-12;
double log10_clamped(double v) { return std::log10(std::max(v, kNormFloor)); }

// The last index ≤ last whose norm is above the floor (the line stops there).
int last_above_floor(const std::vector<double>& norms, int last) {
    while (last > 0 && norms[static_cast<size_t>(last)] < kNormFloor) --last;
    return last;
}

std::string power_of_ten(double e) { return format_g(std::pow(10.0, e), 2); }

ImVec4 verdict_color(const std::string& verdict) {
    if (verdict == "no collapse") return palette::kOkText;
    if (verdict == "collapsing") return palette::kWarnText;
    return palette::kErrorText;
}

// Every index of a run up to `last`, thinned to at most ~600 points for the polylines.
template <class Fn>
std::vector<Vec2> series(int last, Fn&& point) {
    std::vector<Vec2> out;
    const int stride = std::max(1, last / 600);
    for (int k = 0; k < last; k += stride) out.push_back(point(k));
    out.push_back(point(last));
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] The view
//-----------------------------------------------------------------------------

class SslView : public PanelView {
  public:
    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }
    void set_state(const Json& s) override { scene_->set_state(s); }
    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return norm_canvas_; }
    std::vector<Canvas*> figure_canvases() override {
        return {&norm_canvas_, &points_canvas_, &spectra_canvas_, &h_canvas_};
    }
    std::string bench_slider() const override { return "ssl.weight_decay"; }

    std::vector<std::string> legend_lines() const override {
        return {
            "‖W(t)‖ (log scale) for the four variants from the same start: a line that "
            "falls without end is a collapse (W → 0)",
            "Dashed: Q5.3's bound e^{−λ0 t}‖W(0)‖ for the focused variant, λ0 = min λ_min(H)",
            "Representations: f = W(t)x of a fixed cloud of inputs x at the time cursor; "
            "a collapsed variant's cloud shrinks to the origin",
            "Spectra (focused variant): singular values of W(t) (its colour) and the real "
            "parts of W_p(t)'s eigenvalues (blue, dashed)",
            "λ_min(H(t)) for the variants whose flow is vec Ẇ = −H vec W"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Play: watch the four runs from t = 0; the representations move with the cursor",
                "Turn on weight decay or an EMA target: which variants still collapse?",
                "Raise a X′ eigenvalue (the augmentation's strength): the collapse gets faster"};
    }

    void draw() override {
        if (test_dump_enabled()) dump_values();
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("ssl.controls", ImVec2(font * 21, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("ssl.plots", ImVec2(0, 0), false);
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const ImVec2 gap = ImGui::GetStyle().ItemSpacing;
        const ImVec2 cell((avail.x - gap.x) / 2, (avail.y - gap.y) / 2);
        draw_norms(cell);
        ImGui::SameLine();
        draw_points(cell);
        draw_spectra(cell);
        ImGui::SameLine();
        draw_h(ImVec2(cell.x, std::max(font * 6, ImGui::GetContentRegionAvail().y)));
        ImGui::EndChild();
    }

  private:
    void dump_values() {
        Json verdicts = Json::object();
        for (int i = 0; i < ssl::kVariants; ++i) {
            const ssl::Variant v = ssl_variant(i);
            verdicts[ssl::to_string(v)] = ssl_verdict(scene_->run(v));
        }
        mark_value("ssl.verdicts", verdicts);
        mark_value("ssl.shown_steps", scene_->shown_steps());
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    // The variants and their verdicts first: they answer the question; the knobs follow.
    void draw_controls() {
        draw_variants();
        ImGui::Separator();
        draw_dynamics_controls();
        ImGui::Separator();
        draw_data_controls();
    }

    void draw_data_controls() {
        const SslParams& p = scene_->params();
        const float w = ImGui::GetFontSize() * 6.5f;
        ImGui::Text("Inputs n1 = %d, representation n2 = %d", p.n1(), p.spec.n2);
        ImGui::TextDisabled("eigenvalues of X (data), X′ (augmentation)");
        for (int i = 0; i < p.n1(); ++i) {
            ImGui::PushID(i);
            double x = p.spec.x_eigs[static_cast<size_t>(i)];
            double xp = p.spec.xp_eigs[static_cast<size_t>(i)];
            ImGui::SetNextItemWidth(w);
            if (key_slider("##x", x, ssl_keys::x_eig, "X %.3g")) scene_->set_x_eig(i, x);
            mark_item("ssl.x_eig." + std::to_string(i + 1));
            ImGui::SameLine();
            ImGui::SetNextItemWidth(w);
            if (key_slider("##xp", xp, ssl_keys::xp_eig, "X′ %.3g")) scene_->set_xp_eig(i, xp);
            mark_item("ssl.xp_eig." + std::to_string(i + 1));
            ImGui::SameLine();
            ImGui::Text("λ%d", i + 1);
            ImGui::PopID();
        }
        if (ImGui::SmallButton("+ input")) scene_->add_input();
        mark_item("ssl.add_input");
        ImGui::SameLine();
        if (ImGui::SmallButton("- input")) scene_->remove_input();
        mark_item("ssl.remove_input");
        const float wide = w * 1.4f;
        int n2 = p.spec.n2, seed = static_cast<int>(p.spec.seed);
        double ws = p.spec.w_scale, wps = p.spec.wp_scale;
        ImGui::SetNextItemWidth(wide);
        if (key_slider("n2", n2, ssl_keys::n2)) scene_->set_n2(n2);
        ImGui::SetNextItemWidth(wide);
        if (ImGui::InputInt("seed", &seed))
            scene_->set_seed(std::clamp<int>(seed, 0, static_cast<int>(ssl_keys::seed.hi)));
        mark_key_range(ssl_keys::seed);
        ImGui::SetNextItemWidth(wide);
        if (key_slider("‖W(0)‖ scale", ws, ssl_keys::w_scale, "%.3g")) scene_->set_w_scale(ws);
        ImGui::SetNextItemWidth(wide);
        if (key_slider("‖W_p(0)‖ scale", wps, ssl_keys::wp_scale, "%.3g"))
            scene_->set_wp_scale(wps);
    }

    void draw_dynamics_controls() {
        const SslParams& p = scene_->params();
        const float w = ImGui::GetFontSize() * 9;
        double wd = p.spec.weight_decay, ema = p.spec.ema, dt = p.spec.dt;
        int steps = p.spec.steps;
        ImGui::SetNextItemWidth(w);
        if (key_slider("weight decay η", wd, ssl_keys::weight_decay, "%.3g"))
            scene_->set_weight_decay(wd);
        mark_item("ssl.weight_decay");
        ImGui::SetNextItemWidth(w);
        if (key_slider("EMA target τ", ema, ssl_keys::ema, "%.3g")) scene_->set_ema(ema);
        mark_item("ssl.ema");
        if (ema > 0) ImGui::TextDisabled("  (stop-gradient variants only; 0: target = W)");
        ImGui::SetNextItemWidth(w);
        if (key_slider("RK4 step dt", dt, ssl_keys::dt, "%.3g")) scene_->set_dt(dt);
        ImGui::SetNextItemWidth(w);
        if (key_slider("steps", steps, ssl_keys::steps)) scene_->set_steps(steps);
        ImGui::TextDisabled("  t runs to %s; cursor at t = %s", format_g(steps * dt, 4).c_str(),
                            format_g(scene_->shown_steps() * dt, 4).c_str());
    }

    void draw_variants() {
        const SslParams& p = scene_->params();
        ImGui::TextUnformatted("Variants (box: drawn, dot: focus)");
        if (!ImGui::BeginTable("ssl.variants", 2, ImGuiTableFlags_SizingFixedFit)) return;
        for (int i = 0; i < ssl::kVariants; ++i) {
            const ssl::Variant v = ssl_variant(i);
            ImGui::PushID(i);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            bool shown = p.shown[static_cast<size_t>(i)];
            if (ImGui::Checkbox("##shown", &shown)) scene_->set_shown(v, shown);
            mark_item(std::string("ssl.show.") + ssl::to_string(v));
            ImGui::SameLine(0, 2);
            if (ImGui::RadioButton("##focus", p.focus == v)) scene_->set_focus(v);
            mark_item(std::string("ssl.focus.") + ssl::to_string(v));
            ImGui::TableNextColumn();
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(color_of(v)));
            ImGui::TextUnformatted(label_of(v));
            ImGui::PopStyleColor();
            const ssl::Run& run = scene_->run(v);
            const std::string verdict = ssl_verdict(run);
            ImGui::TextColored(verdict_color(verdict), "%s", verdict.c_str());
            ImGui::SameLine();
            const double rate = ssl::late_decay_rate(run);
            if (std::isfinite(rate) && std::abs(rate) > kCollapseRate) {
                ImGui::SameLine();
                ImGui::TextDisabled("rate %s", format_g(rate, 3).c_str());
            }
            ImGui::PopID();
        }
        ImGui::EndTable();
        draw_predictions();
    }

    void draw_predictions() {
        const double lmin = scene_->problem().lambda_min_xp;
        const double eta = scene_->params().spec.weight_decay;
        text_wrapped(
            "Collapse rates predicted: neither 2λ_min(X′) + η = " + format_g(2 * lmin + eta, 4) +
            ", no predictor λ_min(X′) + η = " + format_g(lmin + eta, 4) +
            " (no EMA). Measured rates: the slope of log ‖W‖ over each run's last "
            "fifth.");
        const ssl::Run& sim = scene_->run(ssl::Variant::SimSiam);
        if (!sim.invariant_drift.empty() && eta == 0 && scene_->params().spec.ema == 0) {
            text_wrapped("SimSiam conserves WWᵀ − W_pᵀW_p: drift " +
                         format_g(sim.invariant_drift_max, 2) + " (RK4 error).");
        }
    }

    //-------------------------------------------------------------------------
    // [SECTION] Plots
    //-------------------------------------------------------------------------

    std::vector<ssl::Variant> shown_variants() const {
        std::vector<ssl::Variant> out;
        for (int i = 0; i < ssl::kVariants; ++i)
            if (scene_->params().shown[static_cast<size_t>(i)]) out.push_back(ssl_variant(i));
        return out;
    }

    double t_end() const { return scene_->params().spec.steps * scene_->params().spec.dt; }
    double t_cursor() const { return scene_->shown_steps() * scene_->params().spec.dt; }

    void draw_norms(ImVec2 size) {
        ImGui::BeginGroup();
        const char* title = "‖W(t)‖_F: collapse is W → 0";
        const float title_h = plot_title(title, size.x);
        norm_canvas_.set_title(title);
        std::vector<std::pair<ImU32, std::vector<Vec2>>> lines;
        std::vector<LegendEntry> legend;
        double lo = 0, hi = 0;
        bool first = true;
        for (ssl::Variant v : shown_variants()) {
            const ssl::Run& r = scene_->run(v);
            const int last = last_above_floor(r.norm_w, scene_->shown_index(r));
            lines.push_back({color_of(v), series(last, [&](int k) {
                                 return Vec2{r.t[k], log10_clamped(r.norm_w[k])};
                             })});
            for (double n : r.norm_w) {
                const double l = log10_clamped(n);
                lo = first ? l : std::min(lo, l), hi = first ? l : std::max(hi, l), first = false;
            }
            legend.push_back({color_of(v), label_of(v)});
        }
        std::vector<Vec2> bound;
        const ssl::Run& focus = scene_->run(scene_->params().focus);
        if (!focus.bound.empty()) {
            const int last = last_above_floor(focus.bound, scene_->shown_index(focus));
            bound = series(last, [&](int k) {
                return Vec2{focus.t[k], log10_clamped(focus.bound[k])};
            });
            legend.push_back({kBound, "bound e^{−λ0 t}‖W(0)‖ (focus)", LegendEntry::Mark::Dashed});
        }
        if (first) lo = -1, hi = 1;
        hi = std::max(hi, lo + 0.5);
        const double pad = 0.08 * (hi - lo);
        norm_canvas_.set_legend(legend);
        norm_canvas_.set_home({0, lo - pad, std::max(t_end(), 1e-9), hi + 2.5 * pad}, false);
        norm_canvas_.set_axes({"t"}, {"‖W‖ (log scale)", power_of_ten});
        const double cursor = t_cursor();
        norm_canvas_.draw(ImVec2(size.x, size.y - title_h), [=](Canvas& c) {
            const WorldRect view = c.view();
            c.line({cursor, view.y0}, {cursor, view.y1}, kCursor, 1.0f);
            dashed(c, bound, kBound);
            for (const auto& [color, pts] : lines) c.polyline(pts, color, 2.0f);
        });
        ImGui::EndGroup();
        mark_rect("ssl.norms", norm_canvas_.plot_min(), norm_canvas_.plot_max());
    }

    // A polyline drawn in dashes of every other segment pair: the bound, not a run.
    static void dashed(Canvas& c, const std::vector<Vec2>& pts, ImU32 color) {
        for (size_t k = 0; k + 1 < pts.size(); k += 2) c.line(pts[k], pts[k + 1], color, 1.5f);
    }

    void draw_points(ImVec2 size) {
        ImGui::BeginGroup();
        const int n2 = scene_->params().spec.n2;
        const std::string title = n2 >= 2 ? "representations f = W(t)x at the cursor"
                                          : "representations f = W(t)x (n2 = 1: on a line)";
        const float title_h = plot_title(title.c_str(), size.x);
        points_canvas_.set_title(title);
        const ssl::Mat& x = scene_->points();
        std::vector<std::pair<ImU32, std::vector<Vec2>>> clouds;
        std::vector<LegendEntry> legend;
        double extent = 1e-9;
        for (ssl::Variant v : shown_variants()) {
            const ssl::Run& r = scene_->run(v);
            const ssl::Mat start = r.W.front() * x, now = r.W[scene_->shown_index(r)] * x;
            extent = std::max(extent, start.cwiseAbs().maxCoeff());
            std::vector<Vec2> pts;
            for (Eigen::Index j = 0; j < now.cols(); ++j)
                pts.push_back({now(0, j), n2 >= 2 ? now(1, j) : 0.0});
            clouds.push_back({color_of(v), pts});
            legend.push_back({color_of(v), label_of(v), LegendEntry::Mark::Dot});
        }
        const double e = 1.1 * extent;
        points_canvas_.set_legend(legend);
        points_canvas_.set_home({-e, -e, e, e}, true);
        points_canvas_.set_axes({"f1"}, {n2 >= 2 ? "f2" : ""});
        points_canvas_.draw(ImVec2(size.x, size.y - title_h), [=](Canvas& c) {
            c.line({-e, 0}, {e, 0}, IM_COL32(0, 0, 0, 60), 1);
            c.line({0, -e}, {0, e}, IM_COL32(0, 0, 0, 60), 1);
            for (const auto& [color, pts] : clouds)
                for (const Vec2& p : pts) c.point(p, color, 2.2f);
        });
        ImGui::EndGroup();
        mark_rect("ssl.points", points_canvas_.plot_min(), points_canvas_.plot_max());
    }

    void draw_spectra(ImVec2 size) {
        const ssl::Variant v = scene_->params().focus;
        const ssl::Run& r = scene_->run(v);
        const int last = scene_->shown_index(r);
        ImGui::BeginGroup();
        const std::string title = std::string("spectra of ") + label_of(v);
        const float title_h = plot_title(title.c_str(), size.x);
        spectra_canvas_.set_title(title);
        std::vector<std::vector<Vec2>> svs, eigs;
        double lo = 0, hi = 1e-9;
        for (Eigen::Index j = 0; j < r.singular_values[0].size(); ++j) {
            svs.push_back(series(last, [&](int k) {
                return Vec2{r.t[k], r.singular_values[k](j)};
            }));
        }
        if (ssl::has_predictor(v)) {
            for (Eigen::Index j = 0; j < r.wp_eigs[0].size(); ++j) {
                eigs.push_back(series(last, [&](int k) {
                    return Vec2{r.t[k], r.wp_eigs[k](j).real()};
                }));
            }
        }
        for (const auto* group : {&svs, &eigs})
            for (const auto& line : *group)
                for (const Vec2& p : line) lo = std::min(lo, p.y), hi = std::max(hi, p.y);
        const double pad = 0.08 * (hi - lo);
        std::vector<LegendEntry> legend = {{color_of(v), "singular values of W"}};
        if (!eigs.empty())
            legend.push_back({kWpEig, "Re eigenvalues of W_p", LegendEntry::Mark::Dashed});
        spectra_canvas_.set_legend(legend);
        spectra_canvas_.set_home({0, lo - pad, std::max(t_end(), 1e-9), hi + 2.5 * pad}, false);
        spectra_canvas_.set_axes({"t"}, {"value"});
        const ImU32 color = color_of(v);
        const double cursor = t_cursor();
        // On screen too: solid vs dashed is this plot's own code, explained nowhere else.
        const float legend_h = spectra_canvas_.legend_item_height(size.x);
        spectra_canvas_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
            const WorldRect view = c.view();
            c.line({view.x0, 0}, {view.x1, 0}, IM_COL32(0, 0, 0, 60), 1);
            c.line({cursor, view.y0}, {cursor, view.y1}, kCursor, 1.0f);
            for (const auto& line : eigs) dashed(c, line, kWpEig);
            for (const auto& line : svs) c.polyline(line, color, 2.0f);
        });
        spectra_canvas_.draw_legend_item(size.x);
        ImGui::EndGroup();
        mark_rect("ssl.spectra", spectra_canvas_.plot_min(), spectra_canvas_.plot_max());
    }

    void draw_h(ImVec2 size) {
        ImGui::BeginGroup();
        const char* title = "λ_min(H(t)): the collapse rate's floor (Q5.3)";
        const float title_h = plot_title(title, size.x);
        h_canvas_.set_title(title);
        std::vector<std::pair<ImU32, std::vector<Vec2>>> lines;
        std::vector<LegendEntry> legend;
        double lo = 0, hi = 1e-9;
        for (ssl::Variant v : shown_variants()) {
            const ssl::Run& r = scene_->run(v);
            if (r.lambda_min_h.empty()) continue;
            const int last = scene_->shown_index(r);
            lines.push_back({color_of(v), series(last, [&](int k) {
                                 return Vec2{r.t[k], r.lambda_min_h[k]};
                             })});
            for (double l : r.lambda_min_h) hi = std::max(hi, l);
            legend.push_back({color_of(v), label_of(v)});
        }
        if (lines.empty()) {
            text_wrapped(
                "No drawn variant has an H: SimSiam's stop-gradient flow is not vec Ẇ = −H vec W "
                "with H ⪰ 0 (and an EMA target makes the no-predictor flow depend on it).");
        }
        h_canvas_.set_legend(legend);
        // Headroom so the top tick clears the axis label.
        h_canvas_.set_home({0, lo, std::max(t_end(), 1e-9), 1.3 * hi}, false);
        h_canvas_.set_axes({"t"}, {"λ_min(H)"});
        const double cursor = t_cursor();
        h_canvas_.draw(ImVec2(size.x, size.y - title_h), [=](Canvas& c) {
            const WorldRect view = c.view();
            c.line({cursor, view.y0}, {cursor, view.y1}, kCursor, 1.0f);
            for (const auto& [color, pts] : lines) c.polyline(pts, color, 2.0f);
        });
        ImGui::EndGroup();
        mark_rect("ssl.h", h_canvas_.plot_min(), h_canvas_.plot_max());
    }

    std::unique_ptr<SslScene> scene_ = std::make_unique<SslScene>();
    Canvas norm_canvas_{"ssl.norms"}, points_canvas_{"ssl.points"}, spectra_canvas_{"ssl.spectra"},
        h_canvas_{"ssl.h"};
};

}  // namespace

std::unique_ptr<PanelView> make_ssl_view() { return std::make_unique<SslView>(); }

}  // namespace genlab
