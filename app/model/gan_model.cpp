#include "gan_model.hpp"

#include <cmath>
#include <sstream>

#include "fields.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "gan";

template <typename Enum>
Enum enum_from(const std::string& word, std::initializer_list<Enum> all) {
    for (Enum e : all) {
        if (word == gan::to_string(e)) return e;
    }
    return *all.begin();
}

std::vector<std::string> names(std::initializer_list<const char*> words) {
    return std::vector<std::string>(words.begin(), words.end());
}

// A start for `system`. A start of the other system maps by role: the critic's ψ0 ↔ d and
// the generator's θ ↔ g (ψ1 is 0), so switching the system keeps the picture comparable.
gan::State start_from(const Json& value, gan::System system, const std::string& what) {
    const int dim = gan::dimension(system);
    const std::string expected = system == gan::System::Dirac
                                     ? "[psi0, psi1, theta] (or [d, g]), finite numbers"
                                     : "[d, g] (or [psi0, psi1, theta]), finite numbers";
    if (!value.is_array() || (value.size() != 2 && value.size() != 3)) {
        throw UserError(what + " must be " + expected + " (got " + value.dump() + ")");
    }
    std::vector<double> v;
    for (const Json& x : value) {
        if (!x.is_number() || !std::isfinite(x.get<double>()) || std::abs(x.get<double>()) > 1e6) {
            throw UserError(what + " must be " + expected + " within ±1e6 (got " + value.dump() +
                            ")");
        }
        v.push_back(x.get<double>());
    }
    gan::State s(dim);
    if (static_cast<int>(v.size()) == dim) {
        for (int i = 0; i < dim; ++i) s[i] = v[i];
    } else if (dim == 2) {
        s << v[0], v[2];
    } else {
        s << v[0], 0.0, v[1];
    }
    return s;
}

Json state_json(const gan::State& s) {
    Json a = Json::array();
    for (int i = 0; i < s.size(); ++i) a.push_back(s[i]);
    return a;
}

Json matrix_json(const Eigen::MatrixXd& m) {
    Json rows = Json::array();
    for (int i = 0; i < m.rows(); ++i) {
        Json row = Json::array();
        for (int j = 0; j < m.cols(); ++j) row.push_back(m(i, j));
        rows.push_back(row);
    }
    return rows;
}

// JSON cannot hold NaN or Inf: a missing value is null (DESIGN.md).
Json finite_or_null(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

}  // namespace

Json complex_list_json(const std::vector<gan::Complex>& values) {
    Json list = Json::array();
    for (const gan::Complex& c : values) list.push_back({c.real(), c.imag()});
    return list;
}

Json GanModel::defaults() const {
    return Json{{"system", "dirac"},
                {"loss", "saturating"},
                {"method", "simultaneous"},
                {"n_critic", 1},
                {"lr", 0.1},
                {"gamma", 0.3},
                {"start", Json::array({1.0, 0.0, 1.0})},
                {"steps", 400},
                {"plane", "theta-psi0"},
                {"extra_starts", Json::array()}};
}

GanParams gan_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    GanParams p;
    p.sim.system = enum_from(f.word("system", names({"dirac", "bilinear"})),
                             {gan::System::Dirac, gan::System::Bilinear});
    p.sim.loss = enum_from(f.word("loss", names({"saturating", "non-saturating"})),
                           {gan::Loss::Saturating, gan::Loss::NonSaturating});
    p.sim.method =
        enum_from(f.word("method", names({"flow", "simultaneous", "alternating"})),
                  {gan::Method::Flow, gan::Method::Simultaneous, gan::Method::Alternating});
    p.sim.n_critic = static_cast<int>(f.integer("n_critic", 1, 100));
    p.sim.lr = f.number("lr", 1e-4, 10);
    p.sim.gamma = f.number("gamma", 0, 10);
    p.start = start_from(f.at("start"), p.sim.system, f.name("start"));
    p.steps = static_cast<int>(f.integer("steps", 1, kGanMaxSteps));
    p.plane = f.word("plane", names({"theta-psi0", "theta-psi1", "psi1-psi0"}));
    const Json& extra = f.at("extra_starts");
    if (!extra.is_array() || extra.size() > kGanMaxExtraStarts) {
        f.fail("extra_starts", "a list of at most " + std::to_string(kGanMaxExtraStarts) +
                                   " starts, each like start");
    }
    for (size_t i = 0; i < extra.size(); ++i) {
        p.extra_starts.push_back(start_from(
            extra[i], p.sim.system, f.name("extra_starts") + "[" + std::to_string(i) + "]"));
    }
    try {
        gan::validate(p.sim);
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
    return p;
}

Json gan_params_to_json(const GanParams& p) {
    Json extra = Json::array();
    for (const gan::State& s : p.extra_starts) extra.push_back(state_json(s));
    return Json{{"system", gan::to_string(p.sim.system)},
                {"loss", gan::to_string(p.sim.loss)},
                {"method", gan::to_string(p.sim.method)},
                {"n_critic", p.sim.n_critic},
                {"lr", p.sim.lr},
                {"gamma", p.sim.gamma},
                {"start", state_json(p.start)},
                {"steps", p.steps},
                {"plane", p.plane},
                {"extra_starts", extra}};
}

Json GanModel::normalize(const Json& state) const {
    return gan_params_to_json(gan_params_from_json(state));
}

Json GanModel::report(const Json& state) const {
    const GanParams p = gan_params_from_json(state);
    const gan::State eq = gan::equilibrium(p.sim);
    const gan::Trajectory t = gan::integrate(p.sim, p.start, p.steps);
    const gan::State& end = t.states.back();
    const double q0 = gan::conserved_quantity(p.sim.system, p.start);
    const double q1 = gan::conserved_quantity(p.sim.system, end);
    const std::vector<gan::Complex> map_eigs = gan::eigenvalues(gan::step_jacobian(p.sim, eq));
    double radius = 0;
    for (const gan::Complex& c : map_eigs) radius = std::max(radius, std::abs(c));
    Json extra = Json::array();
    for (const gan::Trajectory& e :
         gan::integrate_batch(p.sim, p.extra_starts, p.steps, std::max(1, p.steps))) {
        extra.push_back({{"start", state_json(e.states.front())},
                         {"end", state_json(e.states.back())},
                         {"diverged", e.diverged},
                         {"diverged_at", e.diverged ? Json(e.diverged_at) : Json(nullptr)}});
    }
    return Json{{"equilibrium", state_json(eq)},
                {"jacobian", matrix_json(gan::jacobian(p.sim, eq))},
                {"eigenvalues_flow", complex_list_json(gan::eigenvalues(gan::jacobian(p.sim, eq)))},
                {"eigenvalues_map", complex_list_json(map_eigs)},
                {"spectral_radius_map", radius},
                {"trajectory_end", state_json(end)},
                {"steps_run", t.steps_run()},
                {"diverged", t.diverged},
                {"diverged_at", t.diverged ? Json(t.diverged_at) : Json(nullptr)},
                {"distance_to_equilibrium", finite_or_null((end - eq).norm())},
                {"conserved_start", q0},
                {"conserved_end", finite_or_null(q1)},
                {"extra_trajectories", extra}};
}

std::string GanModel::csv(const Json& state) const {
    const GanParams p = gan_params_from_json(state);
    const gan::Trajectory t = gan::integrate(p.sim, p.start, p.steps);
    const gan::State eq = gan::equilibrium(p.sim);
    std::ostringstream out;
    out.precision(17);
    out << (p.sim.system == gan::System::Dirac ? "step,psi0,psi1,theta" : "step,d,g")
        << ",distance,conserved\n";
    for (size_t k = 0; k < t.states.size(); ++k) {
        const gan::State& s = t.states[k];
        out << k;
        for (int i = 0; i < s.size(); ++i) out << ',' << s[i];
        out << ',' << (s - eq).norm() << ',' << gan::conserved_quantity(p.sim.system, s) << '\n';
    }
    return out.str();
}

}  // namespace genlab
