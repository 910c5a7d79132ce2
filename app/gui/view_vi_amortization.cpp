// The Amortization view (seeds 000 Q3, 002 Q2, 003 Q1): a data set x_i ~ p(x), an encoder
// μ_φ(x), log σ_φ(x) (linear or a small MLP) trained live on Σ ELBO with Play / Step / Reset,
// and beside it each point's own optimum q_i*. Left: the encoder's map x ↦ μ_φ(x) ± σ_φ(x)
// against the q_i*'s; right: per point KL(q_φ(z|x_i)‖p(z|x_i)) against KL(q_i*‖p(z|x_i)), whose
// difference summed is the amortization gap.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "format.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "view_vi.hpp"
#include "widgets.hpp"

namespace genlab::vi_view {

std::vector<std::string> AmortizationView::legend_lines() const {
    return {"Left: the encoder's μ_φ(x) (blue line) ± σ_φ(x) (band); one φ must serve every x",
            "Green dots ± σ: each point's own optimum q_i*; faint green: q_i* mirrored (f = a·z² + "
            "b only)",
            "Right, per point sorted by x: KL(q_φ‖p(z|x_i)) (blue) and KL(q_i*‖p(z|x_i)) (green)",
            "Blue ≥ green always; the sum of the differences is the amortization gap",
            "Play trains the encoder on Σ_i ELBO(x_i) with Adam, steps_per_frame steps a frame"};
}

void AmortizationView::draw_controls(ViScene& scene, ViEdits& edits) {
    const ViParams& p = scene.params();
    const float w = ImGui::GetFontSize() * 10;
    ImGui::TextUnformatted("Data set and encoder");
    int n = p.data_n, seed = p.data_seed;
    if (p.data_points.empty()) {
        ImGui::SetNextItemWidth(w);
        if (key_slider("points n", n, vi_keys::data_n)) edits([&] { scene.set_data_n(n); });
        mark_item("vi.data_n");
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputInt("data seed", &seed))
            edits([&] { scene.set_data_seed(std::clamp<int>(seed, 0, 1000000000)); });
        mark_key_range(vi_keys::data_seed);
    } else {
        ImGui::Text("%zu drawn points", p.data_points.size());
        ImGui::SameLine();
        if (ImGui::SmallButton("sample instead")) edits([&] { scene.clear_data_points(); });
        mark_item("vi.clear_points");
    }
    ImGui::Checkbox("a click on the left plot adds a point", &adding_);
    mark_item("vi.add_points");
    if (ImGui::RadioButton("linear μ = a·x + b", p.encoder == vi::EncoderKind::Linear))
        edits([&] { scene.set_encoder(vi::EncoderKind::Linear); });
    mark_item("vi.encoder.linear");
    if (ImGui::RadioButton("MLP (tanh hidden layer)", p.encoder == vi::EncoderKind::Mlp))
        edits([&] { scene.set_encoder(vi::EncoderKind::Mlp); });
    mark_item("vi.encoder.mlp");
    int hidden = p.encoder_hidden, steps = p.encoder_steps, spf = p.steps_per_frame,
        eseed = p.encoder_seed;
    double lr = p.encoder_lr;
    if (p.encoder == vi::EncoderKind::Mlp) {
        ImGui::SetNextItemWidth(w);
        if (key_slider("hidden units", hidden, vi_keys::encoder_hidden))
            edits([&] { scene.set_encoder_hidden(hidden); });
        mark_item("vi.encoder_hidden");
    }
    ImGui::SetNextItemWidth(w);
    if (key_slider("Adam lr", lr, vi_keys::encoder_lr, "%.3g"))
        edits([&] { scene.set_encoder_lr(lr); });
    mark_item("vi.encoder_lr");
    ImGui::SetNextItemWidth(w);
    if (key_slider("steps", steps, vi_keys::encoder_steps))
        edits([&] { scene.set_encoder_steps(steps); });
    mark_item("vi.encoder_steps");
    ImGui::SetNextItemWidth(w);
    if (key_slider("steps/frame", spf, vi_keys::steps_per_frame))
        edits([&] { scene.set_steps_per_frame(spf); });
    mark_item("vi.steps_per_frame");
    ImGui::SetNextItemWidth(w);
    if (ImGui::InputInt("init seed", &eseed))
        edits([&] { scene.set_encoder_seed(std::clamp<int>(eseed, 0, 1000000000)); });
    mark_key_range(vi_keys::encoder_seed);

    const ViScene::AmortizationData& a = scene.amortization();
    ImGui::Separator();
    const bool done = a.steps >= p.encoder_steps;
    text_wrapped("Step " + std::to_string(a.steps) + " of " + std::to_string(p.encoder_steps) +
                 (scene.playing() ? " (training)"
                  : done          ? " (done)"
                                  : " (Play trains)"));
    text_wrapped("Σ ELBO(x_i; φ) = " + format_g(a.total_elbo, 6));
    text_wrapped("Σ KL(q_φ‖p) = " + format_g(a.total_kl_enc, 4) +
                 ", Σ KL(q*‖p) = " + format_g(a.total_kl_opt, 4));
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kLogPx));
    text_wrapped("amortization gap = " + format_g(a.gap, 4) + " nats");
    ImGui::PopStyleColor();
    const bool holds = a.min_difference >= -1e-9;
    coloured_wrapped(holds ? "KL(q_φ(z|x_i)‖p) ≥ KL(q_i*‖p) at every point ✓"
                           : "the inequality fails at a point ✗ (q_i* not optimal)",
                     holds ? palette::kOkText : palette::kErrorText);
    if (p.encoder == vi::EncoderKind::Linear && p.link != ViLink::Linear)
        text_wrapped(
            "A linear encoder can only draw a straight μ(x): where the posterior's "
            "mean bends in x, no φ serves every point.");
}

void AmortizationView::draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) {
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const ImVec2 half((size.x - gap) / 2, size.y);
    draw_map(scene, edits, half);
    ImGui::SameLine();
    draw_kls(scene, half);
}

void AmortizationView::draw_map(ViScene& scene, ViEdits& edits, ImVec2 size) {
    const ViScene::DataSet& d = scene.data_with_optima();
    const ViScene::AmortizationData& a = scene.amortization();
    const vi::Encoder& enc = scene.encoder();
    ImGui::BeginGroup();
    const std::string title = std::string("encoder q_φ(z|x) (") +
                              (scene.params().encoder == vi::EncoderKind::Mlp ? "MLP" : "linear") +
                              ") against each q_i*";
    const float title_h = plot_title(title.c_str(), size.x);
    map_.set_title(title);
    double xlo = d.xs.front(), xhi = xlo, zlo = 0, zhi = 0;
    // f(z) = a·z² + b is even: p(z|x) is symmetric, and q* mirrored to −μ* is as good.
    const bool mirrored = scene.params().link == ViLink::Quadratic;
    for (size_t i = 0; i < d.xs.size(); ++i) {
        const double m = std::abs(d.q_opt[i].mu);
        xlo = std::min(xlo, d.xs[i]), xhi = std::max(xhi, d.xs[i]);
        zlo = std::min({zlo, (mirrored ? -m : d.q_opt[i].mu) - d.q_opt[i].sigma,
                        a.q_enc[i].mu - a.q_enc[i].sigma});
        zhi = std::max({zhi, (mirrored ? m : d.q_opt[i].mu) + d.q_opt[i].sigma,
                        a.q_enc[i].mu + a.q_enc[i].sigma});
    }
    const double xpad = 0.06 * std::max(xhi - xlo, 1.0), zpad = 0.1 * std::max(zhi - zlo, 1.0);
    std::vector<Vec2> mean, upper, lower;
    for (int i = 0; i <= 160; ++i) {
        const double x = xlo - xpad + (xhi - xlo + 2 * xpad) * i / 160.0;
        const vi::Gaussian q = vi::encode(enc, x);
        mean.push_back({x, q.mu});
        upper.push_back({x, q.mu + q.sigma});
        lower.push_back({x, q.mu - q.sigma});
    }
    std::vector<LegendEntry> legend = {
        {kQ, "encoder μ_φ(x) ± σ_φ(x)"},
        {kElboFit, "q_i* (each point's own optimum)", LegendEntry::Mark::Dot}};
    if (mirrored)
        legend.push_back({kMirror, "q_i* mirrored to −μ*: the same KL", LegendEntry::Mark::Dot});
    map_.set_legend(legend);
    map_.set_home({xlo - xpad, zlo - zpad, xhi + xpad, zhi + zpad}, false);
    map_.set_axes({"x"}, {"z"});
    const double x_now = scene.params().x;
    const float legend_h = map_.legend_item_height(size.x);
    map_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        const WorldRect v = c.view();
        c.line({x_now, v.y0}, {x_now, v.y1}, kGap, 2.0f);
        for (size_t i = 0; i + 1 < mean.size(); ++i)
            c.rect({lower[i].x, lower[i].y}, {lower[i + 1].x, upper[i].y}, kQFill);
        c.polyline(mean, kQ, 2.2f);
        for (size_t i = 0; mirrored && i < d.xs.size(); ++i) {
            const vi::Gaussian& q = d.q_opt[i];
            if (std::abs(q.mu) < 1e-3) continue;
            c.line({d.xs[i], -q.mu - q.sigma}, {d.xs[i], -q.mu + q.sigma}, kMirror, 1.5f);
            c.point({d.xs[i], -q.mu}, kMirror, 4.0f);
        }
        for (size_t i = 0; i < d.xs.size(); ++i) {
            const vi::Gaussian& q = d.q_opt[i];
            c.line({d.xs[i], q.mu - q.sigma}, {d.xs[i], q.mu + q.sigma}, kElboFit, 1.5f);
            c.point({d.xs[i], q.mu}, kElboFit, 4.0f);
        }
    });
    if (auto click = map_.clicked_world()) {
        if (adding_) {
            const double x = click->x;
            edits([&] { scene.add_data_point(x); });
        } else {
            size_t nearest = 0;
            for (size_t i = 0; i < d.xs.size(); ++i)
                if (std::abs(d.xs[i] - click->x) < std::abs(d.xs[nearest] - click->x)) nearest = i;
            edits([&] { scene.set_x_to_point(static_cast<int>(nearest)); });
        }
    }
    if (auto h = map_.hover_world(); h && map_.hovered()) {
        const vi::Gaussian q = vi::encode(enc, h->x);
        ImGui::SetTooltip(adding_ ? "x = %s\nq_φ(z|x) = N(%s, %s²)\nclick: add a point here"
                                  : "x = %s\nq_φ(z|x) = N(%s, %s²)\nclick: observe the nearest x_i",
                          format_g(h->x, 4).c_str(), format_g(q.mu, 4).c_str(),
                          format_g(q.sigma, 4).c_str());
    }
    map_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.encoder_map", map_.plot_min(), map_.plot_max());
    if (test_dump_enabled()) {
        Json pts = Json::array();
        for (size_t i = 0; i < d.xs.size(); ++i) {
            const ImVec2 s = map_.to_screen({d.xs[i], d.q_opt[i].mu});
            pts.push_back({s.x, s.y});
        }
        mark_value("vi.map_points", pts);
    }
}

void AmortizationView::draw_kls(ViScene& scene, ImVec2 size) {
    const ViScene::DataSet& d = scene.data_with_optima();
    const ViScene::AmortizationData& a = scene.amortization();
    ImGui::BeginGroup();
    const std::string title =
        "per-point KL to p(z|x_i): gap Σ(blue − green) = " + format_g(a.gap, 3);
    const float title_h = plot_title(title.c_str(), size.x);
    kl_.set_title(title);
    std::vector<size_t> order(d.xs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return d.xs[i] < d.xs[j]; });
    // The scale: 3× the median encoder KL (at least every q_i*'s), so one far point does not
    // flatten the rest; taller bars are cut at the top and labelled with their value.
    std::vector<double> sorted = a.kl_enc;
    std::sort(sorted.begin(), sorted.end());
    double top = sorted.empty() ? 1 : 3 * sorted[sorted.size() / 2];
    for (double k : a.kl_opt) top = std::max(top, k);
    top = std::clamp(std::min(top, sorted.empty() ? top : sorted.back()), 1e-3, 1e4);
    kl_.set_legend({{kQ, "KL(q_φ(z|x_i)‖p(z|x_i)): the encoder", LegendEntry::Mark::Patch},
                    {kElboFit, "KL(q_i*‖p(z|x_i)): the best Gaussian", LegendEntry::Mark::Patch}});
    const double n = static_cast<double>(order.size());
    kl_.set_home({-0.6, 0, n - 0.4, 1.25 * top}, false);  // headroom: the top tick clears the label
    kl_.set_axes({"point i (sorted by x_i)", {}, 1}, {"KL (nats)"});
    const float legend_h = kl_.legend_item_height(size.x);
    kl_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        for (size_t r = 0; r < order.size(); ++r) {
            const size_t i = order[r];
            const double x = static_cast<double>(r);
            c.rect({x - 0.38, 0}, {x, std::min(a.kl_enc[i], top * 1.1)}, kQ);
            c.rect({x, 0}, {x + 0.38, std::min(a.kl_opt[i], top * 1.1)}, kElboFit);
            if (a.kl_enc[i] > top * 1.1) c.label({x, top * 1.05}, format_g(a.kl_enc[i], 3), kQ);
        }
    });
    if (auto h = kl_.hover_world(); h && kl_.hovered()) {
        const long r = std::lround(h->x);
        if (r >= 0 && r < static_cast<long>(order.size())) {
            const size_t i = order[static_cast<size_t>(r)];
            ImGui::SetTooltip("x_%zu = %s\nKL encoder = %s\nKL q* = %s\ndifference = %s", i,
                              format_g(d.xs[i], 4).c_str(), format_g(a.kl_enc[i], 4).c_str(),
                              format_g(a.kl_opt[i], 4).c_str(),
                              format_g(a.kl_enc[i] - a.kl_opt[i], 3).c_str());
        }
    }
    kl_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.kls", kl_.plot_min(), kl_.plot_max());
}

}  // namespace genlab::vi_view
