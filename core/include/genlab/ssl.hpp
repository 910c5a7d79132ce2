// genlab/ssl.hpp: the two-layer linear SimSiam of seed file 003, Q5, and why it needs its
// stop-gradient.
//
// Online and target weights W ∈ R^{n2×n1}, predictor W_p ∈ R^{n2×n2}, data statistics
// X = E[x̄x̄ᵀ] (the average augmented view) and X′ (the augmentation covariance), both SPD.
// With a target T (T = W, or an EMA of W for BYOL) the objective is
//   J = ½ E‖W_p W x1 − T x2‖² = ½[tr(W_pᵀW_p W(X+X′)Wᵀ) − 2 tr(W_p W X Tᵀ) + tr(T(X+X′)Tᵀ)]
// (Q5.1), plus ½η(‖W‖² + ‖W_p‖²) for weight decay η. The four variants:
//   simsiam       stop-gradient on T, learnt W_p:  Ẇ = −W_pᵀ(W_p W(X+X′) − T X) − ηW
//   no_stopgrad   T = W with gradient (Q5.3):      vec Ẇ = −H vec W,
//                 H = X′⊗(W_pᵀW_p + I) + X⊗(W̃_pᵀW̃_p) + ηI,  W̃_p = W_p − I
//   no_predictor  stop-gradient, W_p = I:          Ẇ = −W X′ − ηW  (collapse at rate λ_min(X′))
//   neither       W_p = I, no stop-gradient (Q5.4): Ẇ = −2 W X′ − ηW (rate 2λ_min(X′) + η)
// and, where W_p is learnt, Ẇ_p = −W_p W(X+X′)Wᵀ + T X Wᵀ − ηW_p (Q5.2). The EMA target
// follows Ṫ = τ(W − T) and applies to the stop-gradient variants only (without stop-gradient
// the target is the online network itself).
//
// Without weight decay and with T = W, simsiam conserves WWᵀ − W_pᵀW_p (both derivatives
// are W Gᵀ W_p + W_pᵀ G Wᵀ with G = −W_p W(X+X′) + W X), so from W_p(0) = 0 it cannot
// collapse: WWᵀ(t) ⪰ W(0)W(0)ᵀ.
//
// Usage:
//   genlab::ssl::Spec spec;                                  // n1 = 3, n2 = 2, ...
//   genlab::ssl::Problem pb = genlab::ssl::make_problem(spec);   // X, X′, W(0), W_p(0)
//   genlab::ssl::Run run = genlab::ssl::simulate(pb, genlab::ssl::Variant::Neither, spec);
//   run.norm_w.back();   // ‖W(t_end)‖_F, ~ e^{−2λ_min(X′) t}
//
// [SECTION] Problem
// [SECTION] Objective, flows and H
// [SECTION] Integration
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <vector>

namespace genlab::ssl {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

//-----------------------------------------------------------------------------
// [SECTION] Problem
//-----------------------------------------------------------------------------

enum class Variant { SimSiam, NoStopGrad, NoPredictor, Neither };
constexpr int kVariants = 4;
const char* to_string(Variant v);   // "simsiam" | "no_stopgrad" | "no_predictor" | "neither"
bool has_predictor(Variant v);      // simsiam, no_stopgrad
bool has_stop_gradient(Variant v);  // simsiam, no_predictor

constexpr int kMaxInputs = 8;   // n1
constexpr int kMaxOutputs = 4;  // n2
constexpr double kRunawayNorm = 1e6;

struct Spec {
    std::vector<double> x_eigs{2.0, 1.0, 0.5};   // spectrum of X: n1 values > 0
    std::vector<double> xp_eigs{0.3, 0.2, 0.1};  // spectrum of X′: n1 values > 0
    int n2 = 2;
    std::uint64_t seed = 1;   // the rotations of X and X′ and the start W(0), W_p(0)
    double w_scale = 1;       // W(0) entries ~ N(0, w_scale²/n1)
    double wp_scale = 0.3;    // W_p(0) entries ~ N(0, wp_scale²/n2); 0: W_p(0) = 0
    double weight_decay = 0;  // η ≥ 0
    double ema = 0;           // τ ≥ 0; 0: the target is W itself
    double dt = 0.02;         // RK4 step > 0
    int steps = 500;
    int n1() const { return static_cast<int>(x_eigs.size()); }
};

// Throws std::invalid_argument naming the user's key ("ssl.dt must be > 0").
void validate(const Spec& spec);

struct Problem {
    Mat X, Xp;    // n1×n1, SPD: Q diag(x_eigs) Qᵀ with independent random rotations
    Mat W0, Wp0;  // the start every variant shares
    double lambda_min_xp = NAN;  // min(xp_eigs): the collapse rates' scale (Q5.4)
};
Problem make_problem(const Spec& spec);

// `count` inputs x ~ N(0, X) as columns (x = L z, LLᵀ = X): the point cloud whose
// representations f = W x the panel draws. Deterministic by seed.
Mat sample_inputs(const Mat& X, int count, std::uint64_t seed);

//-----------------------------------------------------------------------------
// [SECTION] Objective, flows and H
//-----------------------------------------------------------------------------

struct State {
    Mat W, Wp, T;  // T: the EMA target (== W when ema is 0)
};

struct Dynamics {
    Variant variant = Variant::SimSiam;
    double weight_decay = 0;
    double ema = 0;
};

// J(W, W_p; T) with weight decay, T held as given (Q5.1).
double objective(const Problem& pb, const Mat& W, const Mat& Wp, const Mat& T, double wd);

// The time derivative of every part of the state under `dyn` (W_p = I stays I for the
// predictor-less variants; T moves only with an EMA on a stop-gradient variant).
State velocity(const Problem& pb, const Dynamics& dyn, const State& s);

// H with vec Ẇ = −H vec W (column-major vec), when the variant's W-flow has that form with
// H symmetric PSD: no_stopgrad and neither always, no_predictor without EMA. nullopt for
// simsiam (its flow has a non-symmetric operator).
std::optional<Mat> h_matrix(const Problem& pb, const Dynamics& dyn, const Mat& Wp);

//-----------------------------------------------------------------------------
// [SECTION] Integration
//-----------------------------------------------------------------------------

struct Run {
    Variant variant = Variant::SimSiam;
    std::vector<double> t;                  // 0, dt, 2dt, ... (steps + 1 values unless diverged)
    std::vector<Mat> W;                     // W(t_k)
    std::vector<double> norm_w;             // ‖W(t_k)‖_F
    std::vector<Vec> singular_values;       // of W(t_k), descending
    std::vector<Eigen::VectorXcd> wp_eigs;  // of W_p(t_k), by real part descending
    std::vector<double> lambda_min_h;       // λ_min(H(t_k)); empty when h_matrix is nullopt
    double lambda0 = NAN;                   // min over the run of lambda_min_h
    // ‖w(t)‖ ≤ e^{−λ0 t}‖w(0)‖ (Q5.3's bound, with λ0 the run's infimum); empty without H.
    std::vector<double> bound;
    std::vector<double> invariant_drift;  // ‖WWᵀ − W_pᵀW_p − (same at 0)‖_F, simsiam only
    double invariant_drift_max = NAN;     // its largest value (NaN for the other variants)
    bool diverged = false;
    int diverged_at = -1;  // the step whose state was non-finite or runaway
};

// RK4 with step spec.dt for spec.steps steps from pb's start.
Run simulate(const Problem& pb, Variant variant, const Spec& spec);

// −d log‖W‖/dt between the fractions `from` and `to` of a run (0 ≤ from < to ≤ 1).
double decay_rate(const Run& run, double from, double to);
// The slowest decay rate of ‖W‖ read off the last fifth of a run: decay_rate(run, 0.8, 1).
double late_decay_rate(const Run& run);

}  // namespace genlab::ssl
