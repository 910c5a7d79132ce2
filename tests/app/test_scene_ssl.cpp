// The SSL-collapse scene: keys and their errors, the work budget, dirty recomputation (the
// switches recompute nothing), the time cursor, and a report whose verdicts and rates are
// the question's: Q5.4 collapses at 2λ_min(X′), SimSiam from a zero predictor does not.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include "errors.hpp"
#include "scene_ssl.hpp"

using namespace genlab;

namespace {

Json with(std::initializer_list<std::pair<const char*, Json>> changes) {
    Json s = ssl_model().defaults();
    for (const auto& [k, v] : changes) s[k] = v;
    return ssl_model().normalize(s);
}

std::string error_of(const Json& state) {
    try {
        ssl_model().normalize(state);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(SslModel, ErrorsNameTheKeyAndWhatIsAllowed) {
    Json s = ssl_model().defaults();
    s["xp_eigs"] = {1.0, 2.0};
    EXPECT_NE(error_of(s).find("ssl.xp_eigs"), std::string::npos) << error_of(s);
    s = ssl_model().defaults();
    s["x_eigs"] = {1.0, 0.0, 1.0, 1.0};
    EXPECT_NE(error_of(s).find("ssl.x_eigs[1]"), std::string::npos) << error_of(s);
    s = ssl_model().defaults();
    s["focus"] = "byol";
    EXPECT_NE(error_of(s).find("ssl.focus"), std::string::npos) << error_of(s);
    s = ssl_model().defaults();
    s["show_neither"] = 1;
    EXPECT_NE(error_of(s).find("ssl.show_neither"), std::string::npos) << error_of(s);
    s = ssl_model().defaults();
    s["dt"] = 0;
    EXPECT_NE(error_of(s).find("ssl.dt"), std::string::npos) << error_of(s);
}

TEST(SslModel, TheWorkBudgetRefusesAStallingStateAndNamesTheKeys) {
    Json s = ssl_model().defaults();
    s["x_eigs"] = std::vector<double>(8, 1.0);
    s["xp_eigs"] = std::vector<double>(8, 0.1);
    s["n2"] = 4;
    s["steps"] = 20000;
    const std::string e = error_of(s);
    EXPECT_NE(e.find("ssl.steps"), std::string::npos) << e;
    s["steps"] = 400;
    EXPECT_EQ(error_of(s), "");
}

TEST(SslScene, SwitchesAndFocusRecomputeNothing) {
    SslScene scene;
    scene.update();
    const int runs = scene.recomputes(SslScene::Part::Runs);
    const int problems = scene.recomputes(SslScene::Part::Problem);
    scene.set_shown(ssl::Variant::Neither, false);
    scene.set_focus(ssl::Variant::NoStopGrad);
    scene.update();
    EXPECT_EQ(scene.recomputes(SslScene::Part::Runs), runs);
    scene.set_weight_decay(0.1);
    scene.update();
    EXPECT_EQ(scene.recomputes(SslScene::Part::Runs), runs + 1);
    EXPECT_EQ(scene.recomputes(SslScene::Part::Problem), problems);
    scene.set_seed(5);
    scene.update();
    EXPECT_EQ(scene.recomputes(SslScene::Part::Problem), problems + 1);
    EXPECT_EQ(scene.state()["show_neither"], false);
    EXPECT_EQ(scene.state()["focus"], "no_stopgrad");
}

TEST(SslScene, SettersRefuseOutOfRangeAndKeepTheState) {
    SslScene scene;
    const Json before = scene.state();
    EXPECT_THROW(scene.set_dt(0), UserError);
    EXPECT_THROW(scene.set_weight_decay(-1), UserError);
    EXPECT_THROW(scene.set_x_eig(0, 0), UserError);
    EXPECT_EQ(scene.state(), before);
    scene.add_input();
    EXPECT_EQ(scene.params().n1(), 5);
    EXPECT_EQ(scene.problem().X.rows(), 5);
    for (int i = 0; i < 10; ++i) scene.remove_input();
    EXPECT_EQ(scene.params().n1(), 1);
}

TEST(SslScene, TheReportGivesTheQuestionsVerdictsAndRates) {
    SslScene scene;
    scene.set_state(with({{"wp_scale", 0.0}, {"steps", 2000}, {"dt", 0.05}}));
    const Json r = scene.report();
    const Json& v = r["variants"];
    EXPECT_EQ(v["simsiam"]["verdict"], "no collapse");
    EXPECT_GE(v["simsiam"]["norm_w_end"].get<double>(), v["simsiam"]["norm_w_start"].get<double>());
    // RK4 at dt = 0.05 conserves WWᵀ − W_pᵀW_p to O(dt⁴): ~5e-5 over t = 100.
    EXPECT_LT(v["simsiam"]["invariant_drift_max"].get<double>(), 2e-4);
    for (const char* name : {"no_stopgrad", "no_predictor", "neither"})
        EXPECT_EQ(v[name]["verdict"], "collapsed") << name;
    // λ_min(X′) = 0.1: Q5.4's rate 2λ_min(X′), the stop-gradient-only rate λ_min(X′).
    EXPECT_NEAR(r["lambda_min_xp"].get<double>(), 0.1, 1e-12);
    EXPECT_NEAR(v["neither"]["late_decay_rate"].get<double>(), 0.2, 2e-3);
    EXPECT_NEAR(v["no_predictor"]["late_decay_rate"].get<double>(), 0.1, 2e-3);
    EXPECT_NEAR(v["neither"]["lambda0"].get<double>(), 0.2, 1e-9);
    EXPECT_FALSE(v["simsiam"].contains("lambda0"));  // no H for the stop-gradient flow
    // The bound holds along the reported series.
    const Json& s = v["no_stopgrad"]["series"];
    for (size_t k = 0; k < s["t"].size(); ++k)
        EXPECT_LE(s["norm_w"][k].get<double>(), s["bound"][k].get<double>() * (1 + 1e-9));
    EXPECT_EQ(s["t"].back().get<double>(), 100.0);
    // The representations of the collapsed variants shrank; SimSiam's did not.
    const double rms0 = std::sqrt((scene.run(ssl::Variant::SimSiam).W.front() * scene.points())
                                      .colwise()
                                      .squaredNorm()
                                      .mean());
    EXPECT_GE(v["simsiam"]["at_cursor"]["representation_rms"].get<double>(), 0.9 * rms0);
    EXPECT_LT(v["neither"]["at_cursor"]["representation_rms"].get<double>(), 1e-3 * rms0);
}

TEST(SslScene, PlayRevealsTheRunFromTheStart) {
    SslScene scene;
    EXPECT_EQ(scene.shown_steps(), scene.params().spec.steps);
    scene.set_playing(true);
    EXPECT_EQ(scene.shown_steps(), 0);
    EXPECT_TRUE(scene.tick(1.0, 1.0));  // 1 s of a 6 s run
    EXPECT_EQ(scene.shown_steps(), scene.params().spec.steps / 6);
    EXPECT_EQ(scene.report()["shown_steps"], scene.params().spec.steps / 6);
    scene.reset();
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.shown_steps(), scene.params().spec.steps);
}

TEST(SslScene, CsvHoldsEveryStepOfEveryVariant) {
    SslScene scene;
    const std::string csv = scene.csv();
    const long lines = std::count(csv.begin(), csv.end(), '\n');
    EXPECT_EQ(lines, 1 + 4 * (scene.params().spec.steps + 1));
    EXPECT_EQ(csv.rfind("variant,step,t,norm_w,lambda_min_h,bound,sv1,sv2,", 0), 0u);
}
