// [SECTION] Helpers
// [SECTION] Parameters
// [SECTION] Derived data
// [SECTION] Field picture and readouts
// [SECTION] Animation
// [SECTION] Report and CSV
#include "scene_gan.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
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

namespace gm = gan_methods;

bool same(const gm::Params& a, const gm::Params& b) { return gan_same(a, b); }

// Writes the swept parameter (the radius key zeroes it, so changing it alone is no change).
void set_swept(gm::Params& p, const std::string& key, double value) {
    gm::set_param(p, "gan." + key, value);
}

gm::Vec to_vec(const gan::State& s) {
    gm::Vec v(s.size());
    for (int i = 0; i < s.size(); ++i) v[i] = s[i];
    return v;
}

// The plain part of a (possibly augmented) state.
gan::State to_state(const gm::Vec& z, int dimension) {
    gan::State s(dimension);
    for (int i = 0; i < dimension; ++i) s[i] = z[i];
    return s;
}

// A run of p from `start`, kept as gan::integrate keeps it: states[0], every keep_every-th
// state and the last one run.
gan::Trajectory integrate_run(const gm::Params& p, const gan::State& start, int steps,
                              int keep_every = 1) {
    if (const std::optional<gan::Params> legacy = gan_legacy(p)) {
        return gan::integrate(*legacy, start, steps, keep_every);
    }
    const gm::Trajectory t = gm::integrate(p, to_vec(start), steps);
    const int dim = gm::dimension(p.system);
    gan::Trajectory out;
    out.keep_every = keep_every;
    out.diverged = t.diverged;
    out.diverged_at = t.diverged_at;
    out.steps = t.steps;
    const size_t last = t.states.size() - 1;
    for (size_t k = 0; k <= last; ++k) {
        if (k % static_cast<size_t>(keep_every) == 0 || k == last) {
            out.states.push_back(to_state(t.states[k], dim));
        }
    }
    return out;
}

std::vector<gan::Trajectory> integrate_runs(const gm::Params& p,
                                            const std::vector<gan::State>& starts, int steps,
                                            int keep_every) {
    if (const std::optional<gan::Params> legacy = gan_legacy(p)) {
        return gan::integrate_batch(*legacy, starts, steps, keep_every);
    }
    std::vector<gan::Trajectory> out;
    for (const gan::State& s : starts) out.push_back(integrate_run(p, s, steps, keep_every));
    return out;
}

gan::State velocity_of(const gm::Params& p, const gan::State& x) {
    if (const std::optional<gan::Params> legacy = gan_legacy(p)) return gan::velocity(*legacy, x);
    return to_state(gm::velocity(p, to_vec(x)), x.size());
}

double step_size(const gm::Params& p, double lr_player) {
    return p.method == gm::Method::Flow || lr_player == 0 ? p.lr : lr_player;
}

// Step D / Step G: one gradient step of one player, its coordinates moved by its step size
// times v (the critic clipped to [−c, c] under wgan), the other player's kept. Methods with
// memory take the plain gradient step here: a press is one player's move, not the method's.
gan::State step_player_of(const gm::Params& p, const gan::State& x, gan::Player who) {
    if (const std::optional<gan::Params> legacy = gan_legacy(p)) {
        return gan::step_player(*legacy, x, who);
    }
    const gan::State v = velocity_of(p, x);
    const int critic = gm::critic_dimension(p.system);
    gan::State next = x;
    if (who == gan::Player::Critic) {
        const double eta = step_size(p, p.lr_d);
        for (int i = 0; i < critic; ++i) {
            next[i] += eta * v[i];
            if (p.terms.has(gm::Term::Wgan)) next[i] = std::clamp(next[i], -p.clip, p.clip);
        }
    } else {
        const double eta = step_size(p, p.lr_g);
        for (int i = critic; i < x.size(); ++i) next[i] += eta * v[i];
    }
    return next;
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
int checked(const IntKey& key, int value) {
    return static_cast<int>(Fields(Json{{key.key, value}}, key.panel).integer(key));
}

GanField build_field(const gm::Params& sim, const GanPlane& plane, const GanRect& view) {
    GanField f;
    const gan::State origin = gan::State::Zero(gm::dimension(sim.system));
    constexpr int kArrows = 19;
    const double dx = view.width() / kArrows, dy = view.height() / kArrows;
    const double cell = std::min(dx, dy);
    for (int i = 0; i < kArrows; ++i) {
        for (int j = 0; j < kArrows; ++j) {
            const GanPoint p{view.x0 + (i + 0.5) * dx, view.y0 + (j + 0.5) * dy};
            const gan::State v = velocity_of(sim, plane.lift(p, origin));
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
                const gan::State v = velocity_of(sim, plane.lift(p, origin));
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

void GanScene::apply(const Json& patch) {
    Json s = state();
    for (auto it = patch.begin(); it != patch.end(); ++it) s[it.key()] = it.value();
    GanParams next = gan_params_from_json(s);  // validates, with the messages of a file
    if (gan_params_to_json(next) == state()) return;
    p_ = std::move(next);
    changed();
}

void GanScene::set_system(gan_methods::System system) {
    apply({{"system", gan_system_key(system)}});  // the starts are mapped by role on reading
}

void GanScene::set_loss(gan::Loss loss) { apply({{"loss", gan::to_string(loss)}}); }

void GanScene::set_method(gan_methods::Method method) {
    apply({{"method", gan_methods::to_string(method)}});
}

void GanScene::set_regularizer(const std::string& terms) { apply({{"regularizer", terms}}); }

void GanScene::set_steps_per_second(double rate) { apply({{"steps_per_second", rate}}); }

void GanScene::set_n_critic(int n) { apply({{"n_critic", n}}); }

void GanScene::set_lr(double lr) { apply({{"lr", lr}}); }

void GanScene::set_gamma(double gamma) { apply({{"gamma", gamma}}); }

void GanScene::open_grid_cell(size_t i) {
    if (i >= p_.grid.cells.size()) return;
    const GanGridCell& cell = p_.grid.cells[i];
    apply({{"system", gan_system_key(p_.grid.system)},
           {"method", cell.method},
           {"regularizer", cell.regularizer}});
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
    const gan::State s = plane().lift(w, gan::State::Zero(p_.start.size()));
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
    const NumberKey& key = grid_key(name);  // throws for a name that is no parameter
    apply({{key.key, value}});              // checks every grid cell and the main run
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
    // Momentum over its open range; noise and the gradient penalty over where they act
    // (σ = 3 is γ ≈ 4.5 by the σ²/2 link; λ = 5 is far past every edge seen here).
    if (p_.sweep == "beta") return {-0.95, 0.95};
    if (p_.sweep == "sigma") return {0, 3};
    if (p_.sweep == "lambda") return {0, 5};
    // lr: two decades around the usual range, always including the current lr.
    return {std::max(gan_keys::lr.lo, std::min(0.01, p_.run.lr / 2)),
            std::min(gan_keys::lr.hi, std::max(2.0, p_.run.lr * 2))};
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

gm::Params GanScene::reference_params() const {
    gm::Params ref = p_.run;
    if (ref.system == gm::System::Bilinear) {
        // The true orbit of the bare game: RK4 with a small step over the same total time (an
        // RK4 step of h = 2 would draw a triangle, not the circle the flow follows).
        ref.method = gm::Method::Flow;
        ref.lr = std::min(ref.lr, kReferenceStep);
        ref.terms = gm::TermSet{};
    } else {
        // The same run without penalties: only the objective stays (WGAN-GP as λ = 0, the
        // bare Wasserstein game; WGAN keeps its clipping, part of that objective).
        gm::TermSet objective;
        for (const gm::TermInfo& t : gm::term_table()) {
            if (t.objective && ref.terms.has(t.term)) objective.add(t.term);
        }
        ref.terms = objective;
        ref.gamma = 0;
        ref.sigma = 0;
        ref.gamma_c = 0;
        if (ref.terms.has(gm::Term::WganGp)) ref.lambda = 0;
    }
    return ref;
}

gm::Params GanScene::side_params(GanSide side) const {
    return side == GanSide::Main ? p_.run : reference_params();
}

int GanScene::reference_steps(int steps) const {
    const double ratio = p_.run.lr / reference_params().lr;
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
        const gm::Params sim = side_params(side);
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
            const gm::Params sim = side_params(side);
            return !k.valid || !same(k.sim, sim) || !same(k.start, p_.start) ||
                   k.steps != steps_of(side);
        }
        case Part::Extras:
            return extras_pending();
        case Part::Spectrum:
            return !spectrum_valid_ || !same(spectrum_keys_[index(GanSide::Main)], p_.run) ||
                   !same(spectrum_keys_[index(GanSide::Reference)], reference_params());
        case Part::Sweep:
            return !sweep_valid_ || !same(sweep_key_, sweep_key());
        case Part::Field:  // built on demand for a view rect: see field()
        case Part::Grid:   // per cell, inside GanGrid::update
        case Part::Radius: {
            gm::Params key = p_.run;
            set_swept(key, p_.sweep, 0);
            return !radius_valid_ || radius_key_name_ != p_.sweep || !same(radius_key_, key);
        }
        case Part::Manual:
            return !manual_key_.valid || !same(manual_key_.sim, p_.run) ||
                   !same(manual_key_.start, p_.start) || manual_key_presses_ != p_.manual;
        case Part::Count:
            break;
    }
    return false;
}

// The flow Jacobian depends on the system, the terms and their parameters only, and the
// sweep sets γ itself (with R1 on when neither R1 nor R2 is, so the plot always shows what
// the penalty does): lr, the method and its parameters leave it alone.
gm::Params GanScene::sweep_key() const {
    gm::Params key;
    key.system = p_.run.system;
    key.terms = p_.run.terms;
    if (!key.terms.has(gm::Term::R1) && !key.terms.has(gm::Term::R2) &&
        (gm::info(gm::Term::R1).systems & gm::system_bit(key.system))) {
        key.terms.add(gm::Term::R1);
    }
    key.sigma = p_.run.sigma;
    key.lambda = p_.run.lambda;
    key.g0 = p_.run.g0;
    key.clip = p_.run.clip;
    key.gamma_c = p_.run.gamma_c;
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
                step_player_of(p_.run, manual_path_.back(),
                               press == 'D' ? gan::Player::Critic : gan::Player::Generator));
        }
        manual_key_ = {p_.run, p_.start, 0, true};
        manual_key_presses_ = p_.manual;
        count(Part::Manual);
    }
    for (GanSide side : {GanSide::Reference, GanSide::Main}) {
        const Part part = side == GanSide::Main ? Part::Main : Part::Reference;
        if (!dirty(part)) continue;
        const gm::Params sim = side_params(side);
        runs_[index(side)] = integrate_run(sim, p_.start, steps_of(side));
        run_keys_[index(side)] = {sim, p_.start, steps_of(side), true};
        count(part);
    }
    if (dirty(Part::Spectrum)) {
        eq_ = gan::State::Zero(gm::dimension(p_.run.system));
        jacobian_ = gm::jacobian(p_.run, to_vec(eq_));
        for (GanSide side : {GanSide::Reference, GanSide::Main}) {
            const gm::Params sim = side_params(side);
            gm::Spectrum& sp = spectra_[index(side)];
            sp = gm::analyze(sim);
            eig_flow_[index(side)] = sp.field_eigenvalues;
            eig_map_[index(side)] = sp.step_eigenvalues;
            spectrum_keys_[index(side)] = sim;
        }
        spectrum_valid_ = true;
        count(Part::Spectrum);
    }
    if (dirty(Part::Sweep)) {
        sweep_key_ = sweep_key();
        const std::optional<gan::Params> legacy = gan_legacy(sweep_key_);
        if (legacy && sweep_key_.terms.has(gm::Term::R1)) {
            sweep_ = gan::sweep_gamma(*legacy, kSweepLo, kSweepHi, kSweepCount);
        } else {
            sweep_.clear();
            gm::Params q = sweep_key_;
            const gm::Vec eq = gm::equilibrium(q);
            for (int i = 0; i < kSweepCount; ++i) {
                q.gamma = kSweepLo + (kSweepHi - kSweepLo) * i / (kSweepCount - 1);
                sweep_.push_back({q.gamma, gm::eigenvalues(gm::jacobian(q, eq))});
            }
        }
        sweep_valid_ = true;
        count(Part::Sweep);
    }
    if (dirty(Part::Radius)) update_radius_sweep();
    if (!extras_pending()) return;
    if (allow_deferral && interacting_) {
        // Deferred; but extras of the other system (the other dimension) cannot be drawn.
        const ExtrasKey& k = extras_keys_[index(GanSide::Main)];
        if (k.valid && k.sim.system != p_.run.system) {
            for (auto& e : extras_) e.clear();
            for (auto& key : extras_keys_) key.valid = false;
            ++extras_version_;
        }
        return;
    }
    bool any = false;
    for (GanSide side : {GanSide::Reference, GanSide::Main}) {
        const gm::Params sim = side_params(side);
        ExtrasKey& k = extras_keys_[index(side)];
        const int steps = steps_of(side);
        if (k.valid && same(k.sim, sim) && same(k.starts, p_.extra_starts) && k.steps == steps) {
            continue;
        }
        extras_[index(side)] = integrate_runs(sim, p_.extra_starts, steps, extra_keep(steps));
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
    const gm::Spectrum& sp = spectra_[index(GanSide::Main)];
    const bool stable = sp.verdict == gm::Verdict::Converges;
    if (!sp.smooth) {
        // The one-sided radius can be < 1 while the equilibrium repels: say so, not "< 1".
        return {false, "no Jacobian at the equilibrium, which repels (one-sided max |λ| = " +
                           format_g(spectral_radius_map(), 5) + ")"};
    }
    if (p_.run.method == gm::Method::Flow) {
        return {stable, "max Re λ = " + format_g(max_real_flow(), 4) + (stable ? " < 0" : " ≥ 0")};
    }
    return {stable, "max |λ| = " + format_g(spectral_radius_map(), 5) + (stable ? " < 1" : " ≥ 1")};
}

GanPlane GanScene::plane() const {
    if (p_.run.system == gm::System::Bilinear) return {1, 0, "g (generator)", "d (critic)"};
    if (p_.run.system == gm::System::Dirac2) return {1, 0, "θ (generator)", "ψ (critic)"};
    if (p_.plane == "theta-psi1") return {2, 1, "θ (generator)", "ψ1 (critic offset)"};
    if (p_.plane == "psi1-psi0") return {1, 0, "ψ1 (critic offset)", "ψ0 (critic slope)"};
    return {};
}

const GanField& GanScene::field(GanSide side, const GanRect& view) {
    FieldCache& f = fields_[index(side)];
    const gm::Params sim = side_params(side);
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
    const gm::Params sim = side_params(side);
    const GanPlane pl = plane();
    const gan::State v = velocity_of(sim, pl.lift(w, gan::State::Zero(gm::dimension(sim.system))));
    return {v[pl.x], v[pl.y]};
}

GanScene::Now GanScene::now() const {
    const gan::Trajectory& t = run(GanSide::Main);
    Now n;
    n.step = std::min(shown_, t.steps_run());
    n.state = t.states[n.step];
    n.distance = n.state.norm();
    const double q0 = gan::conserved_quantity(gan_layout(p_.run.system), t.states.front());
    n.conserved = gan::conserved_quantity(gan_layout(p_.run.system), n.state);
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
    // The whole run takes about 4 s at speed 1, whatever the step count, unless
    // gan.steps_per_second sets the pace (slow motion: 1 step/s).
    const double rate = p_.steps_per_second > 0 ? p_.steps_per_second : std::max(1, p_.steps) / 4.0;
    progress_ += dt * speed * rate;
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
    // The left plot: the same start without penalties (dirac*) or the continuous flow.
    const gm::Params ref = reference_params();
    const gan::Trajectory& r = run(GanSide::Reference);
    const gan::State& ref_end = r.states.back();
    const gm::Spectrum& ref_spectrum = spectrum(GanSide::Reference);
    const gm::Spectrum& main_spectrum = spectrum(GanSide::Main);
    Json reference = {{"method", gm::to_string(ref.method)},
                      {"regularizer", gm::to_string(ref.terms)},
                      {"verdict", gm::to_string(ref_spectrum.verdict)},
                      {"spectral_radius", finite_or_null(ref_spectrum.radius)},
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
    return Json{
        {"system", gan_system_key(p_.run.system)},
        {"method", gm::to_string(p_.run.method)},
        {"regularizer", gm::to_string(p_.run.terms)},
        {"core", gan_legacy(p_.run) ? "gan" : "gan_methods"},
        {"verdict", gm::to_string(main_spectrum.verdict)},
        {"rate", finite_or_null(main_spectrum.rate)},
        {"max_real", finite_or_null(main_spectrum.max_real)},
        {"smooth", main_spectrum.smooth},
        {"note", main_spectrum.note},
        {"equilibrium", state_json(eq_)},
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
        {"conserved_start", gan::conserved_quantity(gan_layout(p_.run.system), p_.start)},
        {"conserved_end", finite_or_null(gan::conserved_quantity(gan_layout(p_.run.system), end))},
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
    gm::Params q = p_.run;
    // As the γ sweep: R1 on when neither penalty is, so sweeping γ shows what R1 would do.
    if (p_.sweep == "gamma" && !q.terms.has(gm::Term::R1) && !q.terms.has(gm::Term::R2) &&
        (gm::info(gm::Term::R1).systems & gm::system_bit(q.system))) {
        q.terms.add(gm::Term::R1);
    }
    for (int i = 0; i < points; ++i) {
        const double t = static_cast<double>(i) / (points - 1);
        // lr log-spaced (its stability edge sits at a ratio, not a difference), γ linear.
        const double value = integer            ? lo + i
                             : p_.sweep == "lr" ? lo * std::pow(hi / lo, t)
                                                : lo + (hi - lo) * t;
        set_swept(q, p_.sweep, value);
        const std::optional<gan::Params> legacy = gan_legacy(q);
        const double radius =
            legacy ? gm::spectral_radius(
                         gan::eigenvalues(gan::step_jacobian(*legacy, gan::equilibrium(*legacy))))
                   : gm::spectral_radius(
                         gm::eigenvalues(gm::step_jacobian(q, gm::augmented_equilibrium(q))));
        radius_sweep_.push_back({value, radius});
    }
    radius_key_ = p_.run;
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
    out << (p_.run.system == gm::System::Dirac3   ? "step,psi0,psi1,theta"
            : p_.run.system == gm::System::Dirac2 ? "step,psi,theta"
                                                  : "step,d,g")
        << ",distance,conserved\n";
    for (size_t k = 0; k < t.states.size(); ++k) {
        const gan::State& s = t.states[k];
        out << k;
        for (int i = 0; i < s.size(); ++i) out << ',' << s[i];
        out << ',' << (s - eq_).norm() << ','
            << gan::conserved_quantity(gan_layout(p_.run.system), s) << '\n';
    }
    return out.str();
}

}  // namespace genlab
