// The Estimators view (seed 004 §4.2): the gradient of E_q[f(z)] in μ or σ estimated by the
// reparameterization trick (f'(μ + σε)·(1, ε)) and by the score function (f·∇ log q), plain
// and with a leave-one-out baseline. Left: histograms of the estimates over repeated draws with
// the exact gradient as a line; right: each estimator's variance against the batch size on
// log–log axes, with the closed forms for a quadratic f.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "format.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "view_vi.hpp"
#include "widgets.hpp"

namespace genlab::vi_view {

namespace {

// 0.001 … 1000 as plain numbers, beyond as 1e±k.
std::string pow10_tick(double e) {
    const double r = std::round(e);
    if (std::abs(e - r) < 1e-9 && std::abs(r) <= 3) return format_number(std::pow(10.0, r));
    return format_g(std::pow(10.0, e), 2);
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    const size_t k = static_cast<size_t>(q * (v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
}

}  // namespace

std::vector<std::string> EstimatorsView::legend_lines() const {
    return {
        "Left: histograms of one gradient component's estimates over repeated batches of B draws",
        "Blue: reparameterization; red: score function; orange: score with a leave-one-out "
        "baseline",
        "Black line: the exact gradient (Gauss–Hermite quadrature)",
        "Right: variance against B (log–log): dots measured, lines the closed forms (quadratic f)"};
}

void EstimatorsView::draw_controls(ViScene& scene, ViEdits& edits) {
    const ViParams& p = scene.params();
    const float w = ImGui::GetFontSize() * 10;
    ImGui::TextUnformatted("∇ E_q[f(z)], q = N(μ, σ²)");
    if (ImGui::RadioButton("f = αz² + βz + γ", p.est_f == ViEstF::Quadratic))
        edits([&] { scene.set_est_f(ViEstF::Quadratic); });
    mark_item("vi.est_f.quadratic");
    if (ImGui::RadioButton("f = log p(x, z) (the ELBO's)", p.est_f == ViEstF::Elbo))
        edits([&] { scene.set_est_f(ViEstF::Elbo); });
    mark_item("vi.est_f.elbo");
    if (ImGui::RadioButton("f = a formula in z", p.est_f == ViEstF::Expression))
        edits([&] { scene.set_est_f(ViEstF::Expression); });
    mark_item("vi.est_f.expression");
    if (p.est_f == ViEstF::Expression) {
        if (expression_seen_ != p.est_expression) {  // the state moved (a preset, undo)
            std::snprintf(expression_, sizeof expression_, "%s", p.est_expression.c_str());
            expression_seen_ = p.est_expression;
        }
        ImGui::SetNextItemWidth(-1);
        if (ImGui::InputText("##est_expression", expression_, sizeof expression_,
                             ImGuiInputTextFlags_EnterReturnsTrue)) {
            const std::string text = expression_;
            edits([&] { scene.set_est_expression(text); });
        }
        mark_item("vi.est_expression");
        ImGui::TextDisabled("f(z); Enter applies; f' by central differences");
    }
    if (p.est_f == ViEstF::Quadratic) {
        double al = p.est_alpha, be = p.est_beta, ga = p.est_gamma;
        ImGui::SetNextItemWidth(w);
        if (key_slider("α", al, vi_keys::est_alpha, "%.3g"))
            edits([&] { scene.set_est_alpha(al); });
        mark_item("vi.est_alpha");
        ImGui::SetNextItemWidth(w);
        if (key_slider("β", be, vi_keys::est_beta, "%.3g")) edits([&] { scene.set_est_beta(be); });
        mark_item("vi.est_beta");
        ImGui::SetNextItemWidth(w);
        if (key_slider("γ (offset)", ga, vi_keys::est_gamma, "%.3g"))
            edits([&] { scene.set_est_gamma(ga); });
        mark_item("vi.est_gamma");
    }
    double mu = p.q.mu, sigma = p.q.sigma;
    ImGui::SetNextItemWidth(w);
    if (key_slider("μ", mu, vi_keys::q_mu, "%.3f")) edits([&] { scene.set_q_mu(mu); });
    mark_item("vi.q_mu");
    ImGui::SetNextItemWidth(w);
    if (key_slider("σ", sigma, vi_keys::q_sigma, "%.3g")) edits([&] { scene.set_q_sigma(sigma); });
    mark_item("vi.q_sigma");
    int batch = p.est_batch, repeats = p.est_repeats;
    ImGui::SetNextItemWidth(w);
    if (key_slider("batch B", batch, vi_keys::est_batch))
        edits([&] { scene.set_est_batch(batch); });
    mark_item("vi.est_batch");
    ImGui::SetNextItemWidth(w);
    if (key_slider("repeats", repeats, vi_keys::est_repeats))
        edits([&] { scene.set_est_repeats(repeats); });
    mark_item("vi.est_repeats");
    ImGui::TextUnformatted("component:");
    ImGui::SameLine();
    ImGui::RadioButton("∂/∂μ", &component_, 0);
    mark_item("vi.component.mu");
    ImGui::SameLine();
    ImGui::RadioButton("∂/∂σ", &component_, 1);
    mark_item("vi.component.sigma");

    const ViScene::EstimatorData& e = scene.estimators();
    const int j = component_;
    ImGui::Separator();
    text_wrapped(std::string("exact ") + (j == 0 ? "∂/∂μ" : "∂/∂σ") + " = " +
                 format_g(e.exact(j), 6));
    const auto row = [&](const char* name, const ViScene::EstimatorSeries& s, ImU32 color,
                         int closed_index) {
        const double se = std::sqrt(s.stats.variance(j) / std::max(1, s.stats.repeats));
        std::string text = std::string(name) + ": mean " + format_g(s.stats.mean(j), 4) + " ± " +
                           format_g(se, 2) + ", Var " + format_g(s.stats.variance(j), 3);
        if (closed_index >= 0 && !s.closed_form.empty())
            text += " (closed form " +
                    format_g(s.closed_form[static_cast<size_t>(closed_index)](j), 3) + ")";
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(color));
        text_wrapped(text);
        ImGui::PopStyleColor();
    };
    // The closed form at est_batch when est_batch is on the series (a power of two).
    int ci = -1;
    const auto& batches = ViScene::variance_batches();
    for (size_t i = 0; i < batches.size(); ++i)
        if (batches[i] == p.est_batch) ci = static_cast<int>(i);
    row("reparam", e.reparam, kQ, ci);
    row("score", e.score, kScore, ci);
    if (e.loo_available)
        row("score − LOO baseline", e.loo, kLoo, -1);
    else
        ImGui::TextDisabled("leave-one-out baseline: B ≥ 2");
    if (e.score.stats.variance(j) > 0 && e.reparam.stats.variance(j) > 0)
        text_wrapped("score / reparam variance: " +
                     format_g(e.score.stats.variance(j) / e.reparam.stats.variance(j), 3) + "×");
}

void EstimatorsView::draw_plots(ViScene& scene, ViEdits& /*edits*/, ImVec2 size) {
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const ImVec2 half((size.x - gap) / 2, size.y);
    draw_histogram(scene, half);
    ImGui::SameLine();
    draw_variance(scene, half);
}

void EstimatorsView::draw_histogram(ViScene& scene, ImVec2 size) {
    const ViScene::EstimatorData& e = scene.estimators();
    const int j = component_;
    ImGui::BeginGroup();
    const std::string title = std::string("estimates of ") + (j == 0 ? "∂/∂μ" : "∂/∂σ") +
                              " E_q[f] at batch B = " + std::to_string(scene.params().est_batch);
    const float title_h = plot_title(title.c_str(), size.x);
    hist_.set_title(title);
    struct Series {
        const std::vector<vi::Vec2>* draws;
        ImU32 color;
    };
    std::vector<Series> all = {{&e.score.draws, kScore}, {&e.reparam.draws, kQ}};
    if (e.loo_available) all.insert(all.begin() + 1, {&e.loo.draws, kLoo});
    // The range: the 1st–99th percentiles of every estimator, so one heavy tail does not
    // squash the others (what falls outside is counted in the end bins).
    double lo = e.exact(j), hi = e.exact(j);
    for (const Series& s : all) {
        std::vector<double> v;
        for (const vi::Vec2& g : *s.draws) v.push_back(g(j));
        lo = std::min(lo, quantile(v, 0.01));
        hi = std::max(hi, quantile(v, 0.99));
    }
    if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
    constexpr int kBins = 60;
    const double width = (hi - lo) / kBins;
    std::vector<std::vector<double>> counts;
    double top = 1e-9;
    for (const Series& s : all) {
        std::vector<double> c(kBins, 0.0);
        for (const vi::Vec2& g : *s.draws) {
            const int b = std::clamp(static_cast<int>((g(j) - lo) / width), 0, kBins - 1);
            c[static_cast<size_t>(b)] += 1;
        }
        for (double& v : c) v /= std::max<double>(1, s.draws->size()) * width;  // a density
        for (double v : c) top = std::max(top, v);
        counts.push_back(c);
    }
    std::vector<LegendEntry> legend = {{kQ, "reparameterization", LegendEntry::Mark::Patch},
                                       {kScore, "score function", LegendEntry::Mark::Patch}};
    if (e.loo_available)
        legend.push_back({kLoo, "score, leave-one-out baseline", LegendEntry::Mark::Patch});
    legend.push_back({kPosterior, "exact gradient"});
    hist_.set_legend(legend);
    hist_.set_home({lo, 0, hi, 1.12 * top}, false);
    hist_.set_axes({"estimate"}, {"density"});
    const double exact = e.exact(j);
    const float legend_h = hist_.legend_item_height(size.x);
    hist_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        for (size_t s = 0; s < all.size(); ++s) {
            const ImU32 col = all[s].color;
            const ImU32 fill = (col & 0x00FFFFFF) | (70u << 24);
            std::vector<Vec2> outline;
            for (int b = 0; b < kBins; ++b) {
                const double x0 = lo + b * width, h = counts[s][static_cast<size_t>(b)];
                c.rect({x0, 0}, {x0 + width, h}, fill);
                outline.push_back({x0, h});
                outline.push_back({x0 + width, h});
            }
            c.polyline(outline, col, 1.5f);
        }
        const WorldRect v = c.view();
        c.line({exact, v.y0}, {exact, v.y1}, kPosterior, 2.0f);
    });
    if (auto h = hist_.hover_world(); h && hist_.hovered() && h->x >= lo && h->x < hi) {
        const int b = std::clamp(static_cast<int>((h->x - lo) / width), 0, kBins - 1);
        std::string text = "estimate in [" + format_g(lo + b * width, 3) + ", " +
                           format_g(lo + (b + 1) * width, 3) + ")\nexact gradient " +
                           format_g(exact, 4);
        const char* names[3] = {"score", "score − LOO", "reparam"};
        for (size_t s = 0; s < all.size(); ++s)
            text += std::string("\n") + names[s == 0 ? 0 : (all.size() == 3 ? s : 2)] +
                    ": density " + format_g(counts[s][static_cast<size_t>(b)], 3);
        ImGui::SetTooltip("%s", text.c_str());
    }
    hist_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.histogram", hist_.plot_min(), hist_.plot_max());
}

void EstimatorsView::draw_variance(ViScene& scene, ImVec2 size) {
    const ViScene::EstimatorData& e = scene.estimators();
    const int j = component_;
    const auto& batches = ViScene::variance_batches();
    ImGui::BeginGroup();
    const std::string title = std::string("variance of the ") + (j == 0 ? "∂/∂μ" : "∂/∂σ") +
                              " estimate against the batch size B";
    const float title_h = plot_title(title.c_str(), size.x);
    var_.set_title(title);
    struct Line {
        const ViScene::EstimatorSeries* s;
        ImU32 color;
    };
    const std::vector<Line> lines = {{&e.reparam, kQ}, {&e.score, kScore}, {&e.loo, kLoo}};
    double lo = 1e300, hi = -1e300;
    std::vector<std::pair<ImU32, std::vector<Vec2>>> measured, closed;
    for (const Line& l : lines) {
        std::vector<Vec2> m, c;
        for (size_t i = 0; i < batches.size(); ++i) {
            const double lb = std::log10(static_cast<double>(batches[i]));
            const double v = l.s->variance[i](j);
            if (std::isfinite(v) && v > 0) m.push_back({lb, std::log10(v)});
            if (i < l.s->closed_form.size() && l.s->closed_form[i](j) > 0)
                c.push_back({lb, std::log10(l.s->closed_form[i](j))});
        }
        for (const auto* pts : {&m, &c})
            for (const Vec2& p : *pts) lo = std::min(lo, p.y), hi = std::max(hi, p.y);
        measured.push_back({l.color, m});
        closed.push_back({l.color, c});
    }
    if (lo > hi) lo = -1, hi = 1;
    const double pad = 0.08 * std::max(hi - lo, 1.0);
    std::vector<LegendEntry> legend = {
        {kQ, "reparameterization"},
        {kScore, "score function"},
        {kLoo, "score, leave-one-out (measured only)"},
        {kPosterior,
         e.reparam.closed_form.empty() ? "dots: measured (joined)"
                                       : "dots: measured; lines: closed form",
         LegendEntry::Mark::Dot}};
    var_.set_legend(legend);
    var_.set_home({-0.15, lo - pad, std::log10(1024.0) + 0.15, hi + 0.3}, false);
    var_.set_axes({"batch size B (log scale)", pow10_tick, 1},
                  {"variance (log scale)", pow10_tick, 1});
    const float legend_h = var_.legend_item_height(size.x);
    var_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        for (const auto& [color, pts] : closed) c.polyline(pts, color, 1.8f);
        for (const auto& [color, pts] : measured)
            for (const Vec2& p : pts) c.point(p, color, 3.5f);
        // Without a closed form (leave-one-out, or f = log p(x, z)): the measured dots joined.
        for (size_t i = 0; i < measured.size(); ++i)
            if (closed[i].second.empty()) c.polyline(measured[i].second, measured[i].first, 1.2f);
    });
    if (auto h = var_.hover_world(); h && var_.hovered()) {
        size_t best = 0;
        for (size_t i = 0; i < batches.size(); ++i)
            if (std::abs(std::log10(static_cast<double>(batches[i])) - h->x) <
                std::abs(std::log10(static_cast<double>(batches[best])) - h->x))
                best = i;
        ImGui::SetTooltip("B = %d\nVar reparam %s\nVar score %s\nVar score-LOO %s", batches[best],
                          format_g(e.reparam.variance[best](j), 3).c_str(),
                          format_g(e.score.variance[best](j), 3).c_str(),
                          format_g(e.loo.variance[best](j), 3).c_str());
    }
    var_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.variance", var_.plot_min(), var_.plot_max());
}

}  // namespace genlab::vi_view
