// Receptive-field core: the seed answers (000 Q1, 003 Q2), mask shapes, and path counts
// against a brute-force enumeration of every path.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "genlab/receptive_field.hpp"

using namespace genlab::rf;

namespace {

// "34" → {row 2, col 3}: the seed questions name cells by 1-based row and column digits.
Cell seed_cell(int id) { return {id / 10 - 1, id % 10 - 1}; }

std::vector<Cell> seed_cells(std::initializer_list<int> ids) {
    std::vector<Cell> cells;
    for (int id : ids) cells.push_back(seed_cell(id));
    return cells;
}

Stack make_stack(int n, int k, Order order, std::vector<MaskKind> kinds) {
    Stack s;
    s.size = n;
    s.kernel = k;
    s.order = order;
    for (MaskKind kind : kinds) s.masks.push_back(make_mask(kind, k, order));
    return s;
}

std::string show(const std::vector<Cell>& cells) {
    std::string out;
    for (const Cell& c : cells) out += std::to_string((c.row + 1) * 10 + c.col + 1) + " ";
    return out;
}

// Counts every path by recursion over layers: independent of the block-shift scatter.
double brute_force_paths(const Stack& s, Cell from, Cell to) {
    const int h = s.kernel / 2;
    std::function<double(int, Cell)> count = [&](int layer, Cell at) -> double {
        // `at` is a cell of layer `layer`'s output; walk back to the input of layer 0.
        if (layer < 0) return at == from ? 1.0 : 0.0;
        double total = 0;
        for (int i = 0; i < s.kernel; ++i)
            for (int j = 0; j < s.kernel; ++j) {
                if (!s.masks[layer](i, j)) continue;
                Cell src{at.row + i - h, at.col + j - h};
                if (src.row < 0 || src.col < 0 || src.row >= s.size || src.col >= s.size) continue;
                total += count(layer - 1, src);
            }
        return total;
    };
    return count(static_cast<int>(s.masks.size()) - 1, to);
}

}  // namespace

TEST(Masks, TopDownMaskAKeepsRowsAboveAndLeftOfCentre) {
    Mask a = make_mask(MaskKind::A, 3, Order::TopDown);
    Mask expected(3, 3);
    // clang-format off
    expected << 1, 1, 1,
                1, 0, 0,
                0, 0, 0;
    // clang-format on
    EXPECT_EQ(a, expected);
    Mask b = make_mask(MaskKind::B, 3, Order::TopDown);
    expected(1, 1) = 1;
    EXPECT_EQ(b, expected);
}

TEST(Masks, BottomUpMasksMatchSeed000AsPrinted) {
    // M^A: 1 if i = 2 and j < 2, 1 if i = 3 (1-based): the centre row's left cell and the
    // whole row below.
    Mask a = make_mask(MaskKind::A, 3, Order::BottomUp);
    Mask expected(3, 3);
    // clang-format off
    expected << 0, 0, 0,
                1, 0, 0,
                1, 1, 1;
    // clang-format on
    EXPECT_EQ(a, expected);
    Mask b = make_mask(MaskKind::B, 3, Order::BottomUp);
    expected(1, 1) = 1;
    EXPECT_EQ(b, expected);
}

TEST(Masks, FiveByFiveMaskAHasHalfTheKernelMinusCentre) {
    Mask a = make_mask(MaskKind::A, 5, Order::TopDown);
    EXPECT_EQ(a.cast<int>().sum(), 12);  // 2 full rows of 5, plus 2 to the left
    EXPECT_EQ(a(1, 4), 1);
    EXPECT_EQ(a(2, 1), 1);
    EXPECT_EQ(a(2, 2), 0);
    EXPECT_EQ(a(3, 0), 0);
}

TEST(Masks, ClassifyRecognisesEachKindAndCustom) {
    for (Order order : {Order::TopDown, Order::BottomUp}) {
        for (MaskKind kind : {MaskKind::A, MaskKind::B, MaskKind::None}) {
            EXPECT_EQ(classify_mask(make_mask(kind, 5, order), order), kind);
        }
    }
    Mask m = make_mask(MaskKind::A, 3, Order::TopDown);
    m(2, 2) = 1;
    EXPECT_EQ(classify_mask(m, Order::TopDown), MaskKind::Custom);
    // A top-down A mask is not a bottom-up A mask.
    EXPECT_EQ(classify_mask(make_mask(MaskKind::A, 3, Order::TopDown), Order::BottomUp),
              MaskKind::Custom);
}

TEST(Order, EarlierFollowsGenerationOrder) {
    EXPECT_TRUE(is_earlier({0, 4}, {1, 0}, Order::TopDown));
    EXPECT_FALSE(is_earlier({1, 0}, {0, 4}, Order::TopDown));
    EXPECT_TRUE(is_earlier({3, 4}, {2, 0}, Order::BottomUp));
    EXPECT_TRUE(is_earlier({2, 0}, {2, 1}, Order::BottomUp));
    EXPECT_FALSE(is_earlier({2, 1}, {2, 1}, Order::TopDown));
}

// Seed 000 Q1: "The pixels in the image after the first convolutional layer that contribute
// to the pixel at index 34 are pixels 33, 43, 44, 45 for mask A and 33, 34, 43, 44, 45 for
// mask B."
TEST(Seed000, Pixel34BottomUpFirstLayerContributors) {
    auto a = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::A}), seed_cell(34));
    EXPECT_EQ(show(a.cells), show(seed_cells({33, 43, 44, 45})));
    auto b = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::B}), seed_cell(34));
    EXPECT_EQ(show(b.cells), show(seed_cells({33, 34, 43, 44, 45})));
    // In a two-layer stack, the last layer's input contributors are the same cells.
    auto ab = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::B, MaskKind::A}), seed_cell(34));
    EXPECT_EQ(show(ab.layers[1]), show(seed_cells({33, 43, 44, 45})));
}

TEST(Seed000, Pixel34BottomUpAAReceptiveField) {
    // Union of the A-fields of 33, 43, 44, 45:
    //   {32 42 43 44} ∪ {42 52 53 54} ∪ {43 53 54 55} ∪ {44 54 55}.
    auto a = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::A, MaskKind::A}), seed_cell(34));
    EXPECT_EQ(show(a.cells), show(seed_cells({32, 42, 43, 44, 52, 53, 54, 55})));
    EXPECT_TRUE(a.violations.empty());
    // Two 3×3 layers reach rows 1-5, columns 2-5. Of the earlier cells there (rows below,
    // and 32, 33), 33 and 45 are never reached: A drops the centre of hidden 33, and 45 is
    // only reachable through hidden 45's own centre.
    EXPECT_EQ(show(a.blind_spot), show(seed_cells({33, 45})));
}

TEST(Seed000, Pixel34MaskBFirstLayerLeaksThePixelItself) {
    auto ba = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::B, MaskKind::A}), seed_cell(34));
    // The first B keeps the centre: the field of 33 includes 33 and of 44 includes 44, etc.
    EXPECT_TRUE(ba.violations.empty());  // only the last layer's centre can leak 34 itself
    auto bb = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::B, MaskKind::B}), seed_cell(34));
    EXPECT_EQ(show(bb.violations), show(seed_cells({34})));
    auto ab = analyze(make_stack(5, 3, Order::BottomUp, {MaskKind::A, MaskKind::B}), seed_cell(34));
    EXPECT_TRUE(ab.violations.empty());
}

// Seed 003 Q2: pixel 33 with standard (top-down) masks; first-layer contributors for mask A
// are 22, 23, 24, 32.
TEST(Seed003, Pixel33TopDownFirstLayerContributors) {
    auto a = analyze(make_stack(5, 3, Order::TopDown, {MaskKind::A}), seed_cell(33));
    EXPECT_EQ(show(a.cells), show(seed_cells({22, 23, 24, 32})));
    auto b = analyze(make_stack(5, 3, Order::TopDown, {MaskKind::B}), seed_cell(33));
    EXPECT_EQ(show(b.cells), show(seed_cells({22, 23, 24, 32, 33})));
}

TEST(Seed003, Pixel33TopDownAAFieldAndBlindSpot) {
    auto a = analyze(make_stack(5, 3, Order::TopDown, {MaskKind::A, MaskKind::A}), seed_cell(33));
    // Fields of 22: 11 12 13 21; 23: 12 13 14 22; 24: 13 14 15 23; 32: 21 22 23 31.
    EXPECT_EQ(show(a.cells), show(seed_cells({11, 12, 13, 14, 15, 21, 22, 23, 31})));
    // PixelCNN's blind spot: 24, 25 are earlier and reachable but never reached.
    EXPECT_EQ(show(a.blind_spot), show(seed_cells({24, 25, 32})));
    EXPECT_TRUE(a.violations.empty());
}

TEST(Seed003, Pixel33TopDownABHasNoViolationButBBDoes) {
    auto ab = analyze(make_stack(5, 3, Order::TopDown, {MaskKind::A, MaskKind::B}), seed_cell(33));
    EXPECT_TRUE(ab.violations.empty());
    EXPECT_EQ(show(ab.cells), show(seed_cells({11, 12, 13, 14, 15, 21, 22, 23, 24, 31, 32})));
    auto bb = analyze(make_stack(5, 3, Order::TopDown, {MaskKind::B, MaskKind::B}), seed_cell(33));
    EXPECT_EQ(show(bb.violations), show(seed_cells({33})));
}

TEST(Paths, CentreOfUnmaskedStackCountsLikeBinomialTrinomials) {
    // One layer of a full 3×3 kernel: every neighbour has one path. Two layers: the centre
    // has 9 paths (through each of the 9 neighbours), an edge neighbour 6, a corner 4.
    auto a = analyze(make_stack(7, 3, Order::TopDown, {MaskKind::None, MaskKind::None}), {3, 3});
    EXPECT_EQ(a.paths(3, 3), 9);
    EXPECT_EQ(a.paths(2, 3), 6);
    EXPECT_EQ(a.paths(2, 2), 4);
    EXPECT_EQ(a.paths(1, 1), 1);
    EXPECT_EQ(a.paths.sum(), 81);  // 9 choices per layer
    EXPECT_EQ(a.cells.size(), 25u);
}

TEST(Paths, ZeroPaddingDropsPathsThatLeaveTheMap) {
    auto a = analyze(make_stack(3, 3, Order::TopDown, {MaskKind::None, MaskKind::None}), {0, 0});
    // From the corner, the last layer reads only 4 in-map cells: 00, 01, 10, 11. Each of
    // those reads 4, 6, 6 and 9 in-map cells in turn.
    EXPECT_EQ(a.paths(0, 0), 4);
    EXPECT_EQ(a.paths.sum(), 4 + 6 + 6 + 9);
}

TEST(Paths, MatchBruteForceOnMixedAndCustomStacks) {
    Mask custom(3, 3);
    // clang-format off
    custom << 1, 0, 1,
              0, 1, 0,
              1, 1, 0;
    // clang-format on
    for (Order order : {Order::TopDown, Order::BottomUp}) {
        for (int k : {1, 3, 5}) {
            Stack s = make_stack(6, k, order, {MaskKind::A, MaskKind::B, MaskKind::None});
            if (k == 3) s.masks.push_back(custom);
            for (Cell pixel : {Cell{0, 0}, Cell{2, 3}, Cell{5, 5}, Cell{4, 1}}) {
                Analysis a = analyze(s, pixel);
                for (int r = 0; r < s.size; ++r)
                    for (int c = 0; c < s.size; ++c)
                        ASSERT_EQ(a.paths(r, c), brute_force_paths(s, {r, c}, pixel))
                            << "k=" << k << " pixel " << pixel.row << "," << pixel.col << " cell "
                            << r << "," << c;
            }
        }
    }
}

TEST(Paths, LayerViewChainsBackToTheInput) {
    Stack s = make_stack(5, 3, Order::TopDown, {MaskKind::A, MaskKind::B, MaskKind::B});
    Analysis a = analyze(s, {2, 2});
    ASSERT_EQ(a.layer_paths.size(), 3u);
    // The last layer's input counts are just the last mask placed on the pixel.
    EXPECT_EQ(show(a.layers[2]), show(seed_cells({22, 23, 24, 32, 33})));
    EXPECT_EQ(a.layer_paths[0], a.paths);
    EXPECT_EQ(show(a.layers[0]), show(a.cells));
}

TEST(Paths, KernelOneIsTheIdentityOrNothing) {
    auto none = analyze(make_stack(4, 1, Order::TopDown, {MaskKind::None}), {1, 2});
    EXPECT_EQ(show(none.cells), show(seed_cells({23})));
    auto masked = analyze(make_stack(4, 1, Order::TopDown, {MaskKind::A}), {1, 2});
    EXPECT_TRUE(masked.cells.empty());
    EXPECT_TRUE(masked.blind_spot.empty());  // a 1×1 kernel reaches nothing earlier
}

TEST(Validation, ErrorsNameTheKeyAndRange) {
    Stack s = make_stack(5, 3, Order::TopDown, {MaskKind::A});
    s.size = 513;
    try {
        validate(s);
        FAIL() << "size 513 accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("receptive_field.size"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("[1, 512]"), std::string::npos);
    }
    s.size = 5;
    s.kernel = 4;
    EXPECT_THROW(validate(s), std::invalid_argument);
    s.kernel = 5;  // masks are still 3×3
    EXPECT_THROW(validate(s), std::invalid_argument);
    s = make_stack(5, 3, Order::TopDown, {});
    EXPECT_THROW(validate(s), std::invalid_argument);
    s = make_stack(5, 3, Order::TopDown, {MaskKind::A});
    EXPECT_THROW(analyze(s, {5, 0}), std::invalid_argument);
    EXPECT_THROW(analyze(s, {-1, 0}), std::invalid_argument);
    s.masks[0](0, 0) = 2;
    EXPECT_THROW(validate(s), std::invalid_argument);
}
