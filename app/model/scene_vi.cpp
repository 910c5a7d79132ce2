// The variational-inference scene. See scene_vi.hpp.
//
// [SECTION] Helpers
// [SECTION] State and dirty flags
// [SECTION] Derived parts
// [SECTION] Setters
// [SECTION] Transport
// [SECTION] Report and CSV
#include "scene_vi.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "errors.hpp"
#include "expression.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The posterior on a grid over its support, with its mean, sd and highest point.
ViScene::PosteriorData posterior_of(const vi::Model& m, double x) {
    ViScene::PosteriorData p;
    p.evidence = vi::log_evidence(m, x);
    p.grid = vi::posterior_grid(m, x, p.evidence.lo, p.evidence.hi, ViScene::kGridPoints);
    const auto& z = p.grid.z;
    const auto& d = p.grid.density;
    const double dz = z.size() > 1 ? z[1] - z[0] : 1;
    double mass = 0, mean = 0, second = 0;
    size_t top = 0;
    for (size_t i = 0; i < z.size(); ++i) {
        mass += d[i] * dz;
        mean += z[i] * d[i] * dz;
        second += z[i] * z[i] * d[i] * dz;
        if (d[i] > d[top]) top = i;
    }
    p.mean = mean / mass;
    p.sd = std::sqrt(std::max(second / mass - p.mean * p.mean, 1e-18));
    p.mode = z.empty() ? 0 : z[top];
    return p;
}

// A Gaussian start at z0: the posterior's local width 1/√(−∂² log p(x, z)) there.
vi::Gaussian laplace_at(const vi::Model& m, double x, double z0) {
    const double h = 1e-4;
    const double curv =
        (vi::log_joint_slope(m, x, z0 + h) - vi::log_joint_slope(m, x, z0 - h)) / (2 * h);
    const double sigma = curv < 0 ? 1 / std::sqrt(-curv) : 1.0;
    return {z0, std::clamp(sigma, 0.02, 3.0)};
}

// The grid's local maxima, highest first (at most `n`).
std::vector<double> local_maxima(const vi::PosteriorGrid& g, size_t n) {
    std::vector<std::pair<double, double>> peaks;  // (density, z)
    const auto& d = g.density;
    for (size_t i = 0; i < d.size(); ++i) {
        const bool left = i == 0 || d[i] >= d[i - 1];
        const bool right = i + 1 == d.size() || d[i] > d[i + 1];
        if (left && right) peaks.push_back({d[i], g.z[i]});
    }
    std::sort(peaks.begin(), peaks.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<double> out;
    for (size_t i = 0; i < std::min(n, peaks.size()); ++i) out.push_back(peaks[i].second);
    return out;
}

// q* = argmax ELBO: the best of exact-ELBO fits from each of the two highest modes (Laplace
// widths) and from the moment-matched Gaussian, so a two-mode posterior gets its better mode.
vi::Gaussian optimal_q(const vi::Model& m, double x, const ViScene::PosteriorData& p) {
    std::vector<vi::Gaussian> starts = {{p.mean, p.sd}};
    for (double z : local_maxima(p.grid, 2)) starts.push_back(laplace_at(m, x, z));
    vi::Gaussian best = starts.front();
    double best_elbo = -std::numeric_limits<double>::infinity();
    for (const vi::Gaussian& s : starts) {
        const vi::Gaussian q = vi::fit_elbo_exact(m, x, s);
        const double e = vi::elbo(m, x, q);
        if (e > best_elbo) best_elbo = e, best = q;
    }
    return best;
}

// KL(q‖p(z|x)) = ∫ q (log q − log p(x, z) + log p(x)) dz by the trapezoid rule on q's ±10σ:
// a second route to log p(x) − ELBO (Gauss–Hermite), so the identity is checked, not assumed.
double kl_on_grid(const vi::Model& m, double x, const vi::Gaussian& q, double log_px) {
    constexpr int n = 4001;
    const double lo = q.mu - 10 * q.sigma, dz = 20 * q.sigma / (n - 1);
    double sum = 0;
    for (int i = 0; i < n; ++i) {
        const double z = lo + i * dz, u = (z - q.mu) / q.sigma;
        const double log_q = -0.5 * u * u - std::log(q.sigma) - 0.5 * std::log(2 * M_PI);
        const double term = std::exp(log_q) * (log_q - vi::log_joint(m, x, z) + log_px);
        sum += (i == 0 || i == n - 1 ? 0.5 : 1.0) * term;
    }
    return sum * dz;
}

vi::Vec2 mean_of(const std::vector<vi::Vec2>& v) {
    vi::Vec2 s = vi::Vec2::Zero();
    for (const vi::Vec2& g : v) s += g;
    return s / static_cast<double>(v.size());
}

vi::EstimatorStats stats_of(const std::vector<vi::Vec2>& v) {
    vi::EstimatorStats s;
    s.repeats = static_cast<int>(v.size());
    s.mean = mean_of(v);
    for (const vi::Vec2& g : v) s.variance += (g - s.mean).cwiseProduct(g - s.mean);
    s.variance /= std::max(1.0, v.size() - 1.0);
    return s;
}

// Repeats per point of the variance-vs-batch series: ~65k draws, between 64 and 2048 repeats.
int variance_repeats(int batch) { return std::clamp(65536 / batch, 64, 2048); }

Json gaussian_json(const vi::Gaussian& q) {
    return Json{{"mu", finite_or_null(q.mu)}, {"sigma", finite_or_null(q.sigma)}};
}
Json finite_list(const std::vector<double>& v) {
    Json out = Json::array();
    for (double x : v) out.push_back(finite_or_null(x));
    return out;
}

Json vec2_json(const vi::Vec2& v) {
    return Json::array({finite_or_null(v(0)), finite_or_null(v(1))});
}

}  // namespace

const std::vector<int>& ViScene::base_series_ks() {
    static const std::vector<int> ks = {1,  2,  3,   4,   5,   7,   10,  14,  20,  30,
                                        50, 70, 100, 140, 200, 300, 500, 700, 1000};
    return ks;
}

const std::vector<int>& ViScene::variance_batches() {
    static const std::vector<int> b = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
    return b;
}

int ViScene::BoundsData::index_of(int k) const {
    const auto it = std::lower_bound(ks.begin(), ks.end(), k);
    return it != ks.end() && *it == k ? static_cast<int>(it - ks.begin()) : -1;
}

//-----------------------------------------------------------------------------
// [SECTION] State and dirty flags
//-----------------------------------------------------------------------------

ViScene::ViScene() {
    dirty_.fill(true);
    set_state(vi_model().normalize(vi_model().defaults()));
}

void ViScene::commit(const ViParams& next) {
    check_vi_params(next);
    const ViParams& a = params_;
    const bool first = !model_ready_;
    const bool model = first || !a.same_model(next);
    if (first || a.expression != next.expression)  // parsed even while another link is used
        UserExpression check(next.expression, "vi.expression", UserExpression::Variables::Z);
    std::shared_ptr<UserExpression> holder;
    vi::Model m = model ? vi_core_model(next, &holder) : model_;  // throws: nothing changes
    const bool x = model || a.x != next.x;
    if (x) check_vi_evidence(m, next.x);
    const bool q = a.q.mu != next.q.mu || a.q.sigma != next.q.sigma;
    const bool mc = a.mc_samples != next.mc_samples || a.mc_seeds != next.mc_seeds;
    const bool fit_k = a.fit_K != next.fit_K;
    const bool k_off_series = a.K != next.K && bounds_.index_of(next.K) < 0;
    const bool data = model || a.data_n != next.data_n || a.data_seed != next.data_seed ||
                      a.data_points != next.data_points;
    const bool encoder = data || a.encoder != next.encoder ||
                         a.encoder_hidden != next.encoder_hidden ||
                         a.encoder_lr != next.encoder_lr || a.encoder_seed != next.encoder_seed;
    if (first || a.est_expression != next.est_expression)
        est_expression_ = std::make_shared<UserExpression>(next.est_expression, "vi.est_expression",
                                                           UserExpression::Variables::Z);
    const bool est = q || a.est_f != next.est_f || a.est_expression != next.est_expression ||
                     a.est_alpha != next.est_alpha || a.est_beta != next.est_beta ||
                     a.est_gamma != next.est_gamma || a.est_batch != next.est_batch ||
                     a.est_repeats != next.est_repeats || a.est_seed != next.est_seed ||
                     (next.est_f == ViEstF::Elbo && x);
    const bool rp = a.rp_mu != next.rp_mu || a.rp_s != next.rp_s ||
                    a.rp_samples != next.rp_samples || a.rp_seed != next.rp_seed;
    const bool any = first || vi_params_to_json(a) != vi_params_to_json(next);
    if (model) {
        model_ = std::move(m);
        expression_ = holder;
        model_ready_ = true;
    }
    auto mark = [&](Part p, bool on) { dirty_[static_cast<size_t>(p)] |= on; };
    mark(Part::Posterior, x);
    mark(Part::Bounds, x || q || mc || fit_k || k_off_series);
    mark(Part::Fits, x || fit_k);
    mark(Part::Data, data);
    mark(Part::Amortization, encoder);
    mark(Part::Estimators, est);
    mark(Part::Reparam, rp);
    encoder_dirty_ |= encoder;
    const int budget = next.encoder_steps;
    params_ = next;
    if (trainer_ && trainer_->steps_done() > budget) encoder_dirty_ = true;
    if (any) touch();
}

template <class Change>
void ViScene::edit(Change&& change) {
    ViParams next = params_;
    change(next);
    commit(next);
}

void ViScene::set_state(const Json& normalized) {
    commit(vi_params_from_json(normalized));
    playing_ = false;
    settle_ = true;
}

void ViScene::update() {
    posterior();
    bounds_complete();
    fits();
    data_with_optima();
    amortization();
    estimators();
    reparam();
}

//-----------------------------------------------------------------------------
// [SECTION] Derived parts
//-----------------------------------------------------------------------------

const ViScene::PosteriorData& ViScene::posterior() {
    if (dirty_[static_cast<size_t>(Part::Posterior)]) {
        posterior_ = posterior_of(model_, params_.x);
        dirty_[static_cast<size_t>(Part::Posterior)] = false;
        count(Part::Posterior);
    }
    return posterior_;
}

const ViScene::BoundsData& ViScene::bounds() {
    if (dirty_[static_cast<size_t>(Part::Bounds)]) {
        const PosteriorData& p = posterior();
        const vi::Gaussian& q = params_.q;
        const double x = params_.x;
        BoundsData b;
        b.log_px = p.evidence.value;
        b.log_px_error = p.evidence.error;
        b.elbo = vi::elbo(model_, x, q);
        b.kl = b.log_px - b.elbo;
        b.kl_grid = kl_on_grid(model_, x, q, b.log_px);
        b.ks = base_series_ks();
        b.ks.push_back(params_.K);
        b.ks.push_back(params_.fit_K);
        std::sort(b.ks.begin(), b.ks.end());
        b.ks.erase(std::unique(b.ks.begin(), b.ks.end()), b.ks.end());
        const vi::McBudget budget{params_.mc_samples, params_.mc_seeds, 1};
        for (int k : b.ks) b.mc.push_back(vi::iw_bound_mc(model_, x, q, k, budget));
        // The exact values come K by K (exact_step): ~20 ms each, too slow for a drag's frame.
        b.exact.assign(b.ks.size(), vi::Bound{kNaN, kNaN});
        b.done.assign(b.ks.size(), false);
        bounds_ = std::move(b);
        dirty_[static_cast<size_t>(Part::Bounds)] = false;
        count(Part::Bounds);
    }
    return bounds_;
}

bool ViScene::exact_step() {
    BoundsData& b = const_cast<BoundsData&>(bounds());
    // The highlighted K first (its readout), then the series in order.
    int next = b.index_of(params_.K);
    if (next >= 0 && b.done[static_cast<size_t>(next)]) next = -1;
    for (size_t i = 0; next < 0 && i < b.ks.size(); ++i)
        if (!b.done[i]) next = static_cast<int>(i);
    if (next < 0) return false;
    const size_t i = static_cast<size_t>(next);
    b.exact[i] = vi::iw_bound_exact(model_, params_.x, params_.q, b.ks[i]);
    b.done[i] = true;
    ++b.exact_count;
    if (b.complete()) {
        b.monotone = true;
        for (size_t j = 0; j + 1 < b.exact.size(); ++j)
            if (b.exact[j + 1].value < b.exact[j].value - b.exact[j].error - b.exact[j + 1].error)
                b.monotone = false;
    }
    return true;
}

const ViScene::BoundsData& ViScene::bounds_complete() {
    BoundsData& b = const_cast<BoundsData&>(bounds());
    if (b.complete()) return b;
    // All at once: the series shares its weight tables.
    b.exact = vi::iw_bound_exact_series(model_, params_.x, params_.q, b.ks);
    b.done.assign(b.ks.size(), true);
    b.exact_count = static_cast<int>(b.ks.size());
    b.monotone = true;
    for (size_t j = 0; j + 1 < b.exact.size(); ++j)
        if (b.exact[j + 1].value < b.exact[j].value - b.exact[j].error - b.exact[j + 1].error)
            b.monotone = false;
    return b;
}

const ViScene::FitsData& ViScene::fits() {
    if (dirty_[static_cast<size_t>(Part::Fits)]) {
        const PosteriorData& p = posterior();
        const double x = params_.x;
        FitsData f;
        f.K = params_.fit_K;
        // The ELBO's optimum q* (the best of the fits from each mode); the IWAE fit starts
        // between the main mode and the posterior's mean, as wide as half the posterior, so it
        // can widen over several modes (from a narrow start on one mode it stays there).
        try {
            const vi::Gaussian mode = laplace_at(model_, x, p.mode);
            f.start = {0.5 * (p.mode + p.mean), std::max(mode.sigma, 0.5 * p.sd)};
            f.elbo_q = optimal_q(model_, x, p);
            vi::FitOptions o;
            o.k = f.K;
            o.groups = std::clamp(2048 / f.K, 2, 1000);  // ~2048 draws a step: ~40 ms in all
            f.iwae_q = vi::fit(model_, x, f.start, o).q;
            f.elbo_q_elbo = vi::elbo(model_, x, f.elbo_q);
            f.iwae_q_elbo = vi::elbo(model_, x, f.iwae_q);
            f.elbo_q_kl = p.evidence.value - f.elbo_q_elbo;
            f.iwae_q_kl = p.evidence.value - f.iwae_q_elbo;
            f.elbo_q_lk = vi::iw_bound_exact(model_, x, f.elbo_q, f.K).value;
            f.iwae_q_lk = vi::iw_bound_exact(model_, x, f.iwae_q, f.K).value;
        } catch (const std::invalid_argument& e) {
            // A formula whose log p(x, z) overflows along the way (exp(z²)): Adam's q went
            // non-finite. The fits are missing, not the panel.
            f = FitsData{};
            f.K = params_.fit_K;
            f.start = f.elbo_q = f.iwae_q = {kNaN, kNaN};
            f.elbo_q_elbo = f.iwae_q_elbo = f.elbo_q_kl = f.iwae_q_kl = kNaN;
            f.elbo_q_lk = f.iwae_q_lk = kNaN;
            f.error = std::string("the fits diverged (") + e.what() + ")";
        }
        fits_ = f;
        dirty_[static_cast<size_t>(Part::Fits)] = false;
        count(Part::Fits);
    }
    return fits_;
}

const ViScene::DataSet& ViScene::data() {
    if (dirty_[static_cast<size_t>(Part::Data)]) {
        DataSet d;
        d.xs = params_.data_points.empty()
                   ? vi::sample_data(model_, params_.data_n,
                                     static_cast<std::uint64_t>(params_.data_seed))
                   : params_.data_points;
        for (double x : d.xs) d.log_px.push_back(vi::log_evidence(model_, x).value);
        data_ = std::move(d);
        dirty_[static_cast<size_t>(Part::Data)] = false;
        optima_dirty_ = true;
        count(Part::Data);
    }
    return data_;
}

const ViScene::DataSet& ViScene::data_with_optima() {
    data();
    if (optima_dirty_) {
        data_.q_opt.clear();
        data_.kl_opt.clear();
        data_.optimum_improved = 0;
        for (size_t i = 0; i < data_.xs.size(); ++i) {
            const double x = data_.xs[i];
            try {
                const PosteriorData p = posterior_of(model_, x);
                data_.q_opt.push_back(optimal_q(model_, x, p));
                data_.kl_opt.push_back(data_.log_px[i] - vi::elbo(model_, x, data_.q_opt.back()));
            } catch (const std::invalid_argument&) {
                // The fit diverged (a formula that overflows): this point has no q_i*.
                data_.q_opt.resize(i + 1, vi::Gaussian{kNaN, kNaN});
                data_.kl_opt.resize(i + 1, kNaN);
            }
        }
        optima_dirty_ = false;
    }
    return data_;
}

void ViScene::restart_encoder() {
    const vi::Encoder start = as_user_error([&] {
        return vi::make_encoder(params_.encoder, params_.encoder_hidden,
                                static_cast<std::uint64_t>(params_.encoder_seed));
    });
    trainer_.emplace(start, params_.encoder_lr);
    encoder_dirty_ = false;
    dirty_[static_cast<size_t>(Part::Amortization)] = true;
}

const vi::Encoder& ViScene::encoder() {
    if (encoder_dirty_ || !trainer_) restart_encoder();
    return trainer_->encoder();
}

int ViScene::encoder_steps_done() {
    encoder();
    return trainer_->steps_done();
}

const ViScene::AmortizationData& ViScene::amortization() {
    const vi::Encoder& e = encoder();
    if (dirty_[static_cast<size_t>(Part::Amortization)]) {
        DataSet& d = const_cast<DataSet&>(data_with_optima());
        AmortizationData a;
        a.steps = trainer_->steps_done();
        a.min_difference = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < d.xs.size(); ++i) {
            const double x = d.xs[i];
            const vi::Gaussian q = vi::encode(e, x);
            const double elbo = vi::elbo(model_, x, q);
            double kl = d.log_px[i] - elbo;
            if (kl < d.kl_opt[i] && std::isfinite(kl)) {
                if (kl < d.kl_opt[i] - 1e-9) ++d.optimum_improved;
                // The encoder found a better q than the fits from the modes: q_i* is the
                // optimum, so polish from there and keep it (the data set's cache improves).
                try {
                    const vi::Gaussian better = vi::fit_elbo_exact(model_, x, q);
                    const double kb = d.log_px[i] - vi::elbo(model_, x, better);
                    if (kb < d.kl_opt[i]) d.q_opt[i] = better, d.kl_opt[i] = kb;
                } catch (const std::invalid_argument&) {
                    // The polish diverged: q_i* stays the better of what was found.
                }
            }
            a.q_enc.push_back(q);
            a.kl_enc.push_back(kl);
            a.kl_opt.push_back(d.kl_opt[i]);
            a.total_elbo += elbo;
            a.total_kl_enc += kl;
            a.total_kl_opt += d.kl_opt[i];
            a.min_difference = std::min(a.min_difference, kl - d.kl_opt[i]);
        }
        a.gap = a.total_kl_enc - a.total_kl_opt;
        a.optimum_improved = d.optimum_improved;
        amortization_ = std::move(a);
        dirty_[static_cast<size_t>(Part::Amortization)] = false;
        count(Part::Amortization);
    }
    return amortization_;
}

vi::Integrand ViScene::estimator_integrand() const {
    const ViParams& p = params_;
    if (p.est_f == ViEstF::Elbo) return vi::log_joint_integrand(model_, p.x);
    if (p.est_f == ViEstF::Quadratic) return vi::quadratic(p.est_alpha, p.est_beta, p.est_gamma);
    // A formula: f'(z) by a central difference (the reparameterization estimator needs it).
    std::shared_ptr<UserExpression> e = est_expression_;
    return {[e](double z) { return (*e)(z); },
            [e](double z) {
                const double h = 1e-5 * (1 + std::abs(z));
                return ((*e)(z + h) - (*e)(z - h)) / (2 * h);
            }};
}

const ViScene::EstimatorData& ViScene::estimators() {
    if (dirty_[static_cast<size_t>(Part::Estimators)]) {
        const ViParams& p = params_;
        const vi::Integrand f = estimator_integrand();
        const std::uint64_t seed = static_cast<std::uint64_t>(p.est_seed);
        EstimatorData e;
        e.exact = vi::exact_gradient(f, p.q);
        e.loo_available = p.est_batch >= 2;
        struct Which {
            vi::Estimator est;
            EstimatorSeries* out;
        };
        for (const Which& w :
             {Which{vi::Estimator::Reparam, &e.reparam}, Which{vi::Estimator::Score, &e.score},
              Which{vi::Estimator::ScoreLeaveOneOut, &e.loo}}) {
            const bool loo = w.est == vi::Estimator::ScoreLeaveOneOut;
            if (!loo || e.loo_available) {
                w.out->draws = vi::estimator_draws(f, p.q, w.est, p.est_batch, p.est_repeats, seed);
                w.out->stats = stats_of(w.out->draws);
            }
            for (int batch : variance_batches()) {
                if (loo && batch < 2) {
                    w.out->variance.push_back(vi::Vec2(kNaN, kNaN));
                    continue;
                }
                w.out->variance.push_back(
                    vi::estimator_stats(f, p.q, w.est, batch, variance_repeats(batch),
                                        seed + static_cast<std::uint64_t>(batch))
                        .variance);
                if (p.est_f == ViEstF::Quadratic && !loo)
                    w.out->closed_form.push_back(vi::quadratic_variance(
                        p.est_alpha, p.est_beta, p.est_gamma, p.q, w.est, batch));
            }
        }
        estimators_ = std::move(e);
        dirty_[static_cast<size_t>(Part::Estimators)] = false;
        count(Part::Estimators);
    }
    return estimators_;
}

const ViScene::ReparamData& ViScene::reparam() {
    if (dirty_[static_cast<size_t>(Part::Reparam)]) {
        ReparamData r;
        r.S = vi_reparam_matrix(params_);
        r.cov = r.S * r.S.transpose();
        const vi::Vec2 mu(params_.rp_mu[0], params_.rp_mu[1]);
        r.samples = vi::reparam_samples(mu, r.S, params_.rp_samples,
                                        static_cast<std::uint64_t>(params_.rp_seed));
        r.log_det_triangular = vi::log_abs_det_triangular(r.S);
        r.log_det_lu = vi::log_abs_det_lu(r.S);
        r.sample_mean = r.samples.colwise().mean().transpose();
        const Eigen::MatrixXd c = r.samples.rowwise() - r.sample_mean.transpose();
        r.sample_cov = c.transpose() * c / std::max(1.0, r.samples.rows() - 1.0);
        reparam_ = std::move(r);
        dirty_[static_cast<size_t>(Part::Reparam)] = false;
        count(Part::Reparam);
    }
    return reparam_;
}

//-----------------------------------------------------------------------------
// [SECTION] Setters: edit a copy, commit it in one place.
//-----------------------------------------------------------------------------

void ViScene::set_view(ViView v) {
    edit([&](ViParams& n) { n.view = v; });
}
void ViScene::set_link(ViLink l) {
    edit([&](ViParams& n) { n.link = l; });
}
void ViScene::set_a(double v) {
    check_range(vi_keys::a, v);
    edit([&](ViParams& n) { n.a = v; });
}
void ViScene::set_b(double v) {
    check_range(vi_keys::b, v);
    edit([&](ViParams& n) { n.b = v; });
}
void ViScene::set_sigma_x(double v) {
    check_range(vi_keys::sigma_x, v);
    edit([&](ViParams& n) { n.sigma_x = v; });
}
void ViScene::set_expression(const std::string& text) {
    edit([&](ViParams& n) { n.expression = text; });
}
void ViScene::set_x(double v) {
    check_range(vi_keys::x, v);
    edit([&](ViParams& n) { n.x = v; });
}
void ViScene::set_q(vi::Gaussian q) {
    check_range(vi_keys::q_mu, q.mu);
    check_range(vi_keys::q_sigma, q.sigma);
    edit([&](ViParams& n) { n.q = q; });
}
void ViScene::set_q_mu(double v) { set_q({v, params_.q.sigma}); }
void ViScene::set_q_sigma(double v) { set_q({params_.q.mu, v}); }
void ViScene::set_K(int k) {
    check_range(vi_keys::K, k);
    edit([&](ViParams& n) { n.K = k; });
}
void ViScene::set_mc_samples(int v) {
    check_range(vi_keys::mc_samples, v);
    edit([&](ViParams& n) { n.mc_samples = v; });
}
void ViScene::set_mc_seeds(int v) {
    check_range(vi_keys::mc_seeds, v);
    edit([&](ViParams& n) { n.mc_seeds = v; });
}
void ViScene::set_fit_iwae(bool iwae) {
    edit([&](ViParams& n) { n.fit_iwae = iwae; });
}
void ViScene::set_fit_K(int k) {
    check_range(vi_keys::fit_K, k);
    edit([&](ViParams& n) { n.fit_K = k; });
}
void ViScene::apply_fit() {
    const FitsData& f = fits();
    if (!f.error.empty()) throw UserError("vi: " + f.error + "; there is no fitted q to apply");
    vi::Gaussian q = params_.fit_iwae ? f.iwae_q : f.elbo_q;
    q.mu = std::clamp(q.mu, vi_keys::q_mu.lo, vi_keys::q_mu.hi);
    q.sigma = std::clamp(q.sigma, vi_keys::q_sigma.lo, vi_keys::q_sigma.hi);
    set_q(q);
}
void ViScene::set_data_n(int v) {
    check_range(vi_keys::data_n, v);
    edit([&](ViParams& n) { n.data_n = v; });
}
void ViScene::add_data_point(double x) {
    check_range(vi_keys::data_point, x);
    if (static_cast<int>(params_.data_points.size()) >= vi_keys::kMaxDataPoints)
        throw UserError("vi.data_points holds at most 64 points; clear them to start again");
    // The first drawn point joins the sampled set: drawing adds to what is on screen.
    std::vector<double> start = params_.data_points;
    if (start.empty())
        for (double xi : data().xs)
            if (xi >= vi_keys::data_point.lo && xi <= vi_keys::data_point.hi &&
                static_cast<int>(start.size()) < vi_keys::kMaxDataPoints - 1)
                start.push_back(xi);
    edit([&](ViParams& n) {
        n.data_points = start;
        n.data_points.push_back(x);
    });
}
void ViScene::clear_data_points() {
    edit([&](ViParams& n) { n.data_points.clear(); });
}
void ViScene::set_data_seed(int v) {
    check_range(vi_keys::data_seed, v);
    edit([&](ViParams& n) { n.data_seed = v; });
}
void ViScene::set_x_to_point(int i) {
    const DataSet& d = data();
    if (i < 0 || i >= static_cast<int>(d.xs.size())) return;
    set_x(std::clamp(d.xs[static_cast<size_t>(i)], vi_keys::x.lo, vi_keys::x.hi));
}
void ViScene::set_encoder(vi::EncoderKind kind) {
    edit([&](ViParams& n) { n.encoder = kind; });
}
void ViScene::set_encoder_hidden(int v) {
    check_range(vi_keys::encoder_hidden, v);
    edit([&](ViParams& n) { n.encoder_hidden = v; });
}
void ViScene::set_encoder_lr(double v) {
    check_range(vi_keys::encoder_lr, v);
    edit([&](ViParams& n) { n.encoder_lr = v; });
}
void ViScene::set_encoder_steps(int v) {
    check_range(vi_keys::encoder_steps, v);
    edit([&](ViParams& n) { n.encoder_steps = v; });
}
void ViScene::set_encoder_seed(int v) {
    check_range(vi_keys::encoder_seed, v);
    edit([&](ViParams& n) { n.encoder_seed = v; });
}
void ViScene::set_steps_per_frame(int v) {
    check_range(vi_keys::steps_per_frame, v);
    edit([&](ViParams& n) { n.steps_per_frame = v; });
}
void ViScene::set_est_f(ViEstF f) {
    edit([&](ViParams& n) { n.est_f = f; });
}
void ViScene::set_est_expression(const std::string& text) {
    edit([&](ViParams& n) { n.est_expression = text; });
}
void ViScene::set_est_alpha(double v) {
    check_range(vi_keys::est_alpha, v);
    edit([&](ViParams& n) { n.est_alpha = v; });
}
void ViScene::set_est_beta(double v) {
    check_range(vi_keys::est_beta, v);
    edit([&](ViParams& n) { n.est_beta = v; });
}
void ViScene::set_est_gamma(double v) {
    check_range(vi_keys::est_gamma, v);
    edit([&](ViParams& n) { n.est_gamma = v; });
}
void ViScene::set_est_batch(int v) {
    check_range(vi_keys::est_batch, v);
    edit([&](ViParams& n) { n.est_batch = v; });
}
void ViScene::set_est_repeats(int v) {
    check_range(vi_keys::est_repeats, v);
    edit([&](ViParams& n) { n.est_repeats = v; });
}
void ViScene::set_est_seed(int v) {
    check_range(vi_keys::est_seed, v);
    edit([&](ViParams& n) { n.est_seed = v; });
}
void ViScene::set_rp_mu(int i, double v) {
    check_range(vi_keys::rp_mu, v);
    edit([&](ViParams& n) { n.rp_mu.at(static_cast<size_t>(i)) = v; });
}
void ViScene::set_rp_s(int i, double v) {
    check_range(vi_keys::rp_s, v);
    edit([&](ViParams& n) { n.rp_s.at(static_cast<size_t>(i)) = v; });  // a zero diagonal: refused
}
void ViScene::set_rp_samples(int v) {
    check_range(vi_keys::rp_samples, v);
    edit([&](ViParams& n) { n.rp_samples = v; });
}
void ViScene::set_rp_seed(int v) {
    check_range(vi_keys::rp_seed, v);
    edit([&](ViParams& n) { n.rp_seed = v; });
}

//-----------------------------------------------------------------------------
// [SECTION] Transport: Play trains the encoder.
//-----------------------------------------------------------------------------

void ViScene::train(int steps) {
    encoder();
    const int n = std::min(steps, params_.encoder_steps - trainer_->steps_done());
    if (n <= 0) return;
    try {
        trainer_->run(model_, data().xs, n);
    } catch (const std::invalid_argument& e) {
        playing_ = false;
        restart_encoder();
        throw UserError(std::string("vi: the encoder diverged (") + e.what() +
                        "); lower vi.encoder_lr or change vi.expression");
    }
    dirty_[static_cast<size_t>(Part::Amortization)] = true;
}

void ViScene::set_playing(bool playing) {
    if (playing && encoder_steps_done() >= params_.encoder_steps) restart_encoder();
    playing_ = playing;
}

void ViScene::step() {
    playing_ = false;
    if (encoder_steps_done() >= params_.encoder_steps) restart_encoder();
    train(params_.steps_per_frame);
}

void ViScene::reset() {
    playing_ = false;
    restart_encoder();
}

bool ViScene::wants_frames() const {
    return playing_ || (params_.view == ViView::Bounds && background_pending());
}

bool ViScene::background_pending() const {
    return dirty_[static_cast<size_t>(Part::Bounds)] || !bounds_.complete() ||
           dirty_[static_cast<size_t>(Part::Fits)];
}

bool ViScene::background(double ms_budget) {
    const auto start = std::chrono::steady_clock::now();
    const auto elapsed = [&] {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    };
    bool worked = false;
    while (elapsed() < ms_budget && exact_step()) worked = true;
    if (bounds_.complete() && dirty_[static_cast<size_t>(Part::Fits)] && elapsed() < ms_budget) {
        fits();
        worked = true;
    }
    return worked;
}

bool ViScene::tick(double /*dt*/, double speed) {
    // The Bounds view's slow numbers (exact L_K, the fits) are computed between edits: not in
    // a frame that follows an edit (a drag), so the drag stays smooth and they fill in after.
    const bool edited = revision() != ticked_revision_;
    ticked_revision_ = revision();
    bool changed = false;
    if (settle_ && params_.view == ViView::Bounds) {
        // A loaded state (a preset, --screenshot) shows its numbers complete from frame one.
        bounds_complete();
        fits();
        changed = true;
    } else if (params_.view == ViView::Bounds && !edited) {
        changed = background(kFrameBudgetMs);
    }
    settle_ = false;
    if (!playing_) return changed;
    const int want = std::max(1, static_cast<int>(std::lround(params_.steps_per_frame * speed)));
    const auto start = std::chrono::steady_clock::now();
    int done = 0;
    while (done < want && encoder_steps_done() < params_.encoder_steps) {
        train(1);
        ++done;
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (ms > kFrameBudgetMs) break;
    }
    if (encoder_steps_done() >= params_.encoder_steps) playing_ = false;
    return changed || done > 0;
}

//-----------------------------------------------------------------------------
// [SECTION] Report and CSV
//-----------------------------------------------------------------------------

Json ViScene::report() {
    // A formula can pass every check on load and still fail on the way (NaN in a fit, a data
    // point without evidence): its core message names the key, so it is the user's error.
    return as_user_error([&] { return report_numbers(); });
}

Json ViScene::report_numbers() {
    train(params_.encoder_steps);  // --report trains the whole budget, as Play would
    update();
    const ViParams& p = params_;
    const BoundsData& b = bounds_;
    const int ki = b.index_of(p.K);
    Json series{{"K", b.ks}};
    Json exact = Json::array(), error = Json::array(), mc_mean = Json::array(),
         mc_sd = Json::array(), delta = Json::array();
    for (size_t i = 0; i < b.ks.size(); ++i) {
        exact.push_back(finite_or_null(b.exact[i].value));
        error.push_back(finite_or_null(b.exact[i].error));
        mc_mean.push_back(finite_or_null(b.mc[i].mean));
        mc_sd.push_back(finite_or_null(b.mc[i].sd));
        delta.push_back(finite_or_null(vi::iw_bound_delta(model_, p.x, p.q, b.ks[i])));
    }
    series["exact"] = exact;
    series["error"] = error;
    series["mc_mean"] = mc_mean;
    series["mc_sd"] = mc_sd;
    series["delta"] = delta;
    const size_t k = static_cast<size_t>(ki);

    const FitsData& f = fits_;
    const AmortizationData& a = amortization_;
    Json q_enc = Json::array(), q_opt = Json::array();
    for (size_t i = 0; i < a.q_enc.size(); ++i) {
        q_enc.push_back(gaussian_json(a.q_enc[i]));
        q_opt.push_back(gaussian_json(data_.q_opt[i]));
    }
    const EstimatorData& e = estimators_;
    auto est_json = [&](const EstimatorSeries& s, bool available) {
        if (!available) return Json(nullptr);
        Json v = Json::array(), c = Json::array();
        for (const vi::Vec2& x : s.variance) v.push_back(vec2_json(x));
        for (const vi::Vec2& x : s.closed_form) c.push_back(vec2_json(x));
        return Json{{"mean", vec2_json(s.stats.mean)},
                    {"variance", vec2_json(s.stats.variance)},
                    {"variance_vs_batch", v},
                    {"closed_form_vs_batch", s.closed_form.empty() ? Json(nullptr) : c}};
    };
    const ReparamData& r = reparam_;
    return Json{{"x", p.x},
                {"link", to_string(p.link)},
                {"log_px", {{"value", b.log_px}, {"error", b.log_px_error}}},
                {"posterior",
                 {{"mean", posterior_.mean}, {"sd", posterior_.sd}, {"mode", posterior_.mode}}},
                {"q", gaussian_json(p.q)},
                {"elbo", b.elbo},
                {"kl", b.kl},
                {"identity",
                 {{"kl_grid", b.kl_grid},
                  {"log_px_minus_elbo", b.kl},
                  {"difference", std::abs(b.kl_grid - b.kl)}}},
                {"K", p.K},
                {"L_K",
                 {{"exact", b.exact[k].value},
                  {"error", b.exact[k].error},
                  {"mc_mean", b.mc[k].mean},
                  {"mc_sd", b.mc[k].sd},
                  {"gap", b.log_px - b.exact[k].value}}},
                {"series", series},
                {"monotone", b.monotone},
                {"mc", {{"samples", p.mc_samples}, {"seeds", p.mc_seeds}}},
                {"fits",
                 {{"objective", p.fit_iwae ? "iwae" : "elbo"},
                  {"K", f.K},
                  {"error", f.error.empty() ? Json(nullptr) : Json(f.error)},
                  {"start", gaussian_json(f.start)},
                  {"elbo",
                   {{"q", gaussian_json(f.elbo_q)},
                    {"elbo", finite_or_null(f.elbo_q_elbo)},
                    {"kl", finite_or_null(f.elbo_q_kl)},
                    {"L_fit_K", finite_or_null(f.elbo_q_lk)}}},
                  {"iwae",
                   {{"q", gaussian_json(f.iwae_q)},
                    {"elbo", finite_or_null(f.iwae_q_elbo)},
                    {"kl", finite_or_null(f.iwae_q_kl)},
                    {"L_fit_K", finite_or_null(f.iwae_q_lk)}}}}},
                {"amortization",
                 {{"n", data_.xs.size()},
                  {"xs", finite_list(data_.xs)},
                  {"log_px", finite_list(data_.log_px)},
                  {"encoder", p.encoder == vi::EncoderKind::Mlp ? "mlp" : "linear"},
                  {"steps", a.steps},
                  {"total_elbo", finite_or_null(a.total_elbo)},
                  {"kl_encoder", finite_list(a.kl_enc)},
                  {"kl_optimal", finite_list(a.kl_opt)},
                  {"q_encoder", q_enc},
                  {"q_optimal", q_opt},
                  {"total_kl_encoder", finite_or_null(a.total_kl_enc)},
                  {"total_kl_optimal", finite_or_null(a.total_kl_opt)},
                  {"gap", finite_or_null(a.gap)},
                  {"min_difference", finite_or_null(a.min_difference)},
                  {"optimum_improved", a.optimum_improved}}},
                {"estimators",
                 {{"f", to_string(p.est_f)},
                  {"batch", p.est_batch},
                  {"repeats", p.est_repeats},
                  {"exact", vec2_json(e.exact)},
                  {"batches", variance_batches()},
                  {"reparam", est_json(e.reparam, true)},
                  {"score", est_json(e.score, true)},
                  {"score_loo", est_json(e.loo, e.loo_available)}}},
                {"reparam",
                 {{"mu", p.rp_mu},
                  {"S", matrix_json(r.S)},
                  {"cov", matrix_json(r.cov)},
                  {"sample_mean", vec2_json(r.sample_mean)},
                  {"sample_cov", matrix_json(r.sample_cov)},
                  {"log_det_triangular", r.log_det_triangular},
                  {"log_det_lu", r.log_det_lu}}}};
}

std::string ViScene::csv() {
    return as_user_error([&] { return csv_text(); });
}

std::string ViScene::csv_text() {
    train(params_.encoder_steps);
    update();
    std::ostringstream out;
    out.precision(17);
    // Three tables in one file, told apart by the first column; the others stay empty.
    out << "series,K,exact,error,mc_mean,mc_sd,delta,i,x_i,kl_encoder,kl_optimal,batch,"
           "var_reparam_mu,var_reparam_sigma,var_score_mu,var_score_sigma,var_loo_mu,"
           "var_loo_sigma\n";
    const BoundsData& b = bounds_;
    for (size_t i = 0; i < b.ks.size(); ++i)
        out << "L_K," << b.ks[i] << ',' << b.exact[i].value << ',' << b.exact[i].error << ','
            << b.mc[i].mean << ',' << b.mc[i].sd << ','
            << vi::iw_bound_delta(model_, params_.x, params_.q, b.ks[i]) << ",,,,,,,,,,,\n";
    const AmortizationData& a = amortization_;
    for (size_t i = 0; i < a.kl_enc.size(); ++i)
        out << "amortization,,,,,,," << i << ',' << data_.xs[i] << ',' << a.kl_enc[i] << ','
            << a.kl_opt[i] << ",,,,,,,\n";
    const EstimatorData& e = estimators_;
    for (size_t i = 0; i < variance_batches().size(); ++i) {
        out << "variance,,,,,,,,,,," << variance_batches()[i];
        for (const EstimatorSeries* s : {&e.reparam, &e.score, &e.loo}) {
            for (int j = 0; j < 2; ++j) {
                out << ',';
                if (std::isfinite(s->variance[i](j))) out << s->variance[i](j);
            }
        }
        out << '\n';
    }
    return out.str();
}

}  // namespace genlab
