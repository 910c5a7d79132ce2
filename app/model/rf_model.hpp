// Receptive-field panel model: its JSON keys, their validation, its report and CSV.
//
// Keys under "receptive_field":
//   size (1..64), kernel (1|3|5|7|9), order (top-down|bottom-up),
//   masks (input first; "A" | "B" | "none" | a k×k 0/1 matrix), pixel ([row, col], 1-based),
//   view (field | layers | compare: which picture the panel shows; GUI only).
#pragma once

#include "genlab/receptive_field.hpp"
#include "panel_model.hpp"

namespace genlab {

struct RfParams {
    rf::Stack stack;
    rf::Cell pixel;  // 0-based
    std::string view = "field";
};

// `state` must be normalized (RfModel::normalize).
RfParams rf_params_from_json(const Json& state);
Json rf_params_to_json(const RfParams& params);

Json rf_mask_to_json(const rf::Mask& mask, rf::Order order);  // a name when it is A/B/none
Json rf_cell_json(rf::Cell cell);                             // [row, col], 1-based

struct RfModel : PanelModel {
    std::string id() const override { return "receptive_field"; }
    std::string title() const override { return "Receptive fields"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    Json report(const Json& state) const override;
    std::string csv(const Json& state) const override;
};

}  // namespace genlab
