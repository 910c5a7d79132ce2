// Variational-inference panel (issue 15; seeds 000 Q2–Q4, 002 Q2, 003 Q1, 004 §4.2): the view
// switch, the latent-variable model's controls, and the four views (view_vi_*.cpp). Everything
// is computed by ViScene (model/scene_vi.hpp); these files hold widgets and drawing.
//
// [SECTION] Shared helpers
// [SECTION] The panel view
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "format.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "view_vi.hpp"
#include "widgets.hpp"

namespace genlab {

namespace vi_view {

//-----------------------------------------------------------------------------
// [SECTION] Shared helpers
//-----------------------------------------------------------------------------

void coloured_wrapped(const std::string& text, const ImVec4& colour) {
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    text_wrapped(text);
    ImGui::PopStyleColor();
}

std::string with_error(double value, double error, int digits) {
    return format_g(value, digits) + " ± " + format_error(error);
}

std::vector<Vec2> gaussian_curve(const vi::Gaussian& q, double lo, double hi, int n) {
    std::vector<Vec2> out;
    for (int i = 0; i < n; ++i) {
        const double z = lo + (hi - lo) * i / (n - 1), u = (z - q.mu) / q.sigma;
        out.push_back({z, std::exp(-0.5 * u * u) / (q.sigma * std::sqrt(2 * M_PI))});
    }
    return out;
}

void fill_under(Canvas& c, const std::vector<Vec2>& curve, ImU32 color) {
    for (size_t i = 0; i + 1 < curve.size(); ++i) {
        const double h = 0.5 * (curve[i].y + curve[i + 1].y);
        c.rect({curve[i].x, 0}, {curve[i + 1].x, h}, color);
    }
}

void dashed(Canvas& c, const std::vector<Vec2>& pts, ImU32 color, float thickness) {
    for (size_t k = 0; k + 1 < pts.size(); k += 2) c.line(pts[k], pts[k + 1], color, thickness);
}

}  // namespace vi_view

namespace {

using namespace vi_view;

//-----------------------------------------------------------------------------
// [SECTION] The panel view
//-----------------------------------------------------------------------------

constexpr std::array<std::pair<ViView, const char*>, 4> kViews = {{
    {ViView::Bounds, "Bounds: ELBO and L_K (000 Q4)"},
    {ViView::Amortization, "Amortization gap (000 Q3)"},
    {ViView::Estimators, "Gradient estimators (004 §4.2)"},
    {ViView::Reparam, "Reparameterization (000 Q2)"},
}};

class ViPanelView : public PanelView {
  public:
    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }
    void set_state(const Json& s) override {
        scene_->set_state(s);
        edits_.error.clear();
    }
    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return *current().canvases().front(); }
    std::vector<Canvas*> figure_canvases() override { return current().canvases(); }
    // The view's most-used slider (the amortization view has no x slider).
    std::string bench_slider() const override {
        switch (scene_->params().view) {
            case ViView::Bounds:
                return "vi.x";
            case ViView::Amortization:
                return "vi.encoder_lr";
            case ViView::Estimators:
                return "vi.q_mu";
            case ViView::Reparam:
                return "vi.rp_s.S21";
        }
        return "vi.x";
    }
    std::vector<std::string> legend_lines() const override { return current().legend_lines(); }

    std::vector<std::string> help_lines() const override {
        return {"The radio buttons at the top switch views; the model (f, σ_x) is shared",
                "Bounds: drag x or q; raise K: L_K climbs to log p(x); Fit q by ELBO or IWAE-K",
                "Amortization: Play (Space) trains the encoder; click a point to observe its x",
                "Estimators: raise B: every variance falls as 1/B, the score's from far higher"};
    }

    void draw() override {
        if (test_dump_enabled()) dump_values();
        draw_view_switch();
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("vi.controls", ImVec2(font * 21, 0), true);
        // The model's controls where the view uses the model (the estimators' quadratic f and
        // the reparameterization card do not).
        const ViParams& p = scene_->params();
        if (p.view == ViView::Bounds || p.view == ViView::Amortization ||
            (p.view == ViView::Estimators && p.est_f == ViEstF::Elbo)) {
            draw_model_controls();
            ImGui::Separator();
        }
        current().draw_controls(*scene_, edits_);
        if (!edits_.error.empty()) coloured_wrapped(edits_.error, palette::kErrorText);
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("vi.plots", ImVec2(0, 0), false);
        current().draw_plots(*scene_, edits_, ImGui::GetContentRegionAvail());
        ImGui::EndChild();
    }

  private:
    SubView& current() const {
        switch (scene_->params().view) {
            case ViView::Bounds:
                return bounds_;
            case ViView::Amortization:
                return amortization_;
            case ViView::Estimators:
                return estimators_;
            case ViView::Reparam:
                return reparam_;
        }
        return bounds_;
    }

    void dump_values() {
        ViScene& s = *scene_;
        mark_value("vi.view", to_string(s.params().view));
        mark_value("vi.encoder_steps_done", s.encoder_steps_done());
        if (s.params().view == ViView::Bounds) {
            const ViScene::BoundsData& b = s.bounds();
            const int k = b.index_of(s.params().K);
            const bool done = k >= 0 && b.done[static_cast<size_t>(k)];
            mark_value("vi.L_K", done ? Json(b.exact[static_cast<size_t>(k)].value) : Json());
            mark_value("vi.elbo", b.elbo);
            mark_value("vi.log_px", b.log_px);
        }
        if (s.params().view == ViView::Amortization) mark_value("vi.gap", s.amortization().gap);
    }

    void draw_view_switch() {
        for (size_t i = 0; i < kViews.size(); ++i) {
            const auto& [v, label] = kViews[i];
            if (i > 0) ImGui::SameLine();
            const ViView view = v;  // clang 14 cannot capture a structured binding (C++20)
            if (ImGui::RadioButton(label, scene_->params().view == view))
                edits_([&] { scene_->set_view(view); });
            mark_item(std::string("vi.view.") + to_string(v));
        }
    }

    void draw_model_controls() {
        const ViParams& p = scene_->params();
        ImGui::TextUnformatted("Model: z ~ N(0, 1), x | z ~ N(f(z), σ_x²)");
        const std::array<std::pair<ViLink, const char*>, 4> links = {{
            {ViLink::Linear, "a·z + b"},
            {ViLink::Tanh, "tanh(a·z + b)"},
            {ViLink::Quadratic, "a·z² + b"},
            {ViLink::Expression, "formula"},
        }};
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
        const char* current = "";
        for (const auto& [l, label] : links)
            if (l == p.link) current = label;
        if (ImGui::BeginCombo("f(z)", current)) {
            for (const auto& [l, label] : links) {
                const ViLink link = l;  // clang 14 cannot capture a structured binding (C++20)
                if (ImGui::Selectable(label, link == p.link))
                    edits_([&] { scene_->set_link(link); });
            }
            ImGui::EndCombo();
        }
        mark_item("vi.link");
        const float w = ImGui::GetFontSize() * 10;
        if (p.link == ViLink::Expression) {
            if (expression_seen_ != p.expression) {
                std::snprintf(expression_, sizeof expression_, "%s", p.expression.c_str());
                expression_seen_ = p.expression;
            }
            ImGui::SetNextItemWidth(-1);
            if (ImGui::InputText("##expression", expression_, sizeof expression_,
                                 ImGuiInputTextFlags_EnterReturnsTrue)) {
                const std::string text = expression_;
                edits_([&] { scene_->set_expression(text); });
            }
            mark_item("vi.expression");
            ImGui::TextDisabled("f(z) in z; Enter applies (muparser: sin, exp, tanh, ^, …)");
        } else {
            double a = p.a, b = p.b;
            const float half = ImGui::GetFontSize() * 6.2f;
            ImGui::SetNextItemWidth(half);
            if (key_slider("a", a, vi_keys::a, "%.3g")) edits_([&] { scene_->set_a(a); });
            mark_item("vi.a");
            ImGui::SameLine();
            ImGui::SetNextItemWidth(half);
            if (key_slider("b", b, vi_keys::b, "%.3g")) edits_([&] { scene_->set_b(b); });
            mark_item("vi.b");
        }
        double sx = p.sigma_x, x = p.x;
        ImGui::SetNextItemWidth(w);
        if (key_slider("σ_x", sx, vi_keys::sigma_x, "%.3g"))
            edits_([&] { scene_->set_sigma_x(sx); });
        mark_item("vi.sigma_x");
        if (p.view != ViView::Amortization) {
            ImGui::SetNextItemWidth(w);
            if (key_slider("x (observed)", x, vi_keys::x, "%.3f"))
                edits_([&] { scene_->set_x(x); });
            mark_item("vi.x");
        }
    }

    std::unique_ptr<ViScene> scene_ = std::make_unique<ViScene>();
    ViEdits edits_;
    // mutable: current() serves the const legend_lines() too.
    mutable BoundsView bounds_;
    mutable AmortizationView amortization_;
    mutable EstimatorsView estimators_;
    mutable ReparamView reparam_;
    char expression_[1024] = "";
    std::string expression_seen_;
};

}  // namespace

std::unique_ptr<PanelView> make_vi_view() { return std::make_unique<ViPanelView>(); }

}  // namespace genlab
