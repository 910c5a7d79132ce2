// KL-direction panel: a Gaussian q fitted to a mixture p by KL(p‖q) (forward: covers the
// modes) and by KL(q‖p) (reverse: picks one), live, with both objective landscapes.
//
// [SECTION] Helpers
// [SECTION] The view: state and fitting
// [SECTION] Controls and readouts
// [SECTION] The main plot: 1-D curves or 2-D density
// [SECTION] Landscapes
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "canvas.hpp"
#include "heatmap.hpp"
#include "kl_model.hpp"
#include "test_dump.hpp"
#include "view.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

constexpr ImU32 kTarget = IM_COL32(20, 20, 30, 255);
constexpr ImU32 kForward = IM_COL32(30, 100, 220, 255);
constexpr ImU32 kReverse = IM_COL32(220, 50, 40, 255);
constexpr ImU32 kFamily = IM_COL32(20, 150, 70, 255);
constexpr ImU32 kStart = IM_COL32(250, 140, 0, 255);
constexpr ImU32 kHandle = IM_COL32(90, 90, 100, 255);
constexpr int kFits = 3;  // forward, reverse, family
constexpr int kRestarts = 7;
constexpr int kCurveSamples = 400;
constexpr int kDensityGrid = 128;
constexpr int kLandscapeGrid = 56;
const char* kFitNames[kFits] = {"forward  KL(p‖q)", "reverse  KL(q‖p)", "family"};
const ImU32 kFitColours[kFits] = {kForward, kReverse, kFamily};

std::string fmt(double v, int digits = 4) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v == 0 ? 0.0 : v);
    return buf;
}

kl::Objective objective_of(int fit, const KlParams& p) {
    if (fit == 0) return kl::Objective::Forward;
    if (fit == 1) return kl::Objective::Reverse;
    return kl_family_objective(p.family);
}

std::string objective_formula(int fit, const KlParams& p) {
    if (fit == 0)
        return "KL(p‖q) = ∫ p(x) log(p(x)/q(x)) dx: large wherever p has mass and q does not";
    if (fit == 1)
        return "KL(q‖p) = ∫ q(x) log(q(x)/p(x)) dx: large wherever q has mass and p does not";
    if (p.family == "js") return "JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m),  m = (p + q)/2";
    return "D_α(p‖q) = (1 − ∫ p^α q^(1−α)) / (α(1−α)),  α = " + fmt(p.options.alpha, 3) +
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

// The region that holds p and the starting q: each Gaussian ± 4 standard deviations.
WorldRect support_box(const KlParams& p) {
    WorldRect box{INFINITY, INFINITY, -INFINITY, -INFINITY};
    const auto include = [&](const kl::Vec& m, const kl::Mat& c) {
        for (int i = 0; i < m.size(); ++i) {
            const double s = 4 * std::sqrt(c(i, i));
            (i == 0 ? box.x0 : box.y0) = std::min(i == 0 ? box.x0 : box.y0, m[i] - s);
            (i == 0 ? box.x1 : box.y1) = std::max(i == 0 ? box.x1 : box.y1, m[i] + s);
        }
    };
    for (const kl::Component& c : p.target) include(c.mean, c.cov);
    include(p.q_init.mean, p.q_init.cov());
    if (p.dim == 1) box.y0 = 0, box.y1 = 1;
    return box;
}

double density(const kl::Gaussian& q, double x) {
    kl::Vec v(1);
    v[0] = x;
    return std::exp(kl::log_density(q, v));
}

double density(const kl::Mixture& p, const kl::Vec& x) { return std::exp(kl::log_density(p, x)); }

// p at evenly spaced x in [lo, hi] (samples + 1 points), in one core call.
std::vector<double> density_curve(const kl::Mixture& p, double lo, double hi, int samples) {
    kl::Mat xs(1, samples + 1);
    for (int k = 0; k <= samples; ++k) xs(0, k) = lo + (hi - lo) * k / samples;
    const kl::Vec logp = kl::log_density_many(p, xs);
    std::vector<double> out(samples + 1);
    for (int k = 0; k <= samples; ++k) out[k] = std::exp(logp[k]);
    return out;
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

//-----------------------------------------------------------------------------
// [SECTION] The view: state and fitting
//-----------------------------------------------------------------------------

class KlView : public PanelView {
  public:
    KlView() { set_state(model_.defaults()); }

    const PanelModel& model() const override { return model_; }

    void set_state(const Json& s) override {
        params_ = kl_params_from_json(s);
        rebuild_quadrature();
        restart_fits();
        fits_pending_ = true;  // finished when the panel is first used, not at every load
        scene_dirty_ = density_dirty_ = true;
        ++target_version_;
        home_ = home_view();  // fixed while editing, so nothing moves under the pointer
    }

    Json state() const override { return kl_params_to_json(params_); }
    Canvas& main_canvas() override { return main_canvas_; }

    std::vector<std::string> help_lines() const override {
        return {"Drag a mode of p to move it; the wheel over it changes its width",
                "Drag the orange dot on a landscape: q's starting point",
                "Play / Step: run the optimizers; Reset: back to q's start"};
    }

    bool wants_frames() const override { return playing_ && !all_done(); }

    void set_playing(bool playing) override {
        finish_pending_fits();
        if (playing && all_done()) restart_fits();
        playing_ = playing;
    }
    void step() override {
        finish_pending_fits();
        playing_ = false;
        if (all_done()) restart_fits();
        advance_fits(1);
    }
    void reset() override {
        fits_pending_ = false;
        restart_fits();
        playing_ = false;
    }

    // A loaded state shows its finished fits at once (within a second; a slower setting goes
    // on fitting live), and edits then re-fit live. Done on first use, so starting the app or
    // loading a session does not fit panels nobody is looking at.
    void finish_pending_fits() {
        if (!fits_pending_) return;
        fits_pending_ = false;
        const auto started = std::chrono::steady_clock::now();
        while (!all_done() &&
               std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
            advance_fits(200);
        }
        playing_ = !all_done();
    }

    void draw(const FrameInfo&) override {
        finish_pending_fits();
        if (playing_) {
            advance_fits_within(params_.iterations_per_frame, kFitBudgetPerFrame);
            ++frames_fitting_;
            if (all_done()) playing_ = false;
        }
        if (test_dump_enabled()) {
            Json fits = Json::array();
            for (int i = 0; i < 2; ++i) {
                fits.push_back({{"mean", fits_[i].q.mean[0]},
                                {"iterations", fits_[i].iterations},
                                {"converged", fits_[i].converged}});
            }
            mark_value("kl.fits", fits);
            mark_value("kl.frames_fitting", frames_fitting_);  // frames since the last edit
        }
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("kl.controls", ImVec2(font * 21, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("kl.plots", ImVec2(0, 0), false);
        update_scene();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        draw_main(ImVec2(avail.x, std::max(font * 10, avail.y * 0.55f)));
        const float half = (avail.x - ImGui::GetStyle().ItemSpacing.x) / 2;
        const float h = std::max(font * 8, ImGui::GetContentRegionAvail().y);
        draw_landscape(0, ImVec2(half, h));
        ImGui::SameLine();
        draw_landscape(1, ImVec2(half, h));
        ImGui::EndChild();
    }

  private:
    bool fit_active(int i) const { return i < 2 || params_.family != "none"; }

    bool fit_done(int i) const {
        const kl::Fit& f = fits_[i];
        return !fit_active(i) || f.converged || f.diverged ||
               f.iterations >= params_.options.iterations;
    }

    bool all_done() const {
        for (int i = 0; i < kFits; ++i) {
            if (!fit_done(i)) return false;
        }
        return true;
    }

    void rebuild_quadrature() {
        if (quad_ && quad_->dim() == params_.dim) return;
        quad_ = std::make_unique<kl::Quadrature>(params_.dim);
        // Landscapes and restarts evaluate the objective thousands of times: a coarser grid.
        coarse_ = std::make_unique<kl::Quadrature>(params_.dim, params_.dim == 1 ? 256 : 24);
    }

    // Back to q's start; the next frames re-fit (live).
    void restart_fits() {
        for (int i = 0; i < kFits; ++i) {
            fits_[i] = kl::Fit{};
            fits_[i].q = params_.q_init;
            fits_[i].path = {params_.q_init.params()};
            adam_[i] = {};
        }
    }

    void advance_fits(int steps) {
        for (int i = 0; i < kFits; ++i) {
            if (fit_done(i)) continue;
            const int left = params_.options.iterations - fits_[i].iterations;
            kl::fit_steps(params_.target, fits_[i], adam_[i], objective_of(i, params_),
                          params_.options, *quad_, std::min(steps, left));
        }
    }

    // Up to `steps` iterations, stopping early once `budget` is spent, so a costly setting (2-D,
    // many modes, a JS fit) re-fits over several frames instead of freezing the window. A
    // floor of work per frame (a quarter of the default setting's 200 iterations, in
    // quadrature-node evaluations) keeps the default re-fitting within a few frames on a slow
    // machine too.
    void advance_fits_within(int steps, std::chrono::duration<double> budget) {
        const auto started = std::chrono::steady_clock::now();
        const int fits = fit_active(2) ? 3 : 2;
        // Rough cost of one iteration: nodes × (modes + q) × fits, × dim² for the 2-D
        // covariance algebra at each node.
        const double per_iteration = static_cast<double>(quad_->size()) *
                                     (params_.target.size() + 1) * fits * params_.dim * params_.dim;
        constexpr double kDefaultPerIteration = 2048.0 * 3 * 2;  // 1-D, two modes, two fits
        const int floor = static_cast<int>(
            std::clamp(50 * kDefaultPerIteration / per_iteration, 1.0, static_cast<double>(steps)));
        for (int done = 0; done < steps && !all_done(); ++done) {
            advance_fits(1);
            if (done + 1 >= floor && std::chrono::steady_clock::now() - started > budget) break;
        }
    }

    // Something the fits depend on changed: re-fit live from q's start.
    void refit(bool target_changed) {
        restart_fits();
        frames_fitting_ = 0;
        playing_ = true;
        if (target_changed)
            scene_dirty_ = density_dirty_ = true, ++target_version_;
        else
            scene_dirty_ = true;  // restarts start from q's scale
    }

    WorldRect home_view() const {
        const WorldRect box = support_box(params_);
        if (params_.dim == 2) return box;
        // Room for p and for a q as narrow as p's narrowest mode (where a reverse fit lands),
        // fixed while fitting so the view does not jump.
        double peak = 0, smallest = INFINITY;
        for (double d : density_curve(params_.target, box.x0, box.x1, kCurveSamples)) {
            peak = std::max(peak, d);
        }
        for (const kl::Component& c : params_.target)
            smallest = std::min(smallest, std::sqrt(c.cov(0, 0)));
        peak = std::max(peak, 1 / (smallest * std::sqrt(2 * M_PI)));
        return {box.x0, -0.04 * peak, box.x1, 1.1 * peak};
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    void draw_controls() {
        const float w = ImGui::GetFontSize() * 9;
        int dim = params_.dim - 1;
        ImGui::SetNextItemWidth(w);
        if (ImGui::Combo("dimension", &dim,
                         "1-D\0"
                         "2-D\0"))
            set_dimension(dim + 1);
        mark_item("kl.dim");
        draw_target_editor();
        ImGui::Separator();
        draw_optimizer_controls();
        ImGui::Separator();
        draw_readouts();
    }

    void set_dimension(int dim) {
        Json s = kl_params_to_json(params_);
        s["dim"] = dim;  // the model maps means and widths across dimensions
        set_state(model_.normalize(s));
        refit(true);
    }

    void draw_target_editor() {
        ImGui::Text("Target p: %zu component(s)", params_.target.size());
        int remove = -1;
        for (size_t k = 0; k < params_.target.size(); ++k) {
            kl::Component& c = params_.target[k];
            ImGui::PushID(static_cast<int>(k));
            float weight = static_cast<float>(c.weight);
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
            if (ImGui::DragFloat("w", &weight, 0.01f, 0.01f, 10.0f, "%.2f",
                                 ImGuiSliderFlags_AlwaysClamp)) {
                c.weight = weight;
                refit(true);
            }
            ImGui::SameLine();
            float mean[2] = {static_cast<float>(c.mean[0]),
                             params_.dim == 2 ? static_cast<float>(c.mean[1]) : 0.f};
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * (params_.dim == 2 ? 7 : 4));
            const bool moved = params_.dim == 2
                                   ? ImGui::DragFloat2("μ", mean, 0.02f, -100, 100, "%.2f",
                                                       ImGuiSliderFlags_AlwaysClamp)
                                   : ImGui::DragFloat("μ", mean, 0.02f, -100, 100, "%.2f",
                                                      ImGuiSliderFlags_AlwaysClamp);
            if (moved) {
                for (int i = 0; i < params_.dim; ++i) c.mean[i] = mean[i];
                refit(true);
            }
            ImGui::SameLine();
            float sd = static_cast<float>(std::sqrt(c.cov(0, 0)));
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 3.5f);
            if (ImGui::DragFloat("σ", &sd, 0.01f, 0.05f, 50.0f, "%.2f",
                                 ImGuiSliderFlags_AlwaysClamp)) {
                scale_component(k, sd / std::sqrt(c.cov(0, 0)));
            }
            ImGui::SameLine();
            ImGui::BeginDisabled(params_.target.size() <= 1);
            if (ImGui::SmallButton("x")) remove = static_cast<int>(k);
            ImGui::EndDisabled();
            ImGui::PopID();
        }
        if (remove >= 0) {
            params_.target.erase(params_.target.begin() + remove);
            refit(true);
            home_ = home_view();
        }
        ImGui::BeginDisabled(static_cast<int>(params_.target.size()) >= kKlMaxComponents);
        if (ImGui::Button("+ add a mode")) {
            kl::Component c = params_.target.back();
            c.mean[0] += 2.5 * std::sqrt(c.cov(0, 0));
            params_.target.push_back(c);
            refit(true);
            home_ = home_view();
        }
        mark_item("kl.add_mode");
        ImGui::EndDisabled();
    }

    void scale_component(size_t k, double factor) {
        if (!std::isfinite(factor) || factor <= 0) return;
        kl::Component& c = params_.target[k];
        const double sd = std::sqrt(c.cov(0, 0)) * factor;
        if (sd < 0.05 || sd > 50) return;  // the model's range, with margin
        c.cov *= factor * factor;
        refit(true);
    }

    void draw_optimizer_controls() {
        const float w = ImGui::GetFontSize() * 9;
        int opt = params_.options.optimizer == kl::Optimizer::GD;
        ImGui::SetNextItemWidth(w);
        if (ImGui::Combo("optimizer", &opt,
                         "Adam\0"
                         "gradient descent\0")) {
            params_.options.optimizer = opt ? kl::Optimizer::GD : kl::Optimizer::Adam;
            refit(false);
        }
        float lr = static_cast<float>(params_.options.lr);
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderFloat("lr", &lr, 1e-4f, 1.0f, "%.4g",
                               ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp)) {
            params_.options.lr = lr;
            refit(false);
        }
        mark_item("kl.lr");
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderInt("max iterations", &params_.options.iterations, 10, 20000, "%d",
                             ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp)) {
            refit(false);
        }
        ImGui::SetNextItemWidth(w);
        ImGui::SliderInt("iterations / frame", &params_.iterations_per_frame, 1, 2000, "%d",
                         ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
        float mu[2] = {static_cast<float>(params_.q_init.mean[0]),
                       params_.dim == 2 ? static_cast<float>(params_.q_init.mean[1]) : 0.f};
        ImGui::SetNextItemWidth(w);
        if (params_.dim == 2 ? ImGui::DragFloat2("q start μ", mu, 0.02f, -100, 100, "%.2f",
                                                 ImGuiSliderFlags_AlwaysClamp)
                             : ImGui::DragFloat("q start μ", mu, 0.02f, -100, 100, "%.2f",
                                                ImGuiSliderFlags_AlwaysClamp)) {
            for (int i = 0; i < params_.dim; ++i) params_.q_init.mean[i] = mu[i];
            refit(false);
        }
        mark_item("kl.q_init");
        if (params_.dim == 2) {
            int mean_field = params_.options.mean_field;
            ImGui::SetNextItemWidth(w);
            if (ImGui::Combo("q covariance", &mean_field,
                             "full\0"
                             "diagonal (mean field)\0")) {
                params_.options.mean_field = mean_field == 1;
                if (params_.options.mean_field) {  // start axis-aligned, as the model does
                    const kl::Mat c = params_.q_init.cov();
                    kl::Vec sd(2);
                    sd << std::sqrt(c(0, 0)), std::sqrt(c(1, 1));
                    params_.q_init = kl::Gaussian::from_std(params_.q_init.mean, sd);
                }
                refit(false);
            }
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("diagonal: q(x) = q1(x1)·q2(x2), as in PRML Figure 10.3");
            }
        }
        if (word_combo("third fit", params_.family,
                       {{"none", "none"}, {"js", "Jensen-Shannon"}, {"alpha", "α-divergence"}},
                       w)) {
            refit(false);
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", objective_formula(2, params_).c_str());
        ImGui::BeginDisabled(params_.family != "alpha");
        float alpha = static_cast<float>(params_.options.alpha);
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderFloat("α", &alpha, 0.01f, 0.99f, "%.2f", ImGuiSliderFlags_AlwaysClamp)) {
            params_.options.alpha = alpha;
            refit(false);
        }
        ImGui::EndDisabled();
        if (params_.dim == 1) {
            word_combo("shade", params_.shade,
                       {{"none", "nothing"},
                        {"forward", "KL(p‖q) integrand"},
                        {"reverse", "KL(q‖p) integrand"}},
                       w);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("where each divergence comes from");
        }
        ImGui::SetNextItemWidth(w);
        ImGui::SliderInt("MC samples", &params_.mc_samples, 1, 10000, "%d",
                         ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    }

    void draw_readouts() {
        ImGui::TextUnformatted("Each fit, evaluated both ways:");
        if (ImGui::BeginTable("kl.table", 3,
                              ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
            ImGui::TableSetupColumn("fit of q");
            ImGui::TableSetupColumn("KL(p‖q)");
            ImGui::TableSetupColumn("KL(q‖p)");
            ImGui::TableHeadersRow();
            for (int i = 0; i < kFits; ++i) {
                if (!fit_active(i)) continue;
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextColored(
                    ImGui::ColorConvertU32ToFloat4(kFitColours[i]), "%s",
                    i == 2 ? params_.family.c_str() : (i == 0 ? "forward" : "reverse"));
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", objective_formula(i, params_).c_str());
                ImGui::TableNextColumn();
                const auto [pq, qp] = both_kls(i);
                ImGui::TextUnformatted(fmt(pq).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(fmt(qp).c_str());
            }
            ImGui::EndTable();
        }
        for (int i = 0; i < kFits; ++i) {
            if (!fit_active(i)) continue;
            const kl::Fit& f = fits_[i];
            const kl::Mat cov = f.q.cov();
            std::string q = "μ = " + fmt(f.q.mean[0], 3) +
                            (params_.dim == 2 ? ", " + fmt(f.q.mean[1], 3) : std::string()) +
                            ", σ = " + fmt(std::sqrt(cov(0, 0)), 3);
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kFitColours[i]), "%s: %s",
                               i == 2 ? "third" : (i == 0 ? "forward" : "reverse"), q.c_str());
            ImGui::Text("   %d iterations, %s", f.iterations,
                        f.diverged    ? "DIVERGED"
                        : f.converged ? "converged"
                        : fit_done(i) ? "stopped at the limit"
                                      : "running");
        }
        const kl::Gaussian closed = kl::moment_match(params_.target);
        ImGui::Text("closed-form forward optimum: μ = %s, σ = %s", fmt(closed.mean[0], 3).c_str(),
                    fmt(std::sqrt(closed.cov()(0, 0)), 3).c_str());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("moment matching: μ = E_p[x], Σ = Cov_p[x]");
        draw_monte_carlo();
    }

    // The reparameterized estimator's spread over 20 seeds, against the quadrature value.
    // KL(p‖q) and KL(q‖p) at fit i's q: recomputed only when that q or p changed.
    std::pair<double, double> both_kls(int i) {
        TableRow& row = table_[i];
        const kl::Vec theta = fits_[i].q.params();
        if (row.theta.size() != theta.size() || row.theta != theta ||
            row.target_version != target_version_) {
            row.theta = theta;
            row.target_version = target_version_;
            row.pq = kl::kl_pq(params_.target, fits_[i].q, *quad_);
            row.qp = kl::kl_qp(params_.target, fits_[i].q, *quad_);
        }
        return {row.pq, row.qp};
    }

    // Recomputed only when the reverse fit or the sample count changed.
    void draw_monte_carlo() {
        const kl::Gaussian& q = fits_[1].q;
        const kl::Vec theta = q.params();
        if (mc_theta_.size() != theta.size() || mc_theta_ != theta ||
            mc_samples_ != params_.mc_samples || mc_target_version_ != target_version_) {
            double sum = 0, sum2 = 0;
            constexpr int kSeeds = 20;
            for (int s = 1; s <= kSeeds; ++s) {
                const double e = kl::kl_qp_monte_carlo(params_.target, q, params_.mc_samples,
                                                       static_cast<unsigned>(s));
                sum += e;
                sum2 += e * e;
            }
            mc_mean_ = sum / kSeeds;
            mc_sd_ = std::sqrt(std::max(0.0, sum2 / kSeeds - mc_mean_ * mc_mean_));
            mc_theta_ = theta;
            mc_samples_ = params_.mc_samples;
            mc_target_version_ = target_version_;
        }
        ImGui::Text("MC KL(q‖p) at the reverse fit, %d samples:", params_.mc_samples);
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "(1/S) Σ [log q(x_s) − log p(x_s)],  x_s = μ + σ·ε_s,  ε_s ~ N(0, 1);\n"
                "mean ± standard deviation over 20 seeds");
        }
        ImGui::Text("   %s ± %s (quadrature %s)", fmt(mc_mean_).c_str(), fmt(mc_sd_, 2).c_str(),
                    fmt(both_kls(1).second).c_str());
    }

    //-------------------------------------------------------------------------
    // [SECTION] The main plot: 1-D curves or 2-D density
    //-------------------------------------------------------------------------

    // Which component's handle is under the pointer (within 12 px on screen), or -1.
    int component_under(const Canvas& c, Vec2 w) const {
        const ImVec2 at = c.to_screen(w);
        for (size_t k = 0; k < params_.target.size(); ++k) {
            const ImVec2 h = c.to_screen(handle(k));
            if (std::hypot(at.x - h.x, at.y - h.y) < 12) return static_cast<int>(k);
        }
        return -1;
    }

    Vec2 handle(size_t k) const {
        const kl::Component& c = params_.target[k];
        if (params_.dim == 2) return {c.mean[0], c.mean[1]};
        return {c.mean[0], density(params_.target, c.mean)};
    }

    void draw_main(ImVec2 size) {
        ImGui::BeginGroup();
        for (int i = 0; i < kFits; ++i) {
            if (!fit_active(i)) continue;
            if (i) ImGui::SameLine();
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kFitColours[i]), "■ q %s",
                               i == 2 ? params_.family.c_str() : kFitNames[i]);
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", objective_formula(i, params_).c_str());
        }
        ImGui::SameLine();
        ImGui::TextUnformatted(params_.dim == 1 ? "   black: target p" : "   heatmap: target p");
        // The wheel over a mode changes its width instead of zooming.
        const auto hover = main_canvas_.hover_world();
        const int under = hover ? component_under(main_canvas_, *hover) : -1;
        main_canvas_.capture_wheel(under >= 0);
        if (under >= 0 && ImGui::GetIO().MouseWheel != 0) {
            scale_component(static_cast<size_t>(under), std::pow(1.1, ImGui::GetIO().MouseWheel));
        }
        main_canvas_.set_home(home_, params_.dim == 2);
        const ImVec2 plot(size.x, size.y - ImGui::GetFrameHeightWithSpacing());
        if (params_.dim == 1) {
            draw_main_1d(plot);
        } else {
            draw_main_2d(plot);
        }
        ImGui::EndGroup();
        mark_rect("kl.main", main_canvas_.plot_min(), main_canvas_.plot_max());
        for (size_t k = 0; k < params_.target.size(); ++k) {
            const ImVec2 s = main_canvas_.to_screen(handle(k));
            mark_rect("kl.mode." + std::to_string(k), ImVec2(s.x - 4, s.y - 4),
                      ImVec2(s.x + 4, s.y + 4));
        }
        handle_mode_drag();
    }

    void handle_mode_drag() {
        const auto origin = main_canvas_.left_drag_origin();
        if (!origin) {
            dragging_mode_ = -1;
            return;
        }
        if (dragging_mode_ < 0) dragging_mode_ = component_under(main_canvas_, *origin);
        if (dragging_mode_ < 0 || dragging_mode_ >= static_cast<int>(params_.target.size())) return;
        if (auto w = main_canvas_.hover_world()) {
            kl::Component& c = params_.target[dragging_mode_];
            c.mean[0] = std::clamp(w->x, -1e3, 1e3);
            if (params_.dim == 2) c.mean[1] = std::clamp(w->y, -1e3, 1e3);
            refit(true);
        }
    }

    void draw_main_1d(ImVec2 size) {
        const WorldRect box = main_canvas_.view();
        std::vector<Vec2> p_curve, q_curves[kFits], shade;
        const kl::Gaussian* shade_q = params_.shade == "forward"   ? &fits_[0].q
                                      : params_.shade == "reverse" ? &fits_[1].q
                                                                   : nullptr;
        const std::vector<double> p_values =
            density_curve(params_.target, box.x0, box.x1, kCurveSamples);
        for (int k = 0; k <= kCurveSamples; ++k) {
            kl::Vec x(1);
            x[0] = box.x0 + (box.x1 - box.x0) * k / kCurveSamples;
            const double p = p_values[k];
            p_curve.push_back({x[0], p});
            for (int i = 0; i < kFits; ++i) {
                if (fit_active(i)) q_curves[i].push_back({x[0], density(fits_[i].q, x[0])});
            }
            if (shade_q) {
                const double q = density(*shade_q, x[0]);
                const double v = params_.shade == "forward"
                                     ? (p > 1e-300 ? p * std::log(p / std::max(q, 1e-300)) : 0)
                                     : (q > 1e-300 ? q * std::log(q / std::max(p, 1e-300)) : 0);
                shade.push_back({x[0], std::isfinite(v) ? v : 0});
            }
        }
        std::vector<Vec2> handles;
        for (size_t k = 0; k < params_.target.size(); ++k) handles.push_back(handle(k));
        const ImU32 shade_colour =
            params_.shade == "forward" ? IM_COL32(30, 100, 220, 70) : IM_COL32(220, 50, 40, 70);
        const double dx = (box.x1 - box.x0) / kCurveSamples;
        main_canvas_.set_axes({"x"}, {"density"});
        main_canvas_.set_colorbar(std::nullopt);
        main_canvas_.draw(
            size, [p_curve, q_curves = std::vector<std::vector<Vec2>>(q_curves, q_curves + kFits),
                   shade, handles, shade_colour, dx](Canvas& c) {
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
            kl::Vec x(1);
            x[0] = w->x;
            std::string text =
                "x = " + fmt(w->x, 3) + "\np(x) = " + fmt(density(params_.target, x));
            for (int i = 0; i < 2; ++i)
                text += std::string("\nq_") + (i ? "reverse" : "forward") +
                        "(x) = " + fmt(density(fits_[i].q, w->x));
            text += "\ndrag a grey dot: move a mode; wheel on it: its width";
            ImGui::SetTooltip("%s", text.c_str());
        }
    }

    void draw_main_2d(ImVec2 size) {
        const WorldRect box = support_box(params_);
        if (density_dirty_) {
            // Row 0 of the image is the top (largest x2).
            kl::Mat xs(2, kDensityGrid * kDensityGrid);
            for (int r = 0; r < kDensityGrid; ++r) {
                for (int col = 0; col < kDensityGrid; ++col) {
                    xs.col(r * kDensityGrid + col)
                        << box.x0 + (col + 0.5) * box.width() / kDensityGrid,
                        box.y1 - (r + 0.5) * box.height() / kDensityGrid;
                }
            }
            const kl::Vec logp = kl::log_density_many(params_.target, xs);
            std::vector<float> values(kDensityGrid * kDensityGrid);
            double peak = 0;
            for (int i = 0; i < logp.size(); ++i) {
                const double d = std::exp(logp[i]);
                values[i] = static_cast<float>(d);
                peak = std::max(peak, d);
            }
            density_heat_.set_values(kDensityGrid, kDensityGrid, values);
            density_heat_.set_smooth(true);
            density_peak_ = peak;
            density_box_ = box;
            density_dirty_ = false;
        }
        density_heat_.set_range(0, density_peak_, Colormap::Viridis);
        const GLuint tex = density_heat_.texture();
        std::vector<std::vector<Vec2>> ellipses[kFits];
        for (int i = 0; i < kFits; ++i) {
            if (!fit_active(i)) continue;
            ellipses[i] = {ellipse(fits_[i].q, 1), ellipse(fits_[i].q, 2)};
        }
        std::vector<Vec2> handles;
        for (size_t k = 0; k < params_.target.size(); ++k) handles.push_back(handle(k));
        const WorldRect db = density_box_;
        main_canvas_.set_axes({"x1"}, {"x2"});
        main_canvas_.set_colorbar(ColorbarSpec(Colormap::Viridis, 0, density_peak_, "p(x)"));
        main_canvas_.draw(
            size,
            [tex, db, ell = std::vector<std::vector<std::vector<Vec2>>>(ellipses, ellipses + kFits),
             handles](Canvas& c) {
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

    //-------------------------------------------------------------------------
    // [SECTION] Landscapes
    //-------------------------------------------------------------------------

    // Landscape axes: (μ, log σ) in 1-D, (μ1, μ2) in 2-D.
    WorldRect landscape_box() const {
        const WorldRect box = support_box(params_);
        if (params_.dim == 2) return box;
        double smallest = INFINITY;
        for (const kl::Component& c : params_.target)
            smallest = std::min(smallest, std::sqrt(c.cov(0, 0)));
        const double lo = std::log(std::max(0.02, 0.3 * smallest));
        const double hi = std::log(std::max(0.6 * box.width(), 2 * smallest));
        return {box.x0, lo, box.x1, hi};
    }

    Vec2 project(const kl::Vec& theta) const {
        return params_.dim == 1 ? Vec2{theta[0], theta[1]} : Vec2{theta[0], theta[1]};
    }

    // Landscapes and restarts: recomputed when the target changes, after a drag ends.
    void update_scene() {
        if (!scene_dirty_ || ImGui::IsAnyItemActive()) return;
        const WorldRect box = landscape_box();
        for (int i = 0; i < 2; ++i) {
            land_[i] =
                kl::landscape(params_.target, params_.q_init, objective_of(i, params_), *coarse_, 0,
                              1, box.x0, box.x1, box.y0, box.y1, kLandscapeGrid, kLandscapeGrid);
            std::vector<float> values(kLandscapeGrid * kLandscapeGrid);
            double hi = 0;
            for (int r = 0; r < kLandscapeGrid; ++r) {
                for (int col = 0; col < kLandscapeGrid; ++col) {
                    // Row 0 of the image is the top: the largest y.
                    const double v = land_[i].values(col, kLandscapeGrid - 1 - r);
                    const double shown = std::isfinite(v) ? std::log1p(std::max(0.0, v)) : NAN;
                    values[r * kLandscapeGrid + col] = static_cast<float>(shown);
                    if (std::isfinite(shown)) hi = std::max(hi, shown);
                }
            }
            land_heat_[i].set_values(kLandscapeGrid, kLandscapeGrid, values);
            land_heat_[i].set_smooth(true);
            land_heat_[i].set_range(0, hi > 0 ? hi : 1, Colormap::Magma);
            land_max_[i] = hi;
            kl::FitOptions quick = params_.options;
            quick.iterations = std::min(quick.iterations, 1500);
            restarts_[i].clear();
            for (const kl::Gaussian& start :
                 kl::restart_starts(params_.target, params_.q_init, kRestarts)) {
                restarts_[i].push_back(
                    kl::fit(params_.target, start, objective_of(i, params_), quick, *coarse_));
            }
        }
        land_box_ = box;
        scene_dirty_ = false;
    }

    void draw_landscape(int i, ImVec2 size) {
        Canvas& canvas = land_canvas_[i];
        const WorldRect box = land_box_;
        canvas.set_home(box, false);
        canvas.set_axes({params_.dim == 1 ? "μ" : "μ1"}, {params_.dim == 1 ? "log σ" : "μ2"});
        canvas.set_colorbar(ColorbarSpec(Colormap::Magma, 0, land_max_[i], "log(1+KL)",
                                         [](double v) { return fmt(std::expm1(v), 3); }));
        const GLuint tex = land_heat_[i].texture();
        std::vector<std::vector<Vec2>> paths;
        std::vector<Vec2> ends;
        for (const kl::Fit& f : restarts_[i]) {
            std::vector<Vec2> path;
            const size_t stride = std::max<size_t>(1, f.path.size() / 300);
            for (size_t k = 0; k < f.path.size(); k += stride) path.push_back(project(f.path[k]));
            if (!f.path.empty()) path.push_back(project(f.path.back()));
            paths.push_back(path);
            if (!f.path.empty()) ends.push_back(project(f.path.back()));
        }
        std::vector<Vec2> main_path;
        const kl::Fit& f = fits_[i];
        const size_t stride = std::max<size_t>(1, f.path.size() / 600);
        for (size_t k = 0; k < f.path.size(); k += stride) main_path.push_back(project(f.path[k]));
        if (!f.path.empty()) main_path.push_back(project(f.path.back()));
        const Vec2 start = project(params_.q_init.params());
        std::optional<Vec2> closed;
        if (i == 0) closed = project(kl::moment_match(params_.target).params());
        const ImU32 colour = kFitColours[i];
        ImGui::BeginGroup();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour), "%s landscape",
                           i == 0 ? "KL(p‖q)" : "KL(q‖p)");
        ImGui::SameLine();
        ImGui::TextDisabled(i == 0 ? "(one basin: the moment-matched optimum)"
                                   : "(grey: restarts; several optima)");
        canvas.draw(ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
                    [tex, box, paths, ends, main_path, start, closed, colour](Canvas& c) {
                        c.image(tex, {box.x0, box.y0}, {box.x1, box.y1});
                        for (const auto& p : paths)
                            c.polyline(p, IM_COL32(220, 220, 230, 170), 1.2f);
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
        handle_start_drag(canvas);
        if (auto w = canvas.hover_world(); w && !canvas.left_drag_origin()) {
            ImGui::SetTooltip("%s\n(%s, %s) = (%s, %s)\nwhite: this fit's path; grey: restarts%s",
                              objective_formula(i, params_).c_str(), params_.dim == 1 ? "μ" : "μ1",
                              params_.dim == 1 ? "log σ" : "μ2", fmt(w->x, 3).c_str(),
                              fmt(w->y, 3).c_str(), i == 0 ? "; black dot: closed form" : "");
        }
    }

    void handle_start_drag(Canvas& canvas) {
        const auto origin = canvas.left_drag_origin();
        if (!origin) {
            if (dragging_start_ == &canvas) dragging_start_ = nullptr;
            return;
        }
        const Vec2 start = project(params_.q_init.params());
        const double tol = 12.0 / canvas.pixels_per_unit_x();
        if (!dragging_start_ && std::abs(origin->x - start.x) < tol &&
            std::abs(origin->y - start.y) <
                12.0 * canvas.view().height() / (canvas.plot_max().y - canvas.plot_min().y)) {
            dragging_start_ = &canvas;
        }
        if (dragging_start_ != &canvas) return;
        if (auto w = canvas.hover_world()) {
            kl::Vec theta = params_.q_init.params();
            theta[0] = w->x;
            theta[1] = params_.dim == 1 ? std::clamp(w->y, -4.0, 4.0) : w->y;
            params_.q_init = kl::Gaussian::from_params(theta, params_.dim);
            refit(false);
        }
    }

    KlModel model_;
    KlParams params_;
    std::unique_ptr<kl::Quadrature> quad_, coarse_;
    kl::Fit fits_[kFits];
    kl::AdamState adam_[kFits];
    bool scene_dirty_ = true, density_dirty_ = true;
    kl::Landscape land_[2];
    std::vector<kl::Fit> restarts_[2];
    Heatmap land_heat_[2], density_heat_;
    double land_max_[2] = {1, 1}, density_peak_ = 1;
    WorldRect land_box_, density_box_;
    struct TableRow {
        kl::Vec theta;
        int target_version = -1;
        double pq = 0, qp = 0;
    };
    TableRow table_[kFits];
    int dragging_mode_ = -1;
    int frames_fitting_ = 0;
    bool fits_pending_ = false;
    // Fitting's share of a 60 Hz frame; the rest is drawing.
    static constexpr std::chrono::milliseconds kFitBudgetPerFrame{8};
    WorldRect home_;          // the main plot's home view
    int target_version_ = 0;  // bumped whenever p changes
    kl::Vec mc_theta_;
    int mc_samples_ = 0, mc_target_version_ = -1;
    double mc_mean_ = 0, mc_sd_ = 0;
    const Canvas* dragging_start_ = nullptr;
    Canvas main_canvas_{"kl.main"};
    Canvas land_canvas_[2] = {Canvas("kl.landscape_forward"), Canvas("kl.landscape_reverse")};
};

}  // namespace

std::unique_ptr<PanelView> make_kl_view() { return std::make_unique<KlView>(); }

}  // namespace genlab
