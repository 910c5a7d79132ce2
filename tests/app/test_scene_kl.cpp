// KlScene headless: the live fit's per-frame budget and its floor of work (with a fake clock),
// deferred fits, play/step/reset, what each setter recomputes, setter validation, and that
// the report holds the scene's own numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.hpp"
#include "kl_model.hpp"
#include "scene_kl.hpp"

using namespace genlab;
using Part = KlScene::Part;

namespace {

// A clock driven by the work done: each iteration of the forward and the reverse fit costs
// `cost` seconds (0: a clock standing still, an infinitely fast machine).
struct FakeClock {
    double cost = 0;
    const KlScene* scene = nullptr;
    KlScene::Clock clock() {
        return [this] {
            return scene ? 100 + cost * (scene->fit(0).iterations + scene->fit(1).iterations) : 0;
        };
    }
};

Json state_with(std::initializer_list<std::pair<const char*, Json>> changes) {
    Json s = KlModel().defaults();
    for (const auto& [k, v] : changes) s[k] = v;
    return KlModel().normalize(s);
}

kl::Vec vec(std::initializer_list<double> v) {
    kl::Vec out(static_cast<int>(v.size()));
    int i = 0;
    for (double x : v) out[i++] = x;
    return out;
}

// A scene whose loaded fits are finished (the clock standing still), then edited so the
// live fits restart from q's start: the state right after a drag.
void finish_then_edit(KlScene& scene) {
    scene.finish_pending_fits();
    ASSERT_TRUE(scene.all_done());
    scene.set_mode_mean(1, vec({2.5}));
    ASSERT_TRUE(scene.playing());
    ASSERT_EQ(scene.fit(0).iterations, 0);
}

}  // namespace

TEST(KlScene, LiveFitStopsAtTheBudgetAboveTheFloor) {
    FakeClock clock;
    KlScene scene(clock.clock());
    clock.scene = &scene;
    finish_then_edit(scene);
    // 0.1 ms per iteration of both fits: the 8.55 ms budget is passed after 86 iterations,
    // above the default's floor of 50.
    clock.cost = 0.5e-4;
    scene.set_fit_budget(0.00855);
    ASSERT_EQ(scene.work_floor(), 50);
    scene.tick(1 / 60.0, 1);
    EXPECT_EQ(scene.fit(0).iterations, 86);
    EXPECT_EQ(scene.fit(1).iterations, 86);
    EXPECT_TRUE(scene.playing());
}

TEST(KlScene, AFrameOverBudgetStillDoesTheFloor) {
    FakeClock clock;
    KlScene scene(clock.clock());
    clock.scene = &scene;
    finish_then_edit(scene);
    clock.cost = 1.0;  // every iteration blows the 8 ms budget
    scene.tick(1 / 60.0, 1);
    // A quarter of the default's 200 iterations.
    EXPECT_EQ(scene.fit(0).iterations, 50);
    EXPECT_EQ(scene.fit(1).iterations, 50);
    scene.tick(1 / 60.0, 1);
    EXPECT_EQ(scene.fit(0).iterations, 100);
}

TEST(KlScene, TheFloorScalesWithTheSettingsCost) {
    FakeClock clock;
    // 2-D (96² nodes, × dim² = 4), three modes, JS as a third fit: about 48× the default's
    // cost per iteration, so a floor of one iteration.
    Json s = KlModel().defaults();
    s["dim"] = 2;
    s["family"] = "js";
    s["target"].push_back({{"weight", 0.5}, {"mean", {0.0, 3.0}}, {"std", {0.8, 0.8}}});
    KlScene scene(clock.clock());
    clock.scene = &scene;
    scene.set_state(KlModel().normalize(s));
    EXPECT_EQ(scene.work_floor(), 1);
    // The same setting without the third fit and with two modes: 2-D alone costs 18×.
    s["family"] = "none";
    s["target"].erase(2);
    scene.set_state(KlModel().normalize(s));
    EXPECT_EQ(scene.work_floor(), 2);
    clock.cost = 1.0;
    scene.reset();                                            // (drops the load's pending fits)
    scene.set_iterations(scene.params().options.iterations);  // an edit: a live re-fit
    scene.tick(1 / 60.0, 1);
    EXPECT_EQ(scene.fit(0).iterations, 2);
    // Never above the iterations per frame.
    scene.set_state(state_with({{"iterations_per_frame", 10}}));
    EXPECT_EQ(scene.work_floor(), 10);
}

TEST(KlScene, TheDefaultRefitsWithinAFewFramesEvenOverBudget) {
    for (double step : {0.0, 1.0}) {  // a fast machine, and one where every frame is over
        FakeClock clock;
        KlScene scene(clock.clock());
        clock.scene = &scene;
        clock.scene = &scene;
        finish_then_edit(scene);
        clock.cost = step;
        int frames = 0;
        while (scene.playing() && frames < 1000) scene.tick(1 / 60.0, 1), ++frames;
        EXPECT_TRUE(scene.all_done());
        EXPECT_TRUE(scene.fit(0).converged && scene.fit(1).converged);
        EXPECT_EQ(scene.frames_fitting(), frames);
        // 200 iterations a frame on time; the floor of 50 over budget.
        const int most = std::max(scene.fit(0).iterations, scene.fit(1).iterations);
        EXPECT_EQ(frames, (most + (step == 0 ? 199 : 49)) / (step == 0 ? 200 : 50)) << step;
        EXPECT_LE(frames, step == 0 ? 3 : 12) << step;
        EXPECT_FALSE(scene.wants_frames());
    }
}

TEST(KlScene, LoadedFitsWaitForFirstUseAndGetOneSecond) {
    FakeClock clock;
    KlScene scene(clock.clock());
    clock.scene = &scene;
    scene.set_state(state_with({{"iterations", 100000}, {"tolerance", 0}}));
    EXPECT_TRUE(scene.fits_pending());
    EXPECT_EQ(scene.fit(0).iterations, 0);  // nothing fitted at load
    EXPECT_FALSE(scene.playing());
    // 1/1400 s per iteration of a fit: chunks of 200 iterations (0.29 s) until a second has
    // passed, four of them.
    clock.cost = 1 / 1400.0;
    scene.tick(1 / 60.0, 1);
    EXPECT_FALSE(scene.fits_pending());
    EXPECT_EQ(scene.fit(0).iterations, 800 + 50);  // then this frame's live share (the floor)
    EXPECT_TRUE(scene.playing());                  // unfinished: goes on fitting live
    EXPECT_TRUE(scene.wants_frames());
}

TEST(KlScene, PlayStepReset) {
    FakeClock clock;
    KlScene scene(clock.clock());
    clock.scene = &scene;
    // Step on a loaded state: the pending fits finish first (they are done), so the step
    // starts over from q's start and takes one iteration.
    scene.step();
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.fit(0).iterations, 1);
    EXPECT_EQ(scene.fit(1).iterations, 1);
    scene.step();
    EXPECT_EQ(scene.fit(0).iterations, 2);
    // Paused: a frame does nothing.
    EXPECT_FALSE(scene.tick(1 / 60.0, 1));
    EXPECT_EQ(scene.fit(0).iterations, 2);
    // Play continues from there, slowly enough to watch (issue 12: it used to finish in one
    // frame): 60 steps a second × the toolbar's speed, fractions carried across frames.
    scene.set_playing(true);
    EXPECT_TRUE(scene.wants_frames());
    scene.tick(1 / 60.0, 1);
    EXPECT_EQ(scene.fit(0).iterations, 3);
    scene.tick(0.5, 1);
    EXPECT_EQ(scene.fit(0).iterations, 33);
    scene.tick(0.01, 1);  // 0.6 of a step: nothing yet
    EXPECT_EQ(scene.fit(0).iterations, 33);
    scene.tick(0.01, 1);  // 1.2: one
    EXPECT_EQ(scene.fit(0).iterations, 34);
    scene.tick(0.1, 10);  // speed 10: 60 steps in 0.1 s
    EXPECT_EQ(scene.fit(0).iterations, 94);
    scene.tick(10, 10);  // never more than the iterations per frame (200), or the end
    EXPECT_LE(scene.fit(0).iterations, 294);
    EXPECT_TRUE(scene.fit(0).iterations == 294 || scene.fit(0).converged);
    EXPECT_GT(scene.fit(0).iterations, 94);
    // Reset: back to q's start, paused.
    scene.reset();
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.fit(0).iterations, 0);
    EXPECT_EQ(scene.fit(1).q.mean[0], scene.params().q_init.mean[0]);
    // Play to the end; then play again starts over.
    scene.set_playing(true);
    while (scene.playing()) scene.tick(1 / 60.0, 1);
    ASSERT_TRUE(scene.all_done());
    const int done_at = scene.fit(1).iterations;
    EXPECT_GT(done_at, 0);
    scene.set_playing(true);
    EXPECT_EQ(scene.fit(1).iterations, 0);
    scene.tick(0.5, 1);
    EXPECT_EQ(scene.fit(1).iterations, std::min(30, done_at));
    // An edit while playing re-fits live again (the frame's budget, not slow motion).
    scene.set_lr(0.04);
    scene.tick(1 / 60.0, 1);
    EXPECT_GE(scene.fit(0).iterations, 150);  // live: up to 200 a frame, not one
    // A new state stops play.
    scene.set_state(KlModel().defaults());
    EXPECT_FALSE(scene.playing());
}

TEST(KlScene, DraggingAModeRefitsAndRecomputesWhatDependsOnP) {
    KlScene scene;
    scene.set_dimension(2);
    scene.finish_pending_fits();
    scene.update();
    const int fits = scene.recomputes(Part::Fits), land = scene.recomputes(Part::Landscapes),
              density = scene.recomputes(Part::Density), mc = scene.recomputes(Part::MonteCarlo);
    scene.set_mode_mean(1, vec({2.5, 0.5}));
    EXPECT_EQ(scene.recomputes(Part::Fits), fits + 1);
    EXPECT_TRUE(scene.playing());
    // The landscapes wait for update (the view's "drag ended").
    EXPECT_TRUE(scene.landscapes_dirty());
    EXPECT_EQ(scene.recomputes(Part::Landscapes), land);
    scene.update();
    EXPECT_EQ(scene.recomputes(Part::Landscapes), land + 1);
    EXPECT_EQ(scene.recomputes(Part::Density), density + 1);
    EXPECT_EQ(scene.recomputes(Part::MonteCarlo), mc + 1);
    EXPECT_EQ(scene.params().target[1].mean[1], 0.5);
}

TEST(KlScene, MovingQsStartRefitsButLeavesPsDensity) {
    KlScene scene;
    scene.set_dimension(2);
    scene.finish_pending_fits();
    scene.update();
    const int fits = scene.recomputes(Part::Fits), land = scene.recomputes(Part::Landscapes),
              density = scene.recomputes(Part::Density);
    const KlBox box = scene.density().box;
    scene.set_q_start_mean(vec({-1, 1}));
    scene.update();
    EXPECT_EQ(scene.recomputes(Part::Fits), fits + 1);
    EXPECT_EQ(scene.fit(0).q.mean[0], -1);  // restarted from the new start
    EXPECT_EQ(scene.recomputes(Part::Density), density);
    EXPECT_EQ(scene.density().box.x0, box.x0);  // p's picture does not move
    // The landscapes' box holds q's start and restarts use its scale: they follow.
    EXPECT_EQ(scene.recomputes(Part::Landscapes), land + 1);
}

TEST(KlScene, DisplaySettingsRecomputeNothingExpensive) {
    KlScene scene;
    scene.finish_pending_fits();
    scene.update();
    const auto counts = [&] {
        return std::vector<int>{scene.recomputes(Part::Fits), scene.recomputes(Part::Landscapes),
                                scene.recomputes(Part::Density), scene.recomputes(Part::Table),
                                scene.recomputes(Part::MonteCarlo)};
    };
    const std::vector<int> before = counts();
    const int iterations = scene.fit(0).iterations;
    const std::uint64_t revision = scene.revision();
    scene.set_shade("forward");
    scene.set_iterations_per_frame(50);
    scene.update();
    EXPECT_EQ(counts(), before);
    EXPECT_EQ(scene.fit(0).iterations, iterations);  // the fits were not restarted
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.revision(), revision + 2);  // but the state changed
    // The shade shows the forward integrand p log(p/q) at the forward fit.
    const KlCurves c = scene.curves(-5, 5, 10);
    ASSERT_EQ(c.shade.size(), 11u);
    const double p = scene.p_density(c.x[3]), q = scene.q_density(0, c.x[3]);
    EXPECT_DOUBLE_EQ(c.p[3], p);
    EXPECT_NEAR(c.shade[3], p * std::log(p / q), 1e-15);
    EXPECT_TRUE(c.q[2].empty());  // no third fit
    // More Monte Carlo samples: only the estimate.
    scene.set_mc_samples(128);
    scene.update();
    std::vector<int> expect = before;
    ++expect[4];
    EXPECT_EQ(counts(), expect);
    EXPECT_EQ(scene.monte_carlo().samples, 128);
}

TEST(KlScene, ThirdFitSettingsLeaveTheLandscapes) {
    KlScene scene;
    scene.finish_pending_fits();
    scene.update();
    const int fits = scene.recomputes(Part::Fits), land = scene.recomputes(Part::Landscapes);
    scene.set_family("alpha");
    scene.set_alpha(0.3);
    EXPECT_FALSE(scene.landscapes_dirty());
    EXPECT_EQ(scene.recomputes(Part::Fits), fits + 2);
    EXPECT_TRUE(scene.fit_active(2));
    EXPECT_EQ(scene.objective(2), kl::Objective::Alpha);
    scene.set_family("alpha");  // unchanged: nothing
    EXPECT_EQ(scene.recomputes(Part::Fits), fits + 2);
    // The optimizer settings do reach the restarts.
    scene.set_lr(0.02);
    scene.update();
    EXPECT_EQ(scene.recomputes(Part::Landscapes), land + 1);
    for (const kl::Fit& f : scene.landscape(1).restarts) EXPECT_GT(f.iterations, 0);
    EXPECT_EQ(static_cast<int>(scene.landscape(1).restarts.size()), KlScene::kRestarts);
}

TEST(KlScene, TheTableFollowsEachFitsQ) {
    KlScene scene;
    scene.finish_pending_fits();
    const auto [pq, qp] = scene.kls(1);
    const int table = scene.recomputes(Part::Table);
    scene.kls(1);  // unchanged q: cached
    EXPECT_EQ(scene.recomputes(Part::Table), table);
    scene.step();  // restarts from q's start: q moved
    const auto moved = scene.kls(1);
    EXPECT_EQ(scene.recomputes(Part::Table), table + 1);
    EXPECT_NE(moved.second, qp);
    (void)pq;
}

TEST(KlScene, SettersValidateWithTheJsonKeyNames) {
    KlScene scene;
    const Json before = scene.state();
    const auto expect_error = [&](const std::function<void()>& f, const std::string& key) {
        try {
            f();
            ADD_FAILURE() << "no error for " << key;
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    };
    expect_error([&] { scene.set_lr(20); }, "kl.lr must be a number in [1e-05, 10] (got 20");
    expect_error([&] { scene.set_lr(NAN); }, "kl.lr");
    expect_error([&] { scene.set_iterations(-1); }, "kl.iterations");
    expect_error([&] { scene.set_iterations_per_frame(5001); }, "kl.iterations_per_frame");
    expect_error([&] { scene.set_mc_samples(0); }, "kl.mc_samples");
    expect_error([&] { scene.set_alpha(1); }, "kl.alpha");
    expect_error([&] { scene.set_tolerance(2); }, "kl.tolerance");
    expect_error([&] { scene.set_dimension(3); }, "kl.dim");
    expect_error([&] { scene.set_family("kl"); }, "kl.family");
    expect_error([&] { scene.set_shade("both"); }, "kl.shade");
    EXPECT_EQ(scene.state(), before);
    // Drags clamp to the same ranges that loading accepts.
    scene.set_mode_mean(0, vec({1e9}));
    EXPECT_EQ(scene.params().target[0].mean[0], kl_keys::target_mean.hi);
    scene.set_weight(0, 0);
    EXPECT_EQ(scene.params().target[0].weight, kl_keys::target_weight.lo);
    scene.set_q_start_point(0, 9);  // log σ held within ±4
    EXPECT_NEAR(scene.params().q_init.params()[1], 4, 1e-12);
    const double sd = std::sqrt(scene.params().target[1].cov(0, 0));
    scene.scale_mode(1, 1e9);  // σ would leave its range: ignored
    EXPECT_EQ(std::sqrt(scene.params().target[1].cov(0, 0)), sd);
    EXPECT_NO_THROW(KlModel().normalize(scene.state()));
}

TEST(KlScene, EveryKeysRangeIsWhatLoadingAccepts) {
    const KlModel model;
    for (const Json& k : model.keys()) {
        const std::string key = k["key"].get<std::string>().substr(3);  // after "kl."
        if (key.find('.') != std::string::npos) continue;               // target[], q_init: below
        for (const char* end : {"min", "max"}) {
            Json s = model.defaults();
            s[key] = k[end];
            EXPECT_NO_THROW(model.normalize(s)) << key << " = " << k[end];
            const double v = k[end].get<double>();
            const double out = k["kind"] == "integer" ? 1 : std::max(1e-6, std::abs(v) * 0.01);
            s[key] = std::string(end) == "min" ? v - out : v + out;
            EXPECT_THROW(model.normalize(s), UserError) << key << " = " << s[key];
        }
    }
    Json s = model.defaults();
    s["target"][0]["weight"] = kl_keys::target_weight.hi;
    s["target"][0]["std"] = {kl_keys::target_std.lo};
    s["q_init"]["mean"] = {kl_keys::q_mean.lo};
    EXPECT_NO_THROW(model.normalize(s));
    s["target"][0]["weight"] = kl_keys::target_weight.hi * 1.01;
    EXPECT_THROW(model.normalize(s), UserError);
}

TEST(KlScene, ReportHoldsTheScenesFits) {
    const KlModel model;
    const Json state = state_with({{"family", "js"}});
    KlScene scene;
    scene.set_state(state);
    const Json r = scene.report();
    for (int i = 0; i < 3; ++i) {
        const Json& f = r[i == 0 ? "forward" : i == 1 ? "reverse" : "family"];
        EXPECT_EQ(f["mean"][0].get<double>(), scene.fit(i).q.mean[0]);
        EXPECT_EQ(f["std"][0].get<double>(), std::sqrt(scene.fit(i).q.cov()(0, 0)));
        EXPECT_EQ(f["iterations"].get<int>(), scene.fit(i).iterations);
        EXPECT_EQ(f["converged"].get<bool>(), scene.fit(i).converged);
        EXPECT_EQ(f["kl_pq"].get<double>(), scene.kls(i).first);
        EXPECT_EQ(f["kl_qp"].get<double>(), scene.kls(i).second);
    }
    EXPECT_EQ(r["forward_closed_form"]["mean"][0].get<double>(), scene.closed_form().mean[0]);
    EXPECT_EQ(r["family"]["objective"], "js");
    // The model's report is this scene's, and each fit is the one-shot kl::fit, bit for bit.
    EXPECT_EQ(model.report(state), r);
    const KlParams p = kl_params_from_json(state);
    const kl::Quadrature quad(1);
    const kl::Fit one_shot = kl::fit(p.target, p.q_init, kl::Objective::Reverse, p.options, quad);
    EXPECT_EQ(scene.fit(1).path, one_shot.path);
    EXPECT_EQ(scene.fit(1).values, one_shot.values);
    // The CSV rows are those paths: a header, then one row per point of each.
    const std::string csv = scene.csv();
    const size_t rows = std::count(csv.begin(), csv.end(), '\n');
    EXPECT_EQ(rows, 1 + scene.fit(0).path.size() + scene.fit(1).path.size());
    EXPECT_EQ(csv.rfind("objective,iteration,value,theta0,theta1\n", 0), 0u);
}

TEST(KlScene, AFitThatIsRunningShowsTheSameNumbersAsItsReport) {
    FakeClock clock;
    KlScene scene(clock.clock());
    clock.scene = &scene;
    finish_then_edit(scene);
    scene.tick(1 / 60.0, 1);  // part-way
    ASSERT_FALSE(scene.all_done());
    const Json r = scene.report();  // finishes the live fits it shows
    EXPECT_TRUE(scene.all_done());
    EXPECT_EQ(r["reverse"]["mean"][0].get<double>(), scene.fit(1).q.mean[0]);
    EXPECT_EQ(r["reverse"]["kl_qp"].get<double>(), scene.kls(1).second);
}

TEST(KlScene, DimensionSwitchKeepsThePictureAndRefits) {
    KlScene scene;
    scene.set_dimension(2);
    EXPECT_EQ(scene.dim(), 2);
    EXPECT_EQ(scene.params().target[1].mean[0], 3.0);
    EXPECT_EQ(scene.params().target[1].mean[1], 0.0);
    EXPECT_TRUE(scene.playing());
    const KlDensity& d = scene.density();
    EXPECT_EQ(std::max(d.nx, d.ny), KlScene::kDensityGrid);
    EXPECT_GT(d.peak, 0);
    EXPECT_EQ(scene.home().x0, scene.support_box().x0);
    // The plot's view (wide, equal aspect): the heatmap covers it with square cells (it once
    // covered a square in the middle of it).
    scene.set_density_view({-12, -4, 12, 4});
    const KlDensity& wide = scene.density();
    EXPECT_EQ(wide.box.x0, -12);
    EXPECT_EQ(wide.box.y1, 4);
    EXPECT_EQ(wide.nx, KlScene::kDensityGrid);
    EXPECT_EQ(wide.ny, std::lround(KlScene::kDensityGrid / 3.0));
    EXPECT_EQ(wide.values.size(), static_cast<size_t>(wide.nx * wide.ny));
}

// 2-D: a fit that is still moving shows its KLs by the optimizer's rule (the resolved rule
// costs tens of ms a value, every frame of Play); once it stops they are resolved to ~1e-8.
TEST(KlScene, MovingTwoDFitsShowTheCheapRuleThenTheResolvedOne) {
    FakeClock clock;
    KlScene scene(clock.clock());
    clock.scene = &scene;
    Json s = KlModel().defaults();
    s["dim"] = 2;
    s["iterations"] = 5000;
    s["tolerance"] = 0;
    scene.set_state(KlModel().normalize(s));
    clock.cost = 1;  // every chunk "takes" a second: the fits stay unfinished
    scene.tick(1 / 60.0, 1);
    ASSERT_FALSE(scene.fit_done(0));
    scene.update();
    EXPECT_FALSE(scene.kls_resolved(0));
    const kl::Quadrature quad(2);
    const kl::Mixture& target = scene.params().target;
    EXPECT_EQ(scene.kls(0).first, kl::kl_pq(target, scene.fit(0).q, quad, kl::Rule::Base));
    // Settled (the same settings, fitted to the end): resolved.
    s["iterations"] = 50;
    KlScene settled;
    settled.set_state(KlModel().normalize(s));
    settled.finish_pending_fits();
    settled.update();
    ASSERT_TRUE(settled.fit_done(0));
    EXPECT_TRUE(settled.kls_resolved(0));
    EXPECT_EQ(settled.kls(0).first, kl::kl_pq(target, settled.fit(0).q, quad));
    EXPECT_NE(settled.kls(0).first, kl::kl_pq(target, settled.fit(0).q, quad, kl::Rule::Base));
}
