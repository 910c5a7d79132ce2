// Receptive-field core, issue 21: gated PixelCNN stacks, dilated masked stacks and 1-D causal
// (WaveNet) convolutions, each against a brute force that propagates a one-hot backwards
// through the actual kernels (dense k×k matrices with their zeros, and an explicit shift),
// independent of the offset lists and boxes the core uses.
#include <gtest/gtest.h>

#include "genlab/receptive_field.hpp"

using namespace genlab::rf;

namespace {

using Map = Eigen::MatrixXd;

// The transpose of out(r, c) = Σ_ij K(i, j) · in(r + d·(i − h), c + d·(j − h)) with zero
// padding: grad_in(r', c') = Σ_ij K(i, j) · grad_out(r' − d·(i − h), c' − d·(j − h)).
Map conv_backward(const Map& g, const Map& K, int d) {
    const int hr = static_cast<int>(K.rows()) / 2, hc = static_cast<int>(K.cols()) / 2;
    Map in = Map::Zero(g.rows(), g.cols());
    for (int r = 0; r < g.rows(); ++r)
        for (int c = 0; c < g.cols(); ++c)
            for (int i = 0; i < K.rows(); ++i)
                for (int j = 0; j < K.cols(); ++j) {
                    const int rr = r + d * (i - hr), cc = c + d * (j - hc);
                    if (rr < 0 || cc < 0 || rr >= g.rows() || cc >= g.cols()) continue;
                    in(rr, cc) += K(i, j) * g(r, c);
                }
    return in;
}

// out(r, c) = in(r − 1, c) (the vertical stack's shift down); its transpose moves up.
Map shift_down_backward(const Map& g) {
    Map in = Map::Zero(g.rows(), g.cols());
    in.topRows(g.rows() - 1) = g.bottomRows(g.rows() - 1);
    return in;
}

Map one_hot(int rows, int cols, Cell p) {
    Map m = Map::Zero(rows, cols);
    m(p.row, p.col) = 1;
    return m;
}

// Plain (dilated) masked stack: the masks as k×k 0/1 weights.
Map brute_plain(const Stack& s, Cell p) {
    Map g = one_hot(s.size, s.size, p);
    for (int l = static_cast<int>(s.masks.size()) - 1; l >= 0; --l)
        g = conv_backward(g, s.masks[l].cast<double>(), dilation(s, l));
    return g;
}

// Gated PixelCNN, top-down, as the paper describes it: the vertical kernel is the k×k kernel
// with the rows below the centre zeroed (⌈k/2⌉ rows × k), its first output shifted down one
// row; the horizontal kernel is the centre row's cells left of the centre (mask A, layer 1)
// or up to it (mask B); H_l = conv_h(H_{l−1}) + V_l.
Map brute_gated(int n, int k, int L, Cell p) {
    const int h = k / 2;
    Map Kv = Map::Zero(k, k);
    Kv.topRows(h + 1).setOnes();
    Map KhA = Map::Zero(k, k), KhB = Map::Zero(k, k);
    KhA.block(h, 0, 1, h).setOnes();
    KhB.block(h, 0, 1, h + 1).setOnes();
    Map gH = one_hot(n, n, p), gV = gH;  // link at the last layer
    for (int m = L - 1; m >= 0; --m) {
        Map nextH = conv_backward(gH, m == 0 ? KhA : KhB, 1);
        Map gVin = m == 0 ? shift_down_backward(gV) : gV;  // V_1 = shift(conv(x))
        Map nextV = conv_backward(gVin, Kv, 1);
        if (m > 0) nextV += nextH;
        gH = nextH;
        gV = nextV;
    }
    return gH + gV;
}

// 1-D causal: out(t) = Σ_j in(t − j·d).
Map brute_causal(int n, int taps, const std::vector<int>& dil, int t) {
    Map g = one_hot(1, n, {0, t});
    for (int l = static_cast<int>(dil.size()) - 1; l >= 0; --l) {
        Map in = Map::Zero(1, n);
        for (int u = 0; u < n; ++u)
            for (int j = 0; j < taps; ++j)
                if (u - j * dil[l] >= 0) in(0, u - j * dil[l]) += g(0, u);
        g = in;
    }
    return g;
}

Stack gated(int n, int k, int L, Order order = Order::TopDown) {
    Stack s;
    s.size = n;
    s.kernel = k;
    s.order = order;
    s.architecture = Architecture::Gated;
    s.masks.assign(L, make_mask(MaskKind::B, k, order));  // unused by the gated stack
    return s;
}

Stack causal(int n, int taps, std::vector<int> dil) {
    Stack s;
    s.size = n;
    s.kernel = 1;
    s.architecture = Architecture::Causal;
    s.taps = taps;
    s.masks.assign(dil.size(), make_mask(MaskKind::B, 1, Order::TopDown));
    s.dilations = std::move(dil);
    return s;
}

Stack plain(int n, int k, std::vector<MaskKind> kinds, std::vector<int> dil) {
    Stack s;
    s.size = n;
    s.kernel = k;
    for (MaskKind kind : kinds) s.masks.push_back(make_mask(kind, k, s.order));
    s.dilations = std::move(dil);
    return s;
}

bool earlier_top_down(Cell a, Cell b) { return a.row < b.row || (a.row == b.row && a.col < b.col); }

}  // namespace

TEST(Gated, PathsMatchBruteForceEverywhere) {
    for (int n : {1, 2, 3, 5, 8})
        for (int k : {1, 3, 5})
            for (int L = 1; L <= 5; ++L)
                for (int r = 0; r < n; ++r)
                    for (int c = 0; c < n; ++c) {
                        const Analysis a = analyze(gated(n, k, L), {r, c});
                        const Map b = brute_gated(n, k, L, {r, c});
                        ASSERT_TRUE(a.paths == b)
                            << "n=" << n << " k=" << k << " L=" << L << " pixel " << r << "," << c;
                        ASSERT_TRUE(a.layer_paths[0] == b);
                    }
}

TEST(Gated, OneLayerOfThreeSeesTheTwoRowsAboveAndTheLeftNeighbour) {
    // Closed form, k = 3: V_1 reads rows r−2..r−1, columns c−1..c+1 (shifted down once); the
    // horizontal layer (mask A) reads (r, c−1). One path each.
    const Analysis a = analyze(gated(7, 3, 1), {4, 3});
    std::vector<Cell> expected;
    for (int r = 2; r <= 3; ++r)
        for (int c = 2; c <= 4; ++c) expected.push_back({r, c});
    expected.push_back({4, 2});
    EXPECT_EQ(a.cells, expected);
    EXPECT_EQ(a.paths.sum(), 7);
    EXPECT_TRUE(a.violations.empty());
}

TEST(Gated, NoBlindSpotAtAnyDepthUpTo16OnGridsUpTo32) {
    for (int n : {1, 2, 3, 7, 16, 32})
        for (int L = 1; L <= 16; ++L)
            for (int r = 0; r < n; r += (n == 32 ? 5 : 1))
                for (int c = 0; c < n; c += (n == 32 ? 3 : 1)) {
                    const Cell p{r, c};
                    const Map b = brute_gated(n, 3, L, p);
                    const int reach = L;  // h = 1: the unmasked square has radius L
                    for (int rr = std::max(0, r - reach); rr <= std::min(n - 1, r + reach); ++rr)
                        for (int cc = std::max(0, c - reach); cc <= std::min(n - 1, c + reach);
                             ++cc) {
                            const Cell q{rr, cc};
                            // Every earlier cell the unmasked stack reaches, the gated one
                            // reaches too; no later one.
                            ASSERT_EQ(b(rr, cc) > 0, earlier_top_down(q, p))
                                << "n=" << n << " L=" << L << " pixel " << r << "," << c << " cell "
                                << rr << "," << cc;
                        }
                    const Analysis a = analyze(gated(n, 3, L), p);
                    ASSERT_TRUE(a.blind_spot.empty()) << "n=" << n << " L=" << L;
                    ASSERT_TRUE(a.violations.empty());
                    ASSERT_TRUE(a.paths == b);
                }
}

TEST(Gated, PlainStackOfTheSameDepthHasTheBlindSpotTheGatedOneRemoves) {
    for (int L = 2; L <= 8; ++L) {
        std::vector<MaskKind> kinds(L, MaskKind::B);
        kinds[0] = MaskKind::A;
        const Analysis p = analyze(plain(20, 3, kinds, {}), {12, 8});
        const Analysis g = analyze(gated(20, 3, L), {12, 8});
        EXPECT_FALSE(p.blind_spot.empty()) << L;
        for (const Cell& c : p.blind_spot) {  // up and to the right of the pixel
            EXPECT_LT(c.row, 12);
            EXPECT_GT(c.col, 8);
            EXPECT_GT(g.paths(c.row, c.col), 0);  // the gated stack reaches them
        }
        EXPECT_TRUE(g.blind_spot.empty());
    }
}

TEST(Gated, BottomUpMirrorsTheRows) {
    for (int L = 1; L <= 4; ++L) {
        const Analysis down = analyze(gated(9, 3, L, Order::TopDown), {3, 5});
        const Analysis up = analyze(gated(9, 3, L, Order::BottomUp), {5, 5});
        EXPECT_TRUE(up.paths == Map(down.paths.colwise().reverse()));
        EXPECT_TRUE(up.blind_spot.empty());
        EXPECT_TRUE(up.violations.empty());
    }
}

TEST(Gated, LayerPathsSplitIntoTheTwoStacks) {
    const Analysis a = analyze(gated(9, 3, 3), {6, 4});
    ASSERT_EQ(a.vertical_paths.size(), 3u);
    for (int m = 0; m < 3; ++m)
        EXPECT_TRUE(a.layer_paths[m] == a.vertical_paths[m] + a.horizontal_paths[m]);
    // The horizontal stack never leaves the pixel's row.
    for (int m = 0; m < 3; ++m)
        for (int r = 0; r < 9; ++r) {
            if (r != 6) EXPECT_EQ(a.horizontal_paths[m].row(r).sum(), 0) << m << " " << r;
        }
}

TEST(Causal, WaveNetFieldAfterLLayersOfDilations2ToTheLIs2ToTheLSteps) {
    for (int L = 1; L <= 9; ++L) {
        std::vector<int> dil;
        for (int l = 0; l < L; ++l) dil.push_back(1 << l);
        const int n = 512, t = 511;
        const Analysis a = analyze(causal(n, 2, dil), {0, t});
        ASSERT_EQ(static_cast<int>(a.cells.size()), 1 << L) << L;
        // Exactly the steps t − 2^L + 1 .. t, each by one path (a binary expansion).
        EXPECT_EQ(a.cells.front().col, t - (1 << L) + 1);
        EXPECT_EQ(a.cells.back().col, t);
        for (const Cell& c : a.cells) EXPECT_EQ(a.paths(0, c.col), 1);
        EXPECT_TRUE(a.blind_spot.empty());
        EXPECT_TRUE(a.violations.empty());
        EXPECT_TRUE(a.paths == brute_causal(n, 2, dil, t));
    }
}

TEST(Causal, PathsMatchBruteForceForAnyDilationsAndTaps) {
    const std::vector<std::vector<int>> cases = {{1}, {1, 1, 1}, {2, 2}, {3, 1, 2}, {1, 2, 4, 8}};
    for (const auto& dil : cases)
        for (int taps : {1, 2, 3})
            for (int t = 0; t < 24; ++t) {
                const Analysis a = analyze(causal(24, taps, dil), {0, t});
                ASSERT_TRUE(a.paths == brute_causal(24, taps, dil, t)) << taps << " " << t;
                EXPECT_TRUE(a.violations.empty());
            }
}

TEST(Causal, RepeatedDilationLeavesHoles) {
    // Dilations 2, 2 with 2 taps reach t, t−2, t−4 (t−2 by two paths); t−1 and t−3 lie in
    // the span [t−4, t] but no path reaches them.
    const Analysis a = analyze(causal(16, 2, {2, 2}), {0, 10});
    EXPECT_EQ(a.cells, (std::vector<Cell>{{0, 6}, {0, 8}, {0, 10}}));
    EXPECT_EQ(a.paths(0, 8), 2);
    EXPECT_EQ(a.blind_spot, (std::vector<Cell>{{0, 7}, {0, 9}}));
}

TEST(Causal, PixelMustBeOnTheOneRow) {
    EXPECT_THROW(analyze(causal(8, 2, {1}), {1, 3}), std::invalid_argument);
}

TEST(Dilated, MaskedStackPathsMatchBruteForce) {
    const std::vector<std::vector<int>> cases = {{1, 2}, {2, 1}, {2, 3, 1}, {1, 2, 4}, {4, 4}};
    for (const auto& dil : cases) {
        std::vector<MaskKind> kinds(dil.size(), MaskKind::B);
        kinds[0] = MaskKind::A;
        for (int k : {1, 3, 5}) {
            const Stack s = plain(13, k, kinds, dil);
            for (int r = 0; r < 13; r += 2)
                for (int c = 0; c < 13; c += 3) {
                    const Analysis a = analyze(s, {r, c});
                    ASSERT_TRUE(a.paths == brute_plain(s, {r, c})) << k << " " << r << "," << c;
                    EXPECT_TRUE(a.violations.empty());  // a dilated mask A is still causal
                }
        }
    }
}

TEST(Dilated, UnmaskedReachOfADilatedStackHasItsHoles) {
    // One full 3×3 layer of dilation 2 reads the 9 cells 2 apart: the reach is those 9, not
    // the 5×5 square, and the masked field's blind spot is judged within them.
    const Analysis a = analyze(plain(9, 3, {MaskKind::A}, {2}), {4, 4});
    EXPECT_EQ(a.unmasked_reach.size(), 9u);
    EXPECT_EQ(a.cells, (std::vector<Cell>{{2, 2}, {2, 4}, {2, 6}, {4, 2}}));
    EXPECT_TRUE(a.blind_spot.empty());
}

TEST(Growth, LinearForPlainExponentialForDilated) {
    std::vector<MaskKind> none(5, MaskKind::None);
    const auto lin = growth(plain(101, 3, none, {}), {50, 50});
    const auto exp = growth(plain(101, 3, none, {1, 2, 4, 8, 16}), {50, 50});
    for (int l = 1; l <= 5; ++l) {
        EXPECT_EQ(lin[l - 1].depth, l);
        EXPECT_EQ(lin[l - 1].span, 2 * l + 1);
        EXPECT_EQ(lin[l - 1].cells, (2 * l + 1) * (2 * l + 1));
        EXPECT_EQ(exp[l - 1].span, (1 << (l + 1)) - 1);  // 1 + 2·(1 + 2 + … + 2^(l−1))
        EXPECT_EQ(exp[l - 1].cells, exp[l - 1].span * exp[l - 1].span);
    }
    const auto wave = growth(causal(300, 2, {1, 2, 4, 8, 16, 32, 64, 128}), {0, 299});
    for (int l = 1; l <= 8; ++l) EXPECT_EQ(wave[l - 1].cells, 1 << l);
    const auto g = growth(gated(40, 3, 6), {30, 20});
    for (int l = 1; l <= 6; ++l) EXPECT_EQ(g[l - 1].span, 2 * l + 1);  // columns c−l..c+l
}

TEST(Validation, DilationsAndTapsNameTheirKeys) {
    Stack s = plain(9, 3, {MaskKind::A, MaskKind::B}, {1});
    try {
        analyze(s, {1, 1});
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("receptive_field.dilations"), std::string::npos);
    }
    s.dilations = {1, 0};
    EXPECT_THROW(analyze(s, {1, 1}), std::invalid_argument);
    Stack c = causal(8, 0, {1});
    try {
        analyze(c, {0, 1});
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("receptive_field.taps"), std::string::npos);
    }
}
