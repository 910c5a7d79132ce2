// The flow panel's keys and report through the model layer.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.hpp"
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
    EXPECT_TRUE(r["invertible"].get<bool>());
    ASSERT_EQ(r["layers"].size(), 2u);
    EXPECT_EQ(r["layers"][0]["type"], "planar");
    EXPECT_NEAR(r["mass"].get<double>(), 1.0, 1e-3);
    EXPECT_TRUE(r["probe_inverse"].is_array());
    EXPECT_TRUE(r["probe_log_density"].is_number());
    EXPECT_FALSE(r.contains("kl_forward"));  // no target
}

TEST(FlowReport, BrokenRadialNamesTheConditionAndHasNoDensity) {
    const Json r =
        flow_report({R"(flow.layers=[{"type":"radial","z0":[0,0],"alpha":1,"beta":-1.5}])"});
    EXPECT_FALSE(r["invertible"].get<bool>());
    const std::string reason = r["layers"][0]["reason"];
    EXPECT_NE(reason.find("β"), std::string::npos) << reason;
    EXPECT_TRUE(r["probe_inverse"].is_null());
    EXPECT_TRUE(r["probe_log_density"].is_null());
    EXPECT_TRUE(r["mass"].is_null());
}

TEST(FlowReport, UptoShowsTheDensityBeforeABrokenLayer) {
    const Json r =
        flow_report({R"(flow.layers=[{"type":"planar"},{"type":"relu"}])", "flow.upto=1"});
    EXPECT_TRUE(r["invertible"].get<bool>());  // only the first layer is shown
    EXPECT_EQ(r["layers_shown"], 1);
    EXPECT_FALSE(r["layers"][1]["invertible"].get<bool>());
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
