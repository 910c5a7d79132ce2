// The flow panel's 1-D map mode (flow.mode = "map1d", flow.map1d; app/model/flow_map1d.hpp)
// through the model layer: keys and their errors, the report's "map1d" section against the
// closed forms of seed 000 Q5, the CSV, and the scene's setters.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "errors.hpp"
#include "flow_map1d.hpp"
#include "scene_flow.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

Json flow_doc(const std::vector<std::string>& sets) {
    Json s = default_state();
    apply_set(s, "panel=flow");
    for (const auto& set : sets) apply_set(s, set);
    return make_report(s);
}

Json map1d_report(const std::string& map) {
    return flow_doc({"flow.mode=map1d", "flow.map1d=" + map})["flow"]["map1d"];
}

std::string error_of(const std::vector<std::string>& sets) {
    try {
        flow_doc(sets);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(FlowMap1d, StackIsTheDefaultModeAndItsReportHasNoMap1dSection) {
    const Json doc = flow_doc({});
    EXPECT_EQ(doc["state"]["mode"], "stack");
    EXPECT_FALSE(doc["flow"].contains("map1d"));
    EXPECT_TRUE(doc["flow"].contains("layers"));  // today's report, unchanged
}

TEST(FlowMap1d, ResidualReportHasTheClosedFormIntervalAndUnitMass) {
    const Json r = map1d_report(R"({"type":"residual","s":-2,"w":1,"c":0.5})");
    EXPECT_EQ(r["verdict"], "not invertible");
    EXPECT_FALSE(r["invertible"].get<bool>());
    // g′ = 1 − 2 sech²(t + 0.5) < 0 ⇔ |t + 0.5| < acosh(√2).
    const double A = std::acosh(std::sqrt(2.0));
    ASSERT_EQ(r["decreasing"].size(), 1u);
    EXPECT_NEAR(r["decreasing"][0][0].get<double>(), -0.5 - A, 1e-12);
    EXPECT_NEAR(r["decreasing"][0][1].get<double>(), -0.5 + A, 1e-12);
    EXPECT_NEAR(r["mass"]["density"].get<double>(), 1, 1e-7);
    EXPECT_LT(r["mass"]["density_error"].get<double>(), 1e-6);
    EXPECT_EQ(r["pieces"], 3);
    // The decimated samples are g and g′ of the formula.
    const Json& s = r["samples"];
    ASSERT_EQ(s["t"].size(), static_cast<size_t>(FlowMap1d::kReportPoints));
    for (size_t i = 0; i < s["t"].size(); ++i) {
        const double t = s["t"][i];
        EXPECT_NEAR(s["g"][i].get<double>(), t - 2 * std::tanh(t + 0.5), 1e-12);
        const double ch = std::cosh(t + 0.5);
        EXPECT_NEAR(s["dg"][i].get<double>(), 1 - 2 / (ch * ch), 1e-12);
    }
    EXPECT_EQ(s["t"][0], -4.0);  // the default view: [0 − 4, 0 + 4]
    EXPECT_EQ(s["t"][40], 4.0);
}

TEST(FlowMap1d, ReluWithZeroOffsetReportsAnAtomOfHalfTheMass) {
    const Json r = map1d_report(R"({"type":"relu","a":1,"b":1,"c":0})");
    EXPECT_EQ(r["verdict"], "not invertible");
    ASSERT_EQ(r["atoms"].size(), 1u);
    EXPECT_EQ(r["atoms"][0]["y"], 0.0);
    EXPECT_NEAR(r["atoms"][0]["mass"].get<double>(), 0.5, 1e-15);
    EXPECT_NEAR(r["mass"]["density"].get<double>(), 0.5, 1e-9);  // the atom is not density
    EXPECT_NEAR(r["mass"]["total"].get<double>(), 1, 1e-9);
    ASSERT_EQ(r["flat"].size(), 1u);
    EXPECT_EQ(r["flat"][0][0], "-inf");
    EXPECT_EQ(r["flat"][0][1], 0.0);
}

TEST(FlowMap1d, SimplexSigmoidalAndRadialAboveTheBoundAreInvertible) {
    const Json s = map1d_report(R"({"type":"sigmoidal","a":[1.5,2],"b":[-2,2],"w":[0.4,0.6]})");
    EXPECT_EQ(s["verdict"], "invertible: strictly increasing");
    EXPECT_TRUE(s["decreasing"].empty());
    EXPECT_NEAR(s["mass"]["density"].get<double>(), 1, 1e-8);
    const Json r = map1d_report(R"({"type":"radial","t0":0.5,"alpha":1,"beta":-0.6})");
    EXPECT_EQ(r["verdict"], "invertible: strictly increasing");
    EXPECT_NE(r["reason"].get<std::string>().find("≥ −α"), std::string::npos);
    // β = −2 < −α: g′ < 0 for |t − t0| < √(αβ·(−1)) − α = √2 − 1.
    const Json b = map1d_report(R"({"type":"radial","t0":0.5,"alpha":1,"beta":-2})");
    EXPECT_EQ(b["verdict"], "not invertible");
    EXPECT_NEAR(b["decreasing"][0][0].get<double>(), 0.5 - (std::sqrt(2.0) - 1), 1e-14);
    EXPECT_NEAR(b["decreasing"][0][1].get<double>(), 0.5 + (std::sqrt(2.0) - 1), 1e-14);
}

TEST(FlowMap1d, ErrorsNameTheKey) {
    EXPECT_NE(error_of({R"(flow.map1d={"type":"radial","alpha":0})"}).find("flow.map1d.alpha"),
              std::string::npos);
    EXPECT_NE(error_of({R"(flow.map1d={"type":"spline"})"}).find("flow.map1d.type"),
              std::string::npos);
    const std::string unknown = error_of({R"(flow.map1d={"type":"relu","s":1})"});
    EXPECT_NE(unknown.find("flow.map1d"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("'s'"), std::string::npos) << unknown;
    EXPECT_NE(error_of({R"(flow.map1d={"type":"sigmoidal","a":[1,2],"b":[0],"w":[1]})"})
                  .find("same size"),
              std::string::npos);
    EXPECT_NE(error_of({R"(flow.map1d={"base":{"std":0}})"}).find("flow.map1d.base.std"),
              std::string::npos);
    EXPECT_NE(error_of({"flow.mode=train2"}).find("flow.mode"), std::string::npos);
}

TEST(FlowMap1d, MissingKeysTakeTheTypesDefaultsAndTheStateRoundTrips) {
    const Json doc = flow_doc({"flow.mode=map1d", R"(flow.map1d={"type":"radial","beta":-3})"});
    const Json& m = doc["state"]["map1d"];
    EXPECT_EQ(m["type"], "radial");
    EXPECT_EQ(m["beta"], -3.0);
    EXPECT_EQ(m["alpha"], 1.0);  // the radial default
    EXPECT_FALSE(m.contains("s"));
    FlowScene scene;
    Json state = doc["state"];
    scene.set_state(scene.model().normalize(state));
    EXPECT_EQ(scene.state(), state);
}

TEST(FlowMap1d, CsvHoldsTheCurvesInMap1dMode) {
    FlowScene scene;
    Json state = scene.state();
    state["mode"] = "map1d";
    state["map1d"] = Json{{"type", "radial"}, {"t0", 0.0}, {"alpha", 1.0}, {"beta", 1.0}};
    scene.set_state(scene.model().normalize(state));
    std::istringstream csv(scene.csv());
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line, "t,g,dg,base_density,pushed_density");
    int rows = 0;
    while (std::getline(csv, line)) {
        double t, g, d, pz, py;
        char c;
        std::istringstream row(line);
        row >> t >> c >> g >> c >> d >> c >> pz >> c >> py;
        // β = 1, α = 1, t0 = 0: g = t + t/(1 + |t|).
        EXPECT_NEAR(g, t + t / (1 + std::abs(t)), 1e-9) << line;
        ++rows;
    }
    EXPECT_EQ(rows, FlowMap1d::kCurvePoints);
}

TEST(FlowMap1d, SceneSetterValidatesBeforeChanging) {
    FlowScene scene;
    Map1dParams p = scene.map1d().params();
    p.map = flow1d::Map::radial(0, -1, 1);  // α ≤ 0
    EXPECT_THROW(scene.set_map1d(p), UserError);
    EXPECT_EQ(scene.map1d().params().map.type, flow1d::Type::Residual);  // unchanged
    EXPECT_THROW(scene.set_mode("map2d"), UserError);
    scene.set_mode("map1d");
    EXPECT_EQ(scene.state()["mode"], "map1d");
}
