// GAN-dynamics panel model: its JSON keys, their validation, its report and CSV.
//
// Keys under "gan":
//   system (dirac | bilinear), loss (saturating | non-saturating),
//   method (flow | simultaneous | alternating), n_critic (1..100), lr (1e-4..10),
//   gamma (0..10), start ([ψ0, ψ1, θ] or [d, g]), steps (1..100000),
//   plane (theta-psi0 | theta-psi1 | psi1-psi0: the phase plane of the 3-D system),
//   extra_starts (more trajectories, each a start like `start`; at most 200).
#pragma once

#include "genlab/gan.hpp"
#include "panel_model.hpp"

namespace genlab {

struct GanParams {
    gan::Params sim;
    gan::State start;
    int steps = 400;
    std::string plane = "theta-psi0";
    std::vector<gan::State> extra_starts;
};

constexpr int kGanMaxSteps = 100000;
constexpr int kGanMaxExtraStarts = 200;

// `state` must be normalized (GanModel::normalize).
GanParams gan_params_from_json(const Json& state);
Json gan_params_to_json(const GanParams& params);
Json complex_list_json(const std::vector<gan::Complex>& values);  // [[re, im], ...]

struct GanModel : PanelModel {
    std::string id() const override { return "gan"; }
    std::string title() const override { return "GAN dynamics"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    Json report(const Json& state) const override;
    std::string csv(const Json& state) const override;
};

}  // namespace genlab
