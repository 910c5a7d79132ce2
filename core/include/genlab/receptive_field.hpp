// genlab/receptive_field.hpp: receptive fields of stacks of masked convolutions (PixelCNN),
// of gated PixelCNN stacks (vertical + horizontal), of dilated stacks and of 1-D causal
// convolutions (WaveNet).
//
// Usage:
//   genlab::rf::Stack stack;
//   stack.size = 5; stack.kernel = 3; stack.order = genlab::rf::Order::BottomUp;
//   stack.masks = {genlab::rf::make_mask(genlab::rf::MaskKind::A, 3, stack.order),
//                  genlab::rf::make_mask(genlab::rf::MaskKind::B, 3, stack.order)};
//   genlab::rf::Analysis a = genlab::rf::analyze(stack, {2, 3});   // pixel "34", 0-based
//   // a.cells: the receptive field; a.paths(r, c): paths from input (r, c) to the pixel.
//
// Conventions
//   - Convolutions are cross-correlations (no kernel flipping) with zero padding k/2, so an
//     n×n map stays n×n: out(r, c) = Σ_ij K(i, j) · in(r + i − k/2, c + j − k/2).
//   - Mask row 0 is the top row of the kernel; cells are 0-based here (the app shows them
//     1-based, as in the seed questions: "34" is row 3, column 4).
//   - masks[0] is the layer applied to the input.
//   - Dilation d (per layer, Plain and Causal) spaces a kernel's taps d cells apart: offset
//     (i − h, j − h) reads (r + d·(i − h), c + d·(j − h)); d = 1 is the plain convolution.
//
// Architectures (Stack::architecture); the depth L is masks.size() for all three
//   Plain   the masks as given, each dilated by its layer's dilation.
//   Gated   van den Oord et al. 2016 (Conditional PixelCNN), masks and dilations unused.
//           Stated for top-down order; bottom-up is the same with rows mirrored. h = k/2.
//           V_0 = H_0 = the input x. For layer l = 1..L:
//             V_l(r, c) = Σ V_{l−1}(r + a, c + b), a ∈ [−h, 0], b ∈ [−h, h]
//                         (a ⌈k/2⌉-row × k-column kernel: the paper's n×⌈n/2⌉, width first)
//             except V_1 reads x one row further up (a ∈ [−h−1, −1]): the vertical stack is
//             shifted down once, so V_l at row r sees only rows < r, and later layers may
//             read their own row (which already holds only rows above).
//             H_l(r, c) = Σ H_{l−1}(r, c + b) + V_l(r, c),  b ∈ [−h, −1] for l = 1 (mask A),
//                         b ∈ [−h, 0] after (a 1×⌈k/2⌉ kernel); the + V_l(r, c) is the
//                         vertical → horizontal link (a 1×1), carrying the rows above.
//           The output is H_L. No residual connections: they would add paths through cells
//           already counted, not new cells. Paths count every distinct path from an input
//           cell through either stack: paths = (paths into H_0) + (paths into V_0).
//   Causal  1-D causal convolutions (WaveNet) on a sequence of `size` steps: a 1×size map,
//           pixel.row = 0, pixel.col the step t. Layer l reads in(t − j·d_l), j ∈ [0, taps),
//           so the field of step t is within [t − Σ d_l·(taps − 1), t]. The output at t
//           predicts x_{t+1} (WaveNet's shift), so step t itself is allowed: a violation is
//           a step after t; the blind spot is the steps of [t − Σ d_l·(taps − 1), t] that no
//           path reaches (holes left by a bad choice of dilations).
//
// [SECTION] Types
// [SECTION] Masks and generation order
// [SECTION] Analysis
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace genlab::rf {

//-----------------------------------------------------------------------------
// [SECTION] Types
//-----------------------------------------------------------------------------

// The order pixels are generated in.
//   TopDown:  rows from the top, left to right (standard PixelCNN; seed 003 Q2).
//   BottomUp: rows from the bottom, left to right (seed 000 Q1 as printed).
enum class Order { TopDown, BottomUp };

enum class MaskKind { A, B, None, Custom };

enum class Architecture { Plain, Gated, Causal };

using Mask = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic>;  // k×k of 0/1
// Path counts are exact integers up to 2^53; beyond that (very deep stacks of wide
// kernels) they are rounded, never wrapped.
using Counts = Eigen::MatrixXd;

struct Cell {
    int row = 0;
    int col = 0;
    bool operator==(const Cell& o) const { return row == o.row && col == o.col; }
    bool operator!=(const Cell& o) const { return !(*this == o); }
};

struct Stack {
    int size = 5;    // n: the map is n×n, 1 ≤ n ≤ kMaxSize
    int kernel = 3;  // k: odd, 1 ≤ k ≤ kMaxKernel
    Order order = Order::TopDown;
    std::vector<Mask> masks;  // input first; 1 ≤ count ≤ kMaxLayers, each k×k
    Architecture architecture = Architecture::Plain;
    // One per layer (masks.size()), each in [1, kMaxDilation]; empty means all 1. Plain and
    // Causal read them; Gated ignores them (its kernels are undilated).
    std::vector<int> dilations;
    int taps = 2;  // Causal only: the kernel length, 1 ≤ taps ≤ kMaxKernel
};

// The core's limits. analyze() only works on the box the pixel can reach, so its cost grows
// with layers and kernel, not with n (beyond an O(L·n²) fill of the full-size outputs). The
// app uses smaller limits of its own (kRfMaxSize, kRfMaxLayers in app/model/rf_model.hpp),
// set by what a canvas and a layer list can show.
constexpr int kMaxSize = 512;
constexpr int kMaxKernel = 9;
constexpr int kMaxLayers = 64;
constexpr int kMaxDilation = 256;

//-----------------------------------------------------------------------------
// [SECTION] Masks and generation order
//-----------------------------------------------------------------------------

// The k×k mask of a kind in an order. A keeps the kernel cells strictly earlier than the
// centre; B also keeps the centre; None keeps all. Custom is not constructible here.
Mask make_mask(MaskKind kind, int kernel, Order order);

// Which kind a mask equals for this order, or Custom when it matches none.
MaskKind classify_mask(const Mask& mask, Order order);

// True when cell a is generated before cell b.
bool is_earlier(Cell a, Cell b, Order order);

const char* to_string(Order order);     // "top-down" | "bottom-up"
const char* to_string(MaskKind kind);   // "A" | "B" | "none" | "custom"
const char* to_string(Architecture a);  // "plain" | "gated" | "causal1d"

// The dilation of layer l (1 when the list is empty).
int dilation(const Stack& stack, int layer);

// Throws std::invalid_argument naming the bad field and the allowed range.
void validate(const Stack& stack);
void validate_pixel(const Stack& stack, Cell pixel);

//-----------------------------------------------------------------------------
// [SECTION] Analysis
//-----------------------------------------------------------------------------

struct Analysis {
    Architecture architecture = Architecture::Plain;
    Cell pixel;
    // paths(r, c): distinct paths from input cell (r, c) to the pixel through every layer.
    Counts paths;
    // layer_paths[l](r, c): paths from cell (r, c) of layer l's input to the pixel, through
    // layers l..L−1. layer_paths[0] == paths; layer_paths[L−1] is the last mask, placed.
    std::vector<Counts> layer_paths;
    std::vector<Cell> cells;       // receptive field: paths > 0, row-major
    std::vector<Cell> blind_spot;  // earlier, reachable without masks, but not in the field
    std::vector<Cell> violations;  // in the field but not earlier (the pixel itself or later)
    std::vector<std::vector<Cell>> layers;  // layers[l]: cells of layer l's input that feed it
    // Gated only (empty otherwise): layer_paths split by stack, for layer l's input:
    // vertical_paths[l] into V_l, horizontal_paths[l] into H_l; layer_paths is their sum.
    std::vector<Counts> vertical_paths, horizontal_paths;
    // The cells the blind spot is judged within. Plain: reachable by the same (dilated)
    // stack with every mask replaced by the full kernel. Gated: those of a plain stack of
    // the same depth and kernel without masks, the (2·L·h + 1)² square. Causal: the span
    // [t − Σ d_l·(taps − 1), t].
    std::vector<Cell> unmasked_reach;
};

// Validates, then propagates path counts backward from the pixel, one layer at a time, over
// the bounding box of the cells that can reach it (it grows by the kept kernel offsets per
// layer). Cost: O(Σ_l box_l · kept cells) + O(L · n²) to fill the full-size outputs. The
// gated stack works on the whole map: O(L · n² · k) block additions.
Analysis analyze(const Stack& stack, Cell pixel);

// The cells where counts > 0, row-major.
std::vector<Cell> nonzero_cells(const Counts& counts);

// Receptive-field size against depth: entry l − 1 describes the stack cut after its first
// l layers (the same architecture, pixel and map). Cost: L analyses.
struct GrowthPoint {
    int depth = 0;
    int cells = 0;  // field size (cells, or steps for Causal)
    int span = 0;   // the field's bounding box: max(rows, columns) spanned
};
std::vector<GrowthPoint> growth(const Stack& stack, Cell pixel);

}  // namespace genlab::rf
