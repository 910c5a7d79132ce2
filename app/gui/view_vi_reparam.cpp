// The Reparameterization card (seed 000 Q2): g(z0) = μ + S z0 with z0 ~ N(0, I) and S lower-
// triangular gives q = N(μ, S Sᵀ) with log q(g) = log N(z0; 0, I) − log|det S|, and for a
// triangular S the log-determinant is Σ log|S_ii|: O(K) instead of the general O(K³) (here the
// LU route, for comparison). The plot: the samples, the 1σ and 2σ ellipses (the images of the
// unit and radius-2 circles under S) and S's columns as arrows from μ.
#include <algorithm>
#include <cmath>

#include "format.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "view_vi.hpp"
#include "widgets.hpp"

namespace genlab::vi_view {

std::vector<std::string> ReparamView::legend_lines() const {
    return {"Blue dots: samples g = μ + S z0 of q = N(μ, S Sᵀ)",
            "Black: the 1σ and 2σ ellipses, the images of the circles |z0| = 1, 2 under S",
            "Purple arrows: S's columns from μ; S lower-triangular, so log|det S| = log|S11| + "
            "log|S22|"};
}

void ReparamView::draw_controls(ViScene& scene, ViEdits& edits) {
    const ViParams& p = scene.params();
    const float w = ImGui::GetFontSize() * 10;
    ImGui::TextUnformatted("g(z0) = μ + S z0, z0 ~ N(0, I)");
    for (int i = 0; i < 2; ++i) {
        double v = p.rp_mu[static_cast<size_t>(i)];
        ImGui::SetNextItemWidth(w);
        const std::string label = "μ" + std::string(i == 0 ? "1" : "2");
        if (key_slider(label.c_str(), v, vi_keys::rp_mu, "%.3g"))
            edits([&] { scene.set_rp_mu(i, v); });
        mark_item("vi.rp_mu." + std::to_string(i + 1));
    }
    const char* names[3] = {"S11", "S21", "S22"};
    for (int i = 0; i < 3; ++i) {
        double v = p.rp_s[static_cast<size_t>(i)];
        ImGui::SetNextItemWidth(w);
        if (key_slider(names[i], v, vi_keys::rp_s, "%.3g")) edits([&] { scene.set_rp_s(i, v); });
        mark_item(std::string("vi.rp_s.") + names[i]);
    }
    int n = p.rp_samples, seed = p.rp_seed;
    ImGui::SetNextItemWidth(w);
    if (key_slider("samples", n, vi_keys::rp_samples)) edits([&] { scene.set_rp_samples(n); });
    mark_item("vi.rp_samples");
    ImGui::SetNextItemWidth(w);
    if (ImGui::InputInt("seed", &seed))
        edits([&] { scene.set_rp_seed(std::clamp<int>(seed, 0, 1000000000)); });
    mark_key_range(vi_keys::rp_seed);

    const ViScene::ReparamData& r = scene.reparam();
    ImGui::Separator();
    text_wrapped("S = [[" + format_g(r.S(0, 0), 3) + ", 0], [" + format_g(r.S(1, 0), 3) + ", " +
                 format_g(r.S(1, 1), 3) + "]]");
    text_wrapped(
        "log|det S| = log|S11| + log|S22| = " + format_g(std::log(std::abs(r.S(0, 0))), 4) + " + " +
        format_g(std::log(std::abs(r.S(1, 1))), 4) + " = " + format_g(r.log_det_triangular, 6) +
        "   (O(K): K logs)");
    text_wrapped("LU route (general S, O(K³)): " + format_g(r.log_det_lu, 6));
    const double diff = std::abs(r.log_det_triangular - r.log_det_lu);
    coloured_wrapped(diff < 1e-10 ? "the two agree ✓ (difference " + format_g(diff, 1) + ")"
                                  : "they differ by " + format_g(diff, 2) + " ✗",
                     diff < 1e-10 ? palette::kOkText : palette::kErrorText);
    text_wrapped("Cov = S Sᵀ = [[" + format_g(r.cov(0, 0), 3) + ", " + format_g(r.cov(0, 1), 3) +
                 "], [" + format_g(r.cov(1, 0), 3) + ", " + format_g(r.cov(1, 1), 3) + "]]");
    text_wrapped("sample Cov = [[" + format_g(r.sample_cov(0, 0), 3) + ", " +
                 format_g(r.sample_cov(0, 1), 3) + "], [" + format_g(r.sample_cov(1, 0), 3) + ", " +
                 format_g(r.sample_cov(1, 1), 3) + "]]");
    coloured_wrapped(
        "For K latent dimensions a triangular S has K(K+1)/2 numbers and gives "
        "any full-covariance Gaussian; its log-det is a sum of K logs, where a "
        "general S needs an O(K³) factorization.",
        ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
}

void ReparamView::draw_plots(ViScene& scene, ViEdits& /*edits*/, ImVec2 size) {
    const ViScene::ReparamData& r = scene.reparam();
    const ViParams& p = scene.params();
    const Vec2 mu{p.rp_mu[0], p.rp_mu[1]};
    ImGui::BeginGroup();
    const std::string title =
        "g = μ + S z0: samples of N(μ, S Sᵀ), log|det S| = " + format_g(r.log_det_triangular, 4);
    const float title_h = plot_title(title.c_str(), size.x);
    samples_.set_title(title);
    const auto ellipse = [&](double radius) {
        std::vector<Vec2> pts;
        for (int i = 0; i <= 120; ++i) {
            const double t = 2 * M_PI * i / 120;
            const vi::Vec2 g = r.S * vi::Vec2(radius * std::cos(t), radius * std::sin(t));
            pts.push_back({mu.x + g(0), mu.y + g(1)});
        }
        return pts;
    };
    const std::vector<Vec2> e1 = ellipse(1), e2 = ellipse(2);
    double extent = 0.5;
    for (const Vec2& v : e2)
        extent = std::max({extent, std::abs(v.x - mu.x), std::abs(v.y - mu.y)});
    extent *= 1.25;
    samples_.set_legend({{kQ, "samples μ + S z0", LegendEntry::Mark::Dot},
                         {kPosterior, "1σ and 2σ ellipses"},
                         {kIwaeFit, "S's columns"}});
    samples_.set_home({mu.x - extent, mu.y - extent, mu.x + extent, mu.y + extent}, true);
    samples_.set_axes({"g1"}, {"g2"});
    const float legend_h = samples_.legend_item_height(size.x);
    samples_.draw(ImVec2(size.x, size.y - title_h - legend_h), [=](Canvas& c) {
        for (Eigen::Index i = 0; i < r.samples.rows(); ++i)
            c.point({r.samples(i, 0), r.samples(i, 1)}, IM_COL32(30, 100, 210, 150), 2.2f);
        c.polyline(e1, kPosterior, 2.0f);
        c.polyline(e2, kPosterior, 1.2f);
        c.arrow(mu, {mu.x + r.S(0, 0), mu.y + r.S(1, 0)}, kIwaeFit, 2.2f);
        c.arrow(mu, {mu.x + r.S(0, 1), mu.y + r.S(1, 1)}, kIwaeFit, 2.2f);
        c.label({mu.x + 1.25 * r.S(0, 0), mu.y + 1.25 * r.S(1, 0)}, "S e1", kIwaeFit);
        c.label({mu.x + 1.25 * r.S(0, 1), mu.y + 1.25 * r.S(1, 1)}, "S e2", kIwaeFit);
    });
    if (auto h = samples_.hover_world(); h && samples_.hovered()) {
        const double lq = vi::reparam_log_density(vi::Vec2(mu.x, mu.y), r.S, vi::Vec2(h->x, h->y));
        ImGui::SetTooltip("g = (%s, %s)\nlog q(g) = log N(z0; 0, I) − log|det S| = %s",
                          format_g(h->x, 3).c_str(), format_g(h->y, 3).c_str(),
                          format_g(lq, 4).c_str());
    }
    samples_.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("vi.reparam", samples_.plot_min(), samples_.plot_max());
}

}  // namespace genlab::vi_view
