// The GAN panel's method grid (issue 14): small multiples of the training methods of the
// convergence literature (genlab/gan_methods.hpp), each from the panel's start with the same
// lr and step count. This file holds the grid's keys and their validation, and GanGrid, the
// headless part of the scene that computes every cell (per-cell dirty tracking).
//
// Keys under "gan" (read by gan_model.cpp):
//   grid         a list of at most kGridMaxCells cells, each {"method": "<gan_methods method
//                cli>", "regularizer": "<'+'-joined terms>"} ("" = plain gan); default [].
//   grid_system  "dirac2" | "dirac3" | "bilinear" (default dirac2, Mescheder's system).
//   lr_d, lr_g, beta, sigma, lambda, g0, clip, gamma_c: the methods' parameters, ranges and
//                defaults from gan_methods::key_table() (grid_keys()); gan.lr, gan.gamma and
//                gan.n_critic are the panel's own keys, shared with the main plots.
//
// Usage:
//   GanGrid grid;
//   grid.update(params);                 // recomputes only the cells whose inputs changed
//   const GanGridResult& r = grid.result(0);
//   r.spectrum.verdict; r.spectrum.radius; r.trajectory.states;
//
// [SECTION] Keys
// [SECTION] Cells and results
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "genlab/gan.hpp"
#include "genlab/gan_methods.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] Keys
//-----------------------------------------------------------------------------

inline constexpr int kGridMaxCells = 8;
// Each cell runs min(gan.steps, kGridMaxSteps) steps (8 cells × 1000 steps stay cheap).
inline constexpr int kGridMaxSteps = 1000;

// The app's key specs of the grid's method parameters, derived from gan_methods::key_table():
// a closed range inside the core's; an open bound moves in by 1e-6 of the range (gan.beta
// (−1, 1) → −0.999998–0.999998, gan.clip (0, 100] → 0.0001–100); lr_d and lr_g keep 0 ("=
// gan.lr"). In the order of key_table(), without the panel's own lr, gamma and n_critic.
const std::vector<NumberKey>& grid_keys();
const NumberKey& grid_key(const std::string& name);  // "beta"; throws for an unknown name

struct GanGridCell {
    std::string method = "simultaneous";  // a gan_methods::method_table() cli
    std::string regularizer = "gan";      // gan_methods::to_string(parse_terms(...))
    bool operator==(const GanGridCell& o) const {
        return method == o.method && regularizer == o.regularizer;
    }
};

struct GanGridParams {
    gan_methods::System system = gan_methods::System::Dirac2;
    std::vector<GanGridCell> cells;
    gan_methods::Params base;  // every method parameter; lr, gamma, n_critic from the panel
};

// Reads grid, grid_system and the parameters from a panel state (missing keys: defaults);
// errors name the key ("gan.grid[2].method must be one of ..."). lr, gamma and n_critic are
// taken from `sim`. Validates every cell (gan_methods::validate).
GanGridParams gan_grid_from_json(const Json& state, const gan::Params& sim);
void gan_grid_to_json(const GanGridParams& grid, Json& state);  // adds the grid's keys
void gan_grid_defaults(Json& state);
// The core parameters of cell i: base with the cell's method and terms. Validated.
gan_methods::Params gan_grid_cell_params(const GanGridParams& grid, size_t i);
// A cell checked and canonicalized (regularizer as to_string(parse_terms)); `what` names it.
GanGridCell gan_grid_check_cell(const GanGridParams& grid, GanGridCell cell,
                                const std::string& what);
// The panel's start as a start of the grid's system, by role (ψ0 ↔ ψ ↔ d, θ ↔ g).
gan_methods::Vec gan_grid_start(const gan::State& start, gan_methods::System system);
int gan_grid_steps(int steps);
// Every field equal (the caches' keys).
bool gan_same(const gan_methods::Params& a,
              const gan_methods::Params& b);  // min(steps, kGridMaxSteps)
// "extragradient + nsgan+r1" ("+ no regularizer" for the bare bilinear game)
std::string gan_grid_title(const GanGridCell& cell);

//-----------------------------------------------------------------------------
// [SECTION] Cells and results
//-----------------------------------------------------------------------------

struct GanGridResult {
    GanGridCell cell;            // the cell as set (the editors show it)
    gan_methods::Params params;  // what spectrum and trajectory were computed from
    gan_methods::Spectrum spectrum;
    gan_methods::Trajectory trajectory;
    double final_distance = 0;  // of the last state from the equilibrium
    std::string verdict_line;   // "converges · r = 0.951"
    // The cell changed and waits for its turn in a later frame (GanGrid::update's budget):
    // spectrum and trajectory still show `params`, or nothing yet (trajectory.states empty).
    bool pending = false;
};

class GanGrid {
  public:
    // Recomputes the cells whose (params, start, steps) changed, in order, until
    // `budget_seconds` have passed (at least one cell per call, so work always advances); the
    // rest stay pending for the next call. Drops removed cells. A cell with instance noise
    // takes ~2–15 ms (64 Gauss–Hermite nodes per field evaluation): eight of them at once
    // would hold one frame for ~40 ms, so the panel spreads them over frames.
    void update(const GanGridParams& grid, const gan::State& start, int steps,
                double budget_seconds = HUGE_VAL);
    size_t pending() const;  // cells waiting for a later update()
    size_t size() const { return results_.size(); }
    const GanGridResult& result(size_t i) const { return results_[i]; }
    int recomputes() const { return recomputes_; }  // cell computations so far, for tests
    // The (ψ, θ) plane's coordinates of a state of the grid's system: x = θ (generator),
    // y = ψ (critic; ψ0 on dirac3).
    static int plane_x(gan_methods::System s) { return s == gan_methods::System::Dirac3 ? 2 : 1; }
    static int plane_y(gan_methods::System) { return 0; }
    Json report() const;

  private:
    struct Key {
        gan_methods::Params params;
        gan_methods::Vec start;
        int steps = -1;
    };
    std::vector<GanGridResult> results_;
    std::vector<Key> keys_;
    gan_methods::System system_ = gan_methods::System::Dirac2;
    gan_methods::Vec start_;
    int steps_ = 0;
    int recomputes_ = 0;
};

}  // namespace genlab
