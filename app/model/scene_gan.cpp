// [SECTION] Helpers
// [SECTION] Parameters
// [SECTION] Derived data
// [SECTION] Field picture and readouts
// [SECTION] Animation
// [SECTION] Report and CSV
#include "scene_gan.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "format.hpp"

#include "errors.hpp"
#include "fields.hpp"
#include "json_numbers.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

bool same(const gan::Params& a, const gan::Params& b) {
    return a.system == b.system && a.loss == b.loss && a.method == b.method &&
           a.n_critic == b.n_critic && a.lr == b.lr && a.gamma == b.gamma;
}

// Writes the swept parameter (the radius key zeroes it, so changing it alone is no change).
void set_swept(gan::Params& p, const std::string& key, double value) {
    if (key == "gamma") p.gamma = value;
    if (key == "lr") p.lr = value;
    if (key == "n_critic") p.n_critic = static_cast<int>(value);
}

bool same(const gan::State& a, const gan::State& b) { return a.size() == b.size() && a == b; }

bool same(const std::vector<gan::State>& a, const std::vector<gan::State>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
    }
    return true;
}

// Plain arrays: every state a run stores is finite.
Json state_json(const gan::State& s) {
    Json a = Json::array();
    for (int i = 0; i < s.size(); ++i) a.push_back(s[i]);
    return a;
}

// A setter's value checked with the same spec and message as loading a file.
double checked(const NumberKey& key, double value) {
    return Fields(Json{{key.key, value}}, key.panel).number(key);
}
int checked(const IntKey& key, int value) {
    return static_cast<int>(Fields(Json{{key.key, value}}, key.panel).integer(key));
}

GanField build_field(const gan::Params& sim, const GanPlane& plane, const GanRect& view) {
    GanField f;
    const gan::State origin = gan::equilibrium(sim);
    constexpr int kArrows = 19;
    const double dx = view.width() / kArrows, dy = view.height() / kArrows;
    const double cell = std::min(dx, dy);
    for (int i = 0; i < kArrows; ++i) {
        for (int j = 0; j < kArrows; ++j) {
            const GanPoint p{view.x0 + (i + 0.5) * dx, view.y0 + (j + 0.5) * dy};
            const gan::State v = gan::velocity(sim, plane.lift(p, origin));
            const double vx = v[plane.x], vy = v[plane.y], speed = std::hypot(vx, vy);
            if (!std::isfinite(speed)) continue;
            f.max_speed = std::max(f.max_speed, speed);
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
            GanPoint p{view.x0 + (i + 0.5) * view.width() / kSeeds,
                       view.y0 + (j + 0.5) * view.height() / kSeeds};
            std::vector<GanPoint> line{p};
            for (int k = 0; k < kSegments; ++k) {
                const gan::State v = gan::velocity(sim, plane.lift(p, origin));
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

}  // namespace

gan::State GanPlane::lift(GanPoint w, const gan::State& rest) const {
    gan::State s = rest;
    s[x] = w.x;
    s[y] = w.y;
    return s;
}

//-----------------------------------------------------------------------------
// [SECTION] Parameters
//-----------------------------------------------------------------------------

GanScene::GanScene() { set_state(model().defaults()); }

const PanelModel& GanScene::model() const {
    static const GanModel gan_model;
    return gan_model;
}

void GanScene::set_state(const Json& normalized) {
    GanParams p = gan_params_from_json(normalized);  // throws before anything changes
    p_ = std::move(p);
    shown_ = p_.steps;
    playing_ = false;
    touch();
}

Json GanScene::state() const { return gan_params_to_json(p_); }

// A change that adds work: checked against the budget before anything changes.
void GanScene::commit_work(GanParams next) {
    gan_check_work(next);
    p_ = std::move(next);
    changed();
}

void GanScene::set_system(gan::System system) {
    if (system == p_.sim.system) return;
    p_.sim.system = system;
    p_.start = gan_start_for(p_.start, system);
    for (gan::State& s : p_.extra_starts) s = gan_start_for(s, system);
    changed();
}

void GanScene::set_loss(gan::Loss loss) {
    if (loss == p_.sim.loss) return;
    p_.sim.loss = loss;
    changed();
}

void GanScene::set_method(gan::Method method) {
    if (method == p_.sim.method) return;
    GanParams next = p_;
    next.sim.method = method;
    commit_work(std::move(next));
}

void GanScene::set_n_critic(int n) {
    n = checked(gan_keys::n_critic, n);
    if (n == p_.sim.n_critic) return;
    GanParams next = p_;
    next.sim.n_critic = n;
    commit_work(std::move(next));
}

void GanScene::set_lr(double lr) {
    lr = checked(gan_keys::lr, lr);
    if (lr == p_.sim.lr) return;
    p_.sim.lr = lr;
    changed();
}

void GanScene::set_gamma(double gamma) {
    gamma = checked(gan_keys::gamma, gamma);
    if (gamma == p_.sim.gamma) return;
    p_.sim.gamma = gamma;
    changed();
}

void GanScene::set_steps(int steps) {
    steps = checked(gan_keys::steps, steps);
    if (steps == p_.steps) return;
    GanParams next = p_;
    next.steps = steps;
    commit_work(std::move(next));
    shown_ = steps;
}

void GanScene::set_start(const gan::State& start) {
    gan_check_start(start, p_.sim.system, "gan.start");
    if (same(start, p_.start)) return;
    p_.start = start;
    changed();
}

void GanScene::set_start_on_plane(GanPoint w) { set_start(plane().lift(w, p_.start)); }

void GanScene::set_plane(const std::string& plane) {
    if (plane == p_.plane) return;
    Json s = state();
    s["plane"] = plane;
    p_.plane = gan_params_from_json(s).plane;  // validates: "gan.plane must be one of ..."
    changed();
}

bool GanScene::add_extra_start(GanPoint w) {
    if (static_cast<int>(p_.extra_starts.size()) >= gan_keys::kMaxExtraStarts) return false;
    const gan::State s = plane().lift(w, gan::equilibrium(p_.sim));
    gan_check_start(s, p_.sim.system,
                    "gan.extra_starts[" + std::to_string(p_.extra_starts.size()) + "]");
    GanParams next = p_;
    next.extra_starts.push_back(s);
    commit_work(std::move(next));
    return true;
}

bool GanScene::add_grid_cell(const GanGridCell& cell) {
    if (p_.grid.cells.size() >= static_cast<size_t>(kGridMaxCells)) return false;
    const std::string what = "gan.grid[" + std::to_string(p_.grid.cells.size()) + "]";
    p_.grid.cells.push_back(gan_grid_check_cell(p_.grid, cell, what));
    changed();
    return true;
}

void GanScene::set_grid_cell(size_t i, const GanGridCell& cell) {
    if (i >= p_.grid.cells.size()) return;
    const GanGridCell checked_cell =
        gan_grid_check_cell(p_.grid, cell, "gan.grid[" + std::to_string(i) + "]");
    if (checked_cell == p_.grid.cells[i]) return;
    p_.grid.cells[i] = checked_cell;
    changed();
}

void GanScene::remove_grid_cell(size_t i) {
    if (i >= p_.grid.cells.size()) return;
    p_.grid.cells.erase(p_.grid.cells.begin() + static_cast<long>(i));
    changed();
}

void GanScene::set_grid_cells(const std::vector<GanGridCell>& cells) {
    if (cells.size() > static_cast<size_t>(kGridMaxCells)) {
        throw UserError("gan.grid must have at most " + std::to_string(kGridMaxCells) +
                        " cells (got " + std::to_string(cells.size()) + ")");
    }
    GanGridParams next = p_.grid;
    next.cells.clear();
    for (size_t i = 0; i < cells.size(); ++i) {
        next.cells.push_back(
            gan_grid_check_cell(next, cells[i], "gan.grid[" + std::to_string(i) + "]"));
    }
    p_.grid = std::move(next);
    changed();
}

void GanScene::set_grid_system(gan_methods::System system) {
    if (system == p_.grid.system) return;
    GanGridParams next = p_.grid;
    next.system = system;
    next.cells.clear();
    for (const GanGridCell& c : p_.grid.cells) {
        try {
            next.cells.push_back(gan_grid_check_cell(next, c, "gan.grid"));
        } catch (const UserError&) {
            // e.g. r1 on the bilinear game: the cell does not apply to the new system
        }
    }
    p_.grid = std::move(next);
    changed();
}

void GanScene::set_grid_param(const std::string& name, double value) {
    const NumberKey& key = grid_key(name);
    const double v = checked(key, value);
    if (gan_methods::get_param(p_.grid.base, key.path()) == v) return;
    GanGridParams next = p_.grid;
    gan_methods::set_param(next.base, key.path(), v);
    for (size_t i = 0; i < next.cells.size(); ++i) {
        gan_grid_check_cell(next, next.cells[i], "gan.grid[" + std::to_string(i) + "]");
    }
    p_.grid = std::move(next);
    changed();
}

void GanScene::clear_extra_starts() {
    if (p_.extra_starts.empty()) return;
    p_.extra_starts.clear();
    changed();
}

void GanScene::set_sweep(const std::string& key) {
    if (key == p_.sweep) return;
    if (std::find(gan_keys::kSweepKeys.begin(), gan_keys::kSweepKeys.end(), key) ==
        gan_keys::kSweepKeys.end()) {
        throw UserError("gan.sweep must be one of " + join(gan_keys::kSweepKeys) + " (got \"" +
                        key + "\")");
    }
    p_.sweep = key;
    changed();
}

std::pair<double, double> GanScene::radius_sweep_range() const {
    if (p_.sweep == "gamma") return {kSweepLo, kSweepHi};
    if (p_.sweep == "n_critic") return {1, gan_keys::kSweepNCriticMax};
    // lr: two decades around the usual range, always including the current lr.
    return {std::max(gan_keys::lr.lo, std::min(0.01, p_.sim.lr / 2)),
            std::min(gan_keys::lr.hi, std::max(2.0, p_.sim.lr * 2))};
}

void GanScene::set_manual(const std::string& presses) {
    if (presses == p_.manual) return;
    gan_check_manual(presses);
    p_.manual = presses;
    changed();
}

void GanScene::step_player(gan::Player who) {
    set_manual(p_.manual + (who == gan::Player::Critic ? "D" : "G"));
}

gan::Params GanScene::reference_params() const {
    gan::Params ref = p_.sim;
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

int GanScene::reference_steps(int steps) const {
    const double ratio = p_.sim.lr / reference_params().lr;
    return static_cast<int>(
        std::min<double>(std::ceil(steps * ratio), static_cast<double>(gan_keys::steps.hi)));
}

int GanScene::steps_of(GanSide side) const {
    return side == GanSide::Main ? p_.steps : reference_steps(p_.steps);
}

//-----------------------------------------------------------------------------
// [SECTION] Derived data
//-----------------------------------------------------------------------------

bool GanScene::extras_pending() const {
    for (GanSide side : {GanSide::Reference, GanSide::Main}) {
        const ExtrasKey& k = extras_keys_[index(side)];
        const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
        if (!k.valid || !same(k.sim, sim) || !same(k.starts, p_.extra_starts) ||
            k.steps != steps_of(side)) {
            return true;
        }
    }
    return false;
}

bool GanScene::dirty(Part part) const {
    switch (part) {
        case Part::Main:
        case Part::Reference: {
            const GanSide side = part == Part::Main ? GanSide::Main : GanSide::Reference;
            const RunKey& k = run_keys_[index(side)];
            const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
            return !k.valid || !same(k.sim, sim) || !same(k.start, p_.start) ||
                   k.steps != steps_of(side);
        }
        case Part::Extras:
            return extras_pending();
        case Part::Spectrum:
            return !spectrum_valid_ || !same(spectrum_keys_[index(GanSide::Main)], p_.sim) ||
                   !same(spectrum_keys_[index(GanSide::Reference)], reference_params());
        case Part::Sweep:
            return !sweep_valid_ || !same(sweep_key_, sweep_key());
        case Part::Field:  // built on demand for a view rect: see field()
        case Part::Grid:   // per cell, inside GanGrid::update
        case Part::Radius: {
            gan::Params key = p_.sim;
            set_swept(key, p_.sweep, 0);
            return !radius_valid_ || radius_key_name_ != p_.sweep || !same(radius_key_, key);
        }
        case Part::Manual:
            return !manual_key_.valid || !same(manual_key_.sim, p_.sim) ||
                   !same(manual_key_.start, p_.start) || manual_key_presses_ != p_.manual;
        case Part::Count:
            break;
    }
    return false;
}

// The flow Jacobian depends on the system, the loss and γ only, and the sweep sets γ itself:
// lr, the method and n_critic leave it alone.
gan::Params GanScene::sweep_key() const {
    gan::Params key;
    key.system = p_.sim.system;
    key.loss = p_.sim.loss;
    return key;
}

void GanScene::update() { update_runs(true); }

void GanScene::update_runs(bool allow_deferral) {
    {
        // The grid shares the panel's lr, gamma and n_critic.
        p_.grid.base.lr = p_.sim.lr;
        p_.grid.base.gamma = p_.sim.gamma;
        p_.grid.base.n_critic = p_.sim.n_critic;
        const int before = grid_.recomputes();
        grid_.update(p_.grid, p_.start, p_.steps, allow_deferral ? kGridFrameBudget : HUGE_VAL);
        counts_[static_cast<size_t>(Part::Grid)] += grid_.recomputes() - before;
    }
    if (dirty(Part::Manual)) {
        manual_path_.assign(1, p_.start);
        for (char press : p_.manual) {
            manual_path_.push_back(
                gan::step_player(p_.sim, manual_path_.back(),
                                 press == 'D' ? gan::Player::Critic : gan::Player::Generator));
        }
        manual_key_ = {p_.sim, p_.start, 0, true};
        manual_key_presses_ = p_.manual;
        count(Part::Manual);
    }
    for (GanSide side : {GanSide::Reference, GanSide::Main}) {
        const Part part = side == GanSide::Main ? Part::Main : Part::Reference;
        if (!dirty(part)) continue;
        const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
        runs_[index(side)] = gan::integrate(sim, p_.start, steps_of(side));
        run_keys_[index(side)] = {sim, p_.start, steps_of(side), true};
        count(part);
    }
    if (dirty(Part::Spectrum)) {
        eq_ = gan::equilibrium(p_.sim);
        jacobian_ = gan::jacobian(p_.sim, eq_);
        for (GanSide side : {GanSide::Reference, GanSide::Main}) {
            const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
            eig_flow_[index(side)] = side == GanSide::Main
                                         ? gan::eigenvalues(jacobian_)
                                         : gan::eigenvalues(gan::jacobian(sim, eq_));
            eig_map_[index(side)] = gan::eigenvalues(gan::step_jacobian(sim, eq_));
            spectrum_keys_[index(side)] = sim;
        }
        spectrum_valid_ = true;
        count(Part::Spectrum);
    }
    if (dirty(Part::Sweep)) {
        sweep_ = gan::sweep_gamma(p_.sim, kSweepLo, kSweepHi, kSweepCount);
        sweep_key_ = sweep_key();
        sweep_valid_ = true;
        count(Part::Sweep);
    }
    if (dirty(Part::Radius)) update_radius_sweep();
    if (!extras_pending()) return;
    if (allow_deferral && interacting_) {
        // Deferred; but extras of the other system (the other dimension) cannot be drawn.
        const ExtrasKey& k = extras_keys_[index(GanSide::Main)];
        if (k.valid && k.sim.system != p_.sim.system) {
            for (auto& e : extras_) e.clear();
            for (auto& key : extras_keys_) key.valid = false;
            ++extras_version_;
        }
        return;
    }
    bool any = false;
    for (GanSide side : {GanSide::Reference, GanSide::Main}) {
        const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
        ExtrasKey& k = extras_keys_[index(side)];
        const int steps = steps_of(side);
        if (k.valid && same(k.sim, sim) && same(k.starts, p_.extra_starts) && k.steps == steps) {
            continue;
        }
        extras_[index(side)] = gan::integrate_batch(sim, p_.extra_starts, steps, extra_keep(steps));
        k = {sim, p_.extra_starts, steps, true};
        any = true;
    }
    if (any) {
        ++extras_version_;
        count(Part::Extras);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Field picture and readouts
//-----------------------------------------------------------------------------

double GanScene::spectral_radius_map() const {
    double radius = 0;
    for (const gan::Complex& c : eig_map_[index(GanSide::Main)]) {
        radius = std::max(radius, std::abs(c));
    }
    return radius;
}

double GanScene::max_real_flow() const {
    double max_re = -INFINITY;
    for (const gan::Complex& c : eig_flow_[index(GanSide::Main)]) {
        max_re = std::max(max_re, c.real());
    }
    return max_re;
}

GanScene::Stability GanScene::stability() const {
    if (p_.sim.method == gan::Method::Flow) {
        const double max_re = max_real_flow();
        const bool stable = max_re < -1e-12;
        return {stable, "max Re λ = " + format_g(max_re, 4) + (stable ? " < 0" : " ≥ 0")};
    }
    const double radius = spectral_radius_map();
    const bool stable = radius < 1 - 1e-12;
    return {stable, "max |λ| = " + format_g(radius, 5) + (stable ? " < 1" : " ≥ 1")};
}

GanPlane GanScene::plane() const {
    if (p_.sim.system == gan::System::Bilinear) return {1, 0, "g (generator)", "d (critic)"};
    if (p_.plane == "theta-psi1") return {2, 1, "θ (generator)", "ψ1 (critic offset)"};
    if (p_.plane == "psi1-psi0") return {1, 0, "ψ1 (critic offset)", "ψ0 (critic slope)"};
    return {};
}

const GanField& GanScene::field(GanSide side, const GanRect& view) {
    FieldCache& f = fields_[index(side)];
    const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
    const GanPlane pl = plane();
    if (!f.valid || !same(f.sim, sim) || f.plane_x != pl.x || f.plane_y != pl.y ||
        !(f.view == view)) {
        f.picture = build_field(sim, pl, view);
        f.sim = sim;
        f.plane_x = pl.x;
        f.plane_y = pl.y;
        f.view = view;
        f.valid = true;
        ++f.version;
        count(Part::Field);
    }
    return f.picture;
}

GanPoint GanScene::velocity_at(GanSide side, GanPoint w) const {
    const gan::Params sim = side == GanSide::Main ? p_.sim : reference_params();
    const GanPlane pl = plane();
    const gan::State v = gan::velocity(sim, pl.lift(w, gan::equilibrium(sim)));
    return {v[pl.x], v[pl.y]};
}

GanScene::Now GanScene::now() const {
    const gan::Trajectory& t = run(GanSide::Main);
    Now n;
    n.step = std::min(shown_, t.steps_run());
    n.state = t.states[n.step];
    n.distance = n.state.norm();
    const double q0 = gan::conserved_quantity(p_.sim.system, t.states.front());
    n.conserved = gan::conserved_quantity(p_.sim.system, n.state);
    n.drift = n.conserved - q0;
    return n;
}

//-----------------------------------------------------------------------------
// [SECTION] Animation
//-----------------------------------------------------------------------------

int GanScene::shown_of(GanSide side) const {
    return side == GanSide::Main ? shown_ : reference_steps(shown_);
}

void GanScene::set_playing(bool playing) {
    if (playing && shown_ >= p_.steps) shown_ = 0;
    playing_ = playing;
}

void GanScene::step() {
    playing_ = false;
    shown_ = shown_ >= p_.steps ? 1 : shown_ + 1;
}

void GanScene::reset() {
    playing_ = false;
    shown_ = 0;
}

bool GanScene::wants_frames() const { return playing_ || grid_.pending() > 0; }

bool GanScene::tick(double dt, double speed) {
    if (!playing_) return false;
    // The whole run takes about 4 s at speed 1, whatever the step count.
    progress_ += dt * speed * std::max(1, p_.steps) / 4.0;
    const int whole = static_cast<int>(progress_);
    progress_ -= whole;
    const int before = shown_;
    shown_ = std::min(p_.steps, shown_ + whole);
    if (shown_ >= p_.steps) playing_ = false;
    return shown_ != before || !playing_;
}

//-----------------------------------------------------------------------------
// [SECTION] Report and CSV
//-----------------------------------------------------------------------------

Json GanScene::report() {
    update_runs(false);  // the runs, the spectra and the sweep, none deferred
    const gan::Trajectory& t = run(GanSide::Main);
    const gan::State& end = t.states.back();
    Json extra = Json::array();
    for (const gan::Trajectory& e : extras(GanSide::Main)) {
        extra.push_back({{"start", state_json(e.states.front())},
                         {"end", state_json(e.states.back())},
                         {"diverged", e.diverged},
                         {"diverged_at", e.diverged ? Json(e.diverged_at) : Json(nullptr)}});
    }
    // The left plot: the same start without the penalty (dirac) or the continuous flow.
    const gan::Params ref = reference_params();
    const gan::Trajectory& r = run(GanSide::Reference);
    const gan::State& ref_end = r.states.back();
    Json reference = {{"method", gan::to_string(ref.method)},
                      {"gamma", ref.gamma},
                      {"lr", ref.lr},
                      {"steps_run", r.steps_run()},
                      {"trajectory_end", state_json(ref_end)},
                      {"distance_to_equilibrium", finite_or_null((ref_end - eq_).norm())},
                      {"diverged", r.diverged},
                      {"diverged_at", r.diverged ? Json(r.diverged_at) : Json(nullptr)},
                      {"eigenvalues_flow", complex_list_json(eigenvalues_flow(GanSide::Reference))},
                      {"eigenvalues_map", complex_list_json(eigenvalues_map(GanSide::Reference))}};
    Json sweep = Json::array();
    for (const gan::SweepPoint& point : sweep_) {
        sweep.push_back(
            {{"gamma", point.gamma}, {"eigenvalues", complex_list_json(point.eigenvalues)}});
    }
    const Stability verdict = stability();
    return Json{{"equilibrium", state_json(eq_)},
                {"jacobian", matrix_json(jacobian_)},
                {"eigenvalues_flow", complex_list_json(eigenvalues_flow(GanSide::Main))},
                {"eigenvalues_map", complex_list_json(eigenvalues_map(GanSide::Main))},
                {"spectral_radius_map", spectral_radius_map()},
                {"stable", verdict.stable},
                {"stability", verdict.why},
                {"trajectory_end", state_json(end)},
                {"steps_run", t.steps_run()},
                {"diverged", t.diverged},
                {"diverged_at", t.diverged ? Json(t.diverged_at) : Json(nullptr)},
                {"distance_to_equilibrium", finite_or_null((end - eq_).norm())},
                {"conserved_start", gan::conserved_quantity(p_.sim.system, p_.start)},
                {"conserved_end", finite_or_null(gan::conserved_quantity(p_.sim.system, end))},
                {"extra_trajectories", extra},
                {"reference", reference},
                {"gamma_sweep", sweep},
                {"manual", manual_json()},
                {"sweep", radius_sweep_json()},
                {"grid", grid_.report()}};
}

void GanScene::update_radius_sweep() {
    radius_sweep_.clear();
    const auto [lo, hi] = radius_sweep_range();
    const bool integer = p_.sweep == "n_critic";
    const int points = integer ? static_cast<int>(hi - lo) + 1 : kSweepCount;
    gan::Params q = p_.sim;
    for (int i = 0; i < points; ++i) {
        const double t = static_cast<double>(i) / (points - 1);
        // lr log-spaced (its stability edge sits at a ratio, not a difference), γ linear.
        const double value = integer            ? lo + i
                             : p_.sweep == "lr" ? lo * std::pow(hi / lo, t)
                                                : lo + (hi - lo) * t;
        set_swept(q, p_.sweep, value);
        if (q.system == gan::System::Bilinear) q.gamma = 0;  // no R1 on V = d·g: γ is inert
        const auto eigs = gan::eigenvalues(gan::step_jacobian(q, gan::equilibrium(q)));
        double radius = 0;
        for (const auto& z : eigs) radius = std::max(radius, std::abs(z));
        radius_sweep_.push_back({value, radius});
    }
    radius_key_ = p_.sim;
    set_swept(radius_key_, p_.sweep, 0);
    radius_key_name_ = p_.sweep;
    radius_valid_ = true;
    count(Part::Radius);
}

Json GanScene::radius_sweep_json() const {
    Json values = Json::array(), radii = Json::array();
    for (const RadiusPoint& r : radius_sweep_) {
        values.push_back(r.value);
        radii.push_back(finite_or_null(r.radius));
    }
    return Json{{"key", p_.sweep}, {"values", values}, {"spectral_radius_map", radii}};
}

Json GanScene::manual_json() const {
    Json states = Json::array();
    for (const gan::State& x : manual_path_) states.push_back(state_json(x));
    const gan::State& end = manual_path_.back();
    return Json{{"presses", p_.manual},
                {"states", states},
                {"end", state_json(end)},
                {"distance_to_equilibrium", finite_or_null((end - eq_).norm())}};
}

std::string GanScene::csv() {
    update_runs(false);
    const gan::Trajectory& t = run(GanSide::Main);
    std::ostringstream out;
    out.precision(17);
    out << (p_.sim.system == gan::System::Dirac ? "step,psi0,psi1,theta" : "step,d,g")
        << ",distance,conserved\n";
    for (size_t k = 0; k < t.states.size(); ++k) {
        const gan::State& s = t.states[k];
        out << k;
        for (int i = 0; i < s.size(); ++i) out << ',' << s[i];
        out << ',' << (s - eq_).norm() << ',' << gan::conserved_quantity(p_.sim.system, s) << '\n';
    }
    return out.str();
}

}  // namespace genlab
