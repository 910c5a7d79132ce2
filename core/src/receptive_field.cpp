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

// A box of rows [r0, r1] and columns [c0, c1] (inclusive).
struct Box {
    int r0, r1, c0, c1;
    int rows() const { return r1 - r0 + 1; }
    int cols() const { return c1 - c0 + 1; }
};

// The rows and columns of in-box cells a layer's kept offsets read: out(r, c) feeds
// in(r + di, c + dj), so the input box is the output box widened by the offsets' range,
// clipped to the map.
Box input_box(const Box& out, const Mask& mask, int n) {
    const int h = static_cast<int>(mask.rows()) / 2;
    int di_lo = h, di_hi = -h, dj_lo = h, dj_hi = -h;
    for (int i = 0; i < mask.rows(); ++i)
        for (int j = 0; j < mask.cols(); ++j)
            if (mask(i, j)) {
                di_lo = std::min(di_lo, i - h), di_hi = std::max(di_hi, i - h);
                dj_lo = std::min(dj_lo, j - h), dj_hi = std::max(dj_hi, j - h);
            }
    if (di_lo > di_hi) return out;  // an empty mask: nothing reaches, keep the box
    return {std::max(0, out.r0 + di_lo), std::min(n - 1, out.r1 + di_hi),
            std::max(0, out.c0 + dj_lo), std::min(n - 1, out.c1 + dj_hi)};
}

// in(r + di, c + dj) += out(r, c) for every kept offset, on the boxes only: `out` holds the
// cells of box ob, `in` those of ib. Cells pushed off the map (zero padding) carry no path.
void scatter_layer(const Counts& out, const Box& ob, const Mask& mask, const Box& ib, Counts& in) {
    const int h = static_cast<int>(mask.rows()) / 2;
    for (int i = 0; i < mask.rows(); ++i) {
        for (int j = 0; j < mask.cols(); ++j) {
            if (!mask(i, j)) continue;
            const int di = i - h, dj = j - h;
            // Target rows r + di for r in [ob.r0, ob.r1], kept inside ib.
            const int tr0 = std::max(ob.r0 + di, ib.r0), tr1 = std::min(ob.r1 + di, ib.r1);
            const int tc0 = std::max(ob.c0 + dj, ib.c0), tc1 = std::min(ob.c1 + dj, ib.c1);
            if (tr0 > tr1 || tc0 > tc1) continue;
            in.block(tr0 - ib.r0, tc0 - ib.c0, tr1 - tr0 + 1, tc1 - tc0 + 1) +=
                out.block(tr0 - di - ob.r0, tc0 - dj - ob.c0, tr1 - tr0 + 1, tc1 - tc0 + 1);
        }
    }
}

// The cells of `box` where counts > 0 (counts holds the box), row-major in map coordinates.
std::vector<Cell> nonzero_in_box(const Counts& counts, const Box& box) {
    std::vector<Cell> cells;
    for (int r = 0; r < box.rows(); ++r)
        for (int c = 0; c < box.cols(); ++c)
            if (counts(r, c) > 0) cells.push_back({box.r0 + r, box.c0 + c});
    return cells;
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
    // at its output scattered through every kept kernel offset. Only the box that can reach
    // the pixel is computed; the rest of each n×n output is zero.
    Box ob{pixel.row, pixel.row, pixel.col, pixel.col};
    Counts out = Counts::Ones(1, 1);
    a.layers.resize(layers);
    for (int l = layers - 1; l >= 0; --l) {
        const Box ib = input_box(ob, s.masks[l], n);
        Counts in = Counts::Zero(ib.rows(), ib.cols());
        scatter_layer(out, ob, s.masks[l], ib, in);
        a.layer_paths[l] = Counts::Zero(n, n);
        a.layer_paths[l].block(ib.r0, ib.c0, ib.rows(), ib.cols()) = in;
        a.layers[l] = nonzero_in_box(in, ib);
        out = std::move(in);
        ob = ib;
    }
    a.paths = a.layer_paths[0];
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
