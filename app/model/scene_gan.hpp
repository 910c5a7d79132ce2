// GanScene: the GAN-dynamics panel without the GUI. It holds the validated parameters, the
// two runs the view draws side by side (the main run with your settings on the right: any
// gan_methods method, regularizer and parameters on dirac, dirac2 or bilinear; the reference
// on the left: the same without penalties for the Dirac systems, the continuous-time flow of
// the bare game for bilinear), the extra
// trajectories, the Jacobian and both runs' spectra, the γ sweep, the vector-field picture of
// each plot, the animation (play / step / reset / tick) and the hover readouts. The view and
// `--report` read the same data.
//
// Usage:
//   GanScene scene;                           // the defaults
//   scene.set_gamma(1.0);                     // validates ("gan.gamma must be ..."), touch()
//   scene.set_interacting(ImGui::IsAnyItemActive());  // defers the extra trajectories
//   scene.update();                           // recomputes only what the change affects
//   const gan::Trajectory& run = scene.run(GanSide::Main);
//   const GanField& f = scene.field(GanSide::Reference, {-1.5, -1.5, 1.5, 1.5});
//   Json numbers = scene.report();
//
// Dirty tracking: each derived part remembers the inputs it was computed from and is
// recomputed by update() only when they differ (recomputes(Part) counts it, for tests):
//   Main       main run             ← run (gan_methods::Params), start, steps
//   Reference  reference run        ← reference_params(), start, reference_steps(steps)
//   Extras     extra trajectories   ← the same per side, extra_starts; deferred while
//                                     interacting (a slider drag), then computed once
//   Spectrum   gan_methods::analyze of both sides (J, step map, radius, verdict) ← their params
//   Sweep      γ sweep of J's eigenvalues ← the terms (r1 added when neither r1 nor r2 is on)
//              and their parameters (J has no lr or method; the sweep sets γ)
//   Field      arrows and streamlines ← the side's params, plane, view rect (built on demand)
//   Radius     the step map's spectral radius along gan.sweep ← run (but the swept key)
//   Manual     the Step D / Step G path ← run, start, manual (replayed whole: ≤ 2000 steps)
// Runs the old core (genlab/gan.hpp) computes the same way (gan_legacy) take its vectorized
// path; the others run on gan_methods. Trajectories hold the plain state (no memory part).
//   Grid       the method grid's cells, each ← its method, terms, the method parameters,
//              start, min(steps, kGridMaxSteps): editing one cell recomputes that cell only
//              (recomputes(Part::Grid) counts cells); update() spreads many over frames
//
// [SECTION] Plane geometry and the field picture
// [SECTION] The scene
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gan_model.hpp"
#include "scene.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] Plane geometry and the field picture
//-----------------------------------------------------------------------------

// World coordinates of a phase plane (no GUI types in the model layer).
struct GanPoint {
    double x = 0, y = 0;
};
struct GanRect {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    double width() const { return x1 - x0; }
    double height() const { return y1 - y0; }
    bool operator==(const GanRect& o) const {
        return x0 == o.x0 && y0 == o.y0 && x1 == o.x1 && y1 == o.y1;
    }
};

// Which state coordinates a phase plane shows, as (x, y).
struct GanPlane {
    int x = 2, y = 0;
    const char* x_label = "θ (generator)";
    const char* y_label = "ψ0 (critic slope)";
    GanPoint project(const gan::State& s) const { return {s[x], s[y]}; }
    // A state on the plane at w, the other coordinate at `rest`'s value.
    gan::State lift(GanPoint w, const gan::State& rest) const;
};

// Arrows (uniform length: direction from the arrow, magnitude from its colour) and
// streamlines of the in-plane field over a view rect, on the plane through the equilibrium.
struct GanField {
    struct Arrow {
        GanPoint from, to;
        double speed;
    };
    std::vector<Arrow> arrows;
    std::vector<std::vector<GanPoint>> streamlines;
    double max_speed = 1;
};

// The two phase plots: the reference run (left) and the run with your settings (right).
enum class GanSide { Reference = 0, Main = 1 };

//-----------------------------------------------------------------------------
// [SECTION] The scene
//-----------------------------------------------------------------------------

class GanScene : public Scene {
  public:
    enum class Part {
        Main,
        Reference,
        Extras,
        Spectrum,
        Sweep,
        Field,
        Grid,
        Manual,
        Radius,
        Count
    };
    static constexpr double kReferenceStep = 0.05;  // RK4 step of the bilinear flow reference
    static constexpr double kSweepLo = 0, kSweepHi = 3;
    static constexpr int kSweepCount = 121;

    GanScene();

    const PanelModel& model() const override;
    void set_state(const Json& normalized) override;
    Json state() const override;
    void update() override;
    // update() with every grid cell computed now (reports, CSV and tests: never timing-bound).
    void update_all() { update_runs(false); }
    Json report() override;
    std::string csv() override;

    // Parameters. Each setter validates (UserError naming the JSON key), changes what it sets
    // and calls touch() when the value changes; update() then recomputes what depends on it.
    const GanParams& params() const { return p_; }
    void set_system(gan_methods::System system);  // maps the start and extra starts by role
    void set_loss(gan::Loss loss);
    void set_method(gan_methods::Method method);
    // gan.regularizer ("wgan_gp+r1"; "gan"/"nsgan" set gan.loss): UserError naming the key.
    void set_regularizer(const std::string& terms);
    // A method parameter shared with the grid ("beta", grid_keys()); same as set_grid_param.
    void set_method_param(const std::string& name, double value) { set_grid_param(name, value); }
    void set_n_critic(int n);
    void set_lr(double lr);
    void set_gamma(double gamma);
    void set_steps(int steps);               // shows the whole run
    void set_steps_per_second(double rate);  // Play's pace; 0: the whole run in ~4 s
    void set_start(const gan::State& start);
    void set_start_on_plane(GanPoint w);  // moves the start within the current plane
    void set_plane(const std::string& plane);
    // A new extra start on the plane through the equilibrium; false when the list is full.
    bool add_extra_start(GanPoint w);
    void clear_extra_starts();
    // Step D / Step G (GAN Lab's buttons): one gradient step of one player, appended to
    // gan.manual and drawn from the start on the main plot. Full: UserError naming the key.
    void set_manual(const std::string& presses);
    void step_player(gan::Player who);
    void clear_manual() { set_manual(""); }
    // The method grid (gan_grid.hpp). Each validates the cell (UserError naming
    // "gan.grid[i]..."); add_grid_cell is false when the grid is full.
    bool add_grid_cell(const GanGridCell& cell);
    void set_grid_cell(size_t i, const GanGridCell& cell);
    void remove_grid_cell(size_t i);
    void set_grid_cells(const std::vector<GanGridCell>& cells);
    void set_grid_system(gan_methods::System system);            // drops cells the system refuses
    void set_grid_param(const std::string& name, double value);  // "beta", grid_keys()
    const GanGrid& grid() const { return grid_; }
    // The main run takes cell i's system, method and regularizer (the parameters are shared
    // already): a click on a grid cell opens it in the main plots. Out of range: no change.
    void open_grid_cell(size_t i);

    // While interacting (the view passes ImGui::IsAnyItemActive()), update() leaves the extra
    // trajectories as they are; the first update() after it ends recomputes them once, so
    // dragging a slider stays smooth with hundreds of them. report()/csv() never defer.
    void set_interacting(bool interacting) { interacting_ = interacting; }
    bool interacting() const { return interacting_; }
    bool extras_pending() const;

    // The reference run: the same run without the penalty (dirac), or the continuous-time
    // flow (bilinear, which has no penalty), so the contrast is always one change away.
    gan_methods::Params reference_params() const;
    // Steps of the reference run that cover the same time as `steps` of the main run.
    int reference_steps(int steps) const;
    int steps_of(GanSide side) const;  // steps, or reference_steps(steps)

    // Derived data (current after update()).
    const gan::Trajectory& run(GanSide side) const { return runs_[index(side)]; }
    const std::vector<gan::Trajectory>& extras(GanSide side) const { return extras_[index(side)]; }
    std::uint64_t extras_version() const { return extras_version_; }  // moves when extras do
    const gan::State& equilibrium() const { return eq_; }
    // states[0] = start, states[k] after the k-th press of gan.manual (main run's params).
    const std::vector<gan::State>& manual_path() const { return manual_path_; }
    const Eigen::MatrixXd& jacobian() const { return jacobian_; }  // of the main run's v
    const std::vector<gan::Complex>& eigenvalues_flow(GanSide side) const {
        return eig_flow_[index(side)];
    }
    const std::vector<gan::Complex>& eigenvalues_map(GanSide side) const {
        return eig_map_[index(side)];
    }
    double spectral_radius_map() const;  // of the main run's step map
    double max_real_flow() const;        // max Re λ of the main run's J
    // gan_methods::analyze of a side's parameters: eigenvalues, radius, verdict, rate.
    const gan_methods::Spectrum& spectrum(GanSide side) const { return spectra_[index(side)]; }
    // Local stability of the main run at the equilibrium: gan_methods::analyze's verdict
    // "converges" (the flow's max Re λ < 0, or the step map's spectral radius < 1), and why in
    // words ("max |λ| = 0.98615 < 1"). The panel and the report both read it.
    struct Stability {
        bool stable = false;
        std::string why;
    };
    Stability stability() const;
    const std::vector<gan::SweepPoint>& sweep() const { return sweep_; }
    // The step map's spectral radius at the equilibrium as gan.sweep varies (γ over
    // [kSweepLo, kSweepHi], lr log-spaced over radius_sweep_range(), n_critic 1…30), the other
    // parameters the main run's: where it crosses 1, the method stops converging.
    struct RadiusPoint {
        double value, radius;
    };
    const std::vector<RadiusPoint>& radius_sweep() const { return radius_sweep_; }
    std::pair<double, double> radius_sweep_range() const;
    void set_sweep(const std::string& key);

    // The phase plane the plots show (the system's, or the chosen one of the 3-D system).
    GanPlane plane() const;
    // The field picture of a side over `view`: rebuilt only when the view or the side's
    // parameters or the plane change. field_version() moves when it is rebuilt.
    const GanField& field(GanSide side, const GanRect& view);
    std::uint64_t field_version(GanSide side) const { return fields_[index(side)].version; }
    // Hover readout: the in-plane velocity of a side at w (the other coordinate at the
    // equilibrium's value).
    GanPoint velocity_at(GanSide side, GanPoint w) const;

    // The main run at the animation's current step, for the readouts.
    struct Now {
        int step = 0;  // min(shown, steps run)
        gan::State state;
        double distance = 0;   // |state|: the equilibrium is the origin
        double conserved = 0;  // ψ0² + θ² or d² + g²
        double drift = 0;      // conserved minus its value at the start
    };
    Now now() const;

    // Animation: `shown` steps of the runs are drawn (== steps when idle). Play runs the whole
    // run in about 4 s at speed 1, whatever the step count, or at gan.steps_per_second.
    int shown() const { return shown_; }
    int shown_of(GanSide side) const;         // shown, or its reference_steps
    void set_playing(bool playing) override;  // from the end: restarts at 0
    void step() override;                     // pauses; from the end (idle): restarts at 1
    void reset() override;                    // pauses at 0
    bool tick(double dt, double speed) override;
    // Playing, or method-grid cells waiting for their frame (kGridFrameBudget).
    bool wants_frames() const override;
    // update() spends at most this on the method grid per frame (at least one cell), so an
    // edit that changes every cell stays within the 16.7 ms frame; report() and csv()
    // compute every cell.
    static constexpr double kGridFrameBudget = 0.006;  // seconds

    int recomputes(Part part) const { return counts_[static_cast<size_t>(part)]; }
    bool dirty(Part part) const;

  private:
    static size_t index(GanSide side) { return static_cast<size_t>(side); }
    // Extra trajectories keep ~1000 states each: 200 long runs stay small in memory.
    static int extra_keep(int steps) { return std::max(1, steps / 1000); }
    void changed() { touch(); }
    void commit_work(GanParams next);  // gan_check_work, then the change
    void count(Part part) { ++counts_[static_cast<size_t>(part)]; }
    void update_runs(bool allow_deferral);
    gan_methods::Params sweep_key() const;
    void apply(const Json& patch);  // the state with `patch` merged, re-read and validated
    gan_methods::Params side_params(GanSide side) const;
    Json manual_json() const;        // the report's "manual"
    Json radius_sweep_json() const;  // the report's "sweep"
    void update_radius_sweep();

    // What a run was computed from.
    struct RunKey {
        gan_methods::Params sim;
        gan::State start;
        int steps = -1;
        bool valid = false;
    };
    struct ExtrasKey {
        gan_methods::Params sim;
        std::vector<gan::State> starts;
        int steps = -1;
        bool valid = false;
    };
    struct FieldCache {
        GanField picture;
        gan_methods::Params sim;
        int plane_x = -1, plane_y = -1;
        GanRect view;
        bool valid = false;
        std::uint64_t version = 0;
    };

    GanParams p_;
    bool interacting_ = false;
    int shown_ = 0;
    double progress_ = 0;

    std::array<gan::Trajectory, 2> runs_;
    std::array<RunKey, 2> run_keys_;
    std::array<std::vector<gan::Trajectory>, 2> extras_;
    std::array<ExtrasKey, 2> extras_keys_;
    std::uint64_t extras_version_ = 0;
    gan::State eq_;
    Eigen::MatrixXd jacobian_;
    std::array<std::vector<gan::Complex>, 2> eig_flow_, eig_map_;
    std::array<gan_methods::Params, 2> spectrum_keys_;
    std::array<gan_methods::Spectrum, 2> spectra_;
    bool spectrum_valid_ = false;
    std::vector<gan::SweepPoint> sweep_;
    gan_methods::Params sweep_key_;
    bool sweep_valid_ = false;
    std::array<FieldCache, 2> fields_;
    std::vector<RadiusPoint> radius_sweep_;
    gan_methods::Params radius_key_;
    std::string radius_key_name_;
    bool radius_valid_ = false;
    std::vector<gan::State> manual_path_;
    RunKey manual_key_;  // sim and start of manual_path_ (steps unused)
    std::string manual_key_presses_;
    GanGrid grid_;
    std::array<int, static_cast<size_t>(Part::Count)> counts_{};
};

}  // namespace genlab
