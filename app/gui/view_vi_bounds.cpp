// The Bounds view (seed 000 Q4): p(z|x) (exact, by quadrature) and q(z|x) in one plot with x
// chosen by the slider or by clicking the data strip; L_K against K on a log axis with the
// log p(x) line, the Monte Carlo band (mean ± sd over seeds) and the gap log p(x) − L_K shaded;
// and the ELBO and IWAE-K fits of q, which "Fit q" applies.
#include <algorithm>
#include <cmath>

#include "format.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "view_vi.hpp"
#include "widgets.hpp"

namespace genlab::vi_view {

namespace {

std::string k_tick(double e) { return format_number(std::round(std::pow(10.0, e))); }

}  // namespace

std::vector<std::string> BoundsView::legend_lines() const {
    return {
        "Top left: p(z|x) exact (black, shaded) and your q(z|x) (blue)",
        "Dashed: the ELBO's optimum q* (green) and the IWAE-K fit (purple); Fit q applies one",
        "Strip: the data set x_i (dots) and the observed x (red line); click to move x",
        "Right: L_K against K (log axis), exact (black, by quadrature); orange: Monte Carlo mean ± "
        "sd",
        "Red line: log p(x); red shading: the gap log p(x) − L_K, which is KL(q‖p(z|x)) at K = 1"};
}

void BoundsView::draw_controls(ViScene& scene, ViEdits& edits) {
    const ViParams& p = scene.params();
    const float font = ImGui::GetFontSize();
    const float w = font * 10, half = font * 6.2f;
    ImGui::TextUnformatted("q(z|x) = N(μ, σ²)");
    double mu = p.q.mu, sigma = p.q.sigma;
    ImGui::SetNextItemWidth(half);
    if (key_slider("μ", mu, vi_keys::q_mu, "%.3f")) edits([&] { scene.set_q_mu(mu); });
    mark_item("vi.q_mu");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(half);
    if (key_slider("σ", sigma, vi_keys::q_sigma, "%.3g")) edits([&] { scene.set_q_sigma(sigma); });
    mark_item("vi.q_sigma");
    int k = p.K;
    ImGui::SetNextItemWidth(w);
    if (key_slider("K (samples)", k, vi_keys::K)) edits([&] { scene.set_K(k); });
    mark_item("vi.K");
    int ms = p.mc_samples, seeds = p.mc_seeds;
    ImGui::SetNextItemWidth(half);
    if (key_slider("##mc_samples", ms, vi_keys::mc_samples, "%d draws"))
        edits([&] { scene.set_mc_samples(ms); });
    mark_item("vi.mc_samples");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(half);
    if (key_slider("MC", seeds, vi_keys::mc_seeds, "%d seeds"))
        edits([&] { scene.set_mc_seeds(seeds); });
    mark_item("vi.mc_seeds");
    // Fit q: the two objectives side by side (each button sets vi.fit_objective and applies).
    int fk = p.fit_K;
    if (ImGui::Button("Fit q by ELBO"))
        edits([&] {
            scene.set_fit_iwae(false);
            scene.apply_fit();
        });
    mark_item("vi.fit.elbo");
    ImGui::SameLine();
    const std::string iwae = "by IWAE-" + std::to_string(p.fit_K);
    if (ImGui::Button(iwae.c_str()))
        edits([&] {
            scene.set_fit_iwae(true);
            scene.apply_fit();
        });
    mark_item("vi.fit.iwae");
    ImGui::SetNextItemWidth(w);
    if (key_slider("IWAE fit K", fk, vi_keys::fit_K)) edits([&] { scene.set_fit_K(fk); });
    mark_item("vi.fit_K");

    const ViScene::BoundsData& b = scene.bounds();
    ImGui::Separator();
    text_wrapped("log p(x) = " + with_error(b.log_px, b.log_px_error) + " (quadrature)");
    text_wrapped("ELBO = L_1 = " + format_g(b.elbo, 6));
    text_wrapped("KL(q‖p(z|x)) = log p(x) − ELBO = " + format_g(b.kl, 5));
    const double diff = std::abs(b.kl_grid - b.kl);
    coloured_wrapped("identity checked: KL on a grid = " + format_g(b.kl_grid, 5) +
                         (diff < 1e-5 ? " ✓ (differs by " : " ✗ (differs by ") + format_g(diff, 1) +
                         ")",
                     diff < 1e-5 ? palette::kOkText : palette::kErrorText);
    const int ki = b.index_of(p.K);
    if (ki >= 0) {
        const size_t i = static_cast<size_t>(ki);
        if (b.done[i])
            text_wrapped("L_" + std::to_string(p.K) + " = " +
                         with_error(b.exact[i].value, b.exact[i].error) + " exact");
        else
            ImGui::TextDisabled("L_%d exact: computing…", p.K);
        text_wrapped("MC: " + format_g(b.mc[i].mean, 6) + " ± " + format_g(b.mc[i].sd, 2) +
                     " (sd over " + std::to_string(p.mc_seeds) + " seeds)");
        if (b.done[i])
            text_wrapped("gap log p(x) − L_K = " + format_g(b.log_px - b.exact[i].value, 4));
    }
    if (!b.complete())
        ImGui::TextDisabled("exact L_K: %d of %zu K's (filling in)", b.exact_count, b.ks.size());
    else
        coloured_wrapped(b.monotone ? "L_1 ≤ L_2 ≤ … ≤ L_1000 ≤ log p(x) ✓"
                                    : "L_K not monotone beyond its errors ✗",
                         b.monotone ? palette::kOkText : palette::kErrorText);

    ImGui::Separator();
    if (!scene.fits_ready()) {
        ImGui::TextDisabled("fitting q to this x…");
        return;
    }
    const ViScene::FitsData& f = scene.fits();
    if (!f.error.empty()) {
        coloured_wrapped(f.error, palette::kWarnText);
        return;
    }
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kElboFit));
    text_wrapped("ELBO fit: μ = " + format_g(f.elbo_q.mu, 4) +
                 ", σ = " + format_g(f.elbo_q.sigma, 4) + ", KL = " + format_g(f.elbo_q_kl, 3));
    ImGui::PopStyleColor();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kIwaeFit));
    text_wrapped("IWAE-" + std::to_string(f.K) + " fit: μ = " + format_g(f.iwae_q.mu, 4) +
                 ", σ = " + format_g(f.iwae_q.sigma, 4) + ", KL = " + format_g(f.iwae_q_kl, 3));
    ImGui::PopStyleColor();
    text_wrapped("L_" + std::to_string(f.K) + ": ELBO fit " + format_g(f.elbo_q_lk, 5) +
                 ", IWAE fit " + format_g(f.iwae_q_lk, 5) +
                 (f.iwae_q.sigma > f.elbo_q.sigma ? ": the IWAE q is wider" : ""));
}

void BoundsView::draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) {
    const ImVec2 gap = ImGui::GetStyle().ItemSpacing;
    const float font = ImGui::GetFontSize();
    const float strip_h = font * 6;
    const float left_w = (size.x - gap.x) * 0.5f;
    ImGui::BeginGroup();
    draw_density(scene, ImVec2(left_w, size.y - strip_h - gap.y));
    draw_data_strip(scene, edits, ImVec2(left_w, strip_h));
    ImGui::EndGroup();
    ImGui::SameLine();
    draw_bounds(scene, ImVec2(size.x - left_w - gap.x, size.y));
}

void BoundsView::draw_density(ViScene& scene, ImVec2 size) {
    const ViParams& p = scene.params();
    const ViScene::PosteriorData& post = scene.posterior();
    const bool fitted = scene.fits_ready();  // else being refitted (tick() does it)
    const ViScene::FitsData* f = fitted && scene.fits().error.empty() ? &scene.fits() : nullptr;
    ImGui::BeginGroup();
    const std::string title = "p(z | x = " + format_g(p.x, 4) + ") exact, and q(z|x)";
    const float title_h = plot_title(title.c_str(), size.x);
    density_.set_title(title);
    // Range: the posterior's ±4 sd and q's ±4σ.
    double lo = std::min(post.mean - 4 * post.sd, p.q.mu - 4 * p.q.sigma);
    double hi = std::max(post.mean + 4 * post.sd, p.q.mu + 4 * p.q.sigma);
    lo = std::max(lo, p.q.mu - 12), hi = std::min(hi, p.q.mu + 12);
    std::vector<Vec2> pz;
    double top = 0;
    for (size_t i = 0; i < post.grid.z.size(); ++i) {
        const double z = post.grid.z[i], d = post.grid.density[i];
        if (z < lo || z > hi) continue;
        pz.push_back({z, d});
        top = std::max(top, d);
    }
    const std::vector<Vec2> q = gaussian_curve(p.q, lo, hi);
    const std::vector<Vec2> qe = f ? gaussian_curve(f->elbo_q, lo, hi) : std::vector<Vec2>{};
    const std::vector<Vec2> qi = f ? gaussian_curve(f->iwae_q, lo, hi) : std::vector<Vec2>{};
    for (const auto* c : {&q, &qe, &qi})
        for (const Vec2& v : *c) top = std::max(top, v.y);
    top = std::min(top, 50.0);
    density_.set_legend(
        {{kPosterior, "p(z|x), exact"},
         {kQ, "your q(z|x)"},
         {kElboFit, "ELBO fit q*", LegendEntry::Mark::Dashed},
         {kIwaeFit, "IWAE-" + std::to_string(p.fit_K) + " fit", LegendEntry::Mark::Dashed}});
    density_.set_home({lo, 0, hi, 1.15 * std::max(top, 1e-6)}, false);
    density_.set_axes({"z"}, {"density"});
    const float legend_h = density_.legend_item_height(size.x);
    density_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        fill_under(c, pz, kPosteriorFill);
        c.polyline(pz, kPosterior, 2.2f);
        fill_under(c, q, kQFill);
        c.polyline(q, kQ, 2.0f);
        dashed(c, qe, kElboFit);
        dashed(c, qi, kIwaeFit);
    });
    if (auto h = density_.hover_world(); h && density_.hovered()) {
        const double u = (h->x - p.q.mu) / p.q.sigma;
        ImGui::SetTooltip(
            "z = %s\nq(z) = N(z; %s, %s²) = %s", format_g(h->x, 4).c_str(),
            format_g(p.q.mu, 4).c_str(), format_g(p.q.sigma, 4).c_str(),
            format_g(std::exp(-0.5 * u * u) / (p.q.sigma * std::sqrt(2 * M_PI)), 4).c_str());
    }
    density_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.density", density_.plot_min(), density_.plot_max());
}

void BoundsView::draw_data_strip(ViScene& scene, ViEdits& edits, ImVec2 size) {
    const ViParams& p = scene.params();
    const std::vector<double>& xs = scene.data().xs;
    ImGui::BeginGroup();
    const char* title = "data x_i ~ p(x): click to observe x";
    const float title_h = plot_title(title, size.x);
    data_.set_title(title);
    double lo = p.x, hi = p.x;
    for (double x : xs) lo = std::min(lo, x), hi = std::max(hi, x);
    const double pad = 0.08 * std::max(hi - lo, 1.0);
    data_.set_home({lo - pad, -1, hi + pad, 1}, false);
    data_.set_axes({"x"}, {"", [](double) { return std::string(); }, 10});
    data_.draw(ImVec2(size.x, size.y - title_h), [=](Canvas& c) {
        c.line({p.x, -1}, {p.x, 1}, kLogPx, 2.0f);
        for (double x : xs) c.point({x, 0}, kPosterior, 3.5f);
    });
    if (auto click = data_.clicked_world()) {
        // The nearest data point within 8 pixels, else the clicked x itself.
        int nearest = -1;
        double best = 8 / std::max(1e-9, data_.pixels_per_unit_x());
        for (size_t i = 0; i < xs.size(); ++i)
            if (std::abs(xs[i] - click->x) < best)
                best = std::abs(xs[i] - click->x), nearest = static_cast<int>(i);
        const double x = std::clamp(click->x, vi_keys::x.lo, vi_keys::x.hi);
        edits([&] {
            if (nearest >= 0)
                scene.set_x_to_point(nearest);
            else
                scene.set_x(x);
        });
    }
    ImGui::EndGroup();
    mark_rect("vi.data", data_.plot_min(), data_.plot_max());
    if (test_dump_enabled()) {
        Json pts = Json::array();
        for (double x : xs) {
            const ImVec2 s = data_.to_screen({x, 0});
            pts.push_back({s.x, s.y});
        }
        mark_value("vi.data_points", pts);
    }
}

void BoundsView::draw_bounds(ViScene& scene, ImVec2 size) {
    const ViParams& p = scene.params();
    const ViScene::BoundsData& b = scene.bounds();
    ImGui::BeginGroup();
    const char* title = "L_K against K: L_1 = ELBO ≤ L_K ≤ log p(x)";
    const float title_h = plot_title(title, size.x);
    bounds_.set_title(title);
    std::vector<Vec2> exact, mc;  // exact: the K's computed so far
    std::vector<size_t> exact_index;
    double lo = b.log_px, hi = b.log_px;
    for (size_t i = 0; i < b.ks.size(); ++i) {
        const double lk = std::log10(static_cast<double>(b.ks[i]));
        if (b.done[i]) {
            exact.push_back({lk, b.exact[i].value});
            exact_index.push_back(i);
            lo = std::min(lo, b.exact[i].value);
        }
        mc.push_back({lk, b.mc[i].mean});
        lo = std::min({lo, b.elbo, b.mc[i].mean - b.mc[i].sd});
        hi = std::max(hi, b.mc[i].mean + b.mc[i].sd);
    }
    if (!std::isfinite(lo)) lo = b.log_px - 1;
    const double span = std::max(hi - lo, 1e-3);
    bounds_.set_legend({{kPosterior, "L_K exact"},
                        {kMc, "Monte Carlo mean ± sd", LegendEntry::Mark::Dot},
                        {kLogPx, "log p(x)"},
                        {kGap, "gap log p(x) − L_K", LegendEntry::Mark::Patch}});
    bounds_.set_home({-0.1, lo - 0.08 * span, 3.1, hi + 0.2 * span}, false);
    bounds_.set_axes({"K (log scale)", k_tick, 1}, {"nats"});
    const int ki = b.index_of(p.K);
    const float legend_h = bounds_.legend_item_height(size.x);
    bounds_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        const WorldRect v = c.view();
        // The gap and the band as thin strips under linear interpolation between K's (the
        // canvas has no polygon fill).
        constexpr int kStrips = 12;
        for (size_t i = 0; i + 1 < exact.size(); ++i)
            for (int j = 0; j < kStrips; ++j) {
                const double t0 = static_cast<double>(j) / kStrips, t1 = (j + 1.0) / kStrips;
                const double tm = 0.5 * (t0 + t1);
                const double y = exact[i].y + tm * (exact[i + 1].y - exact[i].y);
                const double x0 = exact[i].x + t0 * (exact[i + 1].x - exact[i].x);
                const double x1 = exact[i].x + t1 * (exact[i + 1].x - exact[i].x);
                c.rect({x0, y}, {x1, b.log_px}, kGap);
            }
        for (size_t i = 0; i + 1 < mc.size(); ++i)
            for (int j = 0; j < kStrips; ++j) {
                const double t0 = static_cast<double>(j) / kStrips, t1 = (j + 1.0) / kStrips;
                const double tm = 0.5 * (t0 + t1);
                const double y = mc[i].y + tm * (mc[i + 1].y - mc[i].y);
                const double sd = b.mc[i].sd + tm * (b.mc[i + 1].sd - b.mc[i].sd);
                const double x0 = mc[i].x + t0 * (mc[i + 1].x - mc[i].x);
                const double x1 = mc[i].x + t1 * (mc[i + 1].x - mc[i].x);
                c.rect({x0, y - sd}, {x1, y + sd}, kMcBand);
            }
        c.line({v.x0, b.log_px}, {v.x1, b.log_px}, kLogPx, 2.0f);
        c.polyline(exact, kPosterior, 2.2f);
        for (const Vec2& m : mc) c.point(m, kMc, 3.0f);
        if (ki >= 0 && b.done[static_cast<size_t>(ki)]) {
            const size_t i = static_cast<size_t>(ki);
            const Vec2 at{std::log10(static_cast<double>(b.ks[i])), b.exact[i].value};
            c.line({at.x, v.y0}, {at.x, v.y1}, kGrid, 1.0f);
            c.point(at, kPosterior, 5.0f);
            c.label({at.x, at.y - 0.06 * span}, "L_" + std::to_string(p.K), kPosterior);
        }
        c.label({0.3, b.log_px + 0.06 * span}, "log p(x)", kLogPx);
    });
    if (auto h = bounds_.hover_world(); h && bounds_.hovered()) {
        // The nearest K on the series.
        size_t best = 0;
        for (size_t i = 0; i < mc.size(); ++i)
            if (std::abs(mc[i].x - h->x) < std::abs(mc[best].x - h->x)) best = i;
        const std::string ex = b.done[best] ? with_error(b.exact[best].value, b.exact[best].error)
                                            : std::string("computing…");
        ImGui::SetTooltip("K = %d\nL_K = %s (exact)\nMC %s ± %s (sd over seeds)\nlog p(x) = %s",
                          b.ks[best], ex.c_str(), format_g(b.mc[best].mean, 6).c_str(),
                          format_g(b.mc[best].sd, 2).c_str(), format_g(b.log_px, 6).c_str());
    }
    bounds_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.bounds", bounds_.plot_min(), bounds_.plot_max());
}

}  // namespace genlab::vi_view
