// genlab/receptive_field.hpp: receptive fields of stacks of masked convolutions (PixelCNN).
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
};

// The core's limits. analyze() only works on the box the pixel can reach, so its cost grows
// with layers and kernel, not with n (beyond an O(L·n²) fill of the full-size outputs). The
// app uses smaller limits of its own (kRfMaxSize, kRfMaxLayers in app/model/rf_model.hpp),
// set by what a canvas and a layer list can show.
constexpr int kMaxSize = 512;
constexpr int kMaxKernel = 9;
constexpr int kMaxLayers = 64;

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

const char* to_string(Order order);    // "top-down" | "bottom-up"
const char* to_string(MaskKind kind);  // "A" | "B" | "none" | "custom"

// Throws std::invalid_argument naming the bad field and the allowed range.
void validate(const Stack& stack);
void validate_pixel(const Stack& stack, Cell pixel);

//-----------------------------------------------------------------------------
// [SECTION] Analysis
//-----------------------------------------------------------------------------

struct Analysis {
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
    // Cells reachable by the same stack with every mask replaced by the full kernel.
    std::vector<Cell> unmasked_reach;
};

// Validates, then propagates path counts backward from the pixel, one layer at a time, over
// the bounding box of the cells that can reach it (it grows by the kept kernel offsets per
// layer). Cost: O(Σ_l box_l · kept cells) + O(L · n²) to fill the full-size outputs.
Analysis analyze(const Stack& stack, Cell pixel);

// The cells where counts > 0, row-major.
std::vector<Cell> nonzero_cells(const Counts& counts);

}  // namespace genlab::rf
