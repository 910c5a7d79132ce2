// Flow-warping panel model: its JSON keys, their validation, its report and CSV.
//
// Keys under "flow":
//   base ({"mean": [x, y], "std": [sx, sy]});
//   layers (applied in order from the base; at most 32), each one of
//     {"type": "planar", "w": [..], "u": [..], "b": .., "enforce": false}
//     {"type": "radial", "z0": [..], "alpha": .., "beta": ..}
//     {"type": "affine", "mu": [..], "L": [[a, 0], [b, c]]}
//     {"type": "sigmoidal", "a": [..], "b": [..], "w": [..]}
//     {"type": "residual", "W": [[..], [..]], "c": [..], "s": ..}
//     {"type": "relu", "a": .., "b": .., "c": ..};
//   view ({"center": [x, y], "extent": e}: the square [x − e, x + e] × [y − e, y + e]);
//   probe ([x, y]); target (a Gaussian mixture [{"weight", "mean", "std"}], may be empty);
//   upto (-1 or 0..K: show the density after the first `upto` layers; -1 = all);
//   show (a list of: density, grid, logdet, samples); samples (0..20000);
//   resolution (16..256: the density grid's cells per side).
#pragma once

#include "genlab/flow.hpp"
#include "panel_model.hpp"

namespace genlab {

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

    bool showing(const std::string& what) const;
    int layers_shown() const {  // upto, resolved
        const int k = static_cast<int>(stack.layers.size());
        return upto < 0 || upto > k ? k : upto;
    }
};

constexpr int kFlowMaxLayers = 32;

FlowParams flow_params_from_json(const Json& state);
Json flow_params_to_json(const FlowParams& params);
Json flow_layer_to_json(const flow::Layer& layer);
// A layer of `type` with its defaults ("planar", "radial", ...); throws UserError if unknown.
flow::Layer flow_default_layer(const std::string& type);

struct FlowModel : PanelModel {
    std::string id() const override { return "flow"; }
    std::string title() const override { return "Flow warping"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    Json report(const Json& state) const override;
    std::string csv(const Json& state) const override;
};

}  // namespace genlab
