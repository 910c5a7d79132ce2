#include "kl_model.hpp"

#include <cmath>
#include <sstream>

#include "fields.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "kl";

// A finite number vector of `dim` entries; a vector of the other dimension maps (2 → 1: the
// first coordinate; 1 → 2: [x, 0] for means, [s, s] for standard deviations) so switching
// `dim` keeps the picture.
kl::Vec vector_of(const Json& value, int dim, bool is_std, const std::string& what) {
    const std::string expected = std::string("a list of ") + (dim == 1 ? "1" : "2") +
                                 (is_std ? " positive numbers" : " finite numbers");
    if (!value.is_array() || value.empty() || value.size() > 2) {
        throw UserError(what + " must be " + expected + " (got " + value.dump() + ")");
    }
    std::vector<double> v;
    for (const Json& x : value) {
        if (!x.is_number() || !std::isfinite(x.get<double>()) || std::abs(x.get<double>()) > 1e4 ||
            (is_std && !(x.get<double>() >= 1e-3))) {
            throw UserError(what + " must be " + expected +
                            (is_std ? " >= 0.001" : " within ±1e4") + " (got " + value.dump() +
                            ")");
        }
        v.push_back(x.get<double>());
    }
    kl::Vec out(dim);
    out[0] = v[0];
    if (dim == 2) out[1] = v.size() == 2 ? v[1] : (is_std ? v[0] : 0.0);
    return out;
}

kl::Mat covariance_of(const Json& value, const std::string& what) {
    if (!value.is_array() || value.size() != 2 || !value[0].is_array() || !value[1].is_array() ||
        value[0].size() != 2 || value[1].size() != 2) {
        throw UserError(what + " must be a 2x2 covariance [[a, b], [b, c]] (got " + value.dump() +
                        ")");
    }
    kl::Mat c(2, 2);
    for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) {
            if (!value[i][j].is_number() || !std::isfinite(value[i][j].get<double>())) {
                throw UserError(what + " must hold finite numbers (got " + value.dump() + ")");
            }
            c(i, j) = value[i][j].get<double>();
        }
    }
    // The same range as "std" (0.001 to 1e4), so a diagonal cov and its std form are one value.
    if (!(c(0, 0) >= 1e-6 && c(0, 0) <= 1e8 && c(1, 1) >= 1e-6 && c(1, 1) <= 1e8)) {
        throw UserError(what + " must have variances in [1e-6, 1e8] (std 0.001 to 1e4; got " +
                        value.dump() + ")");
    }
    if (std::abs(c(0, 1) - c(1, 0)) > 1e-9 * (1 + std::abs(c(0, 1))) || c(0, 0) <= 0 ||
        c(1, 1) <= 0 || c(0, 0) * c(1, 1) - c(0, 1) * c(1, 0) <= 1e-12) {
        throw UserError(what + " must be symmetric positive definite (got " + value.dump() + ")");
    }
    return c;
}

kl::Gaussian gaussian_of(const Json& value, int dim, const std::string& what,
                         std::vector<std::string> allowed = {"mean", "std", "cov"}) {
    require_known_keys(value, allowed, what);
    if (value.is_object() && value.contains("std") && value.contains("cov")) {
        throw UserError(what + " must give either \"std\" or \"cov\", not both");
    }
    if (!value.is_object() || !value.contains("mean") ||
        !(value.contains("std") || value.contains("cov"))) {
        throw UserError(what + " must be {\"mean\": [..], \"std\": [..]} (or \"cov\" in 2-D)");
    }
    const kl::Vec mean = vector_of(value["mean"], dim, false, what + ".mean");
    if (value.contains("cov")) {
        if (dim != 2) throw UserError(what + ".cov is for dim 2; use \"std\" in 1-D");
        return kl::Gaussian::from_cov(mean, covariance_of(value["cov"], what + ".cov"));
    }
    return kl::Gaussian::from_std(mean, vector_of(value["std"], dim, true, what + ".std"));
}

Json vec_json(const kl::Vec& v) {
    Json a = Json::array();
    for (int i = 0; i < v.size(); ++i) a.push_back(v[i]);
    return a;
}

// JSON holds no NaN or Inf: a value that overflowed is null (DESIGN.md: a missing value).
Json finite_or_null(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

// Replaces every non-finite number inside `j` by null.
void null_non_finite(Json& j) {
    if (j.is_number_float()) j = finite_or_null(j.get<double>());
    if (j.is_structured()) {
        for (Json& item : j) null_non_finite(item);
    }
}

Json fit_json(const KlParams& p, const kl::Fit& f, const kl::Quadrature& quad) {
    Json j = kl_gaussian_json(f.q);
    null_non_finite(j);
    j["kl_pq"] = finite_or_null(kl::kl_pq(p.target, f.q, quad));
    j["kl_qp"] = finite_or_null(kl::kl_qp(p.target, f.q, quad));
    j["iterations"] = f.iterations;
    j["converged"] = f.converged;
    j["diverged"] = f.diverged;
    return j;
}

}  // namespace

kl::Objective kl_family_objective(const std::string& family) {
    return family == "js" ? kl::Objective::JS : kl::Objective::Alpha;
}

Json kl_gaussian_json(const kl::Gaussian& q) {
    const kl::Mat cov = q.cov();
    if (q.dim() == 1) return Json{{"mean", vec_json(q.mean)}, {"std", {std::sqrt(cov(0, 0))}}};
    return Json{{"mean", vec_json(q.mean)},
                {"cov", {{cov(0, 0), cov(0, 1)}, {cov(1, 0), cov(1, 1)}}}};
}

Json KlModel::defaults() const {
    // The exam's case (seed 004 §4.3): two well-separated modes.
    return Json{{"dim", 1},
                {"target", Json::array({Json{{"weight", 0.5}, {"mean", {-3.0}}, {"std", {0.8}}},
                                        Json{{"weight", 0.5}, {"mean", {3.0}}, {"std", {0.8}}}})},
                {"q_init", Json{{"mean", {0.7}}, {"std", {1.0}}}},
                {"optimizer", "adam"},
                {"lr", 0.05},
                {"iterations", 2000},
                {"tolerance", 1e-5},
                {"family", "none"},
                {"alpha", 0.5},
                {"mc_samples", 64},
                {"iterations_per_frame", 200},
                {"shade", "none"},
                {"q_family", "full"}};
}

KlParams kl_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    KlParams p;
    p.dim = static_cast<int>(f.integer("dim", 1, 2));
    const Json& target = f.at("target");
    if (!target.is_array() || target.empty() || target.size() > kKlMaxComponents) {
        f.fail("target", "a list of 1 to " + std::to_string(kKlMaxComponents) +
                             " components {\"weight\", \"mean\", \"std\" or \"cov\"}");
    }
    for (size_t k = 0; k < target.size(); ++k) {
        const std::string what = f.name("target") + "[" + std::to_string(k) + "]";
        const Json& c = target[k];
        if (!c.is_object() || !c.contains("weight") || !c["weight"].is_number() ||
            !(c["weight"].get<double>() > 0) || !std::isfinite(c["weight"].get<double>())) {
            throw UserError(what + " must be {\"weight\": w > 0, \"mean\": [..], \"std\": [..]}");
        }
        const kl::Gaussian g = gaussian_of(c, p.dim, what, {"weight", "mean", "std", "cov"});
        p.target.push_back({c["weight"].get<double>(), g.mean, g.cov()});
    }
    p.q_init = gaussian_of(f.at("q_init"), p.dim, f.name("q_init"));
    p.options.optimizer =
        f.word("optimizer", {"adam", "gd"}) == "gd" ? kl::Optimizer::GD : kl::Optimizer::Adam;
    p.options.lr = f.number("lr", 1e-5, 10);
    p.options.iterations = static_cast<int>(f.integer("iterations", 0, 100000));
    p.options.tolerance = f.number("tolerance", 0, 1);
    p.family = f.word("family", {"none", "js", "alpha"});
    p.options.alpha = f.number("alpha", 0.01, 0.99);
    p.mc_samples = static_cast<int>(f.integer("mc_samples", 1, 100000));
    p.iterations_per_frame = static_cast<int>(f.integer("iterations_per_frame", 1, 5000));
    p.shade = f.word("shade", {"none", "forward", "reverse"});
    p.options.mean_field = f.word("q_family", {"full", "diagonal"}) == "diagonal";
    if (p.options.mean_field) {  // an axis-aligned q starts axis-aligned
        const kl::Mat c = p.q_init.cov();
        kl::Vec sd(p.dim);
        for (int i = 0; i < p.dim; ++i) sd[i] = std::sqrt(c(i, i));
        p.q_init = kl::Gaussian::from_std(p.q_init.mean, sd);
    }
    try {
        kl::validate(p.target, p.dim);
        kl::validate(p.q_init, p.dim);
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
    return p;
}

Json kl_params_to_json(const KlParams& p) {
    Json target = Json::array();
    for (const kl::Component& c : p.target) {
        Json j = kl_gaussian_json(kl::Gaussian::from_cov(c.mean, c.cov));
        // A diagonal 2-D covariance reads better as standard deviations.
        if (p.dim == 2 && std::abs(c.cov(0, 1)) < 1e-15) {
            j.erase("cov");
            j["std"] = {std::sqrt(c.cov(0, 0)), std::sqrt(c.cov(1, 1))};
        }
        j["weight"] = c.weight;
        target.push_back(j);
    }
    Json q = kl_gaussian_json(p.q_init);
    if (p.dim == 2) {
        const kl::Mat c = p.q_init.cov();
        if (std::abs(c(0, 1)) < 1e-15) {
            q.erase("cov");
            q["std"] = {std::sqrt(c(0, 0)), std::sqrt(c(1, 1))};
        }
    }
    return Json{{"dim", p.dim},
                {"target", target},
                {"q_init", q},
                {"optimizer", p.options.optimizer == kl::Optimizer::GD ? "gd" : "adam"},
                {"lr", p.options.lr},
                {"iterations", p.options.iterations},
                {"tolerance", p.options.tolerance},
                {"family", p.family},
                {"alpha", p.options.alpha},
                {"mc_samples", p.mc_samples},
                {"iterations_per_frame", p.iterations_per_frame},
                {"shade", p.shade},
                {"q_family", p.options.mean_field ? "diagonal" : "full"}};
}

Json KlModel::normalize(const Json& state) const {
    return kl_params_to_json(kl_params_from_json(state));
}

Json KlModel::report(const Json& state) const {
    const KlParams p = kl_params_from_json(state);
    const kl::Quadrature quad(p.dim);
    const kl::Fit fwd = kl::fit(p.target, p.q_init, kl::Objective::Forward, p.options, quad);
    const kl::Fit rev = kl::fit(p.target, p.q_init, kl::Objective::Reverse, p.options, quad);
    Json r{{"forward", fit_json(p, fwd, quad)},
           {"reverse", fit_json(p, rev, quad)},
           {"forward_closed_form", kl_gaussian_json(kl::moment_match(p.target))}};
    if (p.family != "none") {
        const kl::Fit fam =
            kl::fit(p.target, p.q_init, kl_family_objective(p.family), p.options, quad);
        r["family"] = fit_json(p, fam, quad);
        r["family"]["objective"] = p.family;
    }
    return r;
}

std::string KlModel::csv(const Json& state) const {
    // The optimizer paths of both fits: one row per iteration.
    const KlParams p = kl_params_from_json(state);
    const kl::Quadrature quad(p.dim);
    const kl::Fit fwd = kl::fit(p.target, p.q_init, kl::Objective::Forward, p.options, quad);
    const kl::Fit rev = kl::fit(p.target, p.q_init, kl::Objective::Reverse, p.options, quad);
    std::ostringstream out;
    out.precision(12);
    out << "objective,iteration,value";
    for (int i = 0; i < kl::param_count(p.dim); ++i) out << ",theta" << i;
    out << "\n";
    for (const auto& [name, f] :
         {std::pair<const char*, const kl::Fit*>{"forward", &fwd}, {"reverse", &rev}}) {
        for (size_t k = 0; k < f->path.size(); ++k) {
            out << name << ',' << k << ',' << (k < f->values.size() ? f->values[k] : NAN);
            for (int i = 0; i < f->path[k].size(); ++i) out << ',' << f->path[k][i];
            out << '\n';
        }
    }
    return out.str();
}

}  // namespace genlab
