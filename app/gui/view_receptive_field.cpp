// Receptive-fields panel: which input pixels reach output pixel (r, c) through a stack of
// masked convolutions, the blind spot, and causality violations. Widgets and drawing only:
// the parameters, the analyses and the Play / Step walk live in RfScene (scene_rf.hpp).
//
// [SECTION] The view: scene, transport and heatmaps
// [SECTION] Controls
// [SECTION] Canvases: field, layers, compare
#include <algorithm>
#include <cmath>
#include <memory>

#include "canvas.hpp"
#include "heatmap.hpp"
#include "palette.hpp"
#include "scene_rf.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "view_receptive_field_grid.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

using rf::Cell;
using namespace rf_grid;

const ImVec4 kCustomText{0.8f, 0.4f, 0, 1};        // a drawn mask's "custom" label
const ImVec4 kBlindSpotText{0.1f, 0.3f, 0.8f, 1};  // the blind spot's tooltip line

//-----------------------------------------------------------------------------
// [SECTION] The view: scene, transport and heatmaps
//-----------------------------------------------------------------------------

class RfView : public PanelView {
  public:
    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }
    std::string bench_slider() const override { return "rf.size"; }

    void set_state(const Json& s) override {
        scene_->set_state(s);
        edit_layer_ = std::min(edit_layer_, scene_->layer_count() - 1);
    }

    Json state() const override { return scene_->state(); }

    Canvas& main_canvas() override {
        if (scene_->architecture() == rf::Architecture::Causal) return tree_canvas_;
        if (scene_->view() == "layers") return layers_canvas_;
        if (scene_->view() == "compare") return compare_canvas_;
        return field_canvas_;
    }
    std::vector<Canvas*> figure_canvases() override {
        return {&field_canvas_, &layers_canvas_, &compare_canvas_, &tree_canvas_};
    }

    std::vector<std::string> legend_lines() const override {
        return {"Outlined cell: the selected output pixel",
                "Coloured cells: its receptive field; the colour (log scale) and the number are "
                "the count of paths through the stack",
                "Hatched cells: the blind spot: earlier in the order, yet no path reaches the "
                "pixel",
                "Red-bordered cells: causality violations: later in the order, yet they feed the "
                "pixel",
                "Shaded cells: later in the generation order (top-down or bottom-up)",
                "Layers view: each layer's input cells that feed the pixel; compare view: two "
                "stacks side by side"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Click a cell: select the output pixel",
                "Click a kernel cell: toggle it (the layer's mask becomes custom)",
                "Play / Step: reveal the field one layer at a time, from the output back"};
    }

    void draw() override {
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("rf.controls", ImVec2(font * 19, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("rf.plot", ImVec2(0, 0), false);
        draw_summary();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        // marks_: what the last frame's view drew (this frame's is known only once it draws).
        const float legend_h = font * (0.9f + 1.3f * legend_rows(avail.x, marks_));
        const ImVec2 size(avail.x, std::max(avail.y - legend_h, font * 8));
        if (scene_->architecture() == rf::Architecture::Causal) {
            draw_tree(size);  // every view: the tree is already layer by layer
        } else if (scene_->view() == "layers") {
            draw_layers(size);
        } else if (scene_->view() == "compare") {
            draw_compare(size);
        } else {
            draw_field(size);
        }
        draw_legend(marks_);
        ImGui::EndChild();
    }

  private:
    int layer_count() const { return scene_->layer_count(); }

    // Heatmaps are re-uploaded only when the analysis, the view or the revealed depth changed.
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

    // Whether view `view`'s heatmaps are stale; `gen` counts the analyses they show.
    bool stale(int view, int gen, int reveal) {
        const bool refresh = uploaded_view_ != view || uploaded_gen_ != gen ||
                             (reveal >= 0 && uploaded_reveal_ != reveal);
        uploaded_view_ = view;
        uploaded_gen_ = gen;
        uploaded_reveal_ = reveal;
        return refresh;
    }

    void set_pixel(Cell c) { scene_->set_pixel(c); }

    //-------------------------------------------------------------------------
    // [SECTION] Controls
    //-------------------------------------------------------------------------

    void draw_controls() {
        RfScene& sc = *scene_;
        ImGui::TextUnformatted("View");
        for (const char* v : {"field", "layers", "compare"}) {
            ImGui::SameLine();
            if (ImGui::RadioButton(v, sc.view() == v)) sc.set_view(v);
            mark_item(std::string("rf.view.") + v);
        }
        ImGui::Separator();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        // A combo of marked items, so a test can pick one with the pointer.
        if (ImGui::BeginCombo("architecture", rf::to_string(sc.architecture()))) {
            for (rf::Architecture a :
                 {rf::Architecture::Plain, rf::Architecture::Gated, rf::Architecture::Causal}) {
                if (ImGui::Selectable(rf::to_string(a), a == sc.architecture()))
                    sc.set_architecture(a);
                mark_item(std::string("rf.architecture.") + rf::to_string(a));
            }
            ImGui::EndCombo();
        }
        mark_item("rf.architecture");
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "plain: your masked layers, each with its dilation\n"
                "gated: van den Oord et al. 2016: a vertical stack (rows above, shifted down)\n"
                "  feeding a horizontal stack (the row to the left): no blind spot\n"
                "causal1d: WaveNet's 1-D causal convolutions, dilations per layer");
        }
        const bool plain = sc.architecture() == rf::Architecture::Plain;
        const bool causal = sc.architecture() == rf::Architecture::Causal;

        if (!causal) {  // a sequence has one order: time
            int order = sc.order() == rf::Order::BottomUp;
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (ImGui::Combo("order", &order, "top-down\0bottom-up\0")) {
                sc.set_order(order ? rf::Order::BottomUp : rf::Order::TopDown);
            }
            mark_item("rf.order");
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip(
                    "top-down: rows from the top, left to right (PixelCNN, seed 003)\n"
                    "bottom-up: rows from the bottom, left to right (seed 000)");
            }
        }
        int n = sc.size();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (key_slider(causal ? "steps n" : "grid n", n, rf_keys::size)) sc.set_size(n);
        mark_item("rf.size");
        if (!causal) {  // 1-D causal layers have taps instead; k would change nothing
            int k_index = sc.kernel() / 2;
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (ImGui::Combo("kernel k", &k_index,
                             "1x1\0"
                             "3x3\0"
                             "5x5\0"
                             "7x7\0"
                             "9x9\0")) {
                sc.set_kernel(2 * k_index + 1);
            }
            mark_key_range(rf_keys::kernel);
            mark_item("rf.kernel");
        }
        if (causal) {
            int taps = sc.taps();
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (key_slider("taps", taps, rf_keys::taps)) sc.set_taps(taps);
            mark_item("rf.taps");
            ImGui::Text("step t = %d", sc.pixel().col + 1);
            ImGui::TextDisabled("click a step to select it");
        } else {
            ImGui::Text("pixel  %s   (row %d, col %d)", cell_name(sc.pixel(), sc.size()).c_str(),
                        sc.pixel().row + 1, sc.pixel().col + 1);
            ImGui::TextDisabled("click a cell to select it");
        }
        ImGui::Separator();
        draw_layer_list();
        ImGui::Separator();
        if (plain) {
            draw_kernel_editor();
        } else if (!causal) {
            const int k = sc.kernel(), half = k / 2 + 1;
            ImGui::TextWrapped(
                "Gated kernels: vertical %d rows x %d columns (shifted down one row), "
                "horizontal 1 x %d (mask A in layer 1), vertical -> horizontal link",
                half, k, half);
        }
        ImGui::Separator();
        draw_growth();
    }

    // Receptive-field size against depth: the span (rows or columns, whichever is more) of
    // the stack cut after each layer. Linear for plain and gated, exponential for dilations
    // that double.
    void draw_growth() {
        const std::vector<rf::GrowthPoint>& g = scene_->growth();
        std::vector<float> span;
        for (const rf::GrowthPoint& p : g) span.push_back(static_cast<float>(p.span));
        const float top = span.empty() ? 1 : *std::max_element(span.begin(), span.end());
        const std::string last = g.empty() ? "" : std::to_string(g.back().span);
        ImGui::Text("Growth: field span vs depth");
        ImGui::PlotHistogram("##growth", span.data(), static_cast<int>(span.size()), 0,
                             ("span " + last + " at depth " + std::to_string(g.size())).c_str(), 0,
                             top * 1.15f,
                             ImVec2(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 4.5f));
        mark_item("rf.growth");
        std::string cells;
        for (const rf::GrowthPoint& p : g)
            cells += (cells.empty() ? "" : " ") + std::to_string(p.cells);
        ImGui::TextDisabled("depth 1..%zu; cells: %s", g.size(), cells.c_str());
    }

    void draw_layer_list() {
        RfScene& sc = *scene_;
        ImGui::Text("Layers (input first): %d", layer_count());
        int move_from = -1, move_to = -1, remove = -1;
        for (int l = 0; l < layer_count(); ++l) {
            ImGui::PushID(l);
            const rf::MaskKind kind = sc.kind(l);
            if (ImGui::Selectable(("##sel" + std::to_string(l)).c_str(), edit_layer_ == l, 0,
                                  ImVec2(ImGui::GetFontSize() * 1.2f, 0))) {
                edit_layer_ = l;
            }
            ImGui::SameLine(0, 0);
            ImGui::Text("%2d", l + 1);
            const rf::Architecture arch = sc.architecture();
            for (rf::MaskKind k : {rf::MaskKind::A, rf::MaskKind::B, rf::MaskKind::None}) {
                if (arch != rf::Architecture::Plain) break;  // gated and causal1d: own kernels
                ImGui::SameLine();
                if (ImGui::RadioButton(rf::to_string(k), kind == k)) {
                    sc.set_kind(l, k);
                    edit_layer_ = l;
                }
                mark_item("rf.layer." + std::to_string(l + 1) + "." + rf::to_string(k));
            }
            if (arch == rf::Architecture::Gated) {
                ImGui::SameLine();
                ImGui::TextDisabled(l == 0 ? "v + h (mask A)" : "v + h");
            } else if (arch == rf::Architecture::Causal) {
                // Plain layers set theirs under the kernel editor: this row is full there.
                ImGui::SameLine();
                dilation_drag(l, "##d");
                mark_item("rf.layer." + std::to_string(l + 1) + ".dilation");
            }
            if (kind == rf::MaskKind::Custom && arch == rf::Architecture::Plain) {
                ImGui::SameLine();
                ImGui::TextColored(kCustomText, "custom");
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
        if (move_from >= 0) {
            sc.move_layer(move_from, move_to);
            edit_layer_ = move_to;
        }
        if (remove >= 0) {
            sc.remove_layer(remove);
            // Keep editing the same layer: the ones after the removed one moved up.
            if (remove < edit_layer_) --edit_layer_;
            edit_layer_ = std::min(edit_layer_, layer_count() - 1);
        }
        ImGui::BeginDisabled(layer_count() >= kRfMaxLayers);
        if (ImGui::Button(sc.architecture() == rf::Architecture::Plain ? "+ add layer (B)"
                                                                       : "+ add layer")) {
            sc.add_layer();
            edit_layer_ = layer_count() - 1;
        }
        mark_item("rf.add_layer");
        ImGui::EndDisabled();
    }

    // Layer l's dilation, dragged (1..256).
    void dilation_drag(int l, const char* label) {
        int d = scene_->dilation(l);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.6f);
        if (ImGui::DragInt(label, &d, 0.1f, static_cast<int>(rf_keys::dilation.lo),
                           static_cast<int>(rf_keys::dilation.hi), "d%d",
                           ImGuiSliderFlags_AlwaysClamp)) {
            scene_->set_dilation(l, d);
        }
    }

    void draw_kernel_editor() {
        const int k = scene_->kernel();
        ImGui::Text("Kernel of layer %d (click to toggle)", edit_layer_ + 1);
        const rf::Mask& mask = scene_->mask(edit_layer_);
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
                    scene_->toggle_kernel_cell(edit_layer_, i, j);
                }
                ImGui::PopStyleColor(2);
                mark_item("rf.kernel." + std::to_string(i + 1) + "." + std::to_string(j + 1));
                ImGui::PopID();
            }
        }
        ImGui::PopStyleVar();
        ImGui::TextDisabled("o: the centre (the pixel's own position)");
        dilation_drag(edit_layer_, "dilation of this layer");
        mark_item("rf.dilation");
    }

    //-------------------------------------------------------------------------
    // [SECTION] Canvases: field, layers, compare
    //-------------------------------------------------------------------------

    void draw_summary() {
        RfScene& sc = *scene_;
        const int n = sc.size();
        if (sc.architecture() == rf::Architecture::Causal) {
            const std::shared_ptr<const rf::Analysis> a = sc.analysis();
            ImGui::Text("Receptive field of step %d: %zu steps, %d taps per layer",
                        sc.pixel().col + 1, a->cells.size(), sc.taps());
            std::string holes;
            for (const Cell& c : a->blind_spot) holes += " " + std::to_string(c.col + 1);
            text_wrapped("holes (steps in the span no path reaches):" +
                         (holes.empty() ? std::string(" none") : holes));
            return;
        }
        if (sc.view() == "compare" && sc.architecture() == rf::Architecture::Gated) {
            ImGui::Text("Pixel %s, %s order, %dx%d kernels, depth %d: plain vs gated",
                        cell_name(sc.pixel(), n).c_str(), rf::to_string(sc.order()), sc.kernel(),
                        sc.kernel(), layer_count());
            const char* names[2] = {"plain (A, then B)", "gated"};
            for (int i = 0; i < 2; ++i) {
                const auto a = sc.versus(i);
                text_wrapped(std::string(names[i]) + ": " + std::to_string(a->cells.size()) +
                             " cells; blind spot " + std::to_string(a->blind_spot.size()) +
                             " cells: " + cell_list(a->blind_spot, n, 20));
            }
            return;
        }
        if (sc.view() == "compare") {  // the grids are the four 2-layer stacks, not yours
            ImGui::Text(
                "Pixel %s, %s order, %dx%d kernels: the four two-layer stacks "
                "(first layer, then second)",
                cell_name(sc.pixel(), n).c_str(), rf::to_string(sc.order()), sc.kernel(),
                sc.kernel());
            const char* names[4] = {"A/A", "A/B", "B/A", "B/B"};
            for (int i = 0; i < 4; ++i) {
                text_wrapped(std::string(names[i]) + ": " + cell_list(sc.compare(i)->cells, n));
            }
            return;
        }
        const std::shared_ptr<const rf::Analysis> a = sc.analysis();
        const bool causal = a->violations.empty();
        ImGui::Text("Receptive field of %s: %zu cells", cell_name(sc.pixel(), n).c_str(),
                    a->cells.size());
        ImGui::SameLine(0, ImGui::GetFontSize() * 2);
        ImGui::TextColored(
            causal ? palette::kOkText : palette::kErrorText,
            causal ? "causal: only earlier pixels reach it" : "NOT causal: %zu violating cell(s)",
            a->violations.size());
        text_wrapped("field: " + cell_list(a->cells, n));
        text_wrapped("blind spot: " + cell_list(a->blind_spot, n) +
                     "    violations: " + cell_list(a->violations, n));
    }

    void draw_field(ImVec2 size) {
        RfScene& sc = *scene_;
        const int n = sc.size();
        const bool full = sc.fully_revealed();
        const std::shared_ptr<const rf::Analysis> analysis = sc.analysis();
        const std::shared_ptr<const rf::Counts> counts_owner = sc.revealed_counts();
        const rf::Counts& counts = *counts_owner;
        const double vmax_log = max_log_count({&analysis->paths, &counts});
        const bool refresh = stale(0, sc.recomputes(RfScene::Part::Paths), sc.revealed());
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
        field_canvas_.set_title("Receptive field of pixel " + cell_name(sc.pixel(), n) + ": " +
                                std::to_string(analysis->cells.size()) + " cells");
        GridPicture g;
        g.n = n;
        g.order = sc.order();
        g.counts = &counts;
        g.pixel = sc.pixel();
        g.blind_spot = full ? &analysis->blind_spot : nullptr;
        g.violations = full ? &analysis->violations : nullptr;
        marks_ = marks_of({g});
        field_canvas_.set_legend(export_legend(marks_));
        g.keep_alive = std::make_shared<std::pair<decltype(analysis), decltype(counts_owner)>>(
            analysis, counts_owner);
        // By value: export_png() replays the content after this function has returned.
        field_canvas_.draw(size, [g, tex, vmax_log](Canvas& c) { draw_grid(c, g, tex, vmax_log); });
        mark_rect("rf.grid", field_canvas_.plot_min(), field_canvas_.plot_max());
        mark_cells(field_canvas_, g, "rf.cell");
        if (!full) {
            ImGui::SetCursorScreenPos(
                ImVec2(field_canvas_.plot_min().x + 8, field_canvas_.plot_min().y + 6));
            ImGui::TextColored(ImVec4(0.1f, 0.1f, 0.5f, 1), "after %d of %d layers (walking back)",
                               sc.revealed(), layer_count());
            ImGui::SetCursorScreenPos(
                ImVec2(field_canvas_.plot_min().x, field_canvas_.plot_max().y));
            ImGui::Dummy(ImVec2(1, ImGui::GetFontSize() * 2.6f));
        }
        if (auto w = field_canvas_.clicked_world()) {
            if (auto c = cell_at(g, *w)) set_pixel(*c);
        }
        if (auto w = field_canvas_.hover_world()) {
            // While revealing, the grid shows layer L−m's input: explain those numbers.
            if (auto c = cell_at(g, *w); c && sc.revealed_layer() < layer_count()) {
                cell_tooltip(*c, sc.revealed_layer());
            }
        }
    }

    // The tooltip shows where a count comes from: paths into layer l's input cell are the
    // sum, over the kernel offsets its mask keeps, of the paths at the next layer.
    void cell_tooltip(Cell c, int layer) {
        RfScene& sc = *scene_;
        const int n = sc.size(), L = layer_count();
        const std::shared_ptr<const rf::Analysis> a = sc.analysis();
        const rf::Counts& here = a->layer_paths[layer];
        const std::vector<double> next = sc.path_terms(c, layer);
        std::string terms;
        for (size_t i = 0; i < next.size() && i < 8; ++i) {
            terms += (terms.empty() ? "" : " + ") + count_text(next[i]);
        }
        if (next.size() > 8) terms += " + …";
        ImGui::BeginTooltip();
        ImGui::Text("cell %s  (row %d, col %d)", cell_name(c, n).c_str(), c.row + 1, c.col + 1);
        ImGui::Text("paths to %s: %s", cell_name(sc.pixel(), n).c_str(),
                    count_text(here(c.row, c.col)).c_str());
        if (!terms.empty()) {
            ImGui::TextDisabled("= sum over kept kernel offsets of paths at layer %d: %s",
                                layer + 2 > L ? L : layer + 2, terms.c_str());
        }
        if (layer == 0) {
            if (c == sc.pixel()) ImGui::TextUnformatted("the selected pixel");
            if (contains(a->violations, c)) {
                ImGui::TextColored(palette::kErrorText,
                                   "violation: not earlier than the pixel, yet it reaches it");
            } else if (contains(a->blind_spot, c)) {
                ImGui::TextColored(kBlindSpotText,
                                   "blind spot: earlier and within reach of unmasked kernels,\n"
                                   "but no masked path reaches the pixel");
            } else if (here(c.row, c.col) > 0) {
                ImGui::TextUnformatted("in the receptive field");
            }
        }
        ImGui::EndTooltip();
    }

    std::string mask_label(int layer) const {
        // Gated: the horizontal kernel's mask (A in layer 1, B after); short, as titles are.
        if (scene_->architecture() == rf::Architecture::Gated) return layer ? "B" : "A";
        const int d = scene_->dilation(layer);
        return std::string(rf::to_string(scene_->kind(layer))) +
               (d > 1 ? ", d" + std::to_string(d) : "");
    }

    void draw_layers(ImVec2 size) {
        RfScene& sc = *scene_;
        const std::shared_ptr<const rf::Analysis> analysis = sc.analysis();
        const int n = sc.size(), L = layer_count();
        const int per_row = std::min(L + 1, 4);
        const double gap = std::max(1.0, n * 0.35), title = 1.2;
        const int rows = (L + 1 + per_row - 1) / per_row;
        std::vector<GridPicture> grids(L + 1);
        std::vector<const rf::Counts*> all;
        for (int g = 0; g <= L; ++g) {
            GridPicture& pic = grids[g];
            pic.n = n;
            pic.order = sc.order();
            pic.pixel = sc.pixel();
            pic.show_pixel = true;
            pic.counts = g < L ? &analysis->layer_paths[g] : nullptr;
            pic.keep_alive = analysis;
            if (g < L) all.push_back(pic.counts);
            pic.dimmed = g < sc.revealed_layer();
            pic.title = g == 0  ? "input → layer 1 (" + mask_label(0) + ")"
                        : g < L ? "layer " + std::to_string(g) + " → layer " +
                                      std::to_string(g + 1) + " (" + mask_label(g) + ")"
                                : "output";
            const int row = g / per_row, col = g % per_row;
            pic.offset = {col * (n + gap), (rows - 1 - row) * (n + gap + title)};
        }
        const double vmax_log = max_log_count(all);
        const bool refresh = stale(1, sc.recomputes(RfScene::Part::Paths), sc.revealed());
        std::vector<GLuint> tex(L + 1, 0);
        for (int g = 0; g < L; ++g) tex[g] = shaded(g, analysis->layer_paths[g], vmax_log, refresh);
        layers_canvas_.set_home(
            {-0.3, -0.3, per_row * (n + gap) - gap + 0.3, rows * (n + gap + title) - gap + 0.2},
            true);
        layers_canvas_.set_axes({}, {}, false);
        layers_canvas_.set_colorbar(paths_colorbar(vmax_log));
        layers_canvas_.set_title("Layer by layer: the cells that feed pixel " +
                                 cell_name(sc.pixel(), n));
        marks_ = marks_of(grids);
        layers_canvas_.set_legend(export_legend(marks_));
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

    // A compare grid of analysis `a`, with its blind spot and violations.
    GridPicture compare_grid(const std::shared_ptr<const rf::Analysis>& a, std::string title,
                             Vec2 offset) {
        GridPicture g;
        g.n = scene_->size();
        g.order = scene_->order();
        g.pixel = scene_->pixel();
        g.counts = &a->paths;
        g.keep_alive = a;
        g.blind_spot = &a->blind_spot;
        g.violations = &a->violations;
        g.title = std::move(title);
        g.offset = offset;
        return g;
    }

    // The compare canvas showing `grids` (view id and generation for the heatmap cache);
    // a click on any of them selects the pixel.
    void draw_compare_grids(ImVec2 size, const std::vector<GridPicture>& grids, int view, int gen,
                            WorldRect home, const std::string& title, const std::string& prefix) {
        std::vector<const rf::Counts*> all;
        for (const GridPicture& g : grids) all.push_back(g.counts);
        const double vmax_log = max_log_count(all);
        const bool refresh = stale(view, gen, -1);
        std::vector<GLuint> tex(grids.size());
        for (size_t i = 0; i < grids.size(); ++i)
            tex[i] = shaded(i, *grids[i].counts, vmax_log, refresh);
        compare_canvas_.set_home(home, true);
        compare_canvas_.set_axes({}, {}, false);
        compare_canvas_.set_colorbar(paths_colorbar(vmax_log));
        compare_canvas_.set_title(title);
        marks_ = marks_of(grids);
        compare_canvas_.set_legend(export_legend(marks_));
        compare_canvas_.draw(size, [grids, tex, vmax_log](Canvas& c) {
            for (size_t i = 0; i < grids.size(); ++i) draw_grid(c, grids[i], tex[i], vmax_log);
        });
        mark_rect("rf.compare", compare_canvas_.plot_min(), compare_canvas_.plot_max());
        for (size_t i = 0; i < grids.size(); ++i) {
            mark_cells(compare_canvas_, grids[i], prefix + std::to_string(i) + ".cell");
        }
        if (auto w = compare_canvas_.clicked_world()) {
            for (const GridPicture& g : grids) {
                if (auto c = cell_at(g, *w)) set_pixel(*c);
            }
        }
    }

    // Plain (A, then B) and gated stacks of the same depth, side by side.
    void draw_versus(ImVec2 size) {
        RfScene& sc = *scene_;
        const int n = sc.size();
        const double gap = std::max(1.0, n * 0.3), title = 1.2;
        const std::string depth = std::to_string(layer_count());
        const std::string names[2] = {"plain x" + depth, "gated x" + depth};
        std::vector<GridPicture> grids;
        for (int i = 0; i < 2; ++i) {
            const std::shared_ptr<const rf::Analysis> a = sc.versus(i);
            grids.push_back(compare_grid(
                a,
                names[i] + ": " + std::to_string(a->cells.size()) + " cells, " +
                    (a->blind_spot.empty() ? "no blind spot"
                                           : std::to_string(a->blind_spot.size()) + " blind"),
                {i * (n + gap), 0}));
        }
        draw_compare_grids(
            size, grids, 3, sc.recomputes(RfScene::Part::Versus),
            {-0.3, -0.3, 2 * n + gap + 0.3, n + title + 0.2},
            "Pixel " + cell_name(sc.pixel(), n) + ": the blind spot and its fix (gated PixelCNN)",
            "rf.versus.");
    }

    // causal1d: the layered tree of time steps, walked back like the field.
    void draw_tree(ImVec2 size) {
        RfScene& sc = *scene_;
        const int n = sc.size(), L = layer_count();
        const std::shared_ptr<const rf::Analysis> a = sc.analysis();
        TreePicture t;
        t.n = n;
        t.levels = a->layer_paths;
        rf::Counts out = rf::Counts::Zero(1, n);
        out(0, sc.pixel().col) = 1;
        t.levels.push_back(out);
        for (int l = 0; l < L; ++l) t.dilations.push_back(sc.dilation(l));
        t.taps = sc.taps();
        t.step = sc.pixel().col;
        const bool full = sc.fully_revealed();
        if (full) {
            t.blind_spot = a->blind_spot;
            t.violations = a->violations;
        }
        t.dim_below = full ? 0 : sc.revealed_layer();
        t.title = "Step " + std::to_string(t.step + 1) + ": " + std::to_string(a->cells.size()) +
                  " input steps";
        std::vector<const rf::Counts*> all;
        for (const rf::Counts& c : t.levels) all.push_back(&c);
        const double vmax_log = max_log_count(all);
        tree_canvas_.set_home({-kTreeMargin, -0.6, n + 0.5, L * kTreeLevel + 2.4}, false);
        tree_canvas_.set_axes({"time step",
                               [n](double v) {
                                   return v < 0 || v >= n ? std::string()
                                                          : std::to_string(static_cast<int>(v) + 1);
                               },
                               1, 0.5},
                              // The levels are named inside the plot, not by numbers.
                              {"", [](double) { return std::string(); }, 1, 0}, true);
        tree_canvas_.set_colorbar(paths_colorbar(vmax_log));
        tree_canvas_.set_title("Causal 1-D convolutions (WaveNet): the tree of step " +
                               std::to_string(t.step + 1));
        marks_ = {!t.blind_spot.empty(), !t.violations.empty()};
        tree_canvas_.set_legend(export_legend(marks_));
        tree_canvas_.draw(size, [t, vmax_log](Canvas& c) { rf_grid::draw_tree(c, t, vmax_log); });
        mark_rect("rf.tree", tree_canvas_.plot_min(), tree_canvas_.plot_max());
        if (test_dump_enabled() && n <= 64) {
            for (int u = 0; u < n; ++u) {
                mark_rect("rf.step." + std::to_string(u + 1),
                          tree_canvas_.to_screen({u + 0.0, L * kTreeLevel + 1.0}),
                          tree_canvas_.to_screen({u + 1.0, L * kTreeLevel}));
            }
        }
        if (auto w = tree_canvas_.clicked_world()) {
            if (auto u = step_at(t, *w)) set_pixel({sc.pixel().row, *u});
        }
    }

    void draw_compare(ImVec2 size) {
        if (scene_->architecture() == rf::Architecture::Gated) return draw_versus(size);
        RfScene& sc = *scene_;
        const int n = sc.size();
        const double gap = std::max(1.0, n * 0.3), title = 1.2;
        const char* names[4] = {"A then A", "A then B", "B then A", "B then B"};
        std::vector<GridPicture> grids;
        for (int i = 0; i < 4; ++i) {
            const std::shared_ptr<const rf::Analysis> a = sc.compare(i);
            grids.push_back(compare_grid(a,
                                         std::string(names[i]) + ": " +
                                             std::to_string(a->cells.size()) + " cells" +
                                             (a->violations.empty() ? "" : ", NOT causal"),
                                         {(i % 2) * (n + gap), (1 - i / 2) * (n + gap + title)}));
        }
        draw_compare_grids(size, grids, 2, sc.recomputes(RfScene::Part::Compare),
                           {-0.3, -0.3, 2 * n + gap + 0.3, 2 * (n + title) + gap + 0.2},
                           "Receptive fields of pixel " + cell_name(sc.pixel(), n) + " compared",
                           "rf.compare.");
    }

    std::unique_ptr<RfScene> scene_ = std::make_unique<RfScene>();
    int edit_layer_ = 0;  // the layer the kernel editor shows
    // What the heatmaps hold: the view, the analysis (a recompute count) and the depth.
    int uploaded_view_ = -1, uploaded_gen_ = -1, uploaded_reveal_ = -1;
    std::vector<std::unique_ptr<Heatmap>> heats_;
    rf_grid::LegendMarks marks_;  // the optional marks the drawn view shows, for its legend
    Canvas field_canvas_{"rf.field"}, layers_canvas_{"rf.layers"}, compare_canvas_{"rf.compare"},
        tree_canvas_{"rf.tree"};
};

}  // namespace

std::unique_ptr<PanelView> make_rf_view() { return std::make_unique<RfView>(); }

}  // namespace genlab
