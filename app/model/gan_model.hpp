// GAN-dynamics panel model: its JSON keys (one spec each, gan_keys), their validation, and its
// scene (scene_gan.hpp), which computes what the view draws and the report holds.
//
// Keys under "gan":
//   system (dirac | bilinear), loss (saturating | non-saturating),
//   method (flow | simultaneous | alternating), n_critic, lr, gamma, steps (ranges: gan_keys),
//   start ([ψ0, ψ1, θ] or [d, g]; each component within ±gan_keys::kStartLimit),
//   plane (theta-psi0 | theta-psi1 | psi1-psi0: the phase plane of the 3-D system),
//   extra_starts (more trajectories, each a start like `start`; at most
//   gan_keys::kMaxExtraStarts),
//   sweep (gamma | lr | n_critic: the parameter the sweep plot varies),
//   manual (Step D / Step G presses from the start, a string of 'D' and 'G', at most
//   gan_keys::kMaxManualSteps; replayed with the current parameters),
//   grid, grid_system, lr_d, lr_g, beta, sigma, lambda, g0, clip, gamma_c (the method grid:
//   gan_grid.hpp).
#pragma once

#include "gan_grid.hpp"
#include "genlab/gan.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

// The app's one range per numeric key: validation on load, `--set` errors, the widgets and
// the README read these. The core's gan::validate() checks looser preconditions of its own
// (γ ≤ 100, n_critic ≤ 100, 0 < lr ≤ 10): it guards the library's API, these guard the app.
namespace gan_keys {
inline constexpr IntKey n_critic{"gan", "n_critic", 1, 100, 1};
inline constexpr NumberKey lr{"gan", "lr", 1e-4, 10, 0.1, Scale::Log};
inline constexpr NumberKey gamma{"gan", "gamma", 0, 10, 0.3};
inline constexpr IntKey steps{"gan", "steps", 1, 100000, 400, Scale::Log};
// Not a single number: each component of `start` and of every extra start.
inline constexpr double kStartLimit = 1e6;
inline constexpr int kMaxExtraStarts = 200;
inline constexpr int kMaxManualSteps = 2000;
// The sweep plot's parameters, and the n_critic sweep's top.
inline const std::vector<std::string> kSweepKeys = {"gamma", "lr", "n_critic"};
inline constexpr int kSweepNCriticMax = 30;
}  // namespace gan_keys

struct GanParams {
    gan::Params sim;
    gan::State start;
    int steps = 400;
    std::string plane = "theta-psi0";
    std::vector<gan::State> extra_starts;
    std::string manual;           // 'D' / 'G' per Step D / Step G press
    std::string sweep = "gamma";  // the swept parameter: gamma | lr | n_critic
    GanGridParams grid;           // the method grid (gan_grid.hpp): grid, grid_system, lr_d, ...
};

// The work a state asks for, checked when it is set (issue 20: every accepted state draws its
// first frame within 2 s). Units: the steps of one run (× n_critic when alternating) for the
// main path and the γ = 0 reference, plus 1/16 of that per extra start (they are integrated
// together, vectorized). Measured here: 1e5 steps × n_critic 100 took 2 s alone and 24 s with
// 200 extra starts, so the budget of 6e6 is about 1.2 s.
inline constexpr double kGanWorkBudget = 6e6;
double gan_work_units(const GanParams& p);
// Throws UserError naming the keys to lower when gan_work_units(p) > kGanWorkBudget.
void gan_check_work(const GanParams& p);

// `state` must be normalized (GanModel::normalize).
GanParams gan_params_from_json(const Json& state);
Json gan_params_to_json(const GanParams& params);
// A start of either system as a start of `system`, mapped by role: the critic's ψ0 ↔ d and
// the generator's θ ↔ g (ψ1 is 0), so switching the system keeps the picture comparable.
gan::State gan_start_for(const gan::State& start, gan::System system);
// Checks a Step D / Step G sequence: only 'D' and 'G', at most kMaxManualSteps.
void gan_check_manual(const std::string& manual);
// Checks one start's components (finite, within ±kStartLimit); `what` names it in the error.
void gan_check_start(const gan::State& start, gan::System system, const std::string& what);

struct GanModel : PanelModel {
    std::string id() const override { return "gan"; }
    std::string title() const override { return "GAN dynamics"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

}  // namespace genlab
