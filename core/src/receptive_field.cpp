// Receptive fields of masked convolution stacks. See genlab/receptive_field.hpp.
#include "genlab/receptive_field.hpp"

#include "check.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace genlab::rf {

using detail::require;

namespace {

// Kernel offset (di, dj) = (i − h, j − h) is "earlier than the centre" exactly when the
// input cell it reads, (r + di, c + dj), is generated before (r, c).
bool offset_is_earlier(int di, int dj, Order order) { return is_earlier({di, dj}, {0, 0}, order); }

// Adds `out` shifted by the kernel offset (di, dj) into `in`: in(r + di, c + dj) += out(r, c),
// keeping only in-bounds cells (zero padding contributes no path).
void scatter_shifted(const Counts& out, int di, int dj, Counts& in) {
    const int n = static_cast<int>(out.rows());
    const int rows = n - std::abs(di);
    const int cols = n - std::abs(dj);
    if (rows <= 0 || cols <= 0) return;
    in.block(std::max(di, 0), std::max(dj, 0), rows, cols) +=
        out.block(std::max(-di, 0), std::max(-dj, 0), rows, cols);
}

}  // namespace

bool is_earlier(Cell a, Cell b, Order order) {
    if (a.row == b.row) return a.col < b.col;
    return order == Order::TopDown ? a.row < b.row : a.row > b.row;
}

Mask make_mask(MaskKind kind, int kernel, Order order) {
    require(kernel >= 1 && kernel % 2 == 1,
            "kernel must be an odd size >= 1 (got " + std::to_string(kernel) + ")");
    require(kind != MaskKind::Custom, "a custom mask is given as a k×k 0/1 matrix, not built");
    const int h = kernel / 2;
    Mask mask(kernel, kernel);
    for (int i = 0; i < kernel; ++i) {
        for (int j = 0; j < kernel; ++j) {
            const bool centre = (i == h && j == h);
            bool keep = true;
            if (kind == MaskKind::A) keep = offset_is_earlier(i - h, j - h, order);
            if (kind == MaskKind::B) keep = centre || offset_is_earlier(i - h, j - h, order);
            mask(i, j) = keep ? 1 : 0;
        }
    }
    return mask;
}

MaskKind classify_mask(const Mask& mask, Order order) {
    if (mask.rows() != mask.cols() || mask.rows() % 2 == 0) return MaskKind::Custom;
    const int k = static_cast<int>(mask.rows());
    for (MaskKind kind : {MaskKind::A, MaskKind::B, MaskKind::None}) {
        if (mask == make_mask(kind, k, order)) return kind;
    }
    return MaskKind::Custom;
}

const char* to_string(Order order) { return order == Order::TopDown ? "top-down" : "bottom-up"; }

const char* to_string(MaskKind kind) {
    switch (kind) {
        case MaskKind::A:
            return "A";
        case MaskKind::B:
            return "B";
        case MaskKind::None:
            return "none";
        case MaskKind::Custom:
            return "custom";
    }
    return "custom";
}

void validate(const Stack& s) {
    require(s.size >= 1 && s.size <= kMaxSize, "receptive_field.size must be an integer in [1, " +
                                                   std::to_string(kMaxSize) + "] (got " +
                                                   std::to_string(s.size) + ")");
    require(s.kernel >= 1 && s.kernel <= kMaxKernel && s.kernel % 2 == 1,
            "receptive_field.kernel must be one of 1, 3, 5, 7, 9 (got " + std::to_string(s.kernel) +
                ")");
    require(!s.masks.empty() && static_cast<int>(s.masks.size()) <= kMaxLayers,
            "receptive_field.masks must list 1 to " + std::to_string(kMaxLayers) + " layers (got " +
                std::to_string(s.masks.size()) + ")");
    for (size_t l = 0; l < s.masks.size(); ++l) {
        const Mask& m = s.masks[l];
        require(m.rows() == s.kernel && m.cols() == s.kernel,
                "receptive_field.masks[" + std::to_string(l) + "] must be " +
                    std::to_string(s.kernel) + "x" + std::to_string(s.kernel) +
                    " to match the kernel size");
        require((m.array() <= 1).all(),
                "receptive_field.masks[" + std::to_string(l) + "] entries must be 0 or 1");
    }
}

void validate_pixel(const Stack& s, Cell p) {
    require(
        p.row >= 0 && p.row < s.size && p.col >= 0 && p.col < s.size,
        "receptive_field.pixel must be [row, col] with 1 <= row, col <= " + std::to_string(s.size) +
            " (got [" + std::to_string(p.row + 1) + ", " + std::to_string(p.col + 1) + "])");
}

std::vector<Cell> nonzero_cells(const Counts& counts) {
    std::vector<Cell> cells;
    for (int r = 0; r < counts.rows(); ++r) {
        for (int c = 0; c < counts.cols(); ++c) {
            if (counts(r, c) > 0) cells.push_back({r, c});
        }
    }
    return cells;
}

Analysis analyze(const Stack& s, Cell pixel) {
    validate(s);
    validate_pixel(s, pixel);
    const int n = s.size;
    const int h = s.kernel / 2;
    const int layers = static_cast<int>(s.masks.size());

    Analysis a;
    a.pixel = pixel;
    a.layer_paths.resize(layers);

    // Walk from the output back to the input: the counts at layer l's input are the counts
    // at its output scattered through every kept kernel offset.
    Counts out = Counts::Zero(n, n);
    out(pixel.row, pixel.col) = 1.0;
    for (int l = layers - 1; l >= 0; --l) {
        Counts in = Counts::Zero(n, n);
        for (int i = 0; i < s.kernel; ++i) {
            for (int j = 0; j < s.kernel; ++j) {
                if (s.masks[l](i, j)) scatter_shifted(out, i - h, j - h, in);
            }
        }
        a.layer_paths[l] = in;
        out = std::move(in);
    }
    a.paths = a.layer_paths[0];

    a.layers.reserve(layers);
    for (const Counts& c : a.layer_paths) a.layers.push_back(nonzero_cells(c));
    a.cells = a.layers[0];

    // Without masks, L layers of a k×k kernel reach a (2·L·h + 1)² square, clipped.
    const int reach = layers * h;
    for (int r = std::max(0, pixel.row - reach); r <= std::min(n - 1, pixel.row + reach); ++r) {
        for (int c = std::max(0, pixel.col - reach); c <= std::min(n - 1, pixel.col + reach); ++c) {
            a.unmasked_reach.push_back({r, c});
            const bool in_field = a.paths(r, c) > 0;
            const bool earlier = is_earlier({r, c}, pixel, s.order);
            if (earlier && !in_field) a.blind_spot.push_back({r, c});
            if (!earlier && in_field) a.violations.push_back({r, c});
        }
    }
    return a;
}

}  // namespace genlab::rf
