// Dropout-vs-L2 panel (seed 002 Q1): dropout on the inputs of linear regression is ridge with
// a per-feature coefficient λ_d·Γ_ii². The weight plane shows both regularization paths over
// the loss contours, the bars compare the weights and the penalties per feature, and a
// dropout SGD run (Play) converges to the closed form. Everything is computed by DropoutScene
// (model/scene_dropout.hpp); this file holds the widgets and the drawing.
//
// [SECTION] Colours and geometry
// [SECTION] The view
// [SECTION] Controls and readouts
// [SECTION] Plots
#include <algorithm>
#include <cmath>
#include <memory>

#include <Eigen/Eigenvalues>

#include "canvas.hpp"
#include "format.hpp"
#include "palette.hpp"
#include "scene_dropout.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Colours and geometry
//-----------------------------------------------------------------------------

constexpr ImU32 kDropout = IM_COL32(230, 120, 20, 255);
constexpr ImU32 kRidge = IM_COL32(30, 90, 200, 255);
constexpr ImU32 kLeastSquares = IM_COL32(20, 20, 30, 255);
constexpr ImU32 kSgd = IM_COL32(110, 110, 125, 255);
constexpr ImU32 kContour = IM_COL32(60, 60, 80, 90);
constexpr ImU32 kOls = IM_COL32(150, 150, 160, 255);

Vec2 plane_point(const dropout::Vec& w) { return {w(0), w.size() > 1 ? w(1) : 0.0}; }

// Level set {w : (w − ŵ)ᵀ G (w − ŵ) = level} of the loss in the (w1, w2) plane, the other
// weights held at ŵ (G: the 2×2 block of XᵀX).
std::vector<Vec2> contour(const Eigen::Matrix2d& G, Vec2 centre, double level) {
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(G);
    const Eigen::Vector2d ev = eig.eigenvalues().cwiseMax(1e-300);
    std::vector<Vec2> out;
    for (int k = 0; k <= 96; ++k) {
        const double t = 2 * M_PI * k / 96;
        const Eigen::Vector2d u(std::cos(t) * std::sqrt(level / ev(0)),
                                std::sin(t) * std::sqrt(level / ev(1)));
        const Eigen::Vector2d d = eig.eigenvectors() * u;
        out.push_back({centre.x + d(0), centre.y + d(1)});
    }
    return out;
}

double excess(const Eigen::Matrix2d& G, Vec2 centre, Vec2 w) {
    const Eigen::Vector2d d(w.x - centre.x, w.y - centre.y);
    return d.dot(G * d);
}

//-----------------------------------------------------------------------------
// [SECTION] The view
//-----------------------------------------------------------------------------

class DropoutView : public PanelView {
  public:
    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }
    void set_state(const Json& s) override { scene_->set_state(s); }
    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return plane_canvas_; }
    std::vector<Canvas*> figure_canvases() override {
        return {&plane_canvas_, &weights_canvas_, &penalty_canvas_};
    }
    std::string bench_slider() const override { return "dropout.p"; }

    std::vector<std::string> legend_lines() const override {
        return {
            "Weight plane (features 1 and 2): grey ellipses are levels of the unregularized "
            "loss ‖y − Xw‖² around least squares (black dot)",
            "Orange: p·w_dropout as the keep probability p goes 1 → 0.01 (the dot: your p); "
            "blue: w_L2 as λ goes 0 → ∞ (the dot: your λ)",
            "Grey path: dropout SGD's running average (×p), which converges to the orange dot",
            "Bars: per feature, least squares (grey), p·w_dropout (orange), w_L2 (blue)",
            "Penalty bars: the ridge coefficient each feature gets under dropout, "
            "λ_d·Γ_ii² with λ_d = (1 − p)/p; the blue line: your λ"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Drag p or λ: both closed forms and their dots move",
                "Play: run dropout SGD (a fresh mask each step) and watch its average converge",
                "Change a feature's scale: dropout's penalty on it grows with Γ_ii²"};
    }

    void draw() override {
        if (test_dump_enabled()) {
            mark_value("dropout.sgd_shown", scene_->shown_steps());
            Json pw = Json::array();
            for (Eigen::Index i = 0; i < scene_->solutions().scaled_dropout.size(); ++i)
                pw.push_back(scene_->solutions().scaled_dropout(i));
            mark_value("dropout.scaled_dropout", pw);
        }
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("dropout.controls", ImVec2(font * 20, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("dropout.plots", ImVec2(0, 0), false);
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float half = (avail.x - ImGui::GetStyle().ItemSpacing.x) / 2;
        draw_plane(ImVec2(half, avail.y));
        ImGui::SameLine();
        ImGui::BeginGroup();
        const float bars_h = (avail.y - ImGui::GetStyle().ItemSpacing.y) / 2;
        draw_weights(ImVec2(half, bars_h));
        draw_penalties(ImVec2(half, std::max(font * 6, ImGui::GetContentRegionAvail().y)));
        ImGui::EndGroup();
        ImGui::EndChild();
    }

  private:
    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    void draw_controls() {
        draw_data_controls();
        ImGui::Separator();
        draw_regularizer_controls();
        ImGui::Separator();
        draw_readouts();
    }

    void draw_data_controls() {
        const DropoutParams& p = scene_->params();
        const float w = ImGui::GetFontSize() * 6.5f;
        ImGui::Text("Data: %d features, n = %d", scene_->features(), p.data.n);
        for (int i = 0; i < scene_->features(); ++i) {
            ImGui::PushID(i);
            double scale = p.data.scales[static_cast<size_t>(i)];
            ImGui::SetNextItemWidth(w);
            if (key_slider("##scale", scale, dropout_keys::scale, "%.3g"))
                scene_->set_scale(i, scale);
            mark_item("dropout.scale." + std::to_string(i + 1));
            ImGui::SameLine();
            double wt = p.data.w_true[static_cast<size_t>(i)];
            ImGui::SetNextItemWidth(w * 0.8f);
            if (ImGui::InputDouble("##w", &wt, 0, 0, "%.3g")) {
                wt = std::clamp(wt, dropout_keys::weight.lo, dropout_keys::weight.hi);
                scene_->set_weight(i, wt);
            }
            mark_key_range(dropout_keys::weight);
            ImGui::SameLine();
            ImGui::Text("x%d: scale, w", i + 1);
            ImGui::PopID();
        }
        if (ImGui::SmallButton("+ feature")) scene_->add_feature();
        mark_item("dropout.add_feature");
        ImGui::SameLine();
        if (ImGui::SmallButton("- feature")) scene_->remove_feature();
        mark_item("dropout.remove_feature");
        double corr = p.data.correlation, noise = p.data.noise;
        ImGui::SetNextItemWidth(w * 1.4f);
        if (key_slider("correlation", corr, dropout_keys::correlation, "%.2f"))
            scene_->set_correlation(corr);
        ImGui::SetNextItemWidth(w * 1.4f);
        if (key_slider("noise", noise, dropout_keys::noise, "%.2f")) scene_->set_noise(noise);
        int n = p.data.n, seed = static_cast<int>(p.data.seed);
        ImGui::SetNextItemWidth(w * 1.4f);
        if (key_slider("n", n, dropout_keys::n)) scene_->set_n(n);
        ImGui::SetNextItemWidth(w * 1.4f);
        if (ImGui::InputInt("seed", &seed))
            scene_->set_seed(std::clamp<int>(seed, 0, static_cast<int>(dropout_keys::seed.hi)));
        mark_key_range(dropout_keys::seed);
    }

    void draw_regularizer_controls() {
        const DropoutParams& p = scene_->params();
        const float w = ImGui::GetFontSize() * 9;
        double keep = p.p, lambda = p.lambda, lr = p.sgd_lr;
        ImGui::SetNextItemWidth(w);
        if (key_slider("p (keep)", keep, dropout_keys::p, "%.3f")) scene_->set_p(keep);
        mark_item("dropout.p");
        ImGui::TextDisabled("  λ_dropout = (1 − p)/p = %s",
                            format_g(scene_->solutions().lambda_dropout, 4).c_str());
        ImGui::SetNextItemWidth(w);
        if (key_slider("λ (ridge)", lambda, dropout_keys::lambda, "%.3g"))
            scene_->set_lambda(lambda);
        mark_item("dropout.lambda");
        int steps = p.sgd_steps;
        ImGui::SetNextItemWidth(w);
        if (key_slider("SGD lr", lr, dropout_keys::sgd_lr, "%.3g")) scene_->set_sgd_lr(lr);
        ImGui::SetNextItemWidth(w);
        if (key_slider("SGD steps", steps, dropout_keys::sgd_steps)) scene_->set_sgd_steps(steps);
    }

    void draw_readouts() {
        const DropoutSolutions& s = scene_->solutions();
        const DropoutExpectation& e = scene_->expectation();
        ImGui::TextUnformatted("E_R[L] at w_dropout (Q1.1):");
        ImGui::Indent();
        ImGui::Text("closed form  %s", format_g(e.closed_form, 8).c_str());
        ImGui::Text("every mask   %s", format_g(e.exact, 8).c_str());
        // Wrapped: "± sd (1000 masks)" ran past the panel's right edge at 1024×700.
        text_wrapped("Monte Carlo  " + format_g(e.monte_carlo.mean, 6) + " ± " +
                     format_g(e.monte_carlo.sd_of_mean, 2) + " (" +
                     std::to_string(scene_->params().mc_masks) + " masks)");
        ImGui::Unindent();
        const int shown = scene_->shown_steps();
        if (shown > 0) {
            const dropout::Vec& avg = scene_->sgd().average[static_cast<size_t>(shown - 1)];
            ImGui::Text("dropout SGD, %d steps:", shown);
            ImGui::Indent();
            text_wrapped("‖average − w_dropout‖ = " + format_g((avg - s.dropout_w).norm(), 3));
            ImGui::Unindent();
        }
        if (ImGui::BeginTable("dropout.table", 5,
                              ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp)) {
            // Stretched to the panel's width: fixed-fit columns pushed w_L2 out of view.
            for (const char* h : {"x", "Γ_ii", "least sq.", "p·w_drop", "w_L2"})
                ImGui::TableSetupColumn(h);
            ImGui::TableHeadersRow();
            for (int i = 0; i < scene_->features(); ++i) {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::Text("%d", i + 1);
                for (double v : {s.gamma(i), s.least_squares(i), s.scaled_dropout(i), s.ridge(i)}) {
                    ImGui::TableNextColumn();
                    ImGui::TextUnformatted(format_g(v, 4).c_str());
                }
            }
            ImGui::EndTable();
        }
    }

    //-------------------------------------------------------------------------
    // [SECTION] Plots
    //-------------------------------------------------------------------------

    void draw_plane(ImVec2 size) {
        ImGui::BeginGroup();
        const char* title = "weights (w1, w2): dropout's path vs ridge's";
        const float title_h = plot_title(title, size.x);
        plane_canvas_.set_title(title);
        if (scene_->features() < 2) {
            text_wrapped("Add a second feature to see the weight plane.");
            ImGui::EndGroup();
            return;
        }
        const DropoutSolutions& s = scene_->solutions();
        const DropoutPaths& paths = scene_->paths();
        const dropout::Data& data = scene_->data();
        const Eigen::Matrix2d G = (data.X.transpose() * data.X).topLeftCorner<2, 2>();
        const Vec2 ols = plane_point(s.least_squares), pw = plane_point(s.scaled_dropout),
                   ridge = plane_point(s.ridge);
        std::vector<Vec2> dropout_path, ridge_path, sgd_path;
        for (const auto& w : paths.scaled_dropout) dropout_path.push_back(plane_point(w));
        for (const auto& w : paths.ridge) ridge_path.push_back(plane_point(w));
        const double p = scene_->params().p;
        const int shown = scene_->shown_steps();
        const auto& avg = scene_->sgd().average;
        const int stride = std::max(1, shown / 400);
        for (int k = 0; k < shown; k += stride) sgd_path.push_back(plane_point(p * avg[k]));
        if (shown > 0) sgd_path.push_back(plane_point(p * avg[static_cast<size_t>(shown - 1)]));
        // Levels through the two solutions and a few around them.
        std::vector<std::vector<Vec2>> contours;
        const double base = std::max({excess(G, ols, pw), excess(G, ols, ridge), 1e-12});
        for (double f : {0.0625, 0.25, 1.0, 4.0}) contours.push_back(contour(G, ols, base * f));
        WorldRect home{std::min({0.0, ols.x}), std::min({0.0, ols.y}), std::max({0.0, ols.x}),
                       std::max({0.0, ols.y})};
        const double pad = 0.25 * std::max({home.width(), home.height(), 1e-6});
        home = {home.x0 - pad, home.y0 - pad, home.x1 + pad, home.y1 + pad};
        plane_canvas_.set_home(home, true);
        plane_canvas_.set_axes({"w1"}, {"w2"});
        std::vector<LegendEntry> legend = {{kLeastSquares, "least squares", LegendEntry::Mark::Dot},
                                           {kDropout, "p·w_dropout (p: 1 → 0)"},
                                           {kRidge, "w_L2 (λ: 0 → ∞)"}};
        if (!sgd_path.empty()) legend.emplace_back(kSgd, "SGD average × p");
        legend.emplace_back(kContour, "levels of ‖y − Xw‖²");
        plane_canvas_.set_legend(std::move(legend));
        const float legend_h = plane_canvas_.legend_item_height(size.x);
        plane_canvas_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
            for (const auto& ring : contours) c.polyline(ring, kContour, 1.0f);
            const WorldRect v = c.view();
            c.line({v.x0, 0}, {v.x1, 0}, IM_COL32(0, 0, 0, 60), 1);
            c.line({0, v.y0}, {0, v.y1}, IM_COL32(0, 0, 0, 60), 1);
            c.polyline(ridge_path, kRidge, 2.2f);
            c.polyline(dropout_path, kDropout, 2.2f);
            c.polyline(sgd_path, kSgd, 1.2f);
            c.point(ols, kLeastSquares, 5);
            c.point(ridge, IM_COL32_WHITE, 6.5f);
            c.point(ridge, kRidge, 5);
            c.point(pw, IM_COL32_WHITE, 6.5f);
            c.point(pw, kDropout, 5);
        });
        plane_canvas_.draw_legend_item(size.x);
        ImGui::EndGroup();
        mark_rect("dropout.plane", plane_canvas_.plot_min(), plane_canvas_.plot_max());
    }

    static AxisSpec feature_axis(int d) {
        return {"feature",
                [d](double v) -> std::string {
                    if (v < 0 || v >= d) return "";
                    return "x" + std::to_string(static_cast<int>(std::floor(v)) + 1);
                },
                1, 0.5};
    }

    void draw_weights(ImVec2 size) {
        const DropoutSolutions& s = scene_->solutions();
        const int d = scene_->features();
        double lo = 0, hi = 0;
        for (const auto* v : {&s.least_squares, &s.scaled_dropout, &s.ridge})
            lo = std::min(lo, v->minCoeff()), hi = std::max(hi, v->maxCoeff());
        const double pad = 0.1 * std::max(hi - lo, 1e-9);
        ImGui::BeginGroup();
        const char* title = "weights per feature";
        const float title_h = plot_title(title, size.x);
        weights_canvas_.set_title(title);
        weights_canvas_.set_legend({{kOls, "least squares", LegendEntry::Mark::Patch},
                                    {kDropout, "p·w_dropout", LegendEntry::Mark::Patch},
                                    {kRidge, "w_L2", LegendEntry::Mark::Patch}});
        weights_canvas_.set_home({0, lo - pad, static_cast<double>(d), hi + pad}, false);
        weights_canvas_.set_axes(feature_axis(d), {"weight"});
        const dropout::Vec ols = s.least_squares, pw = s.scaled_dropout, ridge = s.ridge;
        const float legend_h = weights_canvas_.legend_item_height(size.x);
        weights_canvas_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
            c.line({-1, 0}, {d + 1.0, 0}, IM_COL32(0, 0, 0, 120), 1);
            for (int i = 0; i < d; ++i) {
                c.rect({i + 0.12, 0}, {i + 0.37, ols(i)}, kOls);
                c.rect({i + 0.38, 0}, {i + 0.63, pw(i)}, kDropout);
                c.rect({i + 0.64, 0}, {i + 0.89, ridge(i)}, kRidge);
            }
        });
        weights_canvas_.draw_legend_item(size.x);
        ImGui::EndGroup();
        mark_rect("dropout.weights", weights_canvas_.plot_min(), weights_canvas_.plot_max());
    }

    void draw_penalties(ImVec2 size) {
        const DropoutSolutions& s = scene_->solutions();
        const int d = scene_->features();
        const double lambda = scene_->params().lambda;
        // log10 of each coefficient: they span orders of magnitude (Γ_ii² grows with n·scale²).
        std::vector<double> logs;
        for (int i = 0; i < d; ++i)
            logs.push_back(std::log10(std::max(s.matching_lambdas(i), 1e-12)));
        const double line = lambda > 0 ? std::log10(lambda) : NAN;
        double lo = *std::min_element(logs.begin(), logs.end()),
               hi = *std::max_element(logs.begin(), logs.end());
        if (std::isfinite(line)) lo = std::min(lo, line), hi = std::max(hi, line);
        const double base = std::floor(lo) - 1;
        hi = std::max(hi + 0.8, base + 1);  // the top tick clear of the axis label
        ImGui::BeginGroup();
        const char* title = "the ridge λ each feature gets under dropout: λ_d·Γ_ii²";
        const float title_h = plot_title(title, size.x);
        penalty_canvas_.set_title(title);
        std::vector<LegendEntry> legend = {
            {kDropout, "λ_d·Γ_ii² (dropout)", LegendEntry::Mark::Patch}};
        if (std::isfinite(line)) legend.emplace_back(kRidge, "your ridge λ");
        penalty_canvas_.set_legend(std::move(legend));
        const float legend_h = penalty_canvas_.legend_item_height(size.x);
        penalty_canvas_.set_home({0, base, static_cast<double>(d), hi}, false);
        penalty_canvas_.set_axes(feature_axis(d), {"λ (log scale)", [](double v) {
                                                       return format_g(std::pow(10, v), 2);
                                                   }});
        penalty_canvas_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
            for (int i = 0; i < d; ++i) c.rect({i + 0.25, base}, {i + 0.75, logs[i]}, kDropout);
            if (std::isfinite(line)) c.line({-1, line}, {d + 1.0, line}, kRidge, 2.0f);
        });
        penalty_canvas_.draw_legend_item(size.x);
        ImGui::EndGroup();
        mark_rect("dropout.penalty", penalty_canvas_.plot_min(), penalty_canvas_.plot_max());
    }

    std::unique_ptr<DropoutScene> scene_ = std::make_unique<DropoutScene>();
    Canvas plane_canvas_{"dropout.plane"}, weights_canvas_{"dropout.weights"},
        penalty_canvas_{"dropout.penalty"};
};

}  // namespace

std::unique_ptr<PanelView> make_dropout_view() { return std::make_unique<DropoutView>(); }

}  // namespace genlab
