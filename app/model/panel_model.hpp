// PanelModel: what a panel contributes to the shared state/CLI/report contract, without GL.
//
// Usage (one per panel, listed in panels.cpp):
//   struct RfModel : PanelModel {
//       std::string id() const override { return "receptive_field"; }
//       Json defaults() const override { ... }
//       Json normalize(const Json& state) const override { ... }  // throws UserError
//       std::unique_ptr<Scene> make_scene() const override;       // the panel's scene
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
    // (Transitional while issue 11 lands: nullptr for a panel not yet moved to a scene.)
    virtual std::unique_ptr<Scene> make_scene() const;
    // The numeric keys with their ranges and defaults (keys.hpp), as `genlab --keys` lists them.
    virtual Json keys() const { return Json::array(); }

    // The panel's computed results, the "<panel>" object of a report: a scene loaded with
    // normalize(state), then its report(). The GUI's view reads the same scene type.
    virtual Json report(const Json& state) const;
    // The panel's numbers as CSV (header line first), from the scene the same way.
    virtual std::string csv(const Json& state) const;
};

// Every panel, in selector order.
const std::vector<const PanelModel*>& all_panel_models();
const PanelModel* find_panel_model(const std::string& id);  // nullptr when unknown
std::string panel_ids_joined(const std::string& sep = " | ");

}  // namespace genlab
