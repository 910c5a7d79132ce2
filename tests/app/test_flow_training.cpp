// Flow training in the panel (issue 13): the flow.train keys and their errors, the report that
// trains headless, the claims of the training presets' kind (a K = 32 planar flow on U1, the
// Q3.2 pair), frames versus one headless run, keeping the trained layers, user targets.
//
// [SECTION] Helpers
// [SECTION] Keys and errors
// [SECTION] Reports that train
// [SECTION] Transport and the trained state
// [SECTION] User targets
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "../core/sanitized.hpp"
#include "errors.hpp"
#include "flow_layers.hpp"
#include "flow_model.hpp"
#include "scene_flow.hpp"
#include "state.hpp"

using namespace genlab;
namespace ft = flow::train;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

Json flow_state(const std::vector<std::string>& sets) {
    Json s = default_state();
    apply_set(s, "panel=flow");
    for (const auto& set : sets) apply_set(s, set);
    return s;
}

FlowScene scene_of(const std::vector<std::string>& sets) {
    FlowScene scene;
    scene.set_state(FlowModel().normalize(flow_state(sets)["flow"]));
    return scene;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// log ∫ e^{−U1} by a midpoint rule on [−6, 6]² (U1 is below e^{−20} outside): the test's own
// normaliser, independent of the code under test.
double log_z_u1() {
    const int n = 1200;
    const double h = 12.0 / n;
    const ft::Target t = ft::Target::energy(1);
    double sum = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            sum += std::exp(t.log_density({-6 + (i + 0.5) * h, -6 + (j + 0.5) * h}));
    return std::log(sum * h * h);
}

flow::Stack trained_stack(const Json& report) {
    flow::Stack s;
    const Json& layers = report["flow"]["train"]["trained_layers"];
    for (size_t k = 0; k < layers.size(); ++k)
        s.layers.push_back(flow_layer_from_json(layers[k], static_cast<int>(k)));
    return s;
}

// The fraction of 20,000 samples of the flow within radius r of c.
double mass_near(const flow::Stack& s, const flow::Vec2& c, double r) {
    std::mt19937 rng(5);
    std::normal_distribution<double> n01;
    Eigen::Matrix2Xd z(2, 20000);
    for (int i = 0; i < z.cols(); ++i)
        z.col(i) = s.base_mean + s.base_std.cwiseProduct(flow::Vec2(n01(rng), n01(rng)));
    const Eigen::Matrix2Xd x = flow::push_batch(s, z);
    int near = 0;
    for (int i = 0; i < x.cols(); ++i) near += (x.col(i) - c).norm() < r;
    return static_cast<double>(near) / x.cols();
}

Json report_of(const std::vector<std::string>& sets) {
    FlowScene scene = scene_of(sets);
    return Json{{"flow", scene.report()}};
}

const char* kTwoModes = R"(flow.target=[{"weight":0.5,"mean":[-2.5,0],"std":[0.3,0.3]},)"
                        R"({"weight":0.5,"mean":[2.5,0],"std":[0.3,0.3]}])";

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Keys and errors
//-----------------------------------------------------------------------------

TEST(FlowTrainKeys, MissingMembersTakeTheirDefaults) {
    const Json s = flow_state({R"(flow.train={"objective":"forward","target":"two_moons"})"});
    const Json t = FlowModel().normalize(s["flow"])["train"];
    EXPECT_EQ(t["objective"], "forward");
    EXPECT_EQ(t["target"], "two_moons");
    EXPECT_EQ(t["steps"], 2000);  // the default budget
    EXPECT_EQ(t["init"], "planar");
}

TEST(FlowTrainKeys, ASamplesOnlyTargetRefusesReverseKlNamingTheFix) {
    const std::string e = error_of([] {
        scene_of({"flow.mode=train", R"(flow.train={"target":"two_moons","objective":"reverse"})"});
    });
    EXPECT_TRUE(contains(e, "reverse KL needs a density")) << e;
    EXPECT_TRUE(contains(e, "flow.train.objective = forward")) << e;
    const std::string f = error_of([] {
        scene_of({"flow.mode=train", R"(flow.train={"target":"u2","objective":"forward"})"});
    });
    EXPECT_TRUE(contains(f, "flow.train.objective = reverse")) << f;
}

TEST(FlowTrainKeys, UntrainableLayersAndBadExpressionsAreNamed) {
    const std::string e = error_of([] {
        scene_of({"flow.mode=train", R"(flow.train={"init":"layers"})",
                  R"(flow.layers=[{"type":"relu","a":1,"b":1,"c":0}])"});
    });
    EXPECT_TRUE(contains(e, "flow.layers[0]")) << e;
    const std::string x = error_of([] { scene_of({R"(flow.train={"expression":"x1 + * 2"})"}); });
    EXPECT_TRUE(contains(x, "flow.train.expression")) << x;
    EXPECT_TRUE(contains(x, "position 5")) << x;
    const std::string y = error_of([] { scene_of({R"(flow.train={"expression":"y^2"})"}); });
    EXPECT_TRUE(contains(y, "x1 and x2")) << y;
    const std::string m = error_of([] {
        scene_of({"flow.mode=train", R"(flow.train={"target":"mixture"})", "flow.target=[]"});
    });
    EXPECT_TRUE(contains(m, "flow.target")) << m;
    // Points being drawn: accepted, nothing trains, and the report says why.
    FlowScene drawing =
        scene_of({"flow.mode=train", R"(flow.train={"target":"points","objective":"forward"})"});
    EXPECT_FALSE(drawing.training().ready());
    drawing.set_playing(true);
    EXPECT_FALSE(drawing.playing());
    const Json r = drawing.report();
    EXPECT_TRUE(contains(r["train"]["error"].get<std::string>(), "flow.train.points")) << r;
    EXPECT_TRUE(drawing.add_train_point({0, 0}));
    EXPECT_TRUE(drawing.add_train_point({1, 1}));
    EXPECT_TRUE(drawing.training().ready());
}

TEST(FlowTrainKeys, ABadEditKeepsTheRunningState) {
    FlowScene scene = scene_of({"flow.mode=train", R"(flow.train={"steps":40})"});
    scene.step();
    const int steps = scene.training().steps();
    ASSERT_GT(steps, 0);
    FlowTrainParams bad = scene.params().train;
    bad.target = "two_moons";  // with objective reverse
    EXPECT_THROW(scene.set_train(bad), UserError);
    EXPECT_EQ(scene.params().train.target, "u1");
    EXPECT_EQ(scene.training().steps(), steps);
}

//-----------------------------------------------------------------------------
// [SECTION] Reports that train
//-----------------------------------------------------------------------------

TEST(FlowTrainReport, K32PlanarOnU1LowersTheKlFiveFold) {
    // Rezende & Mohamed's Figure 3, U1 with K = 32, reverse KL, a fixed seed.
    const int steps = genlab::testing::kSanitized ? 600 : 3000;
    const Json r = report_of(
        {"flow.mode=train", R"(flow.train={"target":"u1","init":"planar","K":32,"steps":)" +
                                std::to_string(steps) + R"(,"lr":0.01,"batch":256,"seed":1})"});
    const Json& t = r["flow"]["train"];
    ASSERT_EQ(t["steps_run"], steps) << t["stop_reason"];
    const double log_z = log_z_u1();
    const double before = t["initial"]["reverse_objective"].get<double>() + log_z;
    const double after = t["final"]["reverse_objective"].get<double>() + log_z;
    std::printf("U1, K = 32: KL(q‖p) %.4f → %.4f (log Z = %.5f)\n", before, after, log_z);
    EXPECT_GT(before, 0);
    EXPECT_GT(after, -3 * t["final"]["reverse_se"].get<double>());  // a KL, up to its error
    EXPECT_LT(after, before / 5);
    // The curve is decimated, starts at step 1 and ends at the last step, and the running mean
    // fell.
    const Json& curve = t["loss_curve"];
    EXPECT_LE(curve.size(), 201u);
    EXPECT_EQ(curve.front()[0], 1);
    EXPECT_EQ(curve.back()[0], steps);
    EXPECT_LT(curve.back()[2].get<double>(), curve.front()[2].get<double>());
    // The layers the report gives are the stack that was trained, and stay invertible.
    EXPECT_EQ(t["trained_layers"].size(), 32u);
    EXPECT_EQ(r["flow"]["invertible"], "proved");
}

TEST(FlowTrainReport, Q32ForwardCoversBothModesAndReverseSeeksOne) {
    // Seeds 002/003 Q3.2 in the panel: one mixture, one initial stack (an affine layer started
    // near the right mode, then planar and radial layers), the two objectives.
    const std::string layers =
        R"(flow.layers=[{"type":"affine","mu":[2.0,0.3],"L":[[0.6,0],[0,0.6]]},)"
        R"({"type":"planar","w":[0.3,0.1],"u":[0.1,-0.2],"b":0,"enforce":true},)"
        R"({"type":"planar","w":[-0.1,0.3],"u":[0.2,0.1],"b":0,"enforce":true},)"
        R"({"type":"radial","z0":[0.5,0],"alpha":1,"beta":0.1}])";
    const int steps = genlab::testing::kSanitized ? 500 : 1500;
    const auto run = [&](const char* objective) {
        return trained_stack(report_of(
            {"flow.mode=train", kTwoModes, layers,
             std::string(R"(flow.train={"target":"mixture","init":"layers","objective":")") +
                 objective + R"(","steps":)" + std::to_string(steps) +
                 R"(,"lr":0.01,"batch":512,"seed":1})"}));
    };
    const flow::Stack fwd = run("forward"), rev = run("reverse");
    const double fl = mass_near(fwd, {-2.5, 0}, 1.5), fr = mass_near(fwd, {2.5, 0}, 1.5);
    const double rl = mass_near(rev, {-2.5, 0}, 1.5), rr = mass_near(rev, {2.5, 0}, 1.5);
    std::printf("mass near (−2.5, 0) / (2.5, 0): forward %.3f / %.3f, reverse %.3f / %.3f\n", fl,
                fr, rl, rr);
    EXPECT_GT(fl, 0.2);  // covering: mass on both modes
    EXPECT_GT(fr, 0.2);
    EXPECT_GT(rr, 0.8);  // seeking: one mode
    EXPECT_LT(rl, 0.05);
}

TEST(FlowTrainReport, CsvIsTheLossCurve) {
    FlowScene scene = scene_of({"flow.mode=train", R"(flow.train={"steps":30})"});
    const std::string csv = scene.csv();
    EXPECT_EQ(csv.rfind("step,loss,running_mean\n", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 31);
}

//-----------------------------------------------------------------------------
// [SECTION] Transport and the trained state
//-----------------------------------------------------------------------------

TEST(FlowTrainTransport, FramesAndOneHeadlessRunAgree) {
    const std::vector<std::string> sets = {"flow.mode=train",
                                           R"(flow.train={"steps":60,"steps_per_frame":7})"};
    FlowScene played = scene_of(sets);
    played.set_playing(true);
    int frames = 0;
    while (played.playing() && frames < 100) {
        played.tick(1.0 / 60, 1.0);
        ++frames;
    }
    EXPECT_EQ(played.training().steps(), 60);
    EXPECT_GE(frames, 60 / 7);
    EXPECT_FALSE(played.playing());  // stops at the budget
    FlowScene headless = scene_of(sets);
    (void)headless.report();
    const auto a = ft::pack(played.stack()), b = ft::pack(headless.stack());
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ((a - b).cwiseAbs().maxCoeff(), 0.0);  // the same steps, bit for bit
}

TEST(FlowTrainTransport, StepResetAndTheDensityFollowTheTrainedStack) {
    FlowScene scene = scene_of({"flow.mode=train", R"(flow.train={"steps_per_frame":20})"});
    const double before = scene.density().log_p(40, 40);
    scene.step();
    EXPECT_EQ(scene.training().steps(), 20);
    const double after = scene.density().log_p(40, 40);
    EXPECT_NE(before, after);
    scene.reset();
    EXPECT_EQ(scene.training().steps(), 0);
    EXPECT_DOUBLE_EQ(scene.density().log_p(40, 40), before);
}

TEST(FlowTrainTransport, KeepingTheTrainedLayersSavesThemInTheState) {
    FlowScene scene = scene_of({"flow.mode=train", R"(flow.train={"K":4,"steps":50})"});
    (void)scene.report();  // trains 50 steps
    const auto trained = ft::pack(scene.stack());
    scene.keep_trained_layers();
    const Json state = scene.state();
    EXPECT_EQ(state["train"]["init"], "layers");
    EXPECT_EQ(state["layers"].size(), 4u);
    EXPECT_EQ(scene.training().steps(), 0);  // a new run from the kept layers
    FlowScene reloaded;
    reloaded.set_state(FlowModel().normalize(state));
    EXPECT_LT((ft::pack(reloaded.stack()) - trained).cwiseAbs().maxCoeff(), 1e-12);
}

//-----------------------------------------------------------------------------
// [SECTION] User targets
//-----------------------------------------------------------------------------

TEST(FlowTrainTargets, AnExpressionGaussianIsFitByOneAffineLayer) {
    // log p̃ of N((1, −0.5), diag(0.25, 1)) as the user types it: reverse KL with one affine
    // layer recovers its moments (the expression's gradient is by central differences).
    const Json r = report_of(
        {"flow.mode=train",
         R"(flow.train={"target":"function","expression":"-((x1-1)^2/0.25 + (x2+0.5)^2)/2",)"
         R"("init":"affine","K":1,"steps":1500,"lr":0.02,"batch":512})"});
    const flow::Layer l = trained_stack(r).layers[0];
    const flow::Mat2 cov = l.L * l.L.transpose();
    EXPECT_NEAR(l.mu[0], 1.0, 0.03);
    EXPECT_NEAR(l.mu[1], -0.5, 0.05);
    EXPECT_NEAR(cov(0, 0), 0.25, 0.03);
    EXPECT_NEAR(cov(1, 1), 1.0, 0.1);
    EXPECT_NEAR(cov(0, 1), 0.0, 0.05);
    EXPECT_TRUE(r["flow"]["train"]["log_z"].is_null());  // unknown for a typed formula
}

TEST(FlowTrainTargets, DrawnPointsAreFitByForwardKl) {
    FlowScene scene = scene_of({"flow.mode=train",
                                R"(flow.train={"target":"points","objective":"forward",)"
                                R"("points":[[2,2],[2.2,1.8]],"init":"affine","K":1,"steps":800,)"
                                R"("lr":0.02})"});
    for (int i = 0; i < 40; ++i) EXPECT_TRUE(scene.add_train_point({2 + 0.01 * i, 2 - 0.01 * i}));
    EXPECT_EQ(scene.params().train.points.size(), 42u);
    (void)scene.report();
    const flow::Layer& l = scene.stack().layers[0];
    // An affine flow fit by maximum likelihood is the points' Gaussian: μ = their mean.
    EXPECT_NEAR(l.mu[0], 92.0 / 42, 0.05);
    EXPECT_NEAR(l.mu[1], 76.0 / 42, 0.05);
    // The target picture is a histogram of the points, normalized to mass 1 over the view.
    const FlowTraining::Image& img = scene.training().target_image({2, 2}, 1, 20);
    double mass = 0;
    for (float v : img.image) mass += v * (0.1 * 0.1);
    EXPECT_NEAR(mass, 1.0, 1e-6);
    EXPECT_TRUE(contains(img.normalization, "histogram of 42"));
}

TEST(FlowTrainTransport, AFrameRunsItsStepsWithinTheBudgetAndAtLeastOne) {
    // Slow steps: forward KL through 16 planar inverses at batch 2048 (tens of ms each here).
    FlowScene slow = scene_of({"flow.mode=train", kTwoModes,
                               R"(flow.train={"target":"mixture","objective":"forward","K":16,)"
                               R"("batch":2048,"steps_per_frame":50})"});
    EXPECT_EQ(slow.training().run_frame(1.0, 1.0), 1);
    // Fast steps: a small reverse-KL stack runs all steps_per_frame × speed.
    FlowScene fast =
        scene_of({"flow.mode=train", R"(flow.train={"K":2,"batch":16,"steps_per_frame":20})"});
    EXPECT_EQ(fast.training().run_frame(2.0, 1000.0), 40);
    EXPECT_EQ(fast.training().run_frame(0.01, 1000.0), 1);  // slow motion: one a frame
}

TEST(FlowTrainTargets, CouplingLayersTrainOnTwoMoonsByForwardKl) {
    // RealNVP from the Train tab: four coupling layers alternating the kept coordinate.
    const Json r =
        report_of({"flow.mode=train", R"(flow.train={"target":"two_moons","objective":"forward",)"
                                      R"("init":"coupling","K":4,"steps":300,"lr":0.01})"});
    const Json& t = r["flow"]["train"];
    ASSERT_EQ(t["trained_layers"].size(), 4u);
    EXPECT_EQ(t["trained_layers"][0]["type"], "coupling");
    EXPECT_NE(t["trained_layers"][0]["keep_z2"], t["trained_layers"][1]["keep_z2"]);
    EXPECT_LT(t["final"]["forward_objective"].get<double>(),
              t["initial"]["forward_objective"].get<double>() - 0.3);
    EXPECT_EQ(r["flow"]["invertible"], "proved");
}
