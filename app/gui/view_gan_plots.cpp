// The GAN panel's spectrum, γ sweep and time series (view_gan_plots.hpp).
#include "view_gan_plots.hpp"

#include <algorithm>
#include <cmath>

#include "format.hpp"
#include "test_dump.hpp"
#include "widgets.hpp"

namespace genlab::gan_view {

namespace {

constexpr ImU32 kReal = IM_COL32(30, 90, 200, 255);
constexpr ImU32 kImag = IM_COL32(230, 120, 20, 255);

// Min and max of the finite values, padded; a flat or empty series gets a unit range.
std::pair<double, double> finite_range(const std::vector<double>& values) {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : values) {
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!std::isfinite(lo)) return {-1, 1};
    if (hi - lo < 1e-12) return {lo - 1, hi + 1};
    const double pad = (hi - lo) * 0.08;
    return {lo - pad, hi + pad};
}

// Whether `text` fits after the last item on its line, before `right` (screen x): the rest
// of a title line is dropped rather than widening the plot's group.
bool fits_on_line(const char* text, float right) {
    return ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x +
               ImGui::CalcTextSize(text).x <=
           right;
}

}  // namespace

std::string complex_text(const gan::Complex& c) {
    if (std::abs(c.imag()) < 1e-12) return format_g(c.real(), 4);
    return format_g(c.real(), 4) + (c.imag() < 0 ? " − " : " + ") +
           format_g(std::abs(c.imag()), 4) + "i";
}

void draw_spectrum(Canvas& canvas, ImVec2 size, const GanScene& scene) {
    const bool flow = scene.params().run.method == gan_methods::Method::Flow;
    const auto& eig =
        flow ? scene.eigenvalues_flow(GanSide::Main) : scene.eigenvalues_map(GanSide::Main);
    const auto& ref = flow ? scene.eigenvalues_flow(GanSide::Reference)
                           : scene.eigenvalues_map(GanSide::Reference);
    double r = flow ? 1.0 : 1.3;
    for (const auto& c : eig) r = std::max(r, 1.15 * std::abs(c));
    r = std::min(r, 1e6);
    canvas.set_home({-r, -r, r, r}, true);
    canvas.set_axes({"Re λ"}, {"Im λ"});
    const char* title = flow ? "eigenvalues of J (stable: left of the axis)"
                             : "eigenvalues of the step map (stable: inside)";
    canvas.set_title(title);
    canvas.set_legend(
        {{kMainTrajectory, "your settings", LegendEntry::Mark::Dot},
         {IM_COL32(120, 120, 130, 255), "the left plot's (hollow)", LegendEntry::Mark::Dot},
         {kBoundary, flow ? "Re λ = 0" : "|λ| = 1"}});
    ImGui::BeginGroup();
    const float title_h = plot_title(title, size.x);
    canvas.draw(ImVec2(size.x, size.y - title_h), [eig, ref, flow, r](Canvas& c) {
        if (flow) {
            c.line({0, -r}, {0, r}, kBoundary, 2);
        } else {
            std::vector<Vec2> circle;
            for (int k = 0; k <= 128; ++k)
                circle.push_back({std::cos(k * M_PI / 64), std::sin(k * M_PI / 64)});
            c.polyline(circle, kBoundary, 2);
        }
        for (const auto& z : ref) c.point({z.real(), z.imag()}, IM_COL32(120, 120, 130, 255), 5);
        for (const auto& z : ref) c.point({z.real(), z.imag()}, IM_COL32_WHITE, 3.5f);
        for (const auto& z : eig) c.point({z.real(), z.imag()}, kMainTrajectory, 5);
    });
    ImGui::EndGroup();
    mark_rect("gan.spectrum", canvas.plot_min(), canvas.plot_max());
    if (canvas.hovered()) {
        std::string text = "filled: your settings; hollow: the left plot's\n";
        for (const auto& z : eig)
            text += complex_text(z) + "   |λ| = " + format_g(std::abs(z), 4) + "\n";
        ImGui::SetTooltip("%s", text.c_str());
    }
}

// gan.sweep = lr, n_critic, beta, sigma or lambda: the step map's spectral radius against the
// parameter (the others as set; a parameter the method or terms do not read gives a flat line),
// with r = 1 (the edge of convergence) and your value. lr runs on a log axis.
void draw_radius_sweep(Canvas& canvas, ImVec2 size, const GanScene& scene) {
    const std::string& key = scene.params().sweep;
    const bool log_axis = key == "lr";
    const auto [lo_v, hi_v] = scene.radius_sweep_range();
    const auto x_of = [log_axis](double v) { return log_axis ? std::log10(v) : v; };
    std::vector<Vec2> curve;
    std::vector<double> ys = {1.0};
    for (const auto& p : scene.radius_sweep()) {
        if (!std::isfinite(p.radius)) continue;
        curve.push_back({x_of(p.value), p.radius});
        ys.push_back(p.radius);
    }
    auto [lo, hi] = finite_range(ys);
    lo = std::min(lo, 0.0);
    hi += 0.12 * (hi - lo);  // the axis label clear of the top tick
    const double x0 = x_of(lo_v), x1 = x_of(hi_v);
    const double yours = x_of(gan_methods::get_param(scene.params().run, "gan." + key));
    const std::string what = key == "beta"     ? "β (momentum)"
                             : key == "sigma"  ? "σ (instance noise)"
                             : key == "lambda" ? "λ (WGAN-GP)"
                                               : key;
    const std::string title = "step map's radius vs " + what;  // the axis shows the range
    canvas.set_home({x0, lo, x1, hi}, false);
    canvas.set_axes({log_axis ? "lr (log scale)" : what,
                     log_axis ? std::function<std::string(double)>(
                                    [](double v) { return format_g(std::pow(10, v), 2); })
                              : std::function<std::string(double)>(),
                     log_axis ? 0.0 : 1.0},
                    {"max |λ|"});
    canvas.set_title(title);
    canvas.set_legend({{kReal, "spectral radius of the step map"},
                       {IM_COL32(0, 0, 0, 160), "your " + what},
                       {kBoundary, "|λ| = 1: converges below"}});
    ImGui::BeginGroup();
    const float title_h = plot_title(title.c_str(), size.x);
    canvas.draw(ImVec2(size.x, size.y - title_h),
                [curve, yours, x0, x1, lo = lo, hi = hi](Canvas& c) {
                    c.line({x0, 1}, {x1, 1}, kBoundary, 1.5f);
                    c.line({yours, lo}, {yours, hi}, IM_COL32(0, 0, 0, 160), 1.5f);
                    c.polyline(curve, kReal, 2.0f);
                });
    ImGui::EndGroup();
    mark_rect("gan.sweep", canvas.plot_min(), canvas.plot_max());
}

void draw_sweep(Canvas& canvas, ImVec2 size, const GanScene& scene) {
    if (scene.params().sweep != "gamma") {
        draw_radius_sweep(canvas, size, scene);
        return;
    }
    constexpr double lo_gamma = GanScene::kSweepLo, hi_gamma = GanScene::kSweepHi;
    const auto& sweep = scene.sweep();
    std::vector<double> ys;
    for (const auto& p : sweep) {
        for (const auto& z : p.eigenvalues) ys.push_back(z.real()), ys.push_back(z.imag());
    }
    const auto [lo, hi] = finite_range(ys);
    canvas.set_home({lo_gamma, lo, hi_gamma, hi}, false);
    canvas.set_axes({"γ"}, {"λ"});
    canvas.set_title("eigenvalues as γ sweeps " + format_g(lo_gamma) + " → " + format_g(hi_gamma));
    canvas.set_legend({{kReal, "Re λ", LegendEntry::Mark::Dot},
                       {kImag, "Im λ", LegendEntry::Mark::Dot},
                       {IM_COL32(0, 0, 0, 160), "your γ"},
                       {kBoundary, "critical damping γ = 2f′(0)"}});
    ImGui::BeginGroup();
    const float x0 = ImGui::GetCursorScreenPos().x;
    ImGui::TextColored(ImVec4(0.12f, 0.35f, 0.78f, 1), "Re λ");
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(0.9f, 0.47f, 0.08f, 1), "Im λ");
    // The rest of the line only where it fits: the x axis says γ anyway.
    const std::string rest = "as γ sweeps " + format_g(lo_gamma) + " → " + format_g(hi_gamma);
    if (fits_on_line(rest.c_str(), x0 + size.x)) {
        ImGui::SameLine();
        ImGui::TextUnformatted(rest.c_str());
    }
    const double gamma = scene.params().run.gamma;
    namespace gm = gan_methods;
    const gm::Params& run = scene.params().run;
    const bool dirac = run.system != gm::System::Bilinear;
    // R1/R2's block has eigenvalues (−γ ± √(γ² − 4f′(0)²))/2: critical at γ = 2f′(0), 1 for
    // the log loss and 2 for WGAN's f(t) = t. Noise, consensus and WGAN-GP's λ move it: no line.
    const bool closed_form = !run.terms.has(gm::Term::Noise) &&
                             !run.terms.has(gm::Term::Consensus) &&
                             !run.terms.has(gm::Term::WganGp);
    const double critical = run.terms.has(gm::Term::Wgan) ? 2.0 : 1.0;
    canvas.draw(ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
                [sweep, gamma, lo = lo, hi = hi, dirac, closed_form, critical](Canvas& c) {
                    c.line({lo_gamma, 0}, {hi_gamma, 0}, IM_COL32(0, 0, 0, 90), 1);
                    if (dirac && closed_form) {
                        c.line({critical, lo}, {critical, hi}, kBoundary, 1.5f);
                        c.label({critical, hi - (hi - lo) * 0.06},
                                "γ = " + format_g(critical) + ": critical", kBoundary);
                    } else if (!dirac) {
                        c.text({1.5, (lo + hi) / 2 + (hi - lo) * 0.25}, "no effect on V = d·g",
                               IM_COL32(0, 0, 0, 200));
                    }
                    c.line({gamma, lo}, {gamma, hi}, IM_COL32(0, 0, 0, 160), 1.5f);
                    for (const auto& p : sweep) {
                        for (const auto& z : p.eigenvalues) {
                            c.point({p.gamma, z.imag()}, kImag, 2.2f);
                            c.point({p.gamma, z.real()}, kReal, 2.2f);
                        }
                    }
                });
    ImGui::EndGroup();
    mark_rect("gan.sweep", canvas.plot_min(), canvas.plot_max());
}

void draw_series(Canvas& canvas, ImVec2 size, const GanScene& scene) {
    const gan::Trajectory& t = scene.run(GanSide::Main);
    const int upto = std::min(scene.shown(), t.steps_run());
    const gan_methods::System system = scene.params().run.system;
    const bool dirac = system == gan_methods::System::Dirac3;
    const int dim = static_cast<int>(t.states.front().size());
    const int stride = std::max(1, upto / kMaxDrawnPoints);
    std::vector<std::vector<Vec2>> lines(dim + 1);
    std::vector<double> ys;
    for (int k = 0; k <= upto; k += stride) {
        const gan::State& s = t.states[k];
        for (int i = 0; i < dim; ++i) lines[i].push_back({double(k), s[i]}), ys.push_back(s[i]);
        lines[dim].push_back({double(k), s.norm()});
        ys.push_back(s.norm());
    }
    const auto [lo, hi] = finite_range(ys);
    canvas.set_home({0, lo, std::max(1.0, double(scene.params().steps)), hi}, false);
    canvas.set_axes({"step"}, {""});
    static const ImU32 colours[4] = {IM_COL32(200, 40, 40, 255), IM_COL32(40, 150, 60, 255),
                                     IM_COL32(40, 80, 200, 255), IM_COL32(0, 0, 0, 255)};
    const char* names_dirac[4] = {"ψ0", "ψ1", "θ", "distance"};
    const char* names_bilinear[3] = {"d", "g", "distance"};
    const char* names_dirac2[3] = {"ψ", "θ", "distance"};
    const char* const* names_2d =
        system == gan_methods::System::Dirac2 ? names_dirac2 : names_bilinear;
    canvas.set_title("the main trajectory against step");
    std::vector<LegendEntry> legend;
    for (int i = 0; i <= dim; ++i)
        legend.emplace_back(colours[i == dim ? 3 : i], dirac ? names_dirac[i] : names_2d[i]);
    canvas.set_legend(std::move(legend));
    ImGui::BeginGroup();
    const float x0 = ImGui::GetCursorScreenPos().x;
    for (int i = 0; i <= dim; ++i) {
        if (i) ImGui::SameLine();
        const ImU32 col = colours[i == dim ? 3 : i];
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(col), "%s",
                           dirac ? names_dirac[i] : names_2d[i]);
    }
    if (fits_on_line("against step", x0 + size.x)) {
        ImGui::SameLine();
        ImGui::TextUnformatted("against step");
    }
    canvas.draw(ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
                [lines, dim](Canvas& c) {
                    for (int i = 0; i <= dim; ++i)
                        c.polyline(lines[i], colours[i == dim ? 3 : i], i == dim ? 2.0f : 1.5f);
                });
    ImGui::EndGroup();
    mark_rect("gan.series", canvas.plot_min(), canvas.plot_max());
}

}  // namespace genlab::gan_view
