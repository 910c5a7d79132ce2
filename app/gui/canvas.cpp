// Canvas implementation. See canvas.hpp.
//
// [SECTION] Ticks and numbers
// [SECTION] View and input
// [SECTION] Drawing
// [SECTION] Cached layers
// [SECTION] Offscreen export
#include "canvas.hpp"

#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "export.hpp"
#include "gl.hpp"
#include "test_dump.hpp"

namespace genlab {

namespace {
double g_click_pending_until = -1;  // ImGui time until which some canvas holds a click
}  // namespace

namespace {

constexpr ImU32 kBackground = IM_COL32(250, 250, 252, 255);
constexpr ImU32 kGridLine = IM_COL32(0, 0, 0, 28);
constexpr ImU32 kAxisText = IM_COL32(60, 60, 70, 255);
constexpr ImU32 kFrame = IM_COL32(120, 120, 130, 255);

}  // namespace

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

}  // namespace

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

//-----------------------------------------------------------------------------
// [SECTION] Offscreen export
//-----------------------------------------------------------------------------

namespace {

constexpr ImU32 kTitleText = IM_COL32(20, 20, 30, 255);

// The font size of an export at `scale`× (the UI's, scaled like every other mark).
float export_font(int scale) { return ImGui::GetFontSize() * static_cast<float>(scale); }

// One offscreen pass: `draw` fills a w×h draw list, which is rendered on white and written.
template <class Draw>
std::string render_png(int w, int h, const std::string& path, bool overwrite, Draw&& draw) {
    const int limit = max_texture_size();
    if (w > limit || h > limit) {
        return "a " + std::to_string(w) + "x" + std::to_string(h) +
               " export is larger than this GPU's limit of " + std::to_string(limit) +
               "; choose a smaller scale";
    }
    ImDrawList list(ImGui::GetDrawListSharedData());
    begin_offscreen_list(list, static_cast<float>(w), static_cast<float>(h));
    draw(list);
    Image image;
    try {
        RenderTarget target;
        target.resize(w, h);
        render_list(list, target, ImVec4(1, 1, 1, 1));
        BoundTarget bind(target);
        image = read_framebuffer(w, h);
    } catch (const std::exception& e) {
        return e.what();
    }
    return write_png(path, image, overwrite);
}

}  // namespace

bool Canvas::drawn_last_frame() const {
    return content_ && size_.x >= 1 && size_.y >= 1 && drawn_frame_ >= 0 &&
           drawn_frame_ >= ImGui::GetFrameCount() - 1;
}

float Canvas::title_height(int scale) const {
    return title_.empty() ? 0.0f : export_font(scale) * 1.7f;
}

// Entries flow left to right and wrap at `width`: swatch, gap, label, a wider gap.
float Canvas::legend_height(int scale, float width) const {
    if (legend_.empty()) return 0.0f;
    const float font = export_font(scale);
    ImFont* f = ImGui::GetFont();
    float x = 0;
    int rows = 1;
    for (const LegendEntry& e : legend_) {
        const float w = font * 2.0f + f->CalcTextSizeA(font, FLT_MAX, 0, e.label.c_str()).x;
        if (x > 0 && x + w > width - font) {
            ++rows;
            x = 0;
        }
        x += w + font * 1.2f;
    }
    return font * (0.4f + 1.4f * static_cast<float>(rows));
}

ImVec2 Canvas::export_size(int scale) const {
    const float w = std::floor(size_.x) * static_cast<float>(scale);
    return ImVec2(w, std::floor(size_.y) * static_cast<float>(scale) + title_height(scale) +
                         legend_height(scale, w));
}

void Canvas::draw_legend(ImVec2 top_left, float width, int scale) {
    const float font = export_font(scale);
    ImFont* f = ImGui::GetFont();
    float x = 0, y = top_left.y + font * 0.4f;
    for (const LegendEntry& e : legend_) {
        const float w = font * 2.0f + f->CalcTextSizeA(font, FLT_MAX, 0, e.label.c_str()).x;
        if (x > 0 && x + w > width - font) {
            x = 0;
            y += font * 1.4f;
        }
        const ImVec2 a(top_left.x + font * 0.5f + x, y + font * 0.5f);  // the swatch's centre
        switch (e.mark) {
            case LegendEntry::Mark::Line:
                dl_->AddLine(ImVec2(a.x - font * 0.5f, a.y), ImVec2(a.x + font * 0.5f, a.y),
                             e.color, px(2.5f));
                break;
            case LegendEntry::Mark::Dashed:
                for (float k : {-0.5f, -0.1f, 0.3f})  // three dashes across the swatch
                    dl_->AddLine(ImVec2(a.x + font * k, a.y), ImVec2(a.x + font * (k + 0.25f), a.y),
                                 e.color, px(2.5f));
                break;
            case LegendEntry::Mark::Dot:
                dl_->AddCircleFilled(a, px(4.5f), e.color);
                break;
            case LegendEntry::Mark::Patch:
                dl_->AddRectFilled(ImVec2(a.x - font * 0.45f, a.y - font * 0.4f),
                                   ImVec2(a.x + font * 0.45f, a.y + font * 0.4f), e.color);
                dl_->AddRect(ImVec2(a.x - font * 0.45f, a.y - font * 0.4f),
                             ImVec2(a.x + font * 0.45f, a.y + font * 0.4f), kFrame, 0, 0, px(1));
                break;
        }
        dl_->AddText(f, font, ImVec2(a.x + font * 0.9f, y), kAxisText, e.label.c_str());
        x += w + font * 1.2f;
    }
}

float Canvas::legend_item_height(float width) const {
    return legend_.empty() ? 0.0f : legend_height(1, width) + ImGui::GetStyle().ItemSpacing.y;
}

void Canvas::draw_legend_item(float width) {
    const float h = legend_height(1, width);
    if (h <= 0) return;
    const ImVec2 at = ImGui::GetCursorScreenPos();
    dl_ = ImGui::GetWindowDrawList();
    scale_ = 1.0f;
    draw_legend(at, width, 1);
    ImGui::Dummy(ImVec2(width, h));
}

// Swaps in the export's draw list and geometry, replays the content, then restores.
void Canvas::draw_export(ImDrawList& list, ImVec2 offset, int scale) {
    const auto saved_dl = dl_;
    const ImVec2 saved_origin = origin_, saved_size = size_;
    const bool saved_hovered = hovered_;
    const ImVec2 tile = export_size(scale);
    const float title_h = title_height(scale);
    dl_ = &list;
    scale_ = static_cast<float>(scale);
    hovered_ = false;
    exporting_ = true;
    if (!title_.empty()) {
        const float font = export_font(scale);
        dl_->AddText(ImGui::GetFont(), font * 1.1f,
                     ImVec2(offset.x + px(6), offset.y + font * 0.3f), kTitleText, title_.c_str());
    }
    const ImVec2 plot_size(std::floor(saved_size.x) * scale_, std::floor(saved_size.y) * scale_);
    layout(ImVec2(offset.x, offset.y + title_h), plot_size);
    draw_frame_with(content_);
    if (!legend_.empty())
        draw_legend(ImVec2(offset.x, offset.y + title_h + plot_size.y), tile.x, scale);
    dl_ = saved_dl;
    scale_ = 1.0f;
    hovered_ = saved_hovered;
    exporting_ = false;
    layout(saved_origin, saved_size);
}

std::string Canvas::export_png(const std::string& path, int scale) {
    if (!content_ || size_.x < 1 || size_.y < 1) return "the canvas has not been drawn yet";
    if (scale < 1 || scale > 8) return "the export scale must be 1 to 8";
    const ImVec2 size = export_size(scale);
    return render_png(static_cast<int>(size.x), static_cast<int>(size.y), path,
                      /*overwrite=*/false,
                      [&](ImDrawList& list) { draw_export(list, ImVec2(0, 0), scale); });
}

// The whole-panel figure keeps the screen's arrangement by recursive XY cuts: the canvases
// split into bands along a horizontal line that crosses none of them (stacked top to bottom),
// else along a vertical one (side by side), and each band again. Tiles are larger than their
// canvases (title and legend strips), so positions are rebuilt from the cut tree rather than
// copied from the screen, where they would overlap.
struct Canvas::FigureNode {
    Canvas* leaf = nullptr;
    bool side_by_side = false;
    std::vector<FigureNode> parts;
    ImVec2 size{0, 0};
};

Canvas::FigureNode Canvas::figure_tree(std::vector<Canvas*> canvases, int scale, float gap) {
    FigureNode node;
    if (canvases.size() == 1) {
        node.leaf = canvases.front();
        node.size = node.leaf->export_size(scale);
        return node;
    }
    // Bands along one axis: sorted by their start, a band ends where the next canvas starts
    // after everything so far has ended (1 px of slack for rounding).
    const auto bands = [&](bool vertical_axis) {
        const auto lo = [&](const Canvas* c) {
            return vertical_axis ? c->origin_.y : c->origin_.x;
        };
        const auto hi = [&](const Canvas* c) {
            return vertical_axis ? c->origin_.y + c->size_.y : c->origin_.x + c->size_.x;
        };
        std::sort(canvases.begin(), canvases.end(),
                  [&](const Canvas* a, const Canvas* b) { return lo(a) < lo(b); });
        std::vector<std::vector<Canvas*>> out;
        float end = -FLT_MAX;
        for (Canvas* c : canvases) {
            if (out.empty() || lo(c) >= end - 1) out.emplace_back();
            out.back().push_back(c);
            end = std::max(end, hi(c));
        }
        return out;
    };
    auto parts = bands(true);  // rows first
    node.side_by_side = false;
    if (parts.size() == 1) {
        parts = bands(false);
        node.side_by_side = true;
    }
    if (parts.size() == 1) {  // overlapping canvases: no cut exists, so lay them in a row
        parts.clear();
        for (Canvas* c : canvases) parts.push_back({c});
    }
    for (auto& part : parts) {
        node.parts.push_back(figure_tree(part, scale, gap));
        const ImVec2 s = node.parts.back().size;
        const float spacing = node.parts.size() > 1 ? gap : 0.0f;
        if (node.side_by_side) {
            node.size.x += spacing + s.x;
            node.size.y = std::max(node.size.y, s.y);
        } else {
            node.size.y += spacing + s.y;
            node.size.x = std::max(node.size.x, s.x);
        }
    }
    return node;
}

void Canvas::draw_figure(ImDrawList& list, FigureNode& node, ImVec2 at, int scale, float gap) {
    if (node.leaf) {
        node.leaf->draw_export(list, at, scale);
        return;
    }
    for (FigureNode& part : node.parts) {
        draw_figure(list, part, at, scale, gap);
        if (node.side_by_side) {
            at.x += part.size.x + gap;
        } else {
            at.y += part.size.y + gap;
        }
    }
}

std::string Canvas::export_figure_png(const std::vector<Canvas*>& canvases, const std::string& path,
                                      int scale, bool overwrite, const std::string& heading) {
    if (scale < 1 || scale > 8) return "the export scale must be 1 to 8";
    // Only the canvases of the latest drawn frame: a plot another mode hid keeps its content.
    int latest = -1;
    for (const Canvas* c : canvases)
        if (c && c->drawn_last_frame()) latest = std::max(latest, c->drawn_frame_);
    std::vector<Canvas*> shown;
    for (Canvas* c : canvases)
        if (c && c->drawn_last_frame() && c->drawn_frame_ == latest) shown.push_back(c);
    if (shown.empty()) return "the panel has not been drawn yet";
    const float font = export_font(scale), gap = font * 1.0f;
    const float heading_h = heading.empty() ? 0.0f : font * 2.2f;
    FigureNode tree = figure_tree(shown, scale, gap);
    const int w = static_cast<int>(std::ceil(tree.size.x + gap));
    const int h = static_cast<int>(std::ceil(heading_h + tree.size.y + gap));
    return render_png(w, h, path, overwrite, [&](ImDrawList& list) {
        if (!heading.empty()) {
            list.AddText(ImGui::GetFont(), font * 1.3f, ImVec2(gap * 0.5f, font * 0.5f), kTitleText,
                         heading.c_str());
        }
        draw_figure(list, tree, ImVec2(gap * 0.5f, heading_h + gap * 0.5f), scale, gap);
    });
}

}  // namespace genlab
