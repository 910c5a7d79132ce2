#include "flow_model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "fields.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "flow";
const std::vector<std::string> kTypes = {"planar",    "radial",   "affine",
                                         "sigmoidal", "residual", "relu"};
const std::vector<std::string> kShows = {"density", "grid", "logdet", "samples"};

double number_of(const Json& v, const std::string& what, double limit = 1e6) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || std::abs(v.get<double>()) > limit) {
        throw UserError(what + " must be a finite number within ±" + Json(limit).dump() + " (got " +
                        v.dump() + ")");
    }
    return v.get<double>();
}

flow::Vec2 vec2_of(const Json& v, const std::string& what) {
    if (!v.is_array() || v.size() != 2)
        throw UserError(what + " must be [x, y] (got " + v.dump() + ")");
    return {number_of(v[0], what + "[0]"), number_of(v[1], what + "[1]")};
}

flow::Mat2 mat2_of(const Json& v, const std::string& what) {
    if (!v.is_array() || v.size() != 2)
        throw UserError(what + " must be [[a, b], [c, d]] (got " + v.dump() + ")");
    flow::Mat2 m;
    for (int i = 0; i < 2; ++i) {
        const flow::Vec2 row = vec2_of(v[i], what + "[" + std::to_string(i) + "]");
        m(i, 0) = row[0];
        m(i, 1) = row[1];
    }
    return m;
}

std::vector<double> list_of(const Json& v, const std::string& what) {
    if (!v.is_array() || v.empty() || v.size() > 16) {
        throw UserError(what + " must be a list of 1 to 16 numbers (got " + v.dump() + ")");
    }
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i)
        out.push_back(number_of(v[i], what + "[" + std::to_string(i) + "]"));
    return out;
}

// Reads `key` of a layer object if present (keys left out keep the type's defaults).
template <typename T, typename Read>
void read_key(const Json& obj, const char* key, const std::string& what, T& into, Read read) {
    if (obj.contains(key)) into = read(obj[key], what + "." + key);
}

flow::Layer layer_of(const Json& obj, const std::string& what) {
    if (!obj.is_object() || !obj.contains("type") || !obj["type"].is_string()) {
        throw UserError(what + " must be an object with \"type\": one of " + join(kTypes));
    }
    const std::string type = obj["type"].get<std::string>();
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
        throw UserError(what + ".type must be one of " + join(kTypes) + " (got \"" + type + "\")");
    }
    flow::Layer l = flow_default_layer(type);
    const auto num = [](const Json& v, const std::string& w) { return number_of(v, w); };
    std::vector<std::string> allowed = {"type"};
    switch (l.type) {
        case flow::Type::Planar:
            read_key(obj, "w", what, l.w, vec2_of);
            read_key(obj, "u", what, l.u, vec2_of);
            read_key(obj, "b", what, l.b, num);
            if (obj.contains("enforce")) {
                if (!obj["enforce"].is_boolean())
                    throw UserError(what + ".enforce must be true or false");
                l.enforce = obj["enforce"].get<bool>();
            }
            allowed.insert(allowed.end(), {"w", "u", "b", "enforce"});
            break;
        case flow::Type::Radial:
            read_key(obj, "z0", what, l.z0, vec2_of);
            read_key(obj, "alpha", what, l.alpha, num);
            read_key(obj, "beta", what, l.beta, num);
            allowed.insert(allowed.end(), {"z0", "alpha", "beta"});
            break;
        case flow::Type::Affine:
            read_key(obj, "mu", what, l.mu, vec2_of);
            read_key(obj, "L", what, l.L, mat2_of);
            allowed.insert(allowed.end(), {"mu", "L"});
            break;
        case flow::Type::Sigmoidal:
            read_key(obj, "a", what, l.sig_a, list_of);
            read_key(obj, "b", what, l.sig_b, list_of);
            read_key(obj, "w", what, l.sig_w, list_of);
            allowed.insert(allowed.end(), {"a", "b", "w"});
            break;
        case flow::Type::Residual:
            read_key(obj, "W", what, l.W, mat2_of);
            read_key(obj, "c", what, l.c, vec2_of);
            read_key(obj, "s", what, l.s, num);
            allowed.insert(allowed.end(), {"W", "c", "s"});
            break;
        case flow::Type::Relu:
            read_key(obj, "a", what, l.relu_a, num);
            read_key(obj, "b", what, l.relu_b, num);
            read_key(obj, "c", what, l.relu_c, num);
            allowed.insert(allowed.end(), {"a", "b", "c"});
            break;
    }
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
            throw UserError(what + ": unknown key '" + it.key() + "' for a " + type +
                            " layer (allowed: " + join(allowed, ", ") + ")");
        }
    }
    return l;
}

Json vec_json(const flow::Vec2& v) { return Json::array({v[0], v[1]}); }
Json mat_json(const flow::Mat2& m) { return Json::array({vec_json(m.row(0)), vec_json(m.row(1))}); }

kl::Mixture target_of(const Json& v, const std::string& what) {
    if (!v.is_array() || v.size() > 8)
        throw UserError(what + " must be a list of at most 8 components");
    kl::Mixture out;
    for (size_t k = 0; k < v.size(); ++k) {
        const std::string w = what + "[" + std::to_string(k) + "]";
        const Json& c = v[k];
        require_known_keys(c, {"weight", "mean", "std"}, w);
        if (!c.is_object() || !c.contains("weight") || !c.contains("mean") || !c.contains("std")) {
            throw UserError(w + " must be {\"weight\": w, \"mean\": [x, y], \"std\": [sx, sy]}");
        }
        const double weight = number_of(c["weight"], w + ".weight");
        const flow::Vec2 mean = vec2_of(c["mean"], w + ".mean");
        const flow::Vec2 sd = vec2_of(c["std"], w + ".std");
        if (!(weight > 0) || !(sd[0] > 1e-3) || !(sd[1] > 1e-3)) {
            throw UserError(w + " must have weight > 0 and std > 0.001");
        }
        kl::Component comp;
        comp.weight = weight;
        comp.mean = mean;
        comp.cov = Eigen::Vector2d(sd[0] * sd[0], sd[1] * sd[1]).asDiagonal();
        out.push_back(comp);
    }
    return out;
}

}  // namespace

bool FlowParams::showing(const std::string& what) const {
    return std::find(show.begin(), show.end(), what) != show.end();
}

flow::Layer flow_default_layer(const std::string& type) {
    if (type == "planar") return flow::Layer::planar({1, 0.5}, {1.5, 0}, 0);
    if (type == "radial") return flow::Layer::radial({0.5, 0.5}, 1, 1.5);
    if (type == "affine")
        return flow::Layer::affine({0, 0}, (flow::Mat2() << 1, 0, 0.5, 1).finished());
    if (type == "sigmoidal") return flow::Layer::sigmoidal({1.5, 1.5}, {-2, 2}, {0.5, 0.5});
    if (type == "residual")
        return flow::Layer::residual((flow::Mat2() << 0.8, 0.3, -0.3, 0.8).finished(), {0, 0}, 0.9);
    if (type == "relu") return flow::Layer::relu(1, 1, 0);
    throw UserError("unknown layer type '" + type + "' (allowed: " + join(kTypes) + ")");
}

Json flow_layer_to_json(const flow::Layer& l) {
    switch (l.type) {
        case flow::Type::Planar:
            return Json{{"type", "planar"},
                        {"w", vec_json(l.w)},
                        {"u", vec_json(l.u)},
                        {"b", l.b},
                        {"enforce", l.enforce}};
        case flow::Type::Radial:
            return Json{
                {"type", "radial"}, {"z0", vec_json(l.z0)}, {"alpha", l.alpha}, {"beta", l.beta}};
        case flow::Type::Affine:
            return Json{{"type", "affine"}, {"mu", vec_json(l.mu)}, {"L", mat_json(l.L)}};
        case flow::Type::Sigmoidal:
            return Json{{"type", "sigmoidal"}, {"a", l.sig_a}, {"b", l.sig_b}, {"w", l.sig_w}};
        case flow::Type::Residual:
            return Json{
                {"type", "residual"}, {"W", mat_json(l.W)}, {"c", vec_json(l.c)}, {"s", l.s}};
        case flow::Type::Relu:
            return Json{{"type", "relu"}, {"a", l.relu_a}, {"b", l.relu_b}, {"c", l.relu_c}};
    }
    return Json::object();
}

Json FlowModel::defaults() const {
    // Rezende & Mohamed's planar K = 2 picture: a Gaussian bent into a crescent.
    return Json{{"base", Json{{"mean", {0.0, 0.0}}, {"std", {1.0, 1.0}}}},
                {"layers", Json::array({Json{{"type", "planar"},
                                             {"w", {2.0, 0.0}},
                                             {"u", {1.5, 0.0}},
                                             {"b", 0.0},
                                             {"enforce", false}},
                                        Json{{"type", "planar"},
                                             {"w", {0.0, 2.0}},
                                             {"u", {0.8, 1.0}},
                                             {"b", 0.5},
                                             {"enforce", false}}})},
                {"view", Json{{"center", {0.0, 0.0}}, {"extent", 4.0}}},
                {"probe", {0.5, 0.5}},
                {"target", Json::array()},
                {"upto", -1},
                {"show", {"density", "grid"}},
                {"samples", 500},
                {"resolution", 96}};
}

FlowParams flow_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    FlowParams p;
    const Json& base = f.at("base");
    require_known_keys(base, {"mean", "std"}, f.name("base"));
    if (!base.is_object() || !base.contains("mean") || !base.contains("std")) {
        f.fail("base", "{\"mean\": [x, y], \"std\": [sx, sy]}");
    }
    p.stack.base_mean = vec2_of(base["mean"], f.name("base.mean"));
    p.stack.base_std = vec2_of(base["std"], f.name("base.std"));
    if (!(p.stack.base_std[0] > 1e-3) || !(p.stack.base_std[1] > 1e-3))
        f.fail("base", "a Gaussian with std > 0.001");
    const Json& layers = f.at("layers");
    if (!layers.is_array() || layers.size() > kFlowMaxLayers) {
        f.fail("layers", "a list of at most " + std::to_string(kFlowMaxLayers) + " layers");
    }
    for (size_t k = 0; k < layers.size(); ++k) {
        const std::string what = f.name("layers") + "[" + std::to_string(k) + "]";
        p.stack.layers.push_back(layer_of(layers[k], what));
        try {
            flow::validate(p.stack.layers.back(), static_cast<int>(k));
        } catch (const std::invalid_argument& e) {
            throw UserError(e.what());
        }
    }
    const Json& view = f.at("view");
    require_known_keys(view, {"center", "extent"}, f.name("view"));
    if (!view.is_object() || !view.contains("center") || !view.contains("extent")) {
        f.fail("view", "{\"center\": [x, y], \"extent\": e}");
    }
    p.view_center = vec2_of(view["center"], f.name("view.center"));
    p.view_extent = number_of(view["extent"], f.name("view.extent"));
    if (!(p.view_extent >= 0.01 && p.view_extent <= 1000))
        f.fail("view", "an extent in [0.01, 1000]");
    p.probe = vec2_of(f.at("probe"), f.name("probe"));
    p.target = target_of(f.at("target"), f.name("target"));
    p.upto = static_cast<int>(f.integer("upto", -1, kFlowMaxLayers));
    // "show=logdet" on the command line is a one-item list, not an error.
    const Json show = f.at("show").is_string() ? Json::array({f.at("show")}) : f.at("show");
    if (!show.is_array()) f.fail("show", "a list of: " + join(kShows, ", "));
    p.show.clear();
    for (const Json& s : show) {
        if (!s.is_string() ||
            std::find(kShows.begin(), kShows.end(), s.get<std::string>()) == kShows.end()) {
            f.fail("show", "a list of: " + join(kShows, ", "));
        }
        p.show.push_back(s.get<std::string>());
    }
    p.samples = static_cast<int>(f.integer("samples", 0, 20000));
    p.resolution = static_cast<int>(f.integer("resolution", 16, 256));
    return p;
}

Json flow_params_to_json(const FlowParams& p) {
    Json layers = Json::array();
    for (const flow::Layer& l : p.stack.layers) layers.push_back(flow_layer_to_json(l));
    Json target = Json::array();
    for (const kl::Component& c : p.target) {
        target.push_back({{"weight", c.weight},
                          {"mean", {c.mean[0], c.mean[1]}},
                          {"std", {std::sqrt(c.cov(0, 0)), std::sqrt(c.cov(1, 1))}}});
    }
    return Json{
        {"base", Json{{"mean", vec_json(p.stack.base_mean)}, {"std", vec_json(p.stack.base_std)}}},
        {"layers", layers},
        {"view", Json{{"center", vec_json(p.view_center)}, {"extent", p.view_extent}}},
        {"probe", vec_json(p.probe)},
        {"target", target},
        {"upto", p.upto},
        {"show", p.show},
        {"samples", p.samples},
        {"resolution", p.resolution}};
}

Json FlowModel::normalize(const Json& state) const {
    return flow_params_to_json(flow_params_from_json(state));
}

Json FlowModel::report(const Json& state) const {
    const FlowParams p = flow_params_from_json(state);
    const int upto = p.layers_shown();
    Json layers = Json::array();
    for (const flow::Layer& l : p.stack.layers) {
        const flow::Invertibility inv = flow::invertibility(l);
        layers.push_back({{"type", flow::to_string(l.type)},
                          {"invertible", inv.invertible},
                          {"reason", inv.reason}});
    }
    const auto finite_or_null = [](double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); };
    Json r{{"layers", layers},
           {"invertible", flow::invertible(p.stack, upto)},
           {"layers_shown", upto},
           {"mass", finite_or_null(flow::mass(p.stack, p.view_center, p.view_extent, 256, upto))},
           {"probe", vec_json(p.probe)}};
    const auto density = flow::log_density(p.stack, p.probe, upto);
    r["probe_inverse"] = density ? vec_json(density->base) : Json(nullptr);
    r["probe_log_density"] = density ? finite_or_null(density->log_density) : Json(nullptr);
    r["probe_log_det"] = density ? finite_or_null(density->log_det) : Json(nullptr);
    if (!p.target.empty()) {
        flow::Stack shown = p.stack;
        shown.layers.resize(upto);
        const flow::KlIdentity kl = flow::kl_identity(shown, p.target);
        r["kl_forward"] = finite_or_null(kl.kl_forward);
        r["kl_base"] = finite_or_null(kl.kl_base);
    }
    return r;
}

std::string FlowModel::csv(const Json& state) const {
    const FlowParams p = flow_params_from_json(state);
    const int n = p.resolution;
    const Eigen::MatrixXd grid =
        flow::density_grid(p.stack, p.view_center, p.view_extent, n, p.layers_shown());
    std::ostringstream out;
    out.precision(12);
    out << "x,y,log_density\n";
    const double cell = 2 * p.view_extent / n;
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
            out << p.view_center[0] - p.view_extent + (i + 0.5) * cell << ','
                << p.view_center[1] - p.view_extent + (j + 0.5) * cell << ',';
            if (std::isfinite(grid(i, j))) out << grid(i, j);
            out << '\n';
        }
    }
    return out.str();
}

}  // namespace genlab
