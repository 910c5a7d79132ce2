// GAN-dynamics panel: Dirac-GAN and bilinear-game phase plots, side by side without and with
// the R1 penalty, with the spectrum, a γ sweep and the time series. Widgets and drawing only:
// the runs, spectra, sweep, field pictures and animation live in GanScene (scene_gan.hpp).
//
// [SECTION] Helpers: drawing points of runs
// [SECTION] The view
// [SECTION] Controls and readouts
// [SECTION] Phase plots
// (the spectrum, γ sweep and time series: view_gan_plots.cpp)
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>

#include "canvas.hpp"
#include "errors.hpp"
#include "format.hpp"
#include "palette.hpp"
#include "scene_gan.hpp"
#include "test_dump.hpp"
#include "view.hpp"
#include "view_gan_grid.hpp"
#include "view_gan_plots.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

namespace gm = gan_methods;
using gan_view::complex_text;
using gan_view::kMainTrajectory;
using gan_view::kMaxDrawnPoints;

//-----------------------------------------------------------------------------
// [SECTION] Helpers: drawing points of runs
//-----------------------------------------------------------------------------

constexpr ImU32 kExtraTrajectory = IM_COL32(30, 90, 200, 200);
constexpr ImU32 kStartMarker = IM_COL32(220, 60, 20, 255);
constexpr ImU32 kEquilibrium = IM_COL32(0, 0, 0, 255);
constexpr ImU32 kStreamline = IM_COL32(90, 90, 110, 90);
constexpr ImU32 kManualCritic = IM_COL32(20, 140, 70, 255);      // Step D moves: green
constexpr ImU32 kManualGenerator = IM_COL32(140, 40, 170, 255);  // Step G moves: purple
constexpr Colormap kSpeedColormap = Colormap::Magma;
// All extra trajectories of a plot share this many vertices: 200 of them stay within a
// frame's budget under llvmpipe, and one alone still draws smoothly.
constexpr int kExtraPointsBudget = 40000;

Vec2 vec(GanPoint p) { return {p.x, p.y}; }
Vec2 project(const GanPlane& plane, const gan::State& s) { return vec(plane.project(s)); }

// How many of a trajectory's kept states cover its first `upto` steps (it kept one state in
// keep_every: state index = step / keep_every).
int kept_states_upto(const gan::Trajectory& t, int upto) {
    return std::min(upto / std::max(1, t.keep_every) + 1, static_cast<int>(t.states.size()));
}

// Every k-th state (and the last), so thousands of steps draw as a few hundred vertices.
std::vector<Vec2> decimated(const GanPlane& plane, const gan::Trajectory& t, int upto,
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
std::optional<Vec2> state_at(const GanPlane& plane, const gan::Trajectory& t, int upto) {
    const int n = kept_states_upto(t, upto);
    if (n <= 0) return std::nullopt;
    return project(plane, t.states[n - 1]);
}

//-----------------------------------------------------------------------------
// [SECTION] The view
//-----------------------------------------------------------------------------

class GanView : public PanelView {
  public:
    GanView() { set_state(scene_->model().defaults()); }

    const PanelModel& model() const override { return scene_->model(); }
    Scene& scene() const override { return *scene_; }
    std::string bench_slider() const override { return "gan.gamma"; }

    void set_state(const Json& s) override {
        scene_->set_state(s);
        reset_views_ = true;
        grid_tab_ = !scene_->params().grid.cells.empty();  // a grid preset opens the grid
    }

    Json state() const override { return scene_->state(); }
    Canvas& main_canvas() override { return right_canvas_; }
    std::vector<Canvas*> figure_canvases() override {
        // Only the canvases of the shown tab were drawn last frame: the figure is that tab's.
        std::vector<Canvas*> all = {&left_canvas_, &right_canvas_, &spectrum_canvas_,
                                    &sweep_canvas_, &series_canvas_};
        for (Canvas* c : grid_view_.canvases()) all.push_back(c);
        return all;
    }

    std::vector<std::string> legend_lines() const override {
        return {"Phase plots: left without penalties (or the continuous flow), right your settings",
                "Orange: the main trajectory from the white-ringed start; blue: extra "
                "trajectories; grey: flow lines of the field; arrows: v, coloured by speed |v|",
                "Cross: the equilibrium (0, 0, 0) or (0, 0)",
                "Eigenvalue plot: filled orange: your settings; hollow: the left plot's; green: "
                "the stability boundary (Re λ = 0 for the flow, |λ| = 1 for a step map)",
                "γ sweep: blue Re λ, orange Im λ of J as γ goes 0 → 3; dark line: your γ; green: "
                "γ = 1, critical damping",
                "Time series: ψ0 red, ψ1 green, θ blue, black the distance to the equilibrium",
                "drift: ψ0² + θ² (or d² + g²) minus its start value; 0 for the undamped flow"};
    }

    std::vector<std::string> help_lines() const override {
        return {"Click a phase plot: start another trajectory there",
                "Drag the orange start dot: move the main start",
                "Play: run the trajectories; the left plot without penalties, the right yours",
                "Method grid: click a cell's plot to open that method in the main plots",
                "pace: steps per second for Play (slow motion; 0 = the whole run in ~4 s)"};
    }

    void draw() override {
        sync();  // the readouts in the controls need results; again below if they edit
        const float font = ImGui::GetFontSize();
        ImGui::BeginChild("gan.controls", ImVec2(font * 19, 0), true);
        draw_controls();
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("gan.plots", ImVec2(0, 0), false);
        sync();
        // Two views of the panel, as a row of toggle buttons (the test dump needs their
        // rectangles, which ImGui's tab items do not report as the last item).
        for (int tab = 0; tab < 2; ++tab) {
            const bool on = grid_tab_ == (tab == 1);
            if (tab) ImGui::SameLine(0, 2);
            ImGui::PushStyleColor(ImGuiCol_Button,
                                  ImGui::GetStyleColorVec4(on ? ImGuiCol_TabActive : ImGuiCol_Tab));
            if (ImGui::Button(tab ? "Method grid" : "Dynamics")) grid_tab_ = tab == 1;
            ImGui::PopStyleColor();
            mark_item(tab ? "gan.tab.grid" : "gan.tab.dynamics");
        }
        const bool grid_tab = grid_tab_;
        if (grid_tab) {
            grid_view_.draw(*scene_, ImGui::GetContentRegionAvail());
            if (grid_view_.take_opened()) {
                grid_tab_ = false;  // the cell is now the main run: show it there
                reset_views_ = true;
            }
            ImGui::EndChild();
            return;
        }
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float top_h = std::max(font * 10, avail.y * 0.6f);
        const float half = (avail.x - ImGui::GetStyle().ItemSpacing.x) / 2;
        draw_phase(left_canvas_, ImVec2(half, top_h), GanSide::Reference);
        ImGui::SameLine();
        draw_phase(right_canvas_, ImVec2(half, top_h), GanSide::Main);
        sync_views();
        const float bottom_h = std::max(font * 6, ImGui::GetContentRegionAvail().y);
        const float third = (avail.x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
        gan_view::draw_spectrum(spectrum_canvas_, ImVec2(third, bottom_h), *scene_);
        ImGui::SameLine();
        gan_view::draw_sweep(sweep_canvas_, ImVec2(third, bottom_h), *scene_);
        ImGui::SameLine();
        gan_view::draw_series(series_canvas_, ImVec2(third, bottom_h), *scene_);
        ImGui::EndChild();
    }

  private:
    // Brings the scene up to date. Many extra trajectories are recomputed when a drag ends,
    // not on every frame of it, so dragging a slider stays smooth with hundreds of them.
    void sync() {
        scene_->set_interacting(ImGui::IsAnyItemActive());
        scene_->update();
    }

    const GanParams& params() const { return scene_->params(); }

    std::string reference_title() const {
        if (params().run.system == gm::System::Bilinear) return "continuous-time flow";
        const gm::Params ref = scene_->reference_params();
        return "without penalties: " + gm::to_string(ref.terms) +
               (ref.terms.has(gm::Term::WganGp) ? " with λ = 0" : "") + ", " +
               gm::to_string(ref.method);
    }

    std::string chosen_title() const {
        const gm::Params& run = params().run;
        const std::string terms = gm::to_string(run.terms);
        std::string penalty;
        if (run.terms.has(gm::Term::R1) || run.terms.has(gm::Term::R2)) {
            penalty = " (γ = " + format_g(run.gamma) + ")";
        }
        return std::string(gm::to_string(run.method)) + " + " +
               (terms.empty() ? "bare game" : terms) + penalty + ", lr = " + format_g(run.lr);
    }

    //-------------------------------------------------------------------------
    // [SECTION] Controls and readouts
    //-------------------------------------------------------------------------

    // A combo of words; true when the user picked another one.
    bool word_combo(const char* label, std::string& value, const std::vector<std::string>& all,
                    const char* id, const std::function<std::string(const std::string&)>& tip) {
        bool changed_now = false;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::BeginCombo(label, value.c_str())) {
            for (const std::string& e : all) {
                if (ImGui::Selectable(e.c_str(), e == value)) value = e, changed_now = true;
                mark_item(std::string(id) + "." + e);
                if (tip && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tip(e).c_str());
            }
            ImGui::EndCombo();
        }
        mark_item(id);
        return changed_now;
    }

    // A change the scene refuses (e.g. noise under wgan) shows its message and keeps the state.
    template <typename Change>
    void try_change(Change change) {
        try {
            change();
            control_error_.clear();
        } catch (const UserError& e) {
            control_error_ = e.what();
        }
    }

    // The regularizer key without the objective, as '+'-joined penalties.
    std::string penalties_of(const gm::TermSet& t) const {
        gm::TermSet out;
        for (const gm::TermInfo& i : gm::term_table()) {
            if (!i.objective && t.has(i.term)) out.add(i.term);
        }
        return gm::to_string(out);
    }

    static std::string joined(const std::string& a, const std::string& b) {
        return a.empty() ? b : b.empty() ? a : a + "+" + b;
    }

    void draw_controls() {
        const gm::Params& run = params().run;
        const bool dirac3 = run.system == gm::System::Dirac3;
        if (std::string system = gan_system_key(run.system); word_combo(
                "system", system, {"dirac", "dirac2", "bilinear"}, "gan.system",
                [](const std::string& w) {
                    return w == "dirac" ? "the seed's Dirac-GAN (ψ0, ψ1, θ), C(x) = ψ0·x + ψ1"
                           : w == "dirac2" ? "Mescheder's Dirac-GAN (ψ, θ), D(x) = ψ·x"
                                           : "V(d, g) = d·g";
                })) {
            for (gm::System sys : {gm::System::Dirac3, gm::System::Dirac2, gm::System::Bilinear}) {
                if (system == gan_system_key(sys)) try_change([&] { scene_->set_system(sys); });
            }
            reset_views_ = true;
            // The readouts below use the runs: recompute them for the new system now (the old
            // ones may have the other dimension).
            sync();
        }
        std::vector<std::string> methods;
        for (const gm::MethodInfo& m : gm::method_table()) methods.push_back(m.cli);
        if (std::string method = gm::to_string(run.method);
            word_combo("method", method, methods, "gan.method", [](const std::string& w) {
                const gm::MethodInfo& m = gm::info(gm::parse_method(w));
                return std::string(m.name) + ": " + m.formula +
                       (*m.memory ? std::string("\nmemory: ") + m.memory : "");
            })) {
            try_change([&] { scene_->set_method(gm::parse_method(method)); });
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", update_formula().c_str());
        draw_regularizer_controls();
        draw_parameter_controls();
        if (!control_error_.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, palette::kErrorText);
            text_wrapped(control_error_);
            ImGui::PopStyleColor();
        }
        {
            const auto& keys = gan_keys::kSweepKeys;
            int which = static_cast<int>(std::find(keys.begin(), keys.end(), params().sweep) -
                                         keys.begin());
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (ImGui::Combo("sweep", &which,
                             "γ (R1)\0lr\0n_critic\0β (momentum)\0σ (noise)\0λ (GP)\0"))
                scene_->set_sweep(keys[static_cast<size_t>(which)]);
            mark_item("gan.sweep_key");
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("the parameter the sweep plot varies, the others as set");
        }
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (int steps = params().steps; key_slider("steps", steps, gan_keys::steps)) {
            scene_->set_steps(steps);
        }
        mark_item("gan.steps");
        draw_pace_controls();
        draw_start_editor();
        if (dirac3) {
            const std::string& name = params().plane;
            int plane = name == "theta-psi1" ? 1 : name == "psi1-psi0" ? 2 : 0;
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (ImGui::Combo("plane", &plane, "θ, ψ0\0θ, ψ1\0ψ1, ψ0\0")) {
                scene_->set_plane(plane == 1   ? "theta-psi1"
                                  : plane == 2 ? "psi1-psi0"
                                               : "theta-psi0");
                reset_views_ = true;
            }
            mark_item("gan.plane");
        }
        const size_t extra = params().extra_starts.size();
        ImGui::BeginDisabled(extra == 0);
        if (ImGui::Button(("clear " + std::to_string(extra) + " extra trajectories").c_str())) {
            scene_->clear_extra_starts();
        }
        mark_item("gan.clear_extra");
        ImGui::EndDisabled();
        ImGui::TextDisabled("click a plot: add a trajectory");
        draw_manual_controls();
        ImGui::Separator();
        sync();
        draw_readouts();
        ImGui::Separator();
        grid_view_.draw_parameters(*scene_);
    }

    // The objective (Dirac systems) and the penalties that apply to the system, as the
    // gan.loss and gan.regularizer keys: terms the system has no use for stay stored, inactive.
    void draw_regularizer_controls() {
        const gm::Params& run = params().run;
        const gm::TermSet stored = gm::parse_terms(params().regularizer);
        if (run.system != gm::System::Bilinear) {
            std::string objective = stored.has(gm::Term::Wgan) ? "wgan"
                                    : stored.has(gm::Term::WganGp)
                                        ? "wgan_gp"
                                        : gan::to_string(params().sim.loss);
            if (word_combo("objective", objective,
                           {"saturating", "non-saturating", "wgan", "wgan_gp"}, "gan.loss",
                           [](const std::string& w) {
                               const gm::Term t = w == "saturating"       ? gm::Term::Gan
                                                  : w == "non-saturating" ? gm::Term::NsGan
                                                  : w == "wgan"           ? gm::Term::Wgan
                                                                          : gm::Term::WganGp;
                               return std::string(gm::info(t).name) + ": " + gm::info(t).formula;
                           })) {
                const std::string cli = objective == "saturating"       ? "gan"
                                        : objective == "non-saturating" ? "nsgan"
                                                                        : objective;
                try_change([&] { scene_->set_regularizer(joined(cli, penalties_of(stored))); });
            }
        }
        ImGui::TextDisabled("penalties:");
        const std::uint32_t bit = gm::system_bit(run.system);
        int shown = 0;
        for (const gm::TermInfo& t : gm::term_table()) {
            if (t.objective || !(t.systems & bit)) continue;
            // Two a row: four do not fit the controls column at 1024 px.
            if (shown++ % 2 == 1) ImGui::SameLine(ImGui::GetFontSize() * 6);
            bool on = stored.has(t.term);
            if (ImGui::Checkbox(t.cli, &on)) {
                gm::TermSet next;
                for (const gm::TermInfo& u : gm::term_table()) {
                    if (u.term == t.term ? on : stored.has(u.term)) next.add(u.term);
                }
                try_change([&] { scene_->set_regularizer(gm::to_string(next)); });
            }
            mark_item(std::string("gan.term.") + t.cli);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s", t.name, t.formula);
        }
    }

    // The parameters the method and the active terms read (gan_methods' tables), in the
    // order of key_table(): only those, each with its key's range.
    void draw_parameter_controls() {
        const gm::Params& run = params().run;
        std::vector<std::string> needed(gm::info(run.method).keys.begin(),
                                        gm::info(run.method).keys.end());
        for (const gm::TermInfo& t : gm::term_table()) {
            if (run.terms.has(t.term)) needed.insert(needed.end(), t.keys.begin(), t.keys.end());
        }
        needed.push_back("gan.lr");  // always: the grid's and the reference's step too
        const auto wanted = [&](const char* key) {
            return std::find(needed.begin(), needed.end(), key) != needed.end();
        };
        for (const gm::KeySpec& spec : gm::key_table()) {
            const std::string key = spec.key;
            if (!wanted(spec.key)) continue;
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            if (key == "gan.lr") {
                if (double lr = run.lr; key_slider("lr", lr, gan_keys::lr, "%.4g"))
                    try_change([&] { scene_->set_lr(lr); });
                mark_item("gan.lr");
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", update_formula().c_str());
            } else if (key == "gan.n_critic") {
                if (int n = run.n_critic; key_slider("n_critic", n, gan_keys::n_critic))
                    try_change([&] { scene_->set_n_critic(n); });
                mark_item("gan.n_critic");
            } else if (key == "gan.gamma") {
                draw_gamma_controls();
                continue;
            } else {
                const NumberKey& k = grid_key(key.substr(4));
                const double now = gm::get_param(run, key);
                const char* format = spec.zero_allowed && now == 0 ? "0 (= lr)" : "%.4g";
                if (double v = now; key_slider(k.key, v, k, format))
                    try_change([&] { scene_->set_method_param(k.key, v); });
                mark_item(key);
            }
            if (key != "gan.lr" && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", spec.meaning);
        }
    }

    void draw_gamma_controls() {
        const gm::Params& run = params().run;
        if (double gamma = run.gamma; key_slider("γ (R1/R2)", gamma, gan_keys::gamma, "%.3g")) {
            scene_->set_gamma(gamma);
        }
        mark_item("gan.gamma");
        if (ImGui::IsItemHovered()) {
            if (run.system == gm::System::Dirac3) {
                ImGui::SetTooltip(
                    "R1 = |∇x C(x)|² at the data = ψ0²\nv_ψ0 = −θ·σ(C(θ)) − γ·ψ0 = −θ·σ(C(θ)) − "
                    "%s·ψ0\neigenvalues at 0: −1/2 and (−γ ± √(γ² − 1))/2; real for γ ≥ 1",
                    format_g(run.gamma).c_str());
            } else {
                ImGui::SetTooltip(
                    "R1 / R2 = |∇x D|² = ψ² on this critic\neigenvalues at 0: "
                    "(−γ ± √(γ² − 4f′(0)²))/2");
            }
        }
        preset_row(
            "γ:", {0.0, 0.3, 1.0, 2.0}, "gan.gamma_preset.", [](double g) { return format_g(g); },
            [&](double g) { try_change([&] { scene_->set_gamma(g); }); });
    }

    // A row of small buttons, one per value, ids `id_prefix` + the value.
    template <typename Label, typename Pick>
    void preset_row(const char* title, std::initializer_list<double> values,
                    const std::string& id_prefix, Label label, Pick pick) {
        ImGui::TextDisabled("%s", title);
        for (double v : values) {
            ImGui::SameLine(0, 6);
            if (ImGui::SmallButton(label(v).c_str())) pick(v);
            mark_item(id_prefix + format_g(v));
        }
    }

    // Play's pace (gan.steps_per_second): slow motion down to single steps a second, beyond
    // the toolbar's 0.1× (which still multiplies it).
    void draw_pace_controls() {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        const double rate = params().steps_per_second;
        if (double r = rate; key_slider("pace", r, gan_keys::steps_per_second,
                                        rate == 0 ? "auto (~4 s)" : "%.3g steps/s")) {
            try_change([&] { scene_->set_steps_per_second(r); });
        }
        mark_item("gan.steps_per_second");
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "Play's steps per second (× the toolbar's speed); 0: the whole run "
                "in about 4 s");
        }
        preset_row(
            "pace:", {0.0, 1.0, 5.0, 30.0}, "gan.pace_preset.",
            [](double r) { return r == 0 ? std::string("auto") : format_g(r) + "/s"; },
            [&](double r) { try_change([&] { scene_->set_steps_per_second(r); }); });
    }

    // GAN Lab's Step D / Step G: one player's gradient step at a time, from the start, drawn
    // on the right plot. "D then G" is one alternating step; try "G then D".
    void draw_manual_controls() {
        const std::string& presses = params().manual;
        const bool full = presses.size() >= static_cast<size_t>(gan_keys::kMaxManualSteps);
        ImGui::BeginDisabled(full);
        if (ImGui::Button("Step D")) scene_->step_player(gan::Player::Critic);
        mark_item("gan.step_d");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "one gradient step of the critic only: ψ ← ψ + η_D·v_ψ (η_D = lr_d, or lr)");
        ImGui::SameLine();
        if (ImGui::Button("Step G")) scene_->step_player(gan::Player::Generator);
        mark_item("gan.step_g");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "one gradient step of the generator only: θ ← θ + η_G·v_θ (η_G = lr_g, or lr)");
        ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::BeginDisabled(presses.empty());
        if (ImGui::Button("clear##manual")) scene_->clear_manual();
        mark_item("gan.manual_clear");
        ImGui::EndDisabled();
        sync();  // the path of this frame's press, not the last one's
        if (test_dump_enabled()) {
            Json end = Json::array();
            for (Eigen::Index i = 0; i < scene_->manual_path().back().size(); ++i)
                end.push_back(scene_->manual_path().back()[i]);
            mark_value("gan.manual_end", end);
        }
        if (presses.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            text_wrapped("Step D / Step G: move one player at a time");
            ImGui::PopStyleColor();
        } else {
            const gan::State& end = scene_->manual_path().back();
            const std::string shown =
                presses.size() <= 16 ? presses : "…" + presses.substr(presses.size() - 16);
            text_wrapped(shown + " (" + std::to_string(presses.size()) + "): distance " +
                         format_g((end - scene_->equilibrium()).norm(), 4));
        }
    }

    void draw_start_editor() {
        const gan::State& start = params().start;
        const bool dirac = params().run.system == gm::System::Dirac3;
        float v[3] = {0, 0, 0};
        for (int i = 0; i < start.size(); ++i) v[i] = static_cast<float>(start[i]);
        // The same bound as loading a start (gan_keys::kStartLimit, per component).
        constexpr float lim = static_cast<float>(gan_keys::kStartLimit);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
        const bool edited = dirac ? ImGui::DragFloat3("start", v, 0.01f, -lim, lim, "%.3g",
                                                      ImGuiSliderFlags_AlwaysClamp)
                                  : ImGui::DragFloat2("start", v, 0.01f, -lim, lim, "%.3g",
                                                      ImGuiSliderFlags_AlwaysClamp);
        mark_item("gan.start");
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(dirac ? "(ψ0, ψ1, θ): critic slope, critic offset, generator"
                              : params().run.system == gm::System::Dirac2
                                  ? "(ψ, θ): critic slope, generator"
                                  : "(d, g): discriminator, generator");
        }
        if (edited) {
            gan::State s = start;
            for (int i = 0; i < s.size(); ++i) s[i] = v[i];
            scene_->set_start(s);
        }
    }

    std::string update_formula() const {
        const gm::Params& run = params().run;
        const gm::MethodInfo& m = gm::info(run.method);
        std::string sizes = "lr = " + format_g(run.lr);
        if (m.discrete) {
            sizes = "η_D = " + format_g(run.lr_d > 0 ? run.lr_d : run.lr) +
                    ", η_G = " + format_g(run.lr_g > 0 ? run.lr_g : run.lr);
        }
        if (run.method == gm::Method::Alternating) {
            sizes += ", n_critic = " + std::to_string(run.n_critic);
        }
        if (run.method == gm::Method::HeavyBall || run.method == gm::Method::AltMomentum) {
            sizes += ", β = " + format_g(run.beta);
        }
        return std::string(m.name) + ": " + m.formula + "\n" + sizes;
    }

    void draw_readouts() {
        const gm::Params& run = params().run;
        const bool flow = run.method == gm::Method::Flow;
        const bool dirac = run.system == gm::System::Dirac3;
        const Eigen::MatrixXd& jacobian = scene_->jacobian();
        ImGui::TextUnformatted("Jacobian of v at the equilibrium (0):");
        for (int i = 0; i < jacobian.rows(); ++i) {
            std::string row = "  [";
            for (int j = 0; j < jacobian.cols(); ++j)
                row += (j ? ", " : "") + format_g(jacobian(i, j), 3);
            ImGui::TextUnformatted((row + "]").c_str());
        }
        if (ImGui::IsItemHovered() && dirac && gan_legacy(run)) {
            ImGui::SetTooltip(
                "J = [[−γ, 0, −σ(0)], [0, −2σ'(0), 0], [σ(0), 0, 0]]\n"
                "  = [[−%s, 0, −1/2], [0, −1/2, 0], [1/2, 0, 0]]",
                format_g(run.terms.has(gm::Term::R1) ? run.gamma : 0.0).c_str());
        }
        ImGui::TextUnformatted("eigenvalues of J (flow):");
        for (const auto& c : scene_->eigenvalues_flow(GanSide::Main))
            ImGui::BulletText("%s", complex_text(c).c_str());
        if (!flow) {
            ImGui::Text("one-step map: spectral radius %s",
                        format_g(scene_->spectral_radius_map(), 5).c_str());
        }
        const GanScene::Stability verdict = scene_->stability();
        const gm::Spectrum& sp = scene_->spectrum(GanSide::Main);
        ImGui::PushStyleColor(ImGuiCol_Text,
                              verdict.stable ? palette::kOkText : palette::kWarnText);
        text_wrapped(std::string(gm::to_string(sp.verdict)) + ": " + verdict.why);
        ImGui::PopStyleColor();
        mark_value("gan.main", Json{{"system", gan_system_key(run.system)},
                                    {"method", gm::to_string(run.method)},
                                    {"regularizer", gm::to_string(run.terms)},
                                    {"verdict", gm::to_string(sp.verdict)}});
        if (ImGui::IsItemHovered()) {
            const std::string rate =
                std::string(flow ? "rate −max Re λ = " : "rate −ln r per step = ") +
                format_g(sp.rate, 4);
            ImGui::SetTooltip("%s", sp.smooth ? rate.c_str() : sp.note.c_str());
        }
        ImGui::Separator();
        const GanScene::Now now = scene_->now();
        ImGui::Text("step %d of %d", now.step, params().steps);
        ImGui::Text("distance to equilibrium %s", format_g(now.distance, 4).c_str());
        ImGui::Text("%s: %s (drift %s)",
                    dirac                              ? "ψ0² + θ²"
                    : run.system == gm::System::Dirac2 ? "ψ² + θ²"
                                                       : "d² + g²",
                    format_g(now.conserved, 5).c_str(), format_g(now.drift, 3).c_str());
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "conserved by the continuous-time flow without the penalty;\n"
                "simultaneous GDA on d·g multiplies d² + g² by 1 + lr² = %s per step",
                format_g(1 + run.lr * run.lr, 6).c_str());
        }
        const gan::Trajectory& t = scene_->run(GanSide::Main);
        if (t.diverged) {
            ImGui::TextColored(palette::kErrorText, "diverged at step %d", t.diverged_at);
            mark_item("gan.diverged");
        }
    }

    //-------------------------------------------------------------------------
    // [SECTION] Phase plots
    //-------------------------------------------------------------------------

    // Fixed when the state loads or the plane changes, not while the start is dragged (the
    // view would jump under the mouse).
    WorldRect phase_home() {
        if (reset_views_) {
            const Vec2 s = project(scene_->plane(), params().start);
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

    // The field picture as the canvas draws it, converted once per rebuild of the scene's.
    struct FieldLines {
        struct Arrow {
            Vec2 from, to;
            double speed;
        };
        std::vector<Arrow> arrows;
        std::vector<std::vector<Vec2>> streamlines;
        double max_speed = 1;
        std::uint64_t version = 0;
    };

    std::shared_ptr<const FieldLines> field_lines(GanSide side, const WorldRect& view) {
        const GanField& f = scene_->field(side, {view.x0, view.y0, view.x1, view.y1});
        auto& cached = field_lines_[static_cast<int>(side)];
        if (!cached || cached->version != scene_->field_version(side)) {
            auto lines = std::make_shared<FieldLines>();
            for (const auto& a : f.arrows)
                lines->arrows.push_back({vec(a.from), vec(a.to), a.speed});
            for (const auto& s : f.streamlines) {
                lines->streamlines.emplace_back();
                for (GanPoint p : s) lines->streamlines.back().push_back(vec(p));
            }
            lines->max_speed = f.max_speed;
            lines->version = scene_->field_version(side);
            cached = std::move(lines);
        }
        return cached;
    }

    void draw_phase(Canvas& canvas, ImVec2 size, GanSide side) {
        const bool is_left = side == GanSide::Reference;
        const GanPlane plane = scene_->plane();
        canvas.set_home(phase_home(), true);
        canvas.set_axes({plane.x_label}, {plane.y_label});
        const auto field = field_lines(side, canvas.view());
        canvas.set_colorbar(ColorbarSpec{kSpeedColormap, 0, field->max_speed, "speed |v|"});
        const std::string title = is_left ? reference_title() : chosen_title();
        canvas.set_title(title);
        ImGui::BeginGroup();
        ImGui::TextUnformatted(title.c_str());
        // Extra trajectories are drawn whole, once, into the cached layer; Play moves a dot
        // along each. Redrawing hundreds of growing polylines every frame of the animation cost
        // ~100 ms per frame (CPU tessellation plus rasterizing the whole layer again).
        const std::vector<gan::Trajectory>& extra = scene_->extras(side);
        std::vector<LegendEntry> legend = {{kMainTrajectory, "trajectory"},
                                           {kStartMarker, "start", LegendEntry::Mark::Dot},
                                           {kEquilibrium, "equilibrium (+)"},
                                           {kStreamline, "streamlines; arrows coloured by speed"}};
        if (!extra.empty()) legend.emplace_back(kExtraTrajectory, "extra trajectories");
        // Step D / Step G moves, on the plot with your settings.
        std::vector<std::pair<Vec2, Vec2>> manual_moves;
        std::vector<ImU32> manual_colours;
        if (!is_left) {
            const auto& path = scene_->manual_path();
            const std::string& presses = params().manual;
            for (size_t k = 1; k < path.size(); ++k) {
                manual_moves.emplace_back(project(plane, path[k - 1]), project(plane, path[k]));
                manual_colours.push_back(presses[k - 1] == 'D' ? kManualCritic : kManualGenerator);
            }
            if (presses.find('D') != std::string::npos)
                legend.emplace_back(kManualCritic, "Step D (critic moves)");
            if (presses.find('G') != std::string::npos)
                legend.emplace_back(kManualGenerator, "Step G (generator moves)");
        }
        canvas.set_legend(std::move(legend));
        std::vector<Vec2> extra_heads;
        const int upto = scene_->shown_of(side);
        const int all_steps = scene_->steps_of(side);
        const int per_extra =
            std::clamp(kExtraPointsBudget / std::max<int>(1, extra.size()), 40, kMaxDrawnPoints);
        for (const auto& t : extra) {
            if (const auto head = state_at(plane, t, upto)) extra_heads.push_back(*head);
        }
        const std::vector<Vec2> main_pts = decimated(plane, scene_->run(side), upto);
        const Vec2 start = project(plane, params().start);
        const Vec2 eq = project(plane, scene_->equilibrium());
        // Two cached layers, each re-rendered only when its number changes: the field (with a
        // slider drag) and the extra trajectories (when they are recomputed, after the drag).
        const std::uint64_t field_version = field->version;
        const std::uint64_t extras_version =
            (scene_->extras_version() * 1000003u + static_cast<std::uint64_t>(all_steps)) *
                1000003u +
            std::hash<std::string>{}(params().plane);
        canvas.draw(
            ImVec2(size.x, size.y - ImGui::GetFrameHeightWithSpacing()),
            // `extra` is the scene's: it outlives the canvas that keeps this for exports.
            [field, extras = &extra, plane, all_steps, per_extra, extra_heads, main_pts, start, eq,
             field_version, extras_version, manual_moves, manual_colours](Canvas& c) {
                c.cached_layer("field", field_version, [&](Canvas& c) {
                    for (const auto& line : field->streamlines) c.polyline(line, kStreamline, 1.0f);
                    for (const auto& a : field->arrows) {
                        c.arrow(
                            a.from, a.to,
                            colormap_color(kSpeedColormap, 0.15 + 0.7 * a.speed / field->max_speed),
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
                for (size_t k = 0; k < manual_moves.size(); ++k) {
                    c.line(manual_moves[k].first, manual_moves[k].second, manual_colours[k], 2.0f);
                    c.point(manual_moves[k].second, manual_colours[k], 3.0f);
                }
                c.point(start, IM_COL32_WHITE, 7);
                c.point(start, kStartMarker, 5.5f);
                c.line({eq.x - 0.06 * 3, eq.y}, {eq.x + 0.06 * 3, eq.y}, kEquilibrium, 2);
                c.line({eq.x, eq.y - 0.06 * 3}, {eq.x, eq.y + 0.06 * 3}, kEquilibrium, 2);
                c.label({eq.x + 0.3, eq.y - 0.2}, "equilibrium", kEquilibrium);
            });
        ImGui::EndGroup();
        mark_rect(is_left ? "gan.phase0" : "gan.phase", canvas.plot_min(), canvas.plot_max());
        handle_phase_input(canvas, plane);
        if (auto w = canvas.hover_world(); w && !canvas.left_drag_origin()) {
            const GanPoint v = scene_->velocity_at(side, {w->x, w->y});
            ImGui::SetTooltip("(%s, %s) = (%s, %s)\nv = (%s, %s), |v| = %s", plane.x_label,
                              plane.y_label, format_g(w->x).c_str(), format_g(w->y).c_str(),
                              format_g(v.x).c_str(), format_g(v.y).c_str(),
                              format_g(std::hypot(v.x, v.y)).c_str());
        }
    }

    void handle_phase_input(Canvas& canvas, const GanPlane& plane) {
        const double grab = 12.0 / canvas.pixels_per_unit_x();  // 12 px around the start dot
        const Vec2 start = project(plane, params().start);
        // Latched when the drag begins on the dot: afterwards the dot follows the pointer,
        // however far it moves from where the press was.
        const auto origin = canvas.left_drag_origin();
        if (!origin && dragging_start_ == &canvas) dragging_start_ = nullptr;
        if (origin && !dragging_start_ &&
            std::hypot(origin->x - start.x, origin->y - start.y) < grab) {
            dragging_start_ = &canvas;
        }
        if (dragging_start_ == &canvas) {
            if (auto w = canvas.hover_world()) scene_->set_start_on_plane({w->x, w->y});
            return;
        }
        if (auto w = canvas.clicked_world();
            w && std::hypot(w->x - start.x, w->y - start.y) >= grab) {
            scene_->add_extra_start({w->x, w->y});  // false (nothing added) when full
        }
    }

    std::unique_ptr<GanScene> scene_ = std::make_unique<GanScene>();
    bool reset_views_ = true;  // the phase plots' home follows the start on the next frame
    WorldRect home_;
    const Canvas* dragging_start_ = nullptr;  // the canvas whose start dot is being dragged
    GanGridView grid_view_;
    bool grid_tab_ = false;      // the Method grid view instead of the dynamics plots
    std::string control_error_;  // the last change a control asked for and the scene refused
    std::shared_ptr<const FieldLines> field_lines_[2];
    Canvas left_canvas_{"gan.phase0"}, right_canvas_{"gan.phase"}, spectrum_canvas_{"gan.spectrum"},
        sweep_canvas_{"gan.sweep"}, series_canvas_{"gan.series"};
};

}  // namespace

std::unique_ptr<PanelView> make_gan_view() { return std::make_unique<GanView>(); }

}  // namespace genlab
