// The receptive-field panel's grid pictures: an n×n map of path counts with the pixel, the
// blind spot, violations and the generation order drawn on a canvas; shared by the field,
// layers and compare views (view_receptive_field.cpp). Drawing only: the counts come from
// the scene (scene_rf.hpp).
//
// Usage:
//   rf_grid::GridPicture g;
//   g.n = 5; g.counts = &analysis->paths; g.pixel = {2, 2}; g.keep_alive = analysis;
//   canvas.draw(size, [g, tex, vmax](Canvas& c) { rf_grid::draw_grid(c, g, tex, vmax); });
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "canvas.hpp"
#include "colormap.hpp"
#include "genlab/receptive_field.hpp"
#include "gl.hpp"

namespace genlab::rf_grid {

using rf::Cell;

inline constexpr ImU32 kPixelBorder = IM_COL32(255, 120, 0, 255);
inline constexpr ImU32 kPixelFill = IM_COL32(255, 190, 120, 255);
inline constexpr ImU32 kBlindFill = IM_COL32(70, 140, 255, 110);
inline constexpr ImU32 kBlindHatch = IM_COL32(40, 90, 200, 160);
inline constexpr ImU32 kViolationFill = IM_COL32(230, 30, 30, 150);
inline constexpr ImU32 kViolationBorder = IM_COL32(210, 0, 0, 255);
inline constexpr ImU32 kLaterFill = IM_COL32(0, 0, 0, 22);
inline constexpr ImU32 kCellLine = IM_COL32(0, 0, 0, 60);
inline constexpr ImU32 kTitle = IM_COL32(30, 30, 40, 255);
inline constexpr ImU32 kDimmed = IM_COL32(255, 255, 255, 170);
inline constexpr Colormap kPathsColormap = Colormap::Viridis;

// One n×n grid drawn at a world offset: cell (r, c) covers x ∈ [ox + c, ox + c + 1] and
// y ∈ [oy + n − 1 − r, oy + n − r], so row 1 is at the top.
struct GridPicture {
    int n = 5;
    rf::Order order = rf::Order::TopDown;
    const rf::Counts* counts = nullptr;  // colour and numbers; null: none
    Cell pixel;
    bool show_pixel = true;
    const std::vector<Cell>* blind_spot = nullptr;
    const std::vector<Cell>* violations = nullptr;
    bool dimmed = false;
    std::string title;
    Vec2 offset;
    // Owns what the pointers above point into: canvas exports replay a picture later.
    std::shared_ptr<const void> keep_alive;
};

// Seed-style names: "34" is row 3, column 4 (1-based). Past 9 the digits would be
// ambiguous, so larger maps use "(r, c)".
std::string cell_name(Cell c, int n);
// Cell names separated by spaces, "none" when empty, cut after `limit`.
std::string cell_list(const std::vector<Cell>& cells, int n, size_t limit = 40);
bool contains(const std::vector<Cell>& cells, Cell c);
// Exact below a million; beyond, "2.7e16" (short enough for a cell or a colorbar).
std::string count_text(double count);

Vec2 cell_min(const GridPicture& g, Cell c);                // the cell's lower-left corner
std::optional<Cell> cell_at(const GridPicture& g, Vec2 w);  // the cell under world point w
// log10(1 + count) per cell, row-major; zero is NaN (transparent).
std::vector<float> heat_values(const rf::Counts& counts);
// The colour scale's top over several count maps (at least log10(2)).
double max_log_count(const std::vector<const rf::Counts*>& all);
// The picture, with `heat` (heat_values shaded over [0, vmax_log]) under the overlays.
void draw_grid(Canvas& canvas, const GridPicture& g, GLuint heat, double vmax_log);

// A 1-D causal stack (WaveNet) as the layered tree of time steps: level 0 is the input (at
// the bottom), level L the output with the selected step. Node (m, t) sits at world
// (t + 0.5, m · kTreeLevel + 0.5); an edge joins each node with paths to the nodes of the
// next level it feeds. Held by value: export replays it after the frame.
inline constexpr double kTreeLevel = 2.0;
inline constexpr double kTreeMargin = 8.0;  // world units left of step 1 for level names
struct TreePicture {
    int n = 16;
    std::vector<rf::Counts> levels;  // L + 1 rows of 1×n counts: layer inputs, then output
    std::vector<int> dilations;      // L
    int taps = 2;
    int step = 0;                              // the selected step t
    std::vector<Cell> blind_spot, violations;  // level 0 ({0, t} cells)
    int dim_below = 0;                         // levels below this are not revealed yet
    std::string title;
};
void draw_tree(Canvas& canvas, const TreePicture& tree, double vmax_log);
std::optional<int> step_at(const TreePicture& tree, Vec2 w);  // the step under w, any level

// Which of the optional marks a view draws: the legend lists only those (it once listed
// "violation" beside a causal field, and "blind spot" beside the gated stack's).
struct LegendMarks {
    bool blind_spot = false, violations = false;
};
LegendMarks marks_of(const std::vector<GridPicture>& grids);
// The legend row below the canvas (ImGui widgets) and the paths colorbar.
void draw_legend(LegendMarks marks);
int legend_rows(float width, LegendMarks marks);  // the rows draw_legend() takes at `width`
std::vector<LegendEntry> export_legend(LegendMarks marks);  // the same items, for exports
ColorbarSpec paths_colorbar(double vmax_log);
// Test mode: each cell's screen rectangle, as "<prefix>.<row>.<col>" (1-based).
void mark_cells(const Canvas& canvas, const GridPicture& g, const std::string& prefix);

}  // namespace genlab::rf_grid
