// [SECTION] Keys
// [SECTION] Cells and results
#include "gan_grid.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "errors.hpp"
#include "fields.hpp"
#include "format.hpp"
#include "gan_model.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace gm = gan_methods;

//-----------------------------------------------------------------------------
// [SECTION] Keys
//-----------------------------------------------------------------------------

namespace {

constexpr const char* kPanel = "gan";

bool panel_key(const std::string& key) {
    return key == "gan.lr" || key == "gan.gamma" || key == "gan.n_critic";
}

// "gan.regularizer: ..." from the core as "gan.grid[2].regularizer: ...".
std::string cell_error(std::string message, const std::string& what) {
    for (const char* key : {"gan.regularizer", "gan.method"}) {
        const std::string k = key;
        if (message.compare(0, k.size(), k) == 0) {
            return what + "." + k.substr(4) + message.substr(k.size());
        }
    }
    return what + ": " + message;
}

std::vector<std::string> method_names() {
    std::vector<std::string> names;
    for (const gm::MethodInfo& m : gm::method_table()) names.push_back(m.cli);
    return names;
}

}  // namespace

const std::vector<NumberKey>& grid_keys() {
    static const std::vector<NumberKey> keys = [] {
        std::vector<NumberKey> out;
        for (const gm::KeySpec& k : gm::key_table()) {
            if (panel_key(k.key)) continue;
            const double inset = 1e-6 * (k.hi - k.lo);
            const double lo = k.lo_open && !k.zero_allowed ? k.lo + inset : k.lo;
            const double hi = k.hi_open ? k.hi - inset : k.hi;
            out.push_back(NumberKey{kPanel, k.key + 4, lo, hi, k.default_value});
        }
        return out;
    }();
    return keys;
}

const NumberKey& grid_key(const std::string& name) {
    for (const NumberKey& k : grid_keys()) {
        if (name == k.key) return k;
    }
    throw std::invalid_argument("no grid key gan." + name);
}

gm::Vec gan_grid_start(const gan::State& start, gm::System system) {
    const gan::State s = gan_start_for(
        start, system == gm::System::Dirac3 ? gan::System::Dirac : gan::System::Bilinear);
    gm::Vec v(s.size());
    for (int i = 0; i < s.size(); ++i) v[i] = s[i];
    return v;
}

int gan_grid_steps(int steps) { return std::min(steps, kGridMaxSteps); }

std::string gan_grid_title(const GanGridCell& cell) {
    return cell.method + " + " + (cell.regularizer.empty() ? "no regularizer" : cell.regularizer);
}

gm::Params gan_grid_cell_params(const GanGridParams& grid, size_t i) {
    gm::Params p = grid.base;
    p.system = grid.system;
    p.method = gm::parse_method(grid.cells[i].method);
    p.terms = gm::parse_terms(grid.cells[i].regularizer);
    return p;
}

GanGridCell gan_grid_check_cell(const GanGridParams& grid, GanGridCell cell,
                                const std::string& what) {
    const std::vector<std::string> methods = method_names();
    if (std::find(methods.begin(), methods.end(), cell.method) == methods.end()) {
        throw UserError(what + ".method must be one of " + join(methods) + " (got '" + cell.method +
                        "')");
    }
    try {
        gm::Params p = grid.base;
        p.system = grid.system;
        p.method = gm::parse_method(cell.method);
        p.terms = gm::parse_terms(cell.regularizer);
        gm::validate(p);
        cell.regularizer = gm::to_string(p.terms);
        if (cell.regularizer.empty()) cell.regularizer = "gan";
        if (grid.system == gm::System::Bilinear && cell.regularizer == "gan") {
            cell.regularizer = "";  // the bare game
        }
    } catch (const std::invalid_argument& e) {
        throw UserError(cell_error(e.what(), what));
    }
    return cell;
}

void gan_grid_defaults(Json& state) {
    state["grid"] = Json::array();
    state["grid_system"] = "dirac2";
    for (const NumberKey& k : grid_keys()) state[k.key] = k.def;
}

GanGridParams gan_grid_from_json(const Json& state, const gan::Params& sim) {
    Fields f(state, kPanel);
    GanGridParams g;
    g.system = gm::parse_system(f.word("grid_system", {"dirac2", "dirac3", "bilinear"}));
    g.base.lr = sim.lr;
    g.base.gamma = sim.gamma;
    g.base.n_critic = sim.n_critic;
    for (const NumberKey& k : grid_keys()) gm::set_param(g.base, k.path(), f.number(k));
    const Json& cells = f.at("grid");
    const std::string expected = "a list of at most " + std::to_string(kGridMaxCells) +
                                 " cells, each {\"method\": \"" + join(method_names()) +
                                 "\", \"regularizer\": \"terms joined by +\"}";
    if (!cells.is_array() || cells.size() > static_cast<size_t>(kGridMaxCells)) {
        f.fail("grid", expected);
    }
    for (size_t i = 0; i < cells.size(); ++i) {
        const std::string what = f.name("grid") + "[" + std::to_string(i) + "]";
        const Json& c = cells[i];
        if (!c.is_object()) throw UserError(what + " must be " + expected.substr(17));
        require_known_keys(c, {"method", "regularizer"}, what);
        GanGridCell cell;
        if (!c.contains("method") || !c["method"].is_string()) {
            throw UserError(what + ".method must be one of " + join(method_names()));
        }
        cell.method = c["method"].get<std::string>();
        if (c.contains("regularizer")) {
            if (!c["regularizer"].is_string()) {
                throw UserError(what +
                                ".regularizer must be a string of terms joined by +, e.g. "
                                "\"nsgan+r1\" (got " +
                                c["regularizer"].dump() + ")");
            }
            cell.regularizer = c["regularizer"].get<std::string>();
        } else {
            cell.regularizer = "";
        }
        g.cells.push_back(gan_grid_check_cell(g, cell, what));
    }
    return g;
}

void gan_grid_to_json(const GanGridParams& g, Json& state) {
    Json cells = Json::array();
    for (const GanGridCell& c : g.cells) {
        cells.push_back({{"method", c.method}, {"regularizer", c.regularizer}});
    }
    state["grid"] = cells;
    state["grid_system"] = gm::to_string(g.system);
    for (const NumberKey& k : grid_keys()) state[k.key] = gm::get_param(g.base, k.path());
}

//-----------------------------------------------------------------------------
// [SECTION] Cells and results
//-----------------------------------------------------------------------------

bool gan_same(const gm::Params& a, const gm::Params& b) {
    return a.system == b.system && a.method == b.method && a.terms == b.terms && a.lr == b.lr &&
           a.lr_d == b.lr_d && a.lr_g == b.lr_g && a.n_critic == b.n_critic && a.beta == b.beta &&
           a.gamma == b.gamma && a.sigma == b.sigma && a.lambda == b.lambda && a.g0 == b.g0 &&
           a.clip == b.clip && a.gamma_c == b.gamma_c;
}

namespace {

bool same(const gm::Vec& a, const gm::Vec& b) { return a.size() == b.size() && a == b; }

}  // namespace

void GanGrid::update(const GanGridParams& grid, const gan::State& start, int steps,
                     double budget_seconds) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point began = Clock::now();
    system_ = grid.system;
    start_ = gan_grid_start(start, grid.system);
    steps_ = gan_grid_steps(steps);
    results_.resize(grid.cells.size());
    keys_.resize(grid.cells.size());
    int computed = 0;
    for (size_t i = 0; i < grid.cells.size(); ++i) {
        const gm::Params p = gan_grid_cell_params(grid, i);
        Key& key = keys_[i];
        GanGridResult& r = results_[i];
        r.cell = grid.cells[i];
        r.pending = false;
        if (key.steps == steps_ && gan_same(key.params, p) && same(key.start, start_)) continue;
        if (computed > 0 &&
            std::chrono::duration<double>(Clock::now() - began).count() > budget_seconds) {
            r.pending = true;
            continue;
        }
        ++computed;
        r.params = p;
        r.spectrum = gm::analyze(p);
        r.trajectory = gm::integrate(p, start_, steps_);
        r.final_distance = gm::distance_to_equilibrium(p, r.trajectory.states.back());
        // Without a Jacobian at the equilibrium (WGAN-GP, g0 > 0) the radius is one-sided.
        r.verdict_line = std::string(gm::to_string(r.spectrum.verdict)) +
                         (r.spectrum.smooth ? " · r = " : " · no Jacobian at 0, one-sided r = ") +
                         format_g(r.spectrum.radius, 4);
        key = {p, start_, steps_};
        ++recomputes_;
    }
}

size_t GanGrid::pending() const {
    return static_cast<size_t>(std::count_if(results_.begin(), results_.end(),
                                             [](const GanGridResult& r) { return r.pending; }));
}

Json GanGrid::report() const {
    Json cells = Json::array();
    for (const GanGridResult& r : results_) {
        const gm::Trajectory& t = r.trajectory;
        cells.push_back(
            {{"method", r.cell.method},
             {"regularizer", r.cell.regularizer},
             {"title", gan_grid_title(r.cell)},
             {"verdict", gm::to_string(r.spectrum.verdict)},
             {"verdict_line", r.verdict_line},
             {"spectral_radius", finite_or_null(r.spectrum.radius)},
             {"rate", finite_or_null(r.spectrum.rate)},
             {"max_real", finite_or_null(r.spectrum.max_real)},
             {"smooth", r.spectrum.smooth},
             {"note", r.spectrum.note},
             {"eigenvalues_flow", complex_list_json(r.spectrum.field_eigenvalues)},
             {"eigenvalues_map", complex_list_json(r.spectrum.step_eigenvalues)},
             {"trajectory_end", vector_json(t.states.back().head(gm::dimension(system_)))},
             {"steps_run", t.steps},
             {"diverged", t.diverged},
             {"diverged_at", t.diverged ? Json(t.diverged_at) : Json(nullptr)},
             {"final_distance", finite_or_null(r.final_distance)}});
    }
    return Json{{"system", gm::to_string(system_)},
                {"start", vector_json(start_)},
                {"steps", steps_},
                {"cells", cells}};
}

}  // namespace genlab
