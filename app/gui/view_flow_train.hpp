// FlowTrainView: the flow panel's Train tab (issue 13). The side panel chooses the target, the
// objective (a target without a density disables reverse KL, and says why), the initial stack
// and Adam's settings, and reads out the step, the loss and the KL estimates; the plots are the
// target (its density, or a histogram of its samples, on the model's colour scale), the model
// (view_flow.cpp's canvas, showing the stack being trained) and the loss curve.
//
// Usage (in FlowView::draw):
//   train_.draw_controls(*scene_);                  // in the side panel
//   train_.draw_summary(*scene_);                   // above the plots
//   train_.draw_target(*scene_, size, model_view, colour);  // left of the model's canvas
//   train_.draw_loss(*scene_, size);                // below both
#pragma once

#include <string>

#include "canvas.hpp"
#include "heatmap.hpp"
#include "scene_flow.hpp"

namespace genlab {

// The model's colour scale, which the target's picture shares.
struct FlowColourScale {
    double vmax = 1;
    bool log_scale = false;
    double log_lo = 0, log_hi = 0;  // log10 p range when log_scale
};

struct FlowTrainView {
    void draw_controls(FlowScene& scene);
    void draw_summary(FlowScene& scene);
    void draw_target(FlowScene& scene, ImVec2 size, const WorldRect& model_view,
                     const FlowColourScale& colour);
    void draw_loss(FlowScene& scene, ImVec2 size);  // with its title and legend
    std::string target_title(FlowScene& scene) const;
    // The target picture's peak p at the model's density region: the shared scale's top.
    double target_peak(FlowScene& scene, const FlowScene::Density& model);

    Canvas target_canvas{"flow.train.target"};
    Canvas loss_canvas{"flow.train.loss"};

  private:
    void draw_target_choice(FlowScene& scene);
    void draw_objective_choice(FlowScene& scene);
    void draw_init_and_adam(FlowScene& scene);
    void draw_readouts(FlowScene& scene);
    void apply(FlowScene& scene, const FlowTrainParams& t);  // errors stay in the panel

    Heatmap target_heatmap_;
    std::uint64_t uploaded_version_ = ~0ull;
    FlowColourScale uploaded_colour_;
    std::string error_;  // the last refused edit, shown until the next accepted one
    char expression_[1024] = "";
    std::string expression_seen_;
};

}  // namespace genlab
