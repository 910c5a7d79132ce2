// GAN training methods (issue 14): closed-form step-map spectra on the bilinear game, R1/R2
// (and noise, consensus) spectra on Mescheder's Dirac-GAN, analytic Jacobians against finite
// differences for every method × regularizer, the paper's convergence verdicts, agreement
// with gan.hpp on the seed system, validation messages, trajectories and sweeps.
//
// Usage: build-core/tests/genlab_core_tests --gtest_filter='GanMethods*'
//
// [SECTION] Helpers
// [SECTION] Descriptor tables and validation
// [SECTION] Bilinear game: closed forms
// [SECTION] Mescheder's Dirac-GAN: closed forms
// [SECTION] Jacobians against finite differences
// [SECTION] The paper's verdicts
// [SECTION] Agreement with gan.hpp, trajectories, sweeps
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "genlab/gan.hpp"
#include "genlab/gan_methods.hpp"

#include <Eigen/Eigenvalues>

namespace gm = genlab::gan_methods;
using gm::Complex;
using gm::Mat;
using gm::Method;
using gm::Params;
using gm::System;
using gm::Term;
using gm::Verdict;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

Params make(System system, Method method, const std::string& terms, double lr = 0.1) {
    Params p;
    p.system = system;
    p.method = method;
    p.terms = gm::parse_terms(terms);
    p.lr = lr;
    return p;
}

// Largest entry-wise difference relative to the larger matrix's scale (at least 1).
double relative_error(const Mat& a, const Mat& b) {
    const double scale = std::max({1.0, a.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff()});
    return (a - b).cwiseAbs().maxCoeff() / scale;
}

// Every wanted value has a distinct got value within tol (greedy nearest match): compares two
// multisets of eigenvalues without relying on a sort order that rounding can flip.
void expect_same_multiset(std::vector<Complex> got, const std::vector<Complex>& want, double tol,
                          const std::string& label) {
    ASSERT_EQ(got.size(), want.size()) << label;
    for (const Complex& w : want) {
        auto best = std::min_element(
            got.begin(), got.end(),
            [&](const Complex& a, const Complex& b) { return std::abs(a - w) < std::abs(b - w); });
        EXPECT_LT(std::abs(*best - w), tol) << label << ": no eigenvalue near " << w;
        got.erase(best);
    }
}

// Roots of a monic polynomial z^n + c[n−1] z^{n−1} + … + c[0] as companion-matrix
// eigenvalues: a route to the closed forms independent of the step-map code.
std::vector<Complex> roots(const std::vector<Complex>& c) {
    const int n = static_cast<int>(c.size());
    Eigen::MatrixXcd m = Eigen::MatrixXcd::Zero(n, n);
    for (int i = 1; i < n; ++i) m(i, i - 1) = 1;
    for (int i = 0; i < n; ++i) m(i, n - 1) = -c[static_cast<size_t>(i)];
    Eigen::ComplexEigenSolver<Eigen::MatrixXcd> es(m);
    std::vector<Complex> out;
    for (int i = 0; i < n; ++i) out.push_back(es.eigenvalues()(i));
    return out;
}

std::string invalid_message(const Params& p) {
    try {
        gm::validate(p);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "validate() accepted the parameters";
    return "";
}

template <class F>
std::string thrown_message(F f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "no std::invalid_argument";
    return "";
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Descriptor tables and validation
//-----------------------------------------------------------------------------

TEST(GanMethodsTables, EntriesAreInEnumOrderRoundTripAndReferenceKnownKeys) {
    const auto& terms = gm::term_table();
    for (size_t i = 0; i < terms.size(); ++i) {
        EXPECT_EQ(static_cast<size_t>(terms[i].term), i);
        EXPECT_EQ(gm::parse_terms(terms[i].cli), gm::TermSet().add(terms[i].term));
        for (const char* k : terms[i].keys) EXPECT_NE(gm::find_key(k), nullptr) << k;
    }
    EXPECT_EQ(terms.size(), 8u);
    const auto& methods = gm::method_table();
    EXPECT_EQ(methods.size(), 8u);
    for (size_t i = 0; i < methods.size(); ++i) {
        EXPECT_EQ(static_cast<size_t>(methods[i].method), i);
        EXPECT_EQ(gm::parse_method(methods[i].cli), methods[i].method);
        for (const char* k : methods[i].keys) EXPECT_NE(gm::find_key(k), nullptr) << k;
    }
    // The defaults of the key table are the defaults of Params, and valid.
    const Params p;
    for (const gm::KeySpec& k : gm::key_table())
        EXPECT_EQ(gm::get_param(p, k.key), k.default_value) << k.key;
    EXPECT_NO_THROW(gm::validate(p));
    EXPECT_EQ(gm::to_string(gm::parse_terms("r1+nsgan+consensus")), "nsgan+r1+consensus");
    EXPECT_EQ(gm::parse_terms(""), gm::TermSet());
}

TEST(GanMethodsValidation, MessagesNameTheUserKey) {
    Params p;
    p.lr = 0;
    EXPECT_TRUE(contains(invalid_message(p), "gan.lr must be > 0")) << invalid_message(p);
    p = Params();
    p.lr = std::nan("");
    EXPECT_TRUE(contains(invalid_message(p), "gan.lr must be a finite number"));
    p = Params();
    p.beta = 1;
    EXPECT_TRUE(contains(invalid_message(p), "gan.beta must be in (-1, 1)")) << invalid_message(p);
    p.beta = -1;
    EXPECT_TRUE(contains(invalid_message(p), "gan.beta must be in (-1, 1)"));
    p = Params();
    p.n_critic = 0;
    EXPECT_TRUE(contains(invalid_message(p), "gan.n_critic must be an integer in [1, 100]"));
    p = Params();
    p.lr_d = -0.1;
    EXPECT_TRUE(contains(invalid_message(p), "gan.lr_d must be > 0")) << invalid_message(p);
    p = Params();
    p.gamma = -1;
    EXPECT_TRUE(contains(invalid_message(p), "gan.gamma must be >= 0"));
    p = Params();
    p.sigma = 11;
    EXPECT_TRUE(contains(invalid_message(p), "gan.sigma must be <= 10"));
    for (const char* key : {"gan.lambda", "gan.g0", "gan.clip", "gan.gamma_c", "gan.lr_g"}) {
        p = Params();
        gm::set_param(p, key, -5);
        EXPECT_TRUE(contains(invalid_message(p), std::string(key) + " must be")) << key;
    }
    EXPECT_TRUE(contains(thrown_message([] { gm::parse_method("adam"); }), "gan.method"));
    EXPECT_TRUE(contains(thrown_message([] { gm::parse_terms("r3"); }), "gan.regularizer"));
    EXPECT_TRUE(contains(thrown_message([] { gm::parse_terms("r1+r1"); }), "twice"));
    p = Params();
    p.terms = gm::parse_terms("gan+wgan");
    EXPECT_TRUE(contains(invalid_message(p), "gan.regularizer: at most one"));
    p.terms = gm::parse_terms("wgan+noise");
    EXPECT_TRUE(contains(invalid_message(p), "'noise' needs the log loss"));
    p = make(System::Bilinear, Method::Simultaneous, "r1");
    EXPECT_TRUE(contains(invalid_message(p), "'r1' does not apply to the bilinear system"));
    p = make(System::Bilinear, Method::Simultaneous, "consensus");
    EXPECT_NO_THROW(gm::validate(p));
    EXPECT_TRUE(contains(thrown_message([] { gm::get_param(Params(), "gan.eta"); }), "gan.eta"));
}

//-----------------------------------------------------------------------------
// [SECTION] Bilinear game: closed forms
//-----------------------------------------------------------------------------
// v = A·x with A = [[0, 1], [−1, 0]], eigenvalues λ_A = ±i; every linear method's step map
// then acts on each eigendirection as a scalar recurrence in λ_A.

TEST(GanMethodsBilinear, SimultaneousRadiusIsSqrtOnePlusEtaSquared) {
    for (double eta : {0.05, 0.1, 0.5, 1.0}) {
        const gm::Spectrum s = gm::analyze(make(System::Bilinear, Method::Simultaneous, "", eta));
        for (const Complex& z : s.step_eigenvalues)
            EXPECT_NEAR(std::abs(z), std::sqrt(1 + eta * eta), 1e-12) << eta;
        EXPECT_EQ(s.verdict, Verdict::Diverges) << eta;
        EXPECT_NEAR(s.rate, -0.5 * std::log(1 + eta * eta), 1e-12);
    }
}

TEST(GanMethodsBilinear, TturRadiusIsSqrtOnePlusEtaDEtaG) {
    // I + E·A = [[1, η_D], [−η_G, 1]]: λ = 1 ± i√(η_D·η_G).
    Params p = make(System::Bilinear, Method::Ttur, "");
    p.lr_d = 0.4;
    p.lr_g = 0.1;
    const gm::Spectrum s = gm::analyze(p);
    EXPECT_NEAR(s.radius, std::sqrt(1 + 0.04), 1e-12);
    expect_same_multiset(s.step_eigenvalues, {{1, 0.2}, {1, -0.2}}, 1e-12, "ttur");
}

TEST(GanMethodsBilinear, ExtragradientRadiusSquaredIsOneMinusEtaSquaredPlusEtaFourth) {
    for (double eta : {0.05, 0.1, 0.5, 0.9}) {
        const gm::Spectrum s = gm::analyze(make(System::Bilinear, Method::Extragradient, "", eta));
        for (const Complex& z : s.step_eigenvalues)
            EXPECT_NEAR(std::norm(z), 1 - eta * eta + std::pow(eta, 4), 1e-12) << eta;
        EXPECT_EQ(s.verdict, Verdict::Converges) << eta;
    }
}

TEST(GanMethodsBilinear, AlternatingHasUnitModulusBelowEtaTwo) {
    for (double eta : {0.1, 0.5, 1.0, 1.9}) {
        const gm::Spectrum s = gm::analyze(make(System::Bilinear, Method::Alternating, "", eta));
        for (const Complex& z : s.step_eigenvalues) EXPECT_NEAR(std::abs(z), 1, 1e-12) << eta;
        EXPECT_EQ(s.verdict, Verdict::Cycles) << eta;
    }
    // Past η = 2 the eigenvalues of [[1, η], [−η, 1 − η²]] turn real, one outside the circle.
    EXPECT_EQ(gm::analyze(make(System::Bilinear, Method::Alternating, "", 2.5)).verdict,
              Verdict::Diverges);
}

TEST(GanMethodsBilinear, OptimisticMatchesItsCharacteristicPolynomial) {
    // x_{k+1} = x_k + 2ηλx_k − ηλx_{k−1}: z² − (1 + 2ηλ)z + ηλ = 0 for λ = ±i.
    for (double eta : {0.05, 0.1, 0.3}) {
        const gm::Spectrum s = gm::analyze(make(System::Bilinear, Method::Optimistic, "", eta));
        std::vector<Complex> want;
        for (const Complex lam : {Complex(0, 1), Complex(0, -1)})
            for (const Complex& z : roots({eta * lam, -(1.0 + 2.0 * eta * lam)})) want.push_back(z);
        expect_same_multiset(s.step_eigenvalues, want, 1e-10, "optimistic");
        EXPECT_LT(s.radius, 1) << eta;
        EXPECT_EQ(s.verdict, Verdict::Converges) << eta;
    }
}

TEST(GanMethodsBilinear, NegativeMomentumConvergesAlternatingButNotSimultaneous) {
    for (double eta : {0.1, 0.3}) {
        for (double beta : {-0.3, -0.5}) {
            // Alternating (Gidel et al. 2019): d' = d + ηg + β(d − d_prev),
            // g' = g − ηd' + β(g − g_prev). With q(z) = (z − 1)(z − β) the ansatz gives
            // a·q = ηbz and b·q = −ηaz², so q² + η²z³ = 0: a quartic, the 4-D augmented map.
            Params alt = make(System::Bilinear, Method::AltMomentum, "", eta);
            alt.beta = beta;
            const gm::Spectrum sa = gm::analyze(alt);
            // q² + η²z³ with q = z² + b1·z + b0: z⁴ + (2b1 + η²)z³ + (b1² + 2b0)z² +
            // 2b0b1·z + b0².
            const double b1 = -(1 + beta), b0 = beta;
            const std::vector<Complex> quartic = {b0 * b0, 2 * b0 * b1, b1 * b1 + 2 * b0,
                                                  2 * b1 + eta * eta};
            expect_same_multiset(sa.step_eigenvalues, roots(quartic), 1e-8, "alt_momentum");
            EXPECT_LT(sa.radius, 1) << eta << " " << beta;
            EXPECT_EQ(sa.verdict, Verdict::Converges);

            // Simultaneous heavy ball: z² − (1 + β + ηλ)z + β = 0; the product of the roots is
            // β, and one root leaves the unit circle for small η (Gidel et al.'s theorem).
            Params sim = make(System::Bilinear, Method::HeavyBall, "", eta);
            sim.beta = beta;
            const gm::Spectrum ss = gm::analyze(sim);
            std::vector<Complex> want;
            for (const Complex lam : {Complex(0, 1), Complex(0, -1)})
                for (const Complex& z : roots({beta, -(1.0 + beta + eta * lam)})) want.push_back(z);
            expect_same_multiset(ss.step_eigenvalues, want, 1e-10, "heavy_ball");
            EXPECT_GT(ss.radius, 1) << eta << " " << beta;
            EXPECT_EQ(ss.verdict, Verdict::Diverges);
        }
    }
}

TEST(GanMethodsBilinear, ConsensusAddsDampingGammaC) {
    // JᵀJ = I on the bilinear game: v_c = v − γ_c·x, eigenvalues −γ_c ± i.
    Params p = make(System::Bilinear, Method::Flow, "consensus");
    p.gamma_c = 0.3;
    expect_same_multiset(gm::analyze(p).field_eigenvalues, {{-0.3, 1}, {-0.3, -1}}, 1e-12,
                         "consensus");
    EXPECT_EQ(gm::analyze(p).verdict, Verdict::Converges);
}

//-----------------------------------------------------------------------------
// [SECTION] Mescheder's Dirac-GAN: closed forms
//-----------------------------------------------------------------------------

namespace {
// (−a ± √(a² − 4c²))/2: the eigenvalues of [[−a, c], [−c, 0]].
std::vector<Complex> damped(double a, double c) {
    const Complex root = std::sqrt(Complex(a * a - 4 * c * c, 0));
    return {(-a + root) / 2.0, (-a - root) / 2.0};
}
}  // namespace

TEST(GanMethodsDirac2, R1AndR2EigenvaluesMatchTheClosedForm) {
    for (const char* term : {"r1", "r2", "nsgan+r1", "nsgan+r2"}) {
        for (double gamma : {0.3, 1.0, 2.0}) {
            Params p = make(System::Dirac2, Method::Flow, term);
            p.gamma = gamma;
            // f'(0) = 1/2 for the standard loss: (−γ ± √(γ² − 1))/2.
            expect_same_multiset(gm::analyze(p).field_eigenvalues, damped(gamma, 0.5), 1e-12,
                                 std::string(term) + " gamma " + std::to_string(gamma));
        }
    }
    // Both penalties together add up; with the WGAN loss f'(0) = 1: (−γ ± √(γ² − 4))/2.
    Params both = make(System::Dirac2, Method::Flow, "r1+r2");
    both.gamma = 0.4;
    expect_same_multiset(gm::analyze(both).field_eigenvalues, damped(0.8, 0.5), 1e-12, "r1+r2");
    Params w = make(System::Dirac2, Method::Flow, "wgan+r1");
    w.gamma = 0.5;
    expect_same_multiset(gm::analyze(w).field_eigenvalues, damped(0.5, 1.0), 1e-12, "wgan+r1");
}

TEST(GanMethodsDirac2, NoiseAndConsensusEigenvaluesMatchTheClosedForm) {
    // Instance noise: ∂ψ v_ψ = 2σ²f''(0) = −σ²/2 (the quadrature is exact for this quadratic),
    // the γ ≈ σ²/2 link to R1.
    for (double sigma : {0.3, 1.0, 2.0}) {
        Params p = make(System::Dirac2, Method::Flow, "noise");
        p.sigma = sigma;
        expect_same_multiset(gm::analyze(p).field_eigenvalues, damped(sigma * sigma / 2, 0.5),
                             1e-12, "noise sigma " + std::to_string(sigma));
    }
    // The instance-noise ↔ R1 link: at the equilibrium noise σ is exactly R1 with γ = σ²/2.
    for (double sigma : {0.5, 1.5}) {
        Params noise = make(System::Dirac2, Method::Simultaneous, "nsgan+noise");
        noise.sigma = sigma;
        Params r1 = make(System::Dirac2, Method::Simultaneous, "nsgan+r1");
        r1.gamma = sigma * sigma / 2;
        expect_same_multiset(gm::analyze(noise).step_eigenvalues, gm::analyze(r1).step_eigenvalues,
                             1e-12, "noise vs r1");
    }
    // Consensus at the equilibrium (v = 0): J − γ_c·JᵀJ = J − (γ_c/4)·I.
    Params c = make(System::Dirac2, Method::Flow, "consensus");
    c.gamma_c = 0.8;
    expect_same_multiset(gm::analyze(c).field_eigenvalues, {{-0.2, 0.5}, {-0.2, -0.5}}, 1e-12,
                         "consensus");
    // WGAN-GP with g0 = 0 is a smooth zero-centred penalty 2λψ: (−2λ ± √(4λ² − 4))/2.
    Params gp0 = make(System::Dirac2, Method::Flow, "wgan_gp");
    gp0.g0 = 0;
    gp0.lambda = 0.25;
    const gm::Spectrum s = gm::analyze(gp0);
    EXPECT_TRUE(s.smooth);
    expect_same_multiset(s.field_eigenvalues, damped(0.5, 1.0), 1e-12, "wgan_gp g0=0");
}

TEST(GanMethodsDirac2, GaussHermiteNoiseIsAccurateToTheStatedError) {
    // E σ(−a(θ + ε)) against a dense trapezoid rule on ±12σ (spectrally accurate for this
    // smooth integrand with Gaussian decay), for |a|·σ ≤ 2 as the header states.
    for (double sigma : {0.1, 0.5, 1.0, 2.0}) {
        for (double a : {-1.0, 0.5, 1.0}) {
            const double theta = 0.3;
            auto g = [&](double e) { return 1.0 / (1.0 + std::exp(a * (theta + e))); };
            const double gh = gm::gauss_hermite_expectation(sigma, g);
            const int m = 20000;
            const double lo = -12 * sigma, dx = 24 * sigma / m;
            double sum = 0;
            for (int i = 0; i <= m; ++i) {
                const double e = lo + i * dx;
                const double w = (i == 0 || i == m) ? 0.5 : 1.0;
                sum += w * g(e) * std::exp(-e * e / (2 * sigma * sigma));
            }
            const double ref = sum * dx / (sigma * std::sqrt(2 * M_PI));
            EXPECT_NEAR(gh, ref, 1e-10) << "sigma " << sigma << " a " << a;
        }
    }
    // Exact for low-degree polynomials: E ε² = σ², E ε⁴ = 3σ⁴.
    EXPECT_NEAR(gm::gauss_hermite_expectation(1.5, [](double e) { return e * e; }), 2.25, 1e-12);
    EXPECT_NEAR(gm::gauss_hermite_expectation(1.5, [](double e) { return std::pow(e, 4); }),
                3 * std::pow(1.5, 4), 1e-10);
}

//-----------------------------------------------------------------------------
// [SECTION] Jacobians against finite differences
//-----------------------------------------------------------------------------

namespace {
// Every valid term set of a system: each objective (or none) with each subset of the
// penalties, minus the combinations validate() rejects (noise with f(t) = t; anything but
// consensus on the bilinear game).
std::vector<gm::TermSet> all_term_sets(System system) {
    std::vector<gm::TermSet> out;
    const std::vector<Term> penalties = {Term::Noise, Term::R1, Term::R2, Term::Consensus};
    for (int objective = -1; objective < 4; ++objective) {
        for (int mask = 0; mask < 16; ++mask) {
            Params p;
            p.system = system;
            if (objective >= 0) p.terms.add(static_cast<Term>(objective));
            for (int k = 0; k < 4; ++k)
                if (mask & (1 << k)) p.terms.add(penalties[static_cast<size_t>(k)]);
            try {
                gm::validate(p);
            } catch (const std::invalid_argument&) {
                continue;
            }
            out.push_back(p.terms);
        }
    }
    return out;
}
}  // namespace

TEST(GanMethodsJacobian, AnalyticMatchesFiniteDifferencesForEveryMethodAndRegularizer) {
    // Tolerance: central differences with h = 1e-6 are accurate to ~1e-9 here (h²·|v'''| plus
    // rounding ~1e-16·|v|/h); 1e-6 relative leaves a margin and still catches any wrong
    // term, which is O(0.1) or more at these states.
    EXPECT_EQ(all_term_sets(System::Dirac2).size(), 5u * 16u - 2u * 8u);  // noise ⟂ wgan, wgan_gp
    EXPECT_EQ(all_term_sets(System::Bilinear).size(), 2u);                // {}, {consensus}
    std::mt19937 rng(14);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    int checked = 0;
    for (System system : {System::Dirac2, System::Dirac3, System::Bilinear}) {
        for (const gm::MethodInfo& mi : gm::method_table()) {
            for (const gm::TermSet& t : all_term_sets(system)) {
                Params p = make(system, mi.method, "", 0.2);
                p.terms = t;
                p.lr_d = 0.25;
                p.lr_g = 0.15;
                p.n_critic = 2;
                p.beta = -0.3;
                p.gamma = 0.7;
                p.sigma = 0.5;
                p.lambda = 0.8;
                p.g0 = 0.6;
                p.clip = 1.2;
                p.gamma_c = 0.4;
                gm::validate(p);
                const std::string label = std::string(gm::to_string(system)) + " " + mi.cli + " [" +
                                          gm::to_string(t) + "]";
                for (int trial = 0; trial < 3; ++trial) {
                    gm::Vec z(gm::state_dimension(p));
                    for (int i = 0; i < z.size(); ++i) z(i) = u(rng);
                    // Keep away from the kinks: WGAN-GP's jump at ψ = 0 and the clip bound.
                    if (std::abs(z(0)) < 0.05) z(0) = 0.3;
                    if (std::abs(std::abs(z(0)) - p.clip) < 0.05) z(0) = 0.9;
                    const gm::Vec x = z.head(gm::dimension(system));
                    EXPECT_LT(relative_error(gm::jacobian(p, x), gm::jacobian_fd(p, x)), 1e-6)
                        << label << " field at " << x.transpose();
                    EXPECT_LT(relative_error(gm::step_jacobian(p, z), gm::step_jacobian_fd(p, z)),
                              1e-6)
                        << label << " step at " << z.transpose();
                    ++checked;
                }
            }
        }
    }
    EXPECT_EQ(checked, 3 * 8 * (2 * 64 + 2));
}

TEST(GanMethodsJacobian, FiniteDifferenceCheckCanFail) {
    // The FD comparison really sees the derivative: a different γ moves J by 0.3 in one entry.
    Params a = make(System::Dirac2, Method::Simultaneous, "r1");
    a.gamma = 0.7;
    Params b = a;
    b.gamma = 1.0;
    const gm::Vec x = gm::Vec2(0.4, -0.8);
    EXPECT_GT(relative_error(gm::jacobian(a, x), gm::jacobian_fd(b, x)), 1e-2);
    EXPECT_GT(relative_error(gm::step_jacobian(a, x), gm::step_jacobian_fd(b, x)), 1e-2);
}

//-----------------------------------------------------------------------------
// [SECTION] The paper's verdicts
//-----------------------------------------------------------------------------
// Mescheder, Geiger & Nowozin 2018, Sec. 3–4 / Fig. 1–3 on the 2-D Dirac-GAN.

namespace {
Verdict verdict(Method m, const std::string& terms, void (*tweak)(Params&) = nullptr,
                double lr = 0.1) {
    Params p = make(System::Dirac2, m, terms, lr);
    if (tweak) tweak(p);
    return gm::analyze(p).verdict;
}
}  // namespace

TEST(GanMethodsPaper, UnregularizedGanAndWganDoNotConverge) {
    for (const char* t : {"", "gan", "nsgan", "wgan"}) {
        EXPECT_EQ(verdict(Method::Flow, t), Verdict::Cycles) << t;
        EXPECT_EQ(verdict(Method::Simultaneous, t), Verdict::Diverges) << t;
        EXPECT_EQ(verdict(Method::Alternating, t), Verdict::Cycles) << t;
    }
    // Simultaneous GD really spirals out (a nonlinear check of the linear verdict).
    const Params p = make(System::Dirac2, Method::Simultaneous, "", 0.1);
    const gm::Trajectory t = gm::integrate(p, gm::Vec2(0.1, 0.1), 3000);
    EXPECT_GT(gm::distance_to_equilibrium(p, t.states.back()), 0.5);
}

TEST(GanMethodsPaper, WganGpDoesNotConvergeToTheEquilibrium) {
    for (Method m : {Method::Flow, Method::Simultaneous}) {
        Params p = make(System::Dirac2, m, "wgan_gp", 0.05);
        p.lambda = 1;
        p.g0 = 0.3;
        const gm::Spectrum s = gm::analyze(p);
        EXPECT_FALSE(s.smooth);
        EXPECT_EQ(s.verdict, Verdict::Diverges);
        // From next to the equilibrium the iterates are pushed away and stay away.
        const gm::Trajectory t = gm::integrate(p, gm::Vec2(0.01, 0.01), 4000);
        EXPECT_FALSE(t.diverged);
        double nearest_late = 1e9;
        for (size_t k = t.states.size() / 2; k < t.states.size(); ++k)
            nearest_late = std::min(nearest_late, gm::distance_to_equilibrium(p, t.states[k]));
        EXPECT_GT(nearest_late, 0.05) << gm::to_string(m);
        // Where it settles (the header's observation): (0+, −2λg0), the zero of the ψ > 0
        // half-plane's affine field θ − 2λ(ψ − g0).
        EXPECT_NEAR(t.states.back()(0), 0, 1e-6) << gm::to_string(m);
        EXPECT_NEAR(t.states.back()(1), -2 * p.lambda * p.g0, 1e-6) << gm::to_string(m);
    }
}

TEST(GanMethodsPaper, WeightClippingBoundsTheCriticButWganStillDoesNotConverge) {
    Params p = make(System::Dirac2, Method::Simultaneous, "wgan", 0.1);
    p.clip = 1;
    const gm::Trajectory t = gm::integrate(p, gm::Vec2(0.1, 0.1), 20000);
    EXPECT_FALSE(t.diverged);
    double max_psi = 0;
    for (const gm::Vec& z : t.states) max_psi = std::max(max_psi, std::abs(z(0)));
    EXPECT_LE(max_psi, p.clip);
    EXPECT_EQ(max_psi, p.clip);  // the projection was active
    EXPECT_GT(gm::distance_to_equilibrium(p, t.states.back()), 0.5);
}

TEST(GanMethodsVerdict, OnTheUnitCircleTheLinearizationDoesNotDecide) {
    // Alternating GDA: |λ| = 1 exactly at the equilibrium for both losses (the same Jacobian
    // there), but the nonlinear terms differ: the header's example, with margins.
    const Params sat = make(System::Dirac2, Method::Alternating, "gan", 0.1);
    const Params ns = make(System::Dirac2, Method::Alternating, "nsgan", 0.1);
    EXPECT_EQ(gm::analyze(sat).verdict, Verdict::Cycles);
    EXPECT_EQ(gm::analyze(ns).verdict, Verdict::Cycles);
    const double d_sat = gm::distance_to_equilibrium(
        sat, gm::integrate(sat, gm::Vec2(0.5, 0.5), 10000).states.back());
    const double d_ns =
        gm::distance_to_equilibrium(ns, gm::integrate(ns, gm::Vec2(0.5, 0.5), 10000).states.back());
    EXPECT_NEAR(d_sat, std::sqrt(0.5), 0.02);
    EXPECT_LT(d_ns, 0.15);
}

TEST(GanMethodsPaper, InstanceNoiseConvergesForSigmaLargeEnough) {
    // Flow: any σ > 0 damps. Simultaneous with step h: |1 + hμ|² = 1 − hσ²/2 + h²/4 < 1
    // iff σ² > h/2.
    EXPECT_EQ(verdict(Method::Flow, "noise", [](Params& p) { p.sigma = 0.3; }), Verdict::Converges);
    EXPECT_EQ(verdict(Method::Simultaneous, "noise", [](Params& p) { p.sigma = 1.0; }),
              Verdict::Converges);
    EXPECT_EQ(verdict(Method::Simultaneous, "noise", [](Params& p) { p.sigma = 0.1; }),
              Verdict::Diverges);
    EXPECT_EQ(verdict(Method::Simultaneous, "nsgan+noise", [](Params& p) { p.sigma = 1.0; }),
              Verdict::Converges);
    Params p = make(System::Dirac2, Method::Simultaneous, "noise");
    p.sigma = 1.0;
    EXPECT_LT(
        gm::distance_to_equilibrium(p, gm::integrate(p, gm::Vec2(0.5, 0.5), 2000).states.back()),
        1e-3);
}

TEST(GanMethodsPaper, ZeroCentredPenaltiesAndConsensusConverge) {
    for (Method m : {Method::Flow, Method::Simultaneous, Method::Alternating}) {
        for (const char* t : {"r1", "r2", "nsgan+r1"})
            EXPECT_EQ(verdict(m, t, [](Params& p) { p.gamma = 0.3; }), Verdict::Converges)
                << gm::to_string(m) << " " << t;
        EXPECT_EQ(verdict(m, "consensus", [](Params& p) { p.gamma_c = 1.0; }), Verdict::Converges)
            << gm::to_string(m);
    }
    // "Suitable parameters": simultaneous R1 needs h < 4γ (complex pair |1 + hμ|² = 1 − hγ + h²/4).
    EXPECT_EQ(verdict(Method::Simultaneous, "r1", [](Params& p) { p.gamma = 0.02; }),
              Verdict::Diverges);
    Params p = make(System::Dirac2, Method::Simultaneous, "r1");
    p.gamma = 0.3;
    EXPECT_LT(
        gm::distance_to_equilibrium(p, gm::integrate(p, gm::Vec2(0.5, 0.5), 3000).states.back()),
        1e-3);
}

//-----------------------------------------------------------------------------
// [SECTION] Agreement with gan.hpp, trajectories, sweeps
//-----------------------------------------------------------------------------

TEST(GanMethodsDirac3, AgreesWithTheSeedModule) {
    namespace g = genlab::gan;
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-2, 2);
    const std::pair<Method, g::Method> methods[] = {{Method::Flow, g::Method::Flow},
                                                    {Method::Simultaneous, g::Method::Simultaneous},
                                                    {Method::Alternating, g::Method::Alternating}};
    for (const auto& [mm, sm] : methods) {
        for (bool ns : {false, true}) {
            for (double gamma : {0.0, 0.6}) {
                Params p = make(
                    System::Dirac3, mm,
                    std::string(ns ? "nsgan" : "") + (gamma > 0 ? (ns ? "+r1" : "r1") : ""), 0.1);
                p.gamma = gamma;
                p.n_critic = 3;
                g::Params q;
                q.method = sm;
                q.loss = ns ? g::Loss::NonSaturating : g::Loss::Saturating;
                q.gamma = gamma;
                q.n_critic = 3;
                q.lr = 0.1;
                for (int i = 0; i < 4; ++i) {
                    const gm::Vec x = gm::Vec3(u(rng), u(rng), u(rng));
                    g::State s(3);
                    s << x(0), x(1), x(2);
                    EXPECT_LT((gm::velocity(p, x) - gm::Vec(g::velocity(q, s))).norm(), 1e-12);
                    EXPECT_LT((gm::step(p, x) - gm::Vec(g::step(q, s))).norm(), 1e-12);
                    EXPECT_LT(relative_error(gm::step_jacobian(p, x), g::step_jacobian(q, s)),
                              1e-12);
                }
            }
        }
    }
}

TEST(GanMethodsDirac3, R1SpectrumIsTheSeedClosedForm) {
    // The seed's 3-D system: ψ1's −1/2 plus (−γ ± √(γ² − 1))/2 (gan.hpp's test, 002 Q5).
    for (double gamma : {0.5, 2.0}) {
        Params p = make(System::Dirac3, Method::Flow, "r1");
        p.gamma = gamma;
        std::vector<Complex> want = damped(gamma, 0.5);
        want.push_back(-0.5);
        const gm::Spectrum s = gm::analyze(p);
        expect_same_multiset(s.field_eigenvalues, want, 1e-12, "dirac3 r1");
        EXPECT_EQ(s.verdict, Verdict::Converges);
    }
    // Unregularized: {−1/2, ±i/2}, neutral; WGAN leaves ψ1 with no force at all (0, ±i).
    EXPECT_EQ(gm::analyze(make(System::Dirac3, Method::Flow, "")).verdict, Verdict::Cycles);
    expect_same_multiset(gm::analyze(make(System::Dirac3, Method::Flow, "wgan")).field_eigenvalues,
                         {{0, 1}, {0, -1}, {0, 0}}, 1e-12, "dirac3 wgan");
}

TEST(GanMethodsTrajectory, DetectsDivergenceAndKeepsAugmentedStates) {
    const Params p = make(System::Bilinear, Method::Simultaneous, "", 1.0);
    // |λ| = √2 per step: from norm 1, past 1e6 after ⌈2·log2(1e6)⌉ = 40 steps.
    const gm::Trajectory t = gm::integrate(p, gm::Vec2(1, 0), 1000);
    EXPECT_TRUE(t.diverged);
    EXPECT_EQ(t.diverged_at, 40);
    EXPECT_EQ(t.steps, 39);
    EXPECT_EQ(t.states.size(), 40u);
    // A non-finite state is caught at the first step that produces it.
    const gm::Trajectory bad =
        gm::integrate(make(System::Dirac2, Method::Flow, "r1"), gm::Vec2(std::nan(""), 0), 10);
    EXPECT_TRUE(bad.diverged);
    EXPECT_EQ(bad.diverged_at, 1);
    EXPECT_EQ(bad.states.size(), 1u);
    const Params q = make(System::Bilinear, Method::Optimistic, "", 0.1);
    const gm::Trajectory o = gm::integrate(q, gm::Vec2(1, 0), 5);
    ASSERT_EQ(o.states.size(), 6u);
    EXPECT_EQ(o.states[0].size(), 4);
    EXPECT_EQ(o.states[0].tail(2), gm::Vec2(1, 0));  // x_prev = x at the start
    EXPECT_EQ(o.states[2].tail(2), o.states[1].head(2));
    EXPECT_FALSE(o.diverged);
}

TEST(GanMethodsSweep, AnyKeyGivesSpectraPerValue) {
    Params p = make(System::Dirac2, Method::Flow, "r1");
    const auto s = gm::sweep(p, "gan.gamma", 0, 2, 5);
    ASSERT_EQ(s.size(), 5u);
    EXPECT_EQ(s[0].spectrum.verdict, Verdict::Cycles);
    for (size_t i = 1; i < s.size(); ++i) {
        EXPECT_EQ(s[i].spectrum.verdict, Verdict::Converges);
        expect_same_multiset(s[i].spectrum.field_eigenvalues, damped(s[i].value, 0.5), 1e-12,
                             "sweep");
    }
    EXPECT_EQ(s.back().value, 2.0);
    // lr on the bilinear game: the simultaneous radius per value.
    const auto lr =
        gm::sweep(make(System::Bilinear, Method::Simultaneous, ""), "gan.lr", 0.1, 1, 4);
    for (const auto& pt : lr)
        EXPECT_NEAR(pt.spectrum.radius, std::sqrt(1 + pt.value * pt.value), 1e-12);
    // n_critic is rounded to integers.
    const auto nc =
        gm::sweep(make(System::Dirac2, Method::Alternating, "r1"), "gan.n_critic", 1, 3, 5);
    EXPECT_EQ(nc[1].value, 2.0);  // 1.5 rounds to 2
    // beta sweeps on the negative side; out-of-range values name the key.
    Params m = make(System::Bilinear, Method::AltMomentum, "");
    EXPECT_EQ(gm::sweep(m, "gan.beta", -0.5, -0.1, 3)[0].spectrum.verdict, Verdict::Converges);
    EXPECT_TRUE(contains(thrown_message([&] { gm::sweep(m, "gan.beta", -1, 0, 3); }),
                         "gan.beta must be in (-1, 1)"));
    EXPECT_TRUE(contains(thrown_message([&] { gm::sweep(m, "gan.nope", 0, 1, 3); }), "gan.nope"));
}
