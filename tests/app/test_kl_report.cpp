// The KL panel's keys and report through the model layer.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.hpp"
#include "kl_model.hpp"
#include "scene_kl.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

Json kl_report(const std::vector<std::string>& sets) {
    Json s = default_state();
    apply_set(s, "panel=kl");
    for (const auto& set : sets) apply_set(s, set);
    return make_report(s)["kl"];
}

}  // namespace

TEST(KlReport, TheExamCaseForwardCoversReverseSeeks) {
    const Json r = kl_report({});
    for (const char* fit : {"forward", "reverse"}) {
        for (const char* key : {"mean", "std", "kl_pq", "kl_qp", "iterations", "converged"}) {
            EXPECT_TRUE(r[fit].contains(key)) << fit << "." << key;
        }
        EXPECT_TRUE(r[fit]["converged"].get<bool>()) << fit;
    }
    // Modes at ±3 with σ = 0.8, equal weights: moments μ = 0, σ² = 0.64 + 9.
    EXPECT_NEAR(r["forward_closed_form"]["mean"][0].get<double>(), 0.0, 1e-12);
    EXPECT_NEAR(r["forward_closed_form"]["std"][0].get<double>(), std::sqrt(9.64), 1e-9);
    EXPECT_NEAR(r["forward"]["mean"][0].get<double>(), 0.0, 1e-3);
    EXPECT_NEAR(r["forward"]["std"][0].get<double>(), std::sqrt(9.64), 1e-3);
    EXPECT_NEAR(r["reverse"]["mean"][0].get<double>(), 3.0, 0.01);  // the mode nearer the start
    EXPECT_NEAR(r["reverse"]["std"][0].get<double>(), 0.8, 0.01);
    // One mode of two equal ones: KL(q‖p) = log 2 (up to the other mode's overlap).
    EXPECT_NEAR(r["reverse"]["kl_qp"].get<double>(), std::log(2.0), 1e-3);
    EXPECT_FALSE(r.contains("family"));
}

TEST(KlReport, FamilyFitIsReportedWhenChosen) {
    const Json r = kl_report({"kl.family=js"});
    ASSERT_TRUE(r.contains("family"));
    EXPECT_EQ(r["family"]["objective"], "js");
}

TEST(KlState, DimensionSwitchMapsTheTarget) {
    Json s = default_state();
    apply_set(s, "kl.dim=2");
    EXPECT_EQ(s["kl"]["target"][1]["mean"], Json::array({3.0, 0.0}));
    EXPECT_EQ(s["kl"]["target"][1]["std"], Json::array({0.8, 0.8}));
    apply_set(s, "kl.dim=1");
    EXPECT_EQ(s["kl"]["target"][1]["mean"], Json::array({3.0}));
}

TEST(KlState, MeanFieldStartsAxisAligned) {
    Json s = default_state();
    apply_set(s, "kl.dim=2");
    apply_set(s, R"(kl.q_init={"mean":[0,0],"cov":[[1,0.5],[0.5,1]]})");
    apply_set(s, "kl.q_family=diagonal");
    ASSERT_TRUE(s["kl"]["q_init"].contains("std"));  // no off-diagonal left
    EXPECT_NEAR(s["kl"]["q_init"]["std"][0].get<double>(), 1.0, 1e-12);
    EXPECT_NEAR(s["kl"]["q_init"]["std"][1].get<double>(), 1.0, 1e-12);
}

TEST(KlState, BadTargetsNameTheKey) {
    Json s = default_state();
    const Json before = s;
    for (const auto& [set, key] : std::vector<std::pair<std::string, std::string>>{
             {R"(kl.target=[{"weight":0,"mean":[0],"std":[1]}])", "kl.target[0]"},
             {R"(kl.target=[{"weight":1,"mean":[0],"std":[-1]}])", "kl.target[0].std"},
             {R"(kl.target=[{"weight":1,"mean":["a"],"std":[1]}])", "kl.target[0].mean"},
             {R"(kl.target=[])", "kl.target"},
             {"kl.optimizer=sgd", "adam | gd"},
             {"kl.lr=0", "kl.lr"},
             {"kl.alpha=1", "kl.alpha"},
             {"kl.q_family=low-rank", "kl.q_family"}}) {
        try {
            apply_set(s, set);
            ADD_FAILURE() << set << " accepted";
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
    apply_set(s, "kl.dim=2");
    EXPECT_THROW(apply_set(s, R"(kl.target=[{"weight":1,"mean":[0,0],"cov":[[1,2],[2,1]]}])"),
                 UserError);  // not positive definite
    apply_set(s, "kl.dim=1");
    EXPECT_EQ(s, before);
}

TEST(KlReport, ADivergingFitIsReportedNotFatal) {
    // GD at lr = 10 overflows σ: the run stops as diverged, with the last finite q.
    const Json r = kl_report({"kl.optimizer=gd", "kl.lr=10"});
    EXPECT_TRUE(r["reverse"]["diverged"].get<bool>() || r["forward"]["diverged"].get<bool>());
    const std::string text = dump_document(Json{{"kl", r}});  // no NaN or Inf anywhere
    EXPECT_FALSE(text.empty());
}

TEST(KlState, NormalizeIsIdempotent) {
    Json s = default_state();
    apply_set(s, "kl.dim=2");
    apply_set(s, R"(kl.target=[{"weight":1,"mean":[0,0],"cov":[[2,0],[0,3]]},
                              {"weight":2,"mean":[1,1],"cov":[[1,0.5],[0.5,1]]}])");
    Json again = s;
    merge_document(again, Json{{"kl", s["kl"]}}, "round trip");
    EXPECT_EQ(again, s);
    EXPECT_THROW(apply_set(s, R"(kl.target=[{"weight":1,"mean":[0,0],"cov":[[1e300,0],[0,1]]}])"),
                 UserError);
}

// Issue 20: lr = 10 once reported diverged: false at σ = 1.6e-20 and KL = 3.7e40.
TEST(KlReport, AFiniteButMeaninglessFitIsReportedDivergedWithItsReason) {
    const Json r = kl_report({"kl.lr=10"});
    for (const char* fit : {"forward", "reverse"}) {
        EXPECT_TRUE(r[fit]["diverged"].get<bool>()) << fit;
        EXPECT_FALSE(r[fit]["converged"].get<bool>()) << fit;
        EXPECT_FALSE(r[fit]["divergence"].get<std::string>().empty()) << fit;
    }
    EXPECT_FALSE(kl_report({})["forward"].contains("divergence"));  // only when diverged
}

// Issue 20: --report fits every fit to its end; 2-D, 8 components, 1e5 iterations and a third
// fit took 108 s. The budget refuses it naming the keys; the scene's setters refuse the same.
TEST(KlWorkBudget, TooMuchWorkIsRefusedNamingTheKeysAndTheSceneKeepsItsState) {
    std::string error;
    try {
        kl_report({"kl.dim=2", "kl.iterations=100000", "kl.family=alpha",
                   R"(kl.target=[{"weight":1,"mean":[0,0],"std":[1,1]},
                                 {"weight":1,"mean":[3,0],"std":[1,1]}])"});
    } catch (const UserError& e) {
        error = e.what();
    }
    for (const char* key : {"kl.iterations", "kl.target", "kl.dim", "kl.family", "budget"}) {
        EXPECT_NE(error.find(key), std::string::npos) << key << " in: " << error;
    }
    // 1-D at the largest iteration count, two fits: 1e5·2·2048·3 + restarts = 1.24e9, accepted.
    KlScene scene;
    Json s = scene.state();
    s["iterations"] = 100000;
    scene.set_state(KlModel().normalize(s));
    const Json before = scene.state();
    EXPECT_THROW(scene.set_family("js"), UserError);  // a third fit: 1.8e9
    EXPECT_THROW(scene.add_mode(), UserError);        // a third component: 1.6e9
    EXPECT_EQ(scene.state(), before);
    EXPECT_NO_THROW(scene.set_iterations(50000));
    EXPECT_NO_THROW(scene.set_family("js"));
    EXPECT_THROW(scene.set_iterations(100000), UserError);
}

// Issue 12: the Monte Carlo readout, the restarts drawn on the landscapes and each fit's own
// objective are in the report, and they say what the seed's exam case says.
TEST(KlReport, HoldsTheMonteCarloReadoutTheRestartsAndEachFitsObjective) {
    const Json r = kl_report({"kl.family=js"});
    // Each fit's own objective: the forward fit's is KL(p‖q), the reverse fit's KL(q‖p).
    EXPECT_DOUBLE_EQ(r["forward"]["objective_value"].get<double>(),
                     r["forward"]["kl_pq"].get<double>());
    EXPECT_DOUBLE_EQ(r["reverse"]["objective_value"].get<double>(),
                     r["reverse"]["kl_qp"].get<double>());
    const double js = r["family"]["objective_value"].get<double>();
    EXPECT_GT(js, 0);
    EXPECT_LT(js, std::log(2.0));  // JS is bounded by log 2
    // Monte Carlo over 20 seeds agrees with the quadrature within its standard error.
    const Json& mc = r["monte_carlo"];
    EXPECT_EQ(mc["seeds"], 20);
    EXPECT_EQ(mc["samples"], 64);
    const double se = mc["sd"].get<double>() / std::sqrt(20.0);
    EXPECT_NEAR(mc["mean"].get<double>(), mc["quadrature"].get<double>(), 5 * se + 1e-12);
    EXPECT_DOUBLE_EQ(mc["quadrature"].get<double>(), r["reverse"]["kl_qp"].get<double>());
    // Restarts: the forward landscape has one basin (all end at the moment-matched q); the
    // reverse one has a basin per mode (ends at ±3, each KL(q‖p) ≈ log 2).
    ASSERT_EQ(r["restarts"]["forward"].size(), 7u);
    ASSERT_EQ(r["restarts"]["reverse"].size(), 7u);
    for (const Json& f : r["restarts"]["forward"]) {
        EXPECT_NEAR(f["mean"][0].get<double>(), 0.0, 0.02);
        EXPECT_NEAR(f["std"][0].get<double>(), std::sqrt(9.64), 0.02);
    }
    bool left = false, right = false;
    for (const Json& f : r["restarts"]["reverse"]) {
        const double m = f["mean"][0].get<double>();
        left = left || std::abs(m + 3) < 0.05;
        right = right || std::abs(m - 3) < 0.05;
        if (std::abs(std::abs(m) - 3) < 0.05)
            EXPECT_NEAR(f["value"].get<double>(), std::log(2.0), 1e-3);
        // The path is drawn in (μ, log σ) and ends where the restart ended.
        const Json& path = f["path"];
        ASSERT_GE(path.size(), 2u);
        EXPECT_LE(path.size(), 302u);
        EXPECT_DOUBLE_EQ(path.back()[0].get<double>(), m);
        EXPECT_NEAR(path.back()[1].get<double>(), std::log(f["std"][0].get<double>()), 1e-12);
    }
    EXPECT_TRUE(left && right) << "the reverse restarts find both modes";
}
