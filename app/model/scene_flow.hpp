// FlowScene: the flow-warping panel's simulation, headless. It owns the validated FlowParams
// and everything derived from them: the density grid (at the resolution, over the region the
// canvas shows), the mass over the view, the warped base grid, the log|det J| mesh with its
// folds, samples, the probe's readouts, per-layer invertibility and the KL identity. Each is
// recomputed only when what it depends on changed, and report() reads the same values.
//
// Usage:
//   FlowScene scene;                              // the defaults
//   scene.set_layer(0, layer);                    // validates; errors name flow.layers[0].b
//   scene.set_density_region(center, extent);     // the canvas's square
//   const FlowScene::Density& d = scene.density();
//   double m = scene.mass();                      // the number the report holds
//   scene.set_playing(true); scene.tick(dt, 1);   // Play: layer by layer
//
// Dependencies (what a change makes dirty):
//   stack (base, layers, upto)  -> everything below
//   resolution, density region  -> density
//   view                        -> mass
//   probe                       -> probe readout
//   samples                     -> samples
//   interactive (a drag)        -> density at half resolution; mass and KL wait for the end
//   scrub while playing         -> every layer-dependent part, a layer at a time
#pragma once

#include <array>
#include <cmath>
#include <memory>
#include <optional>

#include "flow_model.hpp"
#include "flow_training.hpp"
#include "scene.hpp"

namespace genlab {

class FlowScene : public Scene {
  public:
    // The derived quantities, for recompute counters.
    enum class Part { Density, Mass, Grid, Mesh, Samples, Probe, Kl, Invertibility, kCount };

    // The pushed-forward density on an n×n grid of cell centres over the square region.
    struct Density {
        int n = 0;
        flow::Vec2 center{0, 0};
        double extent = 0;
        bool coarse = false;       // computed at half resolution during a drag
        Eigen::MatrixXd log_p;     // (i, j): column i (x), row j (y from the bottom); NaN undefined
        std::vector<float> image;  // p(x) row-major, image row 0 at the top; NaN undefined
        double peak = 1;           // max p (1 when there is none)
        double ms = 0;             // what the computation took
    };

    // Cells of the base grid (mean ± kGridSpan std), pushed through the shown layers and
    // coloured by log|det J|; a cell whose determinant vanishes or changes sign against a
    // neighbour is a fold. Cell (i, j) is entry i·n + j.
    struct DetMesh {
        int n = 0;
        std::vector<std::array<flow::Vec2, 4>> quads;  // warped corners, counter-clockwise
        std::vector<flow::Vec2> centres;               // the base-space cell centres
        std::vector<double> det;                       // Π det J_k at the centre, with sign
        std::vector<double> log_det;
        std::vector<bool> fold;
        double lo = -1, hi = 1;  // the finite log_det range (widened when flat)
    };

    using Lines = std::vector<std::vector<flow::Vec2>>;

    static constexpr int kGridLines = 25;     // base-grid lines per direction
    static constexpr int kGridPoints = 90;    // points per line
    static constexpr int kDetCells = 48;      // log|det| mesh cells per side
    static constexpr double kGridSpan = 3.5;  // base grid: mean ± 3.5 std
    static constexpr double kPlayRate = 0.8;  // layers per second at speed 1
    // Of a frame while training plays: the rest draws the density, grid and samples.
    static constexpr double kTrainFrameBudgetMs = 6;

    FlowScene();

    const PanelModel& model() const override;
    void set_state(const Json& normalized) override;
    Json state() const override;
    void update() override;
    Json report() override;
    std::string csv() override;

    // Transport. Stack mode: Play runs the scrubber from layer 0 to K; step shows one more
    // layer (K wraps to 0); reset shows them all. Train mode: Play trains
    // flow.train.steps_per_frame × speed steps a frame up to flow.train.steps; step runs one
    // frame's steps; reset goes back to the untrained stack.
    void set_playing(bool playing) override;
    void step() override;
    void reset() override;
    bool tick(double dt, double speed) override;
    double scrub() const { return scrub_; }  // the layer position, fractional while playing

    // Parameters. Setters validate (UserError naming the JSON key) and touch().
    const FlowParams& params() const { return p_; }
    int layer_count() const { return static_cast<int>(p_.stack.layers.size()); }
    const flow::Layer& layer(int k) const;
    void set_base(const flow::Vec2& mean, const flow::Vec2& std);
    void set_layer(int k, const flow::Layer& layer);
    void add_layer(const std::string& type);  // shows all layers
    void remove_layer(int k);
    void move_layer(int from, int to);
    void set_upto(int upto);  // -1: all; the scrubber follows
    // Training (flow.mode = train). Each change of the target, objective, initial stack or
    // Adam's settings (and of the base, the layers or flow.target it reads) starts a new run.
    void set_mode(const std::string& mode);  // flow_modes(): "stack" | "train" | "map1d"
    void set_train(const FlowTrainParams& t);
    bool add_train_point(const flow::Vec2& x);  // false when the points target is full
    // The trained stack becomes flow.layers (init = layers), so it is saved with the state.
    void keep_trained_layers();
    FlowTraining& training() { return training_; }
    // The stack the panel shows: flow.layers, or the one being trained.
    const flow::Stack& stack() const;
    void set_show(const std::string& what, bool on);
    void set_samples(int n);
    void set_resolution(int n);
    void set_view(const flow::Vec2& center, double extent);
    void set_probe(const flow::Vec2& x);
    // The square the density is computed on (the canvas's aspect-fitted view; report and CSV
    // use the view). Not a parameter: no touch().
    void set_density_region(const flow::Vec2& center, double extent);
    // A drag is under way: the density goes to half resolution, mass and KL keep their last
    // values; ending it refines them.
    void set_interactive(bool dragging);

    // Derived data, brought up to date on access.
    const Density& density();
    const Density& last_density() const { return density_; }  // without recomputing
    // flow::mass over the view (the base probability of the pulled-back view, to
    // flow::kMassTolerance): NaN when not invertible. mass_error() is its error estimate.
    double mass() { return mass_estimate().value; }
    double mass_error() { return mass_estimate().error; }
    const flow::MassEstimate& mass_estimate();
    const std::vector<flow::Invertibility>& invertibility();  // per layer
    bool invertible();  // every shown layer Proved: the density is computed
    // The shown stack's verdict: Disproved if a shown layer is, else NotProved if one is not
    // proved, else Proved; and why, naming the layer ("invertibility not proved: layer 2 …").
    flow::Verdict verdict();
    std::string verdict_reason();
    const std::optional<flow::DensityPoint>& probe_readout();
    // ‖F(F⁻¹(x)) − x‖ at the probe (NaN without an inverse): the inverse's own error.
    double probe_round_trip() {
        probe_readout();
        return probe_round_trip_;
    }
    std::optional<flow::DensityPoint> density_at(const flow::Vec2& x) const;  // hover
    const flow::KlIdentity& kl();  // NaN without a target
    std::shared_ptr<const Lines> grid();
    std::shared_ptr<const DetMesh> det_mesh();
    std::shared_ptr<const std::vector<flow::Vec2>> samples();
    // Changes whenever the grid, mesh or samples (or which are shown) may have changed: the
    // view's cached drawing layer follows it.
    std::uint64_t warp_version() const;

    int recomputes(Part part) const { return counts_[static_cast<int>(part)]; }

    // flow.mode = "map1d": the 1-D map of seed 000 Q5 (flow_map1d.hpp) instead of the stack.
    const std::string& mode() const { return p_.mode; }
    FlowMap1d& map1d() { return map1d_; }
    void set_map1d(const Map1dParams& m) {
        map1d_.set(m);  // validates
        p_.map1d = m;
        touch();
    }

  private:
    void replace_within_budget(FlowParams next);  // flow_check_work, then p_ = next
    void replace_and_retrain(FlowParams next);    // a new training run when training
    void training_changed();                      // the trained stack moved
    int shown() const;                            // layers shown of stack()
    // A drag, or training playing: the coarse density, and mass and KL wait.
    bool live() const { return interactive_ || (p_.training() && playing_); }
    flow::Stack shown_stack() const;
    void stack_changed();  // everything derived
    void set_upto_quiet(int upto);
    void compute_density();

    FlowParams p_;
    FlowTraining training_;
    FlowMap1d map1d_;
    double scrub_ = 0;
    bool interactive_ = false;
    flow::Vec2 region_center_{0, 0};
    double region_extent_ = 4;

    bool density_dirty_ = true, mass_dirty_ = true, grid_dirty_ = true, mesh_dirty_ = true,
         samples_dirty_ = true, probe_dirty_ = true, kl_dirty_ = true, inv_dirty_ = true;
    bool mass_known_ = false, kl_known_ = false;
    int grid_upto_ = -2;  // the layers the grid was pushed through
    std::uint64_t warp_rev_ = 0;

    Density density_;
    flow::MassEstimate mass_{NAN, NAN, 0};
    std::vector<flow::Invertibility> inv_;
    std::optional<flow::DensityPoint> probe_;
    double probe_round_trip_ = NAN;
    flow::KlIdentity kl_{NAN, NAN};
    std::shared_ptr<const Lines> grid_;
    std::shared_ptr<const DetMesh> mesh_;
    std::shared_ptr<const std::vector<flow::Vec2>> samples_;
    std::array<int, static_cast<int>(Part::kCount)> counts_{};
};

}  // namespace genlab
