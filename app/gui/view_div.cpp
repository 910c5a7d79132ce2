// Divergences panel (seed files 002 Q4, 004 §4.3, 004 §4.4): two 1-D densities p0 (model) and
// p1 (data), the optimal discriminator D* = p1/(p0 + p1) with a trained one beneath, the JSD
// exactly and from the trained D, the f-divergence explorer with its variational bound, and
// the saturating vs non-saturating generator gradients. Everything is computed by DivScene
// (model/scene_div.hpp); this file holds the widgets and the drawing.
//
// [SECTION] Colours and helpers
// [SECTION] The view
// [SECTION] Controls and readouts
// [SECTION] Plots
#include <algorithm>
#include <cmath>
#include <memory>

#include "canvas.hpp"
#include "format.hpp"
#include "palette.hpp"
#include "scene_div.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Colours and helpers
//-----------------------------------------------------------------------------

constexpr ImU32 kP0 = IM_COL32(200, 60, 40, 255);    // the model's density (the fakes)
constexpr ImU32 kP1 = IM_COL32(30, 90, 200, 255);    // the data's density
constexpr ImU32 kDStar = IM_COL32(30, 30, 30, 255);  // D*
constexpr ImU32 kDTrained = IM_COL32(20, 150, 70, 255);
constexpr ImU32 kEstimate = IM_COL32(120, 60, 170, 255);  // f0·D/(1 − D)
constexpr ImU32 kSat = IM_COL32(200, 60, 40, 255);
constexpr ImU32 kNonSat = IM_COL32(20, 150, 70, 255);
constexpr ImU32 kGuide = IM_COL32(0, 0, 0, 60);

std::string pm(double value, double err, int digits = 4) {
    return format_g(value, digits) + " ± " + format_g(err, 2);
}

void dashed(Canvas& c, const std::vector<Vec2>& pts, ImU32 color) {
    for (size_t k = 0; k + 1 < pts.size(); k += 2) c.line(pts[k], pts[k + 1], color, 1.5f);
}

//-----------------------------------------------------------------------------
// [SECTION] The view
//-----------------------------------------------------------------------------

class DivView : public PanelView {
  public:
    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }
    void set_state(const Json& s) override { scene_->set_state(s); }
    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return density_canvas_; }
    std::vector<Canvas*> figure_canvases() override {
        return {&density_canvas_, &f_canvas_, &gen_canvas_};
    }
    std::string bench_slider() const override { return "div.lr"; }

    std::vector<std::string> legend_lines() const override {
        return {
            "Top: p1 (data, blue) and p0 (model, red), each scaled to peak 1; the dashed "
            "purple curve is f0·D/(1 − D) from the trained D, on the same scale as p1",
            "Below them: D* = p1/(p0 + p1) (black) and the trained D (green), on [0, 1]",
            "f explorer: f(t) of the chosen f-divergence, with f(1) = 0 marked",
            "Generator: ∂loss/∂D of the saturating log(1 − D) (red) and non-saturating "
            "−log D (green) against D(G(z)); dots: p0's samples at the trained D"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Play: watch the trained D converge onto D* through the training's snapshots",
                "Move p0 onto p1: JSD → 0 and D* → ½; move it far: JSD → log 2 and D(fakes) → 0",
                "Pick f: the bound at T* equals D_f; the trained critic's bound is below it"};
    }

    void draw() override {
        if (test_dump_enabled()) dump_values();
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("div.controls", ImVec2(font * 22, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("div.plots", ImVec2(0, 0), false);
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const ImVec2 gap = ImGui::GetStyle().ItemSpacing;
        const float top = (avail.y - gap.y) * 0.55f;
        draw_densities(ImVec2(avail.x, top));
        const ImVec2 cell((avail.x - gap.x) / 2, std::max(font * 6, avail.y - top - gap.y));
        draw_f(cell);
        ImGui::SameLine();
        draw_generator(cell);
        ImGui::EndChild();
    }

  private:
    void dump_values() {
        mark_value("div.jsd_exact", scene_->jsd_exact().value);
        mark_value("div.jsd_estimate", scene_->jsd_estimate().value);
        mark_value("div.jsd_se", scene_->jsd_estimate().se);
        mark_value("div.shown_step", scene_->shown_step());
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    void draw_controls() {
        draw_readouts();
        ImGui::Separator();
        draw_mixture(1, "p1 (data)");
        draw_mixture(0, "p0 (model)");
        ImGui::Separator();
        draw_training();
        ImGui::Separator();
        draw_f_controls();
    }

    void draw_readouts() {
        const div::Value& j = scene_->jsd_exact();
        const div::Estimate& e = scene_->jsd_estimate();
        const div::Estimate& o = scene_->jsd_oracle();
        ImGui::Text("JSD exact     %s", pm(j.value, j.error, 6).c_str());
        ImGui::Text("JSD from D    %s", pm(e.value, e.se).c_str());
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        text_wrapped("from D: log 2 + ½E_p1[log D] + ½E_p0[log(1 − D)] on fresh samples, ± its se");
        ImGui::PopStyleColor();
        ImGui::Text("JSD from D*   %s", pm(o.value, o.se).c_str());
        const double z = e.se > 0 ? (e.value - j.value) / e.se : 0;
        ImGui::TextColored(std::abs(z) <= 3 ? palette::kOkText : palette::kWarnText,
                           "  trained D: %s se from exact", format_g(z, 2).c_str());
        ImGui::Text("log 2 = %s", format_g(std::log(2.0), 6).c_str());
    }

    void draw_mixture(int which, const char* title) {
        const DivParams& p = scene_->params();
        const div::Mixture& m = which == 0 ? p.p0 : p.p1;
        ImGui::PushID(which);
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(which == 0 ? kP0 : kP1), "%s", title);
        const float w = ImGui::GetFontSize() * 5.2f;
        for (size_t k = 0; k < m.size(); ++k) {
            ImGui::PushID(static_cast<int>(k));
            double wt = m[k].weight, mu = m[k].mean(0), sd = std::sqrt(m[k].cov(0, 0));
            bool changed = false;
            ImGui::SetNextItemWidth(w);
            changed |= key_slider("##w", wt, div_keys::weight, "w %.3g");
            ImGui::SameLine();
            ImGui::SetNextItemWidth(w);
            changed |= key_slider("##m", mu, div_keys::mean, "μ %.3g");
            mark_item("div.p" + std::to_string(which) + "." + std::to_string(k) + ".mean");
            ImGui::SameLine();
            ImGui::SetNextItemWidth(w);
            changed |= key_slider("##s", sd, div_keys::std_dev, "σ %.3g");
            if (changed) scene_->set_component(which, static_cast<int>(k), wt, mu, sd);
            ImGui::PopID();
        }
        if (ImGui::SmallButton("+ mode")) scene_->add_component(which);
        mark_item("div.p" + std::to_string(which) + ".add");
        ImGui::SameLine();
        if (ImGui::SmallButton("- mode")) scene_->remove_component(which);
        ImGui::PopID();
    }

    void draw_training() {
        const DivParams& p = scene_->params();
        const float w = ImGui::GetFontSize() * 9;
        ImGui::TextUnformatted("Discriminator");
        if (ImGui::RadioButton("logistic (1, x, x²)", p.train.kind == div::DiscKind::Logistic))
            scene_->set_discriminator(div::DiscKind::Logistic);
        mark_item("div.discriminator.logistic");
        ImGui::SameLine();
        if (ImGui::RadioButton("tanh MLP", p.train.kind == div::DiscKind::Mlp))
            scene_->set_discriminator(div::DiscKind::Mlp);
        mark_item("div.discriminator.mlp");
        int hidden = p.train.hidden, batch = p.train.batch, n = p.train.train_size;
        int steps = p.steps, seed = static_cast<int>(p.train.seed);
        double lr = p.train.lr;
        if (p.train.kind == div::DiscKind::Mlp) {
            ImGui::SetNextItemWidth(w);
            if (key_slider("hidden units", hidden, div_keys::hidden)) scene_->set_hidden(hidden);
        }
        ImGui::SetNextItemWidth(w);
        if (key_slider("lr", lr, div_keys::lr, "%.4g")) scene_->set_lr(lr);
        mark_item("div.lr");
        ImGui::SetNextItemWidth(w);
        if (key_slider("batch", batch, div_keys::batch)) scene_->set_batch(batch);
        ImGui::SetNextItemWidth(w);
        if (key_slider("samples/class", n, div_keys::train_size)) scene_->set_train_size(n);
        ImGui::SetNextItemWidth(w);
        if (key_slider("steps", steps, div_keys::steps)) scene_->set_steps(steps);
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputInt("seed", &seed))
            scene_->set_seed(std::clamp<int>(seed, 0, static_cast<int>(div_keys::seed.hi)));
        mark_key_range(div_keys::seed);
        ImGui::TextDisabled("  showing step %d of %d", scene_->shown_step(), p.steps);
    }

    void draw_f_controls() {
        const DivParams& p = scene_->params();
        const div::FDivergence& chosen = div::f_divergence(p.f);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::BeginCombo("f", chosen.name)) {
            for (const div::FDivergence& f : div::f_divergences())
                if (ImGui::Selectable(f.name, f.kind == p.f)) scene_->set_f(f.kind);
            ImGui::EndCombo();
        }
        mark_item("div.f");
        double alpha = p.alpha;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (key_slider("α (of D_α)", alpha, div_keys::alpha, "%.3g") && alpha != 0 && alpha != 1)
            scene_->set_alpha(alpha);
        text_wrapped(std::string("f(t) = ") + chosen.formula + ";  f*(u) = " + chosen.conjugate +
                     ",  " + chosen.domain);
        if (!ImGui::BeginTable("div.rows", 3, ImGuiTableFlags_SizingFixedFit)) return;
        ImGui::TableSetupColumn("D_f(p1‖p0)");
        ImGui::TableSetupColumn("bound at T*");
        ImGui::TableSetupColumn("trained T");
        ImGui::TableHeadersRow();
        const auto& rows = scene_->f_rows();
        for (size_t i = 0; i < rows.size(); ++i) {
            const div::FDivergence& f = div::f_divergences()[i];
            const auto shown = [](const div::Value& v) {
                return v.finite ? format_g(v.value, 4) : std::string(v.value > 0 ? "∞" : "−∞");
            };
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (f.kind == p.f)
                ImGui::TextColored(palette::kOkText, "%s %s", f.name, shown(rows[i].value).c_str());
            else
                ImGui::Text("%s %s", f.name, shown(rows[i].value).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(shown(rows[i].bound_optimal).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(shown(rows[i].bound_trained).c_str());
        }
        ImGui::EndTable();
    }

    //-------------------------------------------------------------------------
    // [SECTION] Plots
    //-------------------------------------------------------------------------

    // Densities scaled to peak 1 on y ∈ [1.15, 2.15]; D* and D on y ∈ [0, 1] beneath.
    void draw_densities(ImVec2 size) {
        ImGui::BeginGroup();
        const char* title = "p1 (data), p0 (model) and the discriminator: D* vs trained D";
        const float title_h = plot_title(title, size.x);
        density_canvas_.set_title(title);
        const div::Curves& c = scene_->curves();
        const div::Discriminator& d = scene_->shown();
        double peak0 = 1e-300, peak1 = 1e-300;
        for (size_t i = 0; i < c.x.size(); ++i) {
            peak0 = std::max(peak0, c.p0[i]);
            peak1 = std::max(peak1, c.p1[i]);
        }
        const double base = 1.15;
        std::vector<Vec2> p0, p1, est, dstar, dtr;
        for (size_t i = 0; i < c.x.size(); ++i) {
            const double x = c.x[i];
            p0.push_back({x, base + c.p0[i] / peak0});
            p1.push_back({x, base + c.p1[i] / peak1});
            const double e = div::density_ratio_estimate(d, scene_->params().p0, x) / peak1;
            est.push_back({x, base + std::min(e, 1.5)});
            dstar.push_back({x, c.d_star[i]});
            dtr.push_back({x, div::prob(d, x)});
        }
        const double x0 = c.x.front(), x1 = c.x.back();
        density_canvas_.set_legend({{kP1, "p1 data"},
                                    {kP0, "p0 model"},
                                    {kEstimate, "f0·D/(1 − D)", LegendEntry::Mark::Dashed},
                                    {kDStar, "D*"},
                                    {kDTrained, "trained D"}});
        density_canvas_.set_home({x0, -0.05, x1, base + 1.2}, false);
        density_canvas_.set_axes({"x"}, {"D (below), density / peak (above)"});
        // On screen too: five curves in two bands, told apart only by colour.
        const float legend_h = density_canvas_.legend_item_height(size.x);
        density_canvas_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& cv) {
            cv.line({x0, 0.5}, {x1, 0.5}, kGuide, 1.0f);
            cv.line({x0, 1}, {x1, 1}, kGuide, 1.0f);
            cv.line({x0, base}, {x1, base}, kGuide, 1.0f);
            cv.polyline(p1, kP1, 2.0f);
            cv.polyline(p0, kP0, 2.0f);
            dashed(cv, est, kEstimate);
            cv.polyline(dstar, kDStar, 2.0f);
            cv.polyline(dtr, kDTrained, 2.0f);
        });
        density_canvas_.draw_legend_item(size.x);
        ImGui::EndGroup();
        mark_rect("div.densities", density_canvas_.plot_min(), density_canvas_.plot_max());
    }

    void draw_f(ImVec2 size) {
        ImGui::BeginGroup();
        const div::FDivergence& f = div::f_divergence(scene_->params().f);
        const double alpha = scene_->params().alpha;
        const std::string title = std::string("f(t) for ") + f.name + ": convex, f(1) = 0";
        const float title_h = plot_title(title.c_str(), size.x);
        f_canvas_.set_title(title);
        std::vector<Vec2> pts;
        double lo = 0, hi = 0;
        for (int i = 1; i <= 200; ++i) {
            const double t = 4.0 * i / 200;
            const double v = f.f(t, alpha);
            if (!std::isfinite(v)) continue;
            pts.push_back({t, v});
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        hi = std::min(hi, 6.0);
        lo = std::max(lo, -6.0);
        for (Vec2& p : pts) p.y = std::clamp(p.y, lo - 1, hi + 1);
        const double pad = 0.1 * std::max(hi - lo, 0.5);
        f_canvas_.set_legend({{kDStar, "f(t)"}});
        f_canvas_.set_home({0, lo - pad, 4, hi + pad}, false);
        f_canvas_.set_axes({"t = p1/p0"}, {"f(t)"});
        f_canvas_.draw(ImVec2(size.x, size.y - title_h), [=](Canvas& c) {
            c.line({0, 0}, {4, 0}, kGuide, 1.0f);
            c.line({1, lo - pad}, {1, hi + pad}, kGuide, 1.0f);
            c.polyline(pts, kDStar, 2.0f);
            c.point({1, 0}, kDTrained, 4.0f);
        });
        ImGui::EndGroup();
        mark_rect("div.f_plot", f_canvas_.plot_min(), f_canvas_.plot_max());
    }

    // The gradient that reaches the generator, through the logit a of D = σ(a): the
    // saturating loss log(1 − D) gives −D, which vanishes where D rejects the fakes (D → 0);
    // the non-saturating −log D gives −(1 − D), the full slope there. p0's samples sit on both.
    void draw_generator(ImVec2 size) {
        ImGui::BeginGroup();
        const char* title = "generator gradient through the logit: log(1 − D) vanishes at D → 0";
        const float title_h = plot_title(title, size.x);
        gen_canvas_.set_title(title);
        const std::vector<Vec2> sat = {{0, 0}, {1, -1}}, ns = {{0, -1}, {1, 0}};
        std::vector<Vec2> on_sat, on_ns;
        const div::Discriminator& d = scene_->shown();
        for (double x : scene_->generator_samples()) {
            const double v = div::prob(d, x);
            on_sat.push_back({v, -v});
            on_ns.push_back({v, -(1 - v)});
        }
        gen_canvas_.set_legend({{kSat, "saturating log(1 − D): −D"},
                                {kNonSat, "non-saturating −log D: −(1 − D)"},
                                {kGuide, "at p0's samples (the fakes)", LegendEntry::Mark::Dot}});
        gen_canvas_.set_home({0, -1.1, 1, 0.1}, false);
        gen_canvas_.set_axes({"D(G(z))"}, {"∂loss/∂logit"});
        const float legend_h = gen_canvas_.legend_item_height(size.x);
        gen_canvas_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
            c.line({0, 0}, {1, 0}, kGuide, 1.0f);
            c.polyline(sat, kSat, 2.0f);
            c.polyline(ns, kNonSat, 2.0f);
            for (const Vec2& p : on_sat) c.point(p, kSat, 3.0f);
            for (const Vec2& p : on_ns) c.point(p, kNonSat, 3.0f);
        });
        gen_canvas_.draw_legend_item(size.x);
        ImGui::EndGroup();
        mark_rect("div.generator", gen_canvas_.plot_min(), gen_canvas_.plot_max());
    }

    std::unique_ptr<DivScene> scene_ = std::make_unique<DivScene>();
    Canvas density_canvas_{"div.densities"}, f_canvas_{"div.f"}, gen_canvas_{"div.generator"};
};

}  // namespace

std::unique_ptr<PanelView> make_div_view() { return std::make_unique<DivView>(); }

}  // namespace genlab
