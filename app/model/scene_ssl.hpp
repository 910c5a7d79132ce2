// SslScene: the SSL-collapse panel's headless simulation (seed 003 Q5). It owns the
// parameters, the problem (X, X′ and the shared start), the four variants' RK4 runs from that
// start, and a fixed point cloud whose representations f = W(t)x the view draws. Play reveals
// the runs from t = 0.
//
// Usage:
//   SslScene scene;
//   scene.set_weight_decay(0.1);             // UserError outside [0, 1]
//   const ssl::Run& run = scene.run(ssl::Variant::Neither);
//   scene.tick(dt, speed);                   // Play: the time cursor moves
//   Json numbers = scene.report();
//
// Dirty parts (recomputes() counts each):
//   Problem  X, X′, W(0), W_p(0) and the point cloud: spectra, n2, seed, w_scale, wp_scale
//   Runs     the four runs: the problem, weight_decay, ema, dt, steps
// The switches and the focus change nothing but what is drawn.
#pragma once

#include <array>

#include "scene.hpp"
#include "ssl_model.hpp"

namespace genlab {

// How a run ends: "collapsed" (‖W‖ below 1 % of its start), "collapsing" (still decaying at
// the end, faster than kCollapseRate and at least 0.8 times as fast as the fifth before: an
// exponential decay to 0, not the slowing approach to a non-zero W), "no collapse", or
// "diverged".
std::string ssl_verdict(const ssl::Run& run);
constexpr double kCollapseRate = 1e-3;
constexpr double kCollapsedRatio = 1e-2;

class SslScene : public Scene {
  public:
    enum class Part { Problem, Runs, kCount };
    static constexpr int kPoints = 120;

    SslScene();
    const PanelModel& model() const override { return ssl_model(); }
    void set_state(const Json& normalized) override;
    Json state() const override { return ssl_params_to_json(params_); }
    void update() override;
    Json report() override;
    std::string csv() override;

    // [Parameters]
    const SslParams& params() const { return params_; }
    void set_x_eig(int i, double v);
    void set_xp_eig(int i, double v);
    void add_input();     // X and X′ eigenvalues 1 and 0.1; up to 8
    void remove_input();  // the last; never the only one
    void set_n2(int n2);
    void set_seed(int seed);
    void set_w_scale(double v);
    void set_wp_scale(double v);
    void set_weight_decay(double v);
    void set_ema(double v);
    void set_dt(double v);
    void set_steps(int steps);
    void set_shown(ssl::Variant v, bool shown);
    void set_focus(ssl::Variant v);

    // [Derived] up to date on return.
    const ssl::Problem& problem();
    const ssl::Run& run(ssl::Variant v);
    const ssl::Mat& points();  // n1 × kPoints, x = X^{1/2} z: the data the representations map
    int recomputes(Part part) const { return counts_[static_cast<size_t>(part)]; }

    // [Time cursor] shown_steps() of each run are drawn; Play starts from 0 and reveals a
    // run in kSecondsPerRun / speed; the rest state shows them all.
    void set_playing(bool playing) override;
    void step() override;   // stops playing; one hundredth of the run more
    void reset() override;  // stops playing; all steps
    bool tick(double dt, double speed) override;
    int shown_steps() const { return std::min(shown_, params_.spec.steps); }
    // The last index of `run`'s states that is shown (a diverged run is shorter).
    int shown_index(const ssl::Run& run) const;
    static constexpr double kSecondsPerRun = 6;

  private:
    template <class Change>
    void edit(Change&& change);  // validates, marks what changed dirty
    void commit(const SslParams& next);
    SslParams params_;
    ssl::Problem problem_;
    ssl::Mat points_;
    std::array<ssl::Run, ssl::kVariants> runs_;
    bool problem_dirty_ = true, runs_dirty_ = true;
    int shown_ = 0;
    double carry_ = 0;
    std::array<int, static_cast<size_t>(Part::kCount)> counts_{};
};

}  // namespace genlab
