// The variational-inference panel's four views (issue 15), one file each, sharing this header:
//   view_vi_bounds.cpp        p(z|x) and q(z|x) at x; L_K against K with log p(x) and the gap
//   view_vi_amortization.cpp  the data set, the encoder trained live, per-point KLs and the gap
//   view_vi_estimators.cpp    reparameterization vs score-function gradients: histograms and
//                             variance against the batch size
//   view_vi_reparam.cpp       g(z0) = μ + S z0 with S triangular: samples, ellipse, log|det S|
// view_vi.cpp is the PanelView: the view switch, the model's controls and the dispatch.
//
// Usage (in ViView::draw):
//   ViEdits edits;                         // collects a refused edit's message
//   SubView& v = bounds_;                  // the view vi.view names
//   v.draw_controls(*scene_, edits);       // in the side panel
//   v.draw_plots(*scene_, edits, ImGui::GetContentRegionAvail());
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "canvas.hpp"
#include "errors.hpp"
#include "scene_vi.hpp"

namespace genlab::vi_view {

// Colours shared by the views: one meaning each.
inline constexpr ImU32 kPosterior = IM_COL32(30, 30, 40, 255);  // p(z|x), exact
inline constexpr ImU32 kPosteriorFill = IM_COL32(30, 30, 40, 40);
inline constexpr ImU32 kQ = IM_COL32(30, 100, 210, 255);  // q(z|x): yours / encoder
inline constexpr ImU32 kQFill = IM_COL32(30, 100, 210, 45);
inline constexpr ImU32 kElboFit = IM_COL32(20, 140, 60, 255);   // q*: the ELBO optimum
inline constexpr ImU32 kMirror = IM_COL32(20, 140, 60, 110);    // q* mirrored (an even f)
inline constexpr ImU32 kIwaeFit = IM_COL32(150, 60, 170, 255);  // the IWAE-K fit
inline constexpr ImU32 kLogPx = IM_COL32(200, 40, 40, 255);     // log p(x)
inline constexpr ImU32 kGap = IM_COL32(200, 40, 40, 40);        // log p(x) − L_K
inline constexpr ImU32 kMc = IM_COL32(230, 130, 20, 255);       // Monte Carlo
inline constexpr ImU32 kMcBand = IM_COL32(230, 130, 20, 60);
inline constexpr ImU32 kScore = IM_COL32(200, 40, 40, 255);
inline constexpr ImU32 kLoo = IM_COL32(230, 130, 20, 255);
inline constexpr ImU32 kGrid = IM_COL32(0, 0, 0, 60);

// A setter's UserError is shown in the side panel until the next accepted edit.
struct ViEdits {
    std::string error;
    void operator()(const std::function<void()>& edit) {
        try {
            edit();
            error.clear();
        } catch (const UserError& e) {
            error = e.what();
        }
    }
};

// text_wrapped() in a colour.
void coloured_wrapped(const std::string& text, const ImVec4& colour);
// "−1.2345 ± 3e-9": a value and its error bound (format_error rounds the bound up).
std::string with_error(double value, double error, int digits = 6);
// N(z; μ, σ) sampled on [lo, hi].
std::vector<Vec2> gaussian_curve(const vi::Gaussian& q, double lo, double hi, int n = 240);
// Fills between a curve and y = 0 with vertical strips (the canvas has no polygon fill).
void fill_under(Canvas& c, const std::vector<Vec2>& curve, ImU32 color);
// A dashed polyline: every other segment.
void dashed(Canvas& c, const std::vector<Vec2>& pts, ImU32 color, float thickness = 1.8f);

// One of the four views: its side-panel controls, its plots, its canvases (the first is the one
// "Export canvas PNG" writes) and what its marks mean (F1).
class SubView {
  public:
    virtual ~SubView() = default;
    virtual void draw_controls(ViScene& scene, ViEdits& edits) = 0;
    virtual void draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) = 0;
    virtual std::vector<Canvas*> canvases() = 0;
    virtual std::vector<std::string> legend_lines() const = 0;
};

class BoundsView : public SubView {
  public:
    void draw_controls(ViScene& scene, ViEdits& edits) override;
    void draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) override;
    std::vector<Canvas*> canvases() override { return {&bounds_, &density_, &data_}; }
    std::vector<std::string> legend_lines() const override;

  private:
    void draw_density(ViScene& scene, ImVec2 size);
    void draw_data_strip(ViScene& scene, ViEdits& edits, ImVec2 size);
    void draw_bounds(ViScene& scene, ImVec2 size);
    Canvas density_{"vi.density"}, bounds_{"vi.bounds"}, data_{"vi.data"};
};

class AmortizationView : public SubView {
  public:
    void draw_controls(ViScene& scene, ViEdits& edits) override;
    void draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) override;
    std::vector<Canvas*> canvases() override { return {&map_, &kl_}; }
    std::vector<std::string> legend_lines() const override;

  private:
    bool adding_ = false;  // a click on the map adds a data point (else: observes one)
    void draw_map(ViScene& scene, ViEdits& edits, ImVec2 size);
    void draw_kls(ViScene& scene, ImVec2 size);
    Canvas map_{"vi.encoder_map"}, kl_{"vi.kls"};
};

class EstimatorsView : public SubView {
  public:
    void draw_controls(ViScene& scene, ViEdits& edits) override;
    void draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) override;
    std::vector<Canvas*> canvases() override { return {&hist_, &var_}; }
    std::vector<std::string> legend_lines() const override;

  private:
    void draw_histogram(ViScene& scene, ImVec2 size);
    void draw_variance(ViScene& scene, ImVec2 size);
    int component_ = 0;  // 0: ∂/∂μ, 1: ∂/∂σ
    char expression_[1024] = "";
    std::string expression_seen_;
    Canvas hist_{"vi.histogram"}, var_{"vi.variance"};
};

class ReparamView : public SubView {
  public:
    void draw_controls(ViScene& scene, ViEdits& edits) override;
    void draw_plots(ViScene& scene, ViEdits& edits, ImVec2 size) override;
    std::vector<Canvas*> canvases() override { return {&samples_}; }
    std::vector<std::string> legend_lines() const override;

  private:
    Canvas samples_{"vi.reparam"};
};

}  // namespace genlab::vi_view
