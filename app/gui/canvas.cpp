// Canvas implementation. See canvas.hpp.
//
// [SECTION] Ticks and numbers
// [SECTION] View and input
// [SECTION] Drawing
// [SECTION] Cached layers
//
// Legends, export tiles and whole-panel figures: canvas_export.cpp.
#include "canvas.hpp"

#include "canvas_internal.hpp"

#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "gl.hpp"
#include "test_dump.hpp"

namespace genlab {

namespace {
double g_click_pending_until = -1;  // ImGui time until which some canvas holds a click
}  // namespace

using namespace canvas_detail;

//-----------------------------------------------------------------------------
// [SECTION] Ticks and numbers
//-----------------------------------------------------------------------------

namespace {

std::vector<double> ticks_with_step(double lo, double hi, double step, double offset) {
    std::vector<double> ticks;
    const double first = std::ceil((lo - offset) / step) * step + offset;
    for (int i = 0; i < 1000; ++i) {
        const double t = first + i * step;
        if (t > hi + step * 1e-9) break;
        ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    }
    return ticks;
}

}  // namespace

// The smallest 1-2-5 step at least (hi − lo)/target; then smaller ones while that leaves
// fewer than two ticks (a small plot of [−1.5, 1.5] got the single tick 0 and no scale).
std::vector<double> nice_ticks(double lo, double hi, int target, double min_step, double offset) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target < 1) return {};
    const double raw = (hi - lo) / target;
    double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * magnitude;
        if (step >= raw) break;
    }
    step = std::max(step, min_step);
    std::vector<double> ticks = ticks_with_step(lo, hi, step, offset);
    for (int k = 0; ticks.size() < 2 && k < 6; ++k) {
        // 10 → 5 → 2 → 1 → 0.5 ...: the next smaller 1-2-5 step, never below min_step.
        const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
        const double smaller = mantissa > 4 ? step * 0.4 : step * 0.5;
        if (smaller < min_step) break;
        step = smaller;
        ticks = ticks_with_step(lo, hi, step, offset);
    }
    return ticks;
}

//-----------------------------------------------------------------------------
// [SECTION] View and input
//-----------------------------------------------------------------------------

void Canvas::set_home(WorldRect home, bool equal_aspect) {
    const bool changed = !has_home_ || home.x0 != home_.x0 || home.x1 != home_.x1 ||
                         home.y0 != home_.y0 || home.y1 != home_.y1 ||
                         equal_aspect != equal_aspect_;
    home_ = home;
    equal_aspect_ = equal_aspect;
    has_home_ = true;
    if (changed) requested_ = home_;
}

void Canvas::set_axes(AxisSpec x, AxisSpec y, bool show) {
    x_axis_ = std::move(x);
    y_axis_ = std::move(y);
    axes_shown_ = show;
}

void Canvas::layout(ImVec2 origin, ImVec2 size) {
    origin_ = origin;
    size_ = size;
    const float font = ImGui::GetFontSize() * scale_;
    const float left = axes_shown_ ? font * 3.6f : px(4);
    const float bottom = axes_shown_ ? font * 2.6f : px(4);
    // Room on the right for half of the last x tick label, or for the colorbar.
    const float right = colorbar_ ? colorbar_room(font) : (axes_shown_ ? font * 1.6f : px(8));
    const float top = colorbar_ ? font * 1.6f : px(8);
    plot_min_ = ImVec2(origin.x + left, origin.y + top);
    plot_max_ = ImVec2(std::max(plot_min_.x + 1, origin.x + size.x - right),
                       std::max(plot_min_.y + 1, origin.y + size.y - bottom));
    fit_view(requested_);
}

// The effective view: the requested one, widened so one world unit has the same pixel size on
// both axes when equal_aspect is set.
void Canvas::fit_view(WorldRect target) {
    view_ = target;
    if (!equal_aspect_) return;
    const double pw = plot_max_.x - plot_min_.x, ph = plot_max_.y - plot_min_.y;
    const double units_per_px = std::max(target.width() / pw, target.height() / ph);
    const double cx = (target.x0 + target.x1) / 2, cy = (target.y0 + target.y1) / 2;
    view_ = {cx - units_per_px * pw / 2, cy - units_per_px * ph / 2, cx + units_per_px * pw / 2,
             cy + units_per_px * ph / 2};
}

ImVec2 Canvas::to_screen(Vec2 w) const {
    const double fx = (w.x - view_.x0) / view_.width();
    const double fy = (w.y - view_.y0) / view_.height();
    return ImVec2(static_cast<float>(plot_min_.x + fx * (plot_max_.x - plot_min_.x)),
                  static_cast<float>(plot_max_.y - fy * (plot_max_.y - plot_min_.y)));
}

Vec2 Canvas::to_world(ImVec2 s) const {
    const double fx = (s.x - plot_min_.x) / std::max(1.0f, plot_max_.x - plot_min_.x);
    const double fy = (plot_max_.y - s.y) / std::max(1.0f, plot_max_.y - plot_min_.y);
    return {view_.x0 + fx * view_.width(), view_.y0 + fy * view_.height()};
}

std::optional<Vec2> Canvas::hover_world() const {
    if (!hovered_ || !mouse_valid_) return std::nullopt;
    if (mouse_.x < plot_min_.x || mouse_.x > plot_max_.x || mouse_.y < plot_min_.y ||
        mouse_.y > plot_max_.y) {
        return std::nullopt;
    }
    return to_world(mouse_);
}

void Canvas::handle_input() {
    ImGuiIO& io = ImGui::GetIO();
    view_changed_ = false;
    clicked_.reset();
    // Positions off the window are -FLT_MAX: never let them reach a transform.
    mouse_valid_ = ImGui::IsMousePosValid();
    mouse_ = mouse_valid_ ? io.MousePos : ImVec2(0, 0);
    const bool left_released = ImGui::IsItemDeactivated() && ImGui::IsMouseReleased(0);
    hovered_ = ImGui::IsItemHovered();

    const double ux = view_.width() / std::max(1.0f, plot_max_.x - plot_min_.x);
    const double uy = view_.height() / std::max(1.0f, plot_max_.y - plot_min_.y);
    // Pan from the view at the press by the total drag, so no frame's motion is lost.
    for (ImGuiMouseButton b : {ImGuiMouseButton_Right, ImGuiMouseButton_Middle}) {
        if (ImGui::IsItemHovered() && ImGui::IsMouseClicked(b)) {
            pan_button_ = b;
            pan_start_ = requested_;
        }
    }
    if (pan_button_ >= 0 && !ImGui::IsMouseDown(pan_button_)) pan_button_ = -1;
    if (pan_button_ >= 0 && mouse_valid_) {
        const ImVec2 d = ImGui::GetMouseDragDelta(pan_button_, 0.0f);
        requested_ = {pan_start_.x0 - d.x * ux, pan_start_.y0 + d.y * uy, pan_start_.x1 - d.x * ux,
                      pan_start_.y1 + d.y * uy};
        view_changed_ = true;
    }
    if (hovered_ && mouse_valid_ && io.MouseWheel != 0 && !wheel_captured_) {
        const double factor = std::pow(0.85, static_cast<double>(io.MouseWheel));
        const Vec2 p = to_world(mouse_);
        // Bounded so a long scroll never turns the view into zero or infinity.
        const double width = requested_.width() * factor;
        if (width > 1e-9 * home_.width() && width < 1e9 * home_.width()) {
            requested_ = {
                p.x + (requested_.x0 - p.x) * factor, p.y + (requested_.y0 - p.y) * factor,
                p.x + (requested_.x1 - p.x) * factor, p.y + (requested_.y1 - p.y) * factor};
            view_changed_ = true;
        }
    }
    if (hovered_ && ImGui::IsMouseDoubleClicked(0)) {
        requested_ = home_;
        view_changed_ = true;
        pending_click_.reset();  // the first press was half of this, not a click
        swallow_release_ = true;
    }
    if (view_changed_) fit_view(requested_);
    if (ImGui::IsItemActivated() && ImGui::IsMouseClicked(0) && mouse_valid_) {
        left_press_ = to_world(mouse_);
    }
    const bool released_now = ImGui::IsItemDeactivated() && ImGui::IsMouseReleased(0);
    left_down_ = left_press_.has_value() &&
                 ((ImGui::IsItemActive() && ImGui::IsMouseDown(0)) || released_now);
    const double now = ImGui::GetTime();
    if (left_released && hovered_ && mouse_valid_ && io.MouseDragMaxDistanceSqr[0] < 16.0f) {
        if (swallow_release_) {
            swallow_release_ = false;
        } else if (auto w = hover_world()) {
            pending_click_ = PendingClick{*w, now};
            g_click_pending_until = std::max(g_click_pending_until, now + io.MouseDoubleClickTime);
        }
    }
    if (released_now) swallow_release_ = false;
    if (pending_click_ && now - pending_click_->released_at > io.MouseDoubleClickTime) {
        clicked_ = pending_click_->world;
        pending_click_.reset();
    }
}

bool Canvas::click_pending_anywhere() {
    // A deadline, not a count: a canvas no longer drawn (another tab) cannot hold it forever.
    return ImGui::GetCurrentContext() && ImGui::GetTime() <= g_click_pending_until + 0.05;
}

//-----------------------------------------------------------------------------
// [SECTION] Drawing
//-----------------------------------------------------------------------------

void Canvas::draw(ImVec2 size, const Content& content) {
    content_ = content;
    drawn_frame_ = ImGui::GetFrameCount();
    scale_ = 1.0f;
    size.x = std::max(size.x, 8.0f);
    size.y = std::max(size.y, 8.0f);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton(id_.c_str(), size,
                           ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight |
                               ImGuiButtonFlags_MouseButtonMiddle);
    mark_item("canvas." + id_);
    dl_ = ImGui::GetWindowDrawList();
    layout(origin, size);
    handle_input();
    mark_value("view." + id_, {view_.x0, view_.y0, view_.x1, view_.y1});
    if (colorbar_) mark_value("colorbar." + id_, {colorbar_->vmin, colorbar_->vmax});
    if (test_dump_enabled()) {
        Json labels = Json::array();
        for (const LegendEntry& e : legend_) labels.push_back(e.label);
        mark_value("legend." + id_, labels);
    }
    draw_frame_with(content);
    if (auto w = hover_world()) {
        const std::string readout = (x_axis_.format ? x_axis_.format(w->x) : format_number(w->x)) +
                                    ", " +
                                    (y_axis_.format ? y_axis_.format(w->y) : format_number(w->y));
        // On an opaque box: over arrows and streamlines the bare text could not be read.
        const ImVec2 ts = ImGui::CalcTextSize(readout.c_str());
        const ImVec2 at(plot_max_.x - ts.x - 6, plot_max_.y - ts.y - 4);
        dl_->AddRectFilled(ImVec2(at.x - 3, at.y - 1), ImVec2(at.x + ts.x + 3, at.y + ts.y + 1),
                           IM_COL32(255, 255, 255, 235), 2.0f);
        dl_->AddText(at, kAxisText, readout.c_str());
    }
}

void Canvas::draw_frame_with(const Content& content) {
    // White margins around the (opaque) plot background: never two fills on one pixel, as
    // every filled pixel costs a software rasterizer ~13 ns.
    const ImVec2 end(origin_.x + size_.x, origin_.y + size_.y);
    const ImU32 white = IM_COL32(255, 255, 255, 255);
    dl_->AddRectFilled(origin_, ImVec2(end.x, plot_min_.y), white);
    dl_->AddRectFilled(ImVec2(origin_.x, plot_max_.y), end, white);
    dl_->AddRectFilled(ImVec2(origin_.x, plot_min_.y), ImVec2(plot_min_.x, plot_max_.y), white);
    dl_->AddRectFilled(ImVec2(plot_max_.x, plot_min_.y), ImVec2(end.x, plot_max_.y), white);
    dl_->AddRectFilled(plot_min_, plot_max_, kBackground);
    if (axes_shown_) draw_axes();
    dl_->PushClipRect(plot_min_, plot_max_, true);
    if (content) content(*this);
    dl_->PopClipRect();
    dl_->AddRect(plot_min_, plot_max_, kFrame, 0, 0, px(1));
    if (colorbar_) draw_colorbar();
}

void Canvas::draw_axes() {
    const float font = ImGui::GetFontSize() * scale_;
    ImFont* f = ImGui::GetFont();
    const auto label = [&](const AxisSpec& axis, double v) {
        return axis.format ? axis.format(v) : format_number(v);
    };
    const int x_target = std::max(2, static_cast<int>((plot_max_.x - plot_min_.x) / (font * 5)));
    const int y_target = std::max(2, static_cast<int>((plot_max_.y - plot_min_.y) / (font * 3)));
    for (double t :
         nice_ticks(view_.x0, view_.x1, x_target, x_axis_.min_step, x_axis_.tick_offset)) {
        const float sx = to_screen({t, view_.y0}).x;
        dl_->AddLine(ImVec2(sx, plot_min_.y), ImVec2(sx, plot_max_.y), kGridLine, px(1));
        dl_->AddLine(ImVec2(sx, plot_max_.y), ImVec2(sx, plot_max_.y + px(4)), kFrame, px(1));
        const std::string s = label(x_axis_, t);
        const ImVec2 ts = f->CalcTextSizeA(font, FLT_MAX, 0, s.c_str());
        dl_->AddText(f, font, ImVec2(sx - ts.x / 2, plot_max_.y + px(5)), kAxisText, s.c_str());
    }
    for (double t :
         nice_ticks(view_.y0, view_.y1, y_target, y_axis_.min_step, y_axis_.tick_offset)) {
        const float sy = to_screen({view_.x0, t}).y;
        dl_->AddLine(ImVec2(plot_min_.x, sy), ImVec2(plot_max_.x, sy), kGridLine, px(1));
        dl_->AddLine(ImVec2(plot_min_.x - px(4), sy), ImVec2(plot_min_.x, sy), kFrame, px(1));
        const std::string s = label(y_axis_, t);
        const ImVec2 ts = f->CalcTextSizeA(font, FLT_MAX, 0, s.c_str());
        dl_->AddText(f, font, ImVec2(plot_min_.x - ts.x - px(7), sy - ts.y / 2), kAxisText,
                     s.c_str());
    }
    if (!x_axis_.label.empty()) {
        const ImVec2 ts = f->CalcTextSizeA(font, FLT_MAX, 0, x_axis_.label.c_str());
        dl_->AddText(f, font,
                     ImVec2((plot_min_.x + plot_max_.x - ts.x) / 2, plot_max_.y + font * 1.35f),
                     kAxisText, x_axis_.label.c_str());
    }
    if (!y_axis_.label.empty()) {
        dl_->AddText(f, font,
                     ImVec2(origin_.x + px(2), plot_min_.y - font * 1.3f > origin_.y
                                                   ? plot_min_.y - font * 1.3f
                                                   : origin_.y + px(1)),
                     kAxisText, y_axis_.label.c_str());
    }
}

// Four significant digits: a colourbar tick is read, not copied ("2.265", not "2.264595").
std::string ColorbarSpec::tick_text(double v) const { return format ? format(v) : format_g(v, 4); }

// Room right of the plot: the gap (0.8 font), the bar (1 font), and room for a tick label as
// wide as "1.235e+03" (a fixed 5 fonts clipped "1.29e+03"). The room does not follow the
// labels, so the plot does not change size while its values change; only a wider label
// (a negative exponent) widens it.
float Canvas::colorbar_room(float font) const {
    ImFont* f = ImGui::GetFont();
    float widest = f->CalcTextSizeA(font, FLT_MAX, 0, "1.235e+03").x;
    for (const double v : {colorbar_->vmin, colorbar_->vmax}) {
        const std::string s = colorbar_->tick_text(v);
        widest = std::max(widest, f->CalcTextSizeA(font, FLT_MAX, 0, s.c_str()).x);
    }
    return font * 1.8f + px(4) + widest + px(4);
}

void Canvas::draw_colorbar() {
    const ColorbarSpec& bar = *colorbar_;
    const float font = ImGui::GetFontSize() * scale_;
    ImFont* f = ImGui::GetFont();
    const float x0 = plot_max_.x + font * 0.8f, x1 = x0 + font * 1.0f;
    const float y0 = plot_min_.y, y1 = plot_max_.y;
    constexpr int kSegments = 64;
    for (int i = 0; i < kSegments; ++i) {
        const float a = y1 - (y1 - y0) * i / kSegments, b = y1 - (y1 - y0) * (i + 1) / kSegments;
        dl_->AddRectFilled(ImVec2(x0, b), ImVec2(x1, a),
                           colormap_color(bar.map, (i + 0.5) / kSegments));
    }
    dl_->AddRect(ImVec2(x0, y0), ImVec2(x1, y1), kFrame, 0, 0, px(1));
    const auto text_at = [&](double v, float y) {
        const std::string s = bar.tick_text(v);
        dl_->AddText(f, font, ImVec2(x1 + px(4), y - font / 2), kAxisText, s.c_str());
    };
    text_at(bar.vmax, y0 + font * 0.5f);  // max at the top, min at the bottom, always shown
    text_at(bar.vmin, y1 - font * 0.5f);
    if (!bar.label.empty()) {
        const ImVec2 ts = f->CalcTextSizeA(font, FLT_MAX, 0, bar.label.c_str());
        dl_->AddText(f, font,
                     ImVec2(std::min(x0, origin_.x + size_.x - ts.x - px(2)), y0 - font * 1.35f),
                     kAxisText, bar.label.c_str());
    }
}

void Canvas::rect(Vec2 a, Vec2 b, ImU32 fill) {
    const ImVec2 p = to_screen(a), q = to_screen(b);
    dl_->AddRectFilled(ImVec2(std::min(p.x, q.x), std::min(p.y, q.y)),
                       ImVec2(std::max(p.x, q.x), std::max(p.y, q.y)), fill);
}

void Canvas::rect_outline(Vec2 a, Vec2 b, ImU32 color, float thickness) {
    const ImVec2 p = to_screen(a), q = to_screen(b);
    dl_->AddRect(ImVec2(std::min(p.x, q.x), std::min(p.y, q.y)),
                 ImVec2(std::max(p.x, q.x), std::max(p.y, q.y)), color, 0, 0, px(thickness));
}

void Canvas::line(Vec2 a, Vec2 b, ImU32 color, float thickness) {
    dl_->AddLine(to_screen(a), to_screen(b), color, px(thickness));
}

void Canvas::polyline(const std::vector<Vec2>& points, ImU32 color, float thickness) {
    std::vector<ImVec2> screen;
    screen.reserve(points.size());
    for (const Vec2& p : points) {
        if (std::isfinite(p.x) && std::isfinite(p.y)) screen.push_back(to_screen(p));
    }
    if (screen.size() >= 2) {
        dl_->AddPolyline(screen.data(), static_cast<int>(screen.size()), color, 0, px(thickness));
    }
}

void Canvas::point(Vec2 p, ImU32 color, float radius) {
    dl_->AddCircleFilled(to_screen(p), px(radius), color);
}

void Canvas::arrow(Vec2 from, Vec2 to, ImU32 color, float thickness) {
    const ImVec2 a = to_screen(from), b = to_screen(to);
    const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
    if (len < 1e-3f) return;
    const float ux = dx / len, uy = dy / len, head = std::min(len * 0.4f, px(7));
    dl_->AddLine(a, ImVec2(b.x - ux * head * 0.7f, b.y - uy * head * 0.7f), color, px(thickness));
    dl_->AddTriangleFilled(
        b, ImVec2(b.x - ux * head - uy * head * 0.5f, b.y - uy * head + ux * head * 0.5f),
        ImVec2(b.x - ux * head + uy * head * 0.5f, b.y - uy * head - ux * head * 0.5f), color);
}

void Canvas::text(Vec2 p, const std::string& s, ImU32 color, float height) {
    ImFont* f = ImGui::GetFont();
    const float size = (height > 0 ? height : ImGui::GetFontSize()) * scale_;
    const ImVec2 ts = f->CalcTextSizeA(size, FLT_MAX, 0, s.c_str());
    const ImVec2 c = to_screen(p);
    dl_->AddText(f, size, ImVec2(c.x - ts.x / 2, c.y - ts.y / 2), color, s.c_str());
}

void Canvas::label(Vec2 p, const std::string& s, ImU32 color) {
    ImFont* f = ImGui::GetFont();
    const float size = ImGui::GetFontSize() * scale_;
    const ImVec2 ts = f->CalcTextSizeA(size, FLT_MAX, 0, s.c_str());
    const ImVec2 c = to_screen(p);
    const ImVec2 a(c.x - ts.x / 2, c.y - ts.y / 2);
    dl_->AddRectFilled(ImVec2(a.x - px(3), a.y - px(1)),
                       ImVec2(a.x + ts.x + px(3), a.y + ts.y + px(1)), IM_COL32(255, 255, 255, 210),
                       px(3));
    dl_->AddText(f, size, a, color, s.c_str());
}

void Canvas::image(unsigned int gl_texture, Vec2 a, Vec2 b) {
    if (!gl_texture) return;
    const ImVec2 p = to_screen({a.x, b.y}), q = to_screen({b.x, a.y});  // top-left, bottom-right
    dl_->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(gl_texture)), p, q);
}

//-----------------------------------------------------------------------------
// [SECTION] Cached layers
//-----------------------------------------------------------------------------

struct Canvas::CachedLayer {
    RenderTarget target;
    std::uint64_t version = 0;
    WorldRect view{0, 0, 0, 0};
    ImVec2 size{0, 0};
    bool seen = false;   // version/view/size hold the last frame's
    bool valid = false;  // the texture shows them
    int changes_in_a_row = 0;
};

namespace {

// The layer texture holds premultiplied colour (ImGui's blending onto a transparent target
// produces exactly that), so it is composited with ONE, ONE_MINUS_SRC_ALPHA.
void premultiplied_blend(const ImDrawList*, const ImDrawCmd*) {
    glBlendFuncSeparate(GL_ONE, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
}

}  // namespace

namespace canvas_detail {

// Renders one draw list into `target` (cleared to transparent) with ImGui's GL backend.
void render_list(ImDrawList& list, RenderTarget& target, ImVec4 clear) {
    ImDrawList* lists[] = {&list};
    ImDrawData data;
    data.Valid = true;
    data.CmdLists = lists;
    data.CmdListsCount = 1;
    data.TotalVtxCount = list.VtxBuffer.Size;
    data.TotalIdxCount = list.IdxBuffer.Size;
    data.DisplayPos = ImVec2(0, 0);
    data.DisplaySize =
        ImVec2(static_cast<float>(target.width()), static_cast<float>(target.height()));
    data.FramebufferScale = ImVec2(1, 1);
    BoundTarget bind(target);
    glClearColor(clear.x, clear.y, clear.z, clear.w);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(&data);
}

// A draw list ready for offscreen use: the font atlas bound, clipped to w×h.
void begin_offscreen_list(ImDrawList& list, float w, float h) {
    list._ResetForNewFrame();
    list.PushTextureID(ImGui::GetIO().Fonts->TexID);
    list.PushClipRect(ImVec2(0, 0), ImVec2(w, h));
}

}  // namespace canvas_detail

void Canvas::cached_layer(const std::string& name, std::uint64_t version, const Content& content) {
    if (exporting_) {  // draw at the export's resolution instead
        content(*this);
        return;
    }
    auto& slot = layers_[name];
    if (!slot) slot = std::make_shared<CachedLayer>();
    CachedLayer& layer = *slot;
    // Rendered at framebuffer resolution, so HiDPI screens stay sharp.
    const float fb_scale = std::max(1.0f, ImGui::GetIO().DisplayFramebufferScale.x);
    const ImVec2 size(std::round(plot_max_.x - plot_min_.x), std::round(plot_max_.y - plot_min_.y));
    const bool changed = !layer.seen || layer.version != version || layer.size.x != size.x ||
                         layer.size.y != size.y || layer.view.x0 != view_.x0 ||
                         layer.view.x1 != view_.x1 || layer.view.y0 != view_.y0 ||
                         layer.view.y1 != view_.y1;
    layer.changes_in_a_row = changed ? layer.changes_in_a_row + 1 : 0;
    layer.version = version;
    layer.view = view_;
    layer.size = size;
    layer.seen = true;
    if (layer.changes_in_a_row >= 2) {
        // Changing every frame (a drag, an animation): a texture would be redrawn each frame
        // and then blended over the whole plot as well. Drawn directly until it settles.
        layer.valid = false;
        content(*this);
        return;
    }
    if ((changed || !layer.valid) && size.x >= 1 && size.y >= 1) {
        layer.target.resize(static_cast<int>(size.x * fb_scale),
                            static_cast<int>(size.y * fb_scale));
        ImDrawList list(ImGui::GetDrawListSharedData());
        begin_offscreen_list(list, static_cast<float>(layer.target.width()),
                             static_cast<float>(layer.target.height()));
        const auto saved_dl = dl_;
        const ImVec2 saved_min = plot_min_, saved_max = plot_max_;
        dl_ = &list;
        scale_ = fb_scale;
        plot_min_ = ImVec2(0, 0);
        plot_max_ = ImVec2(static_cast<float>(layer.target.width()),
                           static_cast<float>(layer.target.height()));
        content(*this);
        dl_ = saved_dl;
        scale_ = 1.0f;
        plot_min_ = saved_min;
        plot_max_ = saved_max;
        render_list(list, layer.target, ImVec4(0, 0, 0, 0));
        layer.valid = true;
    }
    if (!layer.valid) return;
    dl_->AddCallback(premultiplied_blend, nullptr);
    // The target's row 0 is the bottom: flip v.
    dl_->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(layer.target.texture())),
                  plot_min_, ImVec2(plot_min_.x + size.x, plot_min_.y + size.y), ImVec2(0, 1),
                  ImVec2(1, 0));
    dl_->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
}

}  // namespace genlab
