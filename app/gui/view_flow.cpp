// Flow-warping panel: a base Gaussian pushed through editable normalizing-flow layers: the
// warped grid, the pushed-forward density, log|det J| with its folds, samples, and where a
// layer stops being invertible.
//
// [SECTION] Helpers
// [SECTION] The view: state and caches
// [SECTION] Controls: layers and their badges
// [SECTION] The canvas
#include <Eigen/LU>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <tuple>

#include "canvas.hpp"
#include "flow_model.hpp"
#include "heatmap.hpp"
#include "test_dump.hpp"
#include "view.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

constexpr ImU32 kGridLine = IM_COL32(255, 255, 255, 150);
constexpr ImU32 kGridLineOnLight = IM_COL32(40, 40, 60, 120);
constexpr ImU32 kSample = IM_COL32(250, 120, 20, 200);
constexpr ImU32 kFold = IM_COL32(230, 20, 20, 255);
constexpr ImU32 kHandleW = IM_COL32(30, 120, 230, 255);
constexpr ImU32 kHandleU = IM_COL32(230, 60, 30, 255);
constexpr ImU32 kProbe = IM_COL32(255, 255, 255, 255);
constexpr int kGridLines = 25;     // base-grid lines per direction
constexpr int kGridPoints = 90;    // points per line
constexpr int kDetCells = 48;      // log|det| mesh cells per side
constexpr double kGridSpan = 3.5;  // base grid: mean ± 3.5 std

std::string fmt(double v, int digits = 3) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v == 0 ? 0.0 : v);
    return buf;
}

Vec2 to_vec2(const flow::Vec2& v) { return {v[0], v[1]}; }
flow::Vec2 to_flow(Vec2 v) { return {v.x, v.y}; }

// Deterministic standard-normal samples (Box–Muller on a fixed seed): the same picture on
// every run and machine.
std::vector<flow::Vec2> base_normals(int n) {
    std::mt19937 rng(12345);
    std::uniform_real_distribution<double> uni(1e-12, 1.0);
    std::vector<flow::Vec2> out(n);
    for (int i = 0; i < n; ++i) {
        const double r = std::sqrt(-2 * std::log(uni(rng))), t = 2 * M_PI * uni(rng);
        out[i] = {r * std::cos(t), r * std::sin(t)};
    }
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] The view: state and caches
//-----------------------------------------------------------------------------

class FlowView : public PanelView {
  public:
    FlowView() { set_state(model_.defaults()); }

    const PanelModel& model() const override { return model_; }

    void set_state(const Json& s) override {
        params_ = flow_params_from_json(s);
        selected_ = std::min(selected_, static_cast<int>(params_.stack.layers.size()) - 1);
        playing_ = false;
        scrub_ = params_.layers_shown();
        changed();
        const WorldRect home{params_.view_center[0] - params_.view_extent,
                             params_.view_center[1] - params_.view_extent,
                             params_.view_center[0] + params_.view_extent,
                             params_.view_center[1] + params_.view_extent};
        canvas_.set_home(home, true);
    }

    Json state() const override { return flow_params_to_json(params_); }
    Canvas& main_canvas() override { return canvas_; }

    std::vector<std::string> help_lines() const override {
        return {"Click the plot: move the probe (its density, log|det| and inverse are read out)",
                "Drag the handles of the selected layer: u, w (planar) or z0 (radial)",
                "Play: animate layer by layer; the scrubber picks the layer"};
    }

    void set_playing(bool playing) override {
        if (playing && scrub_ >= layer_count()) scrub_ = 0;
        playing_ = playing;
    }
    void step() override {
        playing_ = false;
        scrub_ = std::floor(scrub_) >= layer_count() ? 0 : std::floor(scrub_) + 1;
        set_upto(static_cast<int>(scrub_));
    }
    void reset() override {
        playing_ = false;
        scrub_ = layer_count();
        set_upto(-1);
    }

    void draw(const FrameInfo& frame) override {
        if (playing_) {
            scrub_ = std::min<double>(layer_count(), scrub_ + frame.dt * frame.speed * 0.8);
            if (static_cast<int>(scrub_) != params_.layers_shown())
                set_upto(static_cast<int>(scrub_));
            if (scrub_ >= layer_count()) playing_ = false, set_upto(-1);
        }
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("flow.controls", ImVec2(font * 22, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("flow.plot", ImVec2(0, 0), false);
        draw_summary();
        draw_canvas(ImGui::GetContentRegionAvail());
        ImGui::EndChild();
    }

  private:
    int layer_count() const { return static_cast<int>(params_.stack.layers.size()); }

    void changed() {
        ++version_;
        density_dirty_ = true;
    }

    void set_upto(int upto) {
        if (params_.upto == upto) return;
        params_.upto = upto;
        changed();
    }

    // The stack as shown: the first layers_shown() layers.
    flow::Stack shown_stack() const {
        flow::Stack s = params_.stack;
        s.layers.resize(params_.layers_shown());
        return s;
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls: layers and their badges
    //-------------------------------------------------------------------------

    void draw_controls() {
        const float w = ImGui::GetFontSize() * 10;
        ImGui::TextUnformatted("Base: N(μ, diag σ²)");
        float mean[2] = {static_cast<float>(params_.stack.base_mean[0]),
                         static_cast<float>(params_.stack.base_mean[1])};
        float sd[2] = {static_cast<float>(params_.stack.base_std[0]),
                       static_cast<float>(params_.stack.base_std[1])};
        ImGui::SetNextItemWidth(w);
        if (ImGui::DragFloat2("μ##base", mean, 0.02f, -20, 20, "%.2f",
                              ImGuiSliderFlags_AlwaysClamp)) {
            params_.stack.base_mean = {mean[0], mean[1]};
            changed();
        }
        ImGui::SetNextItemWidth(w);
        if (ImGui::DragFloat2("σ##base", sd, 0.01f, 0.05f, 10, "%.2f",
                              ImGuiSliderFlags_AlwaysClamp)) {
            params_.stack.base_std = {sd[0], sd[1]};
            changed();
        }
        ImGui::Separator();
        draw_layer_list();
        ImGui::Separator();
        draw_view_controls();
    }

    void draw_layer_list() {
        ImGui::Text("Layers, from the base: %d", layer_count());
        int move_from = -1, move_to = -1, remove = -1;
        for (int k = 0; k < layer_count(); ++k) {
            flow::Layer& l = params_.stack.layers[k];
            const flow::Invertibility inv = flow::invertibility(l);
            ImGui::PushID(k);
            const std::string badge = inv.invertible ? "✓" : "✗";
            const std::string header =
                std::to_string(k + 1) + " " + flow::to_string(l.type) + "  " + badge;
            ImGui::PushStyleColor(ImGuiCol_Text, inv.invertible ? ImVec4(0.05f, 0.45f, 0.15f, 1)
                                                                : ImVec4(0.8f, 0.05f, 0.05f, 1));
            const bool open = ImGui::CollapsingHeader(
                header.c_str(), k == selected_ ? ImGuiTreeNodeFlags_DefaultOpen : 0);
            ImGui::PopStyleColor();
            mark_item("flow.layer." + std::to_string(k + 1));
            mark_value("flow.badge." + std::to_string(k + 1), inv.invertible ? "ok" : inv.reason);
            if (ImGui::IsItemClicked()) selected_ = k;
            if (!inv.invertible) {
                ImGui::TextColored(ImVec4(0.8f, 0.05f, 0.05f, 1), "not invertible: %s",
                                   inv.reason.c_str());
                mark_item("flow.reason." + std::to_string(k + 1));
            }
            if (open) {
                if (edit_layer(l, k)) {
                    selected_ = k;
                    changed();
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
        auto& layers = params_.stack.layers;
        if (move_from >= 0) {
            std::swap(layers[move_from], layers[move_to]);
            selected_ = move_to;
            changed();
        }
        if (remove >= 0) {
            layers.erase(layers.begin() + remove);
            if (remove < selected_) --selected_;
            selected_ = std::min(selected_, layer_count() - 1);
            params_.upto = -1;
            changed();
        }
        ImGui::BeginDisabled(layer_count() >= kFlowMaxLayers);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        if (ImGui::BeginCombo("##add", "+ add a layer")) {
            for (const char* type :
                 {"planar", "radial", "affine", "sigmoidal", "residual", "relu"}) {
                if (ImGui::Selectable(type)) {
                    layers.push_back(flow_default_layer(type));
                    selected_ = layer_count() - 1;
                    params_.upto = -1;
                    scrub_ = layer_count();
                    changed();
                }
                mark_item(std::string("flow.add.") + type);
            }
            ImGui::EndCombo();
        }
        mark_item("flow.add");
        ImGui::EndDisabled();
    }

    // The layer's parameters as sliders; true when one changed.
    static bool edit_layer(flow::Layer& l, int k) {
        const float w = ImGui::GetFontSize() * 10;
        bool edited = false;
        const auto vec2 = [&](const char* label, flow::Vec2& v, float lo, float hi) {
            float f[2] = {static_cast<float>(v[0]), static_cast<float>(v[1])};
            ImGui::SetNextItemWidth(w);
            if (ImGui::DragFloat2(label, f, 0.02f, lo, hi, "%.2f", ImGuiSliderFlags_AlwaysClamp))
                v = {f[0], f[1]}, edited = true;
        };
        const auto scalar = [&](const char* label, double& v, float lo, float hi,
                                const std::string& id = "") {
            float f = static_cast<float>(v);
            ImGui::SetNextItemWidth(w);
            if (ImGui::SliderFloat(label, &f, lo, hi, "%.3f", ImGuiSliderFlags_AlwaysClamp))
                v = f, edited = true;
            if (!id.empty()) mark_item(id);
        };
        const std::string prefix = "flow.param." + std::to_string(k + 1) + ".";
        switch (l.type) {
            case flow::Type::Planar: {
                vec2("w", l.w, -5, 5);
                vec2("u", l.u, -5, 5);
                scalar("b", l.b, -3, 3, prefix + "b");
                if (ImGui::Checkbox("enforce invertibility", &l.enforce)) edited = true;
                mark_item(prefix + "enforce");
                if (ImGui::IsItemHovered()) {
                    ImGui::SetTooltip(
                        "û = u + (m(wᵀu) − wᵀu)·w/‖w‖²,  m(x) = −1 + log(1 + eˣ)\n"
                        "guarantees wᵀû ≥ −1; now wᵀu = %s, wᵀû = %s",
                        fmt(l.w.dot(l.u)).c_str(), fmt(l.w.dot(flow::planar_u(l))).c_str());
                }
                ImGui::TextDisabled("f(z) = z + û·tanh(wᵀz + b);  wᵀû = %s",
                                    fmt(l.w.dot(flow::planar_u(l))).c_str());
                break;
            }
            case flow::Type::Radial:
                vec2("z0", l.z0, -5, 5);
                scalar("α", l.alpha, 0.01f, 5);
                scalar("β", l.beta, -5, 5, prefix + "beta");
                ImGui::TextDisabled("f(z) = z + β/(α + r)·(z − z0);  needs β ≥ −α");
                break;
            case flow::Type::Affine: {
                vec2("μ", l.mu, -5, 5);
                float d[3] = {static_cast<float>(l.L(0, 0)), static_cast<float>(l.L(1, 0)),
                              static_cast<float>(l.L(1, 1))};
                ImGui::SetNextItemWidth(w);
                if (ImGui::DragFloat3("L11 L21 L22", d, 0.01f, -5, 5, "%.2f",
                                      ImGuiSliderFlags_AlwaysClamp)) {
                    l.L << d[0], 0, d[1], d[2];
                    edited = true;
                }
                ImGui::TextDisabled(
                    "f(z) = μ + Lz;  log|det| = Σ log|L_ii| (O(K) for triangular L)");
                break;
            }
            case flow::Type::Sigmoidal:
                for (size_t i = 0; i < l.sig_a.size(); ++i) {
                    ImGui::PushID(static_cast<int>(i));
                    ImGui::Text("σ%zu", i + 1);
                    ImGui::SameLine();
                    float v[3] = {static_cast<float>(l.sig_a[i]), static_cast<float>(l.sig_b[i]),
                                  static_cast<float>(l.sig_w[i])};
                    ImGui::SetNextItemWidth(w);
                    if (ImGui::DragFloat3("a b w", v, 0.01f, -10, 10, "%.2f",
                                          ImGuiSliderFlags_AlwaysClamp)) {
                        l.sig_a[i] = v[0], l.sig_b[i] = v[1], l.sig_w[i] = v[2];
                        edited = true;
                    }
                    ImGui::PopID();
                }
                ImGui::TextDisabled(
                    "g(t) = σ⁻¹(Σ w_i σ(a_i t + b_i)); needs a_i > 0, w on the simplex");
                break;
            case flow::Type::Residual: {
                float m[4] = {static_cast<float>(l.W(0, 0)), static_cast<float>(l.W(0, 1)),
                              static_cast<float>(l.W(1, 0)), static_cast<float>(l.W(1, 1))};
                ImGui::SetNextItemWidth(w);
                if (ImGui::DragFloat4("W", m, 0.01f, -5, 5, "%.2f", ImGuiSliderFlags_AlwaysClamp)) {
                    l.W << m[0], m[1], m[2], m[3];
                    edited = true;
                }
                vec2("c", l.c, -5, 5);
                scalar("s", l.s, -3, 3);
                ImGui::TextDisabled("f(z) = z + s·tanh(Wz + c); invertible if |s|·‖W‖₂ < 1");
                break;
            }
            case flow::Type::Relu:
                scalar("a", l.relu_a, -3, 3);
                scalar("b", l.relu_b, -3, 3);
                scalar("c", l.relu_c, -3, 3);
                ImGui::TextDisabled("a·max(0, b·t + c): folds a half-plane onto a line");
                break;
        }
        return edited;
    }

    void draw_view_controls() {
        int upto = params_.layers_shown();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        if (ImGui::SliderInt("after layer", &upto, 0, layer_count(),
                             upto == layer_count() ? "%d (all)" : "%d",
                             ImGuiSliderFlags_AlwaysClamp)) {
            scrub_ = upto;
            set_upto(upto == layer_count() ? -1 : upto);
        }
        mark_item("flow.upto");
        for (const char* what : {"density", "grid", "logdet", "samples"}) {
            bool on = params_.showing(what);
            if (ImGui::Checkbox(
                    std::string(what == std::string("logdet") ? "log|det J|" : what).c_str(),
                    &on)) {
                if (on) {
                    params_.show.push_back(what);
                } else {
                    params_.show.erase(std::remove(params_.show.begin(), params_.show.end(), what),
                                       params_.show.end());
                }
                ++version_;
            }
            mark_item(std::string("flow.show.") + what);
            if (std::string(what) != "samples") ImGui::SameLine();
        }
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        if (ImGui::SliderInt("samples", &params_.samples, 0, 20000, "%d",
                             ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp))
            ++version_;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        if (ImGui::SliderInt("resolution", &params_.resolution, 16, 256, "%d",
                             ImGuiSliderFlags_AlwaysClamp))
            changed();
        draw_readouts();
    }

    void draw_readouts() {
        ImGui::Separator();
        const flow::Stack s = shown_stack();
        const bool ok = flow::invertible(s);
        if (ok) {
            ImGui::Text("mass over the view: %s", fmt(mass_, 5).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip(
                    "∫ p(x) dx over the view (midpoint rule): ≈ 1 when the view holds the mass");
        } else {
            ImGui::TextColored(ImVec4(0.8f, 0.05f, 0.05f, 1), "not invertible: no density");
        }
        ImGui::TextDisabled(
            "density of %d² points in %.1f ms",
            coarse_density_ ? std::max(16, params_.resolution / 2) : params_.resolution,
            compute_ms_);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("while dragging, at half resolution; refined on release");
        ImGui::Text("probe x = (%s, %s)", fmt(params_.probe[0]).c_str(),
                    fmt(params_.probe[1]).c_str());
        if (const auto d = flow::log_density(s, params_.probe)) {
            ImGui::Text("  log p(x) = %s", fmt(d->log_density, 5).c_str());
            ImGui::Text("  F⁻¹(x) = (%s, %s)", fmt(d->base[0]).c_str(), fmt(d->base[1]).c_str());
            ImGui::Text("  Σ log|det J_k| = %s", fmt(d->log_det, 5).c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip(
                    "log p(x) = log p_U(F⁻¹(x)) − Σ_k log|det J_k| along the inverse path");
        } else {
            ImGui::TextDisabled("  no inverse here");
        }
        if (!params_.target.empty()) {
            ImGui::Text("KL identity (target mixture):");
            if (ok) {
                ImGui::Text("  D_KL[P_X‖P_F(U)] = %s", fmt(kl_.kl_forward, 6).c_str());
                ImGui::Text("  D_KL[P_F⁻¹(X)‖P_U] = %s", fmt(kl_.kl_base, 6).c_str());
                if (ImGui::IsItemHovered()) {
                    ImGui::SetTooltip(
                        "the same divergence, once in x-space and once pulled back to z-space");
                }
            } else {
                ImGui::TextDisabled("  undefined: the stack is not invertible");
            }
        }
    }

    void draw_summary() {
        const flow::Stack s = shown_stack();
        const int k = params_.layers_shown();
        ImGui::Text("After %d of %d layers", k, layer_count());
        ImGui::SameLine();
        for (int i = 0; i < k; ++i) {
            const flow::Invertibility inv = flow::invertibility(params_.stack.layers[i]);
            if (!inv.invertible) {
                ImGui::TextColored(
                    ImVec4(0.8f, 0.05f, 0.05f, 1), "   layer %d (%s) is not invertible: %s", i + 1,
                    flow::to_string(params_.stack.layers[i].type), inv.reason.c_str());
                return;
            }
        }
        ImGui::TextColored(ImVec4(0.05f, 0.45f, 0.15f, 1), "   invertible: the density is exact");
    }

    //-------------------------------------------------------------------------
    // [SECTION] The canvas
    //-------------------------------------------------------------------------

    // While a control or handle is dragged, the density is computed at half resolution (a
    // quarter of the inverses) and refined to full resolution when the drag ends.
    void recompute_density() {
        const bool dragging = ImGui::IsAnyItemActive();
        if (!density_dirty_ && !(coarse_density_ && !dragging)) return;
        const auto started = std::chrono::steady_clock::now();
        const flow::Stack s = shown_stack();
        const int n = dragging ? std::max(16, params_.resolution / 2) : params_.resolution;
        coarse_density_ = n != params_.resolution;
        const Eigen::MatrixXd logp = flow::density_grid(s, shown_center_, shown_extent_, n);
        std::vector<float> values(static_cast<size_t>(n) * n);
        double peak = 0;
        for (int row = 0; row < n; ++row) {
            for (int col = 0; col < n; ++col) {
                const double lp = logp(col, n - 1 - row);  // image row 0 is the top
                const double p = std::isfinite(lp) ? std::exp(lp) : NAN;
                values[static_cast<size_t>(row) * n + col] = static_cast<float>(p);
                if (std::isfinite(p)) peak = std::max(peak, p);
            }
        }
        density_.set_values(n, n, values);
        density_.set_smooth(true);
        peak_ = peak > 0 ? peak : 1;
        density_.set_range(0, peak_, Colormap::Viridis);
        // The mass from the grid in hand (flow::mass would invert every point again).
        const double cell = 2 * shown_extent_ / n;
        mass_ = flow::invertible(s)
                    ? logp.array().isFinite().select(logp.array().exp(), 0.0).sum() * cell * cell
                    : NAN;
        // The identity's two sides on the report's 200² grids (equal to ~1e-7); not while
        // dragging, where the last values stay until the drag ends.
        if (!params_.target.empty() && !coarse_density_)
            kl_ = flow::kl_identity(s, params_.target, 200);
        density_box_ = {shown_center_[0] - shown_extent_, shown_center_[1] - shown_extent_,
                        shown_center_[0] + shown_extent_, shown_center_[1] + shown_extent_};
        density_dirty_ = false;
        compute_ms_ =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
    }

    // The base grid's lines pushed through the shown layers; during Play, interpolated
    // between layer k and k + 1 so the warp moves smoothly.
    std::vector<std::vector<Vec2>> warped_grid() const {
        const flow::Stack& s = params_.stack;
        const int k = static_cast<int>(std::floor(scrub_));
        const double t = playing_ ? scrub_ - k : 0;
        const int upto = playing_ ? std::min(k, layer_count()) : params_.layers_shown();
        // Every line point through the core's batch push (flow::push_batch) at once.
        const auto base = [&](double a, double b) {
            return flow::Vec2(s.base_mean + flow::Vec2(a * s.base_std[0], b * s.base_std[1]));
        };
        Eigen::Matrix2Xd z(2, 2 * kGridLines * kGridPoints);
        int col = 0;
        for (int dir = 0; dir < 2; ++dir) {
            for (int i = 0; i < kGridLines; ++i) {
                const double a = -kGridSpan + 2 * kGridSpan * i / (kGridLines - 1);
                for (int j = 0; j < kGridPoints; ++j) {
                    const double b = -kGridSpan + 2 * kGridSpan * j / (kGridPoints - 1);
                    z.col(col++) = dir == 0 ? base(a, b) : base(b, a);
                }
            }
        }
        const Eigen::Matrix2Xd pushed = flow::push_batch(s, z, nullptr, upto);
        std::vector<std::vector<Vec2>> lines;
        col = 0;
        for (int line = 0; line < 2 * kGridLines; ++line) {
            std::vector<Vec2> pts;
            for (int j = 0; j < kGridPoints; ++j, ++col) {
                flow::Vec2 x = pushed.col(col);
                if (t > 0 && upto < layer_count())
                    x = (1 - t) * x + t * flow::forward(s.layers[upto], x);
                pts.push_back(to_vec2(x));
            }
            lines.push_back(std::move(pts));
        }
        return lines;
    }

    // Cells of the base grid, warped, coloured by log|det J| of the shown stack; a cell whose
    // determinant changes sign against a neighbour, or vanishes, is a fold.
    struct DetMesh {
        std::vector<std::array<Vec2, 4>> quads;
        std::vector<double> log_det;
        std::vector<bool> fold;
        double lo = 0, hi = 0;
    };

    DetMesh det_mesh() const {
        const flow::Stack s = shown_stack();
        const int n = kDetCells;
        std::vector<Vec2> corners((n + 1) * (n + 1));
        std::vector<double> signed_det(n * n);
        Eigen::Matrix2Xd zc(2, (n + 1) * (n + 1));
        for (int i = 0; i <= n; ++i) {
            for (int j = 0; j <= n; ++j) {
                zc.col(i * (n + 1) + j) =
                    s.base_mean + flow::Vec2((-kGridSpan + 2 * kGridSpan * i / n) * s.base_std[0],
                                             (-kGridSpan + 2 * kGridSpan * j / n) * s.base_std[1]);
            }
        }
        const Eigen::Matrix2Xd xc = flow::push_batch(s, zc);
        for (int c = 0; c < xc.cols(); ++c) corners[c] = to_vec2(xc.col(c));
        DetMesh m;
        m.lo = INFINITY;
        m.hi = -INFINITY;
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                flow::Vec2 z =
                    s.base_mean +
                    flow::Vec2((-kGridSpan + 2 * kGridSpan * (i + 0.5) / n) * s.base_std[0],
                               (-kGridSpan + 2 * kGridSpan * (j + 0.5) / n) * s.base_std[1]);
                double det = 1;  // the product of the layers' determinants, with sign
                for (const flow::Layer& l : s.layers) {
                    det *= flow::jacobian(l, z).determinant();
                    z = flow::forward(l, z);
                }
                signed_det[i * n + j] = det;
                const double ld = std::log(std::abs(det));
                m.quads.push_back({corners[i * (n + 1) + j], corners[(i + 1) * (n + 1) + j],
                                   corners[(i + 1) * (n + 1) + j + 1],
                                   corners[i * (n + 1) + j + 1]});
                m.log_det.push_back(ld);
                if (std::isfinite(ld)) m.lo = std::min(m.lo, ld), m.hi = std::max(m.hi, ld);
            }
        }
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                const double d = signed_det[i * n + j];
                bool fold = !(std::abs(d) > 1e-12);
                if (i + 1 < n && d * signed_det[(i + 1) * n + j] < 0) fold = true;
                if (j + 1 < n && d * signed_det[i * n + j + 1] < 0) fold = true;
                m.fold.push_back(fold);
            }
        }
        if (!std::isfinite(m.lo)) m.lo = -1, m.hi = 1;
        if (m.hi - m.lo < 1e-9) m.lo -= 1, m.hi += 1;
        return m;
    }

    void draw_canvas(ImVec2 size) {
        // The density covers what the canvas shows: the square around its (aspect-fitted) view.
        const WorldRect v = canvas_.view();
        if (v.width() > 0 && v.height() > 0) {
            const Eigen::Vector2d center((v.x0 + v.x1) / 2, (v.y0 + v.y1) / 2);
            const double extent = std::clamp(std::max(v.width(), v.height()) / 2, 0.01, 1000.0);
            if ((center - shown_center_).norm() > 1e-9 || std::abs(extent - shown_extent_) > 1e-9) {
                shown_center_ = center;
                shown_extent_ = extent;
                density_dirty_ = true;
            }
        }
        recompute_density();
        mark_value("flow.compute_ms", compute_ms_);
        const bool show_density = params_.showing("density") && flow::invertible(shown_stack());
        const bool show_logdet = params_.showing("logdet");
        const GLuint tex = show_density ? density_.texture() : 0;
        if (show_logdet) {
            canvas_.set_colorbar(ColorbarSpec(Colormap::Magma, det_lo_, det_hi_, "log|det J|",
                                              [](double v) { return fmt(v, 3); }));
        } else if (show_density) {
            canvas_.set_colorbar(ColorbarSpec(Colormap::Viridis, 0, peak_, "p(x)"));
        } else {
            canvas_.set_colorbar(std::nullopt);
        }
        canvas_.set_axes({"x1"}, {"x2"});
        // The grid, the log|det| mesh and the samples: one cached layer, rebuilt on change.
        const std::uint64_t layer_version =
            version_ * 4096u + static_cast<std::uint64_t>(scrub_ * 60);
        std::shared_ptr<const std::vector<std::vector<Vec2>>> grid;
        std::shared_ptr<const DetMesh> mesh;
        std::shared_ptr<const std::vector<Vec2>> samples;
        if (cached_version_ != layer_version) {
            grid_ = params_.showing("grid")
                        ? std::make_shared<const std::vector<std::vector<Vec2>>>(warped_grid())
                        : nullptr;
            mesh_ = show_logdet ? std::make_shared<const DetMesh>(det_mesh()) : nullptr;
            if (mesh_) det_lo_ = mesh_->lo, det_hi_ = mesh_->hi;
            std::vector<Vec2> pts;
            if (params_.showing("samples")) {
                const flow::Stack s = shown_stack();
                const std::vector<flow::Vec2> normals = base_normals(params_.samples);
                Eigen::Matrix2Xd z(2, static_cast<Eigen::Index>(normals.size()));
                for (size_t i = 0; i < normals.size(); ++i)
                    z.col(static_cast<Eigen::Index>(i)) =
                        s.base_mean + normals[i].cwiseProduct(s.base_std);
                const Eigen::Matrix2Xd x = flow::push_batch(s, z);
                for (Eigen::Index i = 0; i < x.cols(); ++i) pts.push_back(to_vec2(x.col(i)));
            }
            samples_ = std::make_shared<const std::vector<Vec2>>(std::move(pts));
            cached_version_ = layer_version;
        }
        grid = grid_;
        mesh = mesh_;
        samples = samples_;
        const WorldRect box = density_box_;
        const ImU32 grid_colour = show_density || show_logdet ? kGridLine : kGridLineOnLight;
        const auto handles = handle_points();
        const Vec2 probe = to_vec2(params_.probe);
        canvas_.draw(size, [tex, box, grid, mesh, samples, layer_version, grid_colour, handles,
                            probe](Canvas& c) {
            if (tex) c.image(tex, {box.x0, box.y0}, {box.x1, box.y1});
            c.cached_layer("warp", layer_version, [&](Canvas& c) {
                if (mesh) {
                    for (size_t q = 0; q < mesh->quads.size(); ++q) {
                        const double t = (mesh->log_det[q] - mesh->lo) / (mesh->hi - mesh->lo);
                        ImVec2 pts[4];
                        for (int v = 0; v < 4; ++v) pts[v] = c.to_screen(mesh->quads[q][v]);
                        const ImU32 fill =
                            mesh->fold[q]
                                ? kFold
                                : colormap_color(Colormap::Magma, std::isfinite(t) ? t : 0, 220);
                        c.draw_list()->AddQuadFilled(pts[0], pts[1], pts[2], pts[3], fill);
                    }
                }
                if (grid) {
                    for (const auto& line : *grid) c.polyline(line, grid_colour, 1.0f);
                }
                for (const Vec2& p : *samples) c.point(p, kSample, 1.8f);
            });
            for (const auto& [p, colour, label] : handles) {
                c.arrow({0, 0}, p, colour, 2.0f);
                c.point(p, IM_COL32_WHITE, 6);
                c.point(p, colour, 4.5f);
                c.text({p.x + 0.25, p.y + 0.2}, label, colour);
            }
            c.point(probe, IM_COL32(0, 0, 0, 255), 5);
            c.point(probe, kProbe, 3.5f);
        });
        mark_rect("flow.canvas", canvas_.plot_min(), canvas_.plot_max());
        if (canvas_.view_changed()) {  // the density (and "mass over the view") follow the view
            const WorldRect v = canvas_.view();
            params_.view_center = {(v.x0 + v.x1) / 2, (v.y0 + v.y1) / 2};
            params_.view_extent = std::clamp(std::max(v.width(), v.height()) / 2, 0.01, 1000.0);
        }
        for (size_t h = 0; h < handles.size(); ++h) {
            const ImVec2 s = canvas_.to_screen(std::get<0>(handles[h]));
            mark_rect("flow.handle." + std::get<2>(handles[h]), ImVec2(s.x - 4, s.y - 4),
                      ImVec2(s.x + 4, s.y + 4));
        }
        handle_input(handles);
    }

    // The selected layer's drag handles: w and u (planar), z0 (radial).
    std::vector<std::tuple<Vec2, ImU32, std::string>> handle_points() const {
        if (selected_ < 0 || selected_ >= layer_count()) return {};
        const flow::Layer& l = params_.stack.layers[selected_];
        if (l.type == flow::Type::Planar)
            return {{to_vec2(l.w), kHandleW, "w"}, {to_vec2(l.u), kHandleU, "u"}};
        if (l.type == flow::Type::Radial) return {{to_vec2(l.z0), kHandleU, "z0"}};
        return {};
    }

    void handle_input(const std::vector<std::tuple<Vec2, ImU32, std::string>>& handles) {
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
                flow::Layer& l = params_.stack.layers[selected_];
                const std::string& name = std::get<2>(handles[dragging_handle_]);
                const flow::Vec2 v = to_flow(*w);
                (name == "w" ? l.w : name == "u" ? l.u : l.z0) = v;
                changed();
            }
            return;
        }
        if (auto w = canvas_.clicked_world()) {
            params_.probe = to_flow(*w);
        }
        if (auto w = canvas_.hover_world()) {
            const auto d = flow::log_density(shown_stack(), to_flow(*w));
            if (d) {
                ImGui::SetTooltip(
                    "x = (%s, %s)\np(x) = %s, log p = %s\nF⁻¹(x) = (%s, %s)\nΣ log|det J| = %s",
                    fmt(w->x).c_str(), fmt(w->y).c_str(), fmt(std::exp(d->log_density)).c_str(),
                    fmt(d->log_density).c_str(), fmt(d->base[0]).c_str(), fmt(d->base[1]).c_str(),
                    fmt(d->log_det).c_str());
            } else {
                ImGui::SetTooltip("x = (%s, %s)\nno density: a layer is not invertible here",
                                  fmt(w->x).c_str(), fmt(w->y).c_str());
            }
        }
    }

    FlowModel model_;
    FlowParams params_;
    int selected_ = 0;
    double scrub_ = 0;  // the layer position while animating (fractional between layers)
    std::uint64_t version_ = 0, cached_version_ = ~0ull;
    bool density_dirty_ = true, coarse_density_ = false;
    Heatmap density_;
    double peak_ = 1, mass_ = 0, det_lo_ = -1, det_hi_ = 1, compute_ms_ = 0;
    flow::KlIdentity kl_;
    WorldRect density_box_;
    Eigen::Vector2d shown_center_{0, 0};  // the square the density was computed on
    double shown_extent_ = 4;
    std::shared_ptr<const std::vector<std::vector<Vec2>>> grid_;
    std::shared_ptr<const DetMesh> mesh_;
    std::shared_ptr<const std::vector<Vec2>> samples_;
    int dragging_handle_ = -1;
    Canvas canvas_{"flow.canvas"};
};

}  // namespace

std::unique_ptr<PanelView> make_flow_view() { return std::make_unique<FlowView>(); }

}  // namespace genlab
