// genlab/divergence.hpp: discriminators and divergences between two 1-D Gaussian mixtures: the
// optimal discriminator D* = p1/(p0 + p1), the Jensen–Shannon divergence exactly and from a
// trained discriminator, f-divergences with their conjugates and the variational (f-GAN,
// Nguyen–Wainwright–Jordan) lower bound, and the saturating and non-saturating generator losses
// (seed files 002 Q4, 004 §4.3, 004 §4.4).
//
// Convention (the seeds'): D(x) is the probability that x came from p1, and D* maximizes
// E_p1[log D] + E_p0[log(1 − D)] (002 Q4). In 002 "G is the generator with distribution p0" and
// in 004 §4.4 D* = P_r/(P_g + P_r), so p1 is the data (real, the class D scores) and p0 the
// model (the generator's fakes). f-divergences are D_f(p1‖p0) = ∫ p0 f(p1/p0) dx (004 (16) with
// P = p1, Q = p0). Every function takes the mixtures in the order (p0, p1).
//
// Usage:
//   using namespace genlab::div;
//   Mixture p0 = {component(1, -1.0, 1.0)};                   // weight, mean, sd
//   Mixture p1 = {component(0.5, 0.5, 0.6), component(0.5, 2.0, 0.6)};
//   validate(p0, "div.p0");                                  // throws naming the key
//   Value j = jsd(p0, p1);                                   // exact ± quadrature error
//   const FDivergence& kl = f_divergence(FKind::KL);
//   Value d = divergence(kl, 0, p0, p1);                     // KL(p1‖p0)
//   Value b = bound_optimal(kl, 0, p0, p1);                  // = d at T*
//   TrainOptions o;  o.kind = DiscKind::Logistic;
//   Training t = start_training(p0, p1, o);
//   train_steps(t, o, 2000);                                 // more steps continue the run
//   Estimate e = estimate_jsd(t.disc, p0, p1, 4000, 7);      // value ± se
//   double g = generator_grad_x(t.disc, -1.0, GenLoss::NonSaturating);
//
// Quadrature: adaptive Gauss–Kronrod (10, 21) on [min μ − 14σ, max μ + 14σ] over both mixtures,
// started on panels cut at every component's μ, μ ± σ, ±3σ, ±6σ, ±14σ, so every mode is met at
// its own scale however narrow; χ² and α-integrands p1^α·p0^(1−α) also get the same cuts
// around each pair of components' product Gaussian, which can peak far outside both mixtures.
// Every integrand is evaluated from log densities (log-sum-exp), so narrow far-apart modes
// neither underflow to 0/0 nor overflow. The stated error is the summed |Kronrod − Gauss|
// estimate of the panels (conservative, not a proof); tails beyond 14σ hold < e^-98 of any
// density and are not counted.
//
// [SECTION] Mixtures and validation
// [SECTION] Densities, D* and the log-ratio on a grid
// [SECTION] Jensen–Shannon divergence
// [SECTION] f-divergences: the descriptor table
// [SECTION] f-divergences by quadrature and the variational bound
// [SECTION] Discriminators: logistic regression and a tanh MLP
// [SECTION] Training by Adam on seeded minibatches
// [SECTION] JSD and density-ratio estimates from a discriminator
// [SECTION] Generator losses: saturating and non-saturating
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "genlab/kl.hpp"

namespace genlab::div {

using Vec = Eigen::VectorXd;
using Mixture = kl::Mixture;  // 1-D here: every mean has size 1 and every cov is 1×1

//-----------------------------------------------------------------------------
// [SECTION] Mixtures and validation
//-----------------------------------------------------------------------------

// Throws std::invalid_argument naming the key: "div.p0 must have at least one component",
// "div.p1[2].std must be > 0", "div.p0[0].weight must be > 0", "div.p1[1].mean must be finite".
void validate(const Mixture& p, const std::string& key);

// One 1-D component from mean and standard deviation.
kl::Component component(double weight, double mean, double sd);

// Seeded draws (platform-stable: raw mt19937_64 words, Box–Muller), `n` of them.
std::vector<double> sample(const Mixture& p, int n, std::uint64_t seed);

//-----------------------------------------------------------------------------
// [SECTION] Densities, D* and the log-ratio on a grid
//-----------------------------------------------------------------------------

double log_density(const Mixture& p, double x);
// D*(x) = p1/(p0 + p1) = σ(log p1 − log p0), computed from the log-ratio (no 0/0).
double optimal_d(const Mixture& p0, const Mixture& p1, double x);
double log_ratio(const Mixture& p0, const Mixture& p1, double x);  // log p1/p0 = logit D*

struct Curves {
    std::vector<double> x, p0, p1, d_star, log_ratio;
};
// n ≥ 2 evenly spaced points on [lo, hi].
Curves curves(const Mixture& p0, const Mixture& p1, double lo, double hi, int n);
// A plotting range: [min μ − 4σ, max μ + 4σ] over both mixtures.
std::pair<double, double> plot_range(const Mixture& p0, const Mixture& p1);

//-----------------------------------------------------------------------------
// [SECTION] Jensen–Shannon divergence
//-----------------------------------------------------------------------------

// A quadrature value: |value − exact| ≤ error (an estimate). finite = false when the integral
// diverges (χ² or α with too heavy a p1 tail) or exceeds double's range: then value = ±inf,
// error = 0.
struct Value {
    double value = 0;
    double error = 0;
    bool finite = true;
};

// JSD(p0, p1) = ½KL(p0‖μ) + ½KL(p1‖μ), μ = ½(p0 + p1); in [0, log 2].
Value jsd(const Mixture& p0, const Mixture& p1);

//-----------------------------------------------------------------------------
// [SECTION] f-divergences: the descriptor table
//-----------------------------------------------------------------------------

enum class FKind { KL, ReverseKL, JS, Hellinger, TV, Pearson, Alpha };

// The conjugate's domain: lo < u < hi (lo ≤ u ≤ hi when closed); ±inf for unbounded.
struct Domain {
    double lo, hi;
    bool closed;
};

// One row of the table. `alpha` is used by FKind::Alpha only (any finite α ∉ {0, 1}).
struct FDivergence {
    FKind kind;
    const char* key;        // "kl", "reverse_kl", "js", "hellinger", "tv", "pearson", "alpha"
    const char* name;       // "KL(p1‖p0)", …
    const char* formula;    // f(t) as text
    const char* conjugate;  // f*(u) as text
    const char* domain;     // dom f* as text
    double (*f)(double t, double alpha);       // convex on t > 0, f(1) = 0
    double (*fprime)(double t, double alpha);  // f′(t) (TV: the subgradient ½·sign(t − 1))
    double (*conj)(double u, double alpha);    // f*(u) = sup_t (t·u − f(t)); +inf off dom
    Domain (*dom)(double alpha);
    // p0·f(p1/p0) from the log densities, in a form that neither overflows nor takes 0/0.
    double (*perspective)(double log_p1, double log_p0, double alpha);
};

const std::vector<FDivergence>& f_divergences();  // every row, in FKind order
const FDivergence& f_divergence(FKind kind);
const FDivergence* find_f_divergence(const std::string& key);  // nullptr if unknown
// Throws std::invalid_argument naming `key` unless α is finite, |α| ≤ 10 and α ∉ {0, 1}.
void validate_alpha(double alpha, const std::string& key);

//-----------------------------------------------------------------------------
// [SECTION] f-divergences by quadrature and the variational bound
//-----------------------------------------------------------------------------

// D_f(p1‖p0) = ∫ p0 f(p1/p0) dx. Finiteness is decided from the tails first: χ² (α = 2) and
// α-divergences are infinite unless α/σ1² + (1 − α)/σ0² > 0 for the widest components.
Value divergence(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1);

// The variational lower bound E_p1[T] − E_p0[f*(T)] ≤ D_f(p1‖p0) for a critic T(x); −inf when
// T leaves dom f* where p0 has mass. Where p0 underflows (log p0 < −745) its term is dropped.
Value bound(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1,
            const std::function<double(double)>& critic);
// The critic T(x) = f′(exp(ℓ(x))) from a log-ratio estimate ℓ ≈ log p1/p0 (clamped to ±300).
double critic_from_log_ratio(const FDivergence& f, double alpha, double log_ratio);
// The bound at T* = f′(p1/p0), which makes it tight: equals divergence() within errors.
Value bound_optimal(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1);

//-----------------------------------------------------------------------------
// [SECTION] Discriminators: logistic regression and a tanh MLP
//-----------------------------------------------------------------------------

enum class DiscKind {
    Logistic,  // logit a(u) = θ0 + θ1·u + θ2·u²
    Mlp        // logit a(u) = θ0 + Σ_j v_j·tanh(w_j·u + b_j), j = 1..hidden
};

// D(x) = σ(a(u)), u = (x − center)/scale: inputs are standardized by the training data's
// pooled mean and sd, so one learning rate suits any placement of the densities.
struct Discriminator {
    DiscKind kind = DiscKind::Logistic;
    int hidden = 0;  // Mlp only
    double center = 0, scale = 1;
    Vec theta;  // Logistic: (θ0, θ1, θ2); Mlp: (θ0, v_1..h, w_1..h, b_1..h)
};

int param_count(DiscKind kind, int hidden);
// A fresh discriminator: logistic all zero (D = ½); MLP weights seeded N(0, 1) (v scaled by
// 1/√hidden), deterministic for a seed.
Discriminator make_discriminator(DiscKind kind, int hidden, std::uint64_t seed);
double logit(const Discriminator& d, double x);     // a(x)
double logit_dx(const Discriminator& d, double x);  // ∂a/∂x
double prob(const Discriminator& d, double x);      // D(x) = σ(a(x))
Vec logit_grad(const Discriminator& d, double x);   // ∂a/∂θ
// The logistic's logit in raw features: a(x) = c0 + c1·x + c2·x² (the standardization undone),
// comparable with D*'s closed form. Logistic only.
Eigen::Vector3d raw_coefficients(const Discriminator& d);

// The mean binary cross-entropy −[Σ log D(x1_i) + Σ log(1 − D(x0_i))]/(n0 + n1) and its
// gradient in θ (the discriminator minimizes it; D* is its population minimizer).
struct LossGrad {
    double loss;
    Vec grad;
};
LossGrad bce(const Discriminator& d, const std::vector<double>& x0, const std::vector<double>& x1);

//-----------------------------------------------------------------------------
// [SECTION] Training by Adam on seeded minibatches
//-----------------------------------------------------------------------------

struct TrainOptions {
    DiscKind kind = DiscKind::Logistic;
    int hidden = 8;          // Mlp, 1..64
    double lr = 0.05;        // Adam step, > 0
    int batch = 64;          // per class per step, 1..10^6; above train_size: all samples
    int train_size = 2000;   // samples drawn once from each of p0 and p1, 2..10^6
    double decay = 500;      // lr_t = lr/√(1 + t/decay); 0 keeps lr constant
    std::uint64_t seed = 1;  // samples, minibatches and MLP weights
};
// Throws std::invalid_argument naming the div.* key (div.lr, div.batch, …).
void validate(const TrainOptions& o);

// A run in progress: the data drawn once, the discriminator, and Adam's state. train_steps
// continues it (the GUI's Play/Step); the minibatch of step t is a function of (seed, t), so
// the same steps give the same run however they are split.
struct Training {
    std::vector<double> x0, x1;  // samples from p0 and p1
    Discriminator disc;
    Vec m, v;                    // Adam moments
    int t = 0;                   // steps taken
    std::vector<double> losses;  // minibatch loss per step
};
Training start_training(const Mixture& p0, const Mixture& p1, const TrainOptions& o);
void train_steps(Training& run, const TrainOptions& o, int steps);

// The logistic's sampling error: Cov(ĉ) ≈ I⁻¹/(2n) for the maximum-likelihood coefficients
// (c0, c1, c2) on n samples per class, I = ½∫(p0 + p1)·D*(1 − D*)·φφᵀ dx, φ = (1, x, x²), by
// quadrature (valid when the logit of D* is quadratic, e.g. two Gaussians). Returns the sds.
Eigen::Vector3d logistic_coefficient_sd(const Mixture& p0, const Mixture& p1, int n);

//-----------------------------------------------------------------------------
// [SECTION] JSD and density-ratio estimates from a discriminator
//-----------------------------------------------------------------------------

struct Estimate {
    double value;
    double se;  // standard error of the Monte Carlo mean
};
// log 2 + ½E_p1[log D] + ½E_p0[log(1 − D)] on `n` fresh seeded samples from each (002 Q4.1),
// with its standard error. For D = D* it is unbiased for JSD; any other D gives less on average.
Estimate estimate_jsd(const Discriminator& d, const Mixture& p0, const Mixture& p1, int n,
                      std::uint64_t seed);
// The same with D = D* (the oracle discriminator).
Estimate estimate_jsd_optimal(const Mixture& p0, const Mixture& p1, int n, std::uint64_t seed);
// f1(x) ≈ f0(x)·D(x)/(1 − D(x)) = f0(x)·exp(a(x)) (002 Q4.2); exact for D = D*.
double density_ratio_estimate(const Discriminator& d, const Mixture& p0, double x);

//-----------------------------------------------------------------------------
// [SECTION] Generator losses: saturating and non-saturating
//-----------------------------------------------------------------------------

// The generator's fakes are p0's samples; D scores the real class p1, so D rejects a fake x
// when D(x) → 0. The generator minimizes
//   Saturating:     log(1 − D(G(z)))   (004 (17)),  d/dD = −1/(1 − D)   → −1 as D → 0
//   NonSaturating:  −log D(G(z))       (004 (19)),  d/dD = −1/D         → −∞ as D → 0
// and through a logistic D = σ(a), dD/dx = D(1 − D)·a′(x), so
//   saturating:     d/dx = −D·a′(x)        → 0 where D rejects the fakes (vanishing gradient)
//   non-saturating: d/dx = −(1 − D)·a′(x)  → −a′(x) there (the full slope of the logit).
enum class GenLoss { Saturating, NonSaturating };
double generator_loss(GenLoss loss, double d);
double generator_loss_dD(GenLoss loss, double d);  // d(loss)/dD at D = d ∈ (0, 1)
double generator_grad_x(const Discriminator& disc, double x, GenLoss loss);  // d(loss)/dx

}  // namespace genlab::div
