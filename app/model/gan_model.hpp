// GAN-dynamics panel model: its JSON keys (one spec each, gan_keys), their validation, and its
// scene (scene_gan.hpp), which computes what the view draws and the report holds.
//
// Keys under "gan":
//   system (dirac = the seed's 3-D Dirac-GAN | dirac2 = Mescheder's 2-D one | bilinear),
//   loss (saturating | non-saturating: the objective unless the regularizer names wgan or
//   wgan_gp), method (any gan_methods::method_table() cli: flow, simultaneous, ttur,
//   alternating, extragradient, optimistic, heavy_ball, alt_momentum),
//   regularizer (gan_methods::parse_terms syntax, '+'-joined: wgan | wgan_gp, then noise, r1,
//   r2, consensus; default "r1", so a state without the key means what it meant before the key
//   existed: R1 with weight gan.gamma, none when γ = 0; "gan"/"nsgan" in it set gan.loss and
//   are stored there; terms the system has no use for are inactive, e.g. r1 on bilinear),
//   n_critic, lr, gamma, steps (ranges: gan_keys),
//   start ([ψ0, ψ1, θ] or [d, g]; each component within ±gan_keys::kStartLimit),
//   plane (theta-psi0 | theta-psi1 | psi1-psi0: the phase plane of the 3-D system),
//   extra_starts (more trajectories, each a start like `start`; at most
//   gan_keys::kMaxExtraStarts),
//   sweep (gamma | lr | n_critic: the parameter the sweep plot varies),
//   steps_per_second (Play's pace: 0 = the whole run in ~4 s, else steps per second),
//   manual (Step D / Step G presses from the start, a string of 'D' and 'G', at most
//   gan_keys::kMaxManualSteps; replayed with the current parameters),
//   lr_d, lr_g, beta, sigma, lambda, g0, clip, gamma_c: the methods' parameters (ranges from
//   gan_methods::key_table(), see grid_keys()), shared by the main run and the method grid,
//   grid, grid_system (the method grid: gan_grid.hpp).
#pragma once

#include <optional>

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
// Play's pace: 0 = the whole run in about 4 s at speed 1 (whatever gan.steps), else this many
// steps per second (× the toolbar's speed): 1 lets a student watch single steps.
inline constexpr NumberKey steps_per_second{"gan", "steps_per_second", 0, 1000, 0};
// Not a single number: each component of `start` and of every extra start.
inline constexpr double kStartLimit = 1e6;
inline constexpr int kMaxExtraStarts = 200;
inline constexpr int kMaxManualSteps = 2000;
// The sweep plot's parameters, and the n_critic sweep's top.
inline const std::vector<std::string> kSweepKeys = {"gamma", "lr",    "n_critic",
                                                    "beta",  "sigma", "lambda"};
inline constexpr int kSweepNCriticMax = 30;
}  // namespace gan_keys

struct GanParams {
    // The main run, as computed: system, method, the effective terms (the objective from
    // gan.loss or the regularizer's wgan/wgan_gp, then the penalties that apply to the
    // system) and every parameter (lr, gamma, n_critic from gan_keys, the rest from the grid
    // keys, shared with grid.base).
    gan_methods::Params run;
    std::string regularizer = "r1";  // the gan.regularizer key, canonical (no gan/nsgan)
    // The old keys in the old core's terms: loss, lr, gamma, n_critic; system = the layout of
    // `start` (dirac: 3-D; dirac2 and bilinear: 2-D); method = run.method where the old core
    // has it (else simultaneous). The whole of it is the main run only when gan_legacy(run).
    gan::Params sim;
    gan::State start;
    int steps = 400;
    double steps_per_second = 0;  // gan_keys::steps_per_second
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
// A run on gan_methods (a state the old core does not compute) integrates each start alone,
// with a heap vector per field evaluation: measured here, one step of one start costs about
// this many units (1e5 simultaneous steps of 16 extra starts: 2.0 s; × field evaluations per
// step: flow 4, extragradient 2; × 2 with instance noise; × n_critic when alternating).
inline constexpr double kGanMethodsStepCost = 6;
double gan_work_units(const GanParams& p);
// Throws UserError naming the keys to lower when gan_work_units(p) > kGanWorkBudget.
void gan_check_work(const GanParams& p);

// The old core's parameters for `p` when genlab/gan.hpp computes the same run (dirac3 with
// gan|nsgan [+ r1], bilinear bare; flow, simultaneous, alternating, or ttur with lr_d = lr_g =
// lr): the scene then uses its vectorized, bit-for-bit established path; anything else runs on
// gan_methods. The two agree to rounding where both apply (tests/app/test_scene_gan.cpp).
std::optional<gan::Params> gan_legacy(const gan_methods::Params& p);
// The main run's effective terms: the regularizer's (canonical) terms, the objective from
// `loss` unless it names wgan or wgan_gp, and only the terms `system` has (bilinear: consensus).
gan_methods::TermSet gan_main_terms(gan::Loss loss, const std::string& regularizer,
                                    gan_methods::System system);
// "dirac" (3-D), "dirac2", "bilinear": the gan.system key's words.
const char* gan_system_key(gan_methods::System s);
// The start layout of a system: the old core's Dirac (3-D) or Bilinear (2-D, also dirac2's).
gan::System gan_layout(gan_methods::System s);

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
