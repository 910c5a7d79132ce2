// KlScene (scene_kl.hpp): the KL panel's parameters, live fits, landscapes and numbers.
//
// [SECTION] Helpers
// [SECTION] State and transport
// [SECTION] Setters
// [SECTION] Live fits and their budget
// [SECTION] Derived data
// [SECTION] Report and CSV
#include "scene_kl.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "errors.hpp"
#include "fields.hpp"
#include "format.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

const KlModel& kl_model() {
    static const KlModel model;
    return model;
}

double steady_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Errors name the JSON key, as loading a file or --set does.
void check(const NumberKey& k, double v) {
    if (!(std::isfinite(v) && v >= k.lo && v <= k.hi)) {
        throw UserError(k.path() + " must be a number in [" + format_number(k.lo) + ", " +
                        format_number(k.hi) + "] (got " + format_number(v) + ")");
    }
}

void check(const IntKey& k, long long v) {
    if (v < k.lo || v > k.hi) {
        throw UserError(k.path() + " must be an integer in [" + std::to_string(k.lo) + ", " +
                        std::to_string(k.hi) + "] (got " + std::to_string(v) + ")");
    }
}

void check_word(const char* key, const std::string& v, const std::vector<std::string>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        throw UserError(std::string("kl.") + key + " must be one of " + join(allowed) + " (got \"" +
                        v + "\")");
    }
}

double clamp_to(const NumberKey& k, double v) {
    return std::isfinite(v) ? std::clamp(v, k.lo, k.hi) : k.def;
}

// p at evenly spaced x in [lo, hi] (samples + 1 points), in one core call.
std::vector<double> density_curve(const kl::Mixture& p, double lo, double hi, int samples) {
    kl::Mat xs(1, samples + 1);
    for (int k = 0; k <= samples; ++k) xs(0, k) = lo + (hi - lo) * k / samples;
    const kl::Vec logp = kl::log_density_many(p, xs);
    std::vector<double> out(samples + 1);
    for (int k = 0; k <= samples; ++k) out[k] = std::exp(logp[k]);
    return out;
}

constexpr int kCurveSamples = 400;  // the home view's look at p's peaks

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] State and transport
//-----------------------------------------------------------------------------

KlScene::KlScene(Clock now) : now_(now ? std::move(now) : Clock(steady_seconds)) {
    set_state(kl_model().defaults());
}

const PanelModel& KlScene::model() const { return kl_model(); }

double KlScene::now() const { return now_(); }

void KlScene::set_state(const Json& normalized) {
    load(kl_params_from_json(normalized));
    playing_ = false;
    touch();
}

void KlScene::load(const KlParams& p) {
    params_ = p;
    rebuild_quadrature();
    restart_fits();
    fits_pending_ = true;  // finished when the panel is first used, not at every load
    landscapes_dirty_ = density_dirty_ = true;
    ++target_version_;
    home_ = home_view();  // fixed while editing, so nothing moves under the pointer
}

Json KlScene::state() const { return kl_params_to_json(params_); }

void KlScene::set_playing(bool playing) {
    finish_pending_fits();
    if (playing && all_done()) restart_fits();
    playing_ = playing;
    animating_ = playing;  // Play is watched: kPlayStepsPerSecond, not a frame's budget
    play_clock_ = 0;
}

bool KlScene::wants_frames() const { return playing_ && !all_done(); }

void KlScene::step() {
    finish_pending_fits();
    playing_ = false;
    if (all_done()) restart_fits();
    advance_fits(1);
}

void KlScene::reset() {
    fits_pending_ = false;
    restart_fits();
    playing_ = false;
}

bool KlScene::tick(double dt, double speed) {
    // After an edit the fits re-fit live, by iterations per frame within the frame's budget;
    // after Play they step at kPlayStepsPerSecond × speed, to be watched.
    const bool was_pending = fits_pending_;
    finish_pending_fits();
    if (!playing_) return was_pending;
    if (animating_) {
        // Slow enough to watch the path grow on the landscapes; the toolbar's speed scales it.
        play_clock_ += dt * speed * kPlayStepsPerSecond;
        const int steps =
            static_cast<int>(std::min<double>(play_clock_, params_.iterations_per_frame));
        play_clock_ = std::min(play_clock_ - steps, 1.0);
        advance_fits(steps);
    } else {
        advance_fits_within(params_.iterations_per_frame, budget_);
    }
    ++frames_fitting_;
    if (all_done()) playing_ = false;
    return true;
}

// A loaded state shows its finished fits at once (within a second; a slower setting goes on
// fitting live), and edits then re-fit live. Done on first use, so starting the app or
// loading a session does not fit panels nobody is looking at.
void KlScene::finish_pending_fits() {
    if (!fits_pending_) return;
    fits_pending_ = false;
    const double started = now();
    while (!all_done() && now() - started < kPendingBudgetSeconds) advance_fits(200);
    playing_ = !all_done();
}

//-----------------------------------------------------------------------------
// [SECTION] Setters
//-----------------------------------------------------------------------------

// A change that adds work: checked against the budget before anything changes.
void KlScene::replace_within_budget(KlParams next) {
    kl_check_work(next);
    params_ = std::move(next);
}

void KlScene::set_dimension(int dim) {
    check(kl_keys::dim, dim);
    Json s = kl_params_to_json(params_);
    s["dim"] = dim;  // the model maps means and widths across dimensions
    set_state(kl_model().normalize(s));
    refit(true);
}

void KlScene::set_weight(size_t k, double weight) {
    if (k >= params_.target.size()) return;
    params_.target[k].weight = clamp_to(kl_keys::target_weight, weight);
    refit(true);
}

void KlScene::set_mode_mean(size_t k, const kl::Vec& mean) {
    if (k >= params_.target.size()) return;
    kl::Component& c = params_.target[k];
    for (int i = 0; i < params_.dim && i < mean.size(); ++i)
        c.mean[i] = clamp_to(kl_keys::target_mean, mean[i]);
    refit(true);
}

void KlScene::set_mode_std(size_t k, double sd) {
    if (k >= params_.target.size()) return;
    scale_mode(k, sd / std::sqrt(params_.target[k].cov(0, 0)));
}

void KlScene::scale_mode(size_t k, double factor) {
    if (k >= params_.target.size() || !std::isfinite(factor) || factor <= 0) return;
    kl::Component& c = params_.target[k];
    for (int i = 0; i < params_.dim; ++i) {
        const double sd = std::sqrt(c.cov(i, i)) * factor;
        if (sd < kl_keys::target_std.lo || sd > kl_keys::target_std.hi) return;
    }
    c.cov *= factor * factor;
    refit(true);
}

void KlScene::remove_mode(size_t k) {
    if (params_.target.size() <= 1 || k >= params_.target.size()) return;
    params_.target.erase(params_.target.begin() + static_cast<std::ptrdiff_t>(k));
    refit(true);
    home_ = home_view();
}

void KlScene::add_mode() {
    if (static_cast<int>(params_.target.size()) >= kKlMaxComponents) return;
    kl::Component c = params_.target.back();
    c.mean[0] = clamp_to(kl_keys::target_mean, c.mean[0] + 2.5 * std::sqrt(c.cov(0, 0)));
    KlParams next = params_;
    next.target.push_back(c);
    replace_within_budget(std::move(next));
    refit(true);
    home_ = home_view();
}

void KlScene::set_optimizer(kl::Optimizer optimizer) {
    params_.options.optimizer = optimizer;
    refit(false);
}

void KlScene::set_lr(double lr) {
    check(kl_keys::lr, lr);
    params_.options.lr = lr;
    refit(false);
}

void KlScene::set_iterations(int iterations) {
    check(kl_keys::iterations, iterations);
    KlParams next = params_;
    next.options.iterations = iterations;
    replace_within_budget(std::move(next));
    refit(false);
}

void KlScene::set_tolerance(double tolerance) {
    check(kl_keys::tolerance, tolerance);
    params_.options.tolerance = tolerance;
    refit(false);
}

void KlScene::set_iterations_per_frame(int n) {
    check(kl_keys::iterations_per_frame, n);
    params_.iterations_per_frame = n;
    touch();
}

void KlScene::set_q_start_mean(const kl::Vec& mean) {
    for (int i = 0; i < params_.dim && i < mean.size(); ++i)
        params_.q_init.mean[i] = clamp_to(kl_keys::q_mean, mean[i]);
    refit(false);
}

void KlScene::set_q_start_point(double x, double y) {
    kl::Vec theta = params_.q_init.params();
    theta[0] = clamp_to(kl_keys::q_mean, x);
    theta[1] = params_.dim == 1 ? std::clamp(y, -4.0, 4.0) : clamp_to(kl_keys::q_mean, y);
    params_.q_init = kl::Gaussian::from_params(theta, params_.dim);
    refit(false);
}

void KlScene::set_mean_field(bool mean_field) {
    params_.options.mean_field = mean_field;
    if (mean_field) {  // start axis-aligned, as the model does
        const kl::Mat c = params_.q_init.cov();
        kl::Vec sd(params_.dim);
        for (int i = 0; i < params_.dim; ++i) sd[i] = std::sqrt(c(i, i));
        params_.q_init = kl::Gaussian::from_std(params_.q_init.mean, sd);
    }
    refit(false);
}

void KlScene::set_family(const std::string& family) {
    check_word("family", family, {"none", "js", "alpha"});
    if (family == params_.family) return;
    KlParams next = params_;
    next.family = family;
    replace_within_budget(std::move(next));
    refit(false, /*landscapes=*/false);
}

void KlScene::set_alpha(double alpha) {
    check(kl_keys::alpha, alpha);
    params_.options.alpha = alpha;
    refit(false, /*landscapes=*/false);  // only the third fit uses α
}

void KlScene::set_shade(const std::string& shade) {
    check_word("shade", shade, {"none", "forward", "reverse"});
    params_.shade = shade;
    touch();
}

void KlScene::set_mc_samples(int samples) {
    check(kl_keys::mc_samples, samples);
    params_.mc_samples = samples;
    touch();
}

//-----------------------------------------------------------------------------
// [SECTION] Live fits and their budget
//-----------------------------------------------------------------------------

kl::Objective KlScene::objective(int i) const {
    if (i == 0) return kl::Objective::Forward;
    if (i == 1) return kl::Objective::Reverse;
    return kl_family_objective(params_.family);
}

bool KlScene::fit_done(int i) const {
    const kl::Fit& f = fits_[i];
    return !fit_active(i) || f.converged || f.diverged ||
           f.iterations >= params_.options.iterations;
}

bool KlScene::all_done() const {
    for (int i = 0; i < kFits; ++i) {
        if (!fit_done(i)) return false;
    }
    return true;
}

void KlScene::rebuild_quadrature() {
    if (quad_ && quad_->dim() == params_.dim) return;
    quad_ = std::make_unique<kl::Quadrature>(params_.dim);
    // Landscapes and restarts evaluate the objective thousands of times: a coarser grid.
    coarse_ = std::make_unique<kl::Quadrature>(
        params_.dim, params_.dim == 1 ? kKlCoarseNodes1D : kKlCoarseNodesPerAxis2D);
}

// Back to q's start. The path starts empty, as kl::fit's does: the first step records the
// start and its value, so a finished live fit and a one-shot fit hold the same path.
void KlScene::restart_fits() {
    for (int i = 0; i < kFits; ++i) {
        fits_[i] = kl::Fit{};
        fits_[i].q = params_.q_init;
        adam_[i] = {};
    }
    count(Part::Fits);
}

void KlScene::advance_fits(int steps) {
    for (int i = 0; i < kFits; ++i) {
        if (fit_done(i)) continue;
        const int left = params_.options.iterations - fits_[i].iterations;
        kl::fit_steps(params_.target, fits_[i], adam_[i], objective(i), params_.options, *quad_,
                      std::min(steps, left));
    }
}

int KlScene::work_floor() const {
    const int fits = fit_active(2) ? 3 : 2;
    // Rough cost of one iteration: nodes × (modes + q) × fits, × dim² for the 2-D covariance
    // algebra at each node.
    const double per_iteration = static_cast<double>(quad_->size()) * (params_.target.size() + 1) *
                                 fits * params_.dim * params_.dim;
    constexpr double kDefaultPerIteration = 2048.0 * 3 * 2;  // 1-D, two modes, two fits
    return static_cast<int>(std::clamp(50 * kDefaultPerIteration / per_iteration, 1.0,
                                       static_cast<double>(params_.iterations_per_frame)));
}

// Up to `steps` iterations, stopping early once `budget` is spent, so a costly setting (2-D,
// many modes, a JS fit) re-fits over several frames instead of freezing the window. The floor
// of work per frame (work_floor) keeps the default re-fitting within a few frames on a slow
// machine too.
void KlScene::advance_fits_within(int steps, double budget) {
    const double started = now();
    const int floor = std::min(work_floor(), steps);
    for (int done = 0; done < steps && !all_done(); ++done) {
        advance_fits(1);
        if (done + 1 >= floor && now() - started > budget) break;
    }
}

// Something the fits depend on changed: re-fit live from q's start. `target_changed` also
// dirties p's density; `landscapes` is false for what only the third fit reads.
void KlScene::refit(bool target_changed, bool landscapes) {
    restart_fits();
    frames_fitting_ = 0;
    playing_ = true;
    animating_ = false;                        // a re-fit after an edit is live, not slow motion
    if (landscapes) landscapes_dirty_ = true;  // restarts start from q's scale
    if (target_changed) density_dirty_ = true, ++target_version_;
    touch();
}

// Every active fit to its end, each unfinished one in a single run: from a fresh start this
// is exactly kl::fit (the same steps, the same rounding).
void KlScene::finish_fits() {
    fits_pending_ = false;
    for (int i = 0; i < kFits; ++i) {
        if (!fit_active(i) || (!fits_[i].path.empty() && fit_done(i))) continue;
        kl::fit_steps(params_.target, fits_[i], adam_[i], objective(i), params_.options, *quad_,
                      std::max(0, params_.options.iterations - fits_[i].iterations));
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Derived data
//-----------------------------------------------------------------------------

void KlScene::update() {
    update_landscapes();
    if (params_.dim == 2) density();
    for (int i = 0; i < kFits; ++i) {
        if (fit_active(i)) kls(i);
    }
    monte_carlo();
    closed_form();
}

// KL(p‖q) and KL(q‖p) at fit i's q: recomputed only when that q or p changed.
std::pair<double, double> KlScene::kls(int i) {
    TableRow& row = table_[i];
    const kl::Vec theta = fits_[i].q.params();
    // While the fit moves (every frame of Play), the 2-D resolved rule would cost tens of ms
    // per value; the optimizer's own rule keeps the frame, and the settled fit is resolved.
    const bool moving = params_.dim == 2 && (playing_ || fits_pending_ || !fit_done(i));
    if (row.theta.size() != theta.size() || row.theta != theta ||
        row.target_version != target_version_ || (!moving && !row.resolved)) {
        const kl::Rule rule = moving ? kl::Rule::Base : kl::Rule::Resolved;
        row.theta = theta;
        row.target_version = target_version_;
        row.pq = kl::kl_pq(params_.target, fits_[i].q, *quad_, rule);
        row.qp = kl::kl_qp(params_.target, fits_[i].q, *quad_, rule);
        row.resolved = !moving;
        count(Part::Table);
    }
    return {row.pq, row.qp};
}

// The reparameterized estimator's spread over kMcSeeds seeds at the reverse fit: recomputed
// only when that fit, p or the sample count changed.
const KlMonteCarlo& KlScene::monte_carlo() {
    const kl::Gaussian& q = fits_[1].q;
    const kl::Vec theta = q.params();
    if (mc_theta_.size() != theta.size() || mc_theta_ != theta ||
        mc_.samples != params_.mc_samples || mc_target_version_ != target_version_) {
        double sum = 0, sum2 = 0;
        for (int s = 1; s <= kMcSeeds; ++s) {
            const double e = kl::kl_qp_monte_carlo(params_.target, q, params_.mc_samples,
                                                   static_cast<unsigned>(s));
            sum += e;
            sum2 += e * e;
        }
        mc_.mean = sum / kMcSeeds;
        mc_.sd = std::sqrt(std::max(0.0, sum2 / kMcSeeds - mc_.mean * mc_.mean));
        mc_.samples = params_.mc_samples;
        mc_theta_ = theta;
        mc_target_version_ = target_version_;
        count(Part::MonteCarlo);
    }
    return mc_;
}

const kl::Gaussian& KlScene::closed_form() {
    if (!closed_ || closed_version_ != target_version_) {
        closed_ = kl::moment_match(params_.target);
        closed_version_ = target_version_;
    }
    return *closed_;
}

const KlDensity& KlScene::density() {
    if (!density_dirty_) return density_;
    const KlBox box = density_view_ ? *density_view_ : support_box();
    // Square cells: kDensityGrid along the longer side.
    const double longer = std::max(box.width(), box.height());
    const int nx = std::max(8, static_cast<int>(std::lround(kDensityGrid * box.width() / longer)));
    const int ny = std::max(8, static_cast<int>(std::lround(kDensityGrid * box.height() / longer)));
    // Row 0 of the image is the top (largest x2).
    kl::Mat xs(2, nx * ny);
    for (int r = 0; r < ny; ++r) {
        for (int col = 0; col < nx; ++col) {
            xs.col(r * nx + col) << box.x0 + (col + 0.5) * box.width() / nx,
                box.y1 - (r + 0.5) * box.height() / ny;
        }
    }
    const kl::Vec logp = kl::log_density_many(params_.target, xs);
    density_.values.assign(static_cast<size_t>(nx) * ny, 0.f);
    double peak = 0;
    for (int i = 0; i < logp.size(); ++i) {
        const double d = std::exp(logp[i]);
        density_.values[i] = static_cast<float>(d);
        peak = std::max(peak, d);
    }
    density_.nx = nx;
    density_.ny = ny;
    density_.peak = peak;
    density_.box = box;
    density_dirty_ = false;
    count(Part::Density);
    return density_;
}

void KlScene::set_density_view(const KlBox& view) {
    if (!(view.width() > 0 && view.height() > 0 && std::isfinite(view.width()) &&
          std::isfinite(view.height())))
        return;
    if (density_view_ && density_view_->x0 == view.x0 && density_view_->x1 == view.x1 &&
        density_view_->y0 == view.y0 && density_view_->y1 == view.y1)
        return;
    density_view_ = view;
    density_dirty_ = true;
}

KlBox KlScene::support_box() const {
    KlBox box{INFINITY, INFINITY, -INFINITY, -INFINITY};
    const auto include = [&](const kl::Vec& m, const kl::Mat& c) {
        for (int i = 0; i < m.size(); ++i) {
            const double s = 4 * std::sqrt(c(i, i));
            (i == 0 ? box.x0 : box.y0) = std::min(i == 0 ? box.x0 : box.y0, m[i] - s);
            (i == 0 ? box.x1 : box.y1) = std::max(i == 0 ? box.x1 : box.y1, m[i] + s);
        }
    };
    for (const kl::Component& c : params_.target) include(c.mean, c.cov);
    include(params_.q_init.mean, params_.q_init.cov());
    if (params_.dim == 1) box.y0 = 0, box.y1 = 1;
    return box;
}

KlBox KlScene::home_view() const {
    const KlBox box = support_box();
    if (params_.dim == 2) return box;
    // Room for p and for a q as narrow as p's narrowest mode (where a reverse fit lands),
    // fixed while fitting so the view does not jump.
    double peak = 0, smallest = INFINITY;
    for (double d : density_curve(params_.target, box.x0, box.x1, kCurveSamples)) {
        peak = std::max(peak, d);
    }
    for (const kl::Component& c : params_.target)
        smallest = std::min(smallest, std::sqrt(c.cov(0, 0)));
    peak = std::max(peak, 1 / (smallest * std::sqrt(2 * M_PI)));
    return {box.x0, -0.04 * peak, box.x1, 1.1 * peak};
}

// Landscape axes: (μ, log σ) in 1-D, (μ1, μ2) in 2-D.
KlBox KlScene::landscape_box() const {
    const KlBox box = support_box();
    if (params_.dim == 2) return box;
    double smallest = INFINITY;
    for (const kl::Component& c : params_.target)
        smallest = std::min(smallest, std::sqrt(c.cov(0, 0)));
    const double lo = std::log(std::max(0.02, 0.3 * smallest));
    const double hi = std::log(std::max(0.6 * box.width(), 2 * smallest));
    return {box.x0, lo, box.x1, hi};
}

void KlScene::update_landscapes() {
    if (!landscapes_dirty_) return;
    const KlBox box = landscape_box();
    const int n = kLandscapeGrid;
    for (int i = 0; i < 2; ++i) {
        KlLandscape& land = land_[i];
        const kl::Landscape grid =
            kl::landscape(params_.target, params_.q_init, objective(i), *coarse_, 0, 1, box.x0,
                          box.x1, box.y0, box.y1, n, n);
        land.values.assign(n * n, 0.f);
        double hi = 0;
        for (int r = 0; r < n; ++r) {
            for (int col = 0; col < n; ++col) {
                // Row 0 of the image is the top: the largest y.
                const double v = grid.values(col, n - 1 - r);
                const double shown = std::isfinite(v) ? std::log1p(std::max(0.0, v)) : NAN;
                land.values[r * n + col] = static_cast<float>(shown);
                if (std::isfinite(shown)) hi = std::max(hi, shown);
            }
        }
        land.n = n;
        land.max = hi;
        land.box = box;
        kl::FitOptions quick = params_.options;
        quick.iterations = std::min(quick.iterations, kKlRestartIterations);
        land.restarts.clear();
        for (const kl::Gaussian& start :
             kl::restart_starts(params_.target, params_.q_init, kRestarts)) {
            land.restarts.push_back(kl::fit(params_.target, start, objective(i), quick, *coarse_));
        }
    }
    landscapes_dirty_ = false;
    count(Part::Landscapes);
}

double KlScene::p_density(const kl::Vec& x) const {
    return std::exp(kl::log_density(params_.target, x));
}

double KlScene::p_density(double x) const {
    kl::Vec v(1);
    v[0] = x;
    return p_density(v);
}

double KlScene::q_density(int i, double x) const {
    kl::Vec v(1);
    v[0] = x;
    return std::exp(kl::log_density(fits_[i].q, v));
}

KlCurves KlScene::curves(double x0, double x1, int samples) const {
    KlCurves out;
    const int shaded = params_.shade == "forward" ? 0 : params_.shade == "reverse" ? 1 : -1;
    out.p = density_curve(params_.target, x0, x1, samples);
    for (int k = 0; k <= samples; ++k) {
        const double x = x0 + (x1 - x0) * k / samples;
        const double p = out.p[k];
        out.x.push_back(x);
        for (int i = 0; i < kFits; ++i) {
            if (fit_active(i)) out.q[i].push_back(q_density(i, x));
        }
        if (shaded >= 0) {
            const double q = q_density(shaded, x);
            const double v = shaded == 0 ? (p > 1e-300 ? p * std::log(p / std::max(q, 1e-300)) : 0)
                                         : (q > 1e-300 ? q * std::log(q / std::max(p, 1e-300)) : 0);
            out.shade.push_back(std::isfinite(v) ? v : 0);
        }
    }
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] Report and CSV
//-----------------------------------------------------------------------------

Json KlScene::report() {
    finish_fits();
    update_landscapes();  // the restarts
    const auto fit_json = [&](int i) {
        const auto [pq, qp] = kls(i);
        return kl_fit_json(fits_[i], pq, qp);
    };
    Json r{{"forward", fit_json(0)},
           {"reverse", fit_json(1)},
           {"forward_closed_form", kl_gaussian_json(closed_form())}};
    if (fit_active(2)) {
        r["family"] = fit_json(2);
        r["family"]["objective"] = params_.family;
    }
    // The readout under the table: reparameterized Monte Carlo of KL(q‖p) at the reverse fit.
    const KlMonteCarlo& mc = monte_carlo();
    r["monte_carlo"] = {{"samples", mc.samples},
                        {"seeds", kMcSeeds},
                        {"mean", finite_or_null(mc.mean)},
                        {"sd", finite_or_null(mc.sd)},
                        {"quadrature", finite_or_null(kls(1).second)}};
    Json restarts;
    for (int i = 0; i < 2; ++i) {
        Json list = Json::array();
        for (const kl::Fit& f : land_[i].restarts) list.push_back(kl_restart_json(f));
        restarts[i == 0 ? "forward" : "reverse"] = list;
    }
    r["restarts"] = restarts;
    return r;
}

std::string KlScene::csv() {
    finish_fits();
    std::ostringstream out;
    out.precision(12);
    out << "objective,iteration,value";
    for (int i = 0; i < kl::param_count(params_.dim); ++i) out << ",theta" << i;
    out << "\n";
    for (int i = 0; i < 2; ++i) {
        const kl::Fit& f = fits_[i];
        for (size_t k = 0; k < f.path.size(); ++k) {
            out << (i == 0 ? "forward" : "reverse") << ',' << k << ','
                << (k < f.values.size() ? f.values[k] : NAN);
            for (int j = 0; j < f.path[k].size(); ++j) out << ',' << f.path[k][j];
            out << '\n';
        }
    }
    return out.str();
}

}  // namespace genlab
