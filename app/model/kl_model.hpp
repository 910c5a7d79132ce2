// KL-direction panel model: its JSON keys, their validation, its report and CSV.
//
// Keys under "kl":
//   dim (1 | 2);
//   target ([{"weight": w, "mean": [..], "std": [..]}], or "cov": [[..]] for a full 2-D
//     covariance; 1 to 8 components);
//   q_init ({"mean": [..], "std": [..]});
//   optimizer (adam | gd), lr (1e-5..10), iterations (0..100000), tolerance (0..1);
//   family (none | js | alpha) and alpha (0.01..0.99): a third fit between the two directions;
//   mc_samples (1..100000): the Monte Carlo estimate's sample count;
//   iterations_per_frame (1..5000): how fast the GUI re-fits;
//   shade (none | forward | reverse): the KL integrand drawn under the 1-D curves;
//   q_family (full | diagonal): in 2-D, q with a full or an axis-aligned (mean-field)
//     covariance, as in PRML Figure 10.3.
#pragma once

#include "genlab/kl.hpp"
#include "panel_model.hpp"

namespace genlab {

struct KlParams {
    int dim = 1;
    kl::Mixture target;
    kl::Gaussian q_init;
    kl::FitOptions options;
    std::string family = "none";
    int mc_samples = 64;
    int iterations_per_frame = 200;
    std::string shade = "none";
};

constexpr int kKlMaxComponents = 8;

// `state` must be normalized (KlModel::normalize).
KlParams kl_params_from_json(const Json& state);
Json kl_params_to_json(const KlParams& params);
Json kl_gaussian_json(const kl::Gaussian& q);  // {"mean", "std"} (1-D) or {"mean", "cov"}

// The family fit's objective for `family` ("js" or "alpha").
kl::Objective kl_family_objective(const std::string& family);

struct KlModel : PanelModel {
    std::string id() const override { return "kl"; }
    std::string title() const override { return "KL direction"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    Json report(const Json& state) const override;
    std::string csv(const Json& state) const override;
};

}  // namespace genlab
