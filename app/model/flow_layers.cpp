// The seven layer descriptors, and the JSON read/write and validation built from them.
//
// [SECTION] Key builders
// [SECTION] The descriptors
// [SECTION] JSON and validation
#include "flow_layers.hpp"

#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "fields.hpp"
#include "format.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Key builders
//-----------------------------------------------------------------------------

using flow::Layer;
constexpr double kLimit = 1e6;  // any layer number: finite and within ±1e6

LayerKey base_key(const char* name, LayerKeyKind kind, LayerWidget widget, const char* label,
                  double edit_lo, double edit_hi) {
    LayerKey k{};
    k.name = name;
    k.kind = kind;
    k.lo = -kLimit;
    k.hi = kLimit;
    k.widget = widget;
    k.label = label;
    k.edit_lo = edit_lo;
    k.edit_hi = edit_hi;
    return k;
}

LayerKey number(const char* name, double Layer::*m, const char* label, double edit_lo,
                double edit_hi, bool test_id = false) {
    LayerKey k = base_key(name, LayerKeyKind::Number, LayerWidget::Slider, label, edit_lo, edit_hi);
    k.number = m;
    k.test_id = test_id;
    return k;
}

LayerKey vec2(const char* name, flow::Vec2 Layer::*m, const char* label) {
    LayerKey k = base_key(name, LayerKeyKind::Vec2, LayerWidget::Drag2, label, -5, 5);
    k.vec2 = m;
    return k;
}

LayerKey mat2(const char* name, flow::Mat2 Layer::*m, LayerWidget widget, const char* label) {
    LayerKey k = base_key(name, LayerKeyKind::Mat2, widget, label, -5, 5);
    k.mat2 = m;
    return k;
}

LayerKey list(const char* name, std::vector<double> Layer::*m, const char* label) {
    LayerKey k = base_key(name, LayerKeyKind::List, LayerWidget::ListRows, label, -10, 10);
    k.list = m;
    return k;
}

LayerKey flag(const char* name, bool Layer::*m, const char* label,
              std::string (*tooltip)(const Layer&)) {
    LayerKey k = base_key(name, LayerKeyKind::Flag, LayerWidget::Checkbox, label, 0, 1);
    k.flag = m;
    k.test_id = true;
    k.tooltip = tooltip;
    return k;
}

std::string planar_enforce_tooltip(const Layer& l) {
    return "û = u + (m(wᵀu) − wᵀu)·w/‖w‖²,  m(x) = −1 + log(1 + eˣ)\n"
           "guarantees wᵀû ≥ −1; now wᵀu = " +
           format_g(l.w.dot(l.u)) + ", wᵀû = " + format_g(l.w.dot(flow::planar_u(l)));
}

std::string coupling_keep_tooltip(const Layer& l) {
    return std::string("kept coordinate: ") + (l.keep_z2 ? "z2" : "z1") +
           " (y = z there); the other is scaled and shifted by a network of it.\n"
           "Alternate keep_z2 across a stack so both coordinates are transformed.";
}

//-----------------------------------------------------------------------------
// [SECTION] The descriptors
//-----------------------------------------------------------------------------

std::vector<FlowLayerType> make_types() {
    std::vector<FlowLayerType> types;

    FlowLayerType planar{};
    planar.type = flow::Type::Planar;
    planar.name = "planar";
    planar.keys = {
        vec2("w", &Layer::w, "w"), vec2("u", &Layer::u, "u"),
        number("b", &Layer::b, "b", -3, 3, true),
        flag("enforce", &Layer::enforce, "enforce invertibility", planar_enforce_tooltip)};
    planar.make_default = [] { return Layer::planar({1, 0.5}, {1.5, 0}, 0); };
    planar.handles = {{"w", 0}, {"u", 1}};
    planar.formula = [](const Layer& l) {
        return "f(z) = z + û·tanh(wᵀz + b);  wᵀû = " + format_g(l.w.dot(flow::planar_u(l)));
    };
    types.push_back(planar);

    FlowLayerType radial{};
    radial.type = flow::Type::Radial;
    radial.name = "radial";
    LayerKey alpha = number("alpha", &Layer::alpha, "α", 0.01, 5);
    alpha.lo = 0;
    alpha.lo_open = true;  // r/(α + r) needs α > 0
    radial.keys = {vec2("z0", &Layer::z0, "z0"), alpha,
                   number("beta", &Layer::beta, "β", -5, 5, true)};
    radial.make_default = [] { return Layer::radial({0.5, 0.5}, 1, 1.5); };
    radial.handles = {{"z0", 1}};
    radial.formula = [](const Layer&) {
        return std::string("f(z) = z + β/(α + r)·(z − z0);  needs β ≥ −α");
    };
    types.push_back(radial);

    FlowLayerType affine{};
    affine.type = flow::Type::Affine;
    affine.name = "affine";
    affine.keys = {vec2("mu", &Layer::mu, "μ"),
                   mat2("L", &Layer::L, LayerWidget::LowerDrag3, "L11 L21 L22")};
    affine.make_default = [] {
        return Layer::affine({0, 0}, (flow::Mat2() << 1, 0, 0.5, 1).finished());
    };
    affine.formula = [](const Layer&) {
        return std::string("f(z) = μ + Lz;  log|det| = Σ log|L_ii| (O(K) for triangular L)");
    };
    types.push_back(affine);

    FlowLayerType sigmoidal{};
    sigmoidal.type = flow::Type::Sigmoidal;
    sigmoidal.name = "sigmoidal";
    sigmoidal.keys = {list("a", &Layer::sig_a, "a b w"), list("b", &Layer::sig_b, "a b w"),
                      list("w", &Layer::sig_w, "a b w")};
    sigmoidal.make_default = [] { return Layer::sigmoidal({1.5, 1.5}, {-2, 2}, {0.5, 0.5}); };
    sigmoidal.formula = [](const Layer&) {
        return std::string("g(t) = σ⁻¹(h(t)), h(t) = Σ w_i σ(a_i t + b_i)");
    };
    sigmoidal.lists_same_size = true;
    types.push_back(sigmoidal);

    FlowLayerType residual{};
    residual.type = flow::Type::Residual;
    residual.name = "residual";
    residual.keys = {mat2("W", &Layer::W, LayerWidget::Drag4, "W"), vec2("c", &Layer::c, "c"),
                     number("s", &Layer::s, "s", -3, 3)};
    residual.make_default = [] {
        return Layer::residual((flow::Mat2() << 0.8, 0.3, -0.3, 0.8).finished(), {0, 0}, 0.9);
    };
    residual.formula = [](const Layer&) { return std::string("f(z) = z + s·tanh(Wz + c)"); };
    types.push_back(residual);

    FlowLayerType relu{};
    relu.type = flow::Type::Relu;
    relu.name = "relu";
    relu.keys = {number("a", &Layer::relu_a, "a", -3, 3), number("b", &Layer::relu_b, "b", -3, 3),
                 number("c", &Layer::relu_c, "c", -3, 3)};
    relu.make_default = [] { return Layer::relu(1, 1, 0); };
    relu.formula = [](const Layer&) {
        return std::string("a·max(0, b·t + c): folds a half-plane onto a line");
    };
    types.push_back(relu);

    // RealNVP affine coupling: a 1→H→2 tanh network of the kept coordinate scales and shifts
    // the other. a, c: the hidden units' input weights and biases; vs, vt: their weights into s
    // and t; bs, bt: the output biases; scale bounds |s|. H = the lists' length.
    FlowLayerType coupling{};
    coupling.type = flow::Type::Coupling;
    coupling.name = "coupling";
    LayerKey scale = number("scale", &Layer::cp_scale, "scale (|s| ≤ scale)", 0, 5);
    scale.lo = 0;  // flow::validate's range: exp(±20) keeps densities finite
    scale.hi = 20;
    coupling.keys = {flag("keep_z2", &Layer::keep_z2, "keep z2 (else z1)", coupling_keep_tooltip),
                     list("a", &Layer::cp_a, "a c vs vt"),
                     list("c", &Layer::cp_c, "a c vs vt"),
                     list("vs", &Layer::cp_vs, "a c vs vt"),
                     list("vt", &Layer::cp_vt, "a c vs vt"),
                     number("bs", &Layer::cp_bs, "bs", -3, 3),
                     number("bt", &Layer::cp_bt, "bt", -3, 3),
                     scale};
    coupling.make_default = [] {
        return Layer::coupling(false, {1.5, -1, 0.8, 2}, {0, 0.5, -0.5, 1}, {0.6, -0.4, 0.3, 0},
                               {0.8, 0.5, -0.7, 0.3}, 0, 0, 2);
    };
    coupling.formula = [](const Layer& l) {
        const std::string k = l.keep_z2 ? "z2" : "z1", o = l.keep_z2 ? "z1" : "z2";
        return "y_" + o + " = " + o + "·exp(s(" + k + ")) + t(" + k +
               "), s = " + format_g(l.cp_scale) + "·tanh(vs·h + bs), t = vt·h + bt, h = tanh(a·" +
               k + " + c);  log|det| = s";
    };
    coupling.lists_same_size = true;
    coupling.row_label = "h";
    types.push_back(coupling);

    return types;
}

//-----------------------------------------------------------------------------
// [SECTION] JSON and validation
//-----------------------------------------------------------------------------

std::string field(int index, const std::string& key) {
    return "flow.layers[" + std::to_string(index) + "]" + (key.empty() ? "" : "." + key);
}

double number_of(const Json& v, const LayerKey& k, const std::string& what) {
    if (!v.is_number() || !k.in_range(v.get<double>()))
        throw UserError(what + " must be a finite number " + k.range_text() + " (got " + v.dump() +
                        ")");
    return v.get<double>();
}

flow::Vec2 vec2_of(const Json& v, const LayerKey& k, const std::string& what) {
    if (!v.is_array() || v.size() != 2)
        throw UserError(what + " must be [x, y] (got " + v.dump() + ")");
    return {number_of(v[0], k, what + "[0]"), number_of(v[1], k, what + "[1]")};
}

flow::Mat2 mat2_of(const Json& v, const LayerKey& k, const std::string& what) {
    if (!v.is_array() || v.size() != 2)
        throw UserError(what + " must be [[a, b], [c, d]] (got " + v.dump() + ")");
    flow::Mat2 m;
    for (int i = 0; i < 2; ++i) {
        const flow::Vec2 row = vec2_of(v[i], k, what + "[" + std::to_string(i) + "]");
        m(i, 0) = row[0];
        m(i, 1) = row[1];
    }
    return m;
}

std::vector<double> list_of(const Json& v, const LayerKey& k, const std::string& what) {
    if (!v.is_array() || v.empty() || v.size() > kFlowMaxList) {
        throw UserError(what + " must be a list of 1 to " + std::to_string(kFlowMaxList) +
                        " numbers (got " + v.dump() + ")");
    }
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i)
        out.push_back(number_of(v[i], k, what + "[" + std::to_string(i) + "]"));
    return out;
}

void read_key(const LayerKey& k, const Json& v, const std::string& what, Layer& l) {
    switch (k.kind) {
        case LayerKeyKind::Number:
            l.*k.number = number_of(v, k, what);
            return;
        case LayerKeyKind::Flag:
            if (!v.is_boolean()) throw UserError(what + " must be true or false");
            l.*k.flag = v.get<bool>();
            return;
        case LayerKeyKind::Vec2:
            l.*k.vec2 = vec2_of(v, k, what);
            return;
        case LayerKeyKind::Mat2:
            l.*k.mat2 = mat2_of(v, k, what);
            return;
        case LayerKeyKind::List:
            l.*k.list = list_of(v, k, what);
            return;
    }
}

Json vec_json(const flow::Vec2& v) { return Json::array({v[0], v[1]}); }

Json key_value_json(const LayerKey& k, const Layer& l) {
    switch (k.kind) {
        case LayerKeyKind::Number:
            return l.*k.number;
        case LayerKeyKind::Flag:
            return l.*k.flag;
        case LayerKeyKind::Vec2:
            return vec_json(l.*k.vec2);
        case LayerKeyKind::Mat2: {
            const flow::Mat2& m = l.*k.mat2;
            return Json::array({vec_json(m.row(0)), vec_json(m.row(1))});
        }
        case LayerKeyKind::List:
            return l.*k.list;
    }
    return nullptr;
}

// Every number a key holds, with its JSON path suffix ("", "[1]", "[0][1]").
template <typename F>
void each_number(const LayerKey& k, const Layer& l, F f) {
    switch (k.kind) {
        case LayerKeyKind::Number:
            f(l.*k.number, "");
            return;
        case LayerKeyKind::Flag:
            return;
        case LayerKeyKind::Vec2:
            for (int i = 0; i < 2; ++i) f((l.*k.vec2)[i], "[" + std::to_string(i) + "]");
            return;
        case LayerKeyKind::Mat2:
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j)
                    f((l.*k.mat2)(i, j), "[" + std::to_string(i) + "][" + std::to_string(j) + "]");
            return;
        case LayerKeyKind::List: {
            const std::vector<double>& v = l.*k.list;
            for (size_t i = 0; i < v.size(); ++i) f(v[i], "[" + std::to_string(i) + "]");
            return;
        }
    }
}

}  // namespace

bool LayerKey::in_range(double v) const {
    return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
}

std::string LayerKey::range_text() const {
    if (lo == -hi && !lo_open) return "within ±" + Json(hi).dump();
    return std::string("in ") + (lo_open ? "(" : "[") + Json(lo).dump() + ", " + Json(hi).dump() +
           "]";
}

const LayerKey* FlowLayerType::key(const std::string& name) const {
    for (const LayerKey& k : keys)
        if (name == k.name) return &k;
    return nullptr;
}

std::vector<std::string> FlowLayerType::json_keys() const {
    std::vector<std::string> out = {"type"};
    for (const LayerKey& k : keys) out.push_back(k.name);
    return out;
}

const std::vector<FlowLayerType>& flow_layer_types() {
    static const std::vector<FlowLayerType> types = make_types();
    return types;
}

std::vector<std::string> flow_layer_type_names() {
    std::vector<std::string> out;
    for (const FlowLayerType& t : flow_layer_types()) out.push_back(t.name);
    return out;
}

const FlowLayerType& flow_layer_type(flow::Type type) {
    for (const FlowLayerType& t : flow_layer_types())
        if (t.type == type) return t;
    throw UserError(std::string("flow layer type '") + flow::to_string(type) +
                    "' has no descriptor in flow_layers.cpp");
}

const FlowLayerType& flow_layer_type(const std::string& name) {
    for (const FlowLayerType& t : flow_layer_types())
        if (name == t.name) return t;
    throw UserError("unknown layer type '" + name + "' (allowed: " + join(flow_layer_type_names()) +
                    ")");
}

flow::Layer flow_default_layer(const std::string& type) {
    return flow_layer_type(type).make_default();
}

void flow_validate_layer(const flow::Layer& l, int index) {
    const FlowLayerType& t = flow_layer_type(l.type);
    std::vector<size_t> sizes;
    for (const LayerKey& k : t.keys) {
        if (k.kind == LayerKeyKind::List) {
            const size_t n = (l.*k.list).size();
            if (n < 1 || n > static_cast<size_t>(kFlowMaxList))
                throw UserError(field(index, k.name) + " must be a list of 1 to " +
                                std::to_string(kFlowMaxList) + " numbers (got " +
                                std::to_string(n) + ")");
            sizes.push_back(n);
        }
        each_number(k, l, [&](double v, const std::string& suffix) {
            if (!k.in_range(v))
                throw UserError(field(index, k.name) + suffix + " must be a finite number " +
                                k.range_text() + " (got " + format_number(v) + ")");
        });
    }
    if (t.lists_same_size &&
        std::adjacent_find(sizes.begin(), sizes.end(), std::not_equal_to<>()) != sizes.end()) {
        std::vector<std::string> names, got;
        for (const LayerKey& k : t.keys) {
            if (k.kind != LayerKeyKind::List) continue;
            names.push_back(k.name);
            got.push_back(std::to_string((l.*k.list).size()));
        }
        const std::string last = names.back();
        names.pop_back();
        const std::string listed = names.empty() ? last : join(names, ", ") + " and " + last;
        throw UserError(field(index, "") + ": " + listed + " must have the same size (got " +
                        join(got, ", ") + ")");
    }
    try {
        flow::validate(l, index);
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
}

flow::Layer flow_layer_from_json(const Json& obj, int index) {
    const std::string what = field(index, "");
    const std::vector<std::string> names = flow_layer_type_names();
    if (!obj.is_object() || !obj.contains("type") || !obj["type"].is_string()) {
        throw UserError(what + " must be an object with \"type\": one of " + join(names));
    }
    const std::string name = obj["type"].get<std::string>();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        throw UserError(what + ".type must be one of " + join(names) + " (got \"" + name + "\")");
    }
    const FlowLayerType& t = flow_layer_type(name);
    flow::Layer l = t.make_default();
    for (const LayerKey& k : t.keys)
        if (obj.contains(k.name)) read_key(k, obj[k.name], field(index, k.name), l);
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (it.key() != "type" && !t.key(it.key())) {
            throw UserError(what + ": unknown key '" + it.key() + "' for a " + name +
                            " layer (allowed: " + join(t.json_keys(), ", ") + ")");
        }
    }
    flow_validate_layer(l, index);
    return l;
}

Json flow_layer_to_json(const flow::Layer& l) {
    const FlowLayerType& t = flow_layer_type(l.type);
    Json j{{"type", t.name}};
    for (const LayerKey& k : t.keys) j[k.name] = key_value_json(k, l);
    return j;
}

}  // namespace genlab
