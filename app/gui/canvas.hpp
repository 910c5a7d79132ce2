// Canvas: a 2-D plot area with world coordinates (y up), pan/zoom, axes, and primitives.
// Every panel draws through it, and it can re-draw itself offscreen for print-size PNGs.
//
// Usage:
//   Canvas canvas("rf.grid");                        // id: widget id and test-dump name
//   canvas.set_home({0, 0, 5, 5}, /*equal_aspect=*/true);
//   canvas.draw(ImVec2(600, 600), [&](Canvas& c) {   // content: canvas primitives only
//       c.rect({0, 0}, {1, 1}, IM_COL32(255, 0, 0, 255));
//       c.text({0.5, 0.5}, "34", IM_COL32_WHITE);
//   });
//   if (auto w = canvas.clicked_world()) select(*w);  // a left click (not a drag)
//   canvas.set_title("Receptive field of (5, 5)");   // exports print it above the plot
//   canvas.set_legend({{kRed, "in the field", LegendEntry::Mark::Patch}});  // ...this below
//   canvas.export_png("grid.png", 2);                // the same content at 2× resolution
//   Canvas::export_figure_png({&a, &b}, "fig.png", 2, false, "GenLab: ...");  // whole panel
//
// Mouse: right or middle drag pans, the wheel zooms about the cursor, a double-click resets.
//
// [SECTION] Types
// [SECTION] Canvas
#pragma once

#include <imgui.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "colormap.hpp"
#include "format.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] Types
//-----------------------------------------------------------------------------

struct Vec2 {
    double x = 0, y = 0;
};

struct WorldRect {
    double x0 = 0, y0 = 0, x1 = 1, y1 = 1;
    double width() const { return x1 - x0; }
    double height() const { return y1 - y0; }
};

struct AxisSpec {
    AxisSpec(std::string label_ = "", std::function<std::string(double)> format_ = {},
             double min_step_ = 0, double tick_offset_ = 0)
        : label(std::move(label_)),
          format(std::move(format_)),
          min_step(min_step_),
          tick_offset(tick_offset_) {}
    std::string label;
    // Tick text for a world value; by default the shortest round-trip of the number.
    std::function<std::string(double)> format;
    double min_step = 0;     // e.g. 1 for integer-only ticks
    double tick_offset = 0;  // ticks sit at offset + k·step (0.5 puts them on cell centres)
};

struct ColorbarSpec {
    ColorbarSpec(Colormap map_, double vmin_, double vmax_, std::string label_,
                 std::function<std::string(double)> format_ = {})
        : map(map_),
          vmin(vmin_),
          vmax(vmax_),
          label(std::move(label_)),
          format(std::move(format_)) {}
    Colormap map = Colormap::Viridis;
    double vmin = 0, vmax = 1;
    std::string label;
    std::function<std::string(double)> format;  // tick text for a value

    std::string tick_text(double v) const;
};

// One line of an export's legend: a swatch drawn as the mark it explains, and its label.
struct LegendEntry {
    enum class Mark { Line, Dashed, Dot, Patch };
    LegendEntry(ImU32 color_, std::string label_, Mark mark_ = Mark::Line)
        : color(color_), label(std::move(label_)), mark(mark_) {}
    ImU32 color;
    std::string label;
    Mark mark;
};

//-----------------------------------------------------------------------------
// [SECTION] Canvas
//-----------------------------------------------------------------------------

class Canvas {
  public:
    using Content = std::function<void(Canvas&)>;

    explicit Canvas(std::string id) : id_(std::move(id)) {}

    // The view a double-click returns to. A changed home resets the view.
    void set_home(WorldRect home, bool equal_aspect);
    void set_axes(AxisSpec x, AxisSpec y, bool show = true);
    void set_colorbar(std::optional<ColorbarSpec> bar) { colorbar_ = std::move(bar); }
    // What an export prints above the plot and below it. On screen the view shows the title
    // as text above the canvas, and the marks are explained below it (draw_legend_item), in
    // the question card, or by F1.
    void set_title(std::string title) { title_ = std::move(title); }
    void set_legend(std::vector<LegendEntry> legend) { legend_ = std::move(legend); }
    // The legend on screen too, for views without another place to explain their marks: an
    // ImGui item `width` wide at the cursor (under the canvas), the export's swatches at 1×.
    // Reserve legend_item_height(width) (with the item spacing) below the canvas when sizing it.
    float legend_item_height(float width) const;
    void draw_legend_item(float width);

    // Lays out an ImGui item of `size` pixels, handles input, and draws axes and content.
    void draw(ImVec2 size, const Content& content);

    // Results of the last draw().
    bool hovered() const { return hovered_; }
    std::optional<Vec2> hover_world() const;
    // A left click (not a drag), delivered once the double-click time has passed without a
    // second press: a double-click resets the view and is never also a click (it once
    // selected a receptive-field pixel, or added a GAN trajectory, before resetting).
    std::optional<Vec2> clicked_world() const { return clicked_; }
    // True while some canvas holds a click that is waiting out the double-click time: the
    // frame loop must not sleep then, or the click would wait for the next event.
    static bool click_pending_anywhere();
    bool view_changed() const { return view_changed_; }    // panned or zoomed this frame
    bool drawn_once() const { return drawn_frame_ >= 0; }  // view() is then the fitted one
    const WorldRect& view() const { return view_; }
    // While set, the wheel is the panel's (e.g. to resize what is under the cursor) and does
    // not zoom. Read the wheel from ImGui::GetIO().MouseWheel.
    void capture_wheel(bool captured) { wheel_captured_ = captured; }
    // Shows `view` (fitted to the aspect when equal_aspect): keeps two canvases in sync.
    void set_view(const WorldRect& view) { requested_ = view; }
    const WorldRect& requested_view() const { return requested_; }
    // A left-button drag that began on the canvas: where it was pressed (world), while held
    // and on the frame it is released (so the drag always ends where the pointer did).
    std::optional<Vec2> left_drag_origin() const { return left_down_ ? left_press_ : std::nullopt; }
    ImVec2 plot_min() const { return plot_min_; }  // screen rect of the plot area
    ImVec2 plot_max() const { return plot_max_; }

    // Renders the last content again into an offscreen framebuffer at `scale`×, with the
    // title above and the legend below, and writes a PNG there (never overwriting). Returns ""
    // or an error message for the UI.
    std::string export_png(const std::string& path, int scale);
    // Where export_png's plot frame starts in the file: below the title strip.
    float export_plot_top(int scale) const { return title_height(scale); }
    // The whole-panel figure: every canvas drawn in the last frame, each as export_png draws
    // it, arranged as on screen (rows stay rows, columns stay columns: recursive XY cuts),
    // under `heading`. `overwrite`: the CLI's --figure names its path explicitly.
    static std::string export_figure_png(const std::vector<Canvas*>& canvases,
                                         const std::string& path, int scale, bool overwrite,
                                         const std::string& heading);

    // Primitives, in world coordinates. Sizes are in UI pixels and scale with exports.
    ImVec2 to_screen(Vec2 w) const;
    Vec2 to_world(ImVec2 s) const;
    double pixels_per_unit_x() const { return (plot_max_.x - plot_min_.x) / view_.width(); }
    float px(float ui_pixels) const { return ui_pixels * scale_; }
    void rect(Vec2 a, Vec2 b, ImU32 fill);
    void rect_outline(Vec2 a, Vec2 b, ImU32 color, float thickness = 1.0f);
    void line(Vec2 a, Vec2 b, ImU32 color, float thickness = 1.5f);
    void polyline(const std::vector<Vec2>& points, ImU32 color, float thickness = 1.5f);
    void point(Vec2 p, ImU32 color, float radius = 3.0f);
    void arrow(Vec2 from, Vec2 to, ImU32 color, float thickness = 1.5f);
    // Centred text; `height` in UI pixels (0: the UI font size).
    void text(Vec2 p, const std::string& s, ImU32 color, float height = 0);
    // text() on a light box: a mark's name stays readable over a dark density or arrows.
    void label(Vec2 p, const std::string& s, ImU32 color);
    void image(unsigned int gl_texture, Vec2 a, Vec2 b);  // a: min corner, b: max corner
    // Draws `content` through a cached texture of the plot area, re-rendered only when
    // `version` or the view changes. Hundreds of curves or a dense field then cost one
    // textured quad per frame. Exports draw `content` directly, at full resolution, and so
    // does a frame whose layer changed in the previous frame too (it is being dragged or
    // animated: caching would only add a pass).
    void cached_layer(const std::string& name, std::uint64_t version, const Content& content);
    ImDrawList* draw_list() const { return dl_; }

  private:
    void fit_view(WorldRect target);
    void handle_input();
    void layout(ImVec2 origin, ImVec2 size);
    void draw_axes();
    void draw_colorbar();
    float colorbar_room(float font) const;  // the bar, its gap and its widest tick label
    void draw_frame_with(const Content& content);
    // Export tiles: title strip, the plot at `scale`×, legend rows.
    bool drawn_last_frame() const;
    float title_height(int scale) const;
    float legend_height(int scale, float width) const;
    ImVec2 export_size(int scale) const;
    void draw_export(ImDrawList& list, ImVec2 offset, int scale);
    void draw_legend(ImVec2 top_left, float width, int scale);
    struct FigureNode;
    static FigureNode figure_tree(std::vector<Canvas*> canvases, int scale, float gap);
    static void draw_figure(ImDrawList& list, FigureNode& node, ImVec2 at, int scale, float gap);

    std::string id_;
    WorldRect home_, view_, requested_;  // view_ = requested_ fitted to the plot aspect
    bool equal_aspect_ = false, has_home_ = false, axes_shown_ = true;
    AxisSpec x_axis_, y_axis_;
    std::optional<ColorbarSpec> colorbar_;
    std::string title_;
    std::vector<LegendEntry> legend_;
    Content content_;
    int drawn_frame_ = -1;  // ImGui's frame count at the last draw()

    // Per-draw state.
    ImDrawList* dl_ = nullptr;
    ImVec2 origin_{0, 0}, size_{0, 0}, plot_min_{0, 0}, plot_max_{1, 1};
    float scale_ = 1.0f;  // 1 on screen; 2 or 4 when exporting
    bool exporting_ = false;
    bool wheel_captured_ = false;
    bool hovered_ = false, view_changed_ = false;
    std::optional<Vec2> clicked_;
    struct PendingClick {
        Vec2 world;
        double released_at;
    };
    std::optional<PendingClick> pending_click_;
    bool swallow_release_ = false;  // the release of a double-click's second press
    ImVec2 mouse_{0, 0};
    bool mouse_valid_ = false;
    struct CachedLayer;
    std::map<std::string, std::shared_ptr<CachedLayer>> layers_;
    int pan_button_ = -1;  // the button dragging the view, or -1
    bool left_down_ = false;
    std::optional<Vec2> left_press_;
    WorldRect pan_start_;
};

// "Nice" tick positions (1, 2, 5 × 10^k) covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target, double min_step = 0,
                               double offset = 0);

}  // namespace genlab
