// GAN dynamics core: the seed answers (002 Q5 Dirac-GAN spectra with and without R1, 000 Q6
// bilinear simultaneous GDA), the analytic Jacobians against finite differences, RK4
// conservation, divergence reporting and the threaded batch.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "genlab/gan.hpp"

using namespace genlab::gan;

namespace {

State vec(std::initializer_list<double> values) {
    State x(static_cast<Eigen::Index>(values.size()));
    Eigen::Index i = 0;
    for (double v : values) x(i++) = v;
    return x;
}

Params dirac(Loss loss = Loss::Saturating, double gamma = 0.0) {
    Params p;
    p.system = System::Dirac;
    p.loss = loss;
    p.gamma = gamma;
    return p;
}

Params bilinear(Method method, double lr) {
    Params p;
    p.system = System::Bilinear;
    p.method = method;
    p.lr = lr;
    return p;
}

// Largest entry-wise difference relative to the larger matrix's scale (at least 1, so that
// entries near 0 are compared absolutely).
double relative_error(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    const double scale = std::max({1.0, a.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff()});
    return (a - b).cwiseAbs().maxCoeff() / scale;
}

// Central differences of the one-step map, independent of step_jacobian's chain rule.
Eigen::MatrixXd step_jacobian_fd(const Params& p, const State& x, double h = 1e-6) {
    const int n = static_cast<int>(x.size());
    Eigen::MatrixXd j(n, n);
    for (int c = 0; c < n; ++c) {
        State plus = x, minus = x;
        plus(c) += h;
        minus(c) -= h;
        j.col(c) = (step(p, plus) - step(p, minus)) / (2 * h);
    }
    return j;
}

std::vector<State> random_states(System system, int count, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-2.0, 2.0);
    std::vector<State> out;
    for (int i = 0; i < count; ++i) {
        State x(dimension(system));
        for (int k = 0; k < x.size(); ++k) x(k) = u(rng);
        out.push_back(x);
    }
    return out;
}

void expect_eigenvalues(const std::vector<Complex>& got, const std::vector<Complex>& want,
                        double tol, const std::string& label) {
    ASSERT_EQ(got.size(), want.size()) << label;
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i].real(), want[i].real(), tol) << label << " eigenvalue " << i;
        EXPECT_NEAR(got[i].imag(), want[i].imag(), tol) << label << " eigenvalue " << i;
    }
}

std::string expect_invalid(const Params& p) {
    try {
        validate(p);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "validate() accepted lr=" << p.lr << " gamma=" << p.gamma
                  << " n_critic=" << p.n_critic;
    return "";
}

}  // namespace

//-----------------------------------------------------------------------------
// Seed 002 Q5: the Dirac-GAN at its equilibrium
//-----------------------------------------------------------------------------

TEST(GanDirac, VelocityMatchesTheSeedFormulaAndVanishesAtTheOrigin) {
    const Params p = dirac();
    EXPECT_EQ(equilibrium(p), State::Zero(3));
    EXPECT_EQ(velocity(p, equilibrium(p)), State::Zero(3));

    // v = (−θσ(C(θ)), σ(−ψ1) − σ(C(θ)), ψ0σ(C(θ))) at ψ0 = 0.5, ψ1 = −0.25, θ = 1.5.
    const State x = vec({0.5, -0.25, 1.5});
    const double s = 1 / (1 + std::exp(-(0.5 * 1.5 - 0.25)));
    const double s1 = 1 / (1 + std::exp(-0.25));
    const State v = velocity(p, x);
    EXPECT_NEAR(v(0), -1.5 * s, 1e-15);
    EXPECT_NEAR(v(1), s1 - s, 1e-15);
    EXPECT_NEAR(v(2), 0.5 * s, 1e-15);
    // R1 only touches the critic's ψ0.
    const State vr = velocity(dirac(Loss::Saturating, 0.7), x);
    EXPECT_NEAR(vr(0), -1.5 * s - 0.7 * 0.5, 1e-15);
    EXPECT_EQ(vr(1), v(1));
    EXPECT_EQ(vr(2), v(2));
    // The non-saturating generator ascends log σ(C(θ)): v_θ = ψ0σ(−C(θ)).
    EXPECT_NEAR(velocity(dirac(Loss::NonSaturating), x)(2), 0.5 * (1 - s), 1e-15);
}

TEST(GanDirac, JacobianAtTheOriginIsTheSeedMatrix) {
    Eigen::MatrixXd seed(3, 3);
    seed << 0, 0, -0.5, 0, -0.5, 0, 0.5, 0, 0;
    const Params p = dirac();
    const Eigen::MatrixXd j = jacobian(p, equilibrium(p));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) EXPECT_EQ(j(r, c), seed(r, c)) << "J(" << r << ", " << c << ")";
    // {−1/2, ±i/2}: sorted by real part, then imaginary part.
    expect_eigenvalues(eigenvalues(j), {{-0.5, 0}, {0, -0.5}, {0, 0.5}}, 1e-12, "J*");
}

TEST(GanDirac, R1EigenvaluesMatchTheClosedForm) {
    for (double gamma : {0.3, 0.5, 1.0, 2.0, 3.0}) {
        const Params p = dirac(Loss::Saturating, gamma);
        const std::vector<Complex> got = eigenvalues(jacobian(p, equilibrium(p)));
        // (−γ ± √(γ² − 1))/2, complex below the critical γ = 1, plus ψ1's −1/2.
        const Complex root = std::sqrt(Complex(gamma * gamma - 1, 0));
        std::vector<Complex> want = {-0.5, (-gamma - root) / 2.0, (-gamma + root) / 2.0};
        std::sort(want.begin(), want.end(), [](const Complex& a, const Complex& b) {
            return a.real() != b.real() ? a.real() < b.real() : a.imag() < b.imag();
        });
        expect_eigenvalues(got, want, 1e-9, "gamma=" + std::to_string(gamma));
        const int complex_count = static_cast<int>(
            std::count_if(got.begin(), got.end(), [](const Complex& z) { return z.imag() != 0; }));
        EXPECT_EQ(complex_count, gamma < 1 ? 2 : 0) << "gamma=" << gamma;
    }
}

TEST(GanDirac, NonSaturatingHasTheSameJacobianAtTheOriginButNotElsewhere) {
    for (double gamma : {0.0, 0.7}) {
        const Params sat = dirac(Loss::Saturating, gamma);
        const Params ns = dirac(Loss::NonSaturating, gamma);
        EXPECT_EQ(jacobian(sat, equilibrium(sat)), jacobian(ns, equilibrium(ns)));
        const State x = vec({0.8, -0.3, 0.6});
        EXPECT_GT((jacobian(sat, x) - jacobian(ns, x)).cwiseAbs().maxCoeff(), 1e-3);
    }
}

TEST(GanDirac, LargeLogitsStayFinite) {
    // |C(θ)| = 1e6: a naive 1/(1 + e^−x) or e^x/(1 + e^x) overflows to inf/inf there.
    for (Loss loss : {Loss::Saturating, Loss::NonSaturating}) {
        for (double sign : {1.0, -1.0}) {
            const Params p = dirac(loss, 0.5);
            const State x = vec({sign * 1000, sign * 800, 1000});
            EXPECT_TRUE(velocity(p, x).allFinite()) << to_string(loss) << " sign " << sign;
            EXPECT_TRUE(jacobian(p, x).allFinite()) << to_string(loss) << " sign " << sign;
        }
    }
    // σ(+big) = 1 and σ(−big) = 0 exactly: v = (−θ, σ(−ψ1) − 1, ψ0) − γψ0 at C ≫ 0.
    const State v = velocity(dirac(), vec({2, 1000, 3}));
    EXPECT_DOUBLE_EQ(v(0), -3);
    EXPECT_DOUBLE_EQ(v(1), -1);
    EXPECT_DOUBLE_EQ(v(2), 2);
}

//-----------------------------------------------------------------------------
// Jacobians against finite differences
//-----------------------------------------------------------------------------

TEST(GanJacobian, AnalyticMatchesFiniteDifferences) {
    for (Loss loss : {Loss::Saturating, Loss::NonSaturating}) {
        for (double gamma : {0.0, 0.7}) {
            const Params p = dirac(loss, gamma);
            for (const State& x : random_states(System::Dirac, 8, 7)) {
                ASSERT_GT(velocity(p, x).norm(), 1e-3);  // not an equilibrium
                EXPECT_LT(relative_error(jacobian(p, x), jacobian_fd(p, x)), 1e-6)
                    << to_string(loss) << " gamma " << gamma << " at " << x.transpose();
            }
        }
    }
    Params b = bilinear(Method::Simultaneous, 0.1);
    b.gamma = 5;  // ignored by the bilinear game
    Eigen::Matrix2d want;
    want << 0, 1, -1, 0;
    for (const State& x : random_states(System::Bilinear, 4, 8)) {
        EXPECT_EQ(jacobian(b, x), Eigen::MatrixXd(want));
        EXPECT_LT(relative_error(jacobian(b, x), jacobian_fd(b, x)), 1e-6);
    }
}

TEST(GanStep, StepJacobianMatchesFiniteDifferencesOfStep) {
    struct Case {
        Method method;
        int n_critic;
    };
    const Case cases[] = {{Method::Flow, 1},
                          {Method::Simultaneous, 1},
                          {Method::Alternating, 1},
                          {Method::Alternating, 3}};
    for (const Case& c : cases) {
        for (System system : {System::Dirac, System::Bilinear}) {
            for (Loss loss : {Loss::Saturating, Loss::NonSaturating}) {
                for (double gamma : {0.0, 0.7}) {
                    Params p;
                    p.system = system;
                    p.loss = loss;
                    p.gamma = gamma;
                    p.method = c.method;
                    p.n_critic = c.n_critic;
                    p.lr = 0.3;
                    for (const State& x : random_states(system, 4, 11)) {
                        EXPECT_LT(relative_error(step_jacobian(p, x), step_jacobian_fd(p, x)), 1e-6)
                            << to_string(system) << " " << to_string(c.method) << " n_critic "
                            << c.n_critic << " " << to_string(loss) << " gamma " << gamma << " at "
                            << x.transpose();
                    }
                }
            }
        }
    }
}

TEST(GanStep, AlternatingUsesTheUpdatedCritic) {
    // Bilinear, n_critic = 3: d ← d + lr·g three times, then g ← g − lr·d with the new d.
    Params p = bilinear(Method::Alternating, 0.1);
    p.n_critic = 3;
    const State y = step(p, vec({1.0, 2.0}));
    const double d = 1.0 + 3 * 0.1 * 2.0;
    EXPECT_DOUBLE_EQ(y(0), d);
    EXPECT_DOUBLE_EQ(y(1), 2.0 - 0.1 * d);
    // Simultaneous uses the old d.
    const State z = step(bilinear(Method::Simultaneous, 0.1), vec({1.0, 2.0}));
    EXPECT_DOUBLE_EQ(z(1), 2.0 - 0.1 * 1.0);
}

//-----------------------------------------------------------------------------
// Seed 000 Q6: bilinear simultaneous GDA
//-----------------------------------------------------------------------------

TEST(GanBilinear, SimultaneousUpdateMatrixAndSpectralRadius) {
    for (double lr : {0.05, 0.3, 1.0}) {
        const Params p = bilinear(Method::Simultaneous, lr);
        const Eigen::MatrixXd a = step_jacobian(p, vec({0.4, -1.2}));
        Eigen::Matrix2d want;
        want << 1, lr, -lr, 1;
        EXPECT_EQ(a, Eigen::MatrixXd(want)) << "lr " << lr;
        const std::vector<Complex> lambda = eigenvalues(a);
        ASSERT_EQ(lambda.size(), 2u);
        for (const Complex& z : lambda) {
            EXPECT_NEAR(std::abs(z), std::sqrt(1 + lr * lr), 1e-12) << "lr " << lr;
            EXPECT_NEAR(z.real(), 1.0, 1e-12);
        }
        EXPECT_NEAR(lambda[0].imag(), -lr, 1e-12);  // 1 ± i·lr, sorted by imaginary part
        EXPECT_NEAR(lambda[1].imag(), lr, 1e-12);
    }
}

TEST(GanBilinear, SimultaneousGrowsByOnePlusLrSquaredEachStep) {
    for (double lr : {0.05, 0.3, 1.0}) {
        // step() directly: at lr = 1 the norm passes kRunawayNorm around step 40, where
        // integrate() would stop.
        const Params p = bilinear(Method::Simultaneous, lr);
        std::vector<State> states = {vec({0.7, -0.2})};
        for (int k = 1; k <= 50; ++k) states.push_back(step(p, states.back()));
        const double q0 = conserved_quantity(System::Bilinear, states[0]);
        for (int k = 1; k <= 50; ++k) {
            const double prev = conserved_quantity(System::Bilinear, states[k - 1]);
            const double q = conserved_quantity(System::Bilinear, states[k]);
            EXPECT_NEAR(q / prev, 1 + lr * lr, 1e-12 * (1 + lr * lr))
                << "lr " << lr << " step " << k;
            EXPECT_NEAR(q / (q0 * std::pow(1 + lr * lr, k)), 1.0, 1e-12) << "lr " << lr;
        }
    }
}

TEST(GanBilinear, AlternatingStaysBoundedWhileSimultaneousGrows) {
    const State start = vec({1.0, 0.5});
    const Trajectory alt = integrate(bilinear(Method::Alternating, 0.05), start, 5000);
    const Trajectory sim = integrate(bilinear(Method::Simultaneous, 0.05), start, 5000);
    ASSERT_FALSE(alt.diverged);
    ASSERT_FALSE(sim.diverged);
    double alt_max = 0;
    for (const State& x : alt.states) alt_max = std::max(alt_max, x.norm());
    EXPECT_LT(alt_max, 2 * start.norm());
    // (1 + 0.05²)^(5000/2) ≈ e^6.2 ≈ 500.
    EXPECT_GT(sim.states.back().norm(), 100 * start.norm());
    EXPECT_NEAR(sim.states.back().norm() / start.norm(), std::pow(1 + 0.05 * 0.05, 2500),
                1e-9 * 520);
}

//-----------------------------------------------------------------------------
// The continuous-time flow (RK4)
//-----------------------------------------------------------------------------

TEST(GanFlow, Rk4KeepsTheConservedQuantityWithoutPenalty) {
    // Measured: the largest relative drift over 2000 steps of h = 0.01 (t = 20) is 5.4e-12 for
    // the Dirac-GAN and 2.8e-11 for the bilinear game, which is RK4's own damping,
    // |R(ih)|² = 1 − h⁶/72 + …, times 2000 steps. 1e-9 leaves room for rounding yet fails a
    // lower-order integrator (explicit Euler drifts by ~0.2 here).
    for (System system : {System::Dirac, System::Bilinear}) {
        Params p;
        p.system = system;
        p.method = Method::Flow;
        p.lr = 0.01;
        const State start = system == System::Dirac ? vec({0.8, 0.3, -0.6}) : vec({0.8, -0.6});
        const Trajectory t = integrate(p, start, 2000);
        ASSERT_EQ(t.steps_run(), 2000);
        const double q0 = conserved_quantity(system, start);
        double drift = 0;
        for (const State& x : t.states)
            drift = std::max(drift, std::abs(conserved_quantity(system, x) / q0 - 1));
        EXPECT_LT(drift, 1e-9) << to_string(system);
        // The state moved: a frozen trajectory would conserve trivially.
        EXPECT_GT((t.states.back() - start).norm(), 0.1) << to_string(system);
    }
}

TEST(GanFlow, R1PenaltyPullsTheDiracGanToTheOrigin) {
    Params p = dirac(Loss::Saturating, 0.3);
    p.method = Method::Flow;
    p.lr = 0.01;
    const State start = vec({0.8, 0.3, -0.6});
    const Trajectory t = integrate(p, start, 2000);
    ASSERT_EQ(t.steps_run(), 2000);
    // d/dt (ψ0² + θ²) = −2γψ0² ≤ 0, so the quantity never rises (up to RK4 rounding) ...
    for (size_t k = 1; k < t.states.size(); ++k) {
        EXPECT_LE(conserved_quantity(System::Dirac, t.states[k]),
                  conserved_quantity(System::Dirac, t.states[k - 1]) + 1e-15)
            << "step " << k;
    }
    // ... and the whole state closes in on the origin (slowest rate Re λ = −γ/2 = −0.15).
    // Measured: |x_2000| / |x_0| = 0.047 (≈ e^(−0.15·20)).
    EXPECT_LT(t.states.back().norm(), 0.2 * start.norm());
}

//-----------------------------------------------------------------------------
// Trajectories and divergence
//-----------------------------------------------------------------------------

TEST(GanIntegrate, RunawayIsReportedAtTheStepThatFailed) {
    const double lr = 2.0;
    // |x_k| = √2·(1 + lr²)^(k/2); the first k past kRunawayNorm is the failing step.
    int expected = 0;
    while (std::sqrt(2.0) * std::pow(1 + lr * lr, expected / 2.0) <= kRunawayNorm) ++expected;
    ASSERT_EQ(expected, 17);
    const Trajectory t = integrate(bilinear(Method::Simultaneous, lr), vec({1.0, 1.0}), 100);
    EXPECT_TRUE(t.diverged);
    EXPECT_EQ(t.diverged_at, expected);
    EXPECT_EQ(t.steps_run(), expected - 1);  // the failing state is not stored
    EXPECT_LE(t.states.back().norm(), kRunawayNorm);
    // Asking for fewer steps than that is not a divergence.
    const Trajectory short_run =
        integrate(bilinear(Method::Simultaneous, lr), vec({1.0, 1.0}), expected - 1);
    EXPECT_FALSE(short_run.diverged);
    EXPECT_EQ(short_run.diverged_at, -1);
}

TEST(GanIntegrate, NonFiniteStartDivergesAtStepOne) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (Method m : {Method::Flow, Method::Simultaneous, Method::Alternating}) {
        Params p = dirac();
        p.method = m;
        const Trajectory t = integrate(p, vec({nan, 0.0, 0.0}), 10);
        EXPECT_TRUE(t.diverged) << to_string(m);
        EXPECT_EQ(t.diverged_at, 1) << to_string(m);
        EXPECT_EQ(t.steps_run(), 0) << to_string(m);
        ASSERT_EQ(t.states.size(), 1u);
    }
}

TEST(GanIntegrate, BoundedRunReportsNoDivergence) {
    Params p = dirac(Loss::NonSaturating, 0.5);
    p.method = Method::Alternating;
    p.n_critic = 2;
    p.lr = 0.05;
    const Trajectory t = integrate(p, vec({0.5, -0.5, 1.0}), 300);
    EXPECT_FALSE(t.diverged);
    EXPECT_EQ(t.diverged_at, -1);
    EXPECT_EQ(t.steps_run(), 300);
    EXPECT_EQ(t.states.front(), vec({0.5, -0.5, 1.0}));
    EXPECT_EQ(t.states[1], step(p, t.states[0]));
    const Trajectory none = integrate(p, vec({0.5, -0.5, 1.0}), 0);
    EXPECT_EQ(none.steps_run(), 0);
    EXPECT_FALSE(none.diverged);
}

TEST(GanIntegrate, BatchEqualsIntegrateForEachStart) {
    std::vector<State> starts = random_states(System::Bilinear, 17, 3);
    starts[5] = vec({std::numeric_limits<double>::quiet_NaN(), 1.0});  // diverges at once
    starts[12] = vec({1e5, 1e5});  // simultaneous: runs away at step 18
    for (Method m : {Method::Flow, Method::Simultaneous, Method::Alternating}) {
        const Params p = bilinear(m, 0.5);
        const std::vector<Trajectory> batch = integrate_batch(p, starts, 40);
        ASSERT_EQ(batch.size(), starts.size());
        for (size_t i = 0; i < starts.size(); ++i) {
            const Trajectory one = integrate(p, starts[i], 40);
            EXPECT_EQ(batch[i].diverged, one.diverged) << to_string(m) << " start " << i;
            EXPECT_EQ(batch[i].diverged_at, one.diverged_at) << to_string(m) << " start " << i;
            ASSERT_EQ(batch[i].states.size(), one.states.size()) << to_string(m) << " start " << i;
            for (size_t k = 1; k < one.states.size(); ++k)
                ASSERT_EQ(batch[i].states[k], one.states[k]) << to_string(m) << " start " << i;
        }
    }
    const std::vector<Trajectory> sim =
        integrate_batch(bilinear(Method::Simultaneous, 0.5), starts, 40);
    EXPECT_TRUE(sim[5].diverged);
    EXPECT_TRUE(sim[12].diverged);
    EXPECT_EQ(sim[12].diverged_at, 18);
    EXPECT_FALSE(sim[0].diverged);
    EXPECT_TRUE(integrate_batch(bilinear(Method::Flow, 0.5), {}, 40).empty());
    EXPECT_THROW(integrate_batch(dirac(), {vec({1.0, 2.0})}, 5), std::invalid_argument);
}

//-----------------------------------------------------------------------------
// γ sweep and validation
//-----------------------------------------------------------------------------

TEST(GanSweep, SpectrumTurnsRealPastTheCriticalGamma) {
    const std::vector<SweepPoint> sweep = sweep_gamma(dirac(), 0.0, 3.0, 31);
    ASSERT_EQ(sweep.size(), 31u);
    EXPECT_EQ(sweep.front().gamma, 0.0);
    EXPECT_EQ(sweep.back().gamma, 3.0);
    EXPECT_NEAR(sweep[10].gamma, 1.0, 1e-15);
    // γ = 0: ±i/2.
    int half_imag = 0;
    for (const Complex& z : sweep.front().eigenvalues)
        if (std::abs(std::abs(z.imag()) - 0.5) < 1e-12) ++half_imag;
    EXPECT_EQ(half_imag, 2);
    for (const SweepPoint& s : sweep) {
        ASSERT_EQ(s.eigenvalues.size(), 3u);
        for (const Complex& z : s.eigenvalues) {
            if (s.gamma > 1) {
                EXPECT_EQ(z.imag(), 0.0) << "gamma " << s.gamma;
            }
            if (s.gamma > 0) {
                EXPECT_LT(z.real(), 0.0) << "gamma " << s.gamma;
            }
        }
        if (s.gamma < 1) {
            EXPECT_NE(s.eigenvalues[1].imag(), 0.0) << "gamma " << s.gamma;
        }
    }
    const std::vector<SweepPoint> two = sweep_gamma(dirac(), 0.25, 0.75, 2);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].gamma, 0.25);
    EXPECT_EQ(two[1].gamma, 0.75);
    EXPECT_THROW(sweep_gamma(dirac(), 0.0, 1.0, 1), std::invalid_argument);
    EXPECT_THROW(sweep_gamma(dirac(), 2.0, 1.0, 5), std::invalid_argument);
}

TEST(GanValidate, ErrorsNameTheField) {
    EXPECT_NO_THROW(validate(Params{}));
    Params p;
    for (double lr : {-1.0, 0.0, 10.5, std::numeric_limits<double>::quiet_NaN(),
                      std::numeric_limits<double>::infinity()}) {
        p = Params{};
        p.lr = lr;
        EXPECT_NE(expect_invalid(p).find("gan.lr"), std::string::npos) << "lr " << lr;
    }
    p = Params{};
    p.lr = -1;
    EXPECT_EQ(expect_invalid(p), "gan.lr must be > 0 (got -1)");
    p = Params{};
    p.lr = 10;
    EXPECT_NO_THROW(validate(p));
    for (double gamma : {-0.1, 100.5, std::numeric_limits<double>::quiet_NaN()}) {
        p = Params{};
        p.gamma = gamma;
        EXPECT_NE(expect_invalid(p).find("gan.gamma"), std::string::npos) << "gamma " << gamma;
    }
    for (int n : {0, -3, 101}) {
        p = Params{};
        p.n_critic = n;
        EXPECT_NE(expect_invalid(p).find("gan.n_critic"), std::string::npos) << "n_critic " << n;
    }
    p = Params{};
    p.lr = 0;
    EXPECT_THROW(step(p, vec({0.0, 0.0, 0.0})), std::invalid_argument);
    EXPECT_THROW(integrate(p, vec({0.0, 0.0, 0.0}), 3), std::invalid_argument);
    EXPECT_THROW(velocity(Params{}, vec({0.0, 0.0})), std::invalid_argument);  // dirac is 3-d
}

TEST(GanNames, ToStringAndDimensions) {
    EXPECT_STREQ(to_string(System::Dirac), "dirac");
    EXPECT_STREQ(to_string(System::Bilinear), "bilinear");
    EXPECT_STREQ(to_string(Loss::Saturating), "saturating");
    EXPECT_STREQ(to_string(Loss::NonSaturating), "non-saturating");
    EXPECT_STREQ(to_string(Method::Flow), "flow");
    EXPECT_STREQ(to_string(Method::Simultaneous), "simultaneous");
    EXPECT_STREQ(to_string(Method::Alternating), "alternating");
    EXPECT_EQ(dimension(System::Dirac), 3);
    EXPECT_EQ(dimension(System::Bilinear), 2);
    EXPECT_EQ(critic_dimension(System::Dirac), 2);
    EXPECT_EQ(critic_dimension(System::Bilinear), 1);
}

// keep_every: the same run, one state in k kept (plus the last), the step count unchanged.
TEST(GanIntegrate, KeepEveryKeepsEveryKthStateAndTheLast) {
    Params p;
    p.method = Method::Flow;
    p.lr = 0.05;
    State start(3);
    start << 1, 0, 1;
    const Trajectory full = integrate(p, start, 1003);
    const Trajectory thin = integrate(p, start, 1003, 10);
    EXPECT_EQ(thin.steps_run(), 1003);
    ASSERT_EQ(thin.states.size(), 1u + 100u + 1u);  // start, steps 10..1000, and step 1003
    EXPECT_EQ(thin.states[7], full.states[70]);
    EXPECT_EQ(thin.states.back(), full.states.back());
    const std::vector<Trajectory> batch = integrate_batch(p, {start, start}, 1003, 10);
    EXPECT_EQ(batch[1].states.back(), full.states.back());
    EXPECT_THROW(integrate(p, start, 10, 0), std::invalid_argument);
}

// Step D then Step G is alternating GDA's step (n_critic = 1): the generator sees the new
// critic. The other order is a different map, and each button moves only its own player.
TEST(GanPlayers, CriticThenGeneratorIsOneAlternatingStep) {
    for (System system : {System::Dirac, System::Bilinear}) {
        Params p;
        p.system = system;
        p.lr = 0.3;
        p.gamma = system == System::Dirac ? 0.7 : 0.0;
        p.method = Method::Alternating;
        const State x = system == System::Dirac ? State(State::Zero(3)) : State(State::Zero(2));
        State start = x;
        for (int i = 0; i < start.size(); ++i) start[i] = 0.4 + 0.3 * i;
        const State d = step_player(p, start, Player::Critic);
        const State dg = step_player(p, d, Player::Generator);
        const State alt = step(p, start);
        for (int i = 0; i < start.size(); ++i) EXPECT_NEAR(dg[i], alt[i], 1e-15) << i;
        const int c = critic_dimension(system);
        const State v = velocity(p, start);
        for (int i = 0; i < start.size(); ++i) {  // D moves the critic by lr·v only
            EXPECT_DOUBLE_EQ(d[i], i < c ? start[i] + p.lr * v[i] : start[i]) << i;
        }
        const State gd = step_player(p, step_player(p, start, Player::Generator), Player::Critic);
        EXPECT_GT((gd - dg).norm(), 1e-3);
    }
}
