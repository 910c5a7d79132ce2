// GanScene without a display: play / step / reset / tick, the reference run, dirty-flag
// recomputation (a change recomputes only what depends on it), the extra trajectories'
// deferral while a widget is active, setter validation, the field cache and hover readouts,
// and the report read from the scene.
//
// [SECTION] Helpers
// [SECTION] Transport
// [SECTION] The reference run
// [SECTION] Dirty recomputation
// [SECTION] Deferred extra trajectories
// [SECTION] Setters' validation
// [SECTION] Field picture, plane and readouts
// [SECTION] Report
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <map>
#include <set>

#include "errors.hpp"
#include "gan_model.hpp"
#include "scene_gan.hpp"
#include "state.hpp"

using namespace genlab;
using Part = GanScene::Part;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

// A scene with the defaults plus `sets` (gan.* assignments), brought up to date.
GanScene scene_with(const std::vector<std::string>& sets) {
    Json s = default_state();
    for (const auto& set : sets) apply_set(s, set);
    GanScene scene;
    scene.set_state(s["gan"]);
    scene.update();
    return scene;
}

gan::State state_of(std::initializer_list<double> v) {
    gan::State s(static_cast<int>(v.size()));
    int i = 0;
    for (double x : v) s[i++] = x;
    return s;
}

// Every part's recompute count, to compare before and after a change.
std::map<Part, int> counts(const GanScene& scene) {
    std::map<Part, int> c;
    for (Part p :
         {Part::Main, Part::Reference, Part::Extras, Part::Spectrum, Part::Sweep, Part::Field}) {
        c[p] = scene.recomputes(p);
    }
    return c;
}

// Which parts were recomputed since `before`.
std::set<Part> recomputed_since(const GanScene& scene, const std::map<Part, int>& before) {
    std::set<Part> changed;
    for (const auto& [part, n] : before) {
        if (scene.recomputes(part) != n) changed.insert(part);
    }
    return changed;
}

const GanRect kView{-1.5, -1.5, 1.5, 1.5};

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Transport
//-----------------------------------------------------------------------------

TEST(GanScene, IdleShowsTheWholeRun) {
    GanScene scene;
    EXPECT_EQ(scene.shown(), 400);
    EXPECT_FALSE(scene.playing());
    EXPECT_FALSE(scene.wants_frames());
}

TEST(GanScene, StepFromIdleRestartsAtOneThenAdvancesByOne) {
    GanScene scene;
    scene.step();
    EXPECT_EQ(scene.shown(), 1);
    scene.step();
    EXPECT_EQ(scene.shown(), 2);
    EXPECT_FALSE(scene.playing());
}

TEST(GanScene, PlayFromTheEndRestartsAtZeroAndFromTheMiddleContinues) {
    GanScene scene;
    scene.set_playing(true);
    EXPECT_EQ(scene.shown(), 0);
    EXPECT_TRUE(scene.playing());
    EXPECT_TRUE(scene.wants_frames());
    scene.reset();
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.shown(), 0);
    scene.step();
    scene.step();
    scene.step();
    scene.set_playing(true);
    EXPECT_EQ(scene.shown(), 3);  // not from the start
    scene.step();                 // a step pauses
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.shown(), 4);
}

TEST(GanScene, TickAdvancesAQuarterOfTheStepsPerSecondAtSpeedOne) {
    GanScene scene;                      // 400 steps: 100 per second at speed 1
    EXPECT_FALSE(scene.tick(1.0, 1.0));  // paused: nothing moves
    EXPECT_EQ(scene.shown(), 400);
    scene.set_playing(true);
    EXPECT_TRUE(scene.tick(1.0, 1.0));
    EXPECT_EQ(scene.shown(), 100);
    scene.tick(0.5, 2.0);  // speed doubles the rate
    EXPECT_EQ(scene.shown(), 200);
    // Fractions of a step carry over: 15 frames of a tenth of a step make 1.5 steps.
    for (int i = 0; i < 15; ++i) scene.tick(0.001, 1.0);
    EXPECT_EQ(scene.shown(), 201);
    // Running past the end stops at the end and pauses.
    scene.tick(60, 1.0);
    EXPECT_EQ(scene.shown(), 400);
    EXPECT_FALSE(scene.playing());
}

TEST(GanScene, TheRateFollowsTheStepCount) {
    GanScene scene = scene_with({"gan.steps=2000"});
    scene.set_playing(true);
    scene.tick(1.0, 1.0);
    EXPECT_EQ(scene.shown(), 500);
}

TEST(GanScene, ChangingTheStepsShowsTheWholeRunAndLoadingStopsPlay) {
    GanScene scene;
    scene.reset();
    scene.set_steps(50);
    EXPECT_EQ(scene.shown(), 50);
    scene.set_playing(true);
    scene.set_state(scene.model().defaults());
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.shown(), 400);
}

TEST(GanScene, ReadoutsFollowTheAnimation) {
    GanScene scene = scene_with({"gan.steps=100"});
    scene.reset();
    scene.step();
    scene.step();
    scene.update();
    const GanScene::Now now = scene.now();
    EXPECT_EQ(now.step, 2);
    const gan::Trajectory t = gan::integrate(scene.params().sim, scene.params().start, 2);
    EXPECT_EQ(now.state, t.states.back());
    EXPECT_DOUBLE_EQ(now.distance, t.states.back().norm());
    // ψ0² + θ² at step 2 minus at the start (1² + 1²).
    const gan::State& s = t.states.back();
    EXPECT_NEAR(now.conserved, s[0] * s[0] + s[2] * s[2], 1e-15);
    EXPECT_NEAR(now.drift, now.conserved - 2.0, 1e-15);
}

//-----------------------------------------------------------------------------
// [SECTION] The reference run
//-----------------------------------------------------------------------------

TEST(GanScene, DiracReferenceIsTheSameRunWithoutThePenalty) {
    GanScene scene = scene_with({"gan.gamma=2", "gan.method=alternating", "gan.n_critic=3"});
    const gan_methods::Params ref = scene.reference_params();
    EXPECT_EQ(ref.gamma, 0);
    EXPECT_EQ(ref.method, gan_methods::Method::Alternating);
    EXPECT_EQ(ref.n_critic, 3);
    EXPECT_EQ(ref.lr, 0.1);
    EXPECT_EQ(scene.reference_steps(400), 400);
    gan::Params no_r1 = scene.params().sim;
    no_r1.gamma = 0;
    EXPECT_EQ(scene.run(GanSide::Reference).states.back(),
              gan::integrate(no_r1, scene.params().start, 400).states.back());
    EXPECT_NE(scene.run(GanSide::Reference).states.back(), scene.run(GanSide::Main).states.back());
}

TEST(GanScene, BilinearReferenceIsTheFlowWithASmallStepOverTheSameTime) {
    // lr 0.5 × 100 steps = time 50: the reference takes 1000 RK4 steps of 0.05.
    GanScene scene = scene_with({"gan.system=bilinear", "gan.method=simultaneous", "gan.lr=0.5",
                                 "gan.steps=100", "gan.start=1,0.5"});
    const gan_methods::Params ref = scene.reference_params();
    EXPECT_EQ(ref.method, gan_methods::Method::Flow);
    EXPECT_LE(ref.lr, 0.05);
    EXPECT_EQ(scene.reference_steps(100), 1000);
    EXPECT_EQ(scene.steps_of(GanSide::Reference), 1000);
    // The flow of V = d·g rotates (d, g): d(t) = d0 cos t + g0 sin t, g(t) = g0 cos t − d0 sin t.
    const gan::State& end = scene.run(GanSide::Reference).states.back();
    const double t = 50;
    EXPECT_NEAR(end[0], std::cos(t) + 0.5 * std::sin(t), 1e-5);
    EXPECT_NEAR(end[1], 0.5 * std::cos(t) - std::sin(t), 1e-5);
    // The animation shows the same time on both sides.
    scene.reset();
    for (int i = 0; i < 10; ++i) scene.step();
    EXPECT_EQ(scene.shown_of(GanSide::Reference), 100);
}

TEST(GanScene, BilinearReferenceKeepsASmallerStepAndIsCapped) {
    GanScene small = scene_with({"gan.system=bilinear", "gan.lr=0.02"});
    EXPECT_EQ(small.reference_params().lr, 0.02);
    EXPECT_EQ(small.reference_steps(400), 400);
    GanScene big = scene_with({"gan.system=bilinear", "gan.lr=10", "gan.steps=100000"});
    EXPECT_EQ(big.reference_steps(100000), gan_keys::steps.hi);
}

//-----------------------------------------------------------------------------
// [SECTION] Dirty recomputation
//-----------------------------------------------------------------------------

TEST(GanScene, AnUpdateWithoutChangesRecomputesNothing) {
    GanScene scene;
    scene.update();
    for (Part p : {Part::Main, Part::Reference, Part::Extras, Part::Spectrum, Part::Sweep}) {
        EXPECT_EQ(scene.recomputes(p), 1) << static_cast<int>(p);
        EXPECT_FALSE(scene.dirty(p));
    }
    const auto before = counts(scene);
    scene.update();
    scene.set_gamma(scene.params().sim.gamma);  // the same value: no change
    scene.update();
    EXPECT_TRUE(recomputed_since(scene, before).empty());
}

TEST(GanScene, ChangingThePlaneDoesNotReintegrate) {
    GanScene scene;
    scene.update();
    scene.field(GanSide::Main, kView);
    const auto before = counts(scene);
    const auto revision = scene.revision();
    scene.set_plane("theta-psi1");
    EXPECT_GT(scene.revision(), revision);
    scene.update();
    EXPECT_TRUE(recomputed_since(scene, before).empty());
    scene.field(GanSide::Main, kView);  // the picture of the new plane
    EXPECT_EQ(recomputed_since(scene, before), std::set<Part>{Part::Field});
}

TEST(GanScene, ChangingGammaReintegratesTheMainRunOnly) {
    GanScene scene = scene_with({"gan.extra_starts=[[0.5,0,0.5]]"});
    scene.field(GanSide::Main, kView);
    scene.field(GanSide::Reference, kView);
    const auto before = counts(scene);
    const int fields = scene.recomputes(Part::Field);
    scene.set_gamma(1.0);
    for (Part p : {Part::Main, Part::Extras, Part::Spectrum}) EXPECT_TRUE(scene.dirty(p));
    scene.update();
    // The reference (γ = 0) and the sweep (over γ) do not depend on γ.
    EXPECT_EQ(recomputed_since(scene, before),
              (std::set<Part>{Part::Main, Part::Extras, Part::Spectrum}));
    scene.field(GanSide::Reference, kView);
    EXPECT_EQ(scene.recomputes(Part::Field), fields);
    scene.field(GanSide::Main, kView);
    EXPECT_EQ(scene.recomputes(Part::Field), fields + 1);
}

TEST(GanScene, AddingAnExtraStartRecomputesOnlyTheExtras) {
    GanScene scene;
    scene.update();
    const auto before = counts(scene);
    EXPECT_TRUE(scene.add_extra_start({0.5, -0.25}));  // θ = 0.5, ψ0 = −0.25 on (θ, ψ0)
    scene.update();
    EXPECT_EQ(recomputed_since(scene, before), std::set<Part>{Part::Extras});
    EXPECT_EQ(scene.params().extra_starts.back(), state_of({-0.25, 0, 0.5}));
    ASSERT_EQ(scene.extras(GanSide::Main).size(), 1u);
    ASSERT_EQ(scene.extras(GanSide::Reference).size(), 1u);
    EXPECT_EQ(scene.extras(GanSide::Main)[0].states.back(),
              gan::integrate(scene.params().sim, state_of({-0.25, 0, 0.5}), 400).states.back());
}

TEST(GanScene, EachParameterRecomputesWhatDependsOnIt) {
    const std::vector<std::pair<std::function<void(GanScene&)>, std::set<Part>>> cases = {
        {[](GanScene& s) {
             s.set_start(state_of({0.2, 0, 0.7}));
         },
         {Part::Main, Part::Reference}},
        {[](GanScene& s) { s.set_steps(100); }, {Part::Main, Part::Reference, Part::Extras}},
        {[](GanScene& s) { s.set_lr(0.05); },
         {Part::Main, Part::Reference, Part::Extras, Part::Spectrum}},
        {[](GanScene& s) { s.set_loss(gan::Loss::NonSaturating); },
         {Part::Main, Part::Reference, Part::Extras, Part::Spectrum, Part::Sweep}},
        {[](GanScene& s) { s.clear_extra_starts(); }, {Part::Extras}},
    };
    for (const auto& [change, expected] : cases) {
        GanScene scene = scene_with({"gan.extra_starts=[[0.5,0,0.5]]"});
        const auto before = counts(scene);
        change(scene);
        scene.update();
        EXPECT_EQ(recomputed_since(scene, before), expected);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Deferred extra trajectories
//-----------------------------------------------------------------------------

TEST(GanScene, ExtrasWaitUntilTheInteractionEnds) {
    GanScene scene = scene_with({"gan.extra_starts=[[0.5,0,0.5],[-1,0,0.2]]"});
    const gan::State old_end = scene.extras(GanSide::Main)[0].states.back();
    const int extras = scene.recomputes(Part::Extras);
    scene.set_interacting(true);  // a slider is being dragged
    for (double g : {0.5, 0.8, 1.2}) {
        scene.set_gamma(g);
        scene.update();
    }
    EXPECT_EQ(scene.recomputes(Part::Extras), extras);
    EXPECT_TRUE(scene.extras_pending());
    EXPECT_EQ(scene.extras(GanSide::Main)[0].states.back(), old_end);  // still drawn as before
    // The main run follows every frame of the drag.
    EXPECT_EQ(scene.run(GanSide::Main).states.back(),
              gan::integrate(scene.params().sim, scene.params().start, 400).states.back());
    scene.set_interacting(false);  // released
    scene.update();
    scene.update();
    EXPECT_EQ(scene.recomputes(Part::Extras), extras + 1);  // once, not per frame of the drag
    EXPECT_FALSE(scene.extras_pending());
    EXPECT_EQ(scene.extras(GanSide::Main)[0].states.back(),
              gan::integrate(scene.params().sim, state_of({0.5, 0, 0.5}), 400).states.back());
}

TEST(GanScene, AReportDuringAnInteractionIsNotDeferred) {
    GanScene scene = scene_with({"gan.extra_starts=[[0.5,0,0.5]]"});
    scene.set_interacting(true);
    scene.set_gamma(2.0);
    const Json r = scene.report();
    const gan::State end =
        gan::integrate(scene.params().sim, state_of({0.5, 0, 0.5}), 400).states.back();
    EXPECT_EQ(r["extra_trajectories"][0]["end"], Json::array({end[0], end[1], end[2]}));
}

TEST(GanScene, ASystemSwitchDuringAnInteractionDropsTheOtherDimensionsExtras) {
    GanScene scene = scene_with({"gan.extra_starts=[[0.5,0,0.5]]"});
    scene.set_interacting(true);
    scene.set_system(gan_methods::System::Bilinear);
    scene.update();
    EXPECT_TRUE(scene.extras(GanSide::Main).empty());
    EXPECT_EQ(scene.run(GanSide::Main).states.front().size(), 2);
    scene.set_interacting(false);
    scene.update();
    ASSERT_EQ(scene.extras(GanSide::Main).size(), 1u);
    EXPECT_EQ(scene.extras(GanSide::Main)[0].states.front(), state_of({0.5, 0.5}));
}

//-----------------------------------------------------------------------------
// [SECTION] Setters' validation
//-----------------------------------------------------------------------------

TEST(GanScene, SettersRefuseWhatLoadingRefusesNamingTheKey) {
    GanScene scene;
    const Json before = scene.state();
    const auto revision = scene.revision();
    const std::vector<std::pair<std::function<void()>, std::string>> cases = {
        {[&] { scene.set_lr(20); }, "gan.lr must be a number in [0.0001, 10.0] (got 20.0)"},
        {[&] { scene.set_lr(NAN); }, "gan.lr"},
        {[&] { scene.set_gamma(-1); }, "gan.gamma must be a number in [0.0, 10.0]"},
        {[&] { scene.set_gamma(11); }, "gan.gamma"},
        {[&] { scene.set_n_critic(0); }, "gan.n_critic must be an integer in [1, 100]"},
        {[&] { scene.set_steps(100001); }, "gan.steps must be an integer in [1, 100000]"},
        {[&] { scene.set_plane("xy"); }, "gan.plane"},
        {[&] {
             scene.set_start(state_of({1, 2}));
         },
         "gan.start"},
        {[&] {
             scene.set_start(state_of({2e6, 0, 0}));
         },
         "gan.start"},
    };
    for (const auto& [call, text] : cases) {
        try {
            call();
            ADD_FAILURE() << text << ": accepted";
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(scene.state(), before);
    EXPECT_EQ(scene.revision(), revision);
}

TEST(GanScene, TheExtraStartsStopAtTheLimit) {
    GanScene scene;
    for (int i = 0; i < gan_keys::kMaxExtraStarts; ++i) {
        ASSERT_TRUE(scene.add_extra_start({0.01 * i, 0.1}));
    }
    EXPECT_FALSE(scene.add_extra_start({0.5, 0.5}));
    EXPECT_EQ(static_cast<int>(scene.params().extra_starts.size()), gan_keys::kMaxExtraStarts);
}

TEST(GanScene, SwitchingTheSystemMapsEveryStartByRole) {
    GanScene scene = scene_with({"gan.start=0.5,0.2,-1", "gan.extra_starts=[[0.3,0.9,0.4]]"});
    scene.set_system(gan_methods::System::Bilinear);
    EXPECT_EQ(scene.params().start, state_of({0.5, -1}));
    EXPECT_EQ(scene.params().extra_starts[0], state_of({0.3, 0.4}));
    scene.set_system(gan_methods::System::Dirac3);
    EXPECT_EQ(scene.params().start, state_of({0.5, 0, -1}));
    // The state the scene holds is what loading accepts.
    EXPECT_EQ(scene.model().normalize(scene.state()), scene.state());
}

TEST(GanScene, KeysListEveryNumericSpec) {
    const Json keys = GanModel().keys();
    ASSERT_EQ(keys.size(), 5u + grid_keys().size());  // + steps_per_second, the grid keys
    EXPECT_EQ(keys[2]["key"], "gan.gamma");
    EXPECT_EQ(keys[2]["max"], 10.0);
    const Json defaults = GanModel().defaults();
    for (const Json& k : keys) {
        const std::string name = k["key"].get<std::string>().substr(4);
        EXPECT_EQ(defaults[name], k["default"]) << name;
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Field picture, plane and readouts
//-----------------------------------------------------------------------------

TEST(GanScene, HoverVelocityIsTheFieldOnThePlane) {
    // Bilinear v = (g, −d); the plane shows g across and d up.
    GanScene scene = scene_with({"gan.system=bilinear"});
    EXPECT_EQ(scene.plane().x, 1);
    EXPECT_EQ(scene.plane().y, 0);
    const GanPoint v = scene.velocity_at(GanSide::Main, {0.5, 2.0});  // g = 0.5, d = 2
    EXPECT_DOUBLE_EQ(v.x, -2.0);                                      // dg/dt = −d
    EXPECT_DOUBLE_EQ(v.y, 0.5);                                       // dd/dt = g
    // Dirac at γ = 0.3 on (θ, ψ0) through the origin: v_ψ0 = −θ·σ(ψ0·θ) − γ·ψ0.
    GanScene dirac;
    const GanPoint u = dirac.velocity_at(GanSide::Main, {1.0, 0.0});
    EXPECT_NEAR(u.y, -0.5, 1e-12);
    const GanPoint u0 = dirac.velocity_at(GanSide::Reference, {0.0, 1.0});
    EXPECT_NEAR(u0.y, 0.0, 1e-12);  // no penalty on the left
    EXPECT_NEAR(dirac.velocity_at(GanSide::Main, {0.0, 1.0}).y, -0.3, 1e-12);
}

TEST(GanScene, TheFieldIsCachedByViewAndParameters) {
    GanScene scene = scene_with({"gan.system=bilinear"});
    const GanField& f = scene.field(GanSide::Main, kView);
    EXPECT_EQ(f.arrows.size(), 19u * 19u);
    EXPECT_EQ(f.streamlines.size(), 49u);
    const auto version = scene.field_version(GanSide::Main);
    scene.field(GanSide::Main, kView);
    EXPECT_EQ(scene.field_version(GanSide::Main), version);
    scene.set_start(state_of({0.3, 0.3}));  // the field does not depend on the start
    scene.field(GanSide::Main, kView);
    EXPECT_EQ(scene.field_version(GanSide::Main), version);
    scene.field(GanSide::Main, {-3, -3, 3, 3});  // panned or zoomed
    EXPECT_EQ(scene.field_version(GanSide::Main), version + 1);
    // |v| = r on V = d·g: the corner arrows of the 6 × 6 view are the fastest.
    const GanField& wide = scene.field(GanSide::Main, {-3, -3, 3, 3});
    const double corner = std::hypot(3 - 3.0 / 19, 3 - 3.0 / 19);
    EXPECT_NEAR(wide.max_speed, corner, 1e-9);
}

TEST(GanScene, DraggingTheStartMovesItWithinThePlane) {
    GanScene scene = scene_with({"gan.start=1,0.4,1", "gan.plane=theta-psi1"});
    scene.set_start_on_plane({-0.5, 0.25});                      // θ across, ψ1 up
    EXPECT_EQ(scene.params().start, state_of({1, 0.25, -0.5}));  // ψ0 kept
}

//-----------------------------------------------------------------------------
// [SECTION] Report
//-----------------------------------------------------------------------------

TEST(GanScene, TheReportReadsTheScenesRuns) {
    GanScene scene = scene_with({"gan.extra_starts=[[0.5,0,0.5]]", "gan.steps=3000"});
    const Json r = scene.report();
    const gan::Trajectory& run = scene.run(GanSide::Main);
    const gan::State& end = run.states.back();
    EXPECT_EQ(r["trajectory_end"], Json::array({end[0], end[1], end[2]}));
    EXPECT_EQ(r["steps_run"], run.steps_run());
    EXPECT_EQ(r["spectral_radius_map"], scene.spectral_radius_map());
    ASSERT_EQ(r["eigenvalues_flow"].size(), scene.eigenvalues_flow(GanSide::Main).size());
    EXPECT_EQ(r["eigenvalues_flow"][0][0], scene.eigenvalues_flow(GanSide::Main)[0].real());
    // ... and they are the runs a direct integration gives (extras keep fewer states, but
    // their ends are the same).
    EXPECT_EQ(end, gan::integrate(scene.params().sim, scene.params().start, 3000).states.back());
    const gan::State extra_end =
        gan::integrate(scene.params().sim, state_of({0.5, 0, 0.5}), 3000).states.back();
    EXPECT_GT(scene.extras(GanSide::Main)[0].keep_every, 1);
    EXPECT_EQ(r["extra_trajectories"][0]["end"],
              Json::array({extra_end[0], extra_end[1], extra_end[2]}));
    // The model's report is this scene's.
    EXPECT_EQ(GanModel().report(scene.state()), r);
}

TEST(GanScene, TheCsvHoldsEveryStepOfTheMainRun) {
    GanScene scene = scene_with({"gan.steps=5"});
    const std::string csv = scene.csv();
    EXPECT_EQ(csv.rfind("step,psi0,psi1,theta,distance,conserved\n", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);  // header + steps 0..5
}

// Step D / Step G: the presses are state (gan.manual), replayed from the start with the main
// run's parameters; "DG" is one alternating step, and the report carries the path.
TEST(GanScene, StepDThenStepGReplaysAsOneAlternatingStep) {
    GanScene scene = scene_with({"gan.lr=0.2", "gan.gamma=0.5", "gan.start=[0.9,0.2,-0.7]"});
    EXPECT_EQ(scene.manual_path().size(), 1u);
    scene.step_player(gan::Player::Critic);
    scene.step_player(gan::Player::Generator);
    scene.update();
    ASSERT_EQ(scene.manual_path().size(), 3u);
    EXPECT_EQ(scene.params().manual, "DG");
    gan::Params alt = scene.params().sim;
    alt.method = gan::Method::Alternating;
    alt.n_critic = 1;
    const gan::State expected = gan::step(alt, scene.params().start);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(scene.manual_path()[2][i], expected[i], 1e-15);
    // D moved only the critic (ψ0, ψ1), G only θ.
    EXPECT_EQ(scene.manual_path()[1][2], scene.params().start[2]);
    EXPECT_EQ(scene.manual_path()[2][0], scene.manual_path()[1][0]);
    // A new lr replays the same presses; the report holds them.
    scene.set_lr(0.1);
    const Json r = scene.report();
    EXPECT_EQ(r["manual"]["presses"], "DG");
    EXPECT_EQ(r["manual"]["states"].size(), 3u);
    alt.lr = 0.1;
    EXPECT_NEAR(r["manual"]["end"][2].get<double>(), gan::step(alt, scene.params().start)[2],
                1e-15);
    scene.clear_manual();
    scene.update();
    EXPECT_EQ(scene.manual_path().size(), 1u);
}

TEST(GanScene, ManualPressesAreValidatedByName) {
    try {
        scene_with({"gan.manual=DGX"});
        FAIL() << "accepted a press that is not D or G";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("gan.manual must be a string of D and G"),
                  std::string::npos)
            << e.what();
    }
    GanScene scene = scene_with({"gan.manual=" + std::string(2000, 'D')});
    EXPECT_THROW(scene.step_player(gan::Player::Generator), UserError);
    EXPECT_EQ(scene.params().manual.size(), 2000u);  // nothing lost
}

// The sweep of lr against closed forms on the bilinear game: simultaneous GDA's step map has
// |λ| = √(1 + η²) (never converges), alternating's |λ| = 1 for η < 2 (cycles).
TEST(GanScene, LrSweepMatchesTheBilinearClosedForms) {
    GanScene sim = scene_with({"gan.system=bilinear", "gan.start=[1,1]", "gan.sweep=lr"});
    const Json r = sim.report()["sweep"];
    EXPECT_EQ(r["key"], "lr");
    ASSERT_EQ(r["values"].size(), static_cast<size_t>(GanScene::kSweepCount));
    EXPECT_NEAR(r["values"][0].get<double>(), 0.01, 1e-15);
    EXPECT_NEAR(r["values"].back().get<double>(), 2.0, 1e-12);
    for (size_t i = 0; i < r["values"].size(); ++i) {
        const double eta = r["values"][i];
        EXPECT_NEAR(r["spectral_radius_map"][i].get<double>(), std::sqrt(1 + eta * eta), 1e-12);
    }
    // γ has no effect on the bilinear game: its sweep is flat (switching the system to
    // bilinear with the γ sweep once threw in every frame).
    GanScene flat = scene_with({"gan.system=bilinear", "gan.start=[1,1]", "gan.gamma=1"});
    for (const auto& p : flat.radius_sweep()) EXPECT_NEAR(p.radius, std::sqrt(1 + 0.01), 1e-12);
    GanScene alt = scene_with(
        {"gan.system=bilinear", "gan.start=[1,1]", "gan.sweep=lr", "gan.method=alternating"});
    const Json a = alt.report()["sweep"];
    for (size_t i = 0; i < a["values"].size(); ++i) {
        if (a["values"][i].get<double>() < 1.99)
            EXPECT_NEAR(a["spectral_radius_map"][i].get<double>(), 1.0, 1e-12);
    }
    // n_critic: one point per integer, 1…30; the swept key's own value recomputes nothing.
    GanScene nc = scene_with({"gan.sweep=n_critic", "gan.method=alternating"});
    EXPECT_EQ(nc.radius_sweep().size(), 30u);
    const int before = nc.recomputes(GanScene::Part::Radius);
    nc.set_n_critic(5);
    nc.update();
    EXPECT_EQ(nc.recomputes(GanScene::Part::Radius), before);
    nc.set_lr(0.05);
    nc.update();
    EXPECT_EQ(nc.recomputes(GanScene::Part::Radius), before + 1);
    EXPECT_THROW(nc.set_sweep("g0"), UserError);
}

// The β sweep of heavy-ball momentum on the bilinear game, against its closed form: per
// eigenvalue a = ±i of v's matrix, m' = βm + η·a·x, x' = x + m' has the characteristic
// polynomial λ² − (1 + β + ηa)λ + β.
TEST(GanScene, MomentumSweepMatchesTheHeavyBallClosedForm) {
    GanScene hb = scene_with({"gan.system=bilinear", "gan.start=[1,1]", "gan.method=heavy_ball",
                              "gan.sweep=beta", "gan.lr=0.2"});
    const Json r = hb.report()["sweep"];
    EXPECT_EQ(r["key"], "beta");
    ASSERT_EQ(r["values"].size(), static_cast<size_t>(GanScene::kSweepCount));
    EXPECT_DOUBLE_EQ(r["values"][0].get<double>(), -0.95);
    EXPECT_DOUBLE_EQ(r["values"].back().get<double>(), 0.95);
    for (size_t i = 0; i < r["values"].size(); ++i) {
        const double beta = r["values"][i];
        double radius = 0;
        for (double sign : {1.0, -1.0}) {
            const std::complex<double> b(1 + beta, 0.2 * sign);  // 1 + β + ηa
            const std::complex<double> d = std::sqrt(b * b - 4.0 * beta);
            radius = std::max({radius, std::abs((b + d) / 2.0), std::abs((b - d) / 2.0)});
        }
        EXPECT_NEAR(r["spectral_radius_map"][i].get<double>(), radius, 1e-10) << beta;
    }
    // Instance noise on Mescheder's Dirac-GAN: σ = 0 is the plain GAN (√(1 + η²/4)), and more
    // noise damps the step map.
    GanScene noise = scene_with({"gan.system=dirac2", "gan.start=[1,1]",
                                 "gan.regularizer=gan+noise", "gan.sweep=sigma", "gan.lr=0.1"});
    const auto& pts = noise.radius_sweep();
    ASSERT_FALSE(pts.empty());
    EXPECT_DOUBLE_EQ(pts.front().value, 0.0);
    EXPECT_NEAR(pts.front().radius, std::sqrt(1 + 0.01 / 4), 1e-9);
    EXPECT_LT(pts.back().radius, 1.0);
}
