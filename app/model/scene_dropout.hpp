// DropoutScene: the dropout-vs-L2 panel's headless simulation (seed 002 Q1). It owns the
// parameters, the data drawn from them, both closed forms and their paths, the checks of the
// expectation identity (exact enumeration, Monte Carlo) and a dropout SGD run that Play
// reveals step by step.
//
// Usage:
//   DropoutScene scene;
//   scene.set_p(0.25);                        // UserError outside (0.01, 1]
//   const DropoutSolutions& s = scene.solutions();   // p·w_dropout, w_L2, Γ, ...
//   scene.tick(dt, speed);                    // Play: more SGD steps shown
//   Json numbers = scene.report();
//
// Dirty parts (recomputes() counts each):
//   Data        X and y: n, scales, w_true, correlation, noise, seed
//   Solutions   Γ, least squares, p·w_dropout, w_L2, the matching λ's: data, p, lambda
//   Paths       p·w_dropout(p) for p from 1 to 0.01 and w_L2(λ) for λ from 0 up: data
//   Expectation E_R[L] at w_dropout three ways: data, p, mc_masks
//   Sgd         the dropout SGD run: data, p, sgd_lr, sgd_steps
#pragma once

#include <array>

#include "dropout_model.hpp"
#include "scene.hpp"

namespace genlab {

struct DropoutSolutions {
    dropout::Vec gamma, least_squares, scaled_dropout, dropout_w, ridge, matching_lambdas, penalty;
    double lambda_dropout = 1;
};

struct DropoutPaths {
    std::vector<double> p;                     // 1 → 0.01
    std::vector<dropout::Vec> scaled_dropout;  // p·w_dropout at each p
    std::vector<double> lambda;                // 0, then growing
    std::vector<dropout::Vec> ridge;           // w_L2 at each λ
};

struct DropoutExpectation {
    double closed_form = 0, exact = 0;  // Q1.1's formula; exact enumeration of masks
    dropout::Estimate monte_carlo;
};

class DropoutScene : public Scene {
  public:
    enum class Part { Data, Solutions, Paths, Expectation, Sgd, kCount };

    DropoutScene();
    const PanelModel& model() const override { return dropout_model(); }
    void set_state(const Json& normalized) override;
    Json state() const override { return dropout_params_to_json(params_); }
    void update() override;
    Json report() override;
    std::string csv() override;

    // [Parameters]
    const DropoutParams& params() const { return params_; }
    int features() const { return params_.features(); }
    void set_p(double p);
    void set_lambda(double lambda);
    void set_scale(int feature, double scale);
    void set_weight(int feature, double w);
    void set_correlation(double c);
    void set_noise(double noise);
    void set_n(int n);
    void set_seed(int seed);
    void set_sgd_lr(double lr);
    void set_sgd_steps(int steps);
    void add_feature();     // scale 1, weight 1; up to 8
    void remove_feature();  // the last; never the only one

    // [Derived] up to date on return.
    const dropout::Data& data();
    const DropoutSolutions& solutions();
    const DropoutPaths& paths();
    const DropoutExpectation& expectation();
    const dropout::SgdRun& sgd();
    int recomputes(Part part) const { return counts_[static_cast<size_t>(part)]; }

    // [SGD walk] shown_steps() of the run are shown; Play starts from 0 and reveals
    // kStepsPerSecond × speed a second; the rest state shows them all.
    void set_playing(bool playing) override;
    void step() override;   // stops playing; kStepsPerStep more
    void reset() override;  // stops playing; all steps
    bool tick(double dt, double speed) override;
    int shown_steps() const { return std::min(shown_, params_.sgd_steps); }
    static constexpr double kStepsPerSecond = 500;
    static constexpr int kStepsPerStep = 50;

  private:
    void commit(const DropoutParams& next);
    template <class Change>
    void edit(Change&& change);  // validates the budget, marks what changed dirty
    DropoutParams params_;
    dropout::Data data_;
    DropoutSolutions solutions_;
    DropoutPaths paths_;
    DropoutExpectation expectation_;
    dropout::SgdRun sgd_;
    bool data_dirty_ = true, solutions_dirty_ = true, paths_dirty_ = true,
         expectation_dirty_ = true, sgd_dirty_ = true;
    int shown_ = 0;
    double carry_ = 0;
    std::array<int, static_cast<size_t>(Part::kCount)> counts_{};
};

}  // namespace genlab
