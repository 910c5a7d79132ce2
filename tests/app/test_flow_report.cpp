// The flow panel's keys and report through the model layer.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.hpp"
#include "files.hpp"
#include "flow_layers.hpp"
#include "flow_model.hpp"
#include "scene_flow.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

Json flow_report(const std::vector<std::string>& sets) {
    Json s = default_state();
    apply_set(s, "panel=flow");
    for (const auto& set : sets) apply_set(s, set);
    return make_report(s)["flow"];
}

}  // namespace

TEST(FlowReport, DefaultStackIsInvertibleWithUnitMass) {
    const Json r = flow_report({"flow.view={\"center\":[0,0],\"extent\":8}"});
    EXPECT_EQ(r["invertible"], "proved");
    ASSERT_EQ(r["layers"].size(), 2u);
    EXPECT_EQ(r["layers"][0]["type"], "planar");
    EXPECT_NEAR(r["mass"].get<double>(), 1.0, 1e-3);
    ASSERT_TRUE(r["mass_error"].is_number());
    EXPECT_GT(r["mass_error"].get<double>(), 0);
    EXPECT_LE(r["mass_error"].get<double>(), 1e-6);
    EXPECT_LE(std::abs(r["mass"].get<double>() - 1.0), 1e-6);  // [-8, 8]² holds all but ~1e-15
    EXPECT_TRUE(r["probe_inverse"].is_array());
    EXPECT_TRUE(r["probe_log_density"].is_number());
    EXPECT_FALSE(r.contains("kl_forward"));  // no target
}

TEST(FlowReport, BrokenRadialNamesTheConditionAndHasNoDensity) {
    const Json r =
        flow_report({R"(flow.layers=[{"type":"radial","z0":[0,0],"alpha":1,"beta":-1.5}])"});
    EXPECT_EQ(r["invertible"], "disproved");
    EXPECT_EQ(r["layers"][0]["invertible"], "disproved");
    const std::string reason = r["layers"][0]["reason"];
    EXPECT_NE(reason.find("β"), std::string::npos) << reason;
    // The witness: z0 and z0 + (−(α + β), 0) = (0.5, 0) both map to z0 (checked here by the
    // radial formula, not by the core).
    const Json& w = r["layers"][0]["witness"];
    EXPECT_EQ(w["kind"], "collision");
    const double x = w["z2"][0].get<double>(), y = w["z2"][1].get<double>();
    const double rr = std::hypot(x, y);
    EXPECT_GT(rr, 0.1);
    EXPECT_NEAR(x + (-1.5 / (1 + rr)) * x, 0, 1e-12);
    EXPECT_NEAR(y + (-1.5 / (1 + rr)) * y, 0, 1e-12);
    EXPECT_NE(r["probe_reason"].get<std::string>().find("not invertible: layer 1"),
              std::string::npos);
    EXPECT_TRUE(r["probe_inverse"].is_null());
    EXPECT_TRUE(r["probe_log_density"].is_null());
    EXPECT_TRUE(r["mass"].is_null());
    EXPECT_TRUE(r["mass_error"].is_null());
}

TEST(FlowReport, PlanarK10PresetMassHasItsErrorBound) {
    // The issue's case (the old 256² midpoint rule said 0.88 at extent 5, 1.10 at 96²): the
    // view [-5, 5]² holds all but ~3e-6 of the mass, a small view much less.
    const std::string path = GENLAB_SOURCE_DIR "/assets/presets/flow_planar_k10.json";
    Json s = default_state();
    merge_document(s, parse_document(read_file_bounded(path, kMaxDocumentBytes), path), path);
    const Json r = make_report(s)["flow"];
    ASSERT_EQ(r["layers"].size(), 10u);
    EXPECT_NEAR(r["mass"].get<double>(), 1.0, 1e-5);
    EXPECT_LE(r["mass_error"].get<double>(), 1e-6);
}

TEST(FlowReport, UptoShowsTheDensityBeforeABrokenLayer) {
    const Json r =
        flow_report({R"(flow.layers=[{"type":"planar"},{"type":"relu"}])", "flow.upto=1"});
    EXPECT_EQ(r["invertible"], "proved");  // only the first layer is shown
    EXPECT_EQ(r["layers_shown"], 1);
    EXPECT_EQ(r["layers"][1]["invertible"], "disproved");
}

TEST(FlowReport, KlIdentityHoldsThroughTheReport) {
    const Json r = flow_report({R"(flow.target=[{"weight":1,"mean":[1,0],"std":[0.7,0.9]}])"});
    ASSERT_TRUE(r["kl_forward"].is_number());
    EXPECT_GT(r["kl_forward"].get<double>(), 0);
    EXPECT_NEAR(r["kl_forward"].get<double>(), r["kl_base"].get<double>(),
                1e-3 * r["kl_forward"].get<double>());
}

TEST(FlowState, LayerErrorsNameTheKey) {
    Json s = default_state();
    const Json before = s;
    for (const auto& [set, key] : std::vector<std::pair<std::string, std::string>>{
             {R"(flow.layers=[{"type":"spline"}])", "flow.layers[0].type"},
             {R"(flow.layers=[{"type":"planar","w":[1]}])", "flow.layers[0].w"},
             {R"(flow.layers=[{"type":"planar","q":1}])", "unknown key 'q'"},
             {R"(flow.layers=[{"type":"radial","alpha":0}])", "flow.layers[0].alpha"},
             {R"(flow.layers=[{"type":"affine","L":[[1,1],[0,1]]}])", "lower-triangular"},
             {R"(flow.layers=[{"type":"sigmoidal","a":[1],"b":[1,2],"w":[1]}])", "flow.layers[0]"},
             {"flow.probe=1", "flow.probe"},
             {"flow.show=density,heat", "flow.show"},
             {"flow.upto=99", "flow.upto"}}) {
        try {
            apply_set(s, set);
            ADD_FAILURE() << set << " accepted";
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(s, before);
}

// Issue 20: 32 sigmoidal layers × 16 components at resolution 256 took 95 s to a first frame.
TEST(FlowWorkBudget, TooMuchWorkIsRefusedNamingTheKeysAndTheSceneKeepsItsState) {
    Json sig = Json::parse(R"({"type": "sigmoidal", "a": [], "b": [], "w": []})");
    for (int i = 0; i < 16; ++i) {
        sig["a"].push_back(1.5);
        sig["b"].push_back(-2 + 0.25 * i);
        sig["w"].push_back(1.0 / 16);
    }
    Json s = default_state();
    s["panel"] = "flow";
    s["flow"]["layers"] = Json::array();
    for (int i = 0; i < 32; ++i) s["flow"]["layers"].push_back(sig);
    s["flow"]["resolution"] = 256;
    std::string error;
    try {
        make_report(s);
    } catch (const UserError& e) {
        error = e.what();
    }
    for (const char* key : {"flow.resolution", "sigmoidal", "8.39e+07", "budget of 6e+06"}) {
        EXPECT_NE(error.find(key), std::string::npos) << key << " in: " << error;
    }
    // Two such layers and five planar ones: (2·20 + 5)·(256² + 256²) = 5.9e6, accepted.
    s["flow"]["layers"] = Json::array({sig, sig});
    for (int i = 0; i < 5; ++i)
        s["flow"]["layers"].push_back(flow_layer_to_json(flow_default_layer("planar")));
    EXPECT_NO_THROW(make_report(s));
    FlowScene scene;
    scene.set_state(FlowModel().normalize(s["flow"]));
    const Json before = scene.state();
    EXPECT_THROW(scene.add_layer("sigmoidal"), UserError);
    const flow::Layer sigmoidal = scene.layer(0);
    EXPECT_THROW(scene.set_layer(2, sigmoidal), UserError);  // a planar one made sigmoidal
    EXPECT_EQ(scene.state(), before);
    EXPECT_NO_THROW(scene.set_resolution(64));           // a smaller grid costs less:
    EXPECT_NO_THROW(scene.add_layer("planar"));          // (40 + 6)·(64² + 256²) = 3.2e6
    EXPECT_THROW(scene.set_resolution(256), UserError);  // 46·(256² + 256²) = 6.03e6
    EXPECT_EQ(scene.params().resolution, 64);
}

// Issue 12: the planar condition's numbers and the inverse's own error are in the report.
TEST(FlowReport, HoldsWDotUHatAndTheProbesRoundTrip) {
    Json s = default_state();
    s["panel"] = "flow";
    s["flow"]["layers"] = Json::parse(
        R"([{"type": "planar", "w": [1, 0], "u": [-3, 0], "b": 0, "enforce": true},
            {"type": "planar", "w": [0, 2], "u": [0.25, 1], "b": 0.5}])");
    const Json r = make_report(s)["flow"];
    const Json& enforced = r["layers"][0];
    EXPECT_DOUBLE_EQ(enforced["w_dot_u"].get<double>(), -3.0);
    // û = u + (m(wᵀu) − wᵀu)·w/‖w‖², m(x) = −1 + log(1 + eˣ): wᵀû = m(−3).
    EXPECT_NEAR(enforced["w_dot_u_hat"].get<double>(), -1 + std::log1p(std::exp(-3.0)), 1e-15);
    EXPECT_DOUBLE_EQ(r["layers"][1]["w_dot_u"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(r["layers"][1]["w_dot_u_hat"].get<double>(), 2.0);  // not enforced
    EXPECT_LT(r["probe_round_trip"].get<double>(), 1e-12);
    EXPECT_GE(r["probe_round_trip"].get<double>(), 0.0);
}

// Issue 12: verdicts are exact. A residual layer with |s|·‖W‖₂ = 3 is proved invertible (det J
// > 0 everywhere), so it has a density, and it integrates to 1 over a view that holds it.
TEST(FlowReport, ANonContractiveResidualIsProvedAndHasADensity) {
    const Json r = flow_report(
        {R"(flow.layers=[{"type":"residual","W":[[0.2,-1.5],[1.5,0.2]],"c":[0.5,0],"s":2}])",
         "flow.view={\"center\":[0,0],\"extent\":9}"});
    EXPECT_EQ(r["invertible"], "proved");
    EXPECT_EQ(r["layers"][0]["invertible"], "proved");
    EXPECT_NEAR(r["mass"].get<double>(), 1.0, 2e-3);
    ASSERT_TRUE(r["probe_log_density"].is_number());
    EXPECT_LT(r["probe_round_trip"].get<double>(), 1e-10);
    EXPECT_EQ(r["probe_reason"], "");
}

// A verdict the checks cannot reach (det J = 0 exactly where Wz + c = 0): no density, and the
// reason says so; the report's strings are the three states.
TEST(FlowReport, NotProvedHasNoDensityAndSaysWhy) {
    // W = diag(−1, 1), s = 1: det(I + sW) = 0·2 = 0 at D = I.
    const Json r =
        flow_report({R"(flow.layers=[{"type":"residual","W":[[-1,0],[0,1]],"c":[0,0],"s":1}])"});
    EXPECT_EQ(r["invertible"], "not_proved");
    EXPECT_EQ(r["layers"][0]["invertible"], "not_proved");
    EXPECT_FALSE(r["layers"][0].contains("witness"));
    EXPECT_TRUE(r["mass"].is_null());
    EXPECT_TRUE(r["probe_log_density"].is_null());
    const std::string why = r["invertible_reason"];
    EXPECT_EQ(why.rfind("invertibility not proved: layer 1 (residual)", 0), 0u) << why;
    EXPECT_EQ(r["probe_reason"], why);
}

// det J = 0 at the probe's pre-image on a proved stack: log p = +∞, written "inf" with a reason
// (valid JSON); the probe exactly on a radial layer's z0 with β = −α.
TEST(FlowReport, SingularProbeIsInfiniteWithAReason) {
    const Json r =
        flow_report({R"(flow.layers=[{"type":"radial","z0":[0.5,-0.5],"alpha":1,"beta":-1}])",
                     "flow.probe=[0.5,-0.5]"});
    EXPECT_EQ(r["invertible"], "proved");
    EXPECT_EQ(r["probe_log_density"], "inf");
    EXPECT_EQ(r["probe_log_det"], "-inf");
    EXPECT_NE(r["probe_reason"].get<std::string>().find("det J = 0"), std::string::npos);
    EXPECT_NO_THROW(Json::parse(r.dump()));
    // A sigmoidal layer with Σw = 0.8: the probe beyond logit 0.8 is outside g's image, p = 0.
    const Json out =
        flow_report({R"(flow.layers=[{"type":"sigmoidal","a":[1,2],"b":[0,0],"w":[0.4,0.4]}])",
                     "flow.probe=[2.5,0]"});
    EXPECT_EQ(out["invertible"], "proved");
    EXPECT_EQ(out["probe_log_density"], "-inf");
    EXPECT_NE(out["probe_reason"].get<std::string>().find("outside the image"), std::string::npos);
}
