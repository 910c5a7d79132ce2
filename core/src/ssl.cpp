// The linear SimSiam of seed 003 Q5: its objective, the four variants' gradient flows, H,
// and their RK4 integration. See genlab/ssl.hpp.
//
// [SECTION] Problem
// [SECTION] Objective, flows and H
// [SECTION] Integration
#include "genlab/ssl.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

#include "check.hpp"
#include "random.hpp"

namespace genlab::ssl {

using detail::require;
using detail::show;

//-----------------------------------------------------------------------------
// [SECTION] Problem
//-----------------------------------------------------------------------------

const char* to_string(Variant v) {
    switch (v) {
        case Variant::SimSiam:
            return "simsiam";
        case Variant::NoStopGrad:
            return "no_stopgrad";
        case Variant::NoPredictor:
            return "no_predictor";
        case Variant::Neither:
            return "neither";
    }
    return "?";
}

bool has_predictor(Variant v) { return v == Variant::SimSiam || v == Variant::NoStopGrad; }
bool has_stop_gradient(Variant v) { return v == Variant::SimSiam || v == Variant::NoPredictor; }

namespace {

void require_spectrum(const std::vector<double>& eigs, const char* key) {
    for (size_t i = 0; i < eigs.size(); ++i) {
        require(std::isfinite(eigs[i]) && eigs[i] > 0, std::string(key) + "[" + std::to_string(i) +
                                                           "] must be > 0 (got " + show(eigs[i]) +
                                                           "): X and X′ are positive definite");
    }
}

}  // namespace

void validate(const Spec& s) {
    const int n1 = s.n1();
    require(n1 >= 1 && n1 <= kMaxInputs, "ssl.x_eigs must hold 1 to " + std::to_string(kMaxInputs) +
                                             " eigenvalues (got " + std::to_string(n1) + ")");
    require(static_cast<int>(s.xp_eigs.size()) == n1,
            "ssl.xp_eigs must hold as many eigenvalues as ssl.x_eigs (" + std::to_string(n1) +
                ", got " + std::to_string(s.xp_eigs.size()) + ")");
    require_spectrum(s.x_eigs, "ssl.x_eigs");
    require_spectrum(s.xp_eigs, "ssl.xp_eigs");
    require(s.n2 >= 1 && s.n2 <= kMaxOutputs, "ssl.n2 must be in [1, " +
                                                  std::to_string(kMaxOutputs) + "] (got " +
                                                  std::to_string(s.n2) + ")");
    require(s.w_scale > 0 && std::isfinite(s.w_scale),
            "ssl.w_scale must be > 0 (got " + show(s.w_scale) + ")");
    require(s.wp_scale >= 0 && std::isfinite(s.wp_scale),
            "ssl.wp_scale must be >= 0 (got " + show(s.wp_scale) + ")");
    require(s.weight_decay >= 0 && std::isfinite(s.weight_decay),
            "ssl.weight_decay must be >= 0 (got " + show(s.weight_decay) + ")");
    require(s.ema >= 0 && std::isfinite(s.ema), "ssl.ema must be >= 0 (got " + show(s.ema) + ")");
    require(s.dt > 0 && std::isfinite(s.dt), "ssl.dt must be > 0 (got " + show(s.dt) + ")");
    require(s.steps >= 1, "ssl.steps must be >= 1 (got " + std::to_string(s.steps) + ")");
}

namespace {

Mat gaussian_matrix(int rows, int cols, double sd, detail::Random& rng) {
    Mat m(rows, cols);
    for (int j = 0; j < cols; ++j)
        for (int i = 0; i < rows; ++i) m(i, j) = sd * rng.normal();
    return m;
}

// A Haar-random rotation: Q of the QR of a Gaussian matrix, signs fixed by R's diagonal.
Mat random_rotation(int n, detail::Random& rng) {
    const Mat g = gaussian_matrix(n, n, 1.0, rng);
    Eigen::HouseholderQR<Mat> qr(g);
    Mat q = qr.householderQ();
    const Mat r = qr.matrixQR();
    for (int j = 0; j < n; ++j)
        if (r(j, j) < 0) q.col(j) = -q.col(j);
    return q;
}

Mat spd(const std::vector<double>& eigs, const Mat& q) {
    const Vec d = Eigen::Map<const Vec>(eigs.data(), static_cast<Eigen::Index>(eigs.size()));
    Mat m = q * d.asDiagonal() * q.transpose();
    return 0.5 * (m + m.transpose());  // exactly symmetric
}

}  // namespace

Problem make_problem(const Spec& s) {
    validate(s);
    detail::Random rng(s.seed);
    const int n1 = s.n1(), n2 = s.n2;
    Problem pb;
    pb.X = spd(s.x_eigs, random_rotation(n1, rng));
    pb.Xp = spd(s.xp_eigs, random_rotation(n1, rng));
    pb.W0 = gaussian_matrix(n2, n1, s.w_scale / std::sqrt(n1), rng);
    pb.Wp0 = gaussian_matrix(n2, n2, s.wp_scale / std::sqrt(n2), rng);
    pb.lambda_min_xp = *std::min_element(s.xp_eigs.begin(), s.xp_eigs.end());
    return pb;
}

Mat sample_inputs(const Mat& X, int count, std::uint64_t seed) {
    require(count >= 1, "sample_inputs: count must be >= 1");
    detail::Random rng(seed);
    const Mat L = Eigen::LLT<Mat>(X).matrixL();
    return L * gaussian_matrix(static_cast<int>(X.rows()), count, 1.0, rng);
}

//-----------------------------------------------------------------------------
// [SECTION] Objective, flows and H
//-----------------------------------------------------------------------------

double objective(const Problem& pb, const Mat& W, const Mat& Wp, const Mat& T, double wd) {
    const Mat S = pb.X + pb.Xp;
    const double j =
        0.5 * ((Wp.transpose() * Wp * W * S * W.transpose()).trace() -
               2 * (Wp * W * pb.X * T.transpose()).trace() + (T * S * T.transpose()).trace());
    return j + 0.5 * wd * (W.squaredNorm() + Wp.squaredNorm());
}

State velocity(const Problem& pb, const Dynamics& dyn, const State& s) {
    const int n2 = static_cast<int>(s.W.rows());
    const Mat I = Mat::Identity(n2, n2);
    const Mat Wp = has_predictor(dyn.variant) ? s.Wp : I;
    const Mat S = pb.X + pb.Xp;
    const bool ema = dyn.ema > 0 && has_stop_gradient(dyn.variant);
    const Mat& T = ema ? s.T : s.W;
    State v;
    // The gradient through the online branch (Wp W x1), which every variant has.
    const Mat residual = Wp * s.W * S - T * pb.X;  // E[(W_p f1 − f2) x1ᵀ]
    v.W = -Wp.transpose() * residual;
    if (!has_stop_gradient(dyn.variant)) {
        // The gradient through the target branch too: −E[(W_p f1 − f2) x2ᵀ].
        v.W += Wp * s.W * pb.X - s.W * S;
    }
    v.W -= dyn.weight_decay * s.W;
    if (has_predictor(dyn.variant)) {
        v.Wp = -(Wp * s.W * S - T * pb.X) * s.W.transpose() - dyn.weight_decay * s.Wp;
    } else {
        v.Wp = Mat::Zero(n2, n2);  // W_p is I, fixed
    }
    v.T = ema ? Mat(dyn.ema * (s.W - s.T)) : Mat(v.W);
    return v;
}

namespace {

// Kronecker product A ⊗ B (Eigen's is in unsupported/; this one is four lines).
Mat kron(const Mat& A, const Mat& B) {
    Mat out(A.rows() * B.rows(), A.cols() * B.cols());
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < A.cols(); ++j)
            out.block(i * B.rows(), j * B.cols(), B.rows(), B.cols()) = A(i, j) * B;
    return out;
}

}  // namespace

std::optional<Mat> h_matrix(const Problem& pb, const Dynamics& dyn, const Mat& Wp_state) {
    const int n2 = static_cast<int>(Wp_state.rows());
    const Mat I = Mat::Identity(n2, n2);
    const Mat Wp = has_predictor(dyn.variant) ? Wp_state : I;
    const int n = static_cast<int>(pb.X.rows()) * n2;
    Mat H;
    switch (dyn.variant) {
        case Variant::SimSiam:
            return std::nullopt;
        case Variant::NoPredictor:
            if (dyn.ema > 0) return std::nullopt;  // Ẇ then involves the target T
            H = kron(pb.Xp, I);
            break;
        case Variant::NoStopGrad:
        case Variant::Neither: {
            const Mat Wt = Wp - I;
            H = kron(pb.Xp, Wp.transpose() * Wp + I) + kron(pb.X, Wt.transpose() * Wt);
            break;
        }
    }
    H += dyn.weight_decay * Mat::Identity(n, n);
    return H;
}

//-----------------------------------------------------------------------------
// [SECTION] Integration
//-----------------------------------------------------------------------------

namespace {

State axpy(const State& s, double h, const State& v) {
    return {s.W + h * v.W, s.Wp + h * v.Wp, s.T + h * v.T};
}

State rk4(const Problem& pb, const Dynamics& dyn, const State& s, double h) {
    const State k1 = velocity(pb, dyn, s);
    const State k2 = velocity(pb, dyn, axpy(s, h / 2, k1));
    const State k3 = velocity(pb, dyn, axpy(s, h / 2, k2));
    const State k4 = velocity(pb, dyn, axpy(s, h, k3));
    State out = s;
    out.W += h / 6 * (k1.W + 2 * k2.W + 2 * k3.W + k4.W);
    out.Wp += h / 6 * (k1.Wp + 2 * k2.Wp + 2 * k3.Wp + k4.Wp);
    out.T += h / 6 * (k1.T + 2 * k2.T + 2 * k3.T + k4.T);
    return out;
}

bool runaway(const State& s) {
    const double n = s.W.norm() + s.Wp.norm() + s.T.norm();
    return !std::isfinite(n) || n > kRunawayNorm;
}

Eigen::VectorXcd sorted_eigenvalues(const Mat& m) {
    Eigen::VectorXcd e = Eigen::EigenSolver<Mat>(m, false).eigenvalues();
    std::sort(e.data(), e.data() + e.size(), [](auto a, auto b) {
        return a.real() != b.real() ? a.real() > b.real() : a.imag() > b.imag();
    });
    return e;
}

void record(Run& run, const Problem& pb, const Dynamics& dyn, const State& s, double t,
            const Mat& invariant0) {
    const int n2 = static_cast<int>(s.W.rows());
    const Mat Wp = has_predictor(dyn.variant) ? s.Wp : Mat::Identity(n2, n2);
    run.t.push_back(t);
    run.W.push_back(s.W);
    run.norm_w.push_back(s.W.norm());
    run.singular_values.push_back(Eigen::JacobiSVD<Mat>(s.W).singularValues());
    run.wp_eigs.push_back(sorted_eigenvalues(Wp));
    if (const auto H = h_matrix(pb, dyn, s.Wp)) {
        Eigen::SelfAdjointEigenSolver<Mat> eig(*H, Eigen::EigenvaluesOnly);
        run.lambda_min_h.push_back(eig.eigenvalues()(0));
    }
    if (dyn.variant == Variant::SimSiam) {
        const Mat inv = s.W * s.W.transpose() - s.Wp.transpose() * s.Wp;
        run.invariant_drift.push_back((inv - invariant0).norm());
    }
}

}  // namespace

Run simulate(const Problem& pb, Variant variant, const Spec& spec) {
    validate(spec);
    const Dynamics dyn{variant, spec.weight_decay, spec.ema};
    State s{pb.W0, has_predictor(variant) ? pb.Wp0 : Mat::Identity(spec.n2, spec.n2), pb.W0};
    const Mat invariant0 = s.W * s.W.transpose() - s.Wp.transpose() * s.Wp;
    Run run;
    run.variant = variant;
    record(run, pb, dyn, s, 0, invariant0);
    for (int k = 1; k <= spec.steps; ++k) {
        const State next = rk4(pb, dyn, s, spec.dt);
        if (runaway(next)) {
            run.diverged = true;
            run.diverged_at = k;
            break;
        }
        s = next;
        record(run, pb, dyn, s, k * spec.dt, invariant0);
    }
    if (!run.invariant_drift.empty()) {
        run.invariant_drift_max =
            *std::max_element(run.invariant_drift.begin(), run.invariant_drift.end());
    }
    if (!run.lambda_min_h.empty()) {
        run.lambda0 = *std::min_element(run.lambda_min_h.begin(), run.lambda_min_h.end());
        for (double t : run.t) run.bound.push_back(std::exp(-run.lambda0 * t) * run.norm_w[0]);
    }
    return run;
}

double decay_rate(const Run& run, double from, double to) {
    const size_t n = run.t.size();
    if (n < 5 || !(from >= 0 && from < to && to <= 1)) return NAN;
    const auto index = [&](double f) { return static_cast<size_t>(std::lround(f * (n - 1))); };
    const size_t a = index(from), b = index(to);
    if (b <= a || !(run.norm_w[a] > 0 && run.norm_w[b] > 0)) return NAN;
    return -(std::log(run.norm_w[b]) - std::log(run.norm_w[a])) / (run.t[b] - run.t[a]);
}

double late_decay_rate(const Run& run) { return decay_rate(run, 0.8, 1.0); }

}  // namespace genlab::ssl
