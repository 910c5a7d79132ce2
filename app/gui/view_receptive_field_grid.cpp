#include "view_receptive_field_grid.hpp"

#include <vector>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui.h>

#include "test_dump.hpp"

namespace genlab::rf_grid {

namespace {

void draw_hatch(Canvas& canvas, Vec2 a, ImU32 color) {
    for (double t : {0.25, 0.5, 0.75}) {
        canvas.line({a.x + t, a.y}, {a.x, a.y + t}, color, 1.0f);
        canvas.line({a.x + 1, a.y + t}, {a.x + t, a.y + 1}, color, 1.0f);
    }
}

// A legend swatch row (ImGui widgets, below the canvas).
void legend_swatch(ImU32 fill, ImU32 border, const char* label) {
    const float s = ImGui::GetFontSize();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p, ImVec2(p.x + s, p.y + s), fill);
    dl->AddRect(p, ImVec2(p.x + s, p.y + s), border, 0, 0, 2.0f);
    ImGui::Dummy(ImVec2(s, s));
    ImGui::SameLine();
    ImGui::TextUnformatted(label);
    ImGui::SameLine(0, s * 1.5f);
}

}  // namespace

// Seed-style names: "34" is row 3, column 4 (1-based). Past 9 the digits would be
// ambiguous, so larger maps use "(r, c)".
std::string cell_name(Cell c, int n) {
    if (n <= 9) return std::to_string(c.row + 1) + std::to_string(c.col + 1);
    return "(" + std::to_string(c.row + 1) + ", " + std::to_string(c.col + 1) + ")";
}

std::string cell_list(const std::vector<Cell>& cells, int n, size_t limit) {
    if (cells.empty()) return "none";
    std::string out;
    for (size_t i = 0; i < cells.size() && i < limit; ++i) {
        out += (i ? " " : "") + cell_name(cells[i], n);
    }
    if (cells.size() > limit) out += " … (+" + std::to_string(cells.size() - limit) + ")";
    return out;
}

bool contains(const std::vector<Cell>& cells, Cell c) {
    return std::find(cells.begin(), cells.end(), c) != cells.end();
}

// Exact below a million; beyond, "2.7e16" (short enough for a cell or a colorbar).
std::string count_text(double count) {
    if (count < 1e6) return std::to_string(static_cast<long long>(count));
    const int exponent = static_cast<int>(std::floor(std::log10(count)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fe%d", count / std::pow(10.0, exponent), exponent);
    return buf;
}

Vec2 cell_min(const GridPicture& g, Cell c) {
    return {g.offset.x + c.col, g.offset.y + g.n - 1 - c.row};
}

std::optional<Cell> cell_at(const GridPicture& g, Vec2 w) {
    const double x = w.x - g.offset.x, y = w.y - g.offset.y;
    if (x < 0 || y < 0 || x >= g.n || y >= g.n) return std::nullopt;
    return Cell{g.n - 1 - static_cast<int>(std::floor(y)), static_cast<int>(std::floor(x))};
}

// log10(1 + count): path counts grow exponentially with depth, so a linear colour scale would
// show only the largest. Zero is NaN, drawn transparent.
std::vector<float> heat_values(const rf::Counts& counts) {
    std::vector<float> v(static_cast<size_t>(counts.size()));
    for (int r = 0; r < counts.rows(); ++r) {
        for (int c = 0; c < counts.cols(); ++c) {
            const double x = counts(r, c);
            v[static_cast<size_t>(r) * counts.cols() + c] =
                x > 0 ? static_cast<float>(std::log10(1 + x)) : NAN;
        }
    }
    return v;
}

double max_log_count(const std::vector<const rf::Counts*>& all) {
    double m = 0;
    for (const rf::Counts* c : all) {
        if (c && c->size()) m = std::max(m, std::log10(1 + c->maxCoeff()));
    }
    return std::max(m, std::log10(2.0));
}

void draw_grid(Canvas& canvas, const GridPicture& g, GLuint heat, double vmax_log) {
    // In UI pixels (not export pixels), so a 2x or 4x export shows what the screen shows.
    const double cell_px = canvas.pixels_per_unit_x() / canvas.px(1.0f);
    const Vec2 lo = g.offset, hi = {g.offset.x + g.n, g.offset.y + g.n};
    canvas.rect(lo, hi, IM_COL32(255, 255, 255, 255));
    // Later cells are shaded: the generation order is visible at a glance.
    for (int r = 0; r < g.n; ++r) {
        for (int c = 0; c < g.n; ++c) {
            const Cell cell{r, c};
            if (cell != g.pixel && !rf::is_earlier(cell, g.pixel, g.order)) {
                const Vec2 a = cell_min(g, cell);
                canvas.rect(a, {a.x + 1, a.y + 1}, kLaterFill);
            }
        }
    }
    if (g.show_pixel) {
        const Vec2 a = cell_min(g, g.pixel);
        canvas.rect(a, {a.x + 1, a.y + 1}, kPixelFill);
    }
    canvas.image(heat, lo, hi);
    if (g.blind_spot) {
        for (const Cell& c : *g.blind_spot) {
            const Vec2 a = cell_min(g, c);
            canvas.rect(a, {a.x + 1, a.y + 1}, kBlindFill);
            draw_hatch(canvas, a, kBlindHatch);
        }
    }
    if (g.violations) {
        for (const Cell& c : *g.violations) {
            const Vec2 a = cell_min(g, c);
            canvas.rect(a, {a.x + 1, a.y + 1}, kViolationFill);
        }
    }
    if (g.n <= 128 && cell_px >= 3) {
        for (int i = 0; i <= g.n; ++i) {
            canvas.line({lo.x + i, lo.y}, {lo.x + i, hi.y}, kCellLine, 1.0f);
            canvas.line({lo.x, lo.y + i}, {hi.x, lo.y + i}, kCellLine, 1.0f);
        }
    }
    const float font = ImGui::GetFontSize();
    if (g.counts && cell_px >= font * 1.1) {
        const float height = static_cast<float>(std::min<double>(font, cell_px * 0.42));
        for (int r = 0; r < g.n; ++r) {
            for (int c = 0; c < g.n; ++c) {
                const double count = (*g.counts)(r, c);
                if (count <= 0) continue;
                const double t = std::log10(1 + count) / vmax_log;
                const Vec2 a = cell_min(g, {r, c});
                canvas.text({a.x + 0.5, a.y + 0.5}, count_text(count),
                            t < 0.62 ? IM_COL32_WHITE : IM_COL32_BLACK, height);
            }
        }
    }
    if (g.n <= 9 && cell_px >= font * 2.6) {  // seed-style names in the corner
        for (int r = 0; r < g.n; ++r) {
            for (int c = 0; c < g.n; ++c) {
                // Light on the dark end of the colormap, where grey could not be read.
                const double count = g.counts ? (*g.counts)(r, c) : 0;
                const bool dark = count > 0 && std::log10(1 + count) / vmax_log < 0.62;
                const Vec2 a = cell_min(g, {r, c});
                canvas.text({a.x + 0.2, a.y + 0.86}, cell_name({r, c}, g.n),
                            dark ? IM_COL32(235, 235, 240, 230) : IM_COL32(90, 90, 100, 200),
                            font * 0.7f);
            }
        }
    }
    if (g.violations) {
        for (const Cell& c : *g.violations) {
            const Vec2 a = cell_min(g, c);
            canvas.rect_outline({a.x + 0.04, a.y + 0.04}, {a.x + 0.96, a.y + 0.96},
                                kViolationBorder, 3.0f);
        }
    }
    if (g.show_pixel) {
        const Vec2 a = cell_min(g, g.pixel);
        canvas.rect_outline({a.x + 0.02, a.y + 0.02}, {a.x + 0.98, a.y + 0.98}, kPixelBorder, 3.5f);
    }
    if (g.dimmed) canvas.rect(lo, hi, kDimmed);
    canvas.rect_outline(lo, hi, IM_COL32(60, 60, 70, 255), 1.5f);
    if (!g.title.empty()) canvas.text({lo.x + g.n / 2.0, hi.y + 0.45}, g.title, kTitle);
}

void draw_tree(Canvas& canvas, const TreePicture& t, double vmax_log) {
    const int L = static_cast<int>(t.dilations.size());
    const double cell_px = canvas.pixels_per_unit_x() / canvas.px(1.0f);
    const auto at = [](int m, int step) { return Vec2{step + 0.5, m * kTreeLevel + 0.5}; };
    // Later steps are shaded, as in the 2-D grid: the output at t predicts x_{t+1}.
    canvas.rect({t.step + 1.0, -0.2}, {static_cast<double>(t.n), L * kTreeLevel + 1.2}, kLaterFill);
    for (int m = 0; m < L; ++m) {  // edges: level m feeds level m + 1
        for (int u = 0; u < t.n; ++u) {
            if (t.levels[m](0, u) <= 0) continue;
            for (int j = 0; j < t.taps; ++j) {
                const int out = u + j * t.dilations[m];
                if (out >= t.n || t.levels[m + 1](0, out) <= 0) continue;
                canvas.line(at(m, u), at(m + 1, out), IM_COL32(60, 90, 140, 200), 1.6f);
            }
        }
    }
    const float radius = static_cast<float>(std::clamp(cell_px * 0.32, 2.0, 11.0));
    const float font = ImGui::GetFontSize();
    for (int m = 0; m <= L; ++m) {
        for (int u = 0; u < t.n; ++u) {
            const double count = t.levels[m](0, u);
            const Vec2 p = at(m, u);
            if (count > 0) {
                const double v = std::log10(1 + count) / vmax_log;
                canvas.point(p, colormap_color(kPathsColormap, v), radius);
                if (cell_px >= font * 1.3)
                    canvas.text({p.x, p.y - 0.75}, count_text(count), kTitle, font * 0.8f);
            } else {
                canvas.point(p, IM_COL32(190, 190, 200, 255), radius * 0.45f);
            }
        }
        const std::string name = m == 0   ? "input"
                                 : m == L ? "output"
                                          : "layer " + std::to_string(m);
        canvas.text({-kTreeMargin / 2, m * kTreeLevel + 0.5}, name, kTitle, font * 0.85f);
        // Between two levels: the dilation of the layer that joins them.
        if (m < L)
            canvas.text({-kTreeMargin / 2, (m + 0.5) * kTreeLevel + 0.5},
                        "d = " + std::to_string(t.dilations[m]), IM_COL32(60, 90, 140, 255),
                        font * 0.8f);
    }
    for (const Cell& c : t.blind_spot) {
        const Vec2 p = at(0, c.col);
        canvas.rect({p.x - 0.45, p.y - 0.45}, {p.x + 0.45, p.y + 0.45}, kBlindFill);
        draw_hatch(canvas, {p.x - 0.5, p.y - 0.5}, kBlindHatch);
    }
    for (const Cell& c : t.violations) {
        const Vec2 p = at(0, c.col);
        canvas.rect_outline({p.x - 0.45, p.y - 0.45}, {p.x + 0.45, p.y + 0.45}, kViolationBorder,
                            3.0f);
    }
    const Vec2 p = at(L, t.step);
    canvas.rect_outline({p.x - 0.48, p.y - 0.48}, {p.x + 0.48, p.y + 0.48}, kPixelBorder, 3.5f);
    if (t.dim_below > 0)
        canvas.rect({-0.2, -0.2}, {t.n + 0.2, (t.dim_below - 0.5) * kTreeLevel + 0.5}, kDimmed);
    if (!t.title.empty()) canvas.text({t.n / 2.0, L * kTreeLevel + 1.9}, t.title, kTitle);
}

std::optional<int> step_at(const TreePicture& t, Vec2 w) {
    const int L = static_cast<int>(t.dilations.size());
    if (w.x < 0 || w.x >= t.n || w.y < -0.5 || w.y > L * kTreeLevel + 1.5) return std::nullopt;
    return static_cast<int>(std::floor(w.x));
}

namespace {

struct LegendItem {
    ImU32 fill, border;
    const char* label;
};

std::vector<LegendItem> legend_items(LegendMarks marks) {
    std::vector<LegendItem> items = {{kPixelFill, kPixelBorder, "pixel"},
                                     {colormap_color(kPathsColormap, 0.6), IM_COL32(0, 0, 0, 80),
                                      "field (colour, number = paths)"}};
    if (marks.blind_spot) items.push_back({kBlindFill, kBlindHatch, "blind spot"});
    if (marks.violations) items.push_back({kViolationFill, kViolationBorder, "violation"});
    items.push_back({IM_COL32(225, 225, 225, 255), IM_COL32(0, 0, 0, 60), "later in the order"});
    return items;
}

// A swatch, its label and the gap after it.
float legend_item_width(const LegendItem& item) {
    const float s = ImGui::GetFontSize();
    return s + ImGui::GetStyle().ItemSpacing.x + ImGui::CalcTextSize(item.label).x + s * 1.5f;
}

}  // namespace

LegendMarks marks_of(const std::vector<GridPicture>& grids) {
    LegendMarks m;
    for (const GridPicture& g : grids) {
        m.blind_spot = m.blind_spot || (g.blind_spot && !g.blind_spot->empty());
        m.violations = m.violations || (g.violations && !g.violations->empty());
    }
    return m;
}

int legend_rows(float width, LegendMarks marks) {
    int rows = 1;
    float x = 0;
    for (const LegendItem& item : legend_items(marks)) {
        const float w = legend_item_width(item);
        if (x > 0 && x + w > width) ++rows, x = 0;
        x += w;
    }
    return rows;
}

void draw_legend(LegendMarks marks) {
    const float width = ImGui::GetContentRegionAvail().x;
    float x = 0;
    for (const LegendItem& item : legend_items(marks)) {
        const float w = legend_item_width(item);
        if (x > 0 && x + w > width) ImGui::NewLine(), x = 0;  // wrap: at 1024 px it was cut
        legend_swatch(item.fill, item.border, item.label);
        x += w;
    }
    ImGui::NewLine();
}

std::vector<LegendEntry> export_legend(LegendMarks marks) {
    std::vector<LegendEntry> out;
    for (const LegendItem& item : legend_items(marks))
        out.emplace_back(item.fill, item.label, LegendEntry::Mark::Patch);
    return out;
}

ColorbarSpec paths_colorbar(double vmax_log) {
    return {kPathsColormap, 0, vmax_log, "paths (log)",
            [](double v) { return count_text(std::round(std::pow(10.0, v) - 1)); }};
}

void mark_cells(const Canvas& canvas, const GridPicture& g, const std::string& prefix) {
    if (!test_dump_enabled() || g.n > 16) return;
    for (int r = 0; r < g.n; ++r) {
        for (int c = 0; c < g.n; ++c) {
            const Vec2 a = cell_min(g, {r, c});
            mark_rect(prefix + "." + std::to_string(r + 1) + "." + std::to_string(c + 1),
                      canvas.to_screen({a.x, a.y + 1}), canvas.to_screen({a.x + 1, a.y}));
        }
    }
}

}  // namespace genlab::rf_grid
