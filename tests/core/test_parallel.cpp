// The batch kernels (issue 6): the same results whatever the thread count, bit for bit; the
// vectorized paths agree with the scalar ones; the receptive-field box walk equals the
// full-grid walk.
#include "genlab/flow.hpp"
#include "genlab/gan.hpp"
#include "genlab/kl.hpp"
#include "genlab/parallel.hpp"
#include "genlab/receptive_field.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>

namespace {

using namespace genlab;

// Runs f with 1 thread and with 2 (the default count restored after).
template <typename F>
auto with_threads(int n, const F& f) {
    parallel::set_threads(n);
    auto out = f();
    parallel::set_threads(0);
    return out;
}

// Bitwise equality that also holds for NaN (same bits).
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

flow::Stack mixed_stack() {
    flow::Stack s;
    flow::Layer p = flow::Layer::planar({1.2, -0.4}, {-2.0, 0.7}, 0.3);
    p.enforce = true;
    s.layers.push_back(p);
    s.layers.push_back(flow::Layer::radial({0.3, -0.2}, 0.8, 1.5));
    s.layers.push_back(flow::Layer::planar({0.2, 0.9}, {0.5, 0.5}, -0.2));
    s.layers.push_back(flow::Layer::radial({-0.5, 0.5}, 1.2, -0.9));
    flow::Mat2 L;
    L << 1.3, 0, 0.4, 0.7;
    s.layers.push_back(flow::Layer::affine({0.1, -0.3}, L));
    s.layers.push_back(flow::Layer::residual(flow::Mat2::Identity() * 0.4, {0.1, 0.2}, 0.8));
    s.layers.push_back(flow::Layer::sigmoidal({1, 2}, {-1, 1}, {0.3, 0.7}));
    return s;
}

// 1000 points (not a multiple of the 256-point block), some far out where tanh saturates
// and some near the planar hyperplane where tanh(x) ≈ x is small.
Eigen::Matrix2Xd points(int n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> g(0.0, 2.0);
    Eigen::Matrix2Xd z(2, n);
    for (int i = 0; i < n; ++i) z.col(i) << g(gen), g(gen);
    z.col(0) << 400, -300;
    z.col(1) << 1e-9, 2e-9;
    return z;
}

TEST(ParallelFlow, PushBatchMatchesPushPointByPoint) {
    const flow::Stack s = mixed_stack();
    const Eigen::Matrix2Xd z = points(1000, 7);
    Eigen::VectorXd ld;
    const Eigen::Matrix2Xd x = flow::push_batch(s, z, &ld);
    ASSERT_EQ(x.cols(), z.cols());
    ASSERT_EQ(ld.size(), z.cols());
    for (int i = 0; i < z.cols(); ++i) {
        double ld1 = 0;
        const flow::Vec2 x1 = flow::push(s, z.col(i), &ld1);
        for (int c = 0; c < 2; ++c)
            EXPECT_NEAR(x(c, i), x1(c), 1e-14 * std::max(1.0, std::abs(x1(c)))) << "point " << i;
        EXPECT_NEAR(ld(i), ld1, 1e-13 * std::max(1.0, std::abs(ld1))) << "point " << i;
    }
}

TEST(ParallelFlow, PushBatchIsTheSameWithOneOrTwoThreadsAndAnyPosition) {
    const flow::Stack s = mixed_stack();
    const Eigen::Matrix2Xd z = points(1000, 11);
    const auto run = [&] {
        Eigen::VectorXd ld;
        Eigen::Matrix2Xd x = flow::push_batch(s, z, &ld);
        return std::make_pair(x, ld);
    };
    const auto one = with_threads(1, run), two = with_threads(2, run);
    for (int i = 0; i < z.cols(); ++i) {
        ASSERT_TRUE(same_bits(one.first(0, i), two.first(0, i))) << i;
        ASSERT_TRUE(same_bits(one.first(1, i), two.first(1, i))) << i;
        ASSERT_TRUE(same_bits(one.second(i), two.second(i))) << i;
    }
    // A point alone (in a padded block) gives the bits it gave inside the batch.
    Eigen::VectorXd ld;
    const Eigen::Matrix2Xd alone = flow::push_batch(s, z.col(777), &ld);
    EXPECT_TRUE(same_bits(alone(0, 0), one.first(0, 777)));
    EXPECT_TRUE(same_bits(ld(0), one.second(777)));
}

TEST(ParallelFlow, PushBatchKeepsNaNAndUpto) {
    const flow::Stack s = mixed_stack();
    Eigen::Matrix2Xd z(2, 3);
    z << std::numeric_limits<double>::quiet_NaN(), 0.5, 0.1, 0, -0.5, 0.2;
    Eigen::VectorXd ld;
    const Eigen::Matrix2Xd x = flow::push_batch(s, z, &ld, 2);
    EXPECT_TRUE(std::isnan(x(0, 0)));
    EXPECT_TRUE(std::isnan(ld(0)));  // NaN detection survives the vectorized tanh/log
    double ld1 = 0;
    const flow::Vec2 x1 = flow::push(s, z.col(1), &ld1, 2);
    EXPECT_NEAR(x(0, 1), x1(0), 1e-14);
    EXPECT_NEAR(ld(1), ld1, 1e-14);
    EXPECT_THROW(flow::push_batch(s, z, nullptr, 99), std::invalid_argument);
}

TEST(ParallelFlow, DensityGridIsTheSameWithOneOrTwoThreads) {
    flow::Stack s = mixed_stack();
    s.layers.pop_back();  // sigmoidal inverse by bisection: slow, and covered elsewhere
    const auto run = [&] { return flow::density_grid(s, {0.2, -0.1}, 3.0, 40); };
    const Eigen::MatrixXd one = with_threads(1, run), two = with_threads(2, run);
    for (int i = 0; i < one.size(); ++i) ASSERT_TRUE(same_bits(one(i), two(i))) << i;
}

gan::Params rk4(double gamma) {
    gan::Params p;
    p.method = gan::Method::Flow;
    p.lr = 0.05;
    p.gamma = gamma;
    return p;
}

std::vector<gan::State> gan_starts(int n) {
    std::vector<gan::State> out;
    for (int i = 0; i < n; ++i) {
        gan::State x(3);
        x << std::cos(0.3 * i) * (1 + 0.01 * i), 0.2 * std::sin(i), std::sin(0.3 * i);
        out.push_back(x);
    }
    return out;
}

TEST(ParallelGan, IntegrateBatchIsTheSameWithOneOrTwoThreads) {
    for (const gan::Method m : {gan::Method::Flow, gan::Method::Simultaneous}) {
        gan::Params p = rk4(0.3);
        p.method = m;
        p.lr = m == gan::Method::Flow ? 0.05 : 0.9;  // simultaneous at 0.9: some diverge
        const std::vector<gan::State> starts = gan_starts(150);  // 64 + 64 + 22
        const auto run = [&] { return gan::integrate_batch(p, starts, 400, 3); };
        const auto one = with_threads(1, run), two = with_threads(2, run);
        ASSERT_EQ(one.size(), two.size());
        for (size_t i = 0; i < one.size(); ++i) {
            ASSERT_EQ(one[i].steps, two[i].steps) << i;
            ASSERT_EQ(one[i].diverged_at, two[i].diverged_at) << i;
            ASSERT_EQ(one[i].states.size(), two[i].states.size()) << i;
            for (size_t k = 0; k < one[i].states.size(); ++k)
                for (int c = 0; c < 3; ++c)
                    ASSERT_TRUE(same_bits(one[i].states[k](c), two[i].states[k](c))) << i;
        }
    }
}

TEST(ParallelGan, DivergenceIsFoundPerTrajectoryInABlock) {
    // Simultaneous GDA spirals out; a start 1e5 away runs away (norm > 1e6) long before one
    // near the origin: within one 64-lane block each stops at its own step.
    gan::Params p;
    p.system = gan::System::Bilinear;
    p.lr = 0.5;
    std::vector<gan::State> starts(3, gan::State(2));
    starts[0] << 1e5, 0;
    starts[1] << 1e-3, 0;
    starts[2] << 1e5, 0;
    const auto t = gan::integrate_batch(p, starts, 100);
    ASSERT_TRUE(t[0].diverged);
    EXPECT_FALSE(t[1].diverged);
    EXPECT_EQ(t[1].steps, 100);  // 1e-3·1.118^100 ≈ 70
    EXPECT_EQ(t[0].diverged_at, t[2].diverged_at);
    // |x| grows by √(1 + lr²) a step: 1e5·1.118^k > 1e6 first at k = 21.
    EXPECT_EQ(t[0].diverged_at, 21);
    EXPECT_EQ(t[0].steps, 20);
    EXPECT_LE(t[0].states.back().norm(), gan::kRunawayNorm);
}

TEST(ParallelKl, ReverseFitIsTheSameWithOneOrTwoThreads) {
    kl::Vec a(1), b(1);
    a << -3.0;
    b << 3.0;
    const kl::Mixture p = {{0.5, a, kl::Mat::Constant(1, 1, 0.49)},
                           {0.5, b, kl::Mat::Constant(1, 1, 0.49)}};
    const kl::Quadrature quad(1, 2048);
    kl::FitOptions o;
    o.iterations = 2000;
    const kl::Gaussian start =
        kl::Gaussian::from_std(kl::Vec::Constant(1, 0.5), kl::Vec::Constant(1, 1.0));
    const auto run = [&] { return kl::fit(p, start, kl::Objective::Reverse, o, quad); };
    const kl::Fit one = with_threads(1, run), two = with_threads(2, run);
    ASSERT_EQ(one.values.size(), two.values.size());
    for (size_t k = 0; k < one.values.size(); ++k) {
        ASSERT_TRUE(same_bits(one.values[k], two.values[k])) << k;
        ASSERT_TRUE(same_bits(one.path[k](0), two.path[k](0))) << k;
        ASSERT_TRUE(same_bits(one.path[k](1), two.path[k](1))) << k;
    }
    // And it is the mode-seeking answer: one mode, not the middle.
    EXPECT_NEAR(std::abs(one.q.mean(0)), 3.0, 0.05);
}

// The full-grid walk analyze() did before it worked on boxes: the reference.
rf::Counts paths_full_grid(const rf::Stack& s, rf::Cell pixel) {
    const int n = s.size, h = s.kernel / 2;
    rf::Counts out = rf::Counts::Zero(n, n);
    out(pixel.row, pixel.col) = 1;
    for (int l = static_cast<int>(s.masks.size()) - 1; l >= 0; --l) {
        rf::Counts in = rf::Counts::Zero(n, n);
        for (int r = 0; r < n; ++r)
            for (int c = 0; c < n; ++c)
                for (int i = 0; i < s.kernel; ++i)
                    for (int j = 0; j < s.kernel; ++j) {
                        const int rr = r + i - h, cc = c + j - h;
                        if (s.masks[l](i, j) && rr >= 0 && rr < n && cc >= 0 && cc < n)
                            in(rr, cc) += out(r, c);
                    }
        out = in;
    }
    return out;
}

TEST(ParallelRf, BoxWalkEqualsTheFullGridWalk) {
    std::mt19937 gen(3);
    for (int trial = 0; trial < 40; ++trial) {
        rf::Stack s;
        s.size = 1 + static_cast<int>(gen() % 24);
        s.kernel = 1 + 2 * static_cast<int>(gen() % 4);
        s.order = gen() % 2 ? rf::Order::TopDown : rf::Order::BottomUp;
        const int layers = 1 + static_cast<int>(gen() % 6);
        for (int l = 0; l < layers; ++l) {
            rf::Mask m(s.kernel, s.kernel);
            for (int i = 0; i < m.size(); ++i) m(i) = gen() % 3 ? 1 : 0;  // custom, often holed
            if (trial % 4 == 0)
                m = rf::make_mask(l ? rf::MaskKind::B : rf::MaskKind::A, s.kernel, s.order);
            s.masks.push_back(m);
        }
        const rf::Cell pixel{static_cast<int>(gen() % s.size), static_cast<int>(gen() % s.size)};
        const rf::Analysis a = rf::analyze(s, pixel);
        ASSERT_EQ(a.paths, paths_full_grid(s, pixel)) << "trial " << trial;
        EXPECT_EQ(a.cells, rf::nonzero_cells(a.paths)) << "trial " << trial;
        for (size_t l = 0; l < a.layer_paths.size(); ++l)
            EXPECT_EQ(a.layers[l], rf::nonzero_cells(a.layer_paths[l])) << trial << " " << l;
    }
}

TEST(ParallelRf, TheBenchSizeIsAccepted) {
    rf::Stack s;
    s.size = 128;
    s.kernel = 5;
    s.masks.push_back(rf::make_mask(rf::MaskKind::A, 5, s.order));
    for (int l = 1; l < 16; ++l) s.masks.push_back(rf::make_mask(rf::MaskKind::B, 5, s.order));
    const rf::Analysis a = rf::analyze(s, {64, 64});
    // Top-down A then B: only earlier cells, none of the pixel's own row after it.
    EXPECT_TRUE(a.violations.empty());
    EXPECT_FALSE(a.cells.empty());
    EXPECT_EQ(a.paths, paths_full_grid(s, {64, 64}));
}

}  // namespace
