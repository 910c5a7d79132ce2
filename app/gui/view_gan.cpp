// GAN-dynamics panel: Dirac-GAN and bilinear-game phase plots, side by side without and with
// the R1 penalty, with the spectrum, a γ sweep and the time series.
//
// [SECTION] Helpers: planes, plots, colours
// [SECTION] The view: state and simulation
// [SECTION] Controls and readouts
// [SECTION] Phase plots
// [SECTION] Spectrum, sweep and time series
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "canvas.hpp"
#include "gan_model.hpp"
#include "test_dump.hpp"
#include "view.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers: planes, plots, colours
//-----------------------------------------------------------------------------

constexpr ImU32 kMainTrajectory = IM_COL32(220, 60, 20, 255);
constexpr ImU32 kExtraTrajectory = IM_COL32(30, 90, 200, 200);
constexpr ImU32 kStartMarker = IM_COL32(220, 60, 20, 255);
constexpr ImU32 kEquilibrium = IM_COL32(0, 0, 0, 255);
constexpr ImU32 kStreamline = IM_COL32(90, 90, 110, 90);
constexpr ImU32 kReal = IM_COL32(30, 90, 200, 255);
constexpr ImU32 kImag = IM_COL32(230, 120, 20, 255);
constexpr ImU32 kBoundary = IM_COL32(0, 150, 60, 255);
constexpr Colormap kSpeedColormap = Colormap::Magma;
constexpr int kMaxDrawnPoints = 600;     // per trajectory: enough for a smooth curve
constexpr double kReferenceStep = 0.05;  // RK4 step of the bilinear flow reference
// All extra trajectories of a plot share this many vertices: 200 of them stay within a
// frame's budget under llvmpipe, and one alone still draws smoothly.
constexpr int kExtraPointsBudget = 40000;

// Which state coordinates a phase plane shows, as (x, y).
struct Plane {
    int x = 2, y = 0;
    const char* x_label = "θ (generator)";
    const char* y_label = "ψ0 (critic slope)";
};

Plane plane_for(const GanParams& p) {
    if (p.sim.system == gan::System::Bilinear) return {1, 0, "g (generator)", "d (critic)"};
    if (p.plane == "theta-psi1") return {2, 1, "θ (generator)", "ψ1 (critic offset)"};
    if (p.plane == "psi1-psi0") return {1, 0, "ψ1 (critic offset)", "ψ0 (critic slope)"};
    return {};
}

Vec2 project(const Plane& plane, const gan::State& s) { return {s[plane.x], s[plane.y]}; }

// A state on the plane at (x, y), the other coordinate at `rest`'s value.
gan::State lift(const Plane& plane, Vec2 w, const gan::State& rest) {
    gan::State s = rest;
    s[plane.x] = w.x;
    s[plane.y] = w.y;
    return s;
}

std::string fmt(double v, int digits = 3) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v == 0 ? 0.0 : v);  // no "-0"
    return buf;
}

std::string complex_text(const gan::Complex& c) {
    if (std::abs(c.imag()) < 1e-12) return fmt(c.real(), 4);
    return fmt(c.real(), 4) + (c.imag() < 0 ? " − " : " + ") + fmt(std::abs(c.imag()), 4) + "i";
}

// Every k-th state (and the last), so thousands of steps draw as a few hundred vertices.
// How many of a trajectory's kept states cover its first `upto` steps (it kept one state in
// keep_every: state index = step / keep_every).
int kept_states_upto(const gan::Trajectory& t, int upto) {
    return std::min(upto / std::max(1, t.keep_every) + 1, static_cast<int>(t.states.size()));
}

std::vector<Vec2> decimated(const Plane& plane, const gan::Trajectory& t, int upto,
                            int max_points = kMaxDrawnPoints) {
    std::vector<Vec2> pts;
    const int n = kept_states_upto(t, upto);
    if (n <= 0) return pts;
    const int stride = std::max(1, n / std::max(2, max_points));
    for (int k = 0; k < n; k += stride) pts.push_back(project(plane, t.states[k]));
    pts.push_back(project(plane, t.states[n - 1]));
    return pts;
}

// Where a trajectory is after `upto` steps (its last kept state up to there).
std::optional<Vec2> state_at(const Plane& plane, const gan::Trajectory& t, int upto) {
    const int n = kept_states_upto(t, upto);
    if (n <= 0) return std::nullopt;
    return project(plane, t.states[n - 1]);
}

// Min and max of the finite values, padded; a flat or empty series gets a unit range.
std::pair<double, double> finite_range(const std::vector<double>& values) {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : values) {
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!std::isfinite(lo)) return {-1, 1};
    if (hi - lo < 1e-12) return {lo - 1, hi + 1};
    const double pad = (hi - lo) * 0.08;
    return {lo - pad, hi + pad};
}

// Arrows and streamlines of the flow's vector field over the canvas's view, on the plane
// through the equilibrium. Cached: rebuilt only when the view or the parameters change.
struct FieldPicture {
    struct Arrow {
        Vec2 from, to;
        double speed;
    };
    std::vector<Arrow> arrows;
    std::vector<std::vector<Vec2>> streamlines;
    double max_speed = 1;
};

FieldPicture build_field(const gan::Params& sim, const Plane& plane, const WorldRect& view) {
    FieldPicture f;
    const gan::State origin = gan::equilibrium(sim);
    constexpr int kArrows = 19;
    const double dx = view.width() / kArrows, dy = view.height() / kArrows;
    const double cell = std::min(dx, dy);
    for (int i = 0; i < kArrows; ++i) {
        for (int j = 0; j < kArrows; ++j) {
            const Vec2 p{view.x0 + (i + 0.5) * dx, view.y0 + (j + 0.5) * dy};
            const gan::State v = gan::velocity(sim, lift(plane, p, origin));
            const double vx = v[plane.x], vy = v[plane.y], speed = std::hypot(vx, vy);
            if (!std::isfinite(speed)) continue;
            f.max_speed = std::max(f.max_speed, speed);
            // Uniform length: direction from the arrow, magnitude from its colour.
            const double len = speed > 1e-12 ? 0.42 * cell / speed : 0;
            f.arrows.push_back(
                {{p.x - vx * len, p.y - vy * len}, {p.x + vx * len, p.y + vy * len}, speed});
        }
    }
    // Streamlines of the in-plane field from a coarse grid of seeds.
    constexpr int kSeeds = 7, kSegments = 80;
    const double h = 0.6 * cell;  // arc-length step
    for (int i = 0; i < kSeeds; ++i) {
        for (int j = 0; j < kSeeds; ++j) {
            Vec2 p{view.x0 + (i + 0.5) * view.width() / kSeeds,
                   view.y0 + (j + 0.5) * view.height() / kSeeds};
            std::vector<Vec2> line{p};
            for (int k = 0; k < kSegments; ++k) {
                const gan::State v = gan::velocity(sim, lift(plane, p, origin));
                const double vx = v[plane.x], vy = v[plane.y], speed = std::hypot(vx, vy);
                if (!std::isfinite(speed) || speed < 1e-9) break;
                p = {p.x + h * vx / speed, p.y + h * vy / speed};
                line.push_back(p);
            }
            f.streamlines.push_back(std::move(line));
        }
    }
    return f;
}

//-----------------------------------------------------------------------------
// [SECTION] The view: state and simulation
//-----------------------------------------------------------------------------

class GanView : public PanelView {
  public:
    GanView() { set_state(model_.defaults()); }

    const PanelModel& model() const override { return model_; }

    void set_state(const Json& s) override {
        params_ = gan_params_from_json(s);
        dirty_ = extras_dirty_ = true;
        shown_ = params_.steps;
        playing_ = false;
        reset_views_ = true;
    }

    Json state() const override { return gan_params_to_json(params_); }
    Canvas& main_canvas() override { return right_canvas_; }

    std::vector<std::string> help_lines() const override {
        return {"Click a phase plot: start another trajectory there",
                "Drag the orange start dot: move the main start",
                "Play: run the trajectories; the left plot has γ = 0, the right your γ"};
    }

    void set_playing(bool playing) override {
        if (playing && shown_ >= params_.steps) shown_ = 0;
        playing_ = playing;
    }
    void step() override {
        playing_ = false;
        shown_ = shown_ >= params_.steps ? 1 : shown_ + 1;
    }
    void reset() override {
        playing_ = false;
        shown_ = 0;
    }

    void draw(const FrameInfo& frame) override {
        advance(frame);
        simulate();  // the readouts in the controls need results; again below if they edit
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("gan.controls", ImVec2(font * 19, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("gan.plots", ImVec2(0, 0), false);
        simulate();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float top_h = std::max(font * 10, avail.y * 0.6f);
        const float half = (avail.x - ImGui::GetStyle().ItemSpacing.x) / 2;
        draw_phase(left_canvas_, ImVec2(half, top_h), left_, left_extra_, reference_params(), true);
        ImGui::SameLine();
        draw_phase(right_canvas_, ImVec2(half, top_h), right_, right_extra_, params_.sim, false);
        sync_views();
        const float bottom_h = std::max(font * 6, ImGui::GetContentRegionAvail().y);
        const float third = (avail.x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
        draw_spectrum(ImVec2(third, bottom_h));
        ImGui::SameLine();
        draw_sweep(ImVec2(third, bottom_h));
        ImGui::SameLine();
        draw_series(ImVec2(third, bottom_h));
        ImGui::EndChild();
    }

  private:
    // The left plot: the same run without the penalty (dirac), or the continuous-time flow
    // (bilinear, which has no penalty), so the contrast is always one change away.
    gan::Params reference_params() const {
        gan::Params ref = params_.sim;
        if (ref.system == gan::System::Dirac) {
            ref.gamma = 0;
        } else {
            // The true orbit: RK4 with a small step over the same total time (an RK4 step of
            // h = 2 would draw a triangle, not the circle the flow follows).
            ref.method = gan::Method::Flow;
            ref.lr = std::min(ref.lr, kReferenceStep);
        }
        return ref;
    }

    // Steps of the reference run that cover the same time as `steps` of the chosen run.
    int reference_steps(int steps) const {
        const double ratio = params_.sim.lr / reference_params().lr;
        return static_cast<int>(std::min<double>(std::ceil(steps * ratio), kGanMaxSteps));
    }

    std::string reference_title() const {
        return params_.sim.system == gan::System::Dirac ? "without R1 (γ = 0)"
                                                        : "continuous-time flow";
    }

    std::string chosen_title() const {
        const std::string method = gan::to_string(params_.sim.method);
        return params_.sim.system == gan::System::Dirac
                   ? "with R1 (γ = " + fmt(params_.sim.gamma) + "), " + method
                   : method + " GDA, lr = " + fmt(params_.sim.lr);
    }

    void advance(const FrameInfo& frame) {
        if (!playing_) return;
        // The whole run takes about 4 s at speed 1, whatever the step count.
        progress_ += frame.dt * frame.speed * std::max(1, params_.steps) / 4.0;
        const int whole = static_cast<int>(progress_);
        progress_ -= whole;
        shown_ = std::min(params_.steps, shown_ + whole);
        if (shown_ >= params_.steps) playing_ = false;
    }

    void simulate() {
        if (dirty_) {
            left_ =
                gan::integrate(reference_params(), params_.start, reference_steps(params_.steps));
            right_ = gan::integrate(params_.sim, params_.start, params_.steps);
            const gan::State eq = gan::equilibrium(params_.sim);
            jacobian_ = gan::jacobian(params_.sim, eq);
            eig_flow_ = gan::eigenvalues(jacobian_);
            eig_map_ = gan::eigenvalues(gan::step_jacobian(params_.sim, eq));
            eig_flow_ref_ = gan::eigenvalues(gan::jacobian(reference_params(), eq));
            eig_map_ref_ = gan::eigenvalues(gan::step_jacobian(reference_params(), eq));
            sweep_ = gan::sweep_gamma(params_.sim, 0, 3, 121);
            fields_dirty_ = true;
            dirty_ = false;
        }
        // Many trajectories are recomputed when a drag ends, not on every frame of it, so
        // dragging a slider stays smooth with hundreds of them.
        if (extras_dirty_ && !ImGui::IsAnyItemActive()) {
            left_extra_ = gan::integrate_batch(reference_params(), params_.extra_starts,
                                               reference_steps(params_.steps),
                                               extra_keep(reference_steps(params_.steps)));
            right_extra_ = gan::integrate_batch(params_.sim, params_.extra_starts, params_.steps,
                                                extra_keep(params_.steps));
            extras_dirty_ = false;
            ++extras_version_;
        }
    }

    void changed() { dirty_ = extras_dirty_ = true; }

    // Extra trajectories keep ~1000 states each: 200 long runs stay small in memory.
    static int extra_keep(int steps) { return std::max(1, steps / 1000); }

    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    template <typename Enum>
    bool enum_combo(const char* label, Enum& value, std::initializer_list<Enum> all,
                    const char* id) {
        bool changed_now = false;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::BeginCombo(label, gan::to_string(value))) {
            for (Enum e : all) {
                if (ImGui::Selectable(gan::to_string(e), e == value)) value = e, changed_now = true;
                mark_item(std::string(id) + "." + gan::to_string(e));
            }
            ImGui::EndCombo();
        }
        mark_item(id);
        return changed_now;
    }

    void draw_controls() {
        gan::Params& sim = params_.sim;
        const bool dirac = sim.system == gan::System::Dirac;
        if (enum_combo("system", sim.system, {gan::System::Dirac, gan::System::Bilinear},
                       "gan.system")) {
            params_.start = remap_start(params_.start);
            for (gan::State& s : params_.extra_starts) s = remap_start(s);
            reset_views_ = true;
            changed();
            // The readouts below use the trajectories: recompute them for the new system now
            // (the old ones have the other dimension).
            left_extra_.clear();
            right_extra_.clear();
            simulate();
        }
        ImGui::BeginDisabled(!dirac);
        if (enum_combo("loss", sim.loss, {gan::Loss::Saturating, gan::Loss::NonSaturating},
                       "gan.loss")) {
            changed();
        }
        ImGui::EndDisabled();
        if (enum_combo("method", sim.method,
                       {gan::Method::Flow, gan::Method::Simultaneous, gan::Method::Alternating},
                       "gan.method")) {
            changed();
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", update_formula().c_str());
        ImGui::BeginDisabled(sim.method != gan::Method::Alternating);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::SliderInt("n_critic", &sim.n_critic, 1, 10, "%d", ImGuiSliderFlags_AlwaysClamp))
            changed();
        mark_item("gan.n_critic");
        ImGui::EndDisabled();
        float lr = static_cast<float>(sim.lr);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::SliderFloat("lr", &lr, 1e-3f, 2.0f, "%.4g",
                               ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp)) {
            sim.lr = lr;
            changed();
        }
        mark_item("gan.lr");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", update_formula().c_str());
        ImGui::BeginDisabled(!dirac);
        float gamma = static_cast<float>(sim.gamma);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::SliderFloat("γ (R1)", &gamma, 0.0f, 5.0f, "%.3g",
                               ImGuiSliderFlags_AlwaysClamp)) {
            sim.gamma = gamma;
            changed();
        }
        mark_item("gan.gamma");
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "R1 = |∇x C(x)|² at the data = ψ0²\nv_ψ0 = −θ·σ(C(θ)) − γ·ψ0 = −θ·σ(C(θ)) − %s·ψ0\n"
                "eigenvalues at 0: −1/2 and (−γ ± √(γ² − 1))/2; real for γ ≥ 1",
                fmt(sim.gamma).c_str());
        }
        ImGui::EndDisabled();
        ImGui::BeginDisabled(!dirac);
        ImGui::TextDisabled("γ:");
        ImGui::EndDisabled();
        for (float g : {0.0f, 0.3f, 1.0f, 2.0f}) {
            ImGui::SameLine(0, 6);
            ImGui::BeginDisabled(!dirac);
            if (ImGui::SmallButton(fmt(g).c_str())) sim.gamma = g, changed();
            mark_item("gan.gamma_preset." + fmt(g));
            ImGui::EndDisabled();
        }
        int steps = params_.steps;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::SliderInt("steps", &steps, 10, 20000, "%d",
                             ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp)) {
            params_.steps = steps;
            shown_ = steps;
            changed();
        }
        mark_item("gan.steps");
        draw_start_editor();
        if (dirac) {
            int plane = params_.plane == "theta-psi1" ? 1 : params_.plane == "psi1-psi0" ? 2 : 0;
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (ImGui::Combo("plane", &plane, "θ, ψ0\0θ, ψ1\0ψ1, ψ0\0")) {
                params_.plane = plane == 1 ? "theta-psi1" : plane == 2 ? "psi1-psi0" : "theta-psi0";
                reset_views_ = fields_dirty_ = true;
            }
            mark_item("gan.plane");
        }
        ImGui::BeginDisabled(params_.extra_starts.empty());
        if (ImGui::Button(
                ("clear " + std::to_string(params_.extra_starts.size()) + " extra trajectories")
                    .c_str())) {
            params_.extra_starts.clear();
            changed();
        }
        mark_item("gan.clear_extra");
        ImGui::EndDisabled();
        ImGui::TextDisabled("click a plot: add a trajectory");
        ImGui::Separator();
        draw_readouts();
    }

    gan::State remap_start(const gan::State& s) const {
        Json j = Json::array();
        for (int i = 0; i < s.size(); ++i) j.push_back(s[i]);
        Json state = gan_params_to_json(params_);
        state["start"] = j;
        state["extra_starts"] = Json::array();
        return gan_params_from_json(state).start;  // the model maps by role (ψ0 ↔ d, θ ↔ g)
    }

    void draw_start_editor() {
        const bool dirac = params_.sim.system == gan::System::Dirac;
        float v[3] = {0, 0, 0};
        for (int i = 0; i < params_.start.size(); ++i) v[i] = static_cast<float>(params_.start[i]);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
        const bool edited = dirac ? ImGui::DragFloat3("start", v, 0.01f, -50, 50, "%.3g",
                                                      ImGuiSliderFlags_AlwaysClamp)
                                  : ImGui::DragFloat2("start", v, 0.01f, -50, 50, "%.3g",
                                                      ImGuiSliderFlags_AlwaysClamp);
        mark_item("gan.start");
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(dirac ? "(ψ0, ψ1, θ): critic slope, critic offset, generator"
                                    : "(d, g): discriminator, generator");
        }
        if (edited) {
            for (int i = 0; i < params_.start.size(); ++i) params_.start[i] = v[i];
            dirty_ = true;
        }
    }

    std::string update_formula() const {
        const std::string lr = fmt(params_.sim.lr);
        switch (params_.sim.method) {
            case gan::Method::Flow:
                return "continuous time dx/dt = v(x), one RK4 step of h = " + lr;
            case gan::Method::Simultaneous:
                return "x_{k+1} = x_k + " + lr + " · v(x_k)  (both players from the same iterate)";
            case gan::Method::Alternating:
                return std::to_string(params_.sim.n_critic) + " critic step(s) ψ ← ψ + " + lr +
                       " · v_ψ(ψ, θ), then θ ← θ + " + lr + " · v_θ(ψ_new, θ)";
        }
        return "";
    }

    void draw_readouts() {
        const bool flow = params_.sim.method == gan::Method::Flow;
        const bool dirac = params_.sim.system == gan::System::Dirac;
        ImGui::TextUnformatted("Jacobian of v at the equilibrium (0):");
        for (int i = 0; i < jacobian_.rows(); ++i) {
            std::string row = "  [";
            for (int j = 0; j < jacobian_.cols(); ++j)
                row += (j ? ", " : "") + fmt(jacobian_(i, j), 3);
            ImGui::TextUnformatted((row + "]").c_str());
        }
        if (ImGui::IsItemHovered() && dirac) {
            ImGui::SetTooltip(
                "J = [[−γ, 0, −σ(0)], [0, −2σ'(0), 0], [σ(0), 0, 0]]\n"
                "  = [[−%s, 0, −1/2], [0, −1/2, 0], [1/2, 0, 0]]",
                fmt(params_.sim.gamma).c_str());
        }
        ImGui::TextUnformatted("eigenvalues of J (flow):");
        for (const auto& c : eig_flow_) ImGui::BulletText("%s", complex_text(c).c_str());
        double radius = 0;
        for (const auto& c : eig_map_) radius = std::max(radius, std::abs(c));
        double max_re = -INFINITY;
        for (const auto& c : eig_flow_) max_re = std::max(max_re, c.real());
        if (flow) {
            stability_text(max_re < -1e-12,
                           "max Re λ = " + fmt(max_re, 4) + (max_re < -1e-12 ? " < 0" : " ≥ 0"));
        } else {
            ImGui::Text("one-step map: spectral radius %s", fmt(radius, 5).c_str());
            stability_text(radius < 1 - 1e-12,
                           "max |λ| = " + fmt(radius, 5) + (radius < 1 - 1e-12 ? " < 1" : " ≥ 1"));
        }
        ImGui::Separator();
        const gan::Trajectory& t = right_;
        const int upto = std::min(shown_, t.steps_run());
        const gan::State& now = t.states[upto];
        ImGui::Text("step %d of %d", upto, params_.steps);
        ImGui::Text("distance to equilibrium %s", fmt(now.norm(), 4).c_str());
        const double q0 = gan::conserved_quantity(params_.sim.system, t.states.front());
        const double q = gan::conserved_quantity(params_.sim.system, now);
        ImGui::Text("%s: %s (drift %s)", dirac ? "ψ0² + θ²" : "d² + g²", fmt(q, 5).c_str(),
                    fmt(q - q0, 3).c_str());
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "conserved by the continuous-time flow without the penalty;\n"
                "simultaneous GDA on d·g multiplies d² + g² by 1 + lr² = %s per step",
                fmt(1 + params_.sim.lr * params_.sim.lr, 6).c_str());
        }
        if (t.diverged) {
            ImGui::TextColored(ImVec4(0.85f, 0.05f, 0.05f, 1), "diverged at step %d",
                               t.diverged_at);
            mark_item("gan.diverged");
        }
    }

    static void stability_text(bool stable, const std::string& why) {
        ImGui::TextColored(stable ? ImVec4(0.1f, 0.55f, 0.2f, 1) : ImVec4(0.8f, 0.3f, 0.0f, 1),
                           "%s: %s", stable ? "locally stable" : "not asymptotically stable",
                           why.c_str());
    }

    //-------------------------------------------------------------------------
    // [SECTION] Phase plots
    //-------------------------------------------------------------------------

    // Fixed when the state loads or the plane changes, not while the start is dragged (the
    // view would jump under the mouse).
    WorldRect phase_home() {
        if (reset_views_) {
            const Plane plane = plane_for(params_);
            const Vec2 s = project(plane, params_.start);
            const double r = std::max({1.5, std::abs(s.x) * 1.4, std::abs(s.y) * 1.4});
            home_ = {-r, -r, r, r};
            reset_views_ = false;
        }
        return home_;
    }

    void sync_views() {
        if (left_canvas_.view_changed()) right_canvas_.set_view(left_canvas_.requested_view());
        if (right_canvas_.view_changed()) left_canvas_.set_view(right_canvas_.requested_view());
    }

    void draw_phase(Canvas& canvas, ImVec2 size, const gan::Trajectory& main,
                    const std::vector<gan::Trajectory>& extra, const gan::Params& sim,
                    bool is_left) {
        const Plane plane = plane_for(params_);
        canvas.set_home(phase_home(), true);
        canvas.set_axes({plane.x_label}, {plane.y_label});
        FieldPicture& field = is_left ? left_field_ : right_field_;
        WorldRect& field_view = is_left ? left_field_view_ : right_field_view_;
        const WorldRect view = canvas.view();
        if (fields_dirty_ || view.x0 != field_view.x0 || view.x1 != field_view.x1 ||
            view.y0 != field_view.y0 || view.y1 != field_view.y1) {
            field = build_field(sim, plane, view);
            field_view = view;
            ++field_version_;
            if (!is_left) fields_dirty_ = false;
        }
        canvas.set_colorbar(ColorbarSpec{kSpeedColormap, 0, field.max_speed, "speed |v|"});
        const std::string title = is_left ? reference_title() : chosen_title();
        ImGui::BeginGroup();
        ImGui::TextUnformatted(title.c_str());
        // Extra trajectories are drawn whole, once, into the cached layer; Play moves a dot
        // along each. Redrawing hundreds of growing polylines every frame of the animation cost
        // ~100 ms per frame (CPU tessellation plus rasterizing the whole layer again).
        std::vector<Vec2> extra_heads;
        const int upto = is_left ? reference_steps(shown_) : shown_;
        const int all_steps = is_left ? reference_steps(params_.steps) : params_.steps;
        const int per_extra =
            std::clamp(kExtraPointsBudget / std::max<int>(1, extra.size()), 40, kMaxDrawnPoints);
        for (const auto& t : extra) {
            if (const auto head = state_at(plane, t, upto)) extra_heads.push_back(*head);
        }
        const std::vector<Vec2> main_pts = decimated(plane, main, upto);
        const Vec2 start = project(plane, params_.start);
        const Vec2 eq = project(plane, gan::equilibrium(sim));
        const double max_speed = field.max_speed;
        const auto field_copy = std::make_shared<const FieldPicture>(field);
        // Two cached layers, each re-rendered only when its number changes: the field (with a
        // slider drag) and the extra trajectories (when they are recomputed, after the drag).
        const std::uint64_t field_version = field_version_;
        const std::uint64_t extras_version =
            (extras_version_ * 1000003u + static_cast<std::uint64_t>(all_steps)) * 1000003u +
            std::hash<std::string>{}(params_.plane);
        canvas.draw(
            ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
            // `extra` is this view's member: it outlives the canvas that keeps this for exports.
            [field_copy, extras = &extra, plane, all_steps, per_extra, extra_heads, main_pts, start,
             eq, max_speed, field_version, extras_version](Canvas& c) {
                c.cached_layer("field", field_version, [&](Canvas& c) {
                    for (const auto& line : field_copy->streamlines) {
                        c.polyline(line, kStreamline, 1.0f);
                    }
                    for (const auto& a : field_copy->arrows) {
                        c.arrow(a.from, a.to,
                                colormap_color(kSpeedColormap, 0.15 + 0.7 * a.speed / max_speed),
                                1.2f);
                    }
                });
                if (!extras->empty()) {
                    c.cached_layer("extras", extras_version, [&](Canvas& c) {
                        for (const auto& t : *extras)
                            c.polyline(decimated(plane, t, all_steps, per_extra), kExtraTrajectory,
                                       1.0f);
                    });
                }
                for (const Vec2& head : extra_heads) c.point(head, kExtraTrajectory, 3);
                c.polyline(main_pts, kMainTrajectory, 2.5f);
                if (!main_pts.empty()) c.point(main_pts.back(), kMainTrajectory, 4);
                c.point(start, IM_COL32_WHITE, 7);
                c.point(start, kStartMarker, 5.5f);
                c.line({eq.x - 0.06 * 3, eq.y}, {eq.x + 0.06 * 3, eq.y}, kEquilibrium, 2);
                c.line({eq.x, eq.y - 0.06 * 3}, {eq.x, eq.y + 0.06 * 3}, kEquilibrium, 2);
                c.text({eq.x + 0.3, eq.y - 0.2}, "equilibrium", kEquilibrium);
            });
        ImGui::EndGroup();
        mark_rect(is_left ? "gan.phase0" : "gan.phase", canvas.plot_min(), canvas.plot_max());
        handle_phase_input(canvas, plane);
        if (auto w = canvas.hover_world(); w && !canvas.left_drag_origin()) {
            const gan::State x = lift(plane, *w, gan::equilibrium(sim));
            const gan::State v = gan::velocity(sim, x);
            ImGui::SetTooltip("(%s, %s) = (%s, %s)\nv = (%s, %s), |v| = %s", plane.x_label,
                              plane.y_label, fmt(w->x).c_str(), fmt(w->y).c_str(),
                              fmt(v[plane.x]).c_str(), fmt(v[plane.y]).c_str(),
                              fmt(std::hypot(v[plane.x], v[plane.y])).c_str());
        }
    }

    void handle_phase_input(Canvas& canvas, const Plane& plane) {
        const double grab = 12.0 / canvas.pixels_per_unit_x();  // 12 px around the start dot
        const Vec2 start = project(plane, params_.start);
        // Latched when the drag begins on the dot: afterwards the dot follows the pointer,
        // however far it moves from where the press was.
        const auto origin = canvas.left_drag_origin();
        if (!origin && dragging_start_ == &canvas) dragging_start_ = nullptr;
        if (origin && !dragging_start_ &&
            std::hypot(origin->x - start.x, origin->y - start.y) < grab) {
            dragging_start_ = &canvas;
        }
        if (dragging_start_ == &canvas) {
            if (auto w = canvas.hover_world()) {
                params_.start = lift(plane, *w, params_.start);
                dirty_ = true;
            }
            return;
        }
        if (auto w = canvas.clicked_world();
            w && std::hypot(w->x - start.x, w->y - start.y) >= grab &&
            static_cast<int>(params_.extra_starts.size()) < kGanMaxExtraStarts) {
            params_.extra_starts.push_back(lift(plane, *w, gan::equilibrium(params_.sim)));
            extras_dirty_ = true;
        }
    }

    //-------------------------------------------------------------------------
    // [SECTION] Spectrum, sweep and time series
    //-------------------------------------------------------------------------

    void draw_spectrum(ImVec2 size) {
        const bool flow = params_.sim.method == gan::Method::Flow;
        const auto& eig = flow ? eig_flow_ : eig_map_;
        const auto& ref = flow ? eig_flow_ref_ : eig_map_ref_;
        double r = flow ? 1.0 : 1.3;
        for (const auto& c : eig) r = std::max(r, 1.15 * std::abs(c));
        r = std::min(r, 1e6);
        spectrum_canvas_.set_home({-r, -r, r, r}, true);
        spectrum_canvas_.set_axes({"Re λ"}, {"Im λ"});
        ImGui::BeginGroup();
        ImGui::TextUnformatted(flow ? "eigenvalues of J (stable: left of the axis)"
                                    : "eigenvalues of the step map (stable: inside)");
        spectrum_canvas_.draw(
            ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
            [eig, ref, flow, r](Canvas& c) {
                if (flow) {
                    c.line({0, -r}, {0, r}, kBoundary, 2);
                } else {
                    std::vector<Vec2> circle;
                    for (int k = 0; k <= 128; ++k)
                        circle.push_back({std::cos(k * M_PI / 64), std::sin(k * M_PI / 64)});
                    c.polyline(circle, kBoundary, 2);
                }
                for (const auto& z : ref)
                    c.point({z.real(), z.imag()}, IM_COL32(120, 120, 130, 255), 5);
                for (const auto& z : ref) c.point({z.real(), z.imag()}, IM_COL32_WHITE, 3.5f);
                for (const auto& z : eig) c.point({z.real(), z.imag()}, kMainTrajectory, 5);
            });
        ImGui::EndGroup();
        mark_rect("gan.spectrum", spectrum_canvas_.plot_min(), spectrum_canvas_.plot_max());
        if (spectrum_canvas_.hovered()) {
            std::string text = "filled: your settings; hollow: the left plot's\n";
            for (const auto& z : eig)
                text += complex_text(z) + "   |λ| = " + fmt(std::abs(z), 4) + "\n";
            ImGui::SetTooltip("%s", text.c_str());
        }
    }

    void draw_sweep(ImVec2 size) {
        std::vector<double> ys;
        for (const auto& p : sweep_) {
            for (const auto& z : p.eigenvalues) ys.push_back(z.real()), ys.push_back(z.imag());
        }
        const auto [lo, hi] = finite_range(ys);
        sweep_canvas_.set_home({0, lo, 3, hi}, false);
        sweep_canvas_.set_axes({"γ"}, {"λ"});
        ImGui::BeginGroup();
        ImGui::TextColored(ImVec4(0.12f, 0.35f, 0.78f, 1), "Re λ");
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(0.9f, 0.47f, 0.08f, 1), "Im λ");
        ImGui::SameLine();
        ImGui::TextUnformatted("as γ sweeps 0 → 3");
        const auto sweep = sweep_;
        const double gamma = params_.sim.gamma;
        const bool dirac = params_.sim.system == gan::System::Dirac;
        sweep_canvas_.draw(
            ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
            [sweep, gamma, lo = lo, hi = hi, dirac](Canvas& c) {
                c.line({0, 0}, {3, 0}, IM_COL32(0, 0, 0, 90), 1);
                if (dirac) {
                    c.line({1, lo}, {1, hi}, kBoundary, 1.5f);
                    c.text({1.0, hi - (hi - lo) * 0.06}, "  γ = 1: critical", kBoundary);
                } else {
                    c.text({1.5, (lo + hi) / 2 + (hi - lo) * 0.25}, "no effect on V = d·g",
                           IM_COL32(0, 0, 0, 200));
                }
                c.line({gamma, lo}, {gamma, hi}, IM_COL32(0, 0, 0, 160), 1.5f);
                for (const auto& p : sweep) {
                    for (const auto& z : p.eigenvalues) {
                        c.point({p.gamma, z.imag()}, kImag, 2.2f);
                        c.point({p.gamma, z.real()}, kReal, 2.2f);
                    }
                }
            });
        ImGui::EndGroup();
        mark_rect("gan.sweep", sweep_canvas_.plot_min(), sweep_canvas_.plot_max());
    }

    void draw_series(ImVec2 size) {
        const gan::Trajectory& t = right_;
        const int upto = std::min(shown_, t.steps_run());
        const bool dirac = params_.sim.system == gan::System::Dirac;
        const int dim = static_cast<int>(t.states.front().size());
        const int stride = std::max(1, upto / kMaxDrawnPoints);
        std::vector<std::vector<Vec2>> lines(dim + 1);
        std::vector<double> ys;
        for (int k = 0; k <= upto; k += stride) {
            const gan::State& s = t.states[k];
            for (int i = 0; i < dim; ++i) lines[i].push_back({double(k), s[i]}), ys.push_back(s[i]);
            lines[dim].push_back({double(k), s.norm()});
            ys.push_back(s.norm());
        }
        const auto [lo, hi] = finite_range(ys);
        series_canvas_.set_home({0, lo, std::max(1.0, double(params_.steps)), hi}, false);
        series_canvas_.set_axes({"step"}, {""});
        static const ImU32 colours[4] = {IM_COL32(200, 40, 40, 255), IM_COL32(40, 150, 60, 255),
                                         IM_COL32(40, 80, 200, 255), IM_COL32(0, 0, 0, 255)};
        const char* names_dirac[4] = {"ψ0", "ψ1", "θ", "distance"};
        const char* names_bilinear[3] = {"d", "g", "distance"};
        ImGui::BeginGroup();
        for (int i = 0; i <= dim; ++i) {
            if (i) ImGui::SameLine();
            const ImU32 col = colours[i == dim ? 3 : i];
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(col), "%s",
                               dirac ? names_dirac[i] : names_bilinear[i]);
        }
        ImGui::SameLine();
        ImGui::TextUnformatted("against step");
        series_canvas_.draw(
            ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()), [lines, dim](Canvas& c) {
                for (int i = 0; i <= dim; ++i)
                    c.polyline(lines[i], colours[i == dim ? 3 : i], i == dim ? 2.0f : 1.5f);
            });
        ImGui::EndGroup();
        mark_rect("gan.series", series_canvas_.plot_min(), series_canvas_.plot_max());
    }

    GanModel model_;
    GanParams params_;
    bool dirty_ = true, extras_dirty_ = true, fields_dirty_ = true, reset_views_ = true;
    int shown_ = 0;  // steps drawn so far (the animation); == steps when idle
    double progress_ = 0;
    gan::Trajectory left_, right_;
    std::vector<gan::Trajectory> left_extra_, right_extra_;
    Eigen::MatrixXd jacobian_;
    std::vector<gan::Complex> eig_flow_, eig_map_, eig_flow_ref_, eig_map_ref_;
    std::vector<gan::SweepPoint> sweep_;
    FieldPicture left_field_, right_field_;
    WorldRect home_;
    const Canvas* dragging_start_ = nullptr;
    std::uint64_t
        field_version_ = 0,
        extras_version_ =
            0;  // keys of the cached layers  // the canvas whose start dot is being dragged
    WorldRect left_field_view_{0, 0, 0, 0}, right_field_view_{0, 0, 0, 0};
    Canvas left_canvas_{"gan.phase0"}, right_canvas_{"gan.phase"}, spectrum_canvas_{"gan.spectrum"},
        sweep_canvas_{"gan.sweep"}, series_canvas_{"gan.series"};
};

}  // namespace

std::unique_ptr<PanelView> make_gan_view() { return std::make_unique<GanView>(); }

}  // namespace genlab
