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

// The app's limits, below the core's (rf::kMaxSize, rf::kMaxLayers): a 128×128 map still
// draws its grid lines and takes clicks at ~5 px a cell, and 16 layers fit the layer list.
constexpr int kRfMaxSize = 128;
constexpr int kRfMaxLayers = 16;

struct RfParams {
    rf::Stack stack;
    // Each layer's named kind (Custom for a drawn mask). Kept beside the matrices because at
    // k = 1 "B" and "none" are the same matrix, and a name must survive a kernel change.
    std::vector<rf::MaskKind> kinds;
    rf::Cell pixel;  // 0-based
    std::string view = "field";

    // Sets layer l to a named kind, rebuilding its matrix for the current kernel and order.
    void set_kind(size_t layer, rf::MaskKind kind);
    // Rebuilds the named layers for a new kernel or order; drawn masks keep the cells that
    // still fit, centred.
    void rebuild_masks(int kernel, rf::Order order);
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
