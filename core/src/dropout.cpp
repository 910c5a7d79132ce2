// Dropout on the inputs of linear regression: the expected loss, its closed-form minimizer,
// ridge, and Monte Carlo checks. See genlab/dropout.hpp.
//
// [SECTION] Data
// [SECTION] The expected loss and the closed forms
// [SECTION] Monte Carlo: sampled masks and dropout SGD
#include "genlab/dropout.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <cmath>
#include <random>

#include "check.hpp"
#include "random.hpp"

namespace genlab::dropout {

using detail::require;
using detail::show;

using detail::Random;

//-----------------------------------------------------------------------------
// [SECTION] Data
//-----------------------------------------------------------------------------

void validate(const DataSpec& s) {
    const int d = static_cast<int>(s.scales.size());
    require(d >= 1 && d <= kMaxFeatures, "dropout.scales must hold 1 to " +
                                             std::to_string(kMaxFeatures) + " features (got " +
                                             std::to_string(d) + ")");
    require(static_cast<int>(s.w_true.size()) == d,
            "dropout.w_true must have one weight per feature (" + std::to_string(d) + ", got " +
                std::to_string(s.w_true.size()) + ")");
    require(s.n >= 2 && s.n <= kMaxSamples, "dropout.n must be in [2, " +
                                                std::to_string(kMaxSamples) + "] (got " +
                                                std::to_string(s.n) + ")");
    for (int i = 0; i < d; ++i) {
        require(std::isfinite(s.scales[i]) && s.scales[i] > 0,
                "dropout.scales[" + std::to_string(i) + "] must be > 0 (got " + show(s.scales[i]) +
                    ")");
        require(std::isfinite(s.w_true[i]), "dropout.w_true[" + std::to_string(i) +
                                                "] must be finite (got " + show(s.w_true[i]) + ")");
    }
    require(std::isfinite(s.correlation) && std::abs(s.correlation) < 1,
            "dropout.correlation must be in (−1, 1) (got " + show(s.correlation) + ")");
    require(std::isfinite(s.noise) && s.noise >= 0,
            "dropout.noise must be >= 0 (got " + show(s.noise) + ")");
}

Data make_data(const DataSpec& s) {
    validate(s);
    const int d = static_cast<int>(s.scales.size());
    Mat cov(d, d);
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j)
            cov(i, j) = s.scales[i] * s.scales[j] * std::pow(s.correlation, std::abs(i - j));
    const Mat L = Eigen::LLT<Mat>(cov).matrixL();
    Random rng(s.seed);
    Data data;
    data.X.resize(s.n, d);
    data.y.resize(s.n);
    const Vec w = Eigen::Map<const Vec>(s.w_true.data(), d);
    for (int r = 0; r < s.n; ++r) {
        Vec z(d);
        for (int i = 0; i < d; ++i) z(i) = rng.normal();
        data.X.row(r) = (L * z).transpose();
        data.y(r) = data.X.row(r).dot(w) + s.noise * rng.normal();
    }
    return data;
}

Vec gamma_diag(const Data& data) { return data.X.colwise().norm().transpose(); }

//-----------------------------------------------------------------------------
// [SECTION] The expected loss and the closed forms
//-----------------------------------------------------------------------------

double loss(const Data& data, const Vec& w) { return (data.y - data.X * w).squaredNorm(); }

double expected_loss(const Data& data, const Vec& w, double p) {
    const Vec gw = gamma_diag(data).cwiseProduct(w);
    return (data.y - p * data.X * w).squaredNorm() + p * (1 - p) * gw.squaredNorm();
}

double expected_loss_exact(const Data& data, const Vec& w, double p) {
    const int d = static_cast<int>(data.X.cols());
    require(d <= kMaxFeatures,
            "exact enumeration needs at most " + std::to_string(kMaxFeatures) + " features");
    // Per mask m (bit i: feature i kept): its probability and, for each row, the residual.
    double total = 0;
    for (unsigned m = 0; m < (1u << d); ++m) {
        double prob = 1;
        Vec kept_w(d);
        for (int i = 0; i < d; ++i) {
            const bool kept = (m >> i) & 1u;
            prob *= kept ? p : 1 - p;
            kept_w(i) = kept ? w(i) : 0.0;
        }
        if (prob == 0) continue;
        // Every row draws its own mask, so Σ_rows E[(y_r − x_r·(r ⊙ w))²] = Σ_m P(m)·‖y − X(m⊙w)‖².
        total += prob * (data.y - data.X * kept_w).squaredNorm();
    }
    return total;
}

double dropout_lambda(double p) {
    require(p > 0 && p <= 1,
            "dropout.p (the keep probability) must be in (0, 1] (got " + show(p) + ")");
    return (1 - p) / p;
}

namespace {

// (XᵀX + D)⁻¹ Xᵀy for a diagonal D ≥ 0, by a complete orthogonal decomposition so that a
// singular XᵀX at D = 0 (collinear features) still gives the minimum-norm solution.
Vec regularized_solve(const Data& data, const Vec& diagonal) {
    Mat A = data.X.transpose() * data.X;
    A.diagonal() += diagonal;
    return A.completeOrthogonalDecomposition().solve(data.X.transpose() * data.y);
}

}  // namespace

Vec scaled_dropout_solution(const Data& data, double p) {
    const Vec g = gamma_diag(data);
    return regularized_solve(data, dropout_lambda(p) * g.cwiseProduct(g));
}

Vec dropout_solution(const Data& data, double p) { return scaled_dropout_solution(data, p) / p; }

Vec ridge_solution(const Data& data, double lambda) {
    require(std::isfinite(lambda) && lambda >= 0,
            "dropout.lambda must be >= 0 (got " + show(lambda) + ")");
    return regularized_solve(data, Vec::Constant(data.X.cols(), lambda));
}

Vec least_squares(const Data& data) { return ridge_solution(data, 0); }

Vec matching_ridge_lambdas(const Data& data, double p) {
    const Vec g = gamma_diag(data);
    return dropout_lambda(p) * g.cwiseProduct(g);
}

Vec dropout_penalty(const Data& data, double p) {
    dropout_lambda(p);  // checks p
    const Vec g = gamma_diag(data);
    return p * (1 - p) * g.cwiseProduct(g);
}

//-----------------------------------------------------------------------------
// [SECTION] Monte Carlo: sampled masks and dropout SGD
//-----------------------------------------------------------------------------

namespace {

// X ⊙ R for a fresh mask R.
Mat masked(const Mat& X, double p, Random& rng) {
    Mat out = X;
    for (Eigen::Index j = 0; j < X.cols(); ++j)
        for (Eigen::Index i = 0; i < X.rows(); ++i)
            if (!rng.keep(p)) out(i, j) = 0;
    return out;
}

}  // namespace

Estimate expected_loss_monte_carlo(const Data& data, const Vec& w, double p, int masks,
                                   std::uint64_t seed) {
    dropout_lambda(p);
    require(masks >= 2, "dropout Monte Carlo needs at least 2 masks");
    Random rng(seed);
    double sum = 0, sum_sq = 0;
    for (int k = 0; k < masks; ++k) {
        const double l = (data.y - masked(data.X, p, rng) * w).squaredNorm();
        sum += l;
        sum_sq += l * l;
    }
    Estimate e;
    e.mean = sum / masks;
    const double var = std::max(0.0, (sum_sq - masks * e.mean * e.mean) / (masks - 1));
    e.sd_of_mean = std::sqrt(var / masks);
    return e;
}

SgdRun dropout_sgd(const Data& data, double p, double lr, int steps, std::uint64_t seed) {
    dropout_lambda(p);
    require(std::isfinite(lr) && lr > 0 && lr <= 2,
            "dropout.sgd_lr must be in (0, 2] (got " + show(lr) + ")");
    require(steps >= 0, "dropout.sgd_steps must be >= 0");
    const Mat gram = data.X.transpose() * data.X;
    const double lmax =
        Eigen::SelfAdjointEigenSolver<Mat>(gram, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
    // ∇L = −2 (X⊙R)ᵀ(y − (X⊙R)w); E[∇] has curvature 2·(p²XᵀX + p(1−p)Γ²) ≤ 2·p·λ_max, so
    // lr/(2·λ_max) keeps every step within the stable range for lr ≤ 1.
    const double eta = lr / (2 * std::max(lmax, 1e-300));
    Random rng(seed);
    SgdRun run;
    Vec w = Vec::Zero(data.X.cols()), mean = w;
    run.w.push_back(w);
    for (int k = 1; k <= steps; ++k) {
        const Mat Xr = masked(data.X, p, rng);
        w += 2 * eta * Xr.transpose() * (data.y - Xr * w);
        mean += (w - mean) / k;
        run.w.push_back(w);
        run.average.push_back(mean);
    }
    return run;
}

}  // namespace genlab::dropout
