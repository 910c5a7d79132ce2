// Canvas, part two: legends (on screen and in exports), export tiles (title strip, the plot at
// scale×, legend rows), PNG export of one canvas and of the whole panel. See canvas.hpp.
//
// [SECTION] Offscreen export
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "canvas.hpp"
#include "canvas_internal.hpp"
#include "export.hpp"
#include "gl.hpp"

namespace genlab {

using namespace canvas_detail;

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

// The title wraps at the tile's width (side-by-side tiles' titles once ran into each other).
float Canvas::title_height(int scale) const {
    if (title_.empty()) return 0.0f;
    const float font = export_font(scale);
    const float wrap =
        std::max(font, std::floor(size_.x) * static_cast<float>(scale) - font * 0.6f);
    const float text_h =
        ImGui::GetFont()->CalcTextSizeA(font * 1.1f, FLT_MAX, wrap, title_.c_str()).y;
    return text_h + font * 0.6f;
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
                     ImVec2(offset.x + px(6), offset.y + font * 0.3f), kTitleText, title_.c_str(),
                     nullptr, std::max(font, tile.x - font * 0.6f));
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
