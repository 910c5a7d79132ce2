// FlowTraining: the flow panel's training run (issue 13), headless. It builds the target and the
// initial stack from flow.train, runs flow::train::Trainer a frame at a time within a time
// budget, and holds what the panel shows of it: the trained stack, the loss curve with its
// running mean, Monte-Carlo KL estimates with their standard errors (of the current and of the
// untrained stack), log Z where it is known, and the target's picture (its density, or a
// histogram of its samples) on the same grid and scale as the model's density.
//
// Usage:
//   FlowTraining t;
//   t.configure(params.train, params.stack, params.target);  // UserError naming the key
//   t.run_frame(/*speed=*/1, /*ms_budget=*/8);                 // Play: a frame's steps
//   const flow::Stack& trained = t.stack();
//   const flow::train::Estimates& e = t.estimates();          // at the current step (cached)
//   const FlowTraining::Image& target = t.target_image(center, extent, 96);
//
// The steps do not depend on how they are split over frames: batch k is drawn from seed
// (flow.train.seed, k), so a state trained for N steps on screen and by --report agree.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <vector>

#include "flow_train_model.hpp"
#include "genlab/flow_train.hpp"

namespace genlab {

class UserExpression;

class FlowTraining {
  public:
    static constexpr int kEstimateSamples = 4096;
    static constexpr int kHistogramData = 8192;

    // A picture on an n×n grid of cell centres over the square region: image row-major, row 0
    // at the top, p per unit area (NaN: undefined).
    struct Image {
        int n = 0;
        flow::Vec2 center{0, 0};
        double extent = 0;
        std::vector<float> image;
        double peak = 1;
        // How p was normalized: "log Z = …" (known), "over the view" (a grid sum: mass outside
        // the view is not counted), or "histogram of N samples".
        std::string normalization;
    };
    struct CurvePoint {
        int step;
        double loss, mean;
    };

    // (Re)builds the run from scratch; throws UserError and keeps the old run on bad input.
    // A points target with fewer than 2 points is accepted but not ready().
    void configure(const FlowTrainParams& t, const flow::Stack& panel, const kl::Mixture& mixture);
    bool configured() const { return configured_; }
    // Whether it can train: false while a points target has fewer than 2 points (why_not()).
    bool ready() const { return trainer_ != nullptr; }
    const std::string& why_not() const { return not_ready_; }
    const FlowTrainParams& params() const { return params_; }

    int run(int n);  // up to n steps, never past flow.train.steps; returns how many ran
    // One frame of Play: round(steps_per_frame × speed) steps (at least 1), stopping early
    // once ms_budget is spent. Returns how many ran.
    int run_frame(double speed, double ms_budget);
    void reset();
    int steps() const { return trainer_ ? trainer_->steps() : 0; }
    bool finished() const { return !trainer_ || steps() >= params_.steps || trainer_->stopped(); }
    std::uint64_t version() const { return version_; }  // moves with every step and reset

    const flow::train::Trainer& trainer() const { return *trainer_; }  // when ready()
    const flow::Stack& stack() const { return trainer_ ? trainer_->stack() : initial_stack_; }
    const flow::train::Target& target() const { return trainer_->target(); }  // when ready()
    std::optional<double> log_z() const {
        return trainer_ ? trainer_->target().log_z() : std::nullopt;
    }
    // The running mean of the loss plus log Z: the live KL(q‖p) of the reverse objective.
    std::optional<double> live_reverse_kl() const;

    const flow::train::Estimates& estimates();          // of the current stack, cached by step
    const flow::train::Estimates& initial_estimates();  // of the untrained stack
    const Image& target_image(const flow::Vec2& center, double extent, int n);
    std::uint64_t target_image_version() const { return image_version_; }  // moves on recompute
    // At most max_points points of (step, loss, running mean), evenly spaced, last one kept.
    std::vector<CurvePoint> curve(int max_points) const;

    // The "train" object of the report: settings, steps run, why it stopped, the decimated
    // curve, the estimates before and after, log Z and the trained layers (flow.layers JSON).
    Json report();
    std::string csv() const;  // step,loss,running_mean

  private:
    FlowTrainParams params_;
    std::shared_ptr<UserExpression> expression_;
    std::unique_ptr<flow::train::Trainer> trainer_;
    flow::Stack initial_stack_;
    bool configured_ = false;
    std::string not_ready_;
    std::uint64_t version_ = 0;
    std::optional<flow::train::Estimates> estimates_, initial_;
    int estimates_step_ = -1;
    Image target_;
    bool target_dirty_ = true;
    std::uint64_t image_version_ = 0;
};

}  // namespace genlab
