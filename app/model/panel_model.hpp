// PanelModel: what a panel contributes to the shared state/CLI/report contract, without GL.
//
// Usage (one per panel, listed in panels.cpp):
//   struct RfModel : PanelModel {
//       std::string id() const override { return "receptive_field"; }
//       Json defaults() const override { ... }
//       Json normalize(const Json& state) const override { ... }  // throws UserError
//       std::unique_ptr<Scene> make_scene() const override;       // the panel's scene
//       Json key_specs() const override;  // [key_json(rf_keys::size), ...] (keys.hpp)
//   };
//   Json numbers = model.report(state);  // a scene loaded with `state`, its report()
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace genlab {

using Json = nlohmann::json;
class Scene;

struct PanelModel {
    virtual ~PanelModel() = default;
    virtual std::string id() const = 0;     // the state key: "receptive_field"
    virtual std::string title() const = 0;  // shown in the panel selector
    // Every key with its default value. The key set is the schema: unknown keys are errors.
    virtual Json defaults() const = 0;
    // Checks every key's type and range and returns the canonical form. Throws UserError
    // naming "<panel>.<key>" and the allowed values.
    virtual Json normalize(const Json& state) const = 0;
    // A scene with the defaults loaded: the panel's simulation, shared by the view and reports.
    virtual std::unique_ptr<Scene> make_scene() const = 0;
    // The numeric keys with their ranges (keys.hpp key_json, plus "values" or a "note").
    virtual Json key_specs() const = 0;

    // key_specs() with each default read from defaults(), the one source: a vector key such
    // as receptive_field.pixel gets its whole [row, col] default and "each": true. A list
    // item's key ("flow.layers[].planar.w") keeps the default its descriptor gave. This is
    // what `genlab --keys` lists.
    Json keys() const;

    // The panel's computed results, the "<panel>" object of a report: a scene loaded with
    // normalize(state), then its report(). The GUI's view reads the same scene type.
    Json report(const Json& state) const;
    // The panel's numbers as CSV (header line first), from the scene the same way.
    std::string csv(const Json& state) const;
};

// Every panel, in selector order.
const std::vector<const PanelModel*>& all_panel_models();
const PanelModel* find_panel_model(const std::string& id);  // nullptr when unknown
std::string panel_ids_joined(const std::string& sep = " | ");

}  // namespace genlab
