// Flow-warping panel model: its JSON keys and their validation. Reports and CSV come from the
// scene (scene_flow.hpp); layer types and their keys from the descriptors (flow_layers.hpp).
//
// Keys under "flow":
//   base ({"mean": [x, y], "std": [sx, sy]});
//   layers (applied in order from the base; at most 32), each {"type": <a descriptor's name>,
//     ...its keys} (flow_layers.cpp: planar, radial, affine, sigmoidal, residual, relu);
//   view ({"center": [x, y], "extent": e}: the square [x − e, x + e] × [y − e, y + e]);
//   probe ([x, y]); target (a Gaussian mixture [{"weight", "mean", "std"}], may be empty);
//   upto (-1 or 0..K: show the density after the first `upto` layers; -1 = all);
//   show (a list of: density, logscale (colour by log p), grid, logdet, samples);
//   samples (0..20000);
//   resolution (16..256: the density grid's cells per side);
//   mode ("stack": edit the layers by hand | "train": train a stack to a target | "map1d":
//   the 1-D map of seed 000 Q5);
//   train (flow_train_model.hpp: target, objective, initial stack, Adam's settings);
//   map1d (the 1-D map: flow_map1d.hpp).
#pragma once

#include "flow_layers.hpp"
#include "flow_map1d.hpp"
#include "flow_train_model.hpp"
#include "genlab/flow.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

constexpr int kFlowMaxLayers = 32;

// Every numeric key of the panel outside the layers (whose keys are in flow_layers.cpp).
// Vector keys (base.mean, base.std, probe) bound each component.
namespace flow_keys {
inline constexpr NumberKey base_mean{"flow", "base.mean", -1e6, 1e6, 0};
inline constexpr NumberKey base_std{"flow", "base.std", 1e-3, 1e6, 1};
inline constexpr NumberKey view_extent{"flow", "view.extent", 0.01, 1000, 4};
inline constexpr NumberKey probe{"flow", "probe", -1e6, 1e6, 0.5};
// The work a state asks for, checked when it is set (issue 20: every accepted state draws its
// first frame within 2 s). Only sigmoidal layers cost much: each inverse of one solves a
// monotone equation over its components, at every cell of the density grid and at every
// boundary point of the mass (at most flow::kMassEvaluations = 20000, still counted as the
// 256² of the midpoint grid it replaced: an over-count that keeps the measurements below
// valid). Units: Σ over layers of a weight (sigmoidal: components + 4; any other: 1) ×
// (resolution² + 256²). Measured here: 32 sigmoidal layers × 16 components at resolution 256
// were 8.4e7 units and 17 s; 2 of them with 30 planar layers 9.2e6 units and 1.8 s (~0.2 µs
// a unit), so the budget of 6e6 is about 1.2 s.
inline constexpr double kFlowWorkBudget = 6e6;
inline constexpr IntKey upto{"flow", "upto", -1, kFlowMaxLayers, -1};
inline constexpr IntKey samples{"flow", "samples", 0, 20000, 500, Scale::Log};
inline constexpr IntKey resolution{"flow", "resolution", 16, 256, 96};
}  // namespace flow_keys

// The names `show` may list, and the values of `mode`.
const std::vector<std::string>& flow_show_names();
const std::vector<std::string>& flow_modes();

struct FlowParams;
double flow_work_units(const FlowParams& p);
// Throws UserError naming the keys to lower when flow_work_units(p) > kFlowWorkBudget.
void flow_check_work(const FlowParams& p);

struct FlowParams {
    flow::Stack stack;
    Eigen::Vector2d view_center{0, 0};
    double view_extent = 4;
    Eigen::Vector2d probe{0.5, 0.5};
    kl::Mixture target;
    int upto = -1;
    std::vector<std::string> show = {"density", "grid"};
    int samples = 500;
    int resolution = 96;
    std::string mode = "stack";  // flow_modes()
    FlowTrainParams train;

    Map1dParams map1d;

    bool training() const { return mode == "train"; }

    bool showing(const std::string& what) const;
    int layers_shown() const {  // upto, resolved
        const int k = static_cast<int>(stack.layers.size());
        return upto < 0 || upto > k ? k : upto;
    }
};

FlowParams flow_params_from_json(const Json& state);
Json flow_params_to_json(const FlowParams& params);

struct FlowModel : PanelModel {
    std::string id() const override { return "flow"; }
    std::string title() const override { return "Flow warping"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

}  // namespace genlab
