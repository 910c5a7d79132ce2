// genlab/dropout.hpp: dropout on the inputs of linear regression as a data-dependent L2
// penalty (seed file 002, Q1).
//
// With X ∈ R^{n×d}, y ∈ R^n and a mask R with R_ij ~ Bern(p) (p: the keep probability),
//   L(w) = ‖y − (X ⊙ R) w‖²,
//   E_R[L(w)] = ‖y − pXw‖² + p(1 − p)‖Γw‖²,    Γ = diag(XᵀX)^{1/2}          (Q1.1)
//   p·w_dropout = (XᵀX + λ_d Γ²)⁻¹ Xᵀy,           λ_d = (1 − p)/p            (Q1.2)
//   w_L2(λ)     = (XᵀX + λ I)⁻¹ Xᵀy                                         (Q1.3)
// So at test time (weights scaled by p, "weight-scaling inference") dropout is ridge with a
// per-feature coefficient λ_d·Γ_ii²: a feature with a larger scale is penalized more (Q1.4).
// For uncorrelated features this makes dropout's shrinkage scale-free: every weight shrinks
// by the same factor 1/(1 + λ_d), while ridge shrinks small-scale features the most.
//
// Usage:
//   genlab::dropout::Data data = genlab::dropout::make_data(spec);   // deterministic by seed
//   Vec pw = genlab::dropout::scaled_dropout_solution(data, 0.5);    // p·w_dropout
//   Vec wr = genlab::dropout::ridge_solution(data, 1.0);
//   double e = genlab::dropout::expected_loss(data, w, 0.5);         // the closed form
//   double x = genlab::dropout::expected_loss_exact(data, w, 0.5);   // by enumerating masks
//
// [SECTION] Data
// [SECTION] The expected loss and the closed forms
// [SECTION] Monte Carlo: sampled masks and dropout SGD
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace genlab::dropout {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

//-----------------------------------------------------------------------------
// [SECTION] Data
//-----------------------------------------------------------------------------

constexpr int kMaxFeatures = 8;
constexpr int kMaxSamples = 2000;

// Features x ~ N(0, S C S) with S = diag(scales) and C_ij = correlation^|i−j| (an AR(1)
// correlation, positive definite for |correlation| < 1); y = x·w_true + noise·ε.
struct DataSpec {
    int n = 40;
    std::vector<double> scales{1, 4};
    double correlation = 0;
    std::vector<double> w_true{1, 1};
    double noise = 0.5;
    std::uint64_t seed = 1;
};

struct Data {
    Mat X;  // n × d
    Vec y;  // n
};

// Throws std::invalid_argument naming the field for sizes or values no data can have.
void validate(const DataSpec& spec);
Data make_data(const DataSpec& spec);

Vec gamma_diag(const Data& data);  // Γ_ii = (XᵀX)_ii^{1/2}

//-----------------------------------------------------------------------------
// [SECTION] The expected loss and the closed forms
//-----------------------------------------------------------------------------

double loss(const Data& data, const Vec& w);  // ‖y − Xw‖², no dropout
// The closed form of Q1.1: ‖y − pXw‖² + p(1 − p)‖Γw‖².
double expected_loss(const Data& data, const Vec& w, double p);
// E_R[L(w)] by exact enumeration of every row's 2^d masks (rows are independent, so the
// expectation of the sum is the sum of per-row expectations): the check of Q1.1 that does
// not use its algebra. d ≤ kMaxFeatures.
double expected_loss_exact(const Data& data, const Vec& w, double p);

double dropout_lambda(double p);                          // λ_d = (1 − p)/p
Vec scaled_dropout_solution(const Data& data, double p);  // p·w_dropout (Q1.2)
Vec dropout_solution(const Data& data, double p);         // w_dropout itself
Vec ridge_solution(const Data& data, double lambda);      // w_L2 (Q1.3)
Vec least_squares(const Data& data);                      // λ = 0 (minimum norm if singular)
// The ridge coefficient each feature gets under dropout (on the p·w scale): λ_d·Γ_ii².
Vec matching_ridge_lambdas(const Data& data, double p);
// The penalty on w_i² inside E[L] (on the w scale): p(1 − p)·Γ_ii².
Vec dropout_penalty(const Data& data, double p);

//-----------------------------------------------------------------------------
// [SECTION] Monte Carlo: sampled masks and dropout SGD
//-----------------------------------------------------------------------------

struct Estimate {
    double mean = 0, sd_of_mean = 0;
};
// The mean of L(w) over `masks` sampled masks, with its standard error.
Estimate expected_loss_monte_carlo(const Data& data, const Vec& w, double p, int masks,
                                   std::uint64_t seed);

// Gradient descent on L(w) with a fresh mask every step (what training with dropout does),
// from w = 0. The step is lr / λ_max(XᵀX) (lr ≤ 1 is stable), and the iterates' running mean
// (Polyak averaging) converges to w_dropout while the iterates themselves keep jittering.
struct SgdRun {
    std::vector<Vec> w;        // w_0 … w_steps
    std::vector<Vec> average;  // running means of w_1 … w_k
};
SgdRun dropout_sgd(const Data& data, double p, double lr, int steps, std::uint64_t seed);

}  // namespace genlab::dropout
