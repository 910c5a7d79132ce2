#include "flow_model.hpp"

#include <algorithm>
#include <cmath>

#include "fields.hpp"
#include "format.hpp"
#include "scene_flow.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "flow";
constexpr double kAnyNumber = 1e6;  // the mixture's numbers: finite and within ±1e6

// `v` as a finite number in the spec's range; `what` names it ("flow.base.std[1]").
double number_of(const Json& v, const NumberKey& k, const std::string& what) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < k.lo ||
        v.get<double>() > k.hi) {
        throw UserError(what + " must be a number in [" + Json(k.lo).dump() + ", " +
                        Json(k.hi).dump() + "] (got " + v.dump() + ")");
    }
    return v.get<double>();
}

double any_number(const Json& v, const std::string& what) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) ||
        std::abs(v.get<double>()) > kAnyNumber) {
        throw UserError(what + " must be a finite number within ±" + Json(kAnyNumber).dump() +
                        " (got " + v.dump() + ")");
    }
    return v.get<double>();
}

flow::Vec2 vec2_of(const Json& v, const NumberKey& k, const std::string& what) {
    if (!v.is_array() || v.size() != 2)
        throw UserError(what + " must be [x, y] (got " + v.dump() + ")");
    return {number_of(v[0], k, what + "[0]"), number_of(v[1], k, what + "[1]")};
}

flow::Vec2 any_vec2(const Json& v, const std::string& what) {
    if (!v.is_array() || v.size() != 2)
        throw UserError(what + " must be [x, y] (got " + v.dump() + ")");
    return {any_number(v[0], what + "[0]"), any_number(v[1], what + "[1]")};
}

Json vec_json(const flow::Vec2& v) { return Json::array({v[0], v[1]}); }

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
        const double weight = any_number(c["weight"], w + ".weight");
        const flow::Vec2 mean = any_vec2(c["mean"], w + ".mean");
        const flow::Vec2 sd = any_vec2(c["std"], w + ".std");
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

const std::vector<std::string>& flow_show_names() {
    // logscale: the density coloured by log p over six decades below its peak (a sharp density,
    // e.g. ten planar layers, is otherwise one bright ridge on a dark field).
    static const std::vector<std::string> names = {"density", "logscale", "grid", "logdet",
                                                   "samples"};
    return names;
}

const std::vector<std::string>& flow_modes() {
    static const std::vector<std::string> names = {"stack", "train", "map1d"};
    return names;
}

bool FlowParams::showing(const std::string& what) const {
    return std::find(show.begin(), show.end(), what) != show.end();
}

Json FlowModel::defaults() const {
    // Rezende & Mohamed's planar K = 2 picture: a Gaussian bent into a crescent.
    return Json{{"base", Json{{"mean", {flow_keys::base_mean.def, flow_keys::base_mean.def}},
                              {"std", {flow_keys::base_std.def, flow_keys::base_std.def}}}},
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
                {"view", Json{{"center", {0.0, 0.0}}, {"extent", flow_keys::view_extent.def}}},
                {"probe", {flow_keys::probe.def, flow_keys::probe.def}},
                {"target", Json::array()},
                {"upto", flow_keys::upto.def},
                {"show", {"density", "grid"}},
                {"samples", flow_keys::samples.def},
                {"resolution", flow_keys::resolution.def},
                {"mode", "stack"},
                {"train", flow_train_defaults()},
                {"map1d", map1d_defaults()}};
}

FlowParams flow_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    FlowParams p;
    const Json& base = f.at("base");
    require_known_keys(base, {"mean", "std"}, f.name("base"));
    if (!base.is_object() || !base.contains("mean") || !base.contains("std")) {
        f.fail("base", "{\"mean\": [x, y], \"std\": [sx, sy]}");
    }
    p.stack.base_mean = vec2_of(base["mean"], flow_keys::base_mean, f.name("base.mean"));
    p.stack.base_std = vec2_of(base["std"], flow_keys::base_std, f.name("base.std"));
    const Json& layers = f.at("layers");
    if (!layers.is_array() || layers.size() > kFlowMaxLayers) {
        f.fail("layers", "a list of at most " + std::to_string(kFlowMaxLayers) + " layers");
    }
    for (size_t k = 0; k < layers.size(); ++k)
        p.stack.layers.push_back(flow_layer_from_json(layers[k], static_cast<int>(k)));
    const Json& view = f.at("view");
    require_known_keys(view, {"center", "extent"}, f.name("view"));
    if (!view.is_object() || !view.contains("center") || !view.contains("extent")) {
        f.fail("view", "{\"center\": [x, y], \"extent\": e}");
    }
    p.view_center = any_vec2(view["center"], f.name("view.center"));
    p.view_extent = number_of(view["extent"], flow_keys::view_extent, f.name("view.extent"));
    p.probe = vec2_of(f.at("probe"), flow_keys::probe, f.name("probe"));
    p.target = target_of(f.at("target"), f.name("target"));
    p.upto = static_cast<int>(f.integer(flow_keys::upto));
    // "show=logdet" on the command line is a one-item list, not an error.
    const Json show = f.at("show").is_string() ? Json::array({f.at("show")}) : f.at("show");
    const std::vector<std::string>& names = flow_show_names();
    if (!show.is_array()) f.fail("show", "a list of: " + join(names, ", "));
    p.show.clear();
    for (const Json& s : show) {
        if (!s.is_string() ||
            std::find(names.begin(), names.end(), s.get<std::string>()) == names.end()) {
            f.fail("show", "a list of: " + join(names, ", "));
        }
        p.show.push_back(s.get<std::string>());
    }
    p.samples = static_cast<int>(f.integer(flow_keys::samples));
    p.resolution = static_cast<int>(f.integer(flow_keys::resolution));
    p.mode = f.word("mode", flow_modes());
    p.train = flow_train_from_json(f.at("train"));
    if (p.training()) flow_train_check(p.train, p.stack, p.target);
    p.map1d = map1d_params_from_json(f.at("map1d"));
    flow_check_work(p);
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
        {"resolution", p.resolution},
        {"mode", p.mode},
        {"train", flow_train_to_json(p.train)},
        {"map1d", map1d_params_to_json(p.map1d)}};
}

double flow_work_units(const FlowParams& p) {
    const double cells = static_cast<double>(p.resolution) * p.resolution + 256.0 * 256.0;
    // Training from random layers: K of a type that weighs 1.
    if (p.training() && p.train.init != "layers") return p.train.K * cells;
    double units = 0;
    for (const flow::Layer& l : p.stack.layers) {
        units +=
            (l.type == flow::Type::Sigmoidal ? static_cast<double>(l.sig_a.size()) + 4 : 1) * cells;
    }
    return units;
}

void flow_check_work(const FlowParams& p) {
    const double units = flow_work_units(p);
    if (units <= flow_keys::kFlowWorkBudget) return;
    throw UserError("flow: this stack asks for " + format_g(units, 3) +
                    " units of work (Σ over layers of a weight × (flow.resolution² + 256²); a "
                    "sigmoidal layer weighs its components + 4, any other 1), over the budget of " +
                    format_g(flow_keys::kFlowWorkBudget, 3) +
                    " that keeps a frame within about a second; lower flow.resolution, or use "
                    "fewer sigmoidal layers or fewer components in their a, b and w");
}

Json FlowModel::normalize(const Json& state) const {
    return flow_params_to_json(flow_params_from_json(state));
}

std::unique_ptr<Scene> FlowModel::make_scene() const { return std::make_unique<FlowScene>(); }

Json FlowModel::key_specs() const {
    // PanelModel::keys() reads each default from defaults(): base.mean, base.std and probe
    // are [x, y] with "each": true.
    Json out = Json::array({key_json(flow_keys::base_mean), key_json(flow_keys::base_std),
                            key_json(flow_keys::view_extent), key_json(flow_keys::probe),
                            key_json(flow_keys::upto), key_json(flow_keys::samples),
                            key_json(flow_keys::resolution)});
    for (const Json& k : flow_train_key_specs()) out.push_back(k);
    // The layers' numeric keys, from their descriptors (each number of a vector, matrix or
    // list obeys the range).
    for (const FlowLayerType& t : flow_layer_types()) {
        const Json def = flow_layer_to_json(t.make_default());
        for (const LayerKey& k : t.keys) {
            if (k.kind == LayerKeyKind::Flag) continue;
            out.push_back({{"key", std::string("flow.layers[].") + t.name + "." + k.name},
                           {"kind", "number"},
                           {"min", k.lo},
                           {"max", k.hi},
                           {"min_exclusive", k.lo_open},
                           {"default", def[k.name]},
                           {"scale", "linear"}});
            if (def[k.name].is_array()) out.back()["each"] = true;
        }
    }
    return out;
}

}  // namespace genlab
