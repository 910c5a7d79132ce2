// FlowMap1d: flow.map1d's keys and validation, and the derived curves, intervals, pushforward,
// mass, report and CSV.
//
// [SECTION] Keys
// [SECTION] Derived data
// [SECTION] Report and CSV
#include "flow_map1d.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "errors.hpp"
#include "fields.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Keys
//-----------------------------------------------------------------------------

constexpr const char* kPrefix = "flow.map1d.";
constexpr double kLimit = 100;  // every parameter within ±100 (the view spans at most ±100 too)

std::string key_name(const std::string& k) { return kPrefix + k; }

double number_at(const Json& v, const std::string& key, double lo, double hi, bool lo_open) {
    const bool ok = v.is_number() && std::isfinite(v.get<double>()) &&
                    (lo_open ? v.get<double>() > lo : v.get<double>() >= lo) &&
                    v.get<double>() <= hi;
    if (!ok)
        throw UserError(key_name(key) + " must be a number in " + (lo_open ? "(" : "[") +
                        Json(lo).dump() + ", " + Json(hi).dump() + "] (got " + v.dump() + ")");
    return v.get<double>();
}

std::vector<double> list_at(const Json& v, const std::string& key) {
    if (!v.is_array() || v.empty() || v.size() > 16)
        throw UserError(key_name(key) + " must be a list of 1 to 16 numbers (got " + v.dump() +
                        ")");
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i)
        out.push_back(number_at(v[i], key + "[" + std::to_string(i) + "]", -kLimit, kLimit, false));
    return out;
}

Json map_params_json(const flow1d::Map& m) {
    switch (m.type) {
        case flow1d::Type::Relu:
            return {{"a", m.relu_a}, {"b", m.relu_b}, {"c", m.relu_c}};
        case flow1d::Type::Sigmoidal:
            return {{"a", m.sig_a}, {"b", m.sig_b}, {"w", m.sig_w}};
        case flow1d::Type::Residual:
            return {{"s", m.res_s}, {"w", m.res_w}, {"c", m.res_c}};
        case flow1d::Type::Radial:
            return {{"t0", m.rad_t0}, {"alpha", m.rad_alpha}, {"beta", m.rad_beta}};
    }
    return Json::object();
}

flow1d::Type type_of(const std::string& name) {
    if (name == "relu") return flow1d::Type::Relu;
    if (name == "sigmoidal") return flow1d::Type::Sigmoidal;
    if (name == "residual") return flow1d::Type::Residual;
    if (name == "radial") return flow1d::Type::Radial;
    throw UserError(key_name("type") + " must be one of: " + join(map1d_type_names(), ", ") +
                    " (got \"" + name + "\")");
}

// The Q5 defaults: ReLU with c = 0 (the atom of mass 1/2), the simplex mixture of the stack's
// sigmoidal preset, a non-invertible residual (s·w = −2) and an invertible radial.
flow1d::Map default_map(flow1d::Type t) {
    switch (t) {
        case flow1d::Type::Relu:
            return flow1d::Map::relu(1, 1, 0);
        case flow1d::Type::Sigmoidal:
            return flow1d::Map::sigmoidal({1.5, 2}, {-2, 2}, {0.4, 0.6});
        case flow1d::Type::Residual:
            return flow1d::Map::residual(-2, 1, 0.5);
        case flow1d::Type::Radial:
            return flow1d::Map::radial(0.5, 1, -0.6);
    }
    return {};
}

Json interval_list(const std::vector<flow1d::Interval>& v) {
    Json out = Json::array();
    for (const flow1d::Interval& i : v)
        out.push_back(Json::array({number_or_inf(i.lo), number_or_inf(i.hi)}));
    return out;
}

}  // namespace

const std::vector<std::string>& map1d_type_names() {
    static const std::vector<std::string> names = {"relu", "sigmoidal", "residual", "radial"};
    return names;
}

Json map1d_default_params(const std::string& type) {
    return map_params_json(default_map(type_of(type)));
}

Json map1d_defaults() { return map1d_params_to_json(Map1dParams{}); }

Map1dParams map1d_params_from_json(const Json& v) {
    if (!v.is_object())
        throw UserError(
            "flow.map1d must be an object {\"type\": ..., its parameters, \"base\", "
            "\"view\"} (got " +
            v.dump() + ")");
    Map1dParams p;
    if (v.contains("type") && !v["type"].is_string())
        throw UserError(key_name("type") + " must be one of: " + join(map1d_type_names(), ", "));
    const std::string type = v.contains("type") ? v["type"].get<std::string>() : "residual";
    p.map = default_map(type_of(type));
    std::vector<std::string> allowed = {"type", "base", "view"};
    const Json params = map_params_json(p.map);
    for (auto it = params.begin(); it != params.end(); ++it) allowed.push_back(it.key());
    require_known_keys(v, allowed, "flow.map1d (type " + type + ")");
    flow1d::Map& m = p.map;
    const auto num = [&](const char* k, double& out, bool positive = false) {
        if (v.contains(k)) out = number_at(v[k], k, positive ? 0 : -kLimit, kLimit, positive);
    };
    switch (m.type) {
        case flow1d::Type::Relu:
            num("a", m.relu_a), num("b", m.relu_b), num("c", m.relu_c);
            break;
        case flow1d::Type::Sigmoidal:
            if (v.contains("a")) m.sig_a = list_at(v["a"], "a");
            if (v.contains("b")) m.sig_b = list_at(v["b"], "b");
            if (v.contains("w")) m.sig_w = list_at(v["w"], "w");
            if (m.sig_a.size() != m.sig_b.size() || m.sig_a.size() != m.sig_w.size())
                throw UserError(
                    "flow.map1d.a, flow.map1d.b and flow.map1d.w must have the same "
                    "size (one entry per sigmoid)");
            break;
        case flow1d::Type::Residual:
            num("s", m.res_s), num("w", m.res_w), num("c", m.res_c);
            break;
        case flow1d::Type::Radial:
            num("t0", m.rad_t0), num("alpha", m.rad_alpha, true), num("beta", m.rad_beta);
            break;
    }
    if (v.contains("base")) {
        const Json& b = v["base"];
        if (!b.is_object())
            throw UserError(key_name("base") + " must be {\"mean\": μ, \"std\": σ}");
        require_known_keys(b, {"mean", "std"}, key_name("base"));
        if (b.contains("mean"))
            p.base.mean = number_at(b["mean"], "base.mean", -kLimit, kLimit, false);
        if (b.contains("std")) p.base.std = number_at(b["std"], "base.std", 1e-3, kLimit, false);
    }
    if (v.contains("view")) {
        const Json& w = v["view"];
        if (!w.is_object())
            throw UserError(key_name("view") + " must be {\"center\": c, \"extent\": e}");
        require_known_keys(w, {"center", "extent"}, key_name("view"));
        if (w.contains("center"))
            p.view_center = number_at(w["center"], "view.center", -kLimit, kLimit, false);
        if (w.contains("extent"))
            p.view_extent = number_at(w["extent"], "view.extent", 0.01, kLimit, false);
    }
    return p;
}

Json map1d_params_to_json(const Map1dParams& p) {
    Json out = map_params_json(p.map);
    out["type"] = flow1d::to_string(p.map.type);
    out["base"] = {{"mean", p.base.mean}, {"std", p.base.std}};
    out["view"] = {{"center", p.view_center}, {"extent", p.view_extent}};
    return out;
}

void map1d_validate(const Map1dParams& p) {
    (void)map1d_params_from_json(map1d_params_to_json(p));  // one set of checks and messages
}

//-----------------------------------------------------------------------------
// [SECTION] Derived data
//-----------------------------------------------------------------------------

void FlowMap1d::set(const Map1dParams& p) {
    map1d_validate(p);
    p_ = p;
    // Cheap (closed forms, or a 4096-cell scan for sigmoidal): computed now. The quadrature
    // and the curves wait for their first use.
    mono_ = flow1d::monotonicity(p_.map, p_.base);
    pf_ = flow1d::pushforward(p_.map, p_.base, &mono_);
    mass_dirty_ = curves_dirty_ = true;
    ++recomputes_;
}

const flow1d::Mass& FlowMap1d::mass() {
    if (mass_dirty_) {
        mass_ = flow1d::mass(pf_, p_.map, p_.base);
        mass_dirty_ = false;
    }
    return mass_;
}

const FlowMap1d::Curves& FlowMap1d::curves() {
    if (!curves_dirty_) return curves_;
    Curves c;
    const double lo = p_.view_center - p_.view_extent, hi = p_.view_center + p_.view_extent;
    double peak = 0;
    for (int i = 0; i < kCurvePoints; ++i) {
        const double t = lo + (hi - lo) * i / (kCurvePoints - 1);
        c.t.push_back(t);
        c.g.push_back(flow1d::g(p_.map, t));
        c.dg.push_back(flow1d::dg(p_.map, t));
        c.base.push_back(flow1d::base_density(p_.base, t));
        c.pushed.push_back(flow1d::density(pf_, p_.map, p_.base, t));
        for (double v : {c.base.back(), c.pushed.back()})
            if (std::isfinite(v)) peak = std::max(peak, v);
    }
    c.peak = peak > 0 ? peak : 1;
    curves_ = std::move(c);
    curves_dirty_ = false;
    return curves_;
}

std::string FlowMap1d::verdict() const {
    if (!mono_.invertible) return "not invertible";
    return mono_.increasing ? "invertible: strictly increasing" : "invertible: strictly decreasing";
}

//-----------------------------------------------------------------------------
// [SECTION] Report and CSV
//-----------------------------------------------------------------------------

Json FlowMap1d::report() {
    const Curves& c = curves();
    Json samples = {{"t", Json::array()}, {"g", Json::array()}, {"dg", Json::array()}};
    const int step = (kCurvePoints - 1) / (kReportPoints - 1);
    for (int i = 0; i < kCurvePoints; i += step) {
        samples["t"].push_back(c.t[i]);
        samples["g"].push_back(finite_or_null(c.g[i]));
        samples["dg"].push_back(finite_or_null(c.dg[i]));
    }
    Json atoms = Json::array();
    for (const flow1d::Atom& a : pf_.atoms) atoms.push_back({{"y", a.y}, {"mass", a.mass}});
    const flow1d::Mass& m = mass();
    return {{"type", flow1d::to_string(p_.map.type)},
            {"params", map1d_params_to_json(p_)},
            {"verdict", verdict()},
            {"invertible", mono_.invertible},
            {"reason", mono_.reason},
            {"decreasing", interval_list(mono_.decreasing)},
            {"flat", interval_list(mono_.flat)},
            {"undefined", interval_list(mono_.undefined)},
            {"atoms", atoms},
            {"pieces", static_cast<int>(pf_.pieces.size())},
            {"mass",
             {{"density", m.density},
              {"density_error", m.error},
              {"atoms", m.atoms},
              {"undefined", pf_.undefined_mass},
              {"total", m.density + m.atoms},
              {"expected_density", m.exact},
              {"evaluations", m.evaluations}}},
            {"samples", samples}};
}

std::string FlowMap1d::csv() {
    const Curves& c = curves();
    std::ostringstream out;
    out.precision(12);
    out << "t,g,dg,base_density,pushed_density\n";
    for (size_t i = 0; i < c.t.size(); ++i) {
        out << c.t[i] << ',';
        if (std::isfinite(c.g[i])) out << c.g[i];
        out << ',';
        if (std::isfinite(c.dg[i])) out << c.dg[i];
        out << ',' << c.base[i] << ',';
        if (std::isfinite(c.pushed[i])) out << c.pushed[i];
        out << '\n';
    }
    return out.str();
}

}  // namespace genlab
