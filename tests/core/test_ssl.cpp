// The linear SimSiam of seed 003 Q5: the flows against finite differences of J, H against
// the flow, the collapse rates of Q5.4 and of the stop-gradient without a predictor, the
// conserved WWᵀ − W_pᵀW_p that keeps SimSiam from collapsing, and Q5.3's bound.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "genlab/ssl.hpp"

namespace ssl = genlab::ssl;
using ssl::Mat;
using ssl::Variant;

namespace {

ssl::Spec spec4() {
    ssl::Spec s;
    s.x_eigs = {2.0, 1.0, 0.5, 0.25};
    s.xp_eigs = {0.4, 0.3, 0.2, 0.1};
    s.n2 = 2;
    s.seed = 7;
    return s;
}

double lambda_min(const Mat& m) {
    return Eigen::SelfAdjointEigenSolver<Mat>(m, Eigen::EigenvaluesOnly).eigenvalues()(0);
}

// −∂J/∂W by central differences; `through_target` differentiates T = W too.
Mat fd_grad_w(const ssl::Problem& pb, const Mat& W, const Mat& Wp, const Mat& T, double wd,
              bool through_target) {
    Mat g(W.rows(), W.cols());
    const double h = 1e-6;
    for (Eigen::Index i = 0; i < W.size(); ++i) {
        Mat a = W, b = W;
        a(i) += h;
        b(i) -= h;
        const double ja = ssl::objective(pb, a, Wp, through_target ? a : T, wd);
        const double jb = ssl::objective(pb, b, Wp, through_target ? b : T, wd);
        g(i) = -(ja - jb) / (2 * h);
    }
    return g;
}

Mat fd_grad_wp(const ssl::Problem& pb, const Mat& W, const Mat& Wp, const Mat& T, double wd) {
    Mat g(Wp.rows(), Wp.cols());
    const double h = 1e-6;
    for (Eigen::Index i = 0; i < Wp.size(); ++i) {
        Mat a = Wp, b = Wp;
        a(i) += h;
        b(i) -= h;
        g(i) = -(ssl::objective(pb, W, a, T, wd) - ssl::objective(pb, W, b, T, wd)) / (2 * h);
    }
    return g;
}

}  // namespace

TEST(Ssl, ProblemIsSpdWithTheGivenSpectraAndDeterministicBySeed) {
    const ssl::Spec s = spec4();
    const ssl::Problem a = ssl::make_problem(s), b = ssl::make_problem(s);
    EXPECT_EQ(a.X, b.X);
    EXPECT_EQ(a.W0, b.W0);
    Eigen::SelfAdjointEigenSolver<Mat> ex(a.X), exp(a.Xp);
    EXPECT_NEAR(ex.eigenvalues()(0), 0.25, 1e-12);
    EXPECT_NEAR(exp.eigenvalues()(0), a.lambda_min_xp, 1e-12);
    EXPECT_NEAR(ex.eigenvalues()(3), 2.0, 1e-12);
    EXPECT_NEAR(exp.eigenvalues()(0), 0.1, 1e-12);
    EXPECT_GT((a.X - Mat(Mat(a.X).diagonal().asDiagonal())).norm(), 0.1);  // rotated
    EXPECT_EQ(a.W0.rows(), 2);
    EXPECT_EQ(a.W0.cols(), 4);
    ssl::Spec other = s;
    other.seed = 8;
    EXPECT_GT((ssl::make_problem(other).W0 - a.W0).norm(), 0.1);
}

TEST(Ssl, SampledInputsHaveCovarianceX) {
    const ssl::Problem pb = ssl::make_problem(spec4());
    const Mat x = ssl::sample_inputs(pb.X, 20000, 3);
    const Mat cov = x * x.transpose() / 20000.0;
    EXPECT_LT((cov - pb.X).norm(), 0.1);  // sd of the estimate ~ ‖X‖·√(2/20000) ≈ 0.03
    EXPECT_EQ(ssl::sample_inputs(pb.X, 5, 3), ssl::sample_inputs(pb.X, 5, 3));
}

TEST(Ssl, ValidationNamesTheKey) {
    ssl::Spec s = spec4();
    s.xp_eigs.pop_back();
    try {
        ssl::make_problem(s);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("ssl.xp_eigs"), std::string::npos);
    }
    s = spec4();
    s.x_eigs[1] = 0;
    EXPECT_THROW(ssl::make_problem(s), std::invalid_argument);
    s = spec4();
    s.dt = 0;
    EXPECT_THROW(ssl::make_problem(s), std::invalid_argument);
}

// Q5.2's Ẇ_p and every variant's Ẇ are −∂J/∂·: through the target for no_stopgrad and
// neither, with the target held for simsiam and no_predictor; with weight decay.
TEST(Ssl, FlowsAreMinusTheGradientOfJ) {
    const ssl::Problem pb = ssl::make_problem(spec4());
    const Mat W = pb.W0, Wp = pb.Wp0 + 0.5 * Mat::Identity(2, 2);
    const Mat I = Mat::Identity(2, 2);
    for (double wd : {0.0, 0.3}) {
        for (Variant v :
             {Variant::SimSiam, Variant::NoStopGrad, Variant::NoPredictor, Variant::Neither}) {
            const ssl::Dynamics dyn{v, wd, 0};
            const ssl::State vel = ssl::velocity(pb, dyn, {W, Wp, W});
            const Mat P = ssl::has_predictor(v) ? Wp : I;
            const Mat want = fd_grad_w(pb, W, P, W, wd, !ssl::has_stop_gradient(v));
            EXPECT_LT((vel.W - want).norm(), 1e-7) << ssl::to_string(v) << " wd " << wd;
            if (ssl::has_predictor(v)) {
                EXPECT_LT((vel.Wp - fd_grad_wp(pb, W, Wp, W, wd)).norm(), 1e-7);
            } else {
                EXPECT_EQ(vel.Wp.norm(), 0.0);
            }
        }
    }
}

// With an EMA target, the stop-gradient variants descend J with T held at the EMA, and T
// moves towards W at rate τ.
TEST(Ssl, EmaTargetIsHeldInTheGradientAndFollowsW) {
    const ssl::Problem pb = ssl::make_problem(spec4());
    const Mat W = pb.W0, Wp = pb.Wp0, T = 0.5 * pb.W0;
    const ssl::State vel = ssl::velocity(pb, {Variant::SimSiam, 0, 2.0}, {W, Wp, T});
    EXPECT_LT((vel.W - fd_grad_w(pb, W, Wp, T, 0, false)).norm(), 1e-7);
    EXPECT_LT((vel.Wp - fd_grad_wp(pb, W, Wp, T, 0)).norm(), 1e-7);
    EXPECT_LT((vel.T - 2.0 * (W - T)).norm(), 1e-12);
}

// Q5.3: the no-stop-gradient flow is vec Ẇ = −H vec W, H symmetric PSD; likewise neither
// (H = 2X′⊗I) and no_predictor without EMA (X′⊗I).
TEST(Ssl, HReproducesTheFlowAndIsPsd) {
    const ssl::Problem pb = ssl::make_problem(spec4());
    const Mat W = pb.W0, Wp = pb.Wp0 + 0.3 * Mat::Identity(2, 2);
    for (Variant v : {Variant::NoStopGrad, Variant::Neither, Variant::NoPredictor}) {
        const ssl::Dynamics dyn{v, 0.1, 0};
        const auto H = ssl::h_matrix(pb, dyn, Wp);
        ASSERT_TRUE(H.has_value()) << ssl::to_string(v);
        EXPECT_LT((*H - H->transpose()).norm(), 1e-14);
        EXPECT_GT(lambda_min(*H), 0);
        const ssl::State vel = ssl::velocity(pb, dyn, {W, Wp, W});
        const Eigen::VectorXd flow = Eigen::Map<const Eigen::VectorXd>(vel.W.data(), vel.W.size());
        const Eigen::VectorXd vecw = Eigen::Map<const Eigen::VectorXd>(W.data(), W.size());
        EXPECT_LT((flow + *H * vecw).norm(), 1e-12) << ssl::to_string(v);
    }
    EXPECT_FALSE(ssl::h_matrix(pb, {Variant::SimSiam, 0, 0}, Wp).has_value());
    EXPECT_FALSE(ssl::h_matrix(pb, {Variant::NoPredictor, 0, 1.0}, Wp).has_value());
    // Q5.4: without predictor and stop-gradient, H = 2 X′ ⊗ I: λ_min = 2 λ_min(X′) = 0.2.
    EXPECT_NEAR(lambda_min(*ssl::h_matrix(pb, {Variant::Neither, 0, 0}, Wp)), 0.2, 1e-12);
}

// Q5.4: W(t) = W(0) e^{−2X′t} collapses at the slowest rate 2 λ_min(X′); the stop-gradient
// without a predictor collapses at λ_min(X′); weight decay adds η to both.
TEST(Ssl, CollapseRatesMatchTheSpectrumOfXPrime) {
    ssl::Spec s = spec4();
    s.dt = 0.05;
    s.steps = 1500;  // t = 75: the slow mode dominates by e^{−0.2·75}
    const ssl::Problem pb = ssl::make_problem(s);
    const ssl::Run neither = ssl::simulate(pb, Variant::Neither, s);
    EXPECT_FALSE(neither.diverged);
    EXPECT_NEAR(ssl::late_decay_rate(neither), 0.2, 2e-3);
    EXPECT_LT(neither.norm_w.back(), 1e-3 * neither.norm_w.front());
    const ssl::Run nopred = ssl::simulate(pb, Variant::NoPredictor, s);
    EXPECT_NEAR(ssl::late_decay_rate(nopred), 0.1, 2e-3);
    s.weight_decay = 0.05;
    EXPECT_NEAR(ssl::late_decay_rate(ssl::simulate(pb, Variant::Neither, s)), 0.25, 2e-3);
    // RK4 against the exact matrix exponential at t = 10 (eigen-decomposition of X′).
    s.weight_decay = 0;
    s.steps = 200;  // t = 10
    const ssl::Run short_run = ssl::simulate(pb, Variant::Neither, s);
    Eigen::SelfAdjointEigenSolver<Mat> eig(pb.Xp);
    const Mat expm = eig.eigenvectors() *
                     (-2.0 * 10 * eig.eigenvalues()).array().exp().matrix().asDiagonal() *
                     eig.eigenvectors().transpose();
    EXPECT_LT((short_run.W.back() - pb.W0 * expm).norm(), 1e-8);
}

// Q5.3's bound ‖w(t)‖ ≤ e^{−λ0 t}‖w(0)‖ holds along every run that has an H, and no-stop-
// gradient with a predictor collapses as the question proves.
TEST(Ssl, NoStopGradientCollapsesWithinTheBound) {
    ssl::Spec s = spec4();
    s.steps = 2000;
    s.dt = 0.05;
    const ssl::Problem pb = ssl::make_problem(s);
    for (Variant v : {Variant::NoStopGrad, Variant::Neither, Variant::NoPredictor}) {
        const ssl::Run run = ssl::simulate(pb, v, s);
        ASSERT_EQ(run.bound.size(), run.t.size());
        EXPECT_GT(run.lambda0, 0);
        for (size_t k = 0; k < run.t.size(); ++k)
            ASSERT_LE(run.norm_w[k], run.bound[k] * (1 + 1e-9)) << ssl::to_string(v) << " " << k;
        EXPECT_LT(run.norm_w.back(), 1e-2 * run.norm_w.front()) << ssl::to_string(v);
    }
    EXPECT_TRUE(ssl::simulate(pb, Variant::SimSiam, s).bound.empty());
}

// SimSiam conserves WWᵀ − W_pᵀW_p (no weight decay, no EMA); from W_p(0) = 0 that keeps
// WWᵀ ⪰ W(0)W(0)ᵀ: no collapse, while the other three variants collapse from the same W(0).
TEST(Ssl, SimSiamFromAZeroPredictorDoesNotCollapse) {
    ssl::Spec s = spec4();
    s.wp_scale = 0;
    s.steps = 4000;
    s.dt = 0.025;  // RK4's O(dt⁴) error: the invariant drifts ~1e-6 at dt = 0.05, ~7e-8 here
    const ssl::Problem pb = ssl::make_problem(s);
    ASSERT_EQ(pb.Wp0.norm(), 0.0);
    const ssl::Run run = ssl::simulate(pb, Variant::SimSiam, s);
    EXPECT_FALSE(run.diverged);
    double drift = 0;
    for (double d : run.invariant_drift) drift = std::max(drift, d);
    EXPECT_LT(drift, 1e-6);
    const Mat gram0 = pb.W0 * pb.W0.transpose();
    EXPECT_GT(lambda_min(run.W.back() * run.W.back().transpose() - gram0), -1e-6);
    EXPECT_GE(run.norm_w.back(), run.norm_w.front() * (1 - 1e-9));
    // The predictor learns: it is no longer zero, and the flow has (nearly) stopped.
    EXPECT_GT(run.wp_eigs.back().cwiseAbs().maxCoeff(), 0.1);
    for (Variant v : {Variant::NoStopGrad, Variant::NoPredictor, Variant::Neither})
        EXPECT_LT(ssl::simulate(pb, v, s).norm_w.back(), 1e-2 * run.norm_w.front());
}

// Weight decay breaks the conservation: d/dt(WWᵀ − W_pᵀW_p) = −2η(WWᵀ − W_pᵀW_p).
TEST(Ssl, WeightDecayShrinksTheInvariantAtTwiceItsRate) {
    ssl::Spec s = spec4();
    s.weight_decay = 0.1;
    s.steps = 200;
    s.dt = 0.025;  // t = 5
    const ssl::Problem pb = ssl::make_problem(s);
    const ssl::Run run = ssl::simulate(pb, Variant::SimSiam, s);
    const Mat inv0 = pb.W0 * pb.W0.transpose() - pb.Wp0.transpose() * pb.Wp0;
    // drift = ‖inv0·e^{−2ηt} − inv0‖ = ‖inv0‖(1 − e^{−1}).
    EXPECT_NEAR(run.invariant_drift.back(), inv0.norm() * (1 - std::exp(-1.0)), 1e-6);
}

TEST(Ssl, RunawayStopsTheRun) {
    ssl::Spec s = spec4();
    s.dt = 5;  // RK4 of ẇ = −2λw is unstable for 2λ·dt > 2.79: λ = 0.4 gives 4
    s.steps = 200;
    const ssl::Run run = ssl::simulate(ssl::make_problem(s), Variant::Neither, s);
    EXPECT_TRUE(run.diverged);
    EXPECT_GT(run.diverged_at, 0);
    EXPECT_EQ(run.t.size(), static_cast<size_t>(run.diverged_at));
    for (double n : run.norm_w) EXPECT_TRUE(std::isfinite(n));
}
