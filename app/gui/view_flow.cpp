// Flow-warping panel: a base Gaussian pushed through editable normalizing-flow layers: the
// warped grid, the pushed-forward density, log|det J| with its folds, samples, and where a
// layer stops being invertible. Widgets and drawing only: the numbers are FlowScene's
// (model/scene_flow.hpp), the layer editors are built from the descriptors (flow_layers.hpp).
//
// [SECTION] Helpers
// [SECTION] The view
// [SECTION] Controls: layers and their badges
// [SECTION] Readouts
// [SECTION] The canvas
#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>

#include "canvas.hpp"
#include "format.hpp"
#include "heatmap.hpp"
#include "palette.hpp"
#include "scene_flow.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "view_flow_common.hpp"
#include "view_flow_map1d.hpp"
#include "view_flow_train.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

using namespace flow_view;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

constexpr ImU32 kGridLine = IM_COL32(255, 255, 255, 150);
constexpr ImU32 kGridLineOnLight = IM_COL32(40, 40, 60, 120);
constexpr ImU32 kSample = IM_COL32(250, 120, 20, 200);
constexpr ImU32 kFold = IM_COL32(230, 20, 20, 255);
constexpr ImU32 kHandleTones[2] = {IM_COL32(30, 120, 230, 255),  // a direction (w)
                                   IM_COL32(230, 60, 30, 255)};  // a point (u, z0)
constexpr ImU32 kProbe = IM_COL32(255, 255, 255, 255);
constexpr ImU32 kTarget = IM_COL32(255, 90, 150, 235);  // pink: apart from grid and handles
std::string verdict_text(const flow::Invertibility& inv) {
    switch (inv.verdict) {
        case flow::Verdict::Proved:
            return "invertible (proved): " + inv.reason;
        case flow::Verdict::Disproved:
            return "not invertible (proved): " + inv.reason +
                   (inv.witness.text.empty() ? "" : "; witness: " + inv.witness.text);
        case flow::Verdict::NotProved:
            return "invertibility not proved: " + inv.reason;
    }
    return inv.reason;
}

// "+∞" / "−∞" for the density's meaningful infinities (never "inf" or "nan" on screen).
std::string log_p_text(double v) {
    if (std::isinf(v)) return v > 0 ? "+∞" : "−∞";
    return format_g(v, 5);
}

using Handles = std::vector<std::tuple<Vec2, ImU32, std::string>>;

//-----------------------------------------------------------------------------
// [SECTION] The view
//-----------------------------------------------------------------------------

class FlowView : public PanelView {
  public:
    FlowView() { set_state(scene_->model().defaults()); }

    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }

    void set_state(const Json& s) override {
        scene_->set_state(s);
        selected_ = std::min(selected_, scene_->layer_count() - 1);
        const FlowParams& p = scene_->params();
        const WorldRect home{p.view_center[0] - p.view_extent, p.view_center[1] - p.view_extent,
                             p.view_center[0] + p.view_extent, p.view_center[1] + p.view_extent};
        canvas_.set_home(home, true);
    }

    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return canvas_; }
    std::vector<Canvas*> figure_canvases() override {
        if (scene_->mode() == "map1d") return map1d_.canvases();
        if (scene_->params().training())
            return {&train_.target_canvas, &canvas_, &train_.loss_canvas};
        return {&canvas_};
    }
    std::string bench_slider() const override { return "flow.param.1."; }

    std::vector<std::string> legend_lines() const override {
        if (scene_->mode() == "map1d") return map1d_.legend_lines();
        return {
            "Heatmap: the density p(x) after the layers shown (colourbar: p)",
            "White lines: the base grid pushed through the layers",
            "log|det J|: the Jacobian's log-volume change over the base plane; folds where "
            "det J ≤ 0 (the map is not one-to-one there)",
            "Dots: samples u ~ N(μ, σ²) pushed through the stack",
            "Red and blue handles: u and w of the selected planar layer (or z0 of a radial one)",
            "Black dot: the probe x; its log p(x), F⁻¹(x) and |F(F⁻¹(x)) − x| are read out",
            "✓ / ✗ / ? beside a layer: invertible (proved) / not invertible (proved, with a "
            "witness) / not proved, so no density (hover: why)",
            "Train tab: left the target p (its density, or a histogram of its samples), right "
            "the model q, on one colour scale; below, the loss per step and its running mean"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Click the plot: move the probe (its density, log|det| and inverse are read out)",
                "Drag the handles of the selected layer: u, w (planar) or z0 (radial)",
                "Play: animate layer by layer; the scrubber picks the layer",
                "Train tab: Play trains (Step: one frame's steps, Reset: the untrained stack); "
                "with the points target, click the target plot to add points"};
    }

    void draw() override {
        draw_flow_mode_tabs(*scene_, shown_mode_);
        if (scene_->mode() == "map1d") return map1d_.Draw();
        const float font = ImGui::GetFontSize();
        const bool training = scene_->params().training();
        ImGui::BeginChild("flow.controls", ImVec2(font * 22, 0), true);
        if (training) {
            train_.draw_controls(*scene_);
            ImGui::Separator();
            draw_view_controls();
        } else {
            draw_controls();
        }
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("flow.plot", ImVec2(0, 0), false);
        if (training) {
            draw_training_plots();
        } else {
            draw_summary();
            draw_kl_summary();
            draw_canvas(ImGui::GetContentRegionAvail());
        }
        ImGui::EndChild();
    }

  private:
    int layer_count() const { return scene_->layer_count(); }

    //-------------------------------------------------------------------------
    // [SECTION] Train mode
    //-------------------------------------------------------------------------

    // Train mode: the target and the model side by side on one colour scale, the loss below.
    void draw_training_plots() {
        train_.draw_summary(*scene_);
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float gap = ImGui::GetStyle().ItemSpacing.x;
        const float loss_h = std::max(ImGui::GetFontSize() * 8, avail.y * 0.28f);
        const ImVec2 half((avail.x - gap) / 2, std::max(50.0f, avail.y - loss_h - gap));
        update_density();  // the model's density first: the shared scale needs its peak
        const FlowScene::Density& d = scene_->last_density();
        shared_peak_ = std::max(d.peak, train_.target_peak(*scene_, d));
        update_density();  // re-coloured when the target raised the top
        // One title height for both, so the two plot areas match and compare cell by cell.
        const std::string titles[2] = {train_.target_title(*scene_),
                                       canvas_title(p_showing("density"), p_showing("logdet"))};
        float title_h = 0;
        for (const std::string& t : titles)
            title_h = std::max(title_h, ImGui::CalcTextSize(t.c_str(), nullptr, false, half.x).y);
        title_h += ImGui::GetStyle().ItemSpacing.y;
        const ImVec2 plot(half.x, std::max(50.0f, half.y - title_h));
        for (int i = 0; i < 2; ++i) {
            if (i) ImGui::SameLine();
            ImGui::BeginGroup();
            const float h = plot_title(titles[i].c_str(), half.x);
            if (title_h > h) ImGui::Dummy(ImVec2(1, title_h - h - ImGui::GetStyle().ItemSpacing.y));
            if (i == 0)
                train_.draw_target(*scene_, plot,
                                   canvas_.drawn_once() ? canvas_.view() : home_view(),
                                   colour_scale());
            else
                draw_canvas(plot);
            ImGui::EndGroup();
        }
        train_.draw_loss(*scene_, ImVec2(avail.x, std::max(50.0f, loss_h - gap)));
    }

    bool p_showing(const char* what) const { return scene_->params().showing(what); }

    WorldRect home_view() const {
        const FlowParams& p = scene_->params();
        return {p.view_center[0] - p.view_extent, p.view_center[1] - p.view_extent,
                p.view_center[0] + p.view_extent, p.view_center[1] + p.view_extent};
    }

    // The density's colour scale: its own peak, or in train mode the larger of the model's
    // and the target's, so equal colours mean equal p on both plots.
    FlowColourScale colour_scale() const {
        const FlowScene::Density& d = scene_->last_density();
        FlowColourScale c;
        c.vmax = scene_->params().training() ? std::max(d.peak, shared_peak_) : d.peak;
        c.log_scale = scene_->params().showing("logscale");
        std::tie(c.log_lo, c.log_hi) = log_range(c.vmax);
        return c;
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls: layers and their badges
    //-------------------------------------------------------------------------

    void draw_controls() {
        const float w = ImGui::GetFontSize() * 10;
        const flow::Stack& stack = scene_->params().stack;
        ImGui::TextUnformatted("Base: N(μ, diag σ²)");
        float mean[2] = {static_cast<float>(stack.base_mean[0]),
                         static_cast<float>(stack.base_mean[1])};
        float sd[2] = {static_cast<float>(stack.base_std[0]),
                       static_cast<float>(stack.base_std[1])};
        const NumberKey& km = flow_keys::base_mean;
        const NumberKey& ks = flow_keys::base_std;
        ImGui::SetNextItemWidth(w);
        if (ImGui::DragFloat2("μ##base", mean, 0.02f, static_cast<float>(km.lo),
                              static_cast<float>(km.hi), "%.2f", ImGuiSliderFlags_AlwaysClamp))
            scene_->set_base({mean[0], mean[1]}, stack.base_std);
        mark_key_range(km);
        ImGui::SetNextItemWidth(w);
        if (ImGui::DragFloat2("σ##base", sd, 0.01f, static_cast<float>(ks.lo),
                              static_cast<float>(ks.hi), "%.2f", ImGuiSliderFlags_AlwaysClamp))
            scene_->set_base(stack.base_mean, {sd[0], sd[1]});
        mark_key_range(ks);
        ImGui::Separator();
        draw_layer_list();
        ImGui::Separator();
        draw_view_controls();
    }

    void draw_layer_list() {
        ImGui::Text("Layers, from the base: %d", layer_count());
        int move_from = -1, move_to = -1, remove = -1;
        for (int k = 0; k < layer_count(); ++k) {
            flow::Layer l = scene_->layer(k);
            const flow::Invertibility inv = scene_->invertibility()[static_cast<size_t>(k)];
            ImGui::PushID(k);
            const std::string header =
                std::to_string(k + 1) + " " + flow_layer_type(l.type).name + "  " + badge(inv);
            ImGui::PushStyleColor(ImGuiCol_Text, verdict_colour(inv.verdict));
            const bool open = ImGui::CollapsingHeader(
                header.c_str(), k == selected_ ? ImGuiTreeNodeFlags_DefaultOpen : 0);
            ImGui::PopStyleColor();
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", verdict_text(inv).c_str());
            mark_item("flow.layer." + std::to_string(k + 1));
            mark_value("flow.badge." + std::to_string(k + 1),
                       inv.invertible
                           ? "ok"
                           : std::string(flow::to_string(inv.verdict)) + ": " + inv.reason);
            if (ImGui::IsItemClicked()) selected_ = k;
            // The reason stays on screen: under the header when the layer is not proved, and
            // in its expanded section whatever the verdict.
            if (!inv.invertible || open) {
                coloured_wrapped(verdict_text(inv), verdict_colour(inv.verdict));
                mark_item("flow.reason." + std::to_string(k + 1));
            }
            if (open) {
                if (edit_layer(l, k)) {
                    selected_ = k;
                    scene_->set_layer(k, l);
                }
                if (ImGui::ArrowButton("up", ImGuiDir_Up) && k > 0) move_from = k, move_to = k - 1;
                ImGui::SameLine();
                if (ImGui::ArrowButton("down", ImGuiDir_Down) && k + 1 < layer_count())
                    move_from = k, move_to = k + 1;
                ImGui::SameLine();
                if (ImGui::SmallButton("remove")) remove = k;
                mark_item("flow.remove." + std::to_string(k + 1));
            }
            ImGui::PopID();
        }
        if (move_from >= 0) {
            scene_->move_layer(move_from, move_to);
            selected_ = move_to;
        }
        if (remove >= 0) {
            scene_->remove_layer(remove);
            if (remove < selected_) --selected_;
            selected_ = std::min(selected_, layer_count() - 1);
        }
        ImGui::BeginDisabled(layer_count() >= kFlowMaxLayers);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        if (ImGui::BeginCombo("##add", "+ add a layer")) {
            for (const FlowLayerType& t : flow_layer_types()) {
                if (ImGui::Selectable(t.name)) {
                    scene_->add_layer(t.name);
                    selected_ = layer_count() - 1;
                }
                mark_item(std::string("flow.add.") + t.name);
            }
            ImGui::EndCombo();
        }
        mark_item("flow.add");
        ImGui::EndDisabled();
    }

    // The layer's keys as its descriptor's widgets; true when one changed.
    static bool edit_layer(flow::Layer& l, int k) {
        const float w = ImGui::GetFontSize() * 10;
        const FlowLayerType& type = flow_layer_type(l.type);
        const std::string prefix = "flow.param." + std::to_string(k + 1) + ".";
        const auto flags = ImGuiSliderFlags_AlwaysClamp;
        bool edited = false, rows_drawn = false;
        for (const LayerKey& key : type.keys) {
            const float lo = static_cast<float>(key.edit_lo), hi = static_cast<float>(key.edit_hi);
            switch (key.widget) {
                case LayerWidget::Drag2: {
                    flow::Vec2& v = l.*key.vec2;
                    float f[2] = {static_cast<float>(v[0]), static_cast<float>(v[1])};
                    ImGui::SetNextItemWidth(w);
                    if (ImGui::DragFloat2(key.label, f, 0.02f, lo, hi, "%.2f", flags))
                        v = {f[0], f[1]}, edited = true;
                    break;
                }
                case LayerWidget::Slider: {
                    float f = static_cast<float>(l.*key.number);
                    ImGui::SetNextItemWidth(w);
                    if (ImGui::SliderFloat(key.label, &f, lo, hi, "%.3f", flags))
                        l.*key.number = f, edited = true;
                    break;
                }
                case LayerWidget::Checkbox:
                    if (ImGui::Checkbox(key.label, &(l.*key.flag))) edited = true;
                    break;
                case LayerWidget::LowerDrag3: {
                    flow::Mat2& m = l.*key.mat2;
                    float d[3] = {static_cast<float>(m(0, 0)), static_cast<float>(m(1, 0)),
                                  static_cast<float>(m(1, 1))};
                    ImGui::SetNextItemWidth(w);
                    if (ImGui::DragFloat3(key.label, d, 0.01f, lo, hi, "%.2f", flags)) {
                        m << d[0], 0, d[1], d[2];
                        edited = true;
                    }
                    break;
                }
                case LayerWidget::Drag4: {
                    flow::Mat2& m = l.*key.mat2;
                    float d[4] = {static_cast<float>(m(0, 0)), static_cast<float>(m(0, 1)),
                                  static_cast<float>(m(1, 0)), static_cast<float>(m(1, 1))};
                    ImGui::SetNextItemWidth(w);
                    if (ImGui::DragFloat4(key.label, d, 0.01f, lo, hi, "%.2f", flags)) {
                        m << d[0], d[1], d[2], d[3];
                        edited = true;
                    }
                    break;
                }
                case LayerWidget::ListRows:
                    if (!rows_drawn) edited |= edit_rows(l, type, key, w);
                    rows_drawn = true;
                    break;
            }
            if (key.test_id) mark_item(prefix + key.name);
            if (key.tooltip && ImGui::IsItemHovered())
                ImGui::SetTooltip("%s", key.tooltip(l).c_str());
        }
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        text_wrapped(type.formula(l));  // a coupling's formula is longer than the column
        ImGui::PopStyleColor();
        return edited;
    }

    // The type's lists (at most four: sigmoidal a, b, w; coupling a, c, vs, vt) edited
    // together, one row per index.
    static bool edit_rows(flow::Layer& l, const FlowLayerType& type, const LayerKey& first,
                          float w) {
        std::vector<std::vector<double>*> lists;
        for (const LayerKey& key : type.keys)
            if (key.widget == LayerWidget::ListRows) lists.push_back(&(l.*key.list));
        constexpr size_t kMaxLists = 4;
        const size_t n = std::min(lists.size(), kMaxLists);
        const float lo = static_cast<float>(first.edit_lo), hi = static_cast<float>(first.edit_hi);
        bool edited = false;
        for (size_t i = 0; i < lists[0]->size(); ++i) {
            ImGui::PushID(static_cast<int>(i));
            ImGui::Text("%s%zu", type.row_label, i + 1);
            ImGui::SameLine();
            float v[kMaxLists] = {0, 0, 0, 0};
            for (size_t c = 0; c < n; ++c) v[c] = static_cast<float>((*lists[c])[i]);
            ImGui::SetNextItemWidth(w);
            if (ImGui::DragScalarN(first.label, ImGuiDataType_Float, v, static_cast<int>(n), 0.01f,
                                   &lo, &hi, "%.2f", ImGuiSliderFlags_AlwaysClamp)) {
                for (size_t c = 0; c < n; ++c) (*lists[c])[i] = v[c];
                edited = true;
            }
            ImGui::PopID();
        }
        return edited;
    }

    static const char* show_label(const std::string& what) {
        if (what == "logdet") return "log|det J|";
        if (what == "logscale") return "log scale";
        return what.c_str();
    }

    void draw_view_controls() {
        const FlowParams& p = scene_->params();
        if (!p.training()) {  // training shows the whole stack it trains
            int upto = p.layers_shown();
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
            if (ImGui::SliderInt("after layer", &upto, 0, layer_count(),
                                 upto == layer_count() ? "%d (all)" : "%d",
                                 ImGuiSliderFlags_AlwaysClamp))
                scene_->set_upto(upto == layer_count() ? -1 : upto);
            mark_item("flow.upto");
        }
        for (const std::string& what : flow_show_names()) {
            bool on = p.showing(what);
            if (ImGui::Checkbox(show_label(what), &on)) scene_->set_show(what, on);
            mark_item("flow.show." + what);
            // Wrap before a box that would not fit (the last one was cut at 1024 px).
            const auto& names = flow_show_names();
            const auto next = std::find(names.begin(), names.end(), what) + 1;
            if (next != names.end()) {
                const std::string label = show_label(*next);
                const float need = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x +
                                   ImGui::CalcTextSize(label.c_str()).x +
                                   ImGui::GetStyle().ItemSpacing.x;
                if (ImGui::GetItemRectMax().x + need <=
                    ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) {
                    ImGui::SameLine();
                }
            }
        }
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        int samples = p.samples;
        if (key_slider("samples", samples, flow_keys::samples)) scene_->set_samples(samples);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        int resolution = p.resolution;
        if (key_slider("resolution", resolution, flow_keys::resolution))
            scene_->set_resolution(resolution);
        draw_readouts();
    }

    //-------------------------------------------------------------------------
    // [SECTION] Readouts
    //-------------------------------------------------------------------------

    void draw_readouts() {
        ImGui::Separator();
        const FlowParams& p = scene_->params();
        const bool ok = scene_->invertible();
        if (ok) {
            const flow::MassEstimate& m = scene_->mass_estimate();
            ImGui::Text("mass over the view: %s ± %s", format_g(m.value, 5).c_str(),
                        format_error(m.error).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip(
                    "∫ p(x) dx over the view = P_U(F⁻¹(view)): the base probability inside the "
                    "view's boundary pulled back through the inverse (%d points, adaptive "
                    "Simpson of ∮ Φ1 dΦ2). ± is the estimated error bound. ≈ 1 when the view "
                    "holds the mass",
                    m.evaluations);
        } else {
            coloured_wrapped(scene_->verdict_reason() + ": no density",
                             verdict_colour(scene_->verdict()));
        }
        const FlowScene::Density& d = scene_->last_density();
        ImGui::TextDisabled("density of %d² points in %.1f ms",
                            d.coarse ? std::max(16, p.resolution / 2) : p.resolution, d.ms);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("while dragging, at half resolution; refined on release");
        ImGui::Text("probe x = (%s, %s)", format_g(p.probe[0]).c_str(),
                    format_g(p.probe[1]).c_str());
        if (const auto& r = scene_->probe_readout()) {
            ImGui::Text("  log p(x) = %s", log_p_text(r->log_density).c_str());
            // ±∞ (det J = 0 at the pre-image, or outside a layer's image): say why.
            if (!r->reason.empty()) coloured_wrapped("  " + r->reason, palette::kWarnText);
            if (r->base.allFinite())
                ImGui::Text("  F⁻¹(x) = (%s, %s)", format_g(r->base[0]).c_str(),
                            format_g(r->base[1]).c_str());
            else
                ImGui::TextDisabled("  F⁻¹(x): none (x has no pre-image)");
            ImGui::TextDisabled("  |F(F⁻¹(x)) − x| = %s",
                                format_g(scene_->probe_round_trip(), 2).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("the inverse pushed forward again: how exact F⁻¹(x) is");
            ImGui::Text("  Σ log|det J_k| = %s", log_p_text(r->log_det).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip(
                    "log p(x) = log p_U(F⁻¹(x)) − Σ_k log|det J_k| along the inverse path");
        } else {
            ImGui::TextDisabled("  no inverse here");
        }
        mark_value("flow.probe_log_density", scene_->probe_readout()
                                                 ? log_p_text(scene_->probe_readout()->log_density)
                                                 : std::string("none"));
        if (!p.target.empty()) {
            ImGui::Text("KL identity (target mixture):");
            if (ok) {
                const flow::KlIdentity& kl = scene_->kl();
                ImGui::Text("  D_KL[P_X‖P_F(U)] = %s", format_g(kl.kl_forward, 6).c_str());
                ImGui::Text("  D_KL[P_F⁻¹(X)‖P_U] = %s", format_g(kl.kl_base, 6).c_str());
                if (ImGui::IsItemHovered()) {
                    ImGui::SetTooltip(
                        "the same divergence, once in x-space and once pulled back to z-space");
                }
            } else {
                ImGui::TextDisabled("  undefined: invertibility is not proved");
            }
        }
    }

    // With a target, the KL identity's two sides above the plot: the panel's claim, visible
    // without scrolling the controls (at 1024×700 they sat below the fold).
    void draw_kl_summary() {
        if (scene_->params().target.empty() || !scene_->invertible()) return;
        const flow::KlIdentity& kl = scene_->kl();
        const std::string line = "D_KL[P_X‖P_F(U)] = " + format_g(kl.kl_forward, 6) +
                                 "    D_KL[P_F⁻¹(X)‖P_U] = " + format_g(kl.kl_base, 6) +
                                 "    (pink: P_X)";
        text_wrapped(line);
        mark_value("flow.kl_summary", line);
    }

    void draw_summary() {
        const int k = scene_->params().layers_shown();
        ImGui::Text("After %d of %d layers", k, layer_count());
        ImGui::SameLine();
        if (scene_->verdict() != flow::Verdict::Proved) {
            // The layer and the verdict here (the line has no room for the numbers); the
            // whole reason on hover and in the layer's section.
            const std::string why = scene_->verdict_reason();
            ImGui::TextColored(verdict_colour(scene_->verdict()), "   %s",
                               why.substr(0, why.find(':', why.find("layer"))).c_str());
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", why.c_str());
            return;
        }
        ImGui::TextColored(kInvertibleText, "   invertible (proved): the density is exact");
    }

    //-------------------------------------------------------------------------
    // [SECTION] The canvas
    //-------------------------------------------------------------------------

    // The density covers what the canvas shows: the square around its (aspect-fitted) view.
    // While a control or handle is dragged, the scene computes it at half resolution (a
    // quarter of the inverses) and refines it when the drag ends.
    void update_density() {
        const WorldRect v = canvas_.view();
        const NumberKey& ke = flow_keys::view_extent;
        if (v.width() > 0 && v.height() > 0) {
            scene_->set_density_region(
                {(v.x0 + v.x1) / 2, (v.y0 + v.y1) / 2},
                std::clamp(std::max(v.width(), v.height()) / 2, ke.lo, ke.hi));
        }
        scene_->set_interactive(ImGui::IsAnyItemActive());
        const FlowScene::Density& d = scene_->density();
        const int version = scene_->recomputes(FlowScene::Part::Density);
        const bool log_scale = scene_->params().showing("logscale");
        const FlowColourScale colour = colour_scale();
        if (version != uploaded_density_ || log_scale != uploaded_log_scale_ ||
            colour.vmax != uploaded_vmax_) {
            uploaded_vmax_ = colour.vmax;
            if (log_scale) {
                const double lo = colour.log_lo, hi = colour.log_hi;
                std::vector<float> logs(d.image.size());
                // p = 0 (underflow) is below the range, dark; NaN (undefined) stays NaN.
                for (size_t i = 0; i < logs.size(); ++i)
                    logs[i] = d.image[i] > 0    ? std::log10(d.image[i])
                              : d.image[i] == 0 ? static_cast<float>(lo - 1)
                                                : d.image[i];
                density_.set_values(d.n, d.n, logs);
                density_.set_range(lo, hi, Colormap::Viridis);
            } else {
                density_.set_values(d.n, d.n, d.image);
                density_.set_range(0, colour.vmax, Colormap::Viridis);
            }
            density_.set_smooth(true);
            uploaded_density_ = version;
            uploaded_log_scale_ = log_scale;
        }
        mark_value("flow.compute_ms", d.ms);
    }

    // The log colour scale's range: six decades below the peak, in log10 p.
    static std::pair<double, double> log_range(double peak) {
        const double hi = std::log10(std::max(peak, 1e-300));
        return {hi - kLogDecades, hi};
    }
    static constexpr double kLogDecades = 6;

    void draw_canvas(ImVec2 size) {
        update_density();
        const FlowParams& p = scene_->params();
        const FlowScene::Density& d = scene_->last_density();
        const bool show_density = p.showing("density") && scene_->invertible();
        const bool show_logdet = p.showing("logdet");
        const GLuint tex = show_density ? density_.texture() : 0;
        // The grid, the log|det| mesh and the samples: one cached layer, rebuilt on change.
        const auto grid = p.showing("grid") ? scene_->grid() : nullptr;
        const auto mesh = show_logdet ? scene_->det_mesh() : nullptr;
        const auto samples = p.showing("samples") ? scene_->samples() : nullptr;
        if (mesh) {
            canvas_.set_colorbar(ColorbarSpec(Colormap::Magma, mesh->lo, mesh->hi, "log|det J|",
                                              [](double v) { return format_g(v, 3); }));
        } else if (show_density && p.showing("logscale")) {
            const FlowColourScale colour = colour_scale();
            canvas_.set_colorbar(
                ColorbarSpec(Colormap::Viridis, colour.log_lo, colour.log_hi,
                             p.training() ? "p(x), both plots, log scale" : "p(x), log scale",
                             [](double v) { return format_g(std::pow(10, v), 2); }));
        } else if (show_density) {
            canvas_.set_colorbar(ColorbarSpec(Colormap::Viridis, 0, colour_scale().vmax,
                                              p.training() ? "p(x), both plots" : "p(x)"));
        } else {
            canvas_.set_colorbar(std::nullopt);
        }
        canvas_.set_axes({"x1"}, {"x2"});
        const std::uint64_t layer_version = scene_->warp_version();
        const WorldRect box{d.center[0] - d.extent, d.center[1] - d.extent, d.center[0] + d.extent,
                            d.center[1] + d.extent};
        const ImU32 grid_colour = show_density || show_logdet ? kGridLine : kGridLineOnLight;
        const Handles handles = handle_points();
        canvas_.set_title(canvas_title(show_density, show_logdet));
        std::vector<LegendEntry> legend =
            canvas_legend(handles, grid != nullptr, samples != nullptr, show_logdet);
        if (!p.target.empty())  // the P_X of the KL readouts: drawn so it can be compared
            legend.emplace_back(kTarget, "target P_X: 1σ and 2σ of each component");
        canvas_.set_legend(std::move(legend));
        const Vec2 probe = to_vec2(p.probe);
        const auto target = target_rings(p.target);
        canvas_.draw(size, [tex, box, grid, mesh, samples, layer_version, grid_colour, handles,
                            probe, target](Canvas& c) {
            if (tex) c.image(tex, {box.x0, box.y0}, {box.x1, box.y1});
            for (const auto& ring : target) c.polyline(ring, kTarget, 1.8f);
            c.cached_layer("warp", layer_version, [&](Canvas& c) {
                if (mesh) draw_mesh(c, *mesh);
                if (grid) {
                    std::vector<Vec2> pts;
                    for (const auto& line : *grid) {
                        pts.clear();
                        for (const flow::Vec2& x : line) pts.push_back(to_vec2(x));
                        c.polyline(pts, grid_colour, 1.0f);
                    }
                }
                if (samples)
                    for (const flow::Vec2& x : *samples) c.point(to_vec2(x), kSample, 1.8f);
            });
            for (const auto& [h, colour, label] : handles) {
                c.arrow({0, 0}, h, colour, 2.0f);
                c.point(h, IM_COL32_WHITE, 6);
                c.point(h, colour, 4.5f);
                c.label({h.x + 0.25, h.y + 0.2}, label, colour);
            }
            c.point(probe, IM_COL32(0, 0, 0, 255), 5);
            c.point(probe, kProbe, 3.5f);
        });
        mark_rect("flow.canvas", canvas_.plot_min(), canvas_.plot_max());
        if (canvas_.view_changed()) {  // the mass over the view follows the view
            const WorldRect v = canvas_.view();
            const NumberKey& ke = flow_keys::view_extent;
            scene_->set_view({(v.x0 + v.x1) / 2, (v.y0 + v.y1) / 2},
                             std::clamp(std::max(v.width(), v.height()) / 2, ke.lo, ke.hi));
        }
        for (const auto& [h, colour, label] : handles) {
            const ImVec2 s = canvas_.to_screen(h);
            mark_rect("flow.handle." + label, ImVec2(s.x - 4, s.y - 4), ImVec2(s.x + 4, s.y + 4));
        }
        handle_input(handles);
    }

    std::string canvas_title(bool density, bool logdet) const {
        if (scene_->params().training()) {
            const std::string steps = std::to_string(scene_->training().steps());
            return (logdet ? "log|det J| of the model after " : "model q(x) = F(U) after ") +
                   steps + " training steps (" + std::to_string(scene_->stack().layers.size()) +
                   " layers)";
        }
        const int k = scene_->params().layers_shown();
        std::string what = logdet    ? "log|det J| of the flow"
                           : density ? "density p(x) of F(U)"
                                     : "the flow F";
        return what + " after " + std::to_string(k) + " of " + std::to_string(layer_count()) +
               " layers";
    }

    static std::vector<LegendEntry> canvas_legend(const Handles& handles, bool grid, bool samples,
                                                  bool logdet) {
        std::vector<LegendEntry> legend;
        if (grid) legend.emplace_back(kGridLineOnLight, "the base grid, pushed through F");
        if (samples) legend.emplace_back(kSample, "samples F(u), u ~ P_U", LegendEntry::Mark::Dot);
        if (logdet)
            legend.emplace_back(kFold, "folds: det J vanishes or changes sign",
                                LegendEntry::Mark::Patch);
        for (const auto& [h, colour, label] : handles)
            legend.emplace_back(colour, "handle " + label + " (drag it)", LegendEntry::Mark::Dot);
        legend.emplace_back(IM_COL32(0, 0, 0, 255), "the probe x", LegendEntry::Mark::Dot);
        return legend;
    }

    // The target mixture's components as their 1σ and 2σ ellipses (axis-aligned, as the
    // flow.target key holds only per-axis std).
    static std::vector<std::vector<Vec2>> target_rings(const kl::Mixture& target) {
        std::vector<std::vector<Vec2>> rings;
        for (const kl::Component& comp : target) {
            const double sx = std::sqrt(comp.cov(0, 0)), sy = std::sqrt(comp.cov(1, 1));
            for (double k : {1.0, 2.0}) {
                std::vector<Vec2> ring;
                for (int i = 0; i <= 64; ++i) {
                    const double a = 2 * M_PI * i / 64;
                    ring.push_back(
                        {comp.mean[0] + k * sx * std::cos(a), comp.mean[1] + k * sy * std::sin(a)});
                }
                rings.push_back(std::move(ring));
            }
        }
        return rings;
    }

    static void draw_mesh(Canvas& c, const FlowScene::DetMesh& mesh) {
        for (size_t q = 0; q < mesh.quads.size(); ++q) {
            const double t = (mesh.log_det[q] - mesh.lo) / (mesh.hi - mesh.lo);
            ImVec2 pts[4];
            for (int v = 0; v < 4; ++v) pts[v] = c.to_screen(to_vec2(mesh.quads[q][v]));
            const ImU32 fill = mesh.fold[q]
                                   ? kFold
                                   : colormap_color(Colormap::Magma, std::isfinite(t) ? t : 0, 220);
            c.draw_list()->AddQuadFilled(pts[0], pts[1], pts[2], pts[3], fill);
        }
    }

    // The selected layer's drag handles, as its descriptor lists them.
    Handles handle_points() const {
        if (scene_->params().training()) return {};  // training moves the layers, not you
        if (selected_ < 0 || selected_ >= layer_count()) return {};
        const flow::Layer& l = scene_->layer(selected_);
        Handles out;
        for (const LayerHandle& h : flow_layer_type(l.type).handles) {
            const LayerKey* key = flow_layer_type(l.type).key(h.key);
            out.emplace_back(to_vec2(l.*key->vec2), kHandleTones[h.tone], h.key);
        }
        return out;
    }

    void handle_input(const Handles& handles) {
        const auto origin = canvas_.left_drag_origin();
        if (!origin) dragging_handle_ = -1;
        if (origin && dragging_handle_ < 0) {
            const ImVec2 o = canvas_.to_screen(*origin);
            for (size_t h = 0; h < handles.size(); ++h) {
                const ImVec2 s = canvas_.to_screen(std::get<0>(handles[h]));
                if (std::hypot(o.x - s.x, o.y - s.y) < 12) dragging_handle_ = static_cast<int>(h);
            }
        }
        if (dragging_handle_ >= 0 && dragging_handle_ < static_cast<int>(handles.size())) {
            if (auto w = canvas_.hover_world()) {
                flow::Layer l = scene_->layer(selected_);
                const LayerKey* key =
                    flow_layer_type(l.type).key(std::get<2>(handles[dragging_handle_]));
                l.*key->vec2 = to_flow(*w);
                scene_->set_layer(selected_, l);
            }
            return;
        }
        if (auto w = canvas_.clicked_world()) scene_->set_probe(to_flow(*w));
        if (auto w = canvas_.hover_world()) {
            const std::string x = format_g(w->x), y = format_g(w->y);
            if (const auto d = scene_->density_at(to_flow(*w))) {
                if (!d->reason.empty())
                    ImGui::SetTooltip("x = (%s, %s)\nlog p = %s\n%s", x.c_str(), y.c_str(),
                                      log_p_text(d->log_density).c_str(), d->reason.c_str());
                else
                    ImGui::SetTooltip(
                        "x = (%s, %s)\np(x) = %s, log p = %s\nF⁻¹(x) = (%s, %s)\nΣ log|det J| = "
                        "%s",
                        x.c_str(), y.c_str(), format_g(std::exp(d->log_density)).c_str(),
                        format_g(d->log_density).c_str(), format_g(d->base[0]).c_str(),
                        format_g(d->base[1]).c_str(), format_g(d->log_det).c_str());
            } else {
                ImGui::SetTooltip("x = (%s, %s)\nno density: %s", x.c_str(), y.c_str(),
                                  scene_->invertible() ? "the inverse did not converge here"
                                                       : scene_->verdict_reason().c_str());
            }
        }
    }

    std::unique_ptr<FlowScene> scene_ = std::make_unique<FlowScene>();
    int selected_ = 0;
    bool uploaded_log_scale_ = false;
    double uploaded_vmax_ = -1;
    double shared_peak_ = 0;  // train mode: max of the model's and the target's peak
    FlowTrainView train_;
    int uploaded_density_ = -1;  // the scene's density recompute count last uploaded
    int dragging_handle_ = -1;
    Heatmap density_;
    Canvas canvas_{"flow.canvas"};
    FlowMap1dView map1d_{*scene_};
    std::string shown_mode_;  // the mode tab shown last frame
};

}  // namespace

std::unique_ptr<PanelView> make_flow_view() { return std::make_unique<FlowView>(); }

}  // namespace genlab
