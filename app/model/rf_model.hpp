// Receptive-field panel model: its JSON keys and their validation. The report and CSV come
// from the scene (scene_rf.hpp).
//
// Keys under "receptive_field":
//   size (1..128), kernel (1|3|5|7|9), order (top-down|bottom-up),
//   masks (input first; "A" | "B" | "none" | a k×k 0/1 matrix), pixel ([row, col], 1-based),
//   view (field | layers | compare: which picture the panel shows; GUI only),
//   architecture (plain | gated | causal1d: rf::Architecture; the depth is masks' length for
//   all three, and gated / causal1d ignore the masks' cells),
//   dilations (one per layer, 1..256, for plain and causal1d: normalize pads a short list
//   with 1s and drops entries past the last layer, so `--set masks=...` keeps working),
//   taps (causal1d's kernel length, 1..9; WaveNet uses 2).
// causal1d is a sequence of `size` steps: the step is pixel's column; its row is kept for
// switching back to 2-D, but not used.
#pragma once

#include "genlab/receptive_field.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

// The app's limits, below the core's (rf::kMaxSize, rf::kMaxLayers): a 128×128 map still
// draws its grid lines and takes clicks at ~5 px a cell, and 16 layers fit the layer list.
constexpr int kRfMaxSize = 128;
constexpr int kRfMaxLayers = 16;

// The numeric keys, stated once: validation, the widgets and `genlab --keys` read them.
namespace rf_keys {
inline constexpr IntKey size{"receptive_field", "size", 1, kRfMaxSize, 5};
// Only the odd values in the range: 1, 3, 5, 7, 9 (a choice; the widget is a combo box).
inline constexpr IntKey kernel{"receptive_field", "kernel", 1, rf::kMaxKernel, 3};
// Each of [row, col], 1-based; the upper bound is the current size, not hi.
inline constexpr IntKey pixel{"receptive_field", "pixel", 1, kRfMaxSize, 3};
// Each layer's; a list of these, one per layer.
inline constexpr IntKey dilation{"receptive_field", "dilations", 1, rf::kMaxDilation, 1};
inline constexpr IntKey taps{"receptive_field", "taps", 1, rf::kMaxKernel, 2};
}  // namespace rf_keys

struct RfParams {
    rf::Stack stack;
    // Each layer's named kind (Custom for a drawn mask). Kept beside the matrices because at
    // k = 1 "B" and "none" are the same matrix, and a name must survive a kernel change.
    std::vector<rf::MaskKind> kinds;
    rf::Cell pixel;  // 0-based
    std::string view = "field";

    // The pixel the core analyses: causal1d's one-row map has row 0.
    rf::Cell core_pixel() const {
        return stack.architecture == rf::Architecture::Causal ? rf::Cell{0, pixel.col} : pixel;
    }

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
// "plain" | "gated" | "causal1d"; throws UserError naming receptive_field.architecture.
rf::Architecture rf_architecture_from(const std::string& word);
extern const std::vector<std::string> kRfArchitectures;

struct RfModel : PanelModel {
    std::string id() const override { return "receptive_field"; }
    std::string title() const override { return "Receptive fields"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

// The one RfModel (the scene's model()).
const RfModel& rf_model();

}  // namespace genlab
