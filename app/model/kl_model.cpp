#include "kl_model.hpp"

#include <cmath>
#include <sstream>

#include "fields.hpp"
#include "format.hpp"
#include "json_numbers.hpp"
#include "scene_kl.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "kl";

// A finite number vector of `dim` entries within `range` (a mean or a std spec); a vector of
// the other dimension maps (2 → 1: the first coordinate; 1 → 2: [x, 0] for means, [s, s] for
// standard deviations) so switching `dim` keeps the picture.
kl::Vec vector_of(const Json& value, int dim, const NumberKey& range, const std::string& what) {
    const bool is_std = range.lo > 0;
    const std::string expected = std::string("a list of ") + (dim == 1 ? "1" : "2") +
                                 (is_std ? " positive numbers" : " finite numbers");
    if (!value.is_array() || value.empty() || value.size() > 2) {
        throw UserError(what + " must be " + expected + " (got " + value.dump() + ")");
    }
    std::vector<double> v;
    for (const Json& x : value) {
        if (!x.is_number() || !std::isfinite(x.get<double>()) || !(x.get<double>() >= range.lo) ||
            !(x.get<double>() <= range.hi)) {
            throw UserError(
                what + " must be " + expected +
                (is_std ? " in [" + format_number(range.lo) + ", " + format_number(range.hi) + "]"
                        : " within ±" + format_number(range.hi)) +
                " (got " + value.dump() + ")");
        }
        v.push_back(x.get<double>());
    }
    kl::Vec out(dim);
    out[0] = v[0];
    if (dim == 2) out[1] = v.size() == 2 ? v[1] : (is_std ? v[0] : 0.0);
    return out;
}

kl::Mat covariance_of(const Json& value, const NumberKey& sd, const std::string& what) {
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
    // The same range as "std", so a diagonal cov and its std form are one value.
    const double lo = sd.lo * sd.lo, hi = sd.hi * sd.hi;
    if (!(c(0, 0) >= lo && c(0, 0) <= hi && c(1, 1) >= lo && c(1, 1) <= hi)) {
        throw UserError(what + " must have variances in [" + format_number(lo) + ", " +
                        format_number(hi) + "] (std " + format_number(sd.lo) + " to " +
                        format_number(sd.hi) + "; got " + value.dump() + ")");
    }
    if (std::abs(c(0, 1) - c(1, 0)) > 1e-9 * (1 + std::abs(c(0, 1))) || c(0, 0) <= 0 ||
        c(1, 1) <= 0 || c(0, 0) * c(1, 1) - c(0, 1) * c(1, 0) <= 1e-12) {
        throw UserError(what + " must be symmetric positive definite (got " + value.dump() + ")");
    }
    return c;
}

kl::Gaussian gaussian_of(const Json& value, int dim, const NumberKey& mean, const NumberKey& sd,
                         const std::string& what,
                         std::vector<std::string> allowed = {"mean", "std", "cov"}) {
    require_known_keys(value, allowed, what);
    if (value.is_object() && value.contains("std") && value.contains("cov")) {
        throw UserError(what + " must give either \"std\" or \"cov\", not both");
    }
    if (!value.is_object() || !value.contains("mean") ||
        !(value.contains("std") || value.contains("cov"))) {
        throw UserError(what + " must be {\"mean\": [..], \"std\": [..]} (or \"cov\" in 2-D)");
    }
    const kl::Vec m = vector_of(value["mean"], dim, mean, what + ".mean");
    if (value.contains("cov")) {
        if (dim != 2) throw UserError(what + ".cov is for dim 2; use \"std\" in 1-D");
        return kl::Gaussian::from_cov(m, covariance_of(value["cov"], sd, what + ".cov"));
    }
    return kl::Gaussian::from_std(m, vector_of(value["std"], dim, sd, what + ".std"));
}

// Replaces every non-finite number inside `j` by null.
void null_non_finite(Json& j) {
    if (j.is_number_float()) j = finite_or_null(j.get<double>());
    if (j.is_structured()) {
        for (Json& item : j) null_non_finite(item);
    }
}

}  // namespace

Json kl_fit_json(const kl::Fit& f, double kl_pq, double kl_qp) {
    Json j = kl_gaussian_json(f.q);
    null_non_finite(j);
    j["kl_pq"] = finite_or_null(kl_pq);
    j["kl_qp"] = finite_or_null(kl_qp);
    // The fit's own objective at its end (KL(p‖q), KL(q‖p), JS or D_α): the table shows both
    // KLs, the path is coloured by this.
    j["objective_value"] = finite_or_null(f.values.empty() ? NAN : f.values.back());
    j["iterations"] = f.iterations;
    j["converged"] = f.converged;
    j["diverged"] = f.diverged;
    if (f.diverged) j["divergence"] = f.divergence;  // why: kl::Fit::diverged
    return j;
}

Json kl_restart_json(const kl::Fit& f) {
    Json path = Json::array();
    for (size_t k : kl_path_indices(f.path.size(), kKlDrawnPathPoints)) {
        path.push_back({finite_or_null(f.path[k][0]), finite_or_null(f.path[k][1])});
    }
    Json j = kl_gaussian_json(f.q);
    null_non_finite(j);
    j["value"] = finite_or_null(f.values.empty() ? NAN : f.values.back());
    j["iterations"] = f.iterations;
    j["converged"] = f.converged;
    j["diverged"] = f.diverged;
    j["path"] = path;
    return j;
}

std::vector<size_t> kl_path_indices(size_t length, size_t most) {
    std::vector<size_t> out;
    const size_t stride = std::max<size_t>(1, length / std::max<size_t>(1, most));
    for (size_t k = 0; k < length; k += stride) out.push_back(k);
    if (length > 0 && (length - 1) % stride != 0) out.push_back(length - 1);
    return out;
}

kl::Objective kl_family_objective(const std::string& family) {
    return family == "js" ? kl::Objective::JS : kl::Objective::Alpha;
}

Json kl_gaussian_json(const kl::Gaussian& q) {
    const kl::Mat cov = q.cov();
    if (q.dim() == 1) return Json{{"mean", vector_json(q.mean)}, {"std", {std::sqrt(cov(0, 0))}}};
    return Json{{"mean", vector_json(q.mean)},
                {"cov", {{cov(0, 0), cov(0, 1)}, {cov(1, 0), cov(1, 1)}}}};
}

Json KlModel::defaults() const {
    // The exam's case (seed 004 §4.3): two well-separated modes.
    using namespace kl_keys;
    const auto mode = [](double mean) {
        return Json{{"weight", target_weight.def}, {"mean", {mean}}, {"std", {target_std.def}}};
    };
    return Json{{"dim", dim.def},
                {"target", Json::array({mode(-3.0), mode(3.0)})},
                {"q_init", Json{{"mean", {q_mean.def}}, {"std", {q_std.def}}}},
                {"optimizer", "adam"},
                {"lr", lr.def},
                {"iterations", iterations.def},
                {"tolerance", tolerance.def},
                {"family", "none"},
                {"alpha", alpha.def},
                {"mc_samples", mc_samples.def},
                {"iterations_per_frame", iterations_per_frame.def},
                {"shade", "none"},
                {"q_family", "full"}};
}

KlParams kl_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    KlParams p;
    p.dim = static_cast<int>(f.integer(kl_keys::dim));
    const Json& target = f.at("target");
    if (!target.is_array() || target.empty() || target.size() > kKlMaxComponents) {
        f.fail("target", "a list of 1 to " + std::to_string(kKlMaxComponents) +
                             " components {\"weight\", \"mean\", \"std\" or \"cov\"}");
    }
    for (size_t k = 0; k < target.size(); ++k) {
        const std::string what = f.name("target") + "[" + std::to_string(k) + "]";
        const Json& c = target[k];
        const NumberKey& w = kl_keys::target_weight;
        if (!c.is_object() || !c.contains("weight") || !c["weight"].is_number() ||
            !(c["weight"].get<double>() >= w.lo) || !(c["weight"].get<double>() <= w.hi)) {
            throw UserError(what + " must be {\"weight\": w in [" + format_number(w.lo) + ", " +
                            format_number(w.hi) + "], \"mean\": [..], \"std\": [..]}" +
                            (c.is_object() && c.contains("weight")
                                 ? " (got weight " + c["weight"].dump() + ")"
                                 : std::string()));
        }
        const kl::Gaussian g = gaussian_of(c, p.dim, kl_keys::target_mean, kl_keys::target_std,
                                           what, {"weight", "mean", "std", "cov"});
        p.target.push_back({c["weight"].get<double>(), g.mean, g.cov()});
    }
    p.q_init =
        gaussian_of(f.at("q_init"), p.dim, kl_keys::q_mean, kl_keys::q_std, f.name("q_init"));
    p.options.optimizer =
        f.word("optimizer", {"adam", "gd"}) == "gd" ? kl::Optimizer::GD : kl::Optimizer::Adam;
    p.options.lr = f.number(kl_keys::lr);
    p.options.iterations = static_cast<int>(f.integer(kl_keys::iterations));
    p.options.tolerance = f.number(kl_keys::tolerance);
    p.family = f.word("family", {"none", "js", "alpha"});
    p.options.alpha = f.number(kl_keys::alpha);
    p.mc_samples = static_cast<int>(f.integer(kl_keys::mc_samples));
    p.iterations_per_frame = static_cast<int>(f.integer(kl_keys::iterations_per_frame));
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
    kl_check_work(p);
    return p;
}

double kl_work_units(const KlParams& p) {
    const double per_node = (static_cast<double>(p.target.size()) + 1) * p.dim * p.dim;
    const double nodes = p.dim == 1 ? 2048 : 96 * 96;  // kl::Quadrature's default grids
    const double coarse =
        p.dim == 1 ? kKlCoarseNodes1D : kKlCoarseNodesPerAxis2D * kKlCoarseNodesPerAxis2D;
    const double fits = p.family == "none" ? 2 : 3;
    const double iterations = p.options.iterations;
    const double restart_iterations = std::min<double>(iterations, kKlRestartIterations);
    return iterations * fits * nodes * per_node +
           2 * kKlRestarts * restart_iterations * coarse * per_node;
}

void kl_check_work(const KlParams& p) {
    const double units = kl_work_units(p);
    if (units <= kKlWorkBudget) return;
    throw UserError("kl: fitting this state to its end is " + format_g(units, 3) +
                    " units of work (iterations × fits × quadrature nodes × (components + 1) × "
                    "dim²), over the budget of " +
                    format_g(kKlWorkBudget, 3) +
                    " that keeps a report within about two seconds; lower kl.iterations, use "
                    "fewer kl.target components, kl.dim 1, or kl.family none");
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

std::unique_ptr<Scene> KlModel::make_scene() const { return std::make_unique<KlScene>(); }

Json KlModel::key_specs() const {
    using namespace kl_keys;
    Json list = Json::array();
    Json dimension = key_json(dim);
    dimension["values"] = Json::array({1, 2});
    list.push_back(dimension);
    for (const IntKey* k : {&iterations, &mc_samples, &iterations_per_frame})
        list.push_back(key_json(*k));
    for (const NumberKey* k :
         {&lr, &tolerance, &alpha, &target_weight, &target_mean, &target_std, &q_mean, &q_std})
        list.push_back(key_json(*k));
    return list;
}

}  // namespace genlab
