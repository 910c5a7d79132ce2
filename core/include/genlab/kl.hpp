// genlab/kl.hpp: fitting a Gaussian q to a Gaussian mixture p by KL(p‖q) (forward, mode
// covering) and by KL(q‖p) (reverse, mode seeking), in 1-D and 2-D (seed 004 §4.3).
//
// Usage:
//   genlab::kl::Mixture p = {{0.5, mean_a, cov_a}, {0.5, mean_b, cov_b}};
//   genlab::kl::Quadrature quad(1);                         // dimension 1
//   genlab::kl::Gaussian q =
//       genlab::kl::Gaussian::from_std(Vec::Constant(1, 0.0), Vec::Constant(1, 1.0));
//   double f = genlab::kl::kl_pq(p, q, quad);               // forward KL
//   genlab::kl::Fit fit = genlab::kl::fit(p, q, Objective::Reverse, options, quad);
//
// Quadrature: every expectation under a Gaussian is a deterministic sum in standard-normal
// coordinates, x = m + L·z (L the Cholesky factor); E_p[f] = Σ_k w_k E_{N(m_k, S_k)}[f]. So the
// integration box follows each component and q, however narrow or far apart. The base rule is
// the trapezoid on z ∈ [−8, 8]^d with weights φ(z)·Δz normalized to sum 1 (1-D 2048 nodes,
// 2-D 96²). In 1-D the integrand's features are known (each component's width, and the
// crossings where log p, or log(p + q) for JS, changes its leading term): where the base grid
// misses one, that Gaussian's grid becomes a composite 16-point Gauss–Legendre rule with
// panels sized to the feature (at most ~1e5 nodes for 16 components, a few thousand for 2–4),
// and α's wider tails get a wider box. Measured against a long-double adaptive Gauss–Kronrod
// reference, 1-D values are within ~1e-11 relative for widths from 1e-3 to 10 in one mixture
// (and narrow or wide q), every objective. 2-D has two rules:
//   resolving (every value and gradient this header returns: kl_pq, kl_qp, js,
//     alpha_divergence, objective, objective_estimate, objective_grad_fd): per Gaussian, a
//     nested rule in a rotated frame of z, an outer 1-D rule and on each of its lines an inner
//     one, each the base trapezoid where it resolves that line's features (the terms' widths
//     and the crossings of log p's, or log(p + q)'s, leading terms) and composite 16-point
//     Gauss–Legendre panels sized to them elsewhere. Measured against a nested long-double
//     Gauss–Kronrod reference, within 1e-8 relative (most cases ~1e-12) for widths 1e-3 to 10
//     and correlations up to ±0.95 in one mixture, narrow or wide q. ~2–5·10⁴ nodes per
//     Gaussian for the presets (a few ms a value), up to ~3·10⁵ for the hard cases.
//   trapezoid (what fit, fit_steps and landscape optimize and draw): the tensor trapezoid on
//     z ∈ [−8, 8]² alone, as before: 96² nodes, ~1e-7 relative on the presets but ~1e-3 when
//     a wide q spans well-separated modes, and components much narrower than Δz·σ are
//     under-resolved. The optimizer's fits and the landscapes keep their cost; their q's are
//     the stationary points of that rule, and the readouts evaluate them accurately.
// objective_estimate() reports a value with its estimated error.
//
// Parameters θ of q (what the optimizers move):
//   1-D: (μ, log σ).  2-D: (μ1, μ2, log L11, L21, log L22), Σ = L·Lᵀ.
//
// [SECTION] Types
// [SECTION] Densities and quadrature
// [SECTION] Objectives and gradients
// [SECTION] Optimization, restarts and landscapes
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

namespace genlab::kl {

//-----------------------------------------------------------------------------
// [SECTION] Types
//-----------------------------------------------------------------------------

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

struct Component {
    double weight = 1;  // > 0; mixture weights are normalized to sum 1 when evaluating
    Vec mean;           // size d
    Mat cov;            // d×d, symmetric positive definite
};
using Mixture = std::vector<Component>;

struct Gaussian {
    Vec mean;
    Mat chol;  // lower-triangular, positive diagonal; Σ = chol·cholᵀ
    Mat cov() const { return chol * chol.transpose(); }
    int dim() const { return static_cast<int>(mean.size()); }
    static Gaussian from_std(const Vec& mean, const Vec& std);  // diagonal covariance
    static Gaussian from_cov(const Vec& mean, const Mat& cov);  // Cholesky of cov
    Vec params() const;                                         // θ, as described above
    static Gaussian from_params(const Vec& theta, int dim);
};

int param_count(int dim);  // 2 or 5

// Throws std::invalid_argument with a message that names the field ("kl.target[1].std must
// be > 0", "kl.target weights must be positive", ...). Dimensions 1 or 2 only.
void validate(const Mixture& p, int dim);
void validate(const Gaussian& q, int dim);

//-----------------------------------------------------------------------------
// [SECTION] Densities and quadrature
//-----------------------------------------------------------------------------

double log_density(const Gaussian& q, const Vec& x);
double log_density(const Mixture& p, const Vec& x);    // log-sum-exp over components
Vec grad_log_density(const Mixture& p, const Vec& x);  // ∇x log p(x)
// log p at many points (the columns of `points`, d × n): p is checked and factored once, and
// the points are evaluated together. Use it for curves and grids; log_density() re-checks p
// at every call.
Vec log_density_many(const Mixture& p, const Mat& points);

// The closed-form forward optimum: moment matching, μ = E_p[x], Σ = Cov_p[x].
Gaussian moment_match(const Mixture& p);

class Quadrature {
  public:
    // `points_per_axis` nodes on [−8, 8] per dimension (1-D default 2048, 2-D default 96): the
    // base trapezoid rule, which the objectives replace per Gaussian (2-D: per line of the
    // nested rule) where it misses a feature; in 2-D fit and landscape use it as it is.
    explicit Quadrature(int dim, int points_per_axis = 0);
    int dim() const { return dim_; }
    int size() const { return static_cast<int>(weights_.size()); }
    const Mat& nodes() const { return nodes_; }      // dim × size, standard-normal z
    const Vec& weights() const { return weights_; }  // sum to 1
  private:
    int dim_;
    Mat nodes_;
    Vec weights_;
};

//-----------------------------------------------------------------------------
// [SECTION] Objectives and gradients
//-----------------------------------------------------------------------------

enum class Objective {
    Forward,  // KL(p‖q): maximum likelihood, mode covering
    Reverse,  // KL(q‖p): variational inference, mode seeking
    JS,       // Jensen–Shannon divergence between p and q
    Alpha  // Amari α-divergence D_α(p‖q) = (1 − ∫p^α q^(1−α)) / (α(1−α)); α→1: forward,
           // α→0: reverse
};

// Which 2-D rule a value uses: Resolved (the default of every value, to ~1e-8 relative) or
// Base, the optimizer's tensor trapezoid (tens of times cheaper; ~1e-7 on smooth cases, ~1e-3
// on hard ones) for values shown while a fit is still moving. 1-D always resolves.
enum class Rule { Resolved, Base };
double kl_pq(const Mixture& p, const Gaussian& q, const Quadrature& quad,
             Rule rule = Rule::Resolved);
double kl_qp(const Mixture& p, const Gaussian& q, const Quadrature& quad,
             Rule rule = Rule::Resolved);
double js(const Mixture& p, const Gaussian& q, const Quadrature& quad);
double alpha_divergence(const Mixture& p, const Gaussian& q, double alpha, const Quadrature& quad);

// The objective and its gradient with respect to θ (size param_count(dim)). Analytic in θ:
// forward −E_p[∇θ log q]; reverse, JS and α < ½ through the reparameterization x = μ + L·z;
// α ≥ ½ on p's grid (the exact derivative of the value it reports).
struct ValueGrad {
    double value;
    Vec grad;
};
ValueGrad objective(Objective obj, const Mixture& p, const Gaussian& q, const Quadrature& quad,
                    double alpha = 0.5);
// A value with a bound on its quadrature error, for a readout's "± error": |value − exact| ≤
// error is an estimate, not a proof. error = max(4·|value − check|, 1e-14·(1 + |value|)),
// where `check` is the same objective on an independent finer rule (the composite grid
// everywhere with every panel halved and the box widened by ¼; in 2-D on both axes of the
// nested rule). It costs about three evaluations in 1-D, ~10–30 in 2-D (0.2–1 s for a hard
// 2-D case).
struct Estimate {
    double value;
    double error;
};
Estimate objective_estimate(Objective obj, const Mixture& p, const Gaussian& q,
                            const Quadrature& quad, double alpha = 0.5);
// Central finite differences of objective().value in θ, for checks and tests.
Vec objective_grad_fd(Objective obj, const Mixture& p, const Gaussian& q, const Quadrature& quad,
                      double alpha = 0.5, double h = 1e-5);

// KL(q‖p) by reparameterized Monte Carlo with `samples` draws from a seeded generator:
// shows the estimator's variance. Deterministic for a given seed.
double kl_qp_monte_carlo(const Mixture& p, const Gaussian& q, int samples, unsigned seed);

//-----------------------------------------------------------------------------
// [SECTION] Optimization, restarts and landscapes
//-----------------------------------------------------------------------------

enum class Optimizer { Adam, GD };

struct FitOptions {
    Optimizer optimizer = Optimizer::Adam;
    double lr = 0.05;         // > 0
    int iterations = 500;     // the most steps taken; >= 0
    double tolerance = 1e-6;  // converged when ‖∇θ‖ < tolerance
    double alpha = 0.5;       // for Objective::Alpha, in (0, 1)
    bool mean_field = false;  // 2-D only: q axis-aligned (L21 held at 0), as in PRML Fig. 10.2
};

struct Fit {
    Gaussian q;
    std::vector<Vec> path;       // θ after each step; path[0] is the start
    std::vector<double> values;  // objective along the path
    int iterations = 0;          // steps taken
    bool converged = false;
    // The run was stopped as diverged: a non-finite θ, objective or gradient; σ or μ leaving
    // the meaningful range (σ outside [1e-6·s, 1e6·S] or |μ − E_p[x]| > 1e6·S, with s the
    // smallest and S the overall standard deviation of p), where finite numbers no longer
    // mean anything (lr = 10 once ended at σ = 1.6e-20 with KL = 3.7e40, "converged"); or
    // the objective growing a millionfold over its start. `divergence` says which.
    bool diverged = false;
    std::string divergence;  // "" unless diverged: "σ = 1.6e-20 fell below 1e-6·0.7"
};

// Runs the optimizer from `start`; stops at convergence, divergence or options.iterations.
Fit fit(const Mixture& p, const Gaussian& start, Objective obj, const FitOptions& options,
        const Quadrature& quad);

// Continues a fit in place for at most `steps` more steps (the GUI's iterations per frame).
// The Adam moments live in `state`; a fresh AdamState starts a new run.
struct AdamState {
    Vec m, v;
    int t = 0;
};
void fit_steps(const Mixture& p, Fit& fit, AdamState& state, Objective obj,
               const FitOptions& options, const Quadrature& quad, int steps);

// Starts spread over p's support: `count` means evenly spaced over [min mean − 2σ,
// max mean + 2σ] along p's main axis, with q's start scale. Deterministic.
std::vector<Gaussian> restart_starts(const Mixture& p, const Gaussian& like, int count);

// Objective values on a grid over two coordinates of θ (the others fixed at `at`): for 1-D,
// (μ, log σ); for 2-D, (μ1, μ2). values(i, j) is at x = x_lo + i·(x_hi−x_lo)/(nx−1),
// y = y_lo + j·(…). Non-finite values are NaN, never thrown.
struct Landscape {
    int param_x = 0, param_y = 1;
    double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    Mat values;  // nx × ny
};
Landscape landscape(const Mixture& p, const Gaussian& at, Objective obj, const Quadrature& quad,
                    int param_x, int param_y, double x_lo, double x_hi, double y_lo, double y_hi,
                    int nx, int ny, double alpha = 0.5);

}  // namespace genlab::kl
