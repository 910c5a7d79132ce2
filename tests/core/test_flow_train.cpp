// Training 2-D flows (issue 13 core): the analytic gradients of both objectives against
// central finite differences for every trainable layer type, the U1–U4 energies against the
// paper's formulas written out here, pack/unpack round trips and the invertibility kept by the
// reparameterization, Gaussian fits recovering closed-form moments, K = 32 planar on U1
// (KL via a log Z by quadrature), mode covering vs mode seeking, divergence handling, and the
// step time of K = 16 planar layers at batch 2048 (printed, loosely bounded).
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/flow_train.hpp"
#include "genlab/parallel.hpp"
#include "sanitized.hpp"

using namespace genlab::flow;
using namespace genlab::flow::train;

namespace {

constexpr double kPi = 3.14159265358979323846;

genlab::kl::Component component(double w, double mx, double my, double sxx, double sxy,
                                double syy) {
    genlab::kl::Component c;
    c.weight = w;
    c.mean = Eigen::Vector2d(mx, my);
    c.cov = (Eigen::Matrix2d() << sxx, sxy, sxy, syy).finished();
    return c;
}

// Central differences of a loss in θ (step 1e-5: truncation ~1e-10, rounding ~1e-11).
template <typename F>
Eigen::VectorXd fd_grad(const Eigen::VectorXd& theta, F&& loss, double h = 1e-5) {
    Eigen::VectorXd g(theta.size());
    for (int i = 0; i < theta.size(); ++i) {
        Eigen::VectorXd a = theta, b = theta;
        a(i) += h;
        b(i) -= h;
        g(i) = (loss(a) - loss(b)) / (2 * h);
    }
    return g;
}

// A mixed stack with parameters far from the identity, so no term of the gradient is ~0.
Stack mixed_stack() {
    Stack s;
    Mat2 L;
    L << 1.3, 0, 0.4, 0.7;
    s.layers.push_back(Layer::affine({0.3, -0.2}, L));
    s.layers.push_back(Layer::planar({0.9, -0.6}, {-1.4, 0.5}, 0.3));  // wᵀu = −1.56: û fix works
    s.layers.push_back(Layer::radial({0.4, 0.1}, 0.8, -0.5));
    s.layers.push_back(Layer::planar({-0.5, 1.1}, {0.7, 0.8}, -0.2));
    s.layers.push_back(Layer::radial({-0.6, 0.5}, 1.5, 2.0));
    s.base_mean = {0.1, -0.2};
    s.base_std = {0.9, 1.2};
    unpack(pack(s), s);  // planar layers with enforce on, as training uses them
    return s;
}

void expect_grad_close(const Eigen::VectorXd& g, const Eigen::VectorXd& fd, double rel) {
    ASSERT_EQ(g.size(), fd.size());
    const double scale = std::max(1.0, fd.cwiseAbs().maxCoeff());
    for (int i = 0; i < g.size(); ++i) EXPECT_NEAR(g(i), fd(i), rel * scale) << "θ[" << i << "]";
}

double paper_u(int which, double z1, double z2) {
    // Table 1 of Rezende & Mohamed (2015), written independently of the library's templates.
    const double w1 = std::sin(2 * kPi * z1 / 4);
    const double w2 = 3 * std::exp(-0.5 * std::pow((z1 - 1) / 0.6, 2));
    const double w3 = 3 / (1 + std::exp(-(z1 - 1) / 0.3));
    const double r = std::hypot(z1, z2);
    // U2–U4's soft wall at |z1| = 4 (width 0.2): they have finite mass with it.
    const double out = std::max(0.0, std::abs(z1) - 4);
    if (which != 1) {
        const double printed = which == 2 ? 0.5 * std::pow((z2 - w1) / 0.4, 2)
                               : which == 3
                                   ? -std::log(std::exp(-0.5 * std::pow((z2 - w1) / 0.35, 2)) +
                                               std::exp(-0.5 * std::pow((z2 - w1 + w2) / 0.35, 2)))
                                   : -std::log(std::exp(-0.5 * std::pow((z2 - w1) / 0.4, 2)) +
                                               std::exp(-0.5 * std::pow((z2 - w1 + w3) / 0.35, 2)));
        return printed + 0.5 * std::pow(out / 0.2, 2);
    }
    switch (which) {
        case 1:
            return 0.5 * std::pow((r - 2) / 0.4, 2) -
                   std::log(std::exp(-0.5 * std::pow((z1 - 2) / 0.6, 2)) +
                            std::exp(-0.5 * std::pow((z1 + 2) / 0.6, 2)));
        case 2:
            return 0.5 * std::pow((z2 - w1) / 0.4, 2);
        case 3:
            return -std::log(std::exp(-0.5 * std::pow((z2 - w1) / 0.35, 2)) +
                             std::exp(-0.5 * std::pow((z2 - w1 + w2) / 0.35, 2)));
        default:
            return -std::log(std::exp(-0.5 * std::pow((z2 - w1) / 0.4, 2)) +
                             std::exp(-0.5 * std::pow((z2 - w1 + w3) / 0.35, 2)));
    }
}

// log ∫ exp(−U) by the midpoint rule on [−6, 6]², 1200² cells (U1–U4 have all but ~e⁻⁵⁰ of
// their mass well inside; the integrand is smooth at scale 0.35 ≫ 0.01).
double log_z_quadrature(int which) {
    const int n = 1200;
    const double e = 6, h = 2 * e / n;
    double sum = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            sum += std::exp(-paper_u(which, -e + (i + 0.5) * h, -e + (j + 0.5) * h));
    return std::log(sum * h * h);
}

// A stack with coupling layers of both orientations and two H, between planar and affine
// layers, with weights large enough that every term of the gradient matters.
Stack coupling_stack() {
    Stack s;
    s.layers.push_back(Layer::coupling(false, {1.2, -0.8, 0.6, 1.5}, {0.1, 0.4, -0.3, 0.2},
                                       {0.7, -0.5, 0.4, 0.3}, {0.9, 0.6, -0.8, 0.4}, 0.2, -0.3,
                                       1.5));
    s.layers.push_back(Layer::planar({0.6, -0.4}, {0.5, 0.7}, 0.1));
    s.layers.push_back(Layer::coupling(true, {-0.9, 1.1, 0.5}, {0.3, -0.2, 0.1}, {0.6, 0.5, -0.7},
                                       {1.0, -0.5, 0.8}, -0.1, 0.4, 2.0));
    Mat2 L;
    L << 1.1, 0, -0.3, 0.8;
    s.layers.push_back(Layer::affine({0.2, 0.1}, L));
    s.base_mean = {0.1, -0.2};
    s.base_std = {0.9, 1.2};
    unpack(pack(s), s);
    return s;
}

// log ∫∫ e^{−U} over [−e, e]² by composite Simpson on n×n intervals and on 2n×2n, with the
// Richardson step (S_2n − S_n)/15: an O(h⁶) rule independent of the library's Gauss–Legendre.
// *spread receives |S_2n − S_n| (relative), which says how far the reference itself can be off.
double log_z_simpson(int which, double e, int n, double* spread) {
    const auto simpson = [&](int m) {
        const double h = 2 * e / m;
        std::vector<double> w(static_cast<size_t>(m + 1));
        for (int i = 0; i <= m; ++i)
            w[static_cast<size_t>(i)] = (i == 0 || i == m) ? 1 : (i % 2 ? 4 : 2);
        double sum = 0;
        for (int i = 0; i <= m; ++i)
            for (int j = 0; j <= m; ++j)
                sum += w[static_cast<size_t>(i)] * w[static_cast<size_t>(j)] *
                       std::exp(-paper_u(which, -e + i * h, -e + j * h));
        return sum * h * h / 9;
    };
    const double a = simpson(n), b = simpson(2 * n);
    *spread = std::abs(b - a) / b;
    return std::log(b + (b - a) / 15);
}

// The fraction of n samples of the flow within `radius` of c.
double mass_near(const Stack& s, const Vec2& c, double radius, int n = 20000) {
    const Eigen::Matrix2Xd x = push_batch(s, base_samples(s, n, 99));
    int in = 0;
    for (int i = 0; i < n; ++i) in += (x.col(i) - c).norm() < radius;
    return static_cast<double>(in) / n;
}

}  // namespace

TEST(FlowTrain, EnergiesMatchThePaperAndAutoDiffGradients) {
    for (int which = 1; which <= 4; ++which) {
        const Target t = Target::energy(which);
        for (const Vec2& z : {Vec2(0.3, -1.1), Vec2(-2.1, 0.4), Vec2(1.7, 1.9), Vec2(0.05, 0.02)}) {
            EXPECT_NEAR(t.log_density(z), -paper_u(which, z(0), z(1)), 1e-12) << "U" << which;
            const double h = 1e-6;
            const Vec2 g = t.grad_log_density(z);
            for (int i = 0; i < 2; ++i) {
                Vec2 a = z, b = z;
                a(i) += h;
                b(i) -= h;
                const double fd =
                    -(paper_u(which, a(0), a(1)) - paper_u(which, b(0), b(1))) / (2 * h);
                EXPECT_NEAR(g(i), fd, 1e-6 * std::max(1.0, std::abs(fd))) << "U" << which;
            }
        }
    }
    // Far from the modes the naive log(e^a + e^b) underflows to −log 0 = +∞; ours stays finite
    // and equals the leading term.
    const Target u1 = Target::energy(1);
    EXPECT_NEAR(u1.log_density(Vec2(40, 0)),
                -(0.5 * std::pow(38 / 0.4, 2) - (-0.5 * std::pow(38 / 0.6, 2))), 1e-9);
}

TEST(FlowTrain, U2ToU4HaveFiniteMassAndThePrintedFormInsideTheWall) {
    // Inside |z1| ≤ 4 the printed U2; beyond, the wall: e^{−U} integrates to a finite number,
    // almost all of it inside |z1| ≤ 4.5 (midpoint rule on [−8, 8] × [−6, 6]).
    const Target u2 = Target::energy(2);
    for (double z1 : {-3.9, -1.0, 0.3, 2.5, 4.0}) {
        const double w1 = std::sin(2 * M_PI * z1 / 4);
        EXPECT_NEAR(-u2.log_density({z1, 0.7}), 0.5 * std::pow((0.7 - w1) / 0.4, 2), 1e-12);
    }
    for (int which : {2, 3, 4}) {
        const Target t = Target::energy(which);
        double inside = 0, all = 0;
        const double h = 0.02;
        for (double a = -8 + h / 2; a < 8; a += h)
            for (double b = -6 + h / 2; b < 6; b += h) {
                const double p = std::exp(t.log_density({a, b})) * h * h;
                all += p;
                if (std::abs(a) <= 4.5) inside += p;
            }
        EXPECT_GT(all, 1.0) << which;
        EXPECT_LT(all, 20.0) << which;
        EXPECT_GT(inside / all, 0.98) << which;
    }
}

TEST(FlowTrain, TargetTableAndAvailability) {
    ASSERT_EQ(target_table().size(), 8u);
    for (size_t i = 0; i < target_table().size(); ++i)
        EXPECT_EQ(static_cast<size_t>(target_table()[i].kind), i);
    EXPECT_TRUE(info(TargetKind::Mixture).log_z_known);
    EXPECT_FALSE(info(TargetKind::U1).has_samples);
    const std::string r = unavailable(Target::two_moons(), Objective::Reverse);
    EXPECT_NE(r.find("two_moons has only samples"), std::string::npos) << r;
    const std::string f = unavailable(Target::energy(2), Objective::Forward);
    EXPECT_NE(f.find("u2 has only a density"), std::string::npos) << f;
    EXPECT_EQ(unavailable(Target::from_mixture({component(1, 0, 0, 1, 0, 1)}), Objective::Forward),
              "");
    EXPECT_THROW(Trainer(planar_stack(2, 1), Target::two_moons(), Options{}),
                 std::invalid_argument);
    Options fwd;
    fwd.objective = Objective::Forward;
    EXPECT_THROW(
        Trainer(planar_stack(2, 1), Target::from_function([](double, double) { return 0.0; }), fwd),
        std::invalid_argument);
    // Two moons: deterministic in the seed, centred, the two half circles of radius 1.
    const Eigen::Matrix2Xd m = Target::two_moons(0).sample(1000, 5);
    EXPECT_TRUE(m.isApprox(Target::two_moons(0).sample(1000, 5)));
    for (int i = 0; i < 1000; ++i) {
        const Vec2 p = m.col(i) + Vec2(0.5, 0.25);
        const Vec2 c = i % 2 == 0 ? Vec2(0, 0) : Vec2(1, 0.5);
        EXPECT_NEAR((p - c).norm(), 1, 1e-12);
    }
}

TEST(FlowTrain, PackUnpackAndTheReparameterizationKeepsInvertibility) {
    Stack s = mixed_stack();
    const Eigen::VectorXd theta = pack(s);
    ASSERT_EQ(theta.size(), 5 + 5 + 4 + 5 + 4);
    Stack back = s;
    unpack(theta, back);
    EXPECT_NEAR(back.layers[2].alpha, 0.8, 1e-14);
    EXPECT_NEAR(back.layers[2].beta, -0.5, 1e-14);
    EXPECT_NEAR(back.layers[0].L(1, 0), 0.4, 0);
    // Any θ at all gives an invertible stack: wᵀû > −1, α > 0, β > −α, L_ii > 0.
    std::srand(3);
    for (int trial = 0; trial < 200; ++trial) {
        Eigen::VectorXd r = Eigen::VectorXd::Random(theta.size()) * 6;
        unpack(r, back);
        EXPECT_TRUE(invertible(back));
        // wᵀû = −1 + softplus(wᵀu) ≥ −1 (rounds to −1 when wᵀu ≪ 0: still invertible).
        EXPECT_GE(back.layers[1].w.dot(planar_u(back.layers[1])), -1 - 1e-12);
        EXPECT_GT(back.layers[2].beta, -back.layers[2].alpha);
    }
    Stack bad;
    bad.layers.push_back(Layer::residual(Mat2::Identity() * 0.5, {0, 0}, 0.9));
    EXPECT_THROW(pack(bad), std::invalid_argument);
    Stack neg;
    neg.layers.push_back(Layer::affine({0, 0}, (Mat2() << -1, 0, 0, 1).finished()));
    try {
        pack(neg);
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("flow.layers[0].L[0][0] must be > 0"),
                  std::string::npos);
    }
}

TEST(FlowTrain, UntrainedPlanarStacksStayCloseToTheIdentity) {
    // 32 layers of the û fix at wᵀu ≈ 0 would each contract by 0.69 along w (det J = 1 +
    // m(0)): the base squeezed to a point, nothing for a student to see before training.
    const Stack s = planar_stack(32, 1);
    for (const Layer& l : s.layers) EXPECT_NEAR(l.w.dot(planar_u(l)), 0.0, 0.5);
    for (double a : {-2.0, 0.0, 1.5})
        for (double b : {-1.0, 0.5, 2.0}) {
            Vec2 z(a, b);
            double log_det = 0;
            const Vec2 x = genlab::flow::push(s, z, &log_det);
            // Each layer moves a point by |û·tanh(·)| in its own random direction, so 32 of
            // them add up like a random walk: about 1 in all, far less than the base's spread.
            EXPECT_LT((x - z).norm(), 1.6) << a << ", " << b;
            EXPECT_LT(std::abs(log_det), std::log(2.0)) << a << ", " << b;
        }
}

TEST(FlowTrain, ReverseGradientMatchesFiniteDifferencesForEveryLayerType) {
    const Target targets[] = {Target::energy(2), Target::energy(1),
                              Target::from_mixture({component(0.3, -1, 0.5, 0.6, 0.2, 0.9),
                                                    component(0.7, 1.5, -0.5, 1.2, -0.3, 0.5)})};
    std::vector<Stack> stacks;
    const Stack mixed = mixed_stack();
    for (size_t k = 0; k < mixed.layers.size(); ++k) {
        Stack one = mixed;
        one.layers = {mixed.layers[k]};
        stacks.push_back(one);  // one layer of each type alone
    }
    stacks.push_back(mixed);
    for (const Target& t : targets)
        for (const Stack& s : stacks) {
            const Eigen::Matrix2Xd u = base_samples(s, 40, 11);
            const Eigen::VectorXd theta = pack(s);
            const Loss l = reverse_loss(s, t, u, true);
            const Eigen::VectorXd fd = fd_grad(theta, [&](const Eigen::VectorXd& th) {
                Stack c = s;
                unpack(th, c);
                return reverse_loss(c, t, u, false).value;
            });
            expect_grad_close(l.grad, fd, 1e-6);
        }
}

TEST(FlowTrain, ForwardGradientThroughTheInverseMatchesFiniteDifferences) {
    // Implicit-function gradients through planar's root solve and radial's closed form.
    const Target t = Target::from_mixture(
        {component(0.5, -1, 0.5, 0.6, 0.2, 0.9), component(0.5, 1.5, -0.5, 1.2, -0.3, 0.5)});
    const Eigen::Matrix2Xd x = t.sample(40, 4);
    const Stack mixed = mixed_stack();
    std::vector<Stack> stacks;
    for (size_t k = 0; k < mixed.layers.size(); ++k) {
        Stack one = mixed;
        one.layers = {mixed.layers[k]};
        stacks.push_back(one);
    }
    stacks.push_back(mixed);
    for (const Stack& s : stacks) {
        const Eigen::VectorXd theta = pack(s);
        const Loss l = forward_loss(s, x, true);
        ASSERT_TRUE(l.finite);
        const Eigen::VectorXd fd = fd_grad(theta, [&](const Eigen::VectorXd& th) {
            Stack c = s;
            unpack(th, c);
            return forward_loss(c, x, false).value;
        });
        expect_grad_close(l.grad, fd, 1e-6);
        // The value is −log q(x) by the library's own density (an independent inverse path).
        double ref = 0;
        for (int i = 0; i < x.cols(); ++i) ref -= log_density(s, x.col(i))->log_density;
        EXPECT_NEAR(l.value, ref / x.cols(), 1e-10);
    }
}

TEST(FlowTrain, CouplingPacksItsNetworkAndBothGradientsMatchFiniteDifferences) {
    const Stack mixed = coupling_stack();
    ASSERT_EQ(param_count(mixed), 18 + 5 + 14 + 5);
    const Eigen::VectorXd theta = pack(mixed);
    // θ of a coupling layer: a, c, vs, vt, then bs, bt.
    EXPECT_EQ(theta(0), 1.2);
    EXPECT_EQ(theta(4), 0.1);
    EXPECT_EQ(theta(8), 0.7);
    EXPECT_EQ(theta(12), 0.9);
    EXPECT_EQ(theta(16), 0.2);
    EXPECT_EQ(theta(17), -0.3);
    Stack back = mixed;
    unpack(Eigen::VectorXd::Constant(theta.size(), 0.3), back);
    EXPECT_EQ(back.layers[2].cp_vt, std::vector<double>(3, 0.3));
    EXPECT_TRUE(back.layers[2].keep_z2);  // keep_z2 and scale are not trained
    EXPECT_EQ(back.layers[2].cp_scale, 2.0);
    const Target mixture = Target::from_mixture(
        {component(0.4, -1, 0.5, 0.6, 0.2, 0.9), component(0.6, 1.5, -0.5, 1.2, -0.3, 0.5)});
    std::vector<Stack> stacks;
    for (size_t k : {0u, 2u}) {
        Stack one = mixed;
        one.layers = {mixed.layers[k]};
        stacks.push_back(one);  // each orientation alone
    }
    stacks.push_back(mixed);
    for (const Stack& s : stacks) {
        const Eigen::VectorXd th = pack(s);
        const auto with = [&](const Eigen::VectorXd& v) {
            Stack c = s;
            unpack(v, c);
            return c;
        };
        for (const Target& t : {Target::energy(1), Target::energy(3), mixture}) {
            const Eigen::Matrix2Xd u = base_samples(s, 40, 11);
            const Loss l = reverse_loss(s, t, u, true);
            const Eigen::VectorXd fd = fd_grad(th, [&](const Eigen::VectorXd& v) {
                return reverse_loss(with(v), t, u, false).value;
            });
            expect_grad_close(l.grad, fd, 1e-6);
        }
        const Eigen::Matrix2Xd x = mixture.sample(40, 4);
        const Loss f = forward_loss(s, x, true);
        ASSERT_TRUE(f.finite);
        const Eigen::VectorXd fd = fd_grad(
            th, [&](const Eigen::VectorXd& v) { return forward_loss(with(v), x, false).value; });
        expect_grad_close(f.grad, fd, 1e-6);
        double ref = 0;
        for (int i = 0; i < x.cols(); ++i) ref -= log_density(s, x.col(i))->log_density;
        EXPECT_NEAR(f.value, ref / x.cols(), 1e-10);
    }
}

TEST(FlowTrain, RandomCouplingStacksAlternateTheKeptCoordinate) {
    const Stack s = random_stack({Type::Coupling, Type::Planar, Type::Coupling, Type::Coupling}, 3);
    ASSERT_EQ(s.layers.size(), 4u);
    EXPECT_FALSE(s.layers[0].keep_z2);
    EXPECT_TRUE(s.layers[2].keep_z2);
    EXPECT_FALSE(s.layers[3].keep_z2);
    EXPECT_EQ(s.layers[0].cp_a.size(), 4u);
    EXPECT_EQ(param_count(s), 18 + 5 + 18 + 18);
    // Close to the identity: |s|, |t| small on the base's bulk.
    for (const Vec2& z : {Vec2(0.5, -1), Vec2(-1.5, 0.3), Vec2(0, 0)}) {
        const Layer& l = s.layers[0];
        EXPECT_LT(std::abs(log_abs_det(l, z)), 0.5);
        EXPECT_LT((forward(l, z) - z).norm(), 0.5);
    }
    EXPECT_TRUE(random_stack({Type::Coupling}, 3).layers[0].cp_a ==
                random_stack({Type::Coupling}, 3).layers[0].cp_a);  // deterministic in the seed
}

TEST(FlowTrain, CouplingStackFitsACorrelatedGaussianAndTwoMoons) {
    if (genlab::testing::kSanitized)
        GTEST_SKIP() << "a convergence check (21 s under ASan); Release runs it";
    // Forward KL from samples of N(μ, Σ) with correlation 0.8, shifted off the origin: four
    // coupling layers alone (no affine layer) bring KL(p‖q) near 0.
    const Target gauss = Target::from_mixture({component(1, 1.5, -1, 1.0, 0.8 * 0.5, 0.25)});
    const std::vector<Type> four(4, Type::Coupling);
    Options o;
    o.objective = Objective::Forward;
    o.lr = 0.03;
    o.lr_half_life = 300;
    o.batch = 256;
    o.seed = 2;
    Trainer g(random_stack(four, 1), gauss, o);
    const Estimates g0 = g.estimate(20000, 3);
    g.step(800);
    ASSERT_FALSE(g.stopped()) << g.stop_reason();
    const Estimates g1 = g.estimate(20000, 3);
    std::printf("coupling ×4, Gaussian ρ = 0.8: KL(p‖q) %.4f → %.4f ± %.4f\n", *g0.kl_forward,
                *g1.kl_forward, *g1.kl_forward_se);
    EXPECT_GT(*g0.kl_forward, 1.0);
    EXPECT_LT(*g1.kl_forward, 0.05);
    EXPECT_GT(*g1.kl_forward, -4 * *g1.kl_forward_se);
    // The fitted moments (samples of q) against the target's.
    const Eigen::Matrix2Xd x = push_batch(g.stack(), base_samples(g.stack(), 40000, 5));
    const Vec2 m = x.rowwise().mean();
    const Eigen::Matrix2Xd c = x.colwise() - m;
    const Mat2 cov = c * c.transpose() / x.cols();
    // A mean off by δ along x1 costs only ≈ δ²/(2σ1²(1 − ρ²)) nats (0.014 at δ = 0.1): a fit
    // with KL ≈ 0.01 can be 0.08 off, so the moments get 0.1.
    EXPECT_NEAR(m(0), 1.5, 0.1);
    EXPECT_NEAR(m(1), -1, 0.1);
    EXPECT_NEAR(cov(0, 1) / std::sqrt(cov(0, 0) * cov(1, 1)), 0.8, 0.05);
    // Two moons (samples only): the cross-entropy −E_p[log q] falls by over a nat; the base
    // N(0, I) is its starting point (~2.3 nats).
    const std::vector<Type> six(6, Type::Coupling);
    Trainer mo(random_stack(six, 4), Target::two_moons(0.1), o);
    const Estimates m0 = mo.estimate(20000, 3);
    mo.step(800);
    ASSERT_FALSE(mo.stopped()) << mo.stop_reason();
    const Estimates m1 = mo.estimate(20000, 3);
    std::printf("coupling ×6, two moons: −E_p[log q] %.4f → %.4f ± %.4f\n", *m0.forward_objective,
                *m1.forward_objective, *m1.forward_se);
    EXPECT_LT(*m1.forward_objective, *m0.forward_objective - 1.0);
    EXPECT_TRUE(invertible(mo.stack()));
}

TEST(FlowTrain, LogZOfTheEnergiesHoldsItsBoundAgainstAFinerRule) {
    EXPECT_TRUE(info(TargetKind::U3).log_z_quadrature);
    EXPECT_FALSE(info(TargetKind::U3).log_z_known);  // still "closed form" only
    EXPECT_FALSE(info(TargetKind::Mixture).log_z_quadrature);
    EXPECT_EQ(*Target::from_mixture({component(1, 0, 0, 1, 0, 1)}).log_z_error(), 0.0);
    EXPECT_FALSE(Target::two_moons().log_z());
    for (int which = 1; which <= 4; ++which) {
        const Target t = Target::energy(which);
        const std::optional<LogZ> z = t.log_z_estimate();
        ASSERT_TRUE(z);
        const double e = which == 1 ? 6 : 8;  // the walled energies on [−8, 8]²
        EXPECT_LE(z->error, 1e-4) << "U" << which;
        double spread = 0;
        const double ref = log_z_simpson(which, e, 800, &spread);
        // The reference's own error: Richardson removes the h⁴ term of a spread ≲ 1e-7.
        EXPECT_LT(spread, 1e-6) << "U" << which;
        std::printf("U%d: log Z = %.10f ± %.1e (Simpson–Richardson %.10f)\n", which, z->value,
                    z->error, ref);
        EXPECT_LE(std::abs(z->value - ref), z->error + spread) << "U" << which;
        EXPECT_EQ(*t.log_z(), z->value);  // cached: the same number every call
        EXPECT_EQ(*t.log_z_error(), z->error);
    }
    // U1 as the midpoint rule of the earlier test found it (1.8775 on [−6, 6]²).
    EXPECT_NEAR(*Target::energy(1).log_z(), log_z_quadrature(1), 1e-4);
    // U2 with its wall has a closed form up to the z2 tails: ∫ dz1 [8 + the wall's two Gaussian
    // halves, 2·0.2·√(π/2)] × 0.4·√(2π) (the z2 tails beyond 8 are below e^{−50}).
    EXPECT_NEAR(*Target::energy(2).log_z(),
                std::log((8 + 0.2 * std::sqrt(2 * kPi)) * 0.4 * std::sqrt(2 * kPi)), 1e-10);
}

TEST(FlowTrain, ReverseKlOfTheEnergiesIsAKlUpToItsError) {
    // The identity flow q = N(0, I): KL(q‖p) by midpoint quadrature on [−6, 6]² (U1) or
    // [−8, 8]² (the walled U2–U4), against the Monte-Carlo estimate.
    for (int which = 1; which <= 4; ++which) {
        const Target t = Target::energy(which);
        Stack id;
        Trainer tr(id, t, Options{});
        const Estimates e = tr.estimate(40000, 3);
        ASSERT_TRUE(e.kl_reverse && e.kl_reverse_se) << "U" << which;
        const double ext = which == 1 ? 6 : 8, log_z = *t.log_z();
        const int n = 600;
        const double h = 2 * ext / n;
        double mass = 0, integral = 0;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                const Vec2 x(-ext + (i + 0.5) * h, -ext + (j + 0.5) * h);
                const double lq = base_log_density(id, x), q = std::exp(lq) * h * h;
                mass += q;
                integral += q * (lq + paper_u(which, x(0), x(1)));
            }
        const double kl = integral / mass - std::log(mass) + log_z;
        std::printf("U%d, q = N(0, I): KL %.4f ± %.4f (quadrature %.4f)\n", which, *e.kl_reverse,
                    *e.kl_reverse_se, kl);
        EXPECT_NEAR(*e.kl_reverse, kl, 4 * *e.kl_reverse_se + 1e-3) << "U" << which;
        EXPECT_NEAR(mass, 1.0, 1e-6);  // the box holds q
        EXPECT_GT(kl, 0.1);            // not a 0 ≈ 0 comparison
    }
    // Trained a little with reverse KL: still a KL (≥ 0 up to its noise), and smaller.
    for (int which = 1; which <= 4; ++which) {
        Options o;
        o.lr = 0.01;
        o.seed = 5;
        Trainer tr(planar_stack(8, 3), Target::energy(which), o);
        const Estimates before = tr.estimate(20000, 1);
        tr.step(500);
        ASSERT_FALSE(tr.stopped()) << tr.stop_reason();
        const Estimates after = tr.estimate(20000, 1);
        ASSERT_TRUE(after.kl_reverse && after.kl_reverse_se);
        std::printf("U%d, K = 8 planar: KL %.4f → %.4f ± %.4f\n", which, *before.kl_reverse,
                    *after.kl_reverse, *after.kl_reverse_se);
        EXPECT_GT(*after.kl_reverse, -3 * *after.kl_reverse_se) << "U" << which;
        EXPECT_LT(*after.kl_reverse, *before.kl_reverse) << "U" << which;
    }
}

TEST(FlowTrain, ReverseKlAffineRecoversAGaussianTarget) {
    // One affine layer on N(0, I) is exactly N(μ, LLᵀ): the reverse-KL optimum is the target.
    const Vec2 mean(1.5, -0.7);
    Mat2 cov;
    cov << 0.8, 0.3, 0.3, 0.5;
    const Target t =
        Target::from_mixture({component(1, mean(0), mean(1), cov(0, 0), cov(0, 1), cov(1, 1))});
    Stack s;
    s.layers.push_back(Layer::affine({0, 0}, Mat2::Identity()));
    Options o;
    o.lr = 0.05;
    o.lr_half_life = 300;
    o.batch = 256;
    o.seed = 3;
    // Moment-matched batches: the per-batch gradient is exactly 0 at the target, so Adam
    // converges to it instead of jittering by ~lr around it.
    o.moment_match = true;
    Trainer tr(s, t, o);
    EXPECT_EQ(tr.step(3000), 3000);
    const Layer& l = tr.stack().layers[0];
    const Mat2 fit = l.L * l.L.transpose();
    EXPECT_NEAR((l.mu - mean).norm(), 0, 1e-3) << l.mu.transpose();
    EXPECT_NEAR((fit - cov).cwiseAbs().maxCoeff(), 0, 1e-3) << fit;
    const Estimates e = tr.estimate(20000, 5);
    ASSERT_TRUE(e.kl_reverse && e.kl_forward);
    EXPECT_LT(std::abs(*e.kl_reverse), 1e-4);  // q = p: every sample gives log q − log p ≈ 0
    EXPECT_LT(std::abs(*e.kl_forward), 1e-4);
    // Plain Monte-Carlo batches reach the same optimum up to their noise.
    o.moment_match = false;
    o.batch = 1024;
    Trainer plain(s, t, o);
    plain.step(3000);
    const Layer& p = plain.stack().layers[0];
    EXPECT_NEAR((p.mu - mean).norm(), 0, 2e-2);
    EXPECT_NEAR((p.L * p.L.transpose() - cov).cwiseAbs().maxCoeff(), 0, 2e-2);
}

TEST(FlowTrain, ForwardKlAffineMatchesTheSampleMoments) {
    // Maximum likelihood of N(μ, LLᵀ) from data: the sample mean and the 1/n covariance.
    const Target t = Target::from_mixture({component(1, -0.5, 2, 1.5, -0.6, 0.7)});
    Stack s;
    s.layers.push_back(Layer::affine({0, 0}, Mat2::Identity()));
    Options o;
    o.objective = Objective::Forward;
    o.lr = 0.05;
    o.lr_half_life = 300;
    o.batch = 300;  // the whole data set: a deterministic gradient
    Eigen::Matrix2Xd pts = t.sample(300, 21);
    Trainer tp(s, Target::from_points(pts), o);
    tp.step(5000);
    const Vec2 m = pts.rowwise().mean();
    const Eigen::Matrix2Xd c = pts.colwise() - m;
    const Mat2 cov = c * c.transpose() / pts.cols();
    const Layer& l = tp.stack().layers[0];
    EXPECT_NEAR((l.mu - m).norm(), 0, 1e-6) << l.mu.transpose() << " vs " << m.transpose();
    EXPECT_NEAR((l.L * l.L.transpose() - cov).cwiseAbs().maxCoeff(), 0, 1e-6);
}

TEST(FlowTrain, Planar32OnU1ReducesTheKlFiveFold) {
    if (genlab::testing::kSanitized)
        GTEST_SKIP() << "a convergence check (25 s under ASan); Release runs it";
    // Reverse KL to p̃ = e^{−U1} is KL(q‖p) − log Z; log Z by quadrature turns it into a KL.
    const double log_z = *Target::energy(1).log_z();
    const Target t = Target::energy(1);
    Options o;
    o.lr = 0.01;
    o.batch = 256;
    o.seed = 7;
    Trainer tr(planar_stack(32, 2), t, o);
    const Estimates before = tr.estimate(8192, 1);
    tr.step(3000);
    ASSERT_FALSE(tr.stopped()) << tr.stop_reason();
    const Estimates after = tr.estimate(8192, 1);
    const double kl0 = *before.reverse_objective + log_z, kl1 = *after.reverse_objective + log_z;
    std::printf("U1, K = 32 planar: log Z = %.4f, KL untrained %.4f ± %.4f, trained %.4f ± %.4f\n",
                log_z, kl0, *before.reverse_se, kl1, *after.reverse_se);
    EXPECT_NEAR(kl1, *after.kl_reverse, 1e-12);  // the estimate's own KL is the same number
    EXPECT_GT(kl1, -3 * *after.reverse_se);      // a KL: only MC noise can push it below 0
    EXPECT_LT(kl1 * 5, kl0);
    EXPECT_TRUE(invertible(tr.stack()));
}

TEST(FlowTrain, ForwardCoversBothModesReverseSeeksOne) {
    if (genlab::testing::kSanitized)
        GTEST_SKIP() << "a convergence check (46 s under ASan); Release runs it";
    // Seeds 002/003 Q3.2 in a flow: two well-separated modes, the same stack and init.
    const Target t = Target::from_mixture(
        {component(0.5, -2.5, 0, 0.3, 0, 0.3), component(0.5, 2.5, 0, 0.3, 0, 0.3)});
    Stack init = random_stack({Type::Affine, Type::Planar, Type::Planar, Type::Planar, Type::Planar,
                               Type::Radial, Type::Radial},
                              4, 0.3);
    init.layers[0].mu = Vec2(2.0, 0.3);  // start near the right mode: reverse KL keeps it
    init.layers[0].L = Mat2::Identity() * 0.6;
    Options o;
    o.lr = 0.01;
    o.batch = 512;
    o.seed = 1;
    Trainer rev(init, t, o);
    rev.step(1500);
    o.objective = Objective::Forward;
    Trainer fwd(init, t, o);
    fwd.step(1500);
    ASSERT_FALSE(rev.stopped()) << rev.stop_reason();
    ASSERT_FALSE(fwd.stopped()) << fwd.stop_reason();
    const double rl = mass_near(rev.stack(), {-2.5, 0}, 1.5),
                 rr = mass_near(rev.stack(), {2.5, 0}, 1.5);
    const double fl = mass_near(fwd.stack(), {-2.5, 0}, 1.5),
                 fr = mass_near(fwd.stack(), {2.5, 0}, 1.5);
    std::printf("mass near (−2.5, 0) / (2.5, 0): forward %.3f / %.3f, reverse %.3f / %.3f\n", fl,
                fr, rl, rr);
    EXPECT_GT(fl, 0.25);
    EXPECT_GT(fr, 0.25);
    EXPECT_GT(rr, 0.8);
    EXPECT_LT(rl, 0.05);
}

TEST(FlowTrain, EstimatesAgreeWithQuadratureAndDoNotDependOnThreads) {
    // A trained mixture flow: the Monte-Carlo KL(p‖q) against flow::kl_identity's x-grid
    // quadrature, and the reverse KL against a midpoint-rule ∫ q log(q/p) on the same view.
    const genlab::kl::Mixture m = {component(0.6, -1, 0.5, 0.5, 0.2, 0.6),
                                   component(0.4, 1.5, -0.5, 0.4, -0.1, 0.3)};
    const Target t = Target::from_mixture(m);
    Options o;
    o.objective = Objective::Forward;
    o.seed = 2;
    Trainer tr(random_stack({Type::Affine, Type::Planar, Type::Planar, Type::Radial}, 5, 0.3), t,
               o);
    tr.step(300);
    // Under ASan only the thread check runs (the quadratures take 30 s there).
    if (!genlab::testing::kSanitized) {
        const Estimates e = tr.estimate(40000, 3);
        ASSERT_TRUE(e.kl_forward && e.kl_forward_se && e.kl_reverse && e.reverse_se);
        const KlIdentity q = kl_identity(tr.stack(), m, 300);
        EXPECT_NEAR(*e.kl_forward, q.kl_forward, 4 * *e.kl_forward_se + 2e-3);
        const int n = 400;
        const double ext = 7, h = 2 * ext / n;
        double rev = 0;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                const Vec2 x(-ext + (i + 0.5) * h, -ext + (j + 0.5) * h);
                const double lq = log_density(tr.stack(), x)->log_density;
                rev += std::exp(lq) * (lq - t.log_density(x)) * h * h;
            }
        EXPECT_NEAR(*e.kl_reverse, rev, 4 * *e.reverse_se + 2e-3);
        std::printf(
            "KL(p‖q) %.4f ± %.4f (quadrature %.4f), KL(q‖p) %.4f ± %.4f (quadrature %.4f)\n",
            *e.kl_forward, *e.kl_forward_se, q.kl_forward, *e.kl_reverse, *e.reverse_se, rev);
        EXPECT_GT(q.kl_forward, 0.05);  // not yet fitted: the comparison is not 0 ≈ 0
    }
    // Blocks reduce in a fixed order: 1 thread and 2 give the same bits.
    const Eigen::Matrix2Xd u = base_samples(tr.stack(), 3000, 8);
    genlab::parallel::set_threads(1);
    const Loss one = reverse_loss(tr.stack(), t, u, true);
    genlab::parallel::set_threads(2);
    const Loss two = reverse_loss(tr.stack(), t, u, true);
    genlab::parallel::set_threads(0);
    EXPECT_EQ(one.value, two.value);
    EXPECT_TRUE(one.grad == two.grad);
}

TEST(FlowTrain, DivergenceStopsAndKeepsTheLastGoodParameters) {
    // A target whose log-density is NaN beyond x1 = 3: the first batch that reaches it stops.
    const Target t = Target::from_function([](double x1, double x2) {
        return x1 > 3 ? std::nan("") : -0.5 * ((x1 - 10) * (x1 - 10) + x2 * x2);
    });
    Stack s;
    s.layers.push_back(Layer::affine({0, 0}, Mat2::Identity() * 0.1));
    Options o;
    o.lr = 0.5;
    o.batch = 64;
    Trainer tr(s, t, o);
    const int ran = tr.step(1000);
    EXPECT_LT(ran, 1000);
    EXPECT_TRUE(tr.stopped());
    EXPECT_NE(tr.stop_reason().find("not finite"), std::string::npos) << tr.stop_reason();
    EXPECT_TRUE(tr.stack().layers[0].mu.allFinite());
    EXPECT_EQ(static_cast<int>(tr.losses().size()), tr.steps());
    EXPECT_EQ(tr.step(10), 0);  // stays stopped until reset
    tr.reset();
    EXPECT_EQ(tr.steps(), 0);
    EXPECT_FALSE(tr.stopped());
}

TEST(FlowTrain, StepTimeOf16PlanarAtBatch2048) {
    // Issue 13: ≤ 3 ms per step on this 2-core machine. Printed, and only loosely bounded
    // (the machine is shared): the wall time with the default threads, and the CPU time of
    // one thread, which other processes' load does not inflate.
    Options o;
    o.batch = 2048;
    for (int batch : {512, 2048, 8192}) {
        o.batch = batch;
        Trainer tr(planar_stack(16, 3), Target::energy(1), o);
        tr.step(3);  // warm-up
        const int n = 60;
        const auto t0 = std::chrono::steady_clock::now();
        tr.step(n);
        const double wall =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count() /
            n;
        genlab::parallel::set_threads(1);
        const std::clock_t c0 = std::clock();
        tr.step(n);
        const double cpu = 1e3 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC / n;
        genlab::parallel::set_threads(0);
        std::printf(
            "K = 16 planar, batch %d, U1 reverse KL: %.3f ms per step (wall, %d threads), "
            "%.3f ms CPU on 1 thread\n",
            batch, wall, genlab::parallel::threads(), cpu);
        // A speed check in a speed build only: ASan multiplies the time by ~10.
        if (batch == 2048 && !genlab::testing::kSanitized) {
            EXPECT_LT(cpu, 30.0);
        }
    }
    // Forward KL (planar inverses by root solves), the same stack on mixture samples.
    o.objective = Objective::Forward;
    o.batch = 2048;
    Trainer fwd(planar_stack(16, 3),
                Target::from_mixture(
                    {component(0.5, -1, 0, 0.5, 0, 0.5), component(0.5, 1, 0, 0.5, 0, 0.5)}),
                o);
    genlab::parallel::set_threads(1);
    const std::clock_t c0 = std::clock();
    fwd.step(10);
    genlab::parallel::set_threads(0);
    std::printf("K = 16 planar, batch 2048, forward KL: %.3f ms CPU per step on 1 thread\n",
                1e3 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC / 10);
}
