// genlab/vi.hpp: variational inference on a 1-D latent-variable model whose evidence is exact
// by quadrature: the ELBO, the importance-weighted bound L_K, IWAE fits, amortized encoders and
// the amortization gap, gradient estimators, and the 2-D reparameterization (seed files 000
// Q2–Q4, 002 Q2, 003 Q1, 004 §4.2).
//
// Model: z ~ N(0, 1), x | z ~ N(f(z), σ_x²), f linear a·z + b, tanh(a·z + b), quadratic
// a·z² + b (two posterior modes for a·(x − b) > 0), or a user callable (the model layer passes
// a parsed expression here; core never parses).
//
// Usage:
//   genlab::vi::Model m;  m.link = Link::Quadratic;  m.a = 1;  m.sigma_x = 0.5;
//   genlab::vi::Evidence ev = genlab::vi::log_evidence(m, 2.0);       // value ± error
//   genlab::vi::Gaussian q{1.4, 0.3};
//   double elbo = genlab::vi::elbo(m, 2.0, q);                        // exact (quadrature)
//   genlab::vi::Bound l = genlab::vi::iw_bound_exact(m, 2.0, q, 100); // L_100 ± error
//   genlab::vi::McBound mc = genlab::vi::iw_bound_mc(m, 2.0, q, 100, {4096, 8, 1});
//   genlab::vi::FitOptions o;  o.k = 50;
//   genlab::vi::Gaussian iwae = genlab::vi::fit(m, 2.0, q, o).q;     // wider than o.k = 1's
//   auto xs = genlab::vi::sample_data(m, 32, 1);
//   auto enc = genlab::vi::train_encoder(m, xs, make_encoder(EncoderKind::Linear, 0, 1), 2000,
//                                        0.05);
//   double gap = genlab::vi::amortization(m, xs, enc).gap;            // ≥ 0
//
// Exactness of L_K for K > 1: with w = p(x, z)/q(z) and S_K the mean of K iid w's,
//   E[log S_K] = ∫_0^∞ (e^{−t} − φ(t/K)^K) dt/t,   φ(τ) = E_q[e^{−τ w}]   (Frullani),
// so L_K is a 1-D integral of a 1-D expectation, both by quadrature, for any K up to 1000:
// w is normalized by its mean c ≈ p(x) (so E[w̃] = 1 and L_K = log c + E[log S̃_K]); φ is a
// sum over composite Gauss–Legendre nodes in q's standard coordinate u ∈ [−8.5, 8.5], and
// the t-integral (on s = log t) is adaptive Gauss–Kronrod. The stated error is Kronrod's
// estimate plus the change at half the u resolution: measured, ~1e-10 when q covers the
// posterior, up to ~1e-6 (and conservative) when a wide q meets narrow modes. Monotonicity in
// K holds for the discrete distribution exactly, so only these errors could break it.
// The delta method L_K ≈ log p(x) − Var(w)/(2K·E[w]²) is offered beside it: an O(1/K²)
// approximation when w's moments are tame, and wrong by orders of magnitude when q misses a
// mode (w heavy-tailed: rare draws carry most of p(x)).
//
// [SECTION] Model and validation
// [SECTION] Evidence and the exact posterior
// [SECTION] Gaussian q: ELBO, KL and the bound L_K
// [SECTION] Fitting q: ELBO and IWAE
// [SECTION] Amortized inference
// [SECTION] Gradient estimators
// [SECTION] Reparameterization in 2-D
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

namespace genlab::vi {

using Vec = Eigen::VectorXd;
using Vec2 = Eigen::Vector2d;
using Mat2 = Eigen::Matrix2d;

//-----------------------------------------------------------------------------
// [SECTION] Model and validation
//-----------------------------------------------------------------------------

constexpr int kMaxK = 1000;

enum class Link { Linear, Tanh, Quadratic, Custom };

struct Model {
    Link link = Link::Linear;
    double a = 1, b = 0;   // the built-in links' parameters
    double sigma_x = 0.5;  // likelihood noise, > 0
    // Link::Custom only: f(z) and, optionally, f'(z) (a central difference when empty).
    std::function<double(double)> f, df;
};

// Throws std::invalid_argument naming the key (vi.sigma_x, vi.a, vi.f, …).
void validate(const Model& m);
double link(const Model& m, double z);                       // f(z)
double link_slope(const Model& m, double z);                 // f'(z)
double log_joint(const Model& m, double x, double z);        // log p(x, z)
double log_joint_slope(const Model& m, double x, double z);  // ∂/∂z log p(x, z)

//-----------------------------------------------------------------------------
// [SECTION] Evidence and the exact posterior
//-----------------------------------------------------------------------------

// log p(x) by adaptive Gauss–Kronrod (7, 15) on the posterior's support; `error` bounds the
// absolute error of the log (the Kronrod estimates plus the truncated tails, < e^{−60}).
struct Evidence {
    double value = 0, error = 0;
    double lo = 0, hi = 0;  // the integration range (where p(x, z) is within e^{−60} of its peak)
};
Evidence log_evidence(const Model& m, double x);
double log_evidence_linear(const Model& m, double x);  // log N(x; b, a² + σ_x²), Link::Linear

struct PosteriorGrid {
    std::vector<double> z, density;  // p(z|x) at n equally spaced z in [lo, hi]
};
PosteriorGrid posterior_grid(const Model& m, double x, double lo, double hi, int n);
// The linear model's exact posterior N(a(x − b)/(a² + σ_x²), σ_x²/(a² + σ_x²)).
struct Gaussian {
    double mu = 0, sigma = 1;
};
Gaussian posterior_linear(const Model& m, double x);

//-----------------------------------------------------------------------------
// [SECTION] Gaussian q: ELBO, KL and the bound L_K
//-----------------------------------------------------------------------------

void validate(const Gaussian& q);  // vi.q_sigma must be > 0, vi.q_mu finite
// E_q[log p(x, z)] + H[q] by 64-point Gauss–Hermite (exact for the linear and quadratic links,
// whose log p(x, z) is a polynomial of degree ≤ 4 in z).
double elbo(const Model& m, double x, const Gaussian& q);
// ∂ELBO/∂μ and ∂ELBO/∂log σ, also by Gauss–Hermite.
Vec2 elbo_gradient(const Model& m, double x, const Gaussian& q);
double kl_to_posterior(const Model& m, double x, const Gaussian& q);  // log p(x) − ELBO
double kl_gaussians(const Gaussian& q, const Gaussian& p);            // closed form KL(q‖p)

struct Bound {
    // error: the t-integral's Kronrod estimate + |full − half u-resolution|. Conservative:
    // for a wide q over the quadratic link's two modes at K = 2 it says 2e-6 while a 4× finer
    // evaluation moves the value 5e-9.
    double value = 0, error = 0;
};
// L_K by the Frullani identity above (K in [1, kMaxK]).
Bound iw_bound_exact(const Model& m, double x, const Gaussian& q, int k);
// The same for several K at once, sharing the weight tables (the panel's L_K curve).
std::vector<Bound> iw_bound_exact_series(const Model& m, double x, const Gaussian& q,
                                         const std::vector<int>& ks);
// log p(x) − Var(w)/(2K E[w]²), the large-K expansion.
double iw_bound_delta(const Model& m, double x, const Gaussian& q, int k);

struct McBudget {
    int samples = 4096;  // per seed: floor(samples / K) groups of K draws (at least one group)
    int seeds = 8;       // independent estimates, seeds first_seed … first_seed + seeds − 1
    std::uint64_t first_seed = 1;
};
struct McBound {
    double mean = 0, sd = 0;  // over seeds (sd: of one estimate, not of the mean)
    std::vector<double> per_seed;
};
McBound iw_bound_mc(const Model& m, double x, const Gaussian& q, int k, const McBudget& budget);

//-----------------------------------------------------------------------------
// [SECTION] Fitting q: ELBO and IWAE
//-----------------------------------------------------------------------------

// Adam on (μ, log σ) maximizing the sample-average L_K over fixed noise ε (groups × K draws,
// drawn once from `seed`): the IWAE gradient Σ_k w̄_k ∇ log w(μ + σ ε_k) with the normalized
// weights w̄. K = 1 is the reparameterized ELBO.
struct FitOptions {
    int k = 1;
    int groups = 64;
    int steps = 600;
    double lr = 0.05;
    std::uint64_t seed = 1;
};
struct FitResult {
    Gaussian q;
    double objective = 0;  // the sample-average L_K at the end
};
FitResult fit(const Model& m, double x, const Gaussian& start, const FitOptions& options);
// Adam on the exact (quadrature) ELBO: the per-point optimum q*.
Gaussian fit_elbo_exact(const Model& m, double x, const Gaussian& start, int steps = 1500,
                        double lr = 0.05);

//-----------------------------------------------------------------------------
// [SECTION] Amortized inference
//-----------------------------------------------------------------------------

// Linear: θ = (a, b, c, d), μ = a·x + b, log σ = c·x + d.
// Mlp: h = tanh(W1·x + b1) (width H), μ = u·h + u0, log σ = v·h + v0; θ packs
//      (W1, b1, u, v, u0, v0), 4H + 2 numbers.
enum class EncoderKind { Linear, Mlp };
struct Encoder {
    EncoderKind kind = EncoderKind::Linear;
    int hidden = 8;
    Vec theta;
};
Encoder make_encoder(EncoderKind kind, int hidden, std::uint64_t seed);
Gaussian encode(const Encoder& e, double x);
// Σ_i ELBO(x_i, q_φ(x_i)) and its gradient in θ (analytic chain rule through the encoder).
double total_elbo(const Model& m, const std::vector<double>& xs, const Encoder& e, Vec* grad);
// Full-batch Adam on Σ ELBO.
Encoder train_encoder(const Model& m, const std::vector<double>& xs, Encoder e, int steps,
                      double lr);
// The same training in pieces (the panel trains a few steps a frame): Adam's moments persist
// between run() calls, so run(a) then run(b) is train_encoder(a + b) exactly.
class EncoderTrainer {
  public:
    EncoderTrainer(Encoder start, double lr);
    void run(const Model& m, const std::vector<double>& xs, int steps);
    const Encoder& encoder() const { return e_; }
    int steps_done() const { return steps_; }
    double last_objective() const { return last_; }  // Σ ELBO before the last step (−∞: none)

  private:
    Encoder e_;
    Vec m_, v_;
    double lr_;
    int steps_ = 0;
    double last_;
};

struct AmortizationReport {
    std::vector<double> kl_encoder, kl_optimal;  // per point
    std::vector<Gaussian> q_encoder, q_optimal;
    double gap = 0;  // Σ_i (KL_encoder − KL_optimal)
};
AmortizationReport amortization(const Model& m, const std::vector<double>& xs, const Encoder& e);
std::vector<double> sample_data(const Model& m, int n, std::uint64_t seed);  // x ~ p(x)

//-----------------------------------------------------------------------------
// [SECTION] Gradient estimators
//-----------------------------------------------------------------------------

// ∂/∂μ and ∂/∂σ of E_q[f(z)] (σ, not log σ). Batch of `batch` draws per estimate.
enum class Estimator { Reparam, Score, ScoreBatchMean, ScoreLeaveOneOut };
struct Integrand {
    std::function<double(double)> f, df;  // df needed by Reparam only
};
// f(z) = α z² + β z + γ, the closed-form case.
Integrand quadratic(double alpha, double beta, double gamma);
Vec2 exact_gradient(const Integrand& f, const Gaussian& q);  // by Gauss–Hermite
// f(z) = log p(x, z) of the model: E_q[f] is the ELBO less the entropy, whose σ-gradient 1/σ
// is exact, so estimating the ELBO's gradient is estimating this one's.
Integrand log_joint_integrand(const Model& m, double x);

struct EstimatorStats {
    Vec2 mean = Vec2::Zero(), variance = Vec2::Zero();  // over `repeats` estimates
    int repeats = 0;
};
EstimatorStats estimator_stats(const Integrand& f, const Gaussian& q, Estimator est, int batch,
                               int repeats, std::uint64_t seed);
// The `repeats` estimates themselves (the panel's histograms); estimator_stats with the same
// arguments is their mean and sample variance.
std::vector<Vec2> estimator_draws(const Integrand& f, const Gaussian& q, Estimator est, int batch,
                                  int repeats, std::uint64_t seed);
// Closed-form variance of one estimate for quadratic f (Reparam and Score; for Score with a
// constant baseline `baseline`); batch of B iid draws divides by B.
Vec2 quadratic_variance(double alpha, double beta, double gamma, const Gaussian& q, Estimator est,
                        int batch, double baseline = 0);

//-----------------------------------------------------------------------------
// [SECTION] Reparameterization in 2-D
//-----------------------------------------------------------------------------

double log_abs_det_triangular(const Mat2& s);  // Σ log|S_ii|, O(K); S lower-triangular
double log_abs_det_lu(const Mat2& s);          // Eigen LU, the general O(K³) route
// n samples μ + S z0, z0 ~ N(0, I): an n × 2 matrix.
Eigen::MatrixXd reparam_samples(const Vec2& mu, const Mat2& s, int n, std::uint64_t seed);
// log q(g) = log N(z0; 0, I) − log|det S| at g = μ + S z0.
double reparam_log_density(const Vec2& mu, const Mat2& s, const Vec2& g);

}  // namespace genlab::vi
