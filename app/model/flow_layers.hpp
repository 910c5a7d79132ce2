// Flow layer descriptors: one per layer type (planar, radial, affine, sigmoidal, residual,
// relu, coupling), the only place a type's name, JSON keys (with ranges and defaults), default
// layer, JSON read/write and editor hints are written. The model validates with it, the view builds
// its editor from it, and its tests check the README against it. Adding a layer type touches
// core/{include/genlab/flow.hpp, src/flow.cpp} (the math), one entry in flow_layers.cpp, and
// tests/app/test_scene_flow.cpp.
//
// Usage:
//   const FlowLayerType& t = flow_layer_type("radial");        // throws UserError if unknown
//   flow::Layer l = t.make_default();
//   flow::Layer m = flow_layer_from_json(json, 0);   // errors name "flow.layers[0].alpha"
//   Json j = flow_layer_to_json(m);
//   for (const LayerKey& k : flow_layer_type(m.type).keys) ...   // the editor's widgets
#pragma once

#include <string>
#include <vector>

#include "genlab/flow.hpp"
#include "panel_model.hpp"

namespace genlab {

enum class LayerKeyKind { Number, Flag, Vec2, Mat2, List };

// The widget that edits a key (the view maps each to ImGui).
enum class LayerWidget {
    Drag2,       // a Vec2 as two drags
    Slider,      // a Number as a slider over the editor span
    Checkbox,    // a Flag
    LowerDrag3,  // a lower-triangular Mat2 as its three entries L11 L21 L22
    Drag4,       // a Mat2 as four drags, row-major
    ListRows,    // the type's List keys together, one row of drags per index
};

struct LayerKey {
    const char* name;  // the JSON key users write: "alpha"
    LayerKeyKind kind;
    // Validation on load and --set: every number of the value lies in [lo, hi] ((lo, hi] when
    // lo_open). Lists hold 1 to kFlowMaxList numbers.
    double lo, hi;
    bool lo_open;
    // The value in flow::Layer: the member matching `kind` (the others are null).
    double flow::Layer::*number;
    bool flow::Layer::*flag;
    flow::Vec2 flow::Layer::*vec2;
    flow::Mat2 flow::Layer::*mat2;
    std::vector<double> flow::Layer::*list;
    // Editor hints: widget, label, and the span edits clamp to. The span is narrower than the
    // validation range on purpose: a slider over ±1e6 could not be used, while files and
    // --set may hold far values (the fault tests load β = 1e6).
    LayerWidget widget;
    const char* label;
    double edit_lo, edit_hi;
    bool test_id;  // the widget is marked "flow.param.<k>.<name>" in test mode
    // Hover text for the widget, with the layer's numbers (nullptr: none).
    std::string (*tooltip)(const flow::Layer&);

    bool in_range(double v) const;
    std::string range_text() const;  // "within ±1000000.0" or "in (0, 1000000.0]"
};

// A canvas handle that drags a Vec2 key; tone 0 draws it as a direction (w), 1 as a point.
struct LayerHandle {
    const char* key;
    int tone;
};

struct FlowLayerType {
    flow::Type type;
    const char* name;            // "planar"
    std::vector<LayerKey> keys;  // in editor order
    flow::Layer (*make_default)();
    std::vector<LayerHandle> handles;
    // The editor's formula line, with the layer's numbers where it quotes any.
    std::string (*formula)(const flow::Layer&);
    // Lists of this type must all have the same size (sigmoidal a, b, w).
    bool lists_same_size;
    // The editor's name of one index of the lists: "σ" (sigmoidal components), "h" (coupling
    // hidden units), numbered from 1.
    const char* row_label = "σ";

    const LayerKey* key(const std::string& name) const;  // nullptr when not a key of the type
    std::vector<std::string> json_keys() const;          // "type" first, then the keys
};

constexpr int kFlowMaxList = 16;

// Every type, in the editor's "add a layer" order.
const std::vector<FlowLayerType>& flow_layer_types();
const FlowLayerType& flow_layer_type(flow::Type type);
// Throws UserError naming the allowed types.
const FlowLayerType& flow_layer_type(const std::string& name);
std::vector<std::string> flow_layer_type_names();

// A layer of `type` with its defaults ("planar", "radial", ...); throws UserError if unknown.
flow::Layer flow_default_layer(const std::string& type);
// Reads and validates a layer object; keys left out keep the type's defaults. Errors name the
// key as users write it: "flow.layers[<index>].<key>".
flow::Layer flow_layer_from_json(const Json& obj, int index);
Json flow_layer_to_json(const flow::Layer& layer);
// Checks every key of `layer` against its descriptor (range, list sizes) and the core's
// flow::validate; throws UserError naming "flow.layers[<index>].<key>".
void flow_validate_layer(const flow::Layer& layer, int index);

}  // namespace genlab
