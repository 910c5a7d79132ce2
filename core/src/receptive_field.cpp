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

// out(r, c) reads in(r + di, c + dj): one tap of a layer, after masking and dilation.
struct Offset {
    int di, dj;
};
using Offsets = std::vector<Offset>;

// The kept cells of a k×k mask, their offsets spaced d apart.
Offsets mask_offsets(const Mask& mask, int d) {
    const int h = static_cast<int>(mask.rows()) / 2;
    Offsets out;
    for (int i = 0; i < mask.rows(); ++i)
        for (int j = 0; j < mask.cols(); ++j)
            if (mask(i, j)) out.push_back({(i - h) * d, (j - h) * d});
    return out;
}

// A causal 1-D layer: t reads t − j·d for j ∈ [0, taps).
Offsets causal_offsets(int taps, int d) {
    Offsets out;
    for (int j = 0; j < taps; ++j) out.push_back({0, -j * d});
    return out;
}

// Gated PixelCNN, top-down (see the header): the vertical kernel covers the ⌈k/2⌉ rows up
// to its own, all k columns; the first layer reads one row further up (the shift down).
Offsets gated_vertical(int h, bool first) {
    Offsets out;
    const int shift = first ? 1 : 0;
    for (int a = -h; a <= 0; ++a)
        for (int b = -h; b <= h; ++b) out.push_back({a - shift, b});
    return out;
}

// The horizontal kernel: the ⌈k/2⌉ cells up to (mask B) or before (mask A, layer 1) (r, c).
Offsets gated_horizontal(int h, bool first) {
    Offsets out;
    for (int b = -h; b <= (first ? -1 : 0); ++b) out.push_back({0, b});
    return out;
}

// The input box: the output box widened by the offsets' range, clipped to the map.
Box input_box(const Box& out, const Offsets& offsets, int rows, int cols) {
    if (offsets.empty()) return out;  // an empty mask: nothing reaches, keep the box
    int di_lo = offsets[0].di, di_hi = di_lo, dj_lo = offsets[0].dj, dj_hi = dj_lo;
    for (const Offset& o : offsets) {
        di_lo = std::min(di_lo, o.di), di_hi = std::max(di_hi, o.di);
        dj_lo = std::min(dj_lo, o.dj), dj_hi = std::max(dj_hi, o.dj);
    }
    Box b{std::max(0, out.r0 + di_lo), std::min(rows - 1, out.r1 + di_hi),
          std::max(0, out.c0 + dj_lo), std::min(cols - 1, out.c1 + dj_hi)};
    // Taps that all leave the map (a dilation past the edge) reach nothing: keep a valid box.
    if (b.r0 > b.r1 || b.c0 > b.c1) return out;
    return b;
}

// in(r + di, c + dj) += out(r, c) for every offset, on the boxes only: `out` holds the cells
// of box ob, `in` those of ib. Cells pushed off the map (zero padding) carry no path.
void scatter_layer(const Counts& out, const Box& ob, const Offsets& offsets, const Box& ib,
                   Counts& in) {
    for (const Offset& o : offsets) {
        const int di = o.di, dj = o.dj;
        // Target rows r + di for r in [ob.r0, ob.r1], kept inside ib.
        const int tr0 = std::max(ob.r0 + di, ib.r0), tr1 = std::min(ob.r1 + di, ib.r1);
        const int tc0 = std::max(ob.c0 + dj, ib.c0), tc1 = std::min(ob.c1 + dj, ib.c1);
        if (tr0 > tr1 || tc0 > tc1) continue;
        in.block(tr0 - ib.r0, tc0 - ib.c0, tr1 - tr0 + 1, tc1 - tc0 + 1) +=
            out.block(tr0 - di - ob.r0, tc0 - dj - ob.c0, tr1 - tr0 + 1, tc1 - tc0 + 1);
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

// Backward propagation through a chain of single-stack layers (Plain, Causal), walking from
// the output back to the input: the counts at layer l's input are the counts at its output
// scattered through every offset. Only the box that can reach the pixel is computed; the
// rest of each rows×cols output is zero. Fills layer_paths[l] and layers[l].
void propagate_chain(const std::vector<Offsets>& layer_offsets, int rows, int cols, Cell pixel,
                     std::vector<Counts>& layer_paths, std::vector<std::vector<Cell>>& layers) {
    const int count = static_cast<int>(layer_offsets.size());
    layer_paths.assign(count, Counts());
    layers.assign(count, {});
    Box ob{pixel.row, pixel.row, pixel.col, pixel.col};
    Counts out = Counts::Ones(1, 1);
    for (int l = count - 1; l >= 0; --l) {
        const Box ib = input_box(ob, layer_offsets[l], rows, cols);
        Counts in = Counts::Zero(ib.rows(), ib.cols());
        scatter_layer(out, ob, layer_offsets[l], ib, in);
        layer_paths[l] = Counts::Zero(rows, cols);
        layer_paths[l].block(ib.r0, ib.c0, ib.rows(), ib.cols()) = in;
        layers[l] = nonzero_in_box(in, ib);
        out = std::move(in);
        ob = ib;
    }
}

// The whole-map scatter the gated stack uses: its two stacks meet at every layer.
Counts scatter_full(const Counts& out, const Offsets& offsets) {
    const Box all{0, static_cast<int>(out.rows()) - 1, 0, static_cast<int>(out.cols()) - 1};
    Counts in = Counts::Zero(out.rows(), out.cols());
    scatter_layer(out, all, offsets, all, in);
    return in;
}

// Gated PixelCNN (header): top-down; the caller mirrors rows for bottom-up. gH[m], gV[m]
// are the paths from H_m, V_m to the output H_L.
void analyze_gated(const Stack& s, Cell pixel, Analysis& a) {
    const int n = s.size, L = static_cast<int>(s.masks.size()), h = s.kernel / 2;
    Counts gH = Counts::Zero(n, n);
    gH(pixel.row, pixel.col) = 1;
    Counts gV = gH;  // the link at layer L: H_L(r, c) += V_L(r, c)
    a.vertical_paths.assign(L, Counts());
    a.horizontal_paths.assign(L, Counts());
    for (int m = L - 1; m >= 0; --m) {
        const bool first = m == 0;
        Counts nextH = scatter_full(gH, gated_horizontal(h, first));
        Counts nextV = scatter_full(gV, gated_vertical(h, first));
        if (!first) nextV += nextH;  // the link at layer m (V_0 = H_0 = x has none)
        a.horizontal_paths[m] = nextH;
        a.vertical_paths[m] = nextV;
        gH = std::move(nextH);
        gV = std::move(nextV);
    }
    a.layer_paths.resize(L);
    a.layers.resize(L);
    for (int m = 0; m < L; ++m) {
        a.layer_paths[m] = a.vertical_paths[m] + a.horizontal_paths[m];
        a.layers[m] = nonzero_cells(a.layer_paths[m]);
    }
}

// Each layer's offsets for a single-stack architecture; `full` replaces masks by the whole
// kernel (the unmasked reach).
std::vector<Offsets> chain_offsets(const Stack& s, bool full) {
    std::vector<Offsets> out;
    const Mask all = Mask::Ones(s.kernel, s.kernel);
    for (int l = 0; l < static_cast<int>(s.masks.size()); ++l) {
        const int d = dilation(s, l);
        out.push_back(s.architecture == Architecture::Causal
                          ? causal_offsets(s.taps, d)
                          : mask_offsets(full ? all : s.masks[l], d));
    }
    return out;
}

Counts mirror_rows(const Counts& c) { return c.colwise().reverse(); }

}  // namespace

int dilation(const Stack& s, int layer) {
    return s.dilations.empty() ? 1 : s.dilations.at(static_cast<size_t>(layer));
}

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

const char* to_string(Architecture a) {
    switch (a) {
        case Architecture::Plain:
            return "plain";
        case Architecture::Gated:
            return "gated";
        case Architecture::Causal:
            return "causal1d";
    }
    return "plain";
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
    require(s.dilations.empty() || s.dilations.size() == s.masks.size(),
            "receptive_field.dilations must list one dilation per layer (" +
                std::to_string(s.masks.size()) + "), got " + std::to_string(s.dilations.size()));
    for (size_t l = 0; l < s.dilations.size(); ++l) {
        require(s.dilations[l] >= 1 && s.dilations[l] <= kMaxDilation,
                "receptive_field.dilations[" + std::to_string(l) + "] must be an integer in [1, " +
                    std::to_string(kMaxDilation) + "] (got " + std::to_string(s.dilations[l]) +
                    ")");
    }
    require(s.architecture != Architecture::Causal || (s.taps >= 1 && s.taps <= kMaxKernel),
            "receptive_field.taps must be an integer in [1, " + std::to_string(kMaxKernel) +
                "] (got " + std::to_string(s.taps) + ")");
}

void validate_pixel(const Stack& s, Cell p) {
    if (s.architecture == Architecture::Causal) {
        require(p.row == 0 && p.col >= 0 && p.col < s.size,
                "receptive_field.pixel of a causal1d sequence is the step t: [1, t] with 1 <= t "
                "<= " +
                    std::to_string(s.size) + " (got [" + std::to_string(p.row + 1) + ", " +
                    std::to_string(p.col + 1) + "])");
        return;
    }
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
    const int layers = static_cast<int>(s.masks.size());
    const bool causal = s.architecture == Architecture::Causal;
    const int rows = causal ? 1 : n;

    Analysis a;
    a.architecture = s.architecture;
    a.pixel = pixel;
    if (s.architecture == Architecture::Gated) {
        // Top-down internally: bottom-up mirrors the rows in and out.
        const bool mirror = s.order == Order::BottomUp;
        analyze_gated(s, mirror ? Cell{n - 1 - pixel.row, pixel.col} : pixel, a);
        if (mirror) {
            for (int m = 0; m < layers; ++m) {
                a.vertical_paths[m] = mirror_rows(a.vertical_paths[m]);
                a.horizontal_paths[m] = mirror_rows(a.horizontal_paths[m]);
                a.layer_paths[m] = mirror_rows(a.layer_paths[m]);
                a.layers[m] = nonzero_cells(a.layer_paths[m]);
            }
        }
    } else {
        propagate_chain(chain_offsets(s, false), rows, n, pixel, a.layer_paths, a.layers);
    }
    a.paths = a.layer_paths[0];
    a.cells = a.layers[0];

    // The cells the blind spot is judged within (header).
    if (causal) {
        int span = 0;
        for (int l = 0; l < layers; ++l) span += dilation(s, l) * (s.taps - 1);
        for (int t = std::max(0, pixel.col - span); t <= pixel.col; ++t)
            a.unmasked_reach.push_back({0, t});
    } else if (s.architecture == Architecture::Gated) {
        const int reach = layers * (s.kernel / 2);
        for (int r = std::max(0, pixel.row - reach); r <= std::min(n - 1, pixel.row + reach); ++r)
            for (int c = std::max(0, pixel.col - reach); c <= std::min(n - 1, pixel.col + reach);
                 ++c)
                a.unmasked_reach.push_back({r, c});
    } else {
        std::vector<Counts> full_paths;
        std::vector<std::vector<Cell>> full_layers;
        propagate_chain(chain_offsets(s, true), rows, n, pixel, full_paths, full_layers);
        a.unmasked_reach = full_layers[0];
    }
    // Causal: the output at t predicts x_{t+1}, so t itself is allowed (header).
    auto allowed = [&](Cell c) {
        return causal ? c.col <= pixel.col : is_earlier(c, pixel, s.order);
    };
    for (const Cell& c : a.unmasked_reach)
        if (allowed(c) && a.paths(c.row, c.col) <= 0) a.blind_spot.push_back(c);
    for (const Cell& c : a.cells)
        if (!allowed(c)) a.violations.push_back(c);
    return a;
}

std::vector<GrowthPoint> growth(const Stack& s, Cell pixel) {
    validate(s);
    std::vector<GrowthPoint> out;
    for (int l = 1; l <= static_cast<int>(s.masks.size()); ++l) {
        Stack cut = s;
        cut.masks.resize(l);
        if (!cut.dilations.empty()) cut.dilations.resize(l);
        const Analysis a = analyze(cut, pixel);
        GrowthPoint g;
        g.depth = l;
        g.cells = static_cast<int>(a.cells.size());
        if (!a.cells.empty()) {
            int r0 = a.cells[0].row, r1 = r0, c0 = a.cells[0].col, c1 = c0;
            for (const Cell& c : a.cells) {
                r0 = std::min(r0, c.row), r1 = std::max(r1, c.row);
                c0 = std::min(c0, c.col), c1 = std::max(c1, c.col);
            }
            g.span = std::max(r1 - r0 + 1, c1 - c0 + 1);
        }
        out.push_back(g);
    }
    return out;
}

}  // namespace genlab::rf
