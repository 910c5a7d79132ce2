// KlScene: the KL-direction panel's headless simulation. It holds the validated parameters,
// the three live fits of q to p (forward KL(p‖q), reverse KL(q‖p), and an optional third
// objective) with their per-frame budget, the deferred fits of a loaded state, both
// landscapes with their restarts, the 2-D density of p, the closed-form forward optimum, the
// Monte Carlo estimate and the 1-D curves and shading. The view draws these; report() and
// csv() read the same fits.
//
// Usage:
//   KlScene scene;                             // defaults; `KlScene(now)` injects a clock
//   scene.set_state(model.normalize(json));    // fits deferred until first used
//   scene.set_mode_mean(1, mean);              // re-fits live from q's start
//   scene.tick(dt, speed);                     // a frame: a live re-fit within the 8 ms
//                                              // budget, or Play's kPlayStepsPerSecond
//   scene.update_landscapes();                 // the view calls it when no drag is active
//   const kl::Fit& reverse = scene.fit(1);
//
// Dirty parts and what makes them dirty (recomputes(Part) counts each recomputation):
//   Fits        restart from q's start: the target, q's start, the optimizer settings, the
//               family and α (not the shade, the MC sample count or iterations per frame)
//   Landscapes  the grids and restarts: the target, q's start (the box and q's scale) and the
//               optimizer settings the restarts use (not the family, α, shade or MC samples)
//   Density     p on a grid (2-D) and the plot's home box: the target only
//   Table       KL(p‖q), KL(q‖p) at each fit's q: when that q or p moved
//   MonteCarlo  the MC estimate at the reverse fit: that q, p or the sample count
//
// [SECTION] Types
// [SECTION] The scene
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "kl_model.hpp"
#include "scene.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] Types
//-----------------------------------------------------------------------------

struct KlBox {
    double x0 = 0, y0 = 0, x1 = 1, y1 = 1;
    double width() const { return x1 - x0; }
    double height() const { return y1 - y0; }
};

// One landscape over (μ, log σ) in 1-D or (μ1, μ2) in 2-D, ready to draw.
struct KlLandscape {
    KlBox box;
    int n = 0;                  // n × n values, row 0 at the top (the largest y)
    std::vector<float> values;  // log(1 + KL); NaN where not finite
    double max = 1;             // the largest finite value (the colorbar's top)
    std::vector<kl::Fit> restarts;
};

// p on an nx × ny grid over `box` (2-D), row-major, row 0 at the top. The box is the plot's
// view when the view has told the scene (set_density_view): the heatmap fills the canvas
// (it once covered a square in the middle of a wide, equal-aspect plot).
struct KlDensity {
    KlBox box;
    int nx = 0, ny = 0;
    std::vector<float> values;
    double peak = 1;
};

// The 1-D curves at samples + 1 evenly spaced x: p, each active fit's q, and the shaded KL
// integrand (empty when the shade is "none").
struct KlCurves {
    std::vector<double> x, p, shade;
    std::array<std::vector<double>, 3> q;
};

struct KlMonteCarlo {
    double mean = 0, sd = 0;  // over kMcSeeds seeds
    int samples = 0;
};

//-----------------------------------------------------------------------------
// [SECTION] The scene
//-----------------------------------------------------------------------------

class KlScene : public Scene {
  public:
    using Clock = std::function<double()>;  // seconds, monotonic
    static constexpr int kFits = 3;         // forward, reverse, family
    static constexpr int kRestarts = kKlRestarts;
    // Play's rate at speed 1: the default fits (~250 iterations) take about 4 s to watch.
    static constexpr double kPlayStepsPerSecond = 60;
    static constexpr int kDensityGrid = 128;
    static constexpr int kLandscapeGrid = 56;
    static constexpr int kMcSeeds = 20;
    // Fitting's share of a 60 Hz frame; the rest is drawing.
    static constexpr double kFitBudgetSeconds = 0.008;
    // A loaded state's fits get this long at once (then they go on live).
    static constexpr double kPendingBudgetSeconds = 1.0;

    // `now` defaults to std::chrono::steady_clock; tests pass a fake clock.
    explicit KlScene(Clock now = {});

    const PanelModel& model() const override;
    void set_state(const Json& normalized) override;
    Json state() const override;
    // Everything below, landscapes included.
    void update() override;
    // The fits run to their end (each as one run, as kl::fit would), evaluated both ways.
    Json report() override;
    // The optimizer paths of the forward and reverse fits, one row per iteration.
    std::string csv() override;

    // Transport. Play re-fits from q's start when the fits are done; step takes one
    // iteration; reset goes back to q's start and pauses. tick() finishes a loaded state's
    // fits on first use, then spends up to iterations_per_frame iterations on the live fits,
    // stopping once the frame's budget is spent but never below the floor of work.
    void set_playing(bool playing) override;
    bool wants_frames() const override;
    void step() override;
    void reset() override;
    bool tick(double dt, double speed) override;
    // The budget tick() gives the live fits, in seconds (kFitBudgetSeconds by default).
    void set_fit_budget(double seconds) { budget_ = seconds; }
    // The least iterations a frame takes however slow it is: a quarter of the default
    // setting's 200 iterations, scaled by the setting's cost per iteration.
    int work_floor() const;
    // A loaded state's fits are finished on first use (tick or transport), not at load.
    void finish_pending_fits();
    bool fits_pending() const { return fits_pending_; }

    // Parameters.
    const KlParams& params() const { return params_; }
    int dim() const { return params_.dim; }
    const std::string& family() const { return params_.family; }
    const std::string& shade() const { return params_.shade; }

    // Setters. The scalar ones throw UserError naming the key when out of range; the mode
    // and start setters clamp, as their drags and widgets do. Each calls touch().
    void set_dimension(int dim);
    void set_weight(size_t k, double weight);
    void set_mode_mean(size_t k, const kl::Vec& mean);
    void set_mode_std(size_t k, double sd);    // scales the covariance
    void scale_mode(size_t k, double factor);  // ignored when σ would leave its range
    void remove_mode(size_t k);
    void add_mode();  // a copy of the last mode, 2.5 σ to its right
    void set_optimizer(kl::Optimizer optimizer);
    void set_lr(double lr);
    void set_iterations(int iterations);
    void set_tolerance(double tolerance);
    void set_iterations_per_frame(int n);
    void set_q_start_mean(const kl::Vec& mean);
    // A landscape point: (μ, log σ) in 1-D (log σ clamped to ±4), (μ1, μ2) in 2-D.
    void set_q_start_point(double x, double y);
    void set_mean_field(bool mean_field);
    void set_family(const std::string& family);  // none | js | alpha
    void set_alpha(double alpha);
    void set_shade(const std::string& shade);  // none | forward | reverse
    void set_mc_samples(int samples);

    // The live fits.
    bool fit_active(int i) const { return i < 2 || params_.family != "none"; }
    bool fit_done(int i) const;
    bool all_done() const;
    const kl::Fit& fit(int i) const { return fits_[i]; }
    kl::Objective objective(int i) const;
    int frames_fitting() const { return frames_fitting_; }  // ticks that fitted since an edit

    // Derived data, recomputed when dirty on first read.
    std::pair<double, double> kls(int i);  // KL(p‖q), KL(q‖p) at fit i's q
    // Whether kls(i) holds the resolved values: a 2-D fit that is still moving shows the
    // optimizer's cheaper rule (the resolved one costs ~20 ms a value), marked "≈".
    bool kls_resolved(int i) const { return table_[i].resolved; }
    const KlMonteCarlo& monte_carlo();  // at the reverse fit
    const kl::Gaussian& closed_form();  // moment matching
    const KlDensity& density();         // 2-D only
    // The region the 2-D plot shows; the density is computed over it from then on.
    void set_density_view(const KlBox& view);
    // The landscapes and restarts of the forward (0) and reverse (1) fits. The view calls
    // update_landscapes() when no drag is under way, so a drag does not wait for them.
    void update_landscapes();
    bool landscapes_dirty() const { return landscapes_dirty_; }
    const KlLandscape& landscape(int i) const { return land_[i]; }
    // The main plot's home: p and q's start (2-D), or that width and room for p's peaks and
    // a q as narrow as p's narrowest mode (1-D). Moves only when modes are added, removed or
    // loaded, so nothing moves under the pointer while editing.
    const KlBox& home() const { return home_; }
    // Each Gaussian of p and q's start ± 4 standard deviations (y in [0, 1] in 1-D).
    KlBox support_box() const;

    // Pointwise values for curves, handles and hover readouts.
    double p_density(const kl::Vec& x) const;
    double p_density(double x) const;                          // 1-D
    double q_density(int i, double x) const;                   // 1-D, fit i's q
    KlCurves curves(double x0, double x1, int samples) const;  // 1-D

    enum class Part { Fits, Landscapes, Density, Table, MonteCarlo };
    int recomputes(Part part) const { return counts_[static_cast<int>(part)]; }

  private:
    void load(const KlParams& p);
    void replace_within_budget(KlParams next);  // kl_check_work, then params_ = next
    void rebuild_quadrature();
    void restart_fits();
    void advance_fits(int steps);
    void advance_fits_within(int steps, double budget);
    void refit(bool target_changed, bool landscapes = true);
    void finish_fits();  // to the end, for the report
    KlBox home_view() const;
    KlBox landscape_box() const;
    double now() const;
    void count(Part part) { ++counts_[static_cast<int>(part)]; }

    Clock now_;
    double budget_ = kFitBudgetSeconds;
    KlParams params_;
    std::unique_ptr<kl::Quadrature> quad_, coarse_;
    kl::Fit fits_[kFits];
    kl::AdamState adam_[kFits];
    bool fits_pending_ = false;
    int frames_fitting_ = 0;
    bool animating_ = false;  // playing because of Play (slow motion), not a live re-fit
    double play_clock_ = 0;   // fractional steps owed to Play
    int target_version_ = 0;  // bumped whenever p changes

    bool landscapes_dirty_ = true, density_dirty_ = true;
    KlLandscape land_[2];
    KlDensity density_;
    std::optional<KlBox> density_view_;
    KlBox home_;
    std::optional<kl::Gaussian> closed_;
    int closed_version_ = -1;
    struct TableRow {
        kl::Vec theta;
        int target_version = -1;
        double pq = 0, qp = 0;
        bool resolved = false;  // by kl::Rule::Resolved (else the moving fit's Base rule)
    };
    TableRow table_[kFits];
    kl::Vec mc_theta_;
    int mc_target_version_ = -1;
    KlMonteCarlo mc_;
    int counts_[5] = {};
};

}  // namespace genlab
