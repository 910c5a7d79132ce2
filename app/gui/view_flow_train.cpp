// The flow panel's Train tab: controls, readouts, the target's picture and the loss curve.
// The numbers are FlowScene's and FlowTraining's (model/flow_training.hpp).
//
// [SECTION] Helpers
// [SECTION] Controls
// [SECTION] Readouts and the summary line
// [SECTION] The target's picture
// [SECTION] The loss curve
#include "view_flow_train.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "errors.hpp"
#include "format.hpp"
#include "test_dump.hpp"
#include "view_flow_common.hpp"
#include "widgets.hpp"

namespace genlab {

namespace ft = flow::train;
using namespace flow_view;

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

// A target of this kind with no data: enough to ask which objectives the kind offers.
ft::Target kind_only(ft::TargetKind kind) {
    ft::Target t;
    t.kind = kind;
    return t;
}

constexpr ImU32 kLossRaw = IM_COL32(120, 140, 200, 110);
constexpr ImU32 kLossMean = IM_COL32(20, 60, 170, 255);
constexpr ImU32 kDataPoint = IM_COL32(255, 255, 255, 230);
constexpr ImU32 kDataOutline = IM_COL32(0, 0, 0, 200);

// What the target combo lists, in target_table() order.
const char* target_label(ft::TargetKind k) {
    switch (k) {
        case ft::TargetKind::U1:
            return "U1: a ring with two lobes";
        case ft::TargetKind::U2:
            return "U2: a sine wave";
        case ft::TargetKind::U3:
            return "U3: a wave and a branch";
        case ft::TargetKind::U4:
            return "U4: a wave and a step";
        case ft::TargetKind::Mixture:
            return "Gaussian mixture (flow.target)";
        case ft::TargetKind::TwoMoons:
            return "two moons (samples only)";
        case ft::TargetKind::Function:
            return "your formula log p̃(x1, x2)";
        case ft::TargetKind::Points:
            return "your points (samples only)";
    }
    return "?";
}

const char* init_label(const std::string& init) {
    if (init == "layers") return "flow.layers as they are";
    if (init == "radial") return "K random radial layers";
    if (init == "affine") return "K random affine layers";
    if (init == "coupling") return "K random coupling layers (RealNVP)";
    return "K random planar layers";
}

std::string with_se(const std::optional<double>& v, const std::optional<double>& se) {
    if (!v) return "—";
    return format_g(*v, 4) + (se ? " ± " + format_g(*se, 2) : "");
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Controls
//-----------------------------------------------------------------------------

void FlowTrainView::apply(FlowScene& scene, const FlowTrainParams& t) {
    try {
        scene.set_train(t);
        error_.clear();
    } catch (const UserError& e) {
        error_ = e.what();  // the run and its settings stay as they were
    }
}

void FlowTrainView::draw_controls(FlowScene& scene) {
    ImGui::TextUnformatted("Train the flow to a target");
    draw_target_choice(scene);
    ImGui::Separator();
    draw_objective_choice(scene);
    ImGui::Separator();
    draw_init_and_adam(scene);
    if (!error_.empty()) coloured_wrapped(error_, palette::kErrorText);
    ImGui::Separator();
    draw_readouts(scene);
}

void FlowTrainView::draw_target_choice(FlowScene& scene) {
    FlowTrainParams t = scene.params().train;
    const ft::TargetKind kind = t.target_kind();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
    if (ImGui::BeginCombo("target", target_label(kind))) {
        for (const ft::TargetInfo& info : ft::target_table()) {
            if (ImGui::Selectable(target_label(info.kind), info.kind == kind)) {
                t.target = info.name;
                // The objective the new target offers, when it lacks the current one.
                if (!ft::unavailable(kind_only(info.kind), t.objective_kind()).empty())
                    t.objective =
                        t.objective_kind() == ft::Objective::Reverse ? "forward" : "reverse";
                apply(scene, t);
            }
        }
        ImGui::EndCombo();
    }
    mark_item("flow.train.target");
    // ImGui's own wrap: a formula is one long parenthesized term that text_wrapped would not
    // break.
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(ft::info(kind).formula);
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    if (kind == ft::TargetKind::Function) {
        if (expression_seen_ != t.expression) {  // the state moved (a preset, undo)
            std::snprintf(expression_, sizeof expression_, "%s", t.expression.c_str());
            expression_seen_ = t.expression;
        }
        ImGui::SetNextItemWidth(-1);
        if (ImGui::InputText("##expression", expression_, sizeof expression_,
                             ImGuiInputTextFlags_EnterReturnsTrue)) {
            t.expression = expression_;
            apply(scene, t);
        }
        mark_item("flow.train.expression");
        ImGui::TextDisabled("log p̃ in x1, x2; Enter applies");
    }
    if (kind == ft::TargetKind::Points) {
        ImGui::Text("%zu points: click the target plot to add", t.points.size());
        ImGui::SameLine();
        if (ImGui::SmallButton("clear")) {
            t.points.clear();
            t.objective = "forward";
            scene.set_train(t);  // no points is a valid state until training needs them
        }
        mark_item("flow.train.clear_points");
    }
}

void FlowTrainView::draw_objective_choice(FlowScene& scene) {
    FlowTrainParams t = scene.params().train;
    const ft::Target probe = kind_only(t.target_kind());
    const struct {
        ft::Objective o;
        const char* label;
        const char* formula;
    } choices[] = {
        {ft::Objective::Reverse, "reverse KL(q‖p)",
         "E_u[log q(F(u)) − log p̃(F(u))]: needs only the unnormalized density"},
        {ft::Objective::Forward, "forward KL(p‖q)",
         "−E_x~p[log q(x)]: needs only samples (through F⁻¹ and its log-det)"},
    };
    ImGui::TextUnformatted("objective (seeds Q3.2)");
    for (const auto& c : choices) {
        const std::string why = ft::unavailable(probe, c.o);
        ImGui::BeginDisabled(!why.empty());
        if (ImGui::RadioButton(c.label, t.objective_kind() == c.o) && t.objective_kind() != c.o) {
            t.objective = ft::to_string(c.o);
            apply(scene, t);
        }
        ImGui::EndDisabled();
        mark_item(std::string("flow.train.objective.") + ft::to_string(c.o));
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("%s", why.empty() ? c.formula : why.c_str());
        if (!why.empty()) {
            ImGui::SameLine();
            ImGui::TextDisabled("(no %s)", c.o == ft::Objective::Reverse ? "density" : "samples");
        }
    }
}

void FlowTrainView::draw_init_and_adam(FlowScene& scene) {
    FlowTrainParams t = scene.params().train;
    const float w = ImGui::GetFontSize() * 9;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 13);
    if (ImGui::BeginCombo("start", init_label(t.init))) {
        for (const std::string& init : flow_train_inits()) {
            if (ImGui::Selectable(init_label(init), init == t.init)) {
                t.init = init;
                apply(scene, t);
            }
        }
        ImGui::EndCombo();
    }
    mark_item("flow.train.init");
    if (t.init != "layers") {
        ImGui::SetNextItemWidth(w);
        if (key_slider("K layers", t.K, flow_train_keys::K)) apply(scene, t);
        mark_item("flow.train.K");
    }
    ImGui::SetNextItemWidth(w);
    if (key_slider("lr (Adam)", t.lr, flow_train_keys::lr, "%.4g")) apply(scene, t);
    mark_item("flow.train.lr");
    ImGui::SetNextItemWidth(w);
    if (key_slider("lr half-life", t.lr_half_life, flow_train_keys::lr_half_life)) apply(scene, t);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "0: a constant lr; else lr·2^(−step/half-life), so the noisy steps settle");
    ImGui::SetNextItemWidth(w);
    if (key_slider("batch", t.batch, flow_train_keys::batch)) apply(scene, t);
    ImGui::SetNextItemWidth(w);
    if (key_slider("steps", t.steps, flow_train_keys::steps)) apply(scene, t);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the budget: Play trains up to this step");
    ImGui::SetNextItemWidth(w);
    if (key_slider("steps / frame", t.steps_per_frame, flow_train_keys::steps_per_frame))
        apply(scene, t);
    ImGui::SetNextItemWidth(w);
    if (key_slider("seed", t.seed, flow_train_keys::seed)) apply(scene, t);
    ImGui::TextDisabled("a change starts a new run; Play (Space) trains");
}

//-----------------------------------------------------------------------------
// [SECTION] Readouts and the summary line
//-----------------------------------------------------------------------------

void FlowTrainView::draw_readouts(FlowScene& scene) {
    FlowTraining& run = scene.training();
    if (!run.configured()) return;
    if (!run.ready()) {
        coloured_wrapped(run.why_not(), palette::kWarnText);
        return;
    }
    const FlowTrainParams& t = scene.params().train;
    ImGui::Text("step %d of %d", run.steps(), t.steps);
    if (run.trainer().stopped())
        coloured_wrapped("stopped: " + run.trainer().stop_reason(), palette::kErrorText);
    if (run.steps() > 0)
        ImGui::Text("loss (mean of last 50): %s",
                    format_g(run.trainer().running_mean().back(), 4).c_str());
    if (const auto z = run.log_z()) {
        const auto err = run.target().log_z_error();
        ImGui::Text("log Z = %s%s", format_g(*z, 6).c_str(),
                    err && *err > 0 ? (" ± " + format_error(*err)).c_str() : "");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(run.target().kind == ft::TargetKind::Mixture
                                  ? "a normalized mixture: exactly 0"
                                  : "by 8-point Gauss–Legendre panels; ± bounds the error");
    } else
        ImGui::TextDisabled("log Z unknown (KL up to a constant)");
    if (scene.playing()) {
        if (const auto kl = run.live_reverse_kl())
            ImGui::Text("KL(q‖p) ≈ %s (running mean + log Z)", format_g(*kl, 3).c_str());
        ImGui::TextDisabled("estimates with errors when paused");
    } else {
        const ft::Estimates& e = run.estimates();
        ImGui::Text("estimates (%d fresh samples):", FlowTraining::kEstimateSamples);
        if (e.kl_reverse)
            ImGui::Text("  KL(q‖p) = %s", with_se(e.kl_reverse, e.kl_reverse_se).c_str());
        else if (e.reverse_objective)
            ImGui::Text("  E_q[log q − log p̃] = %s",
                        with_se(e.reverse_objective, e.reverse_se).c_str());
        if (e.kl_forward)
            ImGui::Text("  KL(p‖q) = %s", with_se(e.kl_forward, e.kl_forward_se).c_str());
        else if (e.forward_objective)
            ImGui::Text("  −E_p[log q] = %s", with_se(e.forward_objective, e.forward_se).c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("± is the Monte-Carlo standard error (sample std / √n)");
    }
    const flow::Verdict v = scene.verdict();
    coloured_wrapped(v == flow::Verdict::Proved
                         ? "✓ every layer invertible (proved): training keeps wᵀû > −1, β > −α, "
                           "L_ii > 0"
                         : scene.verdict_reason(),
                     verdict_colour(v));
    if (ImGui::Button("Keep the trained layers")) scene.keep_trained_layers();
    mark_item("flow.train.keep");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "the trained stack becomes flow.layers (saved with the state and in "
            "presets); training restarts from it");
}

void FlowTrainView::draw_summary(FlowScene& scene) {
    FlowTraining& run = scene.training();
    if (!run.configured()) return;
    if (!run.ready()) {
        text_wrapped("Training: " + run.why_not());
        mark_value("flow.train.summary", run.why_not());
        return;
    }
    const FlowTrainParams& t = scene.params().train;
    std::string line = std::string("Training to ") + ft::info(t.target_kind()).name + " by " +
                       (t.objective_kind() == ft::Objective::Reverse ? "reverse" : "forward") +
                       " KL: step " + std::to_string(run.steps()) + " of " +
                       std::to_string(t.steps);
    if (run.steps() > 0)
        line += "    loss " + format_g(run.trainer().running_mean().back(), 4) + " (mean of 50)";
    if (const auto kl = run.live_reverse_kl()) line += "    KL(q‖p) ≈ " + format_g(*kl, 3);
    if (run.trainer().stopped()) line += "    stopped: " + run.trainer().stop_reason();
    text_wrapped(line);
    mark_value("flow.train.summary", line);
    mark_value("flow.train.steps_run", run.steps());
    mark_value("flow.train.loss",
               run.steps() > 0 ? Json(run.trainer().running_mean().back()) : Json(nullptr));
}

//-----------------------------------------------------------------------------
// [SECTION] The target's picture
//-----------------------------------------------------------------------------

std::string FlowTrainView::target_title(FlowScene& scene) const {
    const ft::TargetKind kind = scene.params().train.target_kind();
    const std::string title = std::string("target p: ") + target_label(kind);
    if (kind == ft::TargetKind::Points) return title + " (click to add)";
    if (!ft::info(kind).has_density) return title + ", a histogram";
    return scene.training().log_z() ? title : title + " (÷ its sum over the view)";
}

double FlowTrainView::target_peak(FlowScene& scene, const FlowScene::Density& model) {
    if (!scene.training().configured() || model.n == 0) return 0;
    return scene.training().target_image(model.center, model.extent, model.n).peak;
}

void FlowTrainView::draw_target(FlowScene& scene, ImVec2 size, const WorldRect& model_view,
                                const FlowColourScale& colour) {
    FlowTraining& run = scene.training();
    const FlowScene::Density& d = scene.last_density();
    if (!run.configured() || d.n == 0) return;
    const FlowTraining::Image& img = run.target_image(d.center, d.extent, d.n);
    const bool scale_moved = colour.vmax != uploaded_colour_.vmax ||
                             colour.log_scale != uploaded_colour_.log_scale ||
                             colour.log_lo != uploaded_colour_.log_lo;
    if (run.target_image_version() != uploaded_version_ || scale_moved) {
        if (colour.log_scale) {
            std::vector<float> logs(img.image.size());
            for (size_t i = 0; i < logs.size(); ++i)
                logs[i] = img.image[i] > 0 ? std::log10(img.image[i])
                                           : static_cast<float>(colour.log_lo - 1);
            target_heatmap_.set_values(img.n, img.n, logs);
            target_heatmap_.set_range(colour.log_lo, colour.log_hi, Colormap::Viridis);
        } else {
            target_heatmap_.set_values(img.n, img.n, img.image);
            target_heatmap_.set_range(0, colour.vmax, Colormap::Viridis);
        }
        target_heatmap_.set_smooth(run.ready() && run.target().has_density());
        uploaded_version_ = run.target_image_version();
        uploaded_colour_ = colour;
    }
    target_canvas.set_home(model_view, true);
    target_canvas.set_view(model_view);  // the model's view: the two plots compare cell by cell
    target_canvas.set_axes({"x1"}, {"x2"});
    // The model's colourbar too: one scale, and the two plot areas get the same geometry.
    if (colour.log_scale)
        target_canvas.set_colorbar(
            ColorbarSpec(Colormap::Viridis, colour.log_lo, colour.log_hi, "p(x), log scale",
                         [](double v) { return format_g(std::pow(10, v), 2); }));
    else
        target_canvas.set_colorbar(ColorbarSpec(Colormap::Viridis, 0, colour.vmax, "p(x)"));
    const bool points = scene.params().train.target_kind() == ft::TargetKind::Points;
    target_canvas.set_title(target_title(scene));
    std::vector<LegendEntry> legend;
    if (points) legend.emplace_back(kDataPoint, "your points", LegendEntry::Mark::Dot);
    target_canvas.set_legend(std::move(legend));
    const GLuint tex = target_heatmap_.texture();
    const WorldRect box{d.center[0] - d.extent, d.center[1] - d.extent, d.center[0] + d.extent,
                        d.center[1] + d.extent};
    const std::vector<Eigen::Vector2d>& data = scene.params().train.points;
    target_canvas.draw(size, [&](Canvas& c) {
        c.image(tex, {box.x0, box.y0}, {box.x1, box.y1});
        if (points)
            for (const Eigen::Vector2d& x : data) {
                c.point(to_vec2(x), kDataOutline, 3.5f);
                c.point(to_vec2(x), kDataPoint, 2.5f);
            }
    });
    mark_rect("flow.train.target_canvas", target_canvas.plot_min(), target_canvas.plot_max());
    mark_value("flow.train.target_peak", img.peak);
    if (points)
        if (auto w = target_canvas.clicked_world()) scene.add_train_point(to_flow(*w));
}

//-----------------------------------------------------------------------------
// [SECTION] The loss curve
//-----------------------------------------------------------------------------

void FlowTrainView::draw_loss(FlowScene& scene, ImVec2 size) {
    FlowTraining& run = scene.training();
    if (!run.configured()) return;
    const int budget = std::max(1, scene.params().train.steps);
    const auto curve = run.curve(static_cast<int>(std::max(64.0f, size.x)));
    // The y range of the running mean (the raw losses of the first steps can be far above it;
    // they are clipped), padded by a tenth.
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& p : curve)
        if (std::isfinite(p.mean)) lo = std::min(lo, p.mean), hi = std::max(hi, p.mean);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
    const double pad = 0.1 * (hi - lo);
    loss_canvas.set_home({0, lo - pad, static_cast<double>(budget), hi + pad}, false);
    loss_canvas.set_axes({"step"}, {"loss"});
    const std::string title =
        std::string("the ") + ft::to_string(scene.params().train.objective_kind()) +
        " KL objective per Adam step" +
        (scene.params().train.objective_kind() == ft::Objective::Reverse ? " (= KL(q‖p) − log Z)"
                                                                         : " (= KL(p‖q) + H(p))");
    ImGui::BeginGroup();
    const float title_h = plot_title(title.c_str(), size.x);
    loss_canvas.set_title(title);
    loss_canvas.set_legend(
        {{kLossRaw, "the batch's loss"}, {kLossMean, "its running mean over 50 steps"}});
    const float legend_h = loss_canvas.legend_item_height(size.x);
    loss_canvas.draw(ImVec2(size.x, std::max(40.0f, size.y - title_h - legend_h)), [&](Canvas& c) {
        std::vector<Vec2> raw, mean;
        for (const auto& p : curve) {
            if (std::isfinite(p.loss)) raw.push_back({static_cast<double>(p.step), p.loss});
            if (std::isfinite(p.mean)) mean.push_back({static_cast<double>(p.step), p.mean});
        }
        if (raw.size() > 1) c.polyline(raw, kLossRaw, 1.0f);
        if (mean.size() > 1) c.polyline(mean, kLossMean, 2.0f);
    });
    loss_canvas.draw_legend_item(size.x);
    ImGui::EndGroup();
    mark_rect("flow.train.loss_canvas", loss_canvas.plot_min(), loss_canvas.plot_max());
}

}  // namespace genlab
