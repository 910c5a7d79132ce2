// KL-direction panel model: its JSON keys (ranges in kl_keys), their validation, and its
// scene (scene_kl.hpp), which makes the report and CSV.
//
// Keys under "kl":
//   dim (1 | 2);
//   target ([{"weight": w, "mean": [..], "std": [..]}], or "cov": [[..]] for a full 2-D
//     covariance; 1 to 8 components);
//   q_init ({"mean": [..], "std": [..]});
//   optimizer (adam | gd), lr, iterations, tolerance;
//   family (none | js | alpha) and alpha: a third fit between the two directions;
//   mc_samples: the Monte Carlo estimate's sample count;
//   iterations_per_frame: how fast the GUI re-fits;
//   shade (none | forward | reverse): the KL integrand drawn under the 1-D curves;
//   q_family (full | diagonal): in 2-D, q with a full or an axis-aligned (mean-field)
//     covariance, as in PRML Figure 10.2.
#pragma once

#include "genlab/kl.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

// Every numeric key's range and default: validation, widgets, `--keys` and the README.
namespace kl_keys {
inline constexpr IntKey dim{"kl", "dim", 1, 2, 1};
inline constexpr NumberKey lr{"kl", "lr", 1e-5, 10, 0.05, Scale::Log};
inline constexpr IntKey iterations{"kl", "iterations", 0, 100000, 2000, Scale::Log};
inline constexpr NumberKey tolerance{"kl", "tolerance", 0, 1, 1e-5};
inline constexpr NumberKey alpha{"kl", "alpha", 0.01, 0.99, 0.5};
inline constexpr IntKey mc_samples{"kl", "mc_samples", 1, 100000, 64, Scale::Log};
inline constexpr IntKey iterations_per_frame{"kl",      "iterations_per_frame", 1, 5000, 200,
                                             Scale::Log};
// The entries of p's components and of q's start (each coordinate of "mean" and "std"). A
// "cov" has variances in [std.lo², std.hi²].
inline constexpr NumberKey target_weight{"kl", "target[].weight", 0.001, 1000, 0.5};
inline constexpr NumberKey target_mean{"kl", "target[].mean", -1e4, 1e4, 0};
inline constexpr NumberKey target_std{"kl", "target[].std", 0.001, 1e4, 0.8};
inline constexpr NumberKey q_mean{"kl", "q_init.mean", -1e4, 1e4, 0.7};
inline constexpr NumberKey q_std{"kl", "q_init.std", 0.001, 1e4, 1};
}  // namespace kl_keys

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
// A restart's path is drawn (and reported) with at most about this many points.
constexpr std::size_t kKlDrawnPathPoints = 300;
// The landscapes' restarts: how many, their iteration cap, and the coarse quadrature they and
// the landscape grids use (nodes in 1-D, per axis in 2-D). KlScene and kl_work_units read them.
constexpr int kKlRestarts = 7;
constexpr int kKlRestartIterations = 1500;
constexpr int kKlCoarseNodes1D = 256, kKlCoarseNodesPerAxis2D = 24;

// The work a state asks of `--report` and `--screenshot`, which run every fit to its end (the
// GUI fits live within a per-frame budget). Units: iterations × fits × quadrature nodes
// (1-D 2048, 2-D 96²) × (components + 1) × dim², plus the restarts of both landscapes
// (7 each, at most 1500 iterations, on the coarse grid: 256 or 24²). Measured here: 2-D,
// 8 components, 1e5 iterations, three fits were 1e11 units and 108 s (~1.1 ns a unit), so
// the budget of 1.5e9 is about 1.6 s.
inline constexpr double kKlWorkBudget = 1.5e9;
double kl_work_units(const KlParams& p);
// Throws UserError naming the keys to lower when kl_work_units(p) > kKlWorkBudget.
void kl_check_work(const KlParams& p);

// `state` must be normalized (KlModel::normalize).
KlParams kl_params_from_json(const Json& state);
Json kl_params_to_json(const KlParams& params);
Json kl_gaussian_json(const kl::Gaussian& q);  // {"mean", "std"} (1-D) or {"mean", "cov"}
// A fit as reports hold it: q, kl_pq, kl_qp, iterations, converged, diverged.
Json kl_fit_json(const kl::Fit& f, double kl_pq, double kl_qp);

// A restart as the landscape shows it and the report holds it: where it ended (q), its
// objective there ("value"), iterations, converged, diverged, and "path": its θ0, θ1 (μ and
// log σ in 1-D, μ1 and μ2 in 2-D) at kl_path_indices(…, kKlDrawnPathPoints), as drawn.
Json kl_restart_json(const kl::Fit& f);
// The path points drawn of a path of `length`: at most about `most`, evenly strided, and
// always the last.
std::vector<size_t> kl_path_indices(size_t length, size_t most);

// The family fit's objective for `family` ("js" or "alpha").
kl::Objective kl_family_objective(const std::string& family);

struct KlModel : PanelModel {
    std::string id() const override { return "kl"; }
    std::string title() const override { return "KL direction"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

}  // namespace genlab
