// KL-direction panel: a Gaussian q fitted to a mixture p by KL(p‖q) (forward: covers the
// modes) and by KL(q‖p) (reverse: picks one), live, with both objective landscapes. The fits,
// landscapes and numbers live in KlScene (model/scene_kl.hpp); this file holds the widgets,
// the input mapping and the drawing; the landscapes are drawn in view_kl_landscape.cpp.
//
// [SECTION] Helpers
// [SECTION] The view
// [SECTION] Controls and readouts
// [SECTION] The main plot: 1-D curves or 2-D density
#include <algorithm>
#include <cmath>
#include <memory>

#include "canvas.hpp"
#include "format.hpp"
#include "heatmap.hpp"
#include "palette.hpp"
#include "scene_kl.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "widgets.hpp"

namespace genlab {

// view_kl_landscape.cpp
void draw_kl_landscape(KlScene& scene, int i, Canvas& canvas, Heatmap& heat, int& uploaded,
                       const Canvas*& dragging, ImU32 colour, const std::string& formula,
                       ImVec2 size);

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

constexpr ImU32 kTarget = IM_COL32(20, 20, 30, 255);
constexpr ImU32 kForward = IM_COL32(30, 100, 220, 255);
constexpr ImU32 kReverse = IM_COL32(220, 50, 40, 255);
constexpr ImU32 kFamily = IM_COL32(20, 150, 70, 255);
constexpr ImU32 kHandle = IM_COL32(90, 90, 100, 255);
constexpr int kFits = KlScene::kFits;
constexpr int kCurveSamples = 400;
const char* kFitNames[kFits] = {"forward  KL(p‖q)", "reverse  KL(q‖p)", "family"};
const ImU32 kFitColours[kFits] = {kForward, kReverse, kFamily};

std::string objective_formula(int fit, const KlParams& p) {
    if (fit == 0)
        return "KL(p‖q) = ∫ p(x) log(p(x)/q(x)) dx: large wherever p has mass and q does not";
    if (fit == 1)
        return "KL(q‖p) = ∫ q(x) log(q(x)/p(x)) dx: large wherever q has mass and p does not";
    if (p.family == "js") return "JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m),  m = (p + q)/2";
    return "D_α(p‖q) = (1 − ∫ p^α q^(1−α)) / (α(1−α)),  α = " + format_g(p.options.alpha, 3) +
           "  (α → 1: forward, α → 0: reverse)";
}

// A combo for a word-valued key: shows each word's label, writes the word. True on change.
bool word_combo(const char* label, std::string& value,
                std::initializer_list<std::pair<const char*, const char*>> words, float width) {
    const char* shown = value.c_str();
    for (const auto& [word, text] : words) {
        if (value == word) shown = text;
    }
    bool changed = false;
    ImGui::SetNextItemWidth(width);
    if (ImGui::BeginCombo(label, shown)) {
        for (const auto& [word, text] : words) {
            if (ImGui::Selectable(text, value == word) && value != word)
                value = word, changed = true;
        }
        ImGui::EndCombo();
    }
    return changed;
}

// Points of the ellipse {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = r²}.
std::vector<Vec2> ellipse(const kl::Gaussian& q, double r) {
    std::vector<Vec2> pts;
    for (int k = 0; k <= 96; ++k) {
        const double t = 2 * M_PI * k / 96;
        kl::Vec z(2);
        z << r * std::cos(t), r * std::sin(t);
        const kl::Vec x = q.mean + q.chol * z;
        pts.push_back({x[0], x[1]});
    }
    return pts;
}

WorldRect world(const KlBox& b) { return {b.x0, b.y0, b.x1, b.y1}; }

// A drag box over a vector of `dim` entries (1 or 2), bounded by `key`. True on change.
bool drag_vector(const char* label, const kl::Vec& value, int dim, const NumberKey& key,
                 float speed, kl::Vec& out) {
    float v[2] = {static_cast<float>(value[0]), dim == 2 ? static_cast<float>(value[1]) : 0.f};
    const float lo = static_cast<float>(key.lo), hi = static_cast<float>(key.hi);
    const bool changed =
        dim == 2 ? ImGui::DragFloat2(label, v, speed, lo, hi, "%.2f", ImGuiSliderFlags_AlwaysClamp)
                 : ImGui::DragFloat(label, v, speed, lo, hi, "%.2f", ImGuiSliderFlags_AlwaysClamp);
    mark_key_range(key);
    out = kl::Vec(dim);
    for (int i = 0; i < dim; ++i) out[i] = v[i];
    return changed;
}

//-----------------------------------------------------------------------------
// [SECTION] The view
//-----------------------------------------------------------------------------

class KlView : public PanelView {
  public:
    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }

    void set_state(const Json& s) override { scene_->set_state(s); }
    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return main_canvas_; }
    std::vector<Canvas*> figure_canvases() override {
        return {&main_canvas_, &land_canvas_[0], &land_canvas_[1]};
    }
    std::string bench_slider() const override { return "kl.lr"; }

    std::vector<std::string> legend_lines() const override {
        return {"Black: the target p; grey dots: its modes' handles (drag; the wheel: width)",
                "Blue: q fitted by KL(p‖q) (forward, mode covering); red: by KL(q‖p) (reverse, "
                "mode seeking); a third colour: JS or α when chosen",
                "2-D: p as a heatmap, each q as contour ellipses in its colour",
                "Landscapes: the objective over q's (μ, log σ) or (μ1, μ2), coloured on a "
                "log(1 + KL) scale with KL on the colourbar",
                "Thin grey paths: restarts from 7 starts along p; white dots: where they ended "
                "(the local optima)",
                "Coloured path: this fit from q's start (orange dot, drag it); white dot with a "
                "black centre: the closed-form forward optimum (moment matching)"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Drag a mode of p to move it; the wheel over it changes its width",
                "Drag the orange dot on a landscape: q's starting point",
                "Play: watch the optimizers step (60 a second × speed); Step: one step; Reset: "
                "back to q's start; an edit re-fits at once"};
    }

    void draw() override {
        if (test_dump_enabled()) {
            Json fits = Json::array();
            for (int i = 0; i < 2; ++i) {
                const kl::Fit& f = scene_->fit(i);
                fits.push_back({{"mean", f.q.mean[0]},
                                {"iterations", f.iterations},
                                {"converged", f.converged}});
            }
            mark_value("kl.fits", fits);
            mark_value("kl.frames_fitting", scene_->frames_fitting());  // since the last edit
        }
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("kl.controls", ImVec2(font * 21, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("kl.plots", ImVec2(0, 0), false);
        // Landscapes and restarts wait for a drag to end.
        if (!ImGui::IsAnyItemActive()) scene_->update_landscapes();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        draw_main(ImVec2(avail.x, std::max(font * 10, avail.y * 0.55f)));
        const float half = (avail.x - ImGui::GetStyle().ItemSpacing.x) / 2;
        const float h = std::max(font * 8, ImGui::GetContentRegionAvail().y);
        for (int i = 0; i < 2; ++i) {
            if (i) ImGui::SameLine();
            draw_kl_landscape(*scene_, i, land_canvas_[i], land_heat_[i], land_uploaded_[i],
                              dragging_start_, kFitColours[i],
                              objective_formula(i, scene_->params()), ImVec2(half, h));
        }
        ImGui::EndChild();
    }

  private:
    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    void draw_controls() {
        const float w = ImGui::GetFontSize() * 9;
        int dim = scene_->dim() - 1;
        ImGui::SetNextItemWidth(w);
        if (ImGui::Combo("dimension", &dim,
                         "1-D\0"
                         "2-D\0"))
            scene_->set_dimension(dim + 1);
        mark_key_range(kl_keys::dim);
        mark_item("kl.dim");
        draw_target_editor();
        ImGui::Separator();
        draw_optimizer_controls();
        ImGui::Separator();
        draw_readouts();
    }

    void draw_target_editor() {
        const KlParams& p = scene_->params();
        ImGui::Text("Target p: %zu component(s)", p.target.size());
        int remove = -1;
        for (size_t k = 0; k < p.target.size(); ++k) {
            const kl::Component& c = p.target[k];
            ImGui::PushID(static_cast<int>(k));
            float weight = static_cast<float>(c.weight);
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
            const NumberKey& wk = kl_keys::target_weight;
            if (ImGui::DragFloat("w", &weight, 0.01f, static_cast<float>(wk.lo),
                                 static_cast<float>(wk.hi), "%.2f", ImGuiSliderFlags_AlwaysClamp))
                scene_->set_weight(k, weight);
            mark_key_range(wk);
            ImGui::SameLine();
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * (p.dim == 2 ? 7 : 4));
            kl::Vec mean;
            if (drag_vector("μ", c.mean, p.dim, kl_keys::target_mean, 0.02f, mean))
                scene_->set_mode_mean(k, mean);
            ImGui::SameLine();
            float sd = static_cast<float>(std::sqrt(c.cov(0, 0)));
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 3.5f);
            const NumberKey& sk = kl_keys::target_std;
            if (ImGui::DragFloat("σ", &sd, 0.01f, static_cast<float>(sk.lo),
                                 static_cast<float>(sk.hi), "%.2f", ImGuiSliderFlags_AlwaysClamp))
                scene_->set_mode_std(k, sd);
            mark_key_range(sk);
            ImGui::SameLine();
            ImGui::BeginDisabled(p.target.size() <= 1);
            if (ImGui::SmallButton("x")) remove = static_cast<int>(k);
            ImGui::EndDisabled();
            ImGui::PopID();
        }
        if (remove >= 0) scene_->remove_mode(static_cast<size_t>(remove));
        ImGui::BeginDisabled(static_cast<int>(p.target.size()) >= kKlMaxComponents);
        if (ImGui::Button("+ add a mode")) scene_->add_mode();
        mark_item("kl.add_mode");
        ImGui::EndDisabled();
    }

    void draw_optimizer_controls() {
        const float w = ImGui::GetFontSize() * 9;
        const KlParams& p = scene_->params();
        int opt = p.options.optimizer == kl::Optimizer::GD;
        ImGui::SetNextItemWidth(w);
        if (ImGui::Combo("optimizer", &opt,
                         "Adam\0"
                         "gradient descent\0")) {
            scene_->set_optimizer(opt ? kl::Optimizer::GD : kl::Optimizer::Adam);
        }
        double lr = p.options.lr;
        ImGui::SetNextItemWidth(w);
        if (key_slider("lr", lr, kl_keys::lr, "%.4g")) scene_->set_lr(lr);
        mark_item("kl.lr");
        int iterations = p.options.iterations;
        ImGui::SetNextItemWidth(w);
        if (key_slider("max iterations", iterations, kl_keys::iterations))
            scene_->set_iterations(iterations);
        int per_frame = p.iterations_per_frame;
        ImGui::SetNextItemWidth(w);
        if (key_slider("iterations / frame", per_frame, kl_keys::iterations_per_frame))
            scene_->set_iterations_per_frame(per_frame);
        ImGui::SetNextItemWidth(w);
        kl::Vec mu;
        if (drag_vector("q start μ", p.q_init.mean, p.dim, kl_keys::q_mean, 0.02f, mu))
            scene_->set_q_start_mean(mu);
        mark_item("kl.q_init");
        if (p.dim == 2) {
            int mean_field = p.options.mean_field;
            ImGui::SetNextItemWidth(w);
            if (ImGui::Combo("q covariance", &mean_field,
                             "full\0"
                             "diagonal (mean field)\0")) {
                scene_->set_mean_field(mean_field == 1);
            }
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("diagonal: q(x) = q1(x1)·q2(x2), as in PRML Figure 10.2");
            }
        }
        std::string family = p.family;
        if (word_combo("third fit", family,
                       {{"none", "none"}, {"js", "Jensen-Shannon"}, {"alpha", "α-divergence"}},
                       w)) {
            scene_->set_family(family);
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", objective_formula(2, p).c_str());
        ImGui::BeginDisabled(p.family != "alpha");
        double alpha = p.options.alpha;
        ImGui::SetNextItemWidth(w);
        if (key_slider("α", alpha, kl_keys::alpha, "%.2f")) scene_->set_alpha(alpha);
        ImGui::EndDisabled();
        if (p.dim == 1) {
            std::string shade = p.shade;
            if (word_combo("shade", shade,
                           {{"none", "nothing"},
                            {"forward", "KL(p‖q) integrand"},
                            {"reverse", "KL(q‖p) integrand"}},
                           w))
                scene_->set_shade(shade);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("where each divergence comes from");
        }
        int samples = p.mc_samples;
        ImGui::SetNextItemWidth(w);
        if (key_slider("MC samples", samples, kl_keys::mc_samples)) scene_->set_mc_samples(samples);
    }

    void draw_readouts() {
        const KlParams& p = scene_->params();
        ImGui::TextUnformatted("Each fit, evaluated both ways:");
        if (ImGui::BeginTable("kl.table", 3,
                              ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
            ImGui::TableSetupColumn("fit of q");
            ImGui::TableSetupColumn("KL(p‖q)");
            ImGui::TableSetupColumn("KL(q‖p)");
            ImGui::TableHeadersRow();
            for (int i = 0; i < kFits; ++i) {
                if (!scene_->fit_active(i)) continue;
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kFitColours[i]), "%s",
                                   i == 2 ? p.family.c_str() : (i == 0 ? "forward" : "reverse"));
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", objective_formula(i, p).c_str());
                ImGui::TableNextColumn();
                const auto [pq, qp] = scene_->kls(i);
                // "≈": a moving 2-D fit's values by the optimizer's rule, resolved once it stops.
                const std::string about = scene_->kls_resolved(i) || p.dim == 1 ? "" : "≈";
                ImGui::TextUnformatted((about + format_g(pq, 4)).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted((about + format_g(qp, 4)).c_str());
            }
            ImGui::EndTable();
        }
        for (int i = 0; i < kFits; ++i) {
            if (!scene_->fit_active(i)) continue;
            const kl::Fit& f = scene_->fit(i);
            const std::string q = describe(f.q, p.dim);
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kFitColours[i]));
            text_wrapped(std::string(i == 2 ? "third" : (i == 0 ? "forward" : "reverse")) + ": " +
                         q);
            ImGui::PopStyleColor();
            ImGui::Text("   %d iterations, %s", f.iterations,
                        f.diverged            ? "DIVERGED"
                        : f.converged         ? "converged"
                        : scene_->fit_done(i) ? "stopped at the limit"
                                              : "running");
            if (f.diverged) {  // why, in words: a finite σ of 1e-20 is no answer either
                ImGui::PushStyleColor(ImGuiCol_Text, palette::kErrorText);
                text_wrapped("   " + f.divergence + ": lower lr");
                ImGui::PopStyleColor();
            }
        }
        const kl::Gaussian& closed = scene_->closed_form();
        text_wrapped("closed-form forward optimum: " + describe(closed, p.dim));
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("moment matching: μ = E_p[x], Σ = Cov_p[x]");
        draw_monte_carlo();
    }

    // "μ = 0.35, σ = 4.14" in 1-D; in 2-D both means, both widths and the correlation, so a
    // full covariance is not shown as its first entry.
    static std::string describe(const kl::Gaussian& q, int dim) {
        const kl::Mat cov = q.cov();
        if (dim == 1) {
            return "μ = " + format_g(q.mean[0], 3) + ", σ = " + format_g(std::sqrt(cov(0, 0)), 3);
        }
        const double s1 = std::sqrt(cov(0, 0)), s2 = std::sqrt(cov(1, 1));
        return "μ = (" + format_g(q.mean[0], 3) + ", " + format_g(q.mean[1], 3) + "), σ = (" +
               format_g(s1, 3) + ", " + format_g(s2, 3) +
               "), ρ = " + format_g(cov(0, 1) / (s1 * s2), 3);
    }

    // The reparameterized estimator's spread over 20 seeds, against the quadrature value.
    void draw_monte_carlo() {
        const KlMonteCarlo& mc = scene_->monte_carlo();
        ImGui::Text("MC KL(q‖p) at the reverse fit, %d samples:", scene_->params().mc_samples);
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "(1/S) Σ [log q(x_s) − log p(x_s)],  x_s = μ + σ·ε_s,  ε_s ~ N(0, 1);\n"
                "mean ± standard deviation over 20 seeds");
        }
        ImGui::Text("   %s ± %s (quadrature %s)", format_g(mc.mean, 4).c_str(),
                    format_g(mc.sd, 2).c_str(), format_g(scene_->kls(1).second, 4).c_str());
    }

    //-------------------------------------------------------------------------
    // [SECTION] The main plot: 1-D curves or 2-D density
    //-------------------------------------------------------------------------

    // Which component's handle is under the pointer (within 12 px on screen), or -1.
    int component_under(const Canvas& c, Vec2 w) const {
        const ImVec2 at = c.to_screen(w);
        for (size_t k = 0; k < scene_->params().target.size(); ++k) {
            const ImVec2 h = c.to_screen(handle(k));
            if (std::hypot(at.x - h.x, at.y - h.y) < 12) return static_cast<int>(k);
        }
        return -1;
    }

    Vec2 handle(size_t k) const {
        const kl::Component& c = scene_->params().target[k];
        if (scene_->dim() == 2) return {c.mean[0], c.mean[1]};
        return {c.mean[0], scene_->p_density(c.mean)};
    }

    std::vector<Vec2> handles() const {
        std::vector<Vec2> out;
        for (size_t k = 0; k < scene_->params().target.size(); ++k) out.push_back(handle(k));
        return out;
    }

    void draw_main(ImVec2 size) {
        const KlParams& p = scene_->params();
        ImGui::BeginGroup();
        for (int i = 0; i < kFits; ++i) {
            if (!scene_->fit_active(i)) continue;
            if (i) ImGui::SameLine();
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kFitColours[i]), "■ q %s",
                               i == 2 ? p.family.c_str() : kFitNames[i]);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", objective_formula(i, p).c_str());
        }
        ImGui::SameLine();
        ImGui::TextUnformatted(p.dim == 1 ? "   black: target p" : "   heatmap: target p");
        main_canvas_.set_title(p.dim == 1 ? "target p and the fitted Gaussians q"
                                          : "target p and the fitted q's (1σ and 2σ ellipses)");
        main_canvas_.set_legend(main_legend());
        // The wheel over a mode changes its width instead of zooming.
        const auto hover = main_canvas_.hover_world();
        const int under = hover ? component_under(main_canvas_, *hover) : -1;
        main_canvas_.capture_wheel(under >= 0);
        if (under >= 0 && ImGui::GetIO().MouseWheel != 0) {
            scene_->scale_mode(static_cast<size_t>(under),
                               std::pow(1.1, ImGui::GetIO().MouseWheel));
        }
        main_canvas_.set_home(world(scene_->home()), p.dim == 2);
        const ImVec2 plot(size.x, size.y - ImGui::GetFrameHeightWithSpacing());
        if (p.dim == 1) {
            draw_main_1d(plot);
        } else {
            draw_main_2d(plot);
        }
        ImGui::EndGroup();
        mark_rect("kl.main", main_canvas_.plot_min(), main_canvas_.plot_max());
        for (size_t k = 0; k < p.target.size(); ++k) {
            const ImVec2 s = main_canvas_.to_screen(handle(k));
            mark_rect("kl.mode." + std::to_string(k), ImVec2(s.x - 4, s.y - 4),
                      ImVec2(s.x + 4, s.y + 4));
        }
        handle_mode_drag();
    }

    std::vector<LegendEntry> main_legend() const {
        const KlParams& p = scene_->params();
        std::vector<LegendEntry> legend;
        if (p.dim == 1) legend.emplace_back(kTarget, "target p");
        for (int i = 0; i < kFits; ++i) {
            if (scene_->fit_active(i))
                legend.emplace_back(kFitColours[i],
                                    std::string("q ") + (i == 2 ? p.family.c_str() : kFitNames[i]));
        }
        legend.emplace_back(kHandle, "a mode of p (drag it)", LegendEntry::Mark::Dot);
        if (p.dim == 1 && scene_->shade() != "none") {
            legend.emplace_back(scene_->shade() == "forward" ? IM_COL32(30, 100, 220, 70)
                                                             : IM_COL32(220, 50, 40, 70),
                                "shading: the " + scene_->shade() + " KL's integrand",
                                LegendEntry::Mark::Patch);
        }
        return legend;
    }

    void handle_mode_drag() {
        const auto origin = main_canvas_.left_drag_origin();
        if (!origin) {
            dragging_mode_ = -1;
            return;
        }
        if (dragging_mode_ < 0) dragging_mode_ = component_under(main_canvas_, *origin);
        if (dragging_mode_ < 0 ||
            dragging_mode_ >= static_cast<int>(scene_->params().target.size()))
            return;
        if (auto w = main_canvas_.hover_world()) {
            kl::Vec mean = scene_->params().target[dragging_mode_].mean;
            mean[0] = w->x;
            if (scene_->dim() == 2) mean[1] = w->y;
            scene_->set_mode_mean(static_cast<size_t>(dragging_mode_), mean);
        }
    }

    void draw_main_1d(ImVec2 size) {
        const WorldRect box = main_canvas_.view();
        const KlCurves curves = scene_->curves(box.x0, box.x1, kCurveSamples);
        std::vector<Vec2> p_curve, shade;
        std::vector<std::vector<Vec2>> q_curves(kFits);
        for (size_t k = 0; k < curves.x.size(); ++k) {
            p_curve.push_back({curves.x[k], curves.p[k]});
            for (int i = 0; i < kFits; ++i) {
                if (k < curves.q[i].size()) q_curves[i].push_back({curves.x[k], curves.q[i][k]});
            }
            if (k < curves.shade.size()) shade.push_back({curves.x[k], curves.shade[k]});
        }
        const ImU32 shade_colour =
            scene_->shade() == "forward" ? IM_COL32(30, 100, 220, 70) : IM_COL32(220, 50, 40, 70);
        const double dx = (box.x1 - box.x0) / kCurveSamples;
        main_canvas_.set_axes({"x"}, {"density"});
        main_canvas_.set_colorbar(std::nullopt);
        main_canvas_.draw(
            size, [p_curve, q_curves, shade, handles = handles(), shade_colour, dx](Canvas& c) {
                for (const Vec2& s : shade)
                    c.rect({s.x - dx / 2, 0}, {s.x + dx / 2, s.y}, shade_colour);
                c.line({-1e6, 0}, {1e6, 0}, IM_COL32(0, 0, 0, 90), 1);
                c.polyline(p_curve, kTarget, 2.5f);
                for (int i = 0; i < kFits; ++i) c.polyline(q_curves[i], kFitColours[i], 2.2f);
                for (const Vec2& h : handles) {
                    c.point(h, IM_COL32_WHITE, 6);
                    c.point(h, kHandle, 4.5f);
                }
            });
        if (auto w = main_canvas_.hover_world(); w && dragging_mode_ < 0) {
            std::string text =
                "x = " + format_g(w->x, 3) + "\np(x) = " + format_g(scene_->p_density(w->x), 4);
            for (int i = 0; i < 2; ++i)
                text += std::string("\nq_") + (i ? "reverse" : "forward") +
                        "(x) = " + format_g(scene_->q_density(i, w->x), 4);
            text += "\ndrag a grey dot: move a mode; wheel on it: its width";
            ImGui::SetTooltip("%s", text.c_str());
        }
    }

    void draw_main_2d(ImVec2 size) {
        // The heatmap covers what the canvas showed last frame (its view, aspect-fitted).
        if (main_canvas_.drawn_once()) {
            const WorldRect v = main_canvas_.view();
            scene_->set_density_view({v.x0, v.y0, v.x1, v.y1});
        }
        const KlDensity& density = scene_->density();
        if (density_uploaded_ != scene_->recomputes(KlScene::Part::Density)) {
            density_heat_.set_values(density.nx, density.ny, density.values);
            density_heat_.set_smooth(true);
            density_uploaded_ = scene_->recomputes(KlScene::Part::Density);
        }
        density_heat_.set_range(0, density.peak, Colormap::Viridis);
        const GLuint tex = density_heat_.texture();
        std::vector<std::vector<std::vector<Vec2>>> ellipses(kFits);
        for (int i = 0; i < kFits; ++i) {
            if (!scene_->fit_active(i)) continue;
            ellipses[i] = {ellipse(scene_->fit(i).q, 1), ellipse(scene_->fit(i).q, 2)};
        }
        const WorldRect db = world(density.box);
        main_canvas_.set_axes({"x1"}, {"x2"});
        main_canvas_.set_colorbar(ColorbarSpec(Colormap::Viridis, 0, density.peak, "p(x)"));
        main_canvas_.draw(size,
                          [tex, db, ell = std::move(ellipses), handles = handles()](Canvas& c) {
                              c.image(tex, {db.x0, db.y0}, {db.x1, db.y1});
                              for (int i = 0; i < kFits; ++i) {
                                  for (size_t r = 0; r < ell[i].size(); ++r)
                                      c.polyline(ell[i][r], kFitColours[i], r == 0 ? 2.5f : 1.5f);
                              }
                              for (const Vec2& h : handles) {
                                  c.point(h, IM_COL32_WHITE, 6);
                                  c.point(h, kHandle, 4.5f);
                              }
                          });
    }

    std::unique_ptr<KlScene> scene_ = std::make_unique<KlScene>();
    Heatmap land_heat_[2], density_heat_;
    int land_uploaded_[2] = {-1, -1}, density_uploaded_ = -1;
    int dragging_mode_ = -1;
    const Canvas* dragging_start_ = nullptr;
    Canvas main_canvas_{"kl.main"};
    Canvas land_canvas_[2] = {Canvas("kl.landscape_forward"), Canvas("kl.landscape_reverse")};
};

}  // namespace

std::unique_ptr<PanelView> make_kl_view() { return std::make_unique<KlView>(); }

}  // namespace genlab
