// Dropout as data-dependent L2 (seed 002 Q1): the expectation identity against exact
// enumeration of masks, the closed forms against their stationarity conditions and direct
// solves, the scale-free shrinkage of uncorrelated features, and the Monte Carlo checks.
#include "genlab/dropout.hpp"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <stdexcept>

using namespace genlab::dropout;

namespace {

Data example(int d = 3, double correlation = 0.5, int n = 30) {
    DataSpec s;
    s.n = n;
    s.scales.clear();
    s.w_true.clear();
    for (int i = 0; i < d; ++i) {
        s.scales.push_back(0.5 + 1.5 * i);
        s.w_true.push_back(i % 2 ? -1.0 : 2.0);
    }
    s.correlation = correlation;
    s.noise = 0.3;
    s.seed = 7;
    return make_data(s);
}

// Central differences of f at w.
template <class F>
Vec numeric_gradient(F f, const Vec& w, double h = 1e-5) {
    Vec g(w.size());
    for (Eigen::Index i = 0; i < w.size(); ++i) {
        Vec a = w, b = w;
        a(i) += h;
        b(i) -= h;
        g(i) = (f(a) - f(b)) / (2 * h);
    }
    return g;
}

}  // namespace

TEST(DropoutExpectation, ClosedFormEqualsExactEnumerationOfMasks) {  // Q1.1
    const Data data = example(4);
    const Vec w = (Vec(4) << 0.7, -1.2, 0.4, 2.0).finished();
    for (double p : {0.1, 0.5, 0.8, 1.0}) {
        const double exact = expected_loss_exact(data, w, p);
        EXPECT_NEAR(expected_loss(data, w, p), exact, 1e-10 * exact) << "p = " << p;
    }
    // The identity is not trivial: without the p(1 − p)‖Γw‖² term it fails.
    const double p = 0.5;
    EXPECT_GT(expected_loss_exact(data, w, p) - (data.y - p * data.X * w).squaredNorm(), 1.0);
}

TEST(DropoutExpectation, MonteCarloAgreesWithinItsStandardError) {
    const Data data = example(3);
    const Vec w = (Vec(3) << 1.0, -0.5, 0.3).finished();
    const Estimate e = expected_loss_monte_carlo(data, w, 0.6, 4000, 11);
    EXPECT_GT(e.sd_of_mean, 0);
    EXPECT_LT(std::abs(e.mean - expected_loss(data, w, 0.6)), 4 * e.sd_of_mean);
}

TEST(DropoutSolution, IsTheStationaryPointOfTheExpectedLoss) {  // Q1.2
    const Data data = example(3);
    for (double p : {0.3, 0.7}) {
        const Vec w = dropout_solution(data, p);
        const Vec g = numeric_gradient([&](const Vec& v) { return expected_loss(data, v, p); }, w);
        EXPECT_LT(g.norm(), 1e-5 * (1 + data.y.squaredNorm())) << "p = " << p;
        // Direct solve of p·XᵀX·w + (1 − p)·Γ²·w = Xᵀy, the stationarity condition / p.
        Mat A = p * data.X.transpose() * data.X;
        const Vec gamma = data.X.colwise().norm().transpose();
        A.diagonal() += (1 - p) * gamma.cwiseProduct(gamma);
        const Vec direct = A.ldlt().solve(data.X.transpose() * data.y);
        EXPECT_LT((w - direct).norm(), 1e-10 * direct.norm());
        EXPECT_NEAR(dropout_lambda(p), (1 - p) / p, 1e-15);
    }
}

TEST(DropoutSolution, KeepingEverythingIsLeastSquares) {
    const Data data = example(3);
    EXPECT_LT((dropout_solution(data, 1.0) - least_squares(data)).norm(), 1e-10);
    EXPECT_LT((scaled_dropout_solution(data, 1e-6)).norm(), 1e-3 * least_squares(data).norm());
}

TEST(RidgeSolution, IsTheStationaryPointOfThePenalizedLoss) {  // Q1.3
    const Data data = example(3);
    const double lambda = 5.0;
    const Vec w = ridge_solution(data, lambda);
    const Vec g =
        numeric_gradient([&](const Vec& v) { return loss(data, v) + lambda * v.squaredNorm(); }, w);
    EXPECT_LT(g.norm(), 1e-5 * (1 + data.y.squaredNorm()));
    EXPECT_THROW(ridge_solution(data, -1), std::invalid_argument);
}

TEST(DropoutVsRidge, UncorrelatedFeaturesShrinkByOneFactorUnderDropoutOnly) {  // Q1.4
    // Orthogonal columns of very different scales: dropout (on the p·w scale) shrinks every
    // least-squares weight by 1/(1 + λ_d); ridge shrinks by Γ_ii²/(Γ_ii² + λ), far more for
    // the small-scale feature.
    Data data;
    data.X = Mat::Zero(4, 2);
    data.X(0, 0) = 1, data.X(1, 0) = -1;   // ‖column 0‖² = 2
    data.X(2, 1) = 10, data.X(3, 1) = 10;  // ‖column 1‖² = 200
    data.y = (Vec(4) << 1, -1, 5, 7).finished();
    const Vec ols = least_squares(data);
    const double p = 0.5, lambda_d = dropout_lambda(p);
    const Vec pw = scaled_dropout_solution(data, p);
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(pw(i), ols(i) / (1 + lambda_d), 1e-12);
    const Vec ridge = ridge_solution(data, 2.0);
    EXPECT_NEAR(ridge(0) / ols(0), 2.0 / 4.0, 1e-12);
    EXPECT_NEAR(ridge(1) / ols(1), 200.0 / 202.0, 1e-12);
    // The per-feature ridge coefficient that dropout amounts to is λ_d·Γ_ii².
    const Vec match = matching_ridge_lambdas(data, p);
    EXPECT_NEAR(match(0), 2.0, 1e-12);
    EXPECT_NEAR(match(1), 200.0, 1e-12);
    EXPECT_NEAR(dropout_penalty(data, p)(1), 0.25 * 200, 1e-12);
}

TEST(DropoutSgd, TheAveragedIteratesConvergeToTheClosedForm) {
    const Data data = example(2, 0.3, 40);
    const double p = 0.6;
    const SgdRun run = dropout_sgd(data, p, 0.5, 20000, 3);
    ASSERT_EQ(run.w.size(), 20001u);
    const Vec target = dropout_solution(data, p);
    EXPECT_LT((run.average.back() - target).norm(), 0.03 * target.norm());
    // The last iterate alone still jitters: the average is what converges.
    EXPECT_GT((run.w.back() - target).norm(), (run.average.back() - target).norm());
    EXPECT_THROW(dropout_sgd(data, p, 3.0, 10, 1), std::invalid_argument);
}

TEST(DropoutData, IsDeterministicAndHasTheRequestedCorrelation) {
    DataSpec s;
    s.n = 2000;
    s.scales = {1, 3};
    s.correlation = 0.8;
    s.w_true = {1, 1};
    const Data a = make_data(s), b = make_data(s);
    EXPECT_EQ(a.X, b.X);
    const Vec m = a.X.colwise().mean();
    const Mat c = a.X.rowwise() - m.transpose();
    const Mat cov = c.transpose() * c / (s.n - 1);
    EXPECT_NEAR(cov(0, 1) / std::sqrt(cov(0, 0) * cov(1, 1)), 0.8, 0.03);
    EXPECT_NEAR(std::sqrt(cov(1, 1)), 3.0, 0.15);
    s.correlation = 1.0;
    EXPECT_THROW(make_data(s), std::invalid_argument);
    s.correlation = 0;
    s.w_true = {1};
    EXPECT_THROW(make_data(s), std::invalid_argument);
}
