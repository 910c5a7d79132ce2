// genlab::div against closed forms: D* for two Gaussians, f-divergences between Gaussians (KL,
// squared Hellinger, χ², α, TV for equal variances), the JSD's range and limits, the conjugates
// (Fenchel–Young), the variational bound's tightness at T*, the discriminators' gradients, the
// logistic regression's recovery of D*'s coefficients within the computed sampling error, the
// JSD estimate within 3 standard errors, and the generator losses' gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "genlab/divergence.hpp"

namespace {

using namespace genlab::div;

const double kLog2 = std::log(2.0);

Mixture gauss(double mean, double sd) { return {component(1, mean, sd)}; }

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Closed forms between p1 = N(m1, s1²) and p0 = N(m0, s0²), D_f(p1‖p0).
double kl_closed(double m1, double s1, double m0, double s0) {
    return std::log(s0 / s1) + (s1 * s1 + (m1 - m0) * (m1 - m0)) / (2 * s0 * s0) - 0.5;
}
double bhattacharyya(double m1, double s1, double m0, double s0) {
    const double v = s1 * s1 + s0 * s0;
    return std::sqrt(2 * s1 * s0 / v) * std::exp(-(m1 - m0) * (m1 - m0) / (4 * v));
}
double alpha_integral(double a, double m1, double s1, double m0, double s0) {  // ∫p1^α p0^{1−α}
    const double v = a * s0 * s0 + (1 - a) * s1 * s1;
    return std::pow(s1, 1 - a) * std::pow(s0, a) / std::sqrt(v) *
           std::exp(-a * (1 - a) * (m1 - m0) * (m1 - m0) / (2 * v));
}
double chi2_closed(double m1, double s1, double m0, double s0) {
    const double v = 2 * s0 * s0 - s1 * s1;
    return s0 * s0 / (s1 * std::sqrt(v)) * std::exp((m1 - m0) * (m1 - m0) / v) - 1;
}

TrainOptions mlp_options(int hidden, int batch, int train_size, std::uint64_t seed) {
    TrainOptions o;
    o.kind = DiscKind::Mlp;
    o.hidden = hidden;
    o.batch = batch;
    o.train_size = train_size;
    o.seed = seed;
    return o;
}

template <class F>
std::string thrown(F f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(Divergence, ValidationNamesTheKey) {
    EXPECT_NE(thrown([] { validate(Mixture{}, "div.p0"); }).find("div.p0"), std::string::npos);
    EXPECT_NE(thrown([] { validate(Mixture{component(1, 0, 0)}, "div.p1"); }).find("div.p1[0].std"),
              std::string::npos);
    EXPECT_NE(thrown([] {
                  validate(Mixture{component(1, 0, 1), component(-1, 0, 1)}, "div.p1");
              }).find("div.p1[1].weight"),
              std::string::npos);
    EXPECT_NE(thrown([] { validate_alpha(1, "div.alpha"); }).find("div.alpha"), std::string::npos);
    TrainOptions o;
    o.batch = 0;
    EXPECT_NE(thrown([&] { validate(o); }).find("div.batch"), std::string::npos);
    o = TrainOptions{};
    o.lr = 0;
    EXPECT_NE(thrown([&] { validate(o); }).find("div.lr"), std::string::npos);
}

TEST(Divergence, OptimalDiscriminatorIsTheGaussiansLogisticQuadratic) {
    const double m0 = -1, s0 = 0.7, m1 = 1.5, s1 = 1.3;
    const Mixture p0 = gauss(m0, s0), p1 = gauss(m1, s1);
    for (double x : {-30.0, -3.0, -1.0, 0.0, 0.4, 2.0, 5.0, 30.0}) {
        const double lr = std::log(s0 / s1) - (x - m1) * (x - m1) / (2 * s1 * s1) +
                          (x - m0) * (x - m0) / (2 * s0 * s0);
        EXPECT_NEAR(log_ratio(p0, p1, x), lr, 1e-9 * (1 + std::abs(lr))) << x;
        EXPECT_NEAR(optimal_d(p0, p1, x), 1 / (1 + std::exp(-lr)), 1e-12) << x;
    }
    // The density ratio identity of 002 Q4.2: f1 = f0·D*/(1 − D*), here at a mixture.
    const Mixture q0 = {component(0.3, -2, 0.5), component(0.7, 1, 1)};
    const Mixture q1 = {component(1, 0, 2)};
    const Curves c = curves(q0, q1, -4, 4, 9);
    ASSERT_EQ(c.x.size(), 9u);
    for (size_t i = 0; i < c.x.size(); ++i)
        EXPECT_NEAR(c.p0[i] * c.d_star[i] / (1 - c.d_star[i]), c.p1[i], 1e-12);
}

TEST(Divergence, JsdLiesInZeroLog2WithItsEqualityCases) {
    const Mixture p = {component(0.4, -1, 0.5), component(0.6, 2, 1.2)};
    const Value same = jsd(p, p);
    EXPECT_NEAR(same.value, 0, 1e-13);
    const Value far = jsd(gauss(-10, 0.1), gauss(10, 0.1));
    EXPECT_NEAR(far.value, kLog2, 1e-12);
    EXPECT_LT(far.error, 1e-10);
    // Disjoint in effect but with one narrow and one wide mode: still log 2.
    EXPECT_NEAR(jsd(gauss(0, 0.01), gauss(200, 5)).value, kLog2, 1e-10);
    for (double shift : {0.1, 0.5, 1.0, 2.0, 4.0}) {
        const Value v = jsd(gauss(0, 1), gauss(shift, 1));
        EXPECT_GT(v.value, 0);
        EXPECT_LT(v.value, kLog2);
        EXPECT_NEAR(v.value, jsd(gauss(shift, 1), gauss(0, 1)).value, 1e-12);  // symmetric
        // JSD ≤ log 2·TV (the integrand is convex, 1-homogeneous and 0 on the diagonal), with
        // TV = 2Φ(Δ/2σ) − 1 for equal variances.
        const double tv = 2 * normal_cdf(shift / 2) - 1;
        EXPECT_LE(v.value, tv * kLog2 + 1e-12);
    }
}

TEST(Divergence, TableRowsAreConvexWithFOfOneZeroAndFenchelYoung) {
    const auto& rows = f_divergences();
    ASSERT_EQ(rows.size(), 7u);
    for (size_t i = 0; i < rows.size(); ++i) {
        const FDivergence& f = rows[i];
        EXPECT_EQ(static_cast<size_t>(f.kind), i);
        EXPECT_EQ(find_f_divergence(f.key), &f);
        for (double alpha : {-1.5, 0.3, 0.5, 2.0, 3.0}) {
            if (f.kind != FKind::Alpha && alpha != 0.5) continue;
            EXPECT_NEAR(f.f(1, alpha), 0, 1e-15) << f.key;
            // Convexity on a grid of t's: the chord lies above.
            for (double a : {0.01, 0.3, 1.0, 2.5})
                for (double b : {0.05, 0.9, 4.0, 20.0})
                    for (double lam : {0.25, 0.5, 0.75})
                        EXPECT_LE(f.f(lam * a + (1 - lam) * b, alpha),
                                  lam * f.f(a, alpha) + (1 - lam) * f.f(b, alpha) + 1e-12)
                            << f.key << " " << a << " " << b;
            for (double t : {0.02, 0.4, 0.9, 1.7, 6.0, 40.0}) {
                const double u = f.fprime(t, alpha);
                // f′ is the slope: a central difference (TV's kink only at t = 1).
                const double h = 1e-6 * t;
                EXPECT_NEAR(u, (f.f(t + h, alpha) - f.f(t - h, alpha)) / (2 * h),
                            1e-5 * (1 + std::abs(u)))
                    << f.key << " t " << t;
                // Fenchel–Young with equality at u = f′(t).
                EXPECT_NEAR(f.conj(u, alpha), t * u - f.f(t, alpha), 1e-9 * (1 + std::abs(t * u)))
                    << f.key << " t " << t << " alpha " << alpha;
                const Domain d = f.dom(alpha);
                EXPECT_TRUE(u > d.lo && (u < d.hi || (d.closed && u <= d.hi))) << f.key;
                // f* is the supremum: t′·u − f(t′) never exceeds it.
                for (double t2 : {0.0, 0.01, 0.5, 1.0, 3.0, 30.0})
                    EXPECT_LE(t2 * u - f.f(t2, alpha),
                              f.conj(u, alpha) + 1e-9 * (1 + t2 * std::abs(u)))
                        << f.key;
            }
        }
    }
    // Off the domain the conjugate is +∞.
    EXPECT_TRUE(std::isinf(f_divergence(FKind::ReverseKL).conj(0.1, 0)));
    EXPECT_TRUE(std::isinf(f_divergence(FKind::JS).conj(0.35, 0)));
    EXPECT_TRUE(std::isinf(f_divergence(FKind::Hellinger).conj(1, 0)));
    EXPECT_TRUE(std::isinf(f_divergence(FKind::TV).conj(0.51, 0)));
    EXPECT_TRUE(std::isinf(f_divergence(FKind::Alpha).conj(2.1, 0.5)));  // 1/(1 − α) = 2
}

TEST(Divergence, FDivergencesMatchTheGaussiansClosedForms) {
    struct Case {
        double m0, s0, m1, s1;
    };
    for (const Case c :
         {Case{0, 1, 1, 1}, Case{-1, 0.8, 2, 1.1}, Case{0.5, 2, 0, 0.3}, Case{0, 1, 0, 1}}) {
        const Mixture p0 = gauss(c.m0, c.s0), p1 = gauss(c.m1, c.s1);
        const double kl = kl_closed(c.m1, c.s1, c.m0, c.s0);
        const double rkl = kl_closed(c.m0, c.s0, c.m1, c.s1);
        const double h2 = 2 * (1 - bhattacharyya(c.m1, c.s1, c.m0, c.s0));
        const double chi = chi2_closed(c.m1, c.s1, c.m0, c.s0);
        const auto check = [&](FKind k, double alpha, double want) {
            const Value v = divergence(f_divergence(k), alpha, p0, p1);
            EXPECT_TRUE(v.finite);
            EXPECT_NEAR(v.value, want, 1e-9 * (1 + want)) << f_divergence(k).key << " " << c.m1;
            EXPECT_LE(std::abs(v.value - want), v.error + 1e-12 * (1 + want));
        };
        check(FKind::KL, 0, kl);
        check(FKind::ReverseKL, 0, rkl);
        check(FKind::Hellinger, 0, h2);
        check(FKind::Pearson, 0, chi);
        for (double a : {-0.5, 0.25, 0.5, 1.5, 2.0}) {
            const double want = (1 - alpha_integral(a, c.m1, c.s1, c.m0, c.s0)) / (a * (1 - a));
            if (a * c.s0 * c.s0 + (1 - a) * c.s1 * c.s1 <= 0 ||
                a / (c.s1 * c.s1) + (1 - a) / (c.s0 * c.s0) <= 0)
                continue;
            check(FKind::Alpha, a, want);
        }
        if (c.s0 == c.s1)
            check(FKind::TV, 0, 2 * normal_cdf(std::abs(c.m1 - c.m0) / (2 * c.s0)) - 1);
    }
    // α = ½ is 2·H² (4(1 − BC)); α = 2 is ½χ².
    const Mixture p0 = gauss(0, 1), p1 = gauss(1.2, 0.9);
    EXPECT_NEAR(divergence(f_divergence(FKind::Alpha), 0.5, p0, p1).value,
                2 * divergence(f_divergence(FKind::Hellinger), 0, p0, p1).value, 1e-10);
    EXPECT_NEAR(divergence(f_divergence(FKind::Alpha), 2, p0, p1).value,
                0.5 * divergence(f_divergence(FKind::Pearson), 0, p0, p1).value, 1e-10);
    // χ² is infinite when p1's tail is at least √2 times p0's.
    const Value inf = divergence(f_divergence(FKind::Pearson), 0, gauss(0, 1), gauss(0, 1.5));
    EXPECT_FALSE(inf.finite);
    EXPECT_TRUE(std::isinf(inf.value));
    EXPECT_TRUE(divergence(f_divergence(FKind::Pearson), 0, gauss(0, 1), gauss(0, 1.4)).finite);
    // Finite in exact arithmetic but beyond double (χ² ≈ e^{2000}): not finite, no NaN.
    const Value huge = divergence(f_divergence(FKind::Pearson), 0, gauss(70, 1.5), gauss(0, 0.6));
    EXPECT_FALSE(huge.finite);
    EXPECT_FALSE(std::isnan(huge.value) || std::isnan(huge.error));
}

TEST(Divergence, VariationalBoundIsTightAtTStarAndLowerElsewhere) {
    const Mixture p0 = {component(0.5, -1.5, 0.6), component(0.5, 1, 0.8)};
    const Mixture p1 = {component(1, 0.3, 1.0)};
    for (const FDivergence& f : f_divergences()) {
        const double alpha = 0.5;
        const Value d = divergence(f, alpha, p0, p1);
        ASSERT_TRUE(d.finite) << f.key;
        const Value b = bound_optimal(f, alpha, p0, p1);
        EXPECT_NEAR(b.value, d.value, 1e-8 * (1 + d.value) + b.error + d.error) << f.key;
        // Other critics: T* shifted, scaled, or constant, all give less.
        const auto tstar = [&](double x) {
            return critic_from_log_ratio(f, alpha, log_ratio(p0, p1, x));
        };
        for (double shift : {-0.2, -0.05}) {
            const Value lower = bound(f, alpha, p0, p1, [&](double x) { return tstar(x) + shift; });
            EXPECT_LT(lower.value, d.value - 1e-6) << f.key << " shift " << shift;
        }
        const Value scaled = bound(f, alpha, p0, p1, [&](double x) { return 0.7 * tstar(x); });
        EXPECT_LT(scaled.value, d.value - 1e-6) << f.key;
        // The constant critic f′(1), optimal for p1 = p0: f′(1) − f*(f′(1)) = f(1) = 0.
        const double c1 = f.fprime(1, alpha);
        const Value flat = bound(f, alpha, p0, p1, [&](double) { return c1; });
        EXPECT_NEAR(flat.value, 0, 1e-9) << f.key;
        EXPECT_LT(flat.value, d.value) << f.key;
    }
    // p0 = N(0, 0.3²), p1 = N(0, 3²): log p1/p0 passes 300 at |x| ≈ 7.4, where p1 still has
    // mass. The bound at T* is still KL(p1‖p0) = log(0.3/3) + 3²/(2·0.3²) − ½ = 47.197 (a
    // clamped critic gave 46.0).
    {
        const Mixture narrow = {component(1, 0, 0.3)}, wide = {component(1, 0, 3)};
        const double kl = std::log(0.3 / 3) + 9 / (2 * 0.09) - 0.5;
        const Value d = divergence(f_divergence(FKind::KL), 0, narrow, wide);
        const Value b = bound_optimal(f_divergence(FKind::KL), 0, narrow, wide);
        EXPECT_NEAR(d.value, kl, 1e-6);
        EXPECT_NEAR(b.value, kl, 1e-6);
    }
    // A critic off dom f* where p0 has mass makes the bound −∞.
    const Value off = bound(f_divergence(FKind::ReverseKL), 0, p0, p1, [](double) { return 0.5; });
    EXPECT_FALSE(off.finite);
    EXPECT_TRUE(std::isinf(off.value) && off.value < 0);
}

TEST(Divergence, DiscriminatorGradientsMatchFiniteDifferences) {
    for (DiscKind kind : {DiscKind::Logistic, DiscKind::Mlp}) {
        Discriminator d = make_discriminator(kind, 5, 3);
        d.center = 0.4;
        d.scale = 1.7;
        for (int i = 0; i < d.theta.size(); ++i) d.theta(i) += 0.1 * std::sin(1.0 + i);
        const std::vector<double> x0 = {-2, -0.5, 0.3}, x1 = {0.1, 1.2, 2.5, 3.0};
        const LossGrad lg = bce(d, x0, x1);
        for (int i = 0; i < d.theta.size(); ++i) {
            Discriminator hi = d, lo = d;
            hi.theta(i) += 1e-6;
            lo.theta(i) -= 1e-6;
            EXPECT_NEAR(lg.grad(i), (bce(hi, x0, x1).loss - bce(lo, x0, x1).loss) / 2e-6, 1e-7);
        }
        for (double x : {-1.0, 0.2, 2.0}) {
            EXPECT_NEAR(logit_dx(d, x), (logit(d, x + 1e-6) - logit(d, x - 1e-6)) / 2e-6, 1e-6);
            const Vec g = logit_grad(d, x);
            for (int i = 0; i < d.theta.size(); ++i) {
                Discriminator hi = d;
                hi.theta(i) += 1e-6;
                EXPECT_NEAR(g(i), (logit(hi, x) - logit(d, x)) / 1e-6, 1e-5);
            }
        }
    }
    Discriminator d = make_discriminator(DiscKind::Logistic, 0, 1);
    d.theta.resize(3);
    d.theta << 0.3, -1.1, 0.4;
    d.center = 2;
    d.scale = 0.5;
    const Eigen::Vector3d c = raw_coefficients(d);
    for (double x : {-1.0, 0.0, 3.0})
        EXPECT_NEAR(logit(d, x), c(0) + c(1) * x + c(2) * x * x, 1e-12);
}

TEST(Divergence, LogisticRegressionRecoversOptimalCoefficientsWithinSamplingError) {
    // Equal variances: logit D* = (μ1 − μ0)/σ²·x − (μ1² − μ0²)/(2σ²), no x² term.
    const double m0 = -0.5, m1 = 1.0, s = 1.2;
    const Mixture p0 = gauss(m0, s), p1 = gauss(m1, s);
    const Eigen::Vector3d want((m0 * m0 - m1 * m1) / (2 * s * s), (m1 - m0) / (s * s), 0);
    TrainOptions o;
    o.kind = DiscKind::Logistic;
    o.train_size = 4000;
    o.batch = o.train_size;  // full batch: converge to the maximum-likelihood fit
    o.lr = 0.05;
    o.decay = 0;
    o.seed = 11;
    Training run = start_training(p0, p1, o);
    train_steps(run, o, 3000);
    const Eigen::Vector3d got = raw_coefficients(run.disc);
    const Eigen::Vector3d sd = logistic_coefficient_sd(p0, p1, o.train_size);
    for (int i = 0; i < 3; ++i) {
        EXPECT_GT(sd(i), 0.005) << i;  // a real error to be within, not a rounding
        EXPECT_LT(sd(i), 0.2) << i;
        EXPECT_LT(std::abs(got(i) - want(i)), 3.5 * sd(i))
            << i << " got " << got(i) << " want " << want(i) << " sd " << sd(i);
    }
    // Full-batch Adam has reached the optimum: the loss's gradient is ~0.
    EXPECT_LT(bce(run.disc, run.x0, run.x1).grad.norm(), 1e-4);
    // The JSD estimate from this D on fresh samples is within 3 SE of the exact value.
    const Value exact = jsd(p0, p1);
    const Estimate e = estimate_jsd(run.disc, p0, p1, 20000, 99);
    EXPECT_GT(e.se, 1e-4);
    EXPECT_LT(e.se, 0.01);
    EXPECT_LT(std::abs(e.value - exact.value), 3 * e.se) << e.value << " vs " << exact.value;
    const Estimate oracle = estimate_jsd_optimal(p0, p1, 20000, 99);
    EXPECT_LT(std::abs(oracle.value - exact.value), 3 * oracle.se);
}

TEST(Divergence, TrainingIsDeterministicAndSplitsFreely) {
    const Mixture p0 = {component(0.5, -2, 0.5), component(0.5, 2, 0.5)};
    const Mixture p1 = gauss(0, 1);
    TrainOptions o = mlp_options(6, 32, 500, 5);
    Training a = start_training(p0, p1, o), b = start_training(p0, p1, o);
    train_steps(a, o, 300);
    train_steps(b, o, 100);
    train_steps(b, o, 200);
    EXPECT_EQ(a.disc.theta, b.disc.theta);
    o.seed = 6;
    Training c = start_training(p0, p1, o);
    train_steps(c, o, 300);
    EXPECT_NE(a.disc.theta, c.disc.theta);
}

TEST(Divergence, MlpLearnsABimodalOptimalDiscriminator) {
    // D* is not monotone here (p0 bimodal around p1): the MLP's D follows it.
    const Mixture p0 = {component(0.5, -2.5, 0.6), component(0.5, 2.5, 0.6)};
    const Mixture p1 = gauss(0, 1);
    TrainOptions o = mlp_options(8, 128, 4000, 2);
    o.lr = 0.03;
    Training run = start_training(p0, p1, o);
    const double before = bce(run.disc, run.x0, run.x1).loss;
    train_steps(run, o, 3000);
    const double after = bce(run.disc, run.x0, run.x1).loss;
    EXPECT_LT(after, before - 0.2);
    for (double x : {-2.5, -1.2, 0.0, 1.2, 2.5})
        EXPECT_NEAR(prob(run.disc, x), optimal_d(p0, p1, x), 0.08) << x;
}

TEST(Divergence, GeneratorLossGradientsSaturateOnlyForTheSaturatingLoss) {
    for (double d : {0.01, 0.3, 0.9}) {
        for (GenLoss l : {GenLoss::Saturating, GenLoss::NonSaturating}) {
            const double h = 1e-7;
            EXPECT_NEAR(generator_loss_dD(l, d),
                        (generator_loss(l, d + h) - generator_loss(l, d - h)) / (2 * h),
                        1e-5 * (1 + std::abs(generator_loss_dD(l, d))));
        }
        EXPECT_DOUBLE_EQ(generator_loss_dD(GenLoss::Saturating, d), -1 / (1 - d));
        EXPECT_DOUBLE_EQ(generator_loss_dD(GenLoss::NonSaturating, d), -1 / d);
    }
    // A logistic D scoring the data p1 = N(2, 1) against fakes p0 = N(−2, 1): a(x) = 4x, so
    // a′ = 4 and a fake at x = −3 has D = σ(−12) ≈ 6e-6: rejected.
    Discriminator disc = make_discriminator(DiscKind::Logistic, 0, 1);
    disc.theta.resize(3);
    disc.theta << 0, 4, 0;
    for (double x : {-3.0, -1.0, 0.0, 0.5}) {
        for (GenLoss l : {GenLoss::Saturating, GenLoss::NonSaturating}) {
            const double h = 1e-6;
            const double fd =
                (generator_loss(l, prob(disc, x + h)) - generator_loss(l, prob(disc, x - h))) /
                (2 * h);
            EXPECT_NEAR(generator_grad_x(disc, x, l), fd, 1e-5) << x;
        }
        const double dx = 1 / (1 + std::exp(-4 * x));
        EXPECT_NEAR(generator_grad_x(disc, x, GenLoss::Saturating), -dx * 4, 1e-12);
        EXPECT_NEAR(generator_grad_x(disc, x, GenLoss::NonSaturating), -(1 - dx) * 4, 1e-12);
    }
    EXPECT_LT(std::abs(generator_grad_x(disc, -3, GenLoss::Saturating)), 1e-4);  // vanishes
    EXPECT_NEAR(generator_grad_x(disc, -3, GenLoss::NonSaturating), -4, 1e-4);   // full slope
    EXPECT_LT(std::abs(generator_grad_x(disc, -10, GenLoss::Saturating)), 1e-16);
}

}  // namespace
