// DivScene: the Divergences panel's headless simulation (seed files 002 Q4, 004 §4.3, §4.4).
// It owns the parameters, the exact quantities of the two densities (D* on a grid, the JSD,
// every f-divergence and its bound at T*), the discriminator's training run with snapshots,
// and the estimates from the trained D (JSD ± se, the bound at T = f′(D/(1 − D)), the
// density-ratio estimate, the generator gradients at p0's samples). Play reveals the training
// from step 0 through its snapshots.
//
// Usage:
//   DivScene scene;
//   scene.set_component(1, 0, 0.5, 2.0, 0.6);   // p1's first mode; UserError naming the key
//   scene.set_discriminator(div::DiscKind::Logistic);
//   const div::Discriminator& d = scene.trained();
//   Json numbers = scene.report();
//
// Dirty parts (recomputes() counts each):
//   Exact      D*, JSD, f-divergences and bounds at T*: p0, p1, alpha
//   Training   the run and its snapshots: p0, p1, discriminator, hidden, lr, batch,
//              train_size, decay, seed, steps
//   Estimates  JSD estimate, trained bounds, generator gradients: any of the above, jsd_samples
// f (the explorer's choice) changes nothing but what is drawn.
#pragma once

#include <array>

#include "div_model.hpp"
#include "scene.hpp"

namespace genlab {

class DivScene : public Scene {
  public:
    enum class Part { Exact, Training, Estimates, kCount };
    static constexpr int kGridPoints = 201;
    static constexpr int kSnapshots = 100;        // the run's θ at every steps/100
    static constexpr int kGeneratorSamples = 64;  // p0's samples where the gradients are shown

    DivScene();
    const PanelModel& model() const override { return div_model(); }
    void set_state(const Json& normalized) override;
    Json state() const override { return div_params_to_json(params_); }
    void update() override;
    Json report() override;
    std::string csv() override;

    // [Parameters] which = 0 (p0) or 1 (p1).
    const DivParams& params() const { return params_; }
    void set_component(int which, int k, double weight, double mean, double sd);
    void add_component(int which);     // a unit-weight mode right of the last; up to 8
    void remove_component(int which);  // the last; never the only one
    void set_discriminator(div::DiscKind kind);
    void set_hidden(int hidden);
    void set_lr(double lr);
    void set_batch(int batch);
    void set_train_size(int n);
    void set_decay(double decay);
    void set_seed(int seed);
    void set_steps(int steps);
    void set_jsd_samples(int n);
    void set_f(div::FKind f);
    void set_alpha(double alpha);

    // [Derived] up to date on return.
    struct FRow {
        div::Value value, bound_optimal, bound_trained;
    };
    const div::Curves& curves();
    const div::Value& jsd_exact();
    const std::vector<FRow>& f_rows();  // in div::FKind order
    const div::Training& training();
    const div::Discriminator& trained();  // the last step's
    const div::Discriminator& shown();    // the snapshot at the cursor
    const div::Estimate& jsd_estimate();
    const div::Estimate& jsd_oracle();
    const std::vector<double>& generator_samples();  // sorted
    int recomputes(Part part) const { return counts_[static_cast<size_t>(part)]; }

    // [Time cursor] over the snapshots.
    void set_playing(bool playing) override;
    void step() override;   // stops playing; one snapshot more
    void reset() override;  // stops playing; the last snapshot
    bool tick(double dt, double speed) override;
    int shown_snapshot() const { return shown_; }
    int shown_step() const;
    static constexpr double kSecondsPerRun = 5;

  private:
    template <class Change>
    void edit(Change&& change);
    void commit(const DivParams& next);
    DivParams params_;
    div::Curves curves_;
    div::Value jsd_;
    std::vector<FRow> rows_;
    div::Training run_;
    std::vector<div::Discriminator> snapshots_;
    std::vector<int> snapshot_steps_;
    div::Estimate estimate_{0, 0}, oracle_{0, 0};
    std::vector<double> gen_x_;
    bool exact_dirty_ = true, training_dirty_ = true, estimates_dirty_ = true;
    int shown_ = kSnapshots;
    double carry_ = 0;
    std::array<int, static_cast<size_t>(Part::kCount)> counts_{};
};

}  // namespace genlab
