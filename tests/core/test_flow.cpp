// Normalizing-flow core (seed 000 Q5, seed 000 Q2, seeds 002/003 Q3): every layer's Jacobian
// and log-determinant against central finite differences, inverses round-tripping, each
// invertibility condition at its boundary (with the numbers in the reason), the radial inverse
// against seed 000's quadratic written out here, the sigmoidal map's exact special cases and
// tails, densities integrating to 1, the affine stack's closed-form Gaussian, the KL identity,
// density grids and validation messages.
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/flow.hpp"

using namespace genlab::flow;

namespace {

constexpr double kPi = 3.14159265358979323846;

Mat2 mat2(double a, double b, double c, double d) {
    Mat2 m;
    m << a, b, c, d;
    return m;
}

Mat2 rotation(double angle) {
    return mat2(std::cos(angle), -std::sin(angle), std::sin(angle), std::cos(angle));
}

Layer enforced(Layer l) {
    l.enforce = true;
    return l;
}

// Central differences of forward(), independent of the analytic Jacobian.
Mat2 jacobian_fd(const Layer& l, const Vec2& z, double h = 1e-6) {
    Mat2 j;
    for (int c = 0; c < 2; ++c) {
        Vec2 plus = z, minus = z;
        plus(c) += h;
        minus(c) -= h;
        j.col(c) = (forward(l, plus) - forward(l, minus)) / (2 * h);
    }
    return j;
}

// Deterministic points in [−r, r]².
std::vector<Vec2> random_points(int count, double r, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(-r, r);
    std::vector<Vec2> out;
    for (int i = 0; i < count; ++i) {
        const double x = u(gen);
        out.emplace_back(x, u(gen));
    }
    return out;
}

// Coupling layers keeping z1 (H = 4, s near its bound 1.8) and z2 (H = 3).
Layer coupling_z1() {
    return Layer::coupling(false, {1.5, -1, 0.8, 2}, {0, 0.5, -0.5, 1}, {0.9, -0.7, 0.5, 0.4},
                           {0.8, 0.5, -0.7, 0.3}, 0.2, -0.3, 1.8);
}
Layer coupling_z2() {
    return Layer::coupling(true, {-0.7, 1.2, 0.4}, {0.3, -0.2, 0.1}, {0.5, 0.6, -0.8},
                           {1.1, -0.4, 0.9}, -0.1, 0.4, 2.5);
}

// Layers of every type that are invertible, with enforce on and off.
std::vector<Layer> invertible_layers() {
    return {
        Layer::planar({1, 0}, {2, 0}, 0),
        Layer::planar({0.8, -1.3}, {0.4, 0.9}, 0.3),
        Layer::planar({2, 1}, {-0.3, 0.2}, -0.5),           // wᵀu = −0.4
        enforced(Layer::planar({1.5, 0.5}, {-3, 1}, 0.2)),  // wᵀu = −4: fixed by û
        enforced(Layer::planar({0.3, 2.0}, {1, 1}, -1)),
        enforced(Layer::planar({0, 0}, {1, -2}, 0.7)),  // w = 0: a shift
        Layer::radial({0.5, -0.5}, 1.0, 2.0),
        Layer::radial({0, 0}, 0.7, -0.5),
        Layer::radial({-1, 1}, 2.0, -1.9),
        Layer::affine({0.5, -1}, mat2(2, 0, 0.7, -0.5)),
        Layer::affine({0, 0}, mat2(-1.2, 0, -0.3, 0.8)),
        Layer::sigmoidal({1, 1}, {-2, 2}, {0.5, 0.5}),
        Layer::sigmoidal({0.5, 2, 3}, {1, 0, -3}, {0.2, 0.3, 0.5}),
        Layer::sigmoidal({1.7}, {0.4}, {1}),
        Layer::residual(mat2(0.5, 0.2, -0.1, 0.4), {0.3, -0.2}, 0.9),
        Layer::residual(rotation(0.7) * mat2(1.2, 0, 0, 0.1) * rotation(-0.7), {0, 0.5}, -0.8),
        coupling_z1(),
        coupling_z2(),
    };
}

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "no std::invalid_argument thrown";
    return "";
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

genlab::kl::Vec kvec(double a, double b) {
    genlab::kl::Vec v(2);
    v << a, b;
    return v;
}

genlab::kl::Mat kmat(double a, double b, double c, double d) {
    genlab::kl::Mat m(2, 2);
    m << a, b, c, d;
    return m;
}

// Planar layers drawn at random, made invertible by enforce (deterministic seed).
std::vector<Layer> random_planar(int count, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    std::vector<Layer> out;
    for (int k = 0; k < count; ++k) {
        const Vec2 w(u(gen), u(gen)), uu(u(gen), u(gen));
        out.push_back(enforced(Layer::planar(w, uu, 0.5 * u(gen))));
    }
    return out;
}

Stack stack_of(std::vector<Layer> layers) {
    Stack s;
    s.layers = std::move(layers);
    return s;
}

}  // namespace

//-----------------------------------------------------------------------------
// Layers: Jacobians and log-determinants
//-----------------------------------------------------------------------------

TEST(FlowLayer, NamesTheTypes) {
    EXPECT_STREQ(to_string(Type::Planar), "planar");
    EXPECT_STREQ(to_string(Type::Radial), "radial");
    EXPECT_STREQ(to_string(Type::Affine), "affine");
    EXPECT_STREQ(to_string(Type::Sigmoidal), "sigmoidal");
    EXPECT_STREQ(to_string(Type::Residual), "residual");
    EXPECT_STREQ(to_string(Type::Relu), "relu");
    EXPECT_STREQ(to_string(Type::Coupling), "coupling");
}

TEST(FlowCoupling, IsTheRealNvpMapWithItsClosedFormInverseAndLogDet) {
    // The map written out by hand: h_j = tanh(a_j z_k + c_j), s = scale·tanh(vs·h + bs),
    // t = vt·h + bt, y_k = z_k, y_o = z_o·e^s + t.
    for (const Layer& l : {coupling_z1(), coupling_z2()}) {
        const int k = l.keep_z2 ? 1 : 0, o = 1 - k;
        for (const Vec2& z : random_points(50, 4.0, 21)) {
            double r = l.cp_bs, t = l.cp_bt;
            for (size_t j = 0; j < l.cp_a.size(); ++j) {
                const double h = std::tanh(l.cp_a[j] * z(k) + l.cp_c[j]);
                r += l.cp_vs[j] * h;
                t += l.cp_vt[j] * h;
            }
            const double sv = l.cp_scale * std::tanh(r);
            const Vec2 y = forward(l, z);
            EXPECT_EQ(y(k), z(k));
            EXPECT_NEAR(y(o), z(o) * std::exp(sv) + t, 1e-12 * (1 + std::abs(y(o))));
            EXPECT_NEAR(log_abs_det(l, z), sv, 1e-14);
            EXPECT_LE(std::abs(sv), l.cp_scale);
            const Inverse inv = inverse(l, y);
            ASSERT_TRUE(inv.ok);
            EXPECT_LT((inv.z - z).norm(), 1e-12 * (1 + z.norm()));
            EXPECT_LT(inv.residual, 1e-12 * (1 + y.norm()));
        }
        // Always proved, with the reason; never a witness.
        const Invertibility v = invertibility(l);
        EXPECT_EQ(v.verdict, Verdict::Proved);
        EXPECT_TRUE(contains(v.reason, l.keep_z2 ? "keeps z2" : "keeps z1")) << v.reason;
        EXPECT_TRUE(contains(v.reason, "exp(s) > 0")) << v.reason;
    }
    // Even weights that saturate every tanh: scale bounds s, the layer stays a bijection.
    Layer wild = Layer::coupling(false, {50, -80}, {3, -4}, {100, 90}, {-200, 60}, 5, 7, 20);
    EXPECT_TRUE(invertibility(wild).invertible);
    for (const Vec2& z : random_points(20, 3.0, 5)) {
        const double sv = log_abs_det(wild, z);
        EXPECT_LE(std::abs(sv), 20.0);
        const Vec2 y = forward(wild, z);
        ASSERT_TRUE(y.allFinite());
        // z2 = (y2 − t)·e^−s: the rounding of y2 (|t| ≤ 267 here) grows by e^−s, up to e^20,
        // which is the map's own conditioning, not the inverse's.
        EXPECT_LT((inverse(wild, y).z - z).norm(),
                  1e-15 * (1 + std::abs(y(1)) + 267) * std::exp(-sv));
    }
}

TEST(FlowCoupling, AlternatingStackHasUnitMassAndItsChangeOfVariables) {
    const Stack s = stack_of({coupling_z2(), coupling_z1()});
    ASSERT_TRUE(invertible(s));
    // ∫ p = 1 by a grid in x and by the boundary pull-back (the stack's tails are wide: e^s up
    // to e^2.5 times shifts; 6% of the mass is outside [−8, 8]², 1e-7 outside [−30, 30]²).
    EXPECT_NEAR(mass_midpoint(s, Vec2(0, 0), 30.0, 1024), 1.0, 1e-4);
    EXPECT_NEAR(mass(s, Vec2(0, 0), 30.0).value, 1.0, 1e-6);
    // Both measure the same thing in a narrower view too, where the mass is well below 1.
    const double m8 = mass(s, Vec2(0, 0), 8.0).value;
    EXPECT_LT(m8, 0.97);
    EXPECT_NEAR(mass_midpoint(s, Vec2(0, 0), 8.0, 1024), m8, 1e-4);
    // log p(F(z)) = log p_U(z) − Σ s_k along the forward path.
    for (const Vec2& z : random_points(30, 2.5, 9)) {
        double ld = 0;
        const Vec2 x = push(s, z, &ld);
        double sum = 0;
        Vec2 w = z;
        for (const Layer& l : s.layers) {
            sum += log_abs_det(l, w);
            w = forward(l, w);
        }
        EXPECT_NEAR(ld, sum, 1e-12);
        const std::optional<DensityPoint> p = log_density(s, x);
        ASSERT_TRUE(p);
        EXPECT_NEAR(p->log_density, base_log_density(s, z) - sum, 1e-9);
        EXPECT_LT((p->base - z).norm(), 1e-10);
    }
    // push_batch takes the point-by-point path for coupling and agrees with push.
    Eigen::Matrix2Xd zs(2, 300);
    for (int i = 0; i < 300; ++i) zs.col(i) = Vec2(std::sin(0.1 * i) * 2, std::cos(0.37 * i));
    Eigen::VectorXd lds;
    const Eigen::Matrix2Xd xs = push_batch(s, zs, &lds);
    for (int i = 0; i < 300; ++i) {
        double ld = 0;
        EXPECT_LT((xs.col(i) - push(s, zs.col(i), &ld)).norm(), 1e-12);
        EXPECT_NEAR(lds(i), ld, 1e-12);
    }
}

TEST(FlowLayer, JacobianAndLogDetMatchFiniteDifferences) {
    std::vector<Layer> layers = invertible_layers();
    // Non-invertible parameters still have Jacobians.
    layers.push_back(Layer::planar({1, 1}, {-2, 0.5}, 0.1));  // wᵀu = −1.5
    layers.push_back(Layer::radial({0.3, 0.2}, 1.0, -1.5));   // β < −α
    layers.push_back(Layer::residual(mat2(1.5, 0.3, 0.2, -1.1), {0.1, 0}, 1.3));
    layers.push_back(Layer::sigmoidal({1, 2}, {0, 1}, {0.4, 0.4}));  // Σw = 0.8
    for (size_t k = 0; k < layers.size(); ++k) {
        for (const Vec2& z : random_points(25, 2.5, 100 + static_cast<unsigned>(k))) {
            const Mat2 fd = jacobian_fd(layers[k], z);
            const Mat2 j = jacobian(layers[k], z);
            const double scale = std::max(1.0, fd.cwiseAbs().maxCoeff());
            const double ej = (j - fd).cwiseAbs().maxCoeff() / scale;
            EXPECT_LT(ej, 1e-7) << to_string(layers[k].type) << " layer " << k << " at "
                                << z.transpose();
            const double fd_det = fd.determinant();
            if (std::abs(fd_det) < 1e-3) continue;  // log of a near-zero difference: no test
            const double ld = log_abs_det(layers[k], z);
            const double eld = std::abs(ld - std::log(std::abs(fd_det)));
            EXPECT_LT(eld, 1e-6) << to_string(layers[k].type) << " layer " << k << " at "
                                 << z.transpose();
        }
    }
}

TEST(FlowLayer, RadialJacobianAtTheCentreIsTheLimit) {
    const Layer l = Layer::radial({0.5, -1}, 0.8, 0.6);
    const Mat2 j = jacobian(l, l.z0);
    EXPECT_DOUBLE_EQ(j(0, 0), 1 + 0.6 / 0.8);
    EXPECT_DOUBLE_EQ(j(1, 1), 1 + 0.6 / 0.8);
    EXPECT_DOUBLE_EQ(j(0, 1), 0);
    EXPECT_NEAR(log_abs_det(l, l.z0), 2 * std::log(1 + 0.6 / 0.8), 1e-15);
    // β = −α: the centre collapses (det 0) and only there.
    const Layer edge = Layer::radial({0, 0}, 1, -1);
    EXPECT_EQ(log_abs_det(edge, {0, 0}), -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isfinite(log_abs_det(edge, {1e-3, 0})));
}

// Issue 20: a probe exactly on z0 gave a null density on an invertible stack (the inverse
// returned before taking log|det J|); the value is finite and continuous there.
TEST(FlowDensity, AProbeExactlyOnARadialCentreHasItsFiniteDensity) {
    Stack s;
    s.layers = {Layer::radial({0.5, 0.5}, 1.0, 0.5)};
    const auto at = log_density(s, {0.5, 0.5});
    ASSERT_TRUE(at.has_value());
    // det at the centre: (1 + β/α)² = 2.25; the base point is z0 itself.
    EXPECT_NEAR(at->log_det, 2 * std::log(1.5), 1e-14);
    EXPECT_EQ(at->base, Vec2(0.5, 0.5));
    const double log_pu = -std::log(2 * M_PI) - 0.5 * (0.25 + 0.25);
    EXPECT_NEAR(at->log_density, log_pu - 2 * std::log(1.5), 1e-14);
    const auto near = log_density(s, {0.5 + 1e-9, 0.5});
    ASSERT_TRUE(near.has_value());
    EXPECT_NEAR(near->log_density, at->log_density, 1e-8);
}

TEST(FlowLayer, ReluJacobianAndFoldedLogDet) {
    const Layer l = Layer::relu(1.5, 2.0, -1.0);
    // Both coordinates active: diag(a·b).
    const Vec2 active(1.0, 2.0);
    EXPECT_LT((jacobian(l, active) - jacobian_fd(l, active)).cwiseAbs().maxCoeff(), 1e-8);
    EXPECT_NEAR(log_abs_det(l, active), 2 * std::log(3.0), 1e-14);
    EXPECT_EQ(forward(l, active), Vec2(1.5 * 1.0, 1.5 * 3.0));
    // One coordinate folded: det J = 0.
    const Vec2 folded(1.0, 0.2);
    EXPECT_EQ(jacobian(l, folded)(1, 1), 0.0);
    EXPECT_EQ(log_abs_det(l, folded), -std::numeric_limits<double>::infinity());
    EXPECT_LT((jacobian(l, folded) - jacobian_fd(l, folded)).cwiseAbs().maxCoeff(), 1e-8);
}

TEST(FlowLayer, PlanarWithZeroWIsAShift) {
    for (bool enforce : {false, true}) {
        Layer l = Layer::planar({0, 0}, {1, -2}, 0.7);
        l.enforce = enforce;
        EXPECT_EQ(planar_u(l), l.u);
        const Vec2 z(0.3, 0.4);
        EXPECT_LT((forward(l, z) - (z + l.u * std::tanh(0.7))).norm(), 1e-15);
        EXPECT_EQ(jacobian(l, z), Mat2::Identity());
        EXPECT_EQ(log_abs_det(l, z), 0.0);
        EXPECT_TRUE(invertibility(l).invertible);
        const Inverse inv = inverse(l, forward(l, z));
        EXPECT_TRUE(inv.ok);
        EXPECT_LT((inv.z - z).norm(), 1e-15);
    }
}

//-----------------------------------------------------------------------------
// Sigmoidal: exact special cases and tails (seed 000 Q5.2)
//-----------------------------------------------------------------------------

TEST(FlowSigmoidal, SpecialCasesAreExactAndTailsStayFinite) {
    // One sigmoid: g(t) = σ⁻¹(σ(a t + b)) = a t + b, everywhere, tails included.
    const Layer one = Layer::sigmoidal({2.0}, {1.0}, {1.0});
    // Two identical sigmoids split in weight: the same.
    const Layer two = Layer::sigmoidal({1.0, 1.0}, {0.0, 0.0}, {0.3, 0.7});
    for (double t : {-700.0, -300.0, -30.0, -1.0, 0.0, 0.5, 30.0, 300.0, 700.0}) {
        const Vec2 z(t, -t);
        EXPECT_NEAR(forward(one, z)(0), 2 * t + 1, 1e-12 * (1 + std::abs(t))) << t;
        EXPECT_NEAR(forward(one, z)(1), -2 * t + 1, 1e-12 * (1 + std::abs(t))) << t;
        EXPECT_NEAR(forward(two, z)(0), t, 1e-12 * (1 + std::abs(t))) << t;
        EXPECT_NEAR(log_abs_det(one, z), 2 * std::log(2.0), 1e-12) << t;
        EXPECT_NEAR(log_abs_det(two, z), 0.0, 1e-12) << t;
    }
    // A genuine mixture: finite and increasing far out, with finite positive slopes.
    const Layer mix = Layer::sigmoidal({0.5, 2, 3}, {1, 0, -3}, {0.2, 0.3, 0.5});
    double prev = -std::numeric_limits<double>::infinity();
    for (double t = -60; t <= 60; t += 0.5) {
        const double g = forward(mix, Vec2(t, 0))(0);
        ASSERT_TRUE(std::isfinite(g)) << t;
        EXPECT_GT(g, prev) << t;
        prev = g;
        const double slope = jacobian(mix, Vec2(t, 0))(0, 0);
        EXPECT_TRUE(std::isfinite(slope) && slope > 0) << t;
    }
}

//-----------------------------------------------------------------------------
// Inverses
//-----------------------------------------------------------------------------

TEST(FlowInverse, RoundTripsForEveryInvertibleLayer) {
    const std::vector<Layer> layers = invertible_layers();
    for (size_t k = 0; k < layers.size(); ++k) {
        const Layer& l = layers[k];
        ASSERT_TRUE(invertibility(l).invertible) << k << ": " << invertibility(l).reason;
        const bool iterative = l.type == Type::Residual;
        const double tol = iterative ? 1e-8 : 1e-10;
        for (const Vec2& z : random_points(200, 4.0, 7 + static_cast<unsigned>(k))) {
            const Vec2 x = forward(l, z);
            const Inverse inv = inverse(l, x);
            ASSERT_TRUE(inv.ok) << to_string(l.type) << " layer " << k << " at " << z.transpose();
            const double err = (inv.z - z).norm() / std::max(1.0, z.norm());
            EXPECT_LT(err, tol) << to_string(l.type) << " layer " << k << " at " << z.transpose();
            EXPECT_LT(inv.residual, iterative ? 1e-9 : 1e-12);
        }
    }
}

TEST(FlowInverse, PlanarAtTheBoundaryStillInverts) {
    // wᵀu = −1 exactly: f is monotone along w but flat at wᵀz + b = 0 (det J = 0 there).
    const Layer l = Layer::planar({1, 0}, {-1, 0.5}, 0.3);
    ASSERT_TRUE(invertibility(l).invertible);
    for (const Vec2& z : random_points(100, 3.0, 11)) {
        const Inverse inv = inverse(l, forward(l, z));
        ASSERT_TRUE(inv.ok);
        EXPECT_LT(inv.residual, 1e-12);
        // Ill-conditioned only where the slope vanishes: ~cube root of rounding there.
        const double slope = 1 - 1 / std::pow(std::cosh(z(0) + 0.3), 2);
        if (slope > 1e-2) {
            EXPECT_LT((inv.z - z).norm(), 1e-10) << z.transpose();
        } else {
            EXPECT_LT((inv.z - z).norm(), 1e-4) << z.transpose();
        }
    }
}

TEST(FlowInverse, ResidualNearTheContractionLimit) {
    // |s|·‖W‖₂ = 0.999: plain fixed-point iteration would need ~30 000 steps for 1e-13.
    const Layer l = Layer::residual(rotation(0.4) * mat2(1.0, 0, 0, 0.3), {0.2, -0.1}, 0.999);
    ASSERT_TRUE(invertibility(l).invertible);
    for (const Vec2& z : random_points(50, 3.0, 12)) {
        const Inverse inv = inverse(l, forward(l, z));
        ASSERT_TRUE(inv.ok) << z.transpose();
        EXPECT_LT(inv.residual, 1e-9);
        EXPECT_LT((inv.z - z).norm(), 1e-8) << z.transpose();
    }
}

TEST(FlowInverse, ResidualBeyondTheContractionInvertsByNewton) {
    // |s|·‖W‖₂ ≈ 3 (fixed-point iteration diverges) but det J > 0: proved, and the damped
    // Newton inverse lands on the pre-image.
    for (const Layer& l :
         {Layer::residual(mat2(0.2, -1.5, 1.5, 0.2), {0.5, 0}, 2),
          Layer::residual(rotation(0.6) * mat2(0.5, 0, 0, 0.2) * rotation(-0.6), {0.3, -0.2}, 6)}) {
        ASSERT_EQ(invertibility(l).verdict, Verdict::Proved) << invertibility(l).reason;
        for (const Vec2& z : random_points(60, 4.0, 5)) {
            const Inverse inv = inverse(l, forward(l, z));
            ASSERT_TRUE(inv.ok) << z.transpose();
            EXPECT_LT(inv.residual, 1e-10);
            EXPECT_LT((forward(l, inv.z) - forward(l, z)).norm(), 1e-10);
            EXPECT_LT((inv.z - z).norm(), 1e-8) << z.transpose();
        }
    }
}

TEST(FlowDensity, SingularPointsAreInfiniteWithAReason) {
    // wᵀu = −1 exactly: proved, det J = 0 on the line z₁ = 0, which maps onto x₁ = 0.
    const Stack planar = stack_of({Layer::planar({1, 0}, {-1, 0}, 0)});
    ASSERT_TRUE(invertible(planar));
    const auto fold = log_density(planar, Vec2(0, 0.3));
    ASSERT_TRUE(fold.has_value());
    EXPECT_EQ(fold->log_density, std::numeric_limits<double>::infinity());
    EXPECT_TRUE(contains(fold->reason, "det J = 0")) << fold->reason;
    EXPECT_TRUE(std::isfinite(log_density(planar, Vec2(0.5, 0.3))->log_density));
    EXPECT_TRUE(log_density(planar, Vec2(0.5, 0.3))->reason.empty());
    // β = −α: det J = 0 at z0 only; the probe exactly there is +∞, not NaN.
    const Stack radial = stack_of({Layer::radial({0.5, -0.5}, 1.0, -1.0)});
    const auto centre = log_density(radial, Vec2(0.5, -0.5));
    ASSERT_TRUE(centre.has_value());
    EXPECT_EQ(centre->log_density, std::numeric_limits<double>::infinity());
    EXPECT_FALSE(centre->reason.empty());
    // Σw = 0.8: g's image is (−∞, logit 0.8); beyond it p = 0.
    const Stack sig = stack_of({Layer::sigmoidal({1, 2}, {0, 0}, {0.4, 0.4})});
    const auto out = log_density(sig, Vec2(std::log(0.9 / 0.1), 0));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->log_density, -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(contains(out->reason, "outside the image of layer 1")) << out->reason;
    const auto in = log_density(sig, Vec2(std::log(0.7 / 0.3), 0));
    ASSERT_TRUE(in.has_value());
    EXPECT_TRUE(std::isfinite(in->log_density));
}

TEST(FlowInverse, NonInvertibleLayersAreNeverOk) {
    for (const Layer& l :
         {Layer::relu(1, 1, 0), Layer::planar({1, 0}, {-2, 0}, 0), Layer::radial({0, 0}, 1, -2),
          Layer::affine({0, 0}, mat2(1, 0, 0, 0)), Layer::residual(mat2(2, 0, 0, 2), {0, 0}, -0.9),
          Layer::sigmoidal({1, -1}, {0, 0}, {0.5, 0.5})}) {
        const Inverse inv = inverse(l, Vec2(0.3, 0.7));
        EXPECT_FALSE(inv.ok) << to_string(l.type);
        EXPECT_TRUE(std::isnan(inv.z(0)));
    }
    // Invertible, but the target is out of the bracket search's reach (or not a number).
    const Layer sig = Layer::sigmoidal({1, 2}, {0, 0}, {0.5, 0.5});
    EXPECT_FALSE(inverse(sig, Vec2(1e300, 0)).ok);
    EXPECT_FALSE(inverse(sig, Vec2(std::numeric_limits<double>::quiet_NaN(), 0)).ok);
    EXPECT_TRUE(inverse(sig, Vec2(1e6, -1e6)).ok);
}

// Seed 000 Q5.4, written out independently: R = ‖y − z0‖, r solves
// r² + (α + β − R)r − αR = 0 (its non-negative root), z̃ = (y − z0)/(r(1 + β/(α + r))).
TEST(FlowInverse, RadialMatchesTheSeedsClosedForm) {
    struct Case {
        Vec2 z0;
        double alpha, beta;
    };
    const Case cases[] = {
        {{0, 0}, 1, 2}, {{0.5, -1}, 0.7, -0.4}, {{1, 1}, 2, -2}, {{-2, 0}, 0.3, 5}};
    for (const Case& c : cases) {
        const Layer l = Layer::radial(c.z0, c.alpha, c.beta);
        ASSERT_TRUE(invertibility(l).invertible);
        std::vector<Vec2> xs = random_points(100, 4.0, 13);
        xs.push_back(c.z0);                      // the centre maps to itself
        xs.push_back(c.z0 + Vec2(1e-9, -2e-9));  // and just next to it
        for (const Vec2& x : xs) {
            const double R = (x - c.z0).norm();
            const double p = c.alpha + c.beta - R;
            const double r = (-p + std::sqrt(p * p + 4 * c.alpha * R)) / 2;
            Vec2 expected = c.z0;
            if (R > 0) {
                const Vec2 z_tilde = (x - c.z0) / (r * (1 + c.beta / (c.alpha + r)));
                expected = c.z0 + r * z_tilde;
            }
            const Inverse inv = inverse(l, x);
            ASSERT_TRUE(inv.ok);
            EXPECT_LT((inv.z - expected).norm(), 1e-9 * std::max(1.0, expected.norm()))
                << "x = " << x.transpose();
            EXPECT_LT(inv.residual, 1e-12);
        }
        EXPECT_EQ(inverse(l, c.z0).z, c.z0);
    }
}

//-----------------------------------------------------------------------------
// Invertibility conditions at their boundaries
//-----------------------------------------------------------------------------

TEST(FlowInvertibility, PlanarAtWtuMinusOne) {
    EXPECT_TRUE(invertibility(Layer::planar({1, 0}, {-1, 0.5}, 0)).invertible);
    const Invertibility bad = invertibility(Layer::planar({1, 0}, {-1 - 1e-6, 0.5}, 0));
    EXPECT_FALSE(bad.invertible);
    EXPECT_TRUE(contains(bad.reason, "-1.000001")) << bad.reason;
    EXPECT_TRUE(contains(bad.reason, "< -1")) << bad.reason;
    const Invertibility worse = invertibility(Layer::planar({2, 0}, {-0.8, 3}, 0));
    EXPECT_FALSE(worse.invertible);
    EXPECT_TRUE(contains(worse.reason, "wᵀu = -1.6")) << worse.reason;
    // Issue 12: a hair past the boundary, the reason keeps the digits that make it true.
    const Invertibility hair = invertibility(Layer::planar({1, 0}, {-1 - 1e-12, 0.5}, 0));
    EXPECT_FALSE(hair.invertible);
    EXPECT_TRUE(contains(hair.reason, "wᵀu = -1.000000000001 < -1")) << hair.reason;
    // z + s·tanh(z) per coordinate is increasing: proved, and the reason says ‖·‖ ≥ 1 truly.
    const Invertibility r = invertibility(Layer::residual(Mat2::Identity(), {0, 0}, 1 + 1e-13));
    EXPECT_TRUE(r.invertible);
    EXPECT_TRUE(contains(r.reason, "= 1.0000000000001 ≥ 1")) << r.reason;
}

TEST(FlowInvertibility, EnforceFixesWtuAndDividesByTheSquaredNorm) {
    // ‖w‖ = 2 and wᵀu = −5: û = u + (m(−5) + 5)·w/4, m(x) = −1 + log(1 + eˣ).
    const Vec2 w(2 * std::cos(0.3), 2 * std::sin(0.3)), u0(-2.5 / std::cos(0.3), 0);
    Layer l = Layer::planar(w, u0, 0.4);
    ASSERT_NEAR(w.dot(u0), -5, 1e-12);
    EXPECT_FALSE(invertibility(l).invertible);
    l.enforce = true;
    const double m = -1 + std::log(1 + std::exp(w.dot(u0)));
    const Vec2 expected = u0 + (m - w.dot(u0)) * w / 4.0;
    const Vec2 uh = planar_u(l);
    EXPECT_LT((uh - expected).norm(), 1e-12);
    EXPECT_NEAR(w.dot(uh), m, 1e-12);  // ÷‖w‖ would give −5 + 4.0067·2 = 3.01
    EXPECT_GE(w.dot(uh), -1);
    EXPECT_TRUE(invertibility(l).invertible);
    // Far below −1 the corrected wᵀû is −1 to rounding: still invertible.
    l.u = Vec2(-200, 0);
    EXPECT_TRUE(invertibility(l).invertible);
    EXPECT_TRUE(inverse(l, forward(l, Vec2(0.5, 0.5))).ok);
    // Without enforce, u is used as given.
    l.enforce = false;
    EXPECT_EQ(planar_u(l), l.u);
}

TEST(FlowInvertibility, RadialAtBetaMinusAlpha) {
    EXPECT_TRUE(invertibility(Layer::radial({0, 0}, 1.5, -1.5)).invertible);
    const Invertibility bad = invertibility(Layer::radial({0, 0}, 1.5, -1.5 - 1e-6));
    EXPECT_FALSE(bad.invertible);
    EXPECT_TRUE(contains(bad.reason, "β = -1.500001")) << bad.reason;
    EXPECT_TRUE(contains(bad.reason, "-α = -1.5")) << bad.reason;
}

TEST(FlowInvertibility, AffineWithAZeroDiagonal) {
    EXPECT_TRUE(invertibility(Layer::affine({0, 0}, mat2(1e-300, 0, 5, -1e-300))).invertible);
    const Invertibility first = invertibility(Layer::affine({0, 0}, mat2(0, 0, 1, 1)));
    EXPECT_FALSE(first.invertible);
    EXPECT_TRUE(contains(first.reason, "L[0][0] = 0")) << first.reason;
    const Invertibility second = invertibility(Layer::affine({1, 1}, mat2(2, 0, 1, 0)));
    EXPECT_FALSE(second.invertible);
    EXPECT_TRUE(contains(second.reason, "L[1][1] = 0")) << second.reason;
    EXPECT_EQ(log_abs_det(Layer::affine({1, 1}, mat2(2, 0, 1, 0)), Vec2(0, 0)),
              -std::numeric_limits<double>::infinity());
}

// A Disproved verdict's witness, checked with forward() and jacobian() alone.
void expect_witness_holds(const Layer& l, const Invertibility& inv) {
    ASSERT_EQ(inv.verdict, Verdict::Disproved) << inv.reason;
    EXPECT_FALSE(inv.invertible);
    const Witness& w = inv.witness;
    switch (w.kind) {
        case Witness::Kind::Collision:
            EXPECT_GT((w.z1 - w.z2).norm(), 1e-9) << w.text;
            EXPECT_LT((forward(l, w.z1) - forward(l, w.z2)).norm(), 1e-9) << w.text;
            break;
        case Witness::Kind::NegativeDet:
            EXPECT_LT(jacobian(l, w.z1).determinant(), 0) << w.text;
            break;
        case Witness::Kind::Undefined:
            EXPECT_FALSE(forward(l, w.z1).allFinite()) << w.text;
            break;
        case Witness::Kind::DetSigns:
            EXPECT_GT(jacobian(l, w.z1).determinant(), 0) << w.text;
            EXPECT_LT(jacobian(l, w.z2).determinant(), 0) << w.text;
            break;
        default:
            ADD_FAILURE() << "no witness: " << inv.reason;
    }
}

// h(t) = Σ w_i σ(a_i t + b_i) sampled densely: +1 increasing, −1 decreasing, 0 neither.
int brute_monotone(const Layer& l, double lo = -40, double hi = 40, int n = 400000) {
    auto h = [&](double t) {
        double s = 0;
        for (size_t i = 0; i < l.sig_a.size(); ++i)
            s += l.sig_w[i] / (1 + std::exp(-(l.sig_a[i] * t + l.sig_b[i])));
        return s;
    };
    bool up = false, down = false;
    double prev = h(lo);
    for (int i = 1; i <= n; ++i) {
        const double v = h(lo + (hi - lo) * i / n);
        if (v > prev + 1e-15) up = true;
        if (v < prev - 1e-15) down = true;
        prev = v;
    }
    return up && !down ? 1 : down && !up ? -1 : 0;
}

TEST(FlowInvertibility, SigmoidalIsExactNotOnlyTheSimplex) {
    EXPECT_TRUE(invertibility(Layer::sigmoidal({1, 1e-9}, {0, 0}, {0.5, 0.5})).invertible);
    // The example: a negative weight on a component with the same (a, b) as another
    // merges into one positive weight: monotone.
    const Layer same = Layer::sigmoidal({2, 2, 1}, {0.5, 0.5, -1}, {0.9, -0.3, 0.4});
    const Invertibility s_inv = invertibility(same);
    EXPECT_EQ(s_inv.verdict, Verdict::Proved) << s_inv.reason;
    EXPECT_EQ(brute_monotone(same), 1);
    // Negative weights on distinct components that keep h′ > 0: 1.2σ′(t) − 0.4σ′(2t) ≥ 0.8σ′(t).
    const Layer neg = Layer::sigmoidal({1, 2}, {0, 0}, {1.2, -0.2});
    EXPECT_EQ(invertibility(neg).verdict, Verdict::Proved) << invertibility(neg).reason;
    EXPECT_EQ(brute_monotone(neg), 1);
    // ... and ones that do not: a dip in h.
    const Layer dip = Layer::sigmoidal({1, 4}, {0, 0}, {1.5, -0.5});
    EXPECT_EQ(brute_monotone(dip), 0);
    expect_witness_holds(dip, invertibility(dip));
    // A decreasing slope (a < 0) wins in the tail: not monotone.
    const Layer mixed = Layer::sigmoidal({1, -0.5}, {0, 0}, {0.5, 0.5});
    EXPECT_EQ(brute_monotone(mixed), 0);
    expect_witness_holds(mixed, invertibility(mixed));
    // All slopes negative: strictly decreasing, invertible.
    const Layer dec = Layer::sigmoidal({-1, -3}, {0, 1}, {0.5, 0.5});
    EXPECT_EQ(brute_monotone(dec), -1);
    EXPECT_EQ(invertibility(dec).verdict, Verdict::Proved) << invertibility(dec).reason;
    // σ(t)/2 + σ(−t)/2 = ½: constant.
    const Layer flat = Layer::sigmoidal({1, -1}, {0, 0}, {0.5, 0.5});
    expect_witness_holds(flat, invertibility(flat));
    // A zero slope is a constant term: h = ¼ + σ(t)/2 is increasing onto (¼, ¾).
    EXPECT_TRUE(invertibility(Layer::sigmoidal({0, 1}, {0, 0}, {0.5, 0.5})).invertible);
    // Σw = 0.8 < 1: h ∈ (0, 0.8), increasing: invertible onto (−∞, logit 0.8).
    EXPECT_TRUE(invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {0.4, 0.4})).invertible);
    // Σw > 1: h leaves (0, 1), g is undefined for large t (a domain problem, with the point).
    const Invertibility over = invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {0.7, 0.5}));
    EXPECT_EQ(over.witness.kind, Witness::Kind::Undefined) << over.reason;
    expect_witness_holds(Layer::sigmoidal({1, 2}, {0, 0}, {0.7, 0.5}), over);
    EXPECT_TRUE(contains(over.reason, "1.2 > 1")) << over.reason;
    // Σw within 1e-9 of 1 passes; 2e-9 away fails.
    EXPECT_TRUE(invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {0.5, 0.5 + 5e-10})).invertible);
    EXPECT_FALSE(invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {0.5, 0.5 + 2e-9})).invertible);
    EXPECT_TRUE(invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {0, 1})).invertible);
    // h′ = σ′(t) − σ′(2t) ≥ 0 touches 0 at t = 0 only (invertible, but a tangency the
    // interval bound cannot decide): not proved, never a wrong ✓ or ✗. Either side of it, the
    // verdict is decided.
    const Invertibility touch = invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {1, -0.5}));
    EXPECT_EQ(touch.verdict, Verdict::NotProved) << touch.reason;
    EXPECT_FALSE(touch.invertible);
    EXPECT_FALSE(log_density(stack_of({Layer::sigmoidal({1, 2}, {0, 0}, {1, -0.5})}), Vec2(0, 0)));
    EXPECT_EQ(invertibility(Layer::sigmoidal({1, 2}, {0, 0}, {1, -0.4999})).verdict,
              Verdict::Proved);
    const Layer past = Layer::sigmoidal({1, 2}, {0, 0}, {1, -0.5001});
    EXPECT_EQ(brute_monotone(past, -1, 1), 0);
    expect_witness_holds(past, invertibility(past));
}

TEST(FlowInvertibility, SigmoidalVerdictsAgreeWithDenseSampling) {
    std::mt19937 gen(7);
    std::uniform_real_distribution<double> ua(-3, 3), ub(-3, 3), uw(-0.3, 1.2);
    int proved = 0, disproved = 0;
    for (int trial = 0; trial < 100; ++trial) {
        std::vector<double> a, b, w;
        for (int i = 0; i < 3; ++i) {
            a.push_back(std::round(ua(gen) * 4) / 4);
            b.push_back(ub(gen));
            w.push_back(uw(gen));
        }
        const Layer l = Layer::sigmoidal(a, b, w);
        const Invertibility inv = invertibility(l);
        const int brute = brute_monotone(l, -60, 60, 200000);
        if (inv.verdict == Verdict::Proved) {
            ++proved;
            EXPECT_NE(brute, 0) << trial << ": " << inv.reason;
        } else if (inv.verdict == Verdict::Disproved &&
                   inv.witness.kind != Witness::Kind::Undefined) {
            ++disproved;
            EXPECT_EQ(brute, 0) << trial << ": " << inv.reason;
            expect_witness_holds(l, inv);
        }
    }
    EXPECT_GT(proved, 3);
    EXPECT_GT(disproved, 3);
}

TEST(FlowInvertibility, ResidualIsExactBeyondTheContraction) {
    // ‖W‖₂ = 0.5 (a rotated diag(0.5, 0.2)): |s|·‖W‖₂ < 1 is a contraction.
    const Mat2 W = rotation(0.6) * mat2(0.5, 0, 0, 0.2) * rotation(-0.6);
    const Invertibility in = invertibility(Layer::residual(W, {0, 0}, 2 * (1 - 1e-6)));
    EXPECT_TRUE(in.invertible);
    EXPECT_TRUE(contains(in.reason, "|s|·‖W‖₂ = 0.999999 < 1")) << in.reason;
    // s = 2.000002: |s|·‖W‖₂ > 1, but W is symmetric positive definite, det J > 0: proved.
    const Layer big = Layer::residual(W, {0.3, -0.2}, 2.0 * (1 + 1e-6));
    EXPECT_EQ(invertibility(big).verdict, Verdict::Proved) << invertibility(big).reason;
    // s = −2.6: det(I + sW) = (1 − 1.3)(1 − 0.52) < 0: a fold.
    const Layer fold = Layer::residual(W, {0.1, 0}, -2.6);
    const Invertibility f = invertibility(fold);
    expect_witness_holds(fold, f);
    EXPECT_EQ(f.witness.kind, Witness::Kind::Collision) << f.witness.text;
    // A rotation-like W with |s|·‖W‖₂ = 3: det(I + sDW) = 1 + 2d₁d₂·… stays > 0.
    const Layer rot = Layer::residual(mat2(0.2, -1.5, 1.5, 0.2), {0.5, 0}, 2);
    EXPECT_EQ(invertibility(rot).verdict, Verdict::Proved) << invertibility(rot).reason;
    // Rank one: W = p qᵀ, a 1-D question along τ = qᵀz.
    const Layer r1 = Layer::residual(mat2(1, 2, 0.5, 1), {0.2, -0.3}, -0.9);
    expect_witness_holds(r1, invertibility(r1));
    const Layer r1ok = Layer::residual(mat2(1, 2, 0.5, 1), {0.2, -0.3}, 3);
    EXPECT_EQ(invertibility(r1ok).verdict, Verdict::Proved) << invertibility(r1ok).reason;
}

// det J sampled on a fine grid: its minimum over the plane (where sech² covers (0, 1]).
double brute_min_det(const Layer& l) {
    double lo = 1e300;
    for (int i = -300; i <= 300; ++i)
        for (int j = -300; j <= 300; ++j)
            lo = std::min(lo, jacobian(l, Vec2(i * 0.03, j * 0.03)).determinant());
    return lo;
}

TEST(FlowInvertibility, ResidualVerdictsAgreeWithDenseSampling) {
    std::mt19937 gen(3);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    int proved = 0, disproved = 0;
    for (int trial = 0; trial < 30; ++trial) {
        const Layer l = Layer::residual(mat2(u(gen), u(gen), u(gen), u(gen)), {0, 0}, 2 * u(gen));
        const Invertibility inv = invertibility(l);
        const double brute = brute_min_det(l);
        if (inv.verdict == Verdict::Proved) {
            ++proved;
            EXPECT_GT(brute, 0) << trial << ": " << inv.reason;
        } else if (inv.verdict == Verdict::Disproved) {
            ++disproved;
            expect_witness_holds(l, inv);
            // The grid covers t up to ~9 |W|, so it sees the negative region unless that is
            // only in the far tail.
            EXPECT_LT(brute, 0.05) << trial << ": " << inv.reason;
        }
    }
    EXPECT_GT(proved, 3);
    EXPECT_GT(disproved, 3);
}

TEST(FlowInvertibility, DisprovedVerdictsCarryCheckableWitnesses) {
    for (const Layer& l :
         {Layer::planar({1, 0}, {-1 - 1e-6, 0.5}, 0), Layer::planar({2, 1}, {-3, 0.5}, 0.7),
          Layer::radial({0.5, -1}, 1.0, -2.5), Layer::affine({0, 0}, mat2(0, 0, 1, 1)),
          Layer::affine({1, 1}, mat2(2, 0, 1, 0)), Layer::relu(1, 2, 0.5), Layer::relu(0, 1, 0)})
        expect_witness_holds(l, invertibility(l));
}

TEST(FlowInvertibility, ReluNever) {
    for (double a : {-2.0, 1.0, 3.0})
        for (double b : {-1.0, 0.5, 2.0})
            for (double c : {-1.0, 0.0, 4.0}) {
                const Invertibility inv = invertibility(Layer::relu(a, b, c));
                EXPECT_FALSE(inv.invertible);
                EXPECT_TRUE(contains(inv.reason, "ReLU folds the half-plane b·t + c < 0"))
                    << inv.reason;
            }
    EXPECT_FALSE(invertibility(Layer::relu(0, 1, 0)).invertible);
}

//-----------------------------------------------------------------------------
// Stacks: push, densities, mass
//-----------------------------------------------------------------------------

TEST(FlowStack, PushSumsLogDetsAndDensityIsItsChangeOfVariables) {
    Stack s =
        stack_of({enforced(Layer::planar({1, 0.5}, {-2, 1}, 0.2)),
                  Layer::radial({0.5, 0}, 1.0, -0.6), Layer::sigmoidal({1, 2}, {-1, 1}, {0.6, 0.4}),
                  Layer::residual(mat2(0.3, 0.1, 0, 0.4), {0.1, 0.2}, 0.8),
                  Layer::affine({1, -1}, mat2(1.5, 0, 0.4, 0.7))});
    s.base_mean = Vec2(0.2, -0.1);
    s.base_std = Vec2(0.8, 1.3);
    for (const Vec2& z : random_points(40, 2.0, 21)) {
        double log_det = 0.25;  // push adds to what is there
        Vec2 x = push(s, z, &log_det);
        double expected = 0.25;
        Vec2 y = z;
        for (const Layer& l : s.layers) {
            expected += log_abs_det(l, y);
            y = forward(l, y);
        }
        EXPECT_EQ(x, y);
        EXPECT_NEAR(log_det, expected, 1e-12);
        // log p(x) = log p_U(z) − Σ log|det J|
        const auto p = log_density(s, x);
        ASSERT_TRUE(p.has_value());
        EXPECT_NEAR(p->log_density, base_log_density(s, z) - (log_det - 0.25), 1e-8);
        EXPECT_LT((p->base - z).norm(), 1e-8);
        // upto: only the first two layers.
        double ld2 = 0;
        const Vec2 x2 = push(s, z, &ld2, 2);
        const auto p2 = log_density(s, x2, 2);
        ASSERT_TRUE(p2.has_value());
        EXPECT_NEAR(p2->log_density, base_log_density(s, z) - ld2, 1e-9);
    }
    EXPECT_EQ(push(s, Vec2(0.3, 0.3), nullptr, 0), Vec2(0.3, 0.3));
    EXPECT_TRUE(contains(error_of([&] { push(s, Vec2(0, 0), nullptr, 6); }), "upto"));
}

TEST(FlowStack, AffineStackIsTheClosedFormGaussian) {
    Stack s = stack_of({Layer::affine({0.5, -1}, mat2(1.3, 0, -0.6, 0.7)),
                        Layer::affine({-0.2, 0.4}, mat2(-0.9, 0, 0.3, 1.1))});
    s.base_mean = Vec2(0.3, -0.4);
    s.base_std = Vec2(1.5, 0.6);
    // x = μ2 + L2(μ1 + L1 z), z ~ N(m, diag(σ²)) → N(μ2 + L2(μ1 + L1 m), A diag(σ²) Aᵀ), A = L2 L1.
    const Mat2 L1 = s.layers[0].L, L2 = s.layers[1].L;
    const Mat2 A = L2 * L1;
    const Vec2 mean = s.layers[1].mu + L2 * (s.layers[0].mu + L1 * s.base_mean);
    const Mat2 cov = A * s.base_std.array().square().matrix().asDiagonal() * A.transpose();
    for (const Vec2& x : random_points(50, 4.0, 31)) {
        const Vec2 d = x - mean;
        const double expected =
            -std::log(2 * kPi) - 0.5 * std::log(cov.determinant()) - 0.5 * d.dot(cov.inverse() * d);
        const auto p = log_density(s, x);
        ASSERT_TRUE(p.has_value());
        EXPECT_NEAR(p->log_density, expected, 1e-12);
    }
}

TEST(FlowStack, MassIsOneForInvertibleStacks) {
    std::vector<std::pair<std::string, Stack>> stacks;
    stacks.emplace_back("planar K=1", stack_of(random_planar(1, 1)));
    stacks.emplace_back("planar K=2", stack_of(random_planar(2, 2)));
    stacks.emplace_back("planar K=10", stack_of(random_planar(10, 3)));
    stacks.emplace_back("radial", stack_of({Layer::radial({0.5, 0.2}, 0.8, -0.6),
                                            Layer::radial({-0.5, 0}, 1.0, 1.5)}));
    stacks.emplace_back("affine", stack_of({Layer::affine({0.5, -0.5}, mat2(1.4, 0, 0.5, 0.6))}));
    stacks.emplace_back("sigmoidal", stack_of({Layer::sigmoidal({1, 1.5}, {-2, 2}, {0.5, 0.5})}));
    stacks.emplace_back("mixed", stack_of({enforced(Layer::planar({1, 0.5}, {-2, 1}, 0.2)),
                                           Layer::radial({0.5, 0}, 1.0, -0.6),
                                           Layer::sigmoidal({1, 2}, {-1, 1}, {0.6, 0.4}),
                                           Layer::residual(mat2(0.3, 0.1, 0, 0.4), {0.1, 0.2}, 0.8),
                                           Layer::affine({0.3, -0.2}, mat2(1.2, 0, 0.4, 0.7))}));
    stacks.emplace_back(
        "coupling",
        stack_of({Layer::coupling(false, {1, -0.5}, {0, 0.3}, {0.4, 0.3}, {0.5, -0.4}, 0, 0.2, 0.8),
                  Layer::coupling(true, {0.7, 1.2}, {0.1, -0.2}, {-0.3, 0.5}, {0.6, 0.2}, 0.1, -0.3,
                                  0.8)}));
    for (const auto& [name, s] : stacks) {
        ASSERT_TRUE(invertible(s)) << name;
        const double m = mass_midpoint(s, Vec2(0, 0), 8.0, 300);
        EXPECT_NEAR(m, 1.0, 1e-3) << name;
    }
    // upto = 0 is the base alone.
    EXPECT_NEAR(mass_midpoint(stacks.back().second, Vec2(0, 0), 9.0, 64, 0), 1.0, 1e-6);
}

TEST(FlowStack, MassIsNaNWithARelu) {
    const Stack s = stack_of({Layer::planar({1, 0}, {0.5, 0}, 0), Layer::relu(1, 1, 0.5)});
    EXPECT_FALSE(invertible(s));
    EXPECT_TRUE(std::isnan(mass_midpoint(s, Vec2(0, 0), 6.0, 32)));
    EXPECT_FALSE(log_density(s, Vec2(1, 1)).has_value());
    // Up to the ReLU it is fine.
    EXPECT_TRUE(invertible(s, 1));
    EXPECT_NEAR(mass_midpoint(s, Vec2(0, 0), 9.0, 200, 1), 1.0, 1e-3);
}

TEST(FlowStack, DensityGridMatchesLogDensity) {
    const Stack s =
        stack_of({enforced(Layer::planar({1, -1}, {-1, 2}, 0.3)),
                  Layer::radial({0.3, 0.3}, 0.5, 0.8), Layer::affine({0, 1}, mat2(1, 0, 0.5, 2))});
    const Vec2 center(0.5, 1.0);
    const double e = 4.0;
    const int n = 37;
    const Eigen::MatrixXd g = density_grid(s, center, e, n);
    ASSERT_EQ(g.rows(), n);
    ASSERT_EQ(g.cols(), n);
    const double h = 2 * e / n;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            const Vec2 x(center(0) - e + (i + 0.5) * h, center(1) - e + (j + 0.5) * h);
            const auto p = log_density(s, x);
            ASSERT_TRUE(p.has_value());
            EXPECT_EQ(g(i, j), p->log_density) << i << ", " << j;
        }
    // Deterministic across calls (two threads).
    EXPECT_TRUE((density_grid(s, center, e, n).array() == g.array()).all());
    // Partial stacks and non-invertible ones.
    const Eigen::MatrixXd g1 = density_grid(s, center, e, 8, 1);
    EXPECT_EQ(g1(3, 5),
              log_density(s, Vec2(center(0) - e + 3.5, center(1) - e + 5.5), 1)->log_density);
    Stack bad = s;
    bad.layers.push_back(Layer::relu(1, 1, 0));
    EXPECT_TRUE(density_grid(bad, center, e, 16).array().isNaN().all());
    bad.layers.back() = Layer::radial({0, 0}, 1, -1.5);
    EXPECT_TRUE(density_grid(bad, center, e, 16).array().isNaN().all());
    EXPECT_FALSE(density_grid(bad, center, e, 16, 3).array().isNaN().any());
    // Grid size limits.
    EXPECT_TRUE(contains(error_of([&] { density_grid(s, center, e, 1); }), "[2, 1024]"));
    EXPECT_TRUE(contains(error_of([&] { density_grid(s, center, e, 1025); }), "[2, 1024]"));
    EXPECT_TRUE(contains(error_of([&] { density_grid(s, center, 0, 8); }), "extent"));
}

//-----------------------------------------------------------------------------
// The KL identity (seeds 002/003 Q3)
//-----------------------------------------------------------------------------

TEST(FlowKl, BothSidesAgreeForAnInvertibleStack) {
    const Stack s = stack_of({enforced(Layer::planar({1, 0.5}, {-1.5, 1}, 0.2)),
                              Layer::radial({0.5, -0.3}, 1.0, -0.5),
                              Layer::affine({0.3, 0.1}, mat2(1.3, 0, 0.4, 0.8))});
    const genlab::kl::Mixture target = {{0.6, kvec(-1.5, 0.5), kmat(0.5, 0.2, 0.2, 0.6)},
                                        {0.4, kvec(1.5, -0.5), kmat(0.4, -0.1, -0.1, 0.3)}};
    const KlIdentity k = kl_identity(s, target, 200);
    EXPECT_GT(k.kl_forward, 0.05);
    EXPECT_GT(k.kl_base, 0.05);
    EXPECT_NEAR(k.kl_forward, k.kl_base, 1e-3 * k.kl_forward);
}

// D_KL[P_X‖P_F(U)] summed here with kl::log_density for p_X, on the same grid as kl_identity
// (each component's mean ± 6σ, their union; n×n cell centres): the two must agree to rounding.
TEST(FlowKl, ForwardSideMatchesAQuadratureWithKlLogDensity) {
    const Stack s = stack_of(
        {Layer::radial({0.2, 0.1}, 0.6, 0.9), Layer::sigmoidal({1, 2}, {-1, 1}, {0.3, 0.7})});
    const genlab::kl::Mixture target = {{2.0, kvec(-1, 0.5), kmat(0.3, 0.1, 0.1, 0.5)},
                                        {1.0, kvec(1, -1), kmat(0.6, -0.2, -0.2, 0.4)},
                                        {1.0, kvec(0, 2), kmat(0.2, 0, 0, 0.2)}};
    Vec2 lo(1e300, 1e300), hi(-1e300, -1e300);
    for (const auto& c : target) {
        const Vec2 m(c.mean(0), c.mean(1)), sd(std::sqrt(c.cov(0, 0)), std::sqrt(c.cov(1, 1)));
        lo = lo.cwiseMin(m - 6 * sd);
        hi = hi.cwiseMax(m + 6 * sd);
    }
    const int n = 40;
    const double hx = (hi(0) - lo(0)) / n, hy = (hi(1) - lo(1)) / n;
    double sum = 0;
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) {
            const Vec2 x(lo(0) + (i + 0.5) * hx, lo(1) + (j + 0.5) * hy);
            const double log_p = genlab::kl::log_density(target, kvec(x(0), x(1)));
            const auto q = log_density(s, x);
            ASSERT_TRUE(q.has_value());
            sum += std::exp(log_p) * (log_p - q->log_density);
        }
    sum *= hx * hy;
    const KlIdentity k = kl_identity(s, target, n);
    EXPECT_NEAR(k.kl_forward, sum, 1e-12 * std::abs(sum));
    EXPECT_GT(sum, 0.1);
}

TEST(FlowKl, IdentityFlowOnItsOwnBaseIsZero) {
    Stack s;
    s.base_mean = Vec2(0.5, -0.5);
    s.base_std = Vec2(1.2, 0.7);
    const genlab::kl::Mixture target = {{1.0, kvec(0.5, -0.5), kmat(1.44, 0, 0, 0.49)}};
    const KlIdentity none = kl_identity(s, target, 100);
    EXPECT_NEAR(none.kl_forward, 0, 1e-9);
    EXPECT_NEAR(none.kl_base, 0, 1e-9);
    s.layers.push_back(Layer::affine({0, 0}, Mat2::Identity()));
    const KlIdentity id = kl_identity(s, target, 100);
    EXPECT_NEAR(id.kl_forward, 0, 1e-9);
    EXPECT_NEAR(id.kl_base, 0, 1e-9);
}

TEST(FlowKl, NaNWhenNotInvertible) {
    const Stack s = stack_of({Layer::residual(mat2(2, 0, 0, 1), {0, 0}, -0.9)});
    const genlab::kl::Mixture target = {{1.0, kvec(0, 0), kmat(1, 0, 0, 1)}};
    const KlIdentity k = kl_identity(s, target, 20);
    EXPECT_TRUE(std::isnan(k.kl_forward));
    EXPECT_TRUE(std::isnan(k.kl_base));
}

//-----------------------------------------------------------------------------
// Validation
//-----------------------------------------------------------------------------

TEST(FlowValidate, ErrorsNameTheField) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(error_of([&] {
                  validate(Layer::radial({0, 0}, 0, 1), 2);
              }),
              "flow.layers[2].alpha must be > 0 (got 0)");
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::radial({0, 0}, -1, 1), 0);
                         }),
                         "flow.layers[0].alpha must be > 0 (got -1)"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::radial({nan, 0}, 1, 1), 1);
                         }),
                         "flow.layers[1].z0"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::radial({0, 0}, 1, inf), 1);
                         }),
                         "flow.layers[1].beta"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::planar({nan, 0}, {1, 0}, 0), 3);
                         }),
                         "flow.layers[3].w must be finite"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::planar({1, 0}, {1, inf}, 0), 0);
                         }),
                         "flow.layers[0].u"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::planar({1, 0}, {1, 0}, nan), 0);
                         }),
                         "flow.layers[0].b"));
    EXPECT_EQ(error_of([&] {
                  validate(Layer::affine({0, 0}, mat2(1, 0.5, 0, 1)), 4);
              }),
              "flow.layers[4].L must be lower-triangular (L[0][1] = 0)");
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::affine({0, nan}, Mat2::Identity()), 0);
                         }),
                         "flow.layers[0].mu"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::sigmoidal({1, 1}, {0}, {0.5, 0.5}), 1);
                         }),
                         "flow.layers[1].sig_a, sig_b and sig_w must have the same size"));
    EXPECT_TRUE(contains(error_of([&] { validate(Layer::sigmoidal({}, {}, {}), 1); }),
                         "flow.layers[1].sig_a must have 1 to 16"));
    const std::vector<double> many(17, 1.0 / 17);
    EXPECT_TRUE(
        contains(error_of([&] { validate(Layer::sigmoidal(many, many, many), 1); }), "(got 17)"));
    EXPECT_NO_THROW(
        validate(Layer::sigmoidal(std::vector<double>(16, 1.0), std::vector<double>(16, 0.0),
                                  std::vector<double>(16, 1.0 / 16)),
                 0));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::sigmoidal({1, 1}, {0, nan}, {0.5, 0.5}), 5);
                         }),
                         "flow.layers[5].sig_b[1] must be finite"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::residual(mat2(1, nan, 0, 1), {0, 0}, 0.5), 2);
                         }),
                         "flow.layers[2].W"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(Layer::residual(Mat2::Identity(), {0, 0}, inf), 2);
                         }),
                         "flow.layers[2].s"));
    EXPECT_TRUE(
        contains(error_of([&] { validate(Layer::relu(nan, 1, 0), 6); }), "flow.layers[6].relu_a"));
    const auto cp = [](std::vector<double> a, std::vector<double> c, double bs, double scale) {
        const std::vector<double> v(a.size(), 0.1);
        return Layer::coupling(false, a, c, v, v, bs, 0, scale);
    };
    EXPECT_TRUE(contains(error_of([&] {
                             validate(cp({1, 2}, {0}, 0, 1), 3);
                         }),
                         "flow.layers[3].a, c, vs and vt must have the same size"));
    EXPECT_TRUE(contains(error_of([&] { validate(cp({}, {}, 0, 1), 3); }),
                         "flow.layers[3].a must have 1 to 8 hidden units (got 0)"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(
                                 cp(std::vector<double>(9, 1), std::vector<double>(9, 0), 0, 1), 0);
                         }),
                         "(got 9)"));
    EXPECT_TRUE(contains(error_of([&] {
                             validate(cp({1, 2}, {0, nan}, 0, 1), 2);
                         }),
                         "flow.layers[2].c[1] must be finite"));
    EXPECT_TRUE(contains(error_of([&] { validate(cp({1}, {0}, inf, 1), 2); }),
                         "flow.layers[2].bs must be finite"));
    EXPECT_TRUE(contains(error_of([&] { validate(cp({1}, {0}, 0, 21), 1); }),
                         "flow.layers[1].scale must be in [0, 20] (got 21)"));
    EXPECT_TRUE(
        contains(error_of([&] { validate(cp({1}, {0}, 0, -1), 1); }), "flow.layers[1].scale"));
    EXPECT_NO_THROW(validate(cp({1}, {0}, 0, 0), 1));  // scale 0: a pure shift
    // Values that only break invertibility are not errors.
    EXPECT_NO_THROW(validate(Layer::radial({0, 0}, 1, -5), 0));
    EXPECT_NO_THROW(validate(Layer::sigmoidal({-1, 1}, {0, 0}, {0.9, 0.9}), 0));
    EXPECT_NO_THROW(validate(Layer::affine({0, 0}, Mat2::Zero()), 0));
    // Stack functions name the offending layer and the base.
    Stack s = stack_of({Layer::planar({1, 0}, {1, 0}, 0), Layer::radial({0, 0}, -1, 0)});
    EXPECT_TRUE(contains(error_of([&] { push(s, Vec2(0, 0)); }), "flow.layers[1].alpha"));
    EXPECT_TRUE(contains(error_of([&] { invertible(s); }), "flow.layers[1].alpha"));
    EXPECT_TRUE(contains(error_of([&] { log_density(s, Vec2(0, 0)); }), "flow.layers[1].alpha"));
    EXPECT_NO_THROW(push(s, Vec2(0, 0), nullptr, 1));
    s.layers.pop_back();
    s.base_std = Vec2(1, 0);
    EXPECT_TRUE(contains(error_of([&] { base_log_density(s, Vec2(0, 0)); }),
                         "flow.base_std[1] must be > 0 (got 0)"));
    EXPECT_TRUE(
        contains(error_of([&] { mass_midpoint(s, Vec2(0, 0), 3, 8); }), "flow.base_std[1]"));
    // A lone layer passed to forward() is checked too.
    EXPECT_TRUE(contains(error_of([&] { forward(Layer::sigmoidal({1}, {}, {1}), Vec2(0, 0)); }),
                         "flow.layer.sig_a"));
}
