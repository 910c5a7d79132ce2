// ViScene: the variational-inference panel's headless simulation (issue 15). It owns the
// parameters and, behind dirty flags, every number the four views draw: the evidence and the
// exact posterior at x, the ELBO and the bounds L_K for K = 1…1000 (exact ± error, Monte Carlo
// mean ± sd), the ELBO and IWAE fits of q, the amortization data set with each point's q_i*
// and a live-trained encoder, the gradient estimators' draws and variances, and the 2-D
// reparameterization.
//
// Usage:
//   ViScene scene;
//   scene.set_x(1.5);                                 // UserError outside [−10, 10]
//   const ViScene::BoundsData& b = scene.bounds();    // the L_K series, recomputed if dirty
//   scene.set_playing(true); scene.tick(dt, speed);   // trains the encoder a frame's steps
//   Json numbers = scene.report();                    // trains the encoder to its budget
//
// Dirty parts (recomputes() counts each); a part is computed when it is read, so a view pays
// only for what it draws:
//   Posterior     log p(x), p(z|x) on a grid: the model (link, a, b, sigma_x, expression), x
//   Bounds        ELBO, KL, the L_K series: the posterior's inputs, q, mc_samples, mc_seeds.
//                 The exact L_K (~20 ms each) and the Fits are then computed by tick() in
//                 frames that follow no edit, within kFrameBudgetMs (at least one K a frame):
//                 a drag stays smooth, and the curve fills in when it pauses.
//   Fits          q* (the exact ELBO's optimum, the best of fits from each mode) and the
//                 IWAE-fit_K fit (from between the main mode and the mean): the model, x, fit_K
//   Data          x_i ~ p(x), log p(x_i); each point's optimum q_i* (data_with_optima(), n
//                 exact-ELBO fits, only for the Amortization view): the model, data_n,
//                 data_seed
//   Amortization  the encoder's q(z|x_i), KL's and the gap: the data, the encoder keys, and
//                 every training step (a new encoder key restarts training from step 0)
//   Estimators    the histograms' draws and the variance-vs-batch series: q, est_* (a
//                 formula f compiled once), and for est_f = elbo the model and x
//   Reparam       samples of μ + S z0 and both log-determinants: rp_*
// view, fit_objective and steps_per_frame recompute nothing; K recomputes the bounds only
// when it is not already on the series. set_state() makes the next tick compute the Bounds
// view's numbers at once (a loaded preset or a --screenshot shows them complete).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "scene.hpp"
#include "vi_model.hpp"

namespace genlab {

class ViScene : public Scene {
  public:
    enum class Part { Posterior, Bounds, Fits, Data, Amortization, Estimators, Reparam, kCount };
    static constexpr int kGridPoints = 400;
    // The L_K curve's K's: 1 … 1000, about 8 per decade, plus vi.K and vi.fit_K.
    static const std::vector<int>& base_series_ks();
    // The batch sizes of the variance-vs-sample-count plot: 1, 2, 4, …, 1024.
    static const std::vector<int>& variance_batches();

    struct PosteriorData {
        vi::Evidence evidence;
        vi::PosteriorGrid grid;  // p(z|x) on [lo, hi]
        double mean = 0, sd = 1;
        double mode = 0;  // the highest grid point
    };
    struct BoundsData {
        double log_px = 0, log_px_error = 0;
        double elbo = 0, kl = 0;  // kl = log p(x) − ELBO
        // KL(q‖p(z|x)) by a Riemann sum of q log(q/p) on its own grid: the identity's other side.
        double kl_grid = 0;
        std::vector<int> ks;
        std::vector<vi::McBound> mc;
        // Exact L_K: filled K by K between frames (done[i]), or all at once by
        // bounds_complete(); NaN until done.
        std::vector<vi::Bound> exact;
        std::vector<bool> done;
        int exact_count = 0;
        bool complete() const { return exact_count == static_cast<int>(ks.size()) && !ks.empty(); }
        bool monotone = true;       // exact L_K nondecreasing within the stated errors (complete)
        int index_of(int k) const;  // ks[index_of(k)] == k, or −1
    };
    struct FitsData {
        vi::Gaussian start, elbo_q, iwae_q;
        int K = 1;
        double elbo_q_elbo = 0, iwae_q_elbo = 0;  // each fit's ELBO (exact)
        double elbo_q_lk = 0, iwae_q_lk = 0;      // each fit's L_{fit_K} (exact)
        double elbo_q_kl = 0, iwae_q_kl = 0;      // KL(q‖p(z|x))
        std::string error;  // non-empty: the fits diverged (the numbers are NaN)
    };
    struct DataSet {
        std::vector<double> xs, log_px;
        std::vector<vi::Gaussian> q_opt;
        std::vector<double> kl_opt;
        // Points where the encoder's q beat the fits from the posterior's modes, which were
        // then polished from it: the mode fits were not the optimum there. 0 makes the gap
        // inequality a test of two independent optimizations, not of this replacement.
        int optimum_improved = 0;
    };
    struct AmortizationData {
        std::vector<vi::Gaussian> q_enc;
        std::vector<double> kl_enc, kl_opt;  // kl_opt: the data set's, possibly improved (below)
        double gap = 0, total_kl_enc = 0, total_kl_opt = 0, total_elbo = 0;
        double min_difference = 0;  // min_i KL_enc − KL_opt (≥ 0: the inequality)
        int steps = 0;
        int optimum_improved = 0;  // DataSet::optimum_improved
    };
    struct EstimatorSeries {
        std::vector<vi::Vec2> draws;  // est_repeats estimates at est_batch (the histograms)
        vi::EstimatorStats stats;
        std::vector<vi::Vec2> variance;     // measured, one per variance_batches() (NaN: n/a)
        std::vector<vi::Vec2> closed_form;  // quadratic f only (else empty)
    };
    struct EstimatorData {
        vi::Vec2 exact = vi::Vec2::Zero();
        EstimatorSeries reparam, score, loo;  // loo: leave-one-out baseline, batch ≥ 2 only
        bool loo_available = false;
    };
    struct ReparamData {
        Eigen::MatrixXd samples;  // n × 2
        vi::Mat2 S, cov;          // S and S Sᵀ
        double log_det_triangular = 0, log_det_lu = 0;
        vi::Vec2 sample_mean = vi::Vec2::Zero();
        vi::Mat2 sample_cov = vi::Mat2::Zero();
    };

    ViScene();
    const PanelModel& model() const override { return vi_model(); }
    void set_state(const Json& normalized) override;
    Json state() const override { return vi_params_to_json(params_); }
    void update() override;
    Json report() override;
    std::string csv() override;

    // [Parameters] Each validates (UserError naming the key) and marks what it changes dirty.
    const ViParams& params() const { return params_; }
    const vi::Model& core_model() const { return model_; }
    void set_view(ViView v);
    void set_link(ViLink l);
    void set_a(double v);
    void set_b(double v);
    void set_sigma_x(double v);
    void set_expression(const std::string& text);  // UserError when it does not parse
    void set_x(double v);
    void set_q(vi::Gaussian q);
    void set_q_mu(double v);
    void set_q_sigma(double v);
    void set_K(int k);
    void set_mc_samples(int n);
    void set_mc_seeds(int n);
    void set_fit_iwae(bool iwae);
    void set_fit_K(int k);
    void apply_fit();  // q ← the fitted q of fit_objective
    void set_data_n(int n);
    void set_data_seed(int s);
    // The data set becomes the drawn points (up to 64): the first click keeps the sampled
    // points (those in [−10, 10]) and adds one.
    void add_data_point(double x);
    void clear_data_points();    // back to x_i ~ p(x)
    void set_x_to_point(int i);  // x ← x_i of the data set
    void set_encoder(vi::EncoderKind kind);
    void set_encoder_hidden(int h);
    void set_encoder_lr(double lr);
    void set_encoder_steps(int n);
    void set_encoder_seed(int s);
    void set_steps_per_frame(int n);
    void set_est_f(ViEstF f);
    void set_est_expression(const std::string& text);  // UserError when it does not parse
    void set_est_alpha(double v);
    void set_est_beta(double v);
    void set_est_gamma(double v);
    void set_est_batch(int n);
    void set_est_repeats(int n);
    void set_est_seed(int s);
    void set_rp_mu(int i, double v);
    void set_rp_s(int i, double v);  // 0: S11, 1: S21, 2: S22
    void set_rp_samples(int n);
    void set_rp_seed(int s);

    // [Derived] up to date on return.
    const PosteriorData& posterior();
    // The ELBO, KL, MC series at once; the exact L_K as far as exact_step() got (a frame's
    // tick() computes them between edits). bounds_complete() computes the rest now.
    const BoundsData& bounds();
    const BoundsData& bounds_complete();
    bool exact_step();  // one more exact L_K; false when all are done
    const FitsData& fits();
    bool fits_ready() const { return !dirty_[static_cast<size_t>(Part::Fits)]; }
    const DataSet& data();              // xs and log p(x_i) (q_opt, kl_opt may be stale)
    const DataSet& data_with_optima();  // and each point's q_i* (n exact-ELBO fits)
    const AmortizationData& amortization();
    const EstimatorData& estimators();
    const ReparamData& reparam();
    const vi::Encoder& encoder();  // the encoder at its current training step
    int encoder_steps_done();
    int recomputes(Part part) const { return counts_[static_cast<size_t>(part)]; }

    // [Transport] Play trains the encoder: steps_per_frame × speed steps a frame (within
    // kFrameBudgetMs), stopping at encoder_steps. Step: steps_per_frame steps. Reset: back to
    // the untrained encoder.
    void set_playing(bool playing) override;
    // Also while the Bounds view has exact L_K's or fits to compute (tick() does them).
    bool wants_frames() const override;
    bool background_pending() const;
    bool background(double ms_budget);  // exact L_K's, then the fits, within the budget
    void step() override;
    void reset() override;
    bool tick(double dt, double speed) override;
    static constexpr double kFrameBudgetMs = 8;
    void train(int steps);  // up to `steps` more, never past encoder_steps

  private:
    Json report_numbers();
    vi::Integrand estimator_integrand() const;
    std::string csv_text();
    template <class Change>
    void edit(Change&& change);
    void commit(const ViParams& next);
    void restart_encoder();
    void count(Part p) { ++counts_[static_cast<size_t>(p)]; }

    ViParams params_;
    vi::Model model_;
    std::shared_ptr<UserExpression> expression_, est_expression_;
    PosteriorData posterior_;
    BoundsData bounds_;
    FitsData fits_;
    DataSet data_;
    AmortizationData amortization_;
    EstimatorData estimators_;
    ReparamData reparam_;
    std::optional<vi::EncoderTrainer> trainer_;
    std::array<bool, static_cast<size_t>(Part::kCount)> dirty_{};
    bool encoder_dirty_ = true;
    std::uint64_t ticked_revision_ = 0;
    bool settle_ = false;
    bool optima_dirty_ = true;  // set_state: the next tick computes the Bounds view's numbers all
    bool model_ready_ = false;  // model_ holds params_'s model (false until the first commit)
    std::array<int, static_cast<size_t>(Part::kCount)> counts_{};
};

}  // namespace genlab
