// Receptive-fields panel: which input pixels reach output pixel (r, c) through a stack of
// masked convolutions, the blind spot, and causality violations.
//
// [SECTION] Grid pictures (shared by the three views)
// [SECTION] The view: state and analysis
// [SECTION] Controls
// [SECTION] Canvases: field, layers, compare
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <set>

#include "canvas.hpp"
#include "heatmap.hpp"
#include "rf_model.hpp"
#include "test_dump.hpp"
#include "view.hpp"

namespace genlab {

namespace {

using rf::Cell;

constexpr ImU32 kPixelBorder = IM_COL32(255, 120, 0, 255);
constexpr ImU32 kPixelFill = IM_COL32(255, 190, 120, 255);
constexpr ImU32 kBlindFill = IM_COL32(70, 140, 255, 110);
constexpr ImU32 kBlindHatch = IM_COL32(40, 90, 200, 160);
constexpr ImU32 kViolationFill = IM_COL32(230, 30, 30, 150);
constexpr ImU32 kViolationBorder = IM_COL32(210, 0, 0, 255);
constexpr ImU32 kLaterFill = IM_COL32(0, 0, 0, 22);
constexpr ImU32 kCellLine = IM_COL32(0, 0, 0, 60);
constexpr ImU32 kTitle = IM_COL32(30, 30, 40, 255);
constexpr ImU32 kDimmed = IM_COL32(255, 255, 255, 170);
constexpr Colormap kPathsColormap = Colormap::Viridis;

// Seed-style names: "34" is row 3, column 4 (1-based). Past 9 the digits would be
// ambiguous, so larger maps use "(r, c)".
std::string cell_name(Cell c, int n) {
    if (n <= 9) return std::to_string(c.row + 1) + std::to_string(c.col + 1);
    return "(" + std::to_string(c.row + 1) + ", " + std::to_string(c.col + 1) + ")";
}

std::string cell_list(const std::vector<Cell>& cells, int n, size_t limit = 40) {
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

//-----------------------------------------------------------------------------
// [SECTION] Grid pictures (shared by the three views)
//-----------------------------------------------------------------------------

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

void draw_hatch(Canvas& canvas, Vec2 a, ImU32 color) {
    for (double t : {0.25, 0.5, 0.75}) {
        canvas.line({a.x + t, a.y}, {a.x, a.y + t}, color, 1.0f);
        canvas.line({a.x + 1, a.y + t}, {a.x + t, a.y + 1}, color, 1.0f);
    }
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
                const Vec2 a = cell_min(g, {r, c});
                canvas.text({a.x + 0.2, a.y + 0.86}, cell_name({r, c}, g.n),
                            IM_COL32(90, 90, 100, 200), font * 0.7f);
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

//-----------------------------------------------------------------------------
// [SECTION] The view: state and analysis
//-----------------------------------------------------------------------------

class RfView : public PanelView {
  public:
    RfView() { set_state(model_.defaults()); }

    const PanelModel& model() const override { return model_; }

    void set_state(const Json& s) override {
        params_ = rf_params_from_json(s);
        dirty_ = true;
        reveal_ = static_cast<int>(params_.stack.masks.size());
        edit_layer_ = std::min(edit_layer_, static_cast<int>(params_.stack.masks.size()) - 1);
        playing_ = false;
    }

    Json state() const override { return rf_params_to_json(params_); }

    Canvas& main_canvas() override {
        if (params_.view == "layers") return layers_canvas_;
        if (params_.view == "compare") return compare_canvas_;
        return field_canvas_;
    }

    std::vector<std::string> help_lines() const override {
        return {"Click a cell: select the output pixel",
                "Click a kernel cell: toggle it (the layer's mask becomes custom)",
                "Play / Step: reveal the field one layer at a time, from the output back"};
    }

    void set_playing(bool playing) override {
        if (playing && reveal_ >= layer_count()) reveal_ = 0;
        playing_ = playing;
        clock_ = 0;
    }
    void step() override {
        playing_ = false;
        reveal_ = reveal_ >= layer_count() ? 0 : reveal_ + 1;
    }
    void reset() override {
        playing_ = false;
        reveal_ = layer_count();
    }

    void draw(const FrameInfo& frame) override {
        advance(frame);
        if (dirty_) recompute();
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("rf.controls", ImVec2(font * 19, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("rf.plot", ImVec2(0, 0), false);
        if (dirty_) recompute();  // the controls may have changed something
        draw_summary();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const ImVec2 size(avail.x, std::max(avail.y - font * 2.2f, font * 8));
        if (params_.view == "layers") {
            draw_layers(size);
        } else if (params_.view == "compare") {
            draw_compare(size);
        } else {
            draw_field(size);
        }
        draw_legend();
        ImGui::EndChild();
    }

  private:
    int layer_count() const { return static_cast<int>(params_.stack.masks.size()); }

    void advance(const FrameInfo& frame) {
        if (!playing_) return;
        clock_ += frame.dt * frame.speed;
        if (clock_ >= 0.7) {
            clock_ = 0;
            if (++reveal_ >= layer_count()) {
                reveal_ = layer_count();
                playing_ = false;
            }
        }
    }

    // New snapshots (never edited in place: exports may still hold the old ones).
    void recompute() {
        analysis_ = std::make_shared<const rf::Analysis>(rf::analyze(params_.stack, params_.pixel));
        for (int i = 0; i < 4; ++i) {
            rf::Stack s = params_.stack;
            s.masks = {rf::make_mask(i / 2 ? rf::MaskKind::B : rf::MaskKind::A, s.kernel, s.order),
                       rf::make_mask(i % 2 ? rf::MaskKind::B : rf::MaskKind::A, s.kernel, s.order)};
            compare_[i] = std::make_shared<const rf::Analysis>(rf::analyze(s, params_.pixel));
        }
        uploaded_reveal_ = -1;  // every view's heatmaps are stale now
        uploaded_view_ = -1;
        dirty_ = false;
    }

    // Heatmaps are re-uploaded only when the analysis or the revealed depth changed.
    Heatmap& heat(size_t i) {
        while (heats_.size() <= i) heats_.push_back(std::make_unique<Heatmap>());
        return *heats_[i];
    }

    GLuint shaded(size_t i, const rf::Counts& counts, double vmax_log, bool refresh) {
        Heatmap& h = heat(i);
        if (refresh)
            h.set_values(static_cast<int>(counts.cols()), static_cast<int>(counts.rows()),
                         heat_values(counts));
        h.set_range(0, vmax_log, kPathsColormap);
        return h.texture();
    }

    void set_pixel(Cell c) {
        if (c == params_.pixel) return;
        params_.pixel = c;
        dirty_ = true;
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls
    //-------------------------------------------------------------------------

    void draw_controls() {
        ImGui::TextUnformatted("View");
        for (const char* v : {"field", "layers", "compare"}) {
            ImGui::SameLine();
            if (ImGui::RadioButton(v, params_.view == v)) params_.view = v;
            mark_item(std::string("rf.view.") + v);
        }
        ImGui::Separator();

        int order = params_.stack.order == rf::Order::BottomUp;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::Combo("order", &order, "top-down\0bottom-up\0")) {
            set_order(order ? rf::Order::BottomUp : rf::Order::TopDown);
        }
        mark_item("rf.order");
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "top-down: rows from the top, left to right (PixelCNN, seed 003)\n"
                "bottom-up: rows from the bottom, left to right (seed 000)");
        }
        int n = params_.stack.size;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::SliderInt("grid n", &n, 1, kRfMaxSize, "%d", ImGuiSliderFlags_AlwaysClamp)) {
            set_size(n);
        }
        mark_item("rf.size");
        int k_index = params_.stack.kernel / 2;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::Combo("kernel k", &k_index,
                         "1x1\0"
                         "3x3\0"
                         "5x5\0"
                         "7x7\0"
                         "9x9\0")) {
            set_kernel(2 * k_index + 1);
        }
        mark_item("rf.kernel");
        ImGui::Text("pixel  %s   (row %d, col %d)",
                    cell_name(params_.pixel, params_.stack.size).c_str(), params_.pixel.row + 1,
                    params_.pixel.col + 1);
        ImGui::TextDisabled("click a cell to select it");
        ImGui::Separator();
        draw_layer_list();
        ImGui::Separator();
        draw_kernel_editor();
    }

    void draw_layer_list() {
        ImGui::Text("Layers (input first): %d", layer_count());
        int move_from = -1, move_to = -1, remove = -1;
        for (int l = 0; l < layer_count(); ++l) {
            ImGui::PushID(l);
            const rf::MaskKind kind = params_.kinds[l];
            if (ImGui::Selectable(("##sel" + std::to_string(l)).c_str(), edit_layer_ == l, 0,
                                  ImVec2(ImGui::GetFontSize() * 1.2f, 0))) {
                edit_layer_ = l;
            }
            ImGui::SameLine(0, 0);
            ImGui::Text("%2d", l + 1);
            for (rf::MaskKind k : {rf::MaskKind::A, rf::MaskKind::B, rf::MaskKind::None}) {
                ImGui::SameLine();
                if (ImGui::RadioButton(rf::to_string(k), kind == k)) {
                    params_.set_kind(l, k);
                    edit_layer_ = l;
                    dirty_ = true;
                }
                mark_item("rf.layer." + std::to_string(l + 1) + "." + rf::to_string(k));
            }
            if (kind == rf::MaskKind::Custom) {
                ImGui::SameLine();
                ImGui::TextColored(ImVec4(0.8f, 0.4f, 0, 1), "custom");
            }
            ImGui::SameLine();
            if (ImGui::ArrowButton("up", ImGuiDir_Up) && l > 0) move_from = l, move_to = l - 1;
            ImGui::SameLine(0, 2);
            if (ImGui::ArrowButton("down", ImGuiDir_Down) && l + 1 < layer_count()) {
                move_from = l, move_to = l + 1;
            }
            ImGui::SameLine(0, 2);
            ImGui::BeginDisabled(layer_count() <= 1);
            if (ImGui::SmallButton("x")) remove = l;
            ImGui::EndDisabled();
            mark_item("rf.layer." + std::to_string(l + 1) + ".remove");
            ImGui::PopID();
        }
        auto& masks = params_.stack.masks;
        auto& kinds = params_.kinds;
        if (move_from >= 0) {
            std::swap(masks[move_from], masks[move_to]);
            std::swap(kinds[move_from], kinds[move_to]);
            edit_layer_ = move_to;
            dirty_ = true;
        }
        if (remove >= 0) {
            masks.erase(masks.begin() + remove);
            kinds.erase(kinds.begin() + remove);
            // Keep editing the same layer: the ones after the removed one moved up.
            if (remove < edit_layer_) --edit_layer_;
            edit_layer_ = std::min(edit_layer_, layer_count() - 1);
            dirty_ = true;
        }
        ImGui::BeginDisabled(layer_count() >= kRfMaxLayers);
        if (ImGui::Button("+ add layer (B)")) {
            masks.push_back(
                rf::make_mask(rf::MaskKind::B, params_.stack.kernel, params_.stack.order));
            kinds.push_back(rf::MaskKind::B);
            edit_layer_ = layer_count() - 1;
            dirty_ = true;
        }
        mark_item("rf.add_layer");
        ImGui::EndDisabled();
        if (dirty_) reveal_ = layer_count();
    }

    void draw_kernel_editor() {
        const int k = params_.stack.kernel;
        ImGui::Text("Kernel of layer %d (click to toggle)", edit_layer_ + 1);
        rf::Mask& mask = params_.stack.masks[edit_layer_];
        const float s =
            std::min(ImGui::GetFontSize() * 1.6f, (ImGui::GetContentRegionAvail().x - 8) / k - 2);
        ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(2, 2));
        for (int i = 0; i < k; ++i) {
            for (int j = 0; j < k; ++j) {
                if (j) ImGui::SameLine();
                ImGui::PushID(i * 16 + j);
                const bool on = mask(i, j) != 0;
                const bool centre = i == k / 2 && j == k / 2;
                ImGui::PushStyleColor(ImGuiCol_Button, on ? ImVec4(0.16f, 0.45f, 0.75f, 1)
                                                          : ImVec4(0.86f, 0.86f, 0.88f, 1));
                ImGui::PushStyleColor(ImGuiCol_ButtonHovered, on ? ImVec4(0.25f, 0.55f, 0.85f, 1)
                                                                 : ImVec4(0.75f, 0.75f, 0.8f, 1));
                if (ImGui::Button(centre ? "o" : "", ImVec2(s, s))) {
                    mask(i, j) = on ? 0 : 1;
                    // A drawn mask that matches a named one takes its name again.
                    params_.kinds[edit_layer_] = rf::classify_mask(mask, params_.stack.order);
                    dirty_ = true;
                }
                ImGui::PopStyleColor(2);
                mark_item("rf.kernel." + std::to_string(i + 1) + "." + std::to_string(j + 1));
                ImGui::PopID();
            }
        }
        ImGui::PopStyleVar();
        ImGui::TextDisabled("o: the centre (the pixel's own position)");
    }

    void set_order(rf::Order order) {
        params_.rebuild_masks(params_.stack.kernel, order);  // an A stays an A
        dirty_ = true;
    }

    void set_size(int n) {
        params_.stack.size = n;
        params_.pixel.row = std::min(params_.pixel.row, n - 1);
        params_.pixel.col = std::min(params_.pixel.col, n - 1);
        dirty_ = true;
    }

    void set_kernel(int k) {
        params_.rebuild_masks(k, params_.stack.order);
        dirty_ = true;
    }

    //-------------------------------------------------------------------------
    // [SECTION] Canvases: field, layers, compare
    //-------------------------------------------------------------------------

    void draw_summary() {
        const int n = params_.stack.size;
        if (params_.view == "compare") {  // the grids are the four 2-layer stacks, not yours
            ImGui::Text(
                "Pixel %s, %s order, %dx%d kernels: the four two-layer stacks "
                "(first layer, then second)",
                cell_name(params_.pixel, n).c_str(), rf::to_string(params_.stack.order),
                params_.stack.kernel, params_.stack.kernel);
            const char* names[4] = {"A/A", "A/B", "B/A", "B/B"};
            for (int i = 0; i < 4; ++i) {
                ImGui::TextWrapped("%s: %s", names[i], cell_list(compare_[i]->cells, n).c_str());
            }
            return;
        }
        const bool causal = analysis_->violations.empty();
        ImGui::Text("Receptive field of %s: %zu cells", cell_name(params_.pixel, n).c_str(),
                    analysis_->cells.size());
        ImGui::SameLine(0, ImGui::GetFontSize() * 2);
        ImGui::TextColored(
            causal ? ImVec4(0.1f, 0.55f, 0.2f, 1) : ImVec4(0.85f, 0.05f, 0.05f, 1),
            causal ? "causal: only earlier pixels reach it" : "NOT causal: %zu violating cell(s)",
            analysis_->violations.size());
        ImGui::TextWrapped("field: %s", cell_list(analysis_->cells, n).c_str());
        ImGui::TextWrapped("blind spot: %s    violations: %s",
                           cell_list(analysis_->blind_spot, n).c_str(),
                           cell_list(analysis_->violations, n).c_str());
    }

    void draw_legend() {
        legend_swatch(kPixelFill, kPixelBorder, "pixel");
        legend_swatch(colormap_color(kPathsColormap, 0.6), IM_COL32(0, 0, 0, 80),
                      "field (colour, number = paths)");
        legend_swatch(kBlindFill, kBlindHatch, "blind spot");
        legend_swatch(kViolationFill, kViolationBorder, "violation");
        legend_swatch(IM_COL32(225, 225, 225, 255), IM_COL32(0, 0, 0, 60), "later in the order");
        ImGui::NewLine();
    }

    ColorbarSpec paths_colorbar(double vmax_log) const {
        return {kPathsColormap, 0, vmax_log, "paths (log)",
                [](double v) { return count_text(std::round(std::pow(10.0, v) - 1)); }};
    }

    // The counts shown while revealing: after walking back m layers from the output. The
    // pointer shares ownership with the analysis snapshot (aliasing constructor).
    std::shared_ptr<const rf::Counts> revealed_counts() const {
        const int m = std::clamp(reveal_, 0, layer_count());
        if (m == 0) {
            auto pixel_only = std::make_shared<rf::Counts>(
                rf::Counts::Zero(params_.stack.size, params_.stack.size));
            (*pixel_only)(params_.pixel.row, params_.pixel.col) = 1;
            return pixel_only;
        }
        return {analysis_, &analysis_->layer_paths[layer_count() - m]};
    }

    // The layer whose input the field view shows while revealing (0 when fully revealed).
    int revealed_layer() const { return layer_count() - std::clamp(reveal_, 0, layer_count()); }

    void draw_field(ImVec2 size) {
        const int n = params_.stack.size;
        const bool full = reveal_ >= layer_count();
        const std::shared_ptr<const rf::Counts> counts_owner = revealed_counts();
        const rf::Counts& counts = *counts_owner;
        const double vmax_log = max_log_count({&analysis_->paths, &counts});
        const bool refresh = uploaded_reveal_ != reveal_ || uploaded_view_ != 0;
        uploaded_reveal_ = reveal_;
        uploaded_view_ = 0;
        const GLuint tex = shaded(0, counts, vmax_log, refresh);
        field_canvas_.set_home({0, 0, static_cast<double>(n), static_cast<double>(n)}, true);
        // Ticks sit on cell centres; outside the grid there is no row or column to name.
        const auto index_label = [n](double v, bool flip) -> std::string {
            if (v < 0 || v >= n) return "";
            const int i = static_cast<int>(std::floor(v));
            return std::to_string(flip ? n - i : i + 1);
        };
        field_canvas_.set_axes({"column", [=](double v) { return index_label(v, false); }, 1, 0.5},
                               {"row", [=](double v) { return index_label(v, true); }, 1, 0.5});
        field_canvas_.set_colorbar(paths_colorbar(vmax_log));
        GridPicture g;
        g.n = n;
        g.order = params_.stack.order;
        g.counts = &counts;
        g.pixel = params_.pixel;
        g.blind_spot = full ? &analysis_->blind_spot : nullptr;
        g.violations = full ? &analysis_->violations : nullptr;
        g.keep_alive = std::make_shared<std::pair<decltype(analysis_), decltype(counts_owner)>>(
            analysis_, counts_owner);
        // By value: export_png() replays the content after this function has returned.
        field_canvas_.draw(size, [g, tex, vmax_log](Canvas& c) { draw_grid(c, g, tex, vmax_log); });
        mark_rect("rf.grid", field_canvas_.plot_min(), field_canvas_.plot_max());
        mark_cells(field_canvas_, g, "rf.cell");
        if (!full) {
            ImGui::SetCursorScreenPos(
                ImVec2(field_canvas_.plot_min().x + 8, field_canvas_.plot_min().y + 6));
            ImGui::TextColored(ImVec4(0.1f, 0.1f, 0.5f, 1), "after %d of %d layers (walking back)",
                               reveal_, layer_count());
            ImGui::SetCursorScreenPos(
                ImVec2(field_canvas_.plot_min().x, field_canvas_.plot_max().y));
            ImGui::Dummy(ImVec2(1, ImGui::GetFontSize() * 2.6f));
        }
        if (auto w = field_canvas_.clicked_world()) {
            if (auto c = cell_at(g, *w)) set_pixel(*c);
        }
        if (auto w = field_canvas_.hover_world()) {
            // While revealing, the grid shows layer L−m's input: explain those numbers.
            if (auto c = cell_at(g, *w); c && revealed_layer() < layer_count()) {
                cell_tooltip(*c, revealed_layer());
            }
        }
    }

    // Test mode: each cell's screen rectangle, as "<prefix>.<row>.<col>" (1-based).
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

    // The tooltip shows where a count comes from: paths into layer l's input cell are the
    // sum, over the kernel offsets its mask keeps, of the paths at the next layer.
    void cell_tooltip(Cell c, int layer) {
        const int n = params_.stack.size, L = layer_count(), h = params_.stack.kernel / 2;
        const rf::Counts& here = analysis_->layer_paths[layer];
        std::string terms;
        int shown = 0;
        for (int i = 0; i < params_.stack.kernel; ++i) {
            for (int j = 0; j < params_.stack.kernel; ++j) {
                if (!params_.stack.masks[layer](i, j)) continue;
                const Cell out{c.row - (i - h), c.col - (j - h)};
                if (out.row < 0 || out.col < 0 || out.row >= n || out.col >= n) continue;
                const double next = layer + 1 < L
                                        ? analysis_->layer_paths[layer + 1](out.row, out.col)
                                        : (out == params_.pixel ? 1.0 : 0.0);
                if (next <= 0) continue;
                if (shown++ < 8) terms += (terms.empty() ? "" : " + ") + count_text(next);
            }
        }
        if (shown > 8) terms += " + …";
        ImGui::BeginTooltip();
        ImGui::Text("cell %s  (row %d, col %d)", cell_name(c, n).c_str(), c.row + 1, c.col + 1);
        ImGui::Text("paths to %s: %s", cell_name(params_.pixel, n).c_str(),
                    count_text(here(c.row, c.col)).c_str());
        if (!terms.empty()) {
            ImGui::TextDisabled("= sum over kept kernel offsets of paths at layer %d: %s",
                                layer + 2 > L ? L : layer + 2, terms.c_str());
        }
        if (layer == 0) {
            if (c == params_.pixel) ImGui::TextUnformatted("the selected pixel");
            if (contains(analysis_->violations, c)) {
                ImGui::TextColored(ImVec4(0.85f, 0, 0, 1),
                                   "violation: not earlier than the pixel, yet it reaches it");
            } else if (contains(analysis_->blind_spot, c)) {
                ImGui::TextColored(ImVec4(0.1f, 0.3f, 0.8f, 1),
                                   "blind spot: earlier and within reach of unmasked kernels,\n"
                                   "but no masked path reaches the pixel");
            } else if (here(c.row, c.col) > 0) {
                ImGui::TextUnformatted("in the receptive field");
            }
        }
        ImGui::EndTooltip();
    }

    std::string mask_label(int layer) const { return rf::to_string(params_.kinds[layer]); }

    void draw_layers(ImVec2 size) {
        const int n = params_.stack.size, L = layer_count();
        const int per_row = std::min(L + 1, 4);
        const double gap = std::max(1.0, n * 0.35), title = 1.2;
        const int rows = (L + 1 + per_row - 1) / per_row;
        std::vector<GridPicture> grids(L + 1);
        std::vector<const rf::Counts*> all;
        for (int g = 0; g <= L; ++g) {
            GridPicture& pic = grids[g];
            pic.n = n;
            pic.order = params_.stack.order;
            pic.pixel = params_.pixel;
            pic.show_pixel = true;
            pic.counts = g < L ? &analysis_->layer_paths[g] : nullptr;
            pic.keep_alive = analysis_;
            if (g < L) all.push_back(pic.counts);
            pic.dimmed = g < L - reveal_;
            pic.title = g == 0  ? "input → layer 1 (" + mask_label(0) + ")"
                        : g < L ? "layer " + std::to_string(g) + " → layer " +
                                      std::to_string(g + 1) + " (" + mask_label(g) + ")"
                                : "output";
            const int row = g / per_row, col = g % per_row;
            pic.offset = {col * (n + gap), (rows - 1 - row) * (n + gap + title)};
        }
        const double vmax_log = max_log_count(all);
        const bool refresh = uploaded_view_ != 1 || uploaded_reveal_ != reveal_;
        uploaded_view_ = 1;
        uploaded_reveal_ = reveal_;
        std::vector<GLuint> tex(L + 1, 0);
        for (int g = 0; g < L; ++g)
            tex[g] = shaded(g, analysis_->layer_paths[g], vmax_log, refresh);
        layers_canvas_.set_home(
            {-0.3, -0.3, per_row * (n + gap) - gap + 0.3, rows * (n + gap + title) - gap + 0.2},
            true);
        layers_canvas_.set_axes({}, {}, false);
        layers_canvas_.set_colorbar(paths_colorbar(vmax_log));
        layers_canvas_.draw(size, [grids, tex, vmax_log](Canvas& c) {
            for (size_t g = 0; g < grids.size(); ++g) draw_grid(c, grids[g], tex[g], vmax_log);
        });
        mark_rect("rf.layers", layers_canvas_.plot_min(), layers_canvas_.plot_max());
        const auto hit = [&](Vec2 w) -> std::optional<std::pair<int, Cell>> {
            for (int g = 0; g <= L; ++g) {
                if (auto c = cell_at(grids[g], w)) return std::make_pair(g, *c);
            }
            return std::nullopt;
        };
        if (auto w = layers_canvas_.clicked_world()) {
            if (auto h = hit(*w)) set_pixel(h->second);
        }
        if (auto w = layers_canvas_.hover_world()) {
            if (auto h = hit(*w); h && h->first < L) cell_tooltip(h->second, h->first);
        }
    }

    void draw_compare(ImVec2 size) {
        const int n = params_.stack.size;
        const double gap = std::max(1.0, n * 0.3), title = 1.2;
        const char* names[4] = {"A then A", "A then B", "B then A", "B then B"};
        std::vector<GridPicture> grids(4);
        std::vector<const rf::Counts*> all;
        for (int i = 0; i < 4; ++i) {
            GridPicture& g = grids[i];
            g.n = n;
            g.order = params_.stack.order;
            g.pixel = params_.pixel;
            g.counts = &compare_[i]->paths;
            g.keep_alive = compare_[i];
            g.blind_spot = &compare_[i]->blind_spot;
            g.violations = &compare_[i]->violations;
            g.title = std::string(names[i]) + ": " + std::to_string(compare_[i]->cells.size()) +
                      " cells" + (compare_[i]->violations.empty() ? "" : ", NOT causal");
            g.offset = {(i % 2) * (n + gap), (1 - i / 2) * (n + gap + title)};
            all.push_back(g.counts);
        }
        const double vmax_log = max_log_count(all);
        const bool refresh = uploaded_view_ != 2;
        uploaded_view_ = 2;
        std::vector<GLuint> tex(4);
        for (int i = 0; i < 4; ++i) tex[i] = shaded(i, compare_[i]->paths, vmax_log, refresh);
        compare_canvas_.set_home({-0.3, -0.3, 2 * n + gap + 0.3, 2 * (n + title) + gap + 0.2},
                                 true);
        compare_canvas_.set_axes({}, {}, false);
        compare_canvas_.set_colorbar(paths_colorbar(vmax_log));
        compare_canvas_.draw(size, [grids, tex, vmax_log](Canvas& c) {
            for (int i = 0; i < 4; ++i) draw_grid(c, grids[i], tex[i], vmax_log);
        });
        mark_rect("rf.compare", compare_canvas_.plot_min(), compare_canvas_.plot_max());
        for (int i = 0; i < 4; ++i) {
            mark_cells(compare_canvas_, grids[i], "rf.compare." + std::to_string(i) + ".cell");
        }
        if (auto w = compare_canvas_.clicked_world()) {
            for (const GridPicture& g : grids) {
                if (auto c = cell_at(g, *w)) set_pixel(*c);
            }
        }
    }

    RfModel model_;
    RfParams params_;
    std::shared_ptr<const rf::Analysis> analysis_;
    std::array<std::shared_ptr<const rf::Analysis>, 4> compare_;
    bool dirty_ = true;
    int edit_layer_ = 0;
    int reveal_ = 0;  // layers revealed, walking back from the output; L shows the full field
    double clock_ = 0;
    int uploaded_reveal_ = -1, uploaded_view_ = -1;
    std::vector<std::unique_ptr<Heatmap>> heats_;
    Canvas field_canvas_{"rf.field"}, layers_canvas_{"rf.layers"}, compare_canvas_{"rf.compare"};
};

}  // namespace

std::unique_ptr<PanelView> make_rf_view() { return std::make_unique<RfView>(); }

}  // namespace genlab
