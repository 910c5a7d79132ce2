// The GAN panel's keys and report through the model layer: seed values in the report,
// starts remapped between systems, divergence reported, and bad values refused.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.hpp"
#include "gan_model.hpp"
#include "scene_gan.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

Json gan_report(const std::vector<std::string>& sets) {
    Json s = default_state();
    apply_set(s, "panel=gan");
    for (const auto& set : sets) apply_set(s, set);
    return make_report(s);
}

}  // namespace

TEST(GanReport, HasTheContractFields) {
    const Json r = gan_report({})["gan"];
    for (const char* key :
         {"equilibrium", "jacobian", "eigenvalues_flow", "eigenvalues_map", "trajectory_end",
          "steps_run", "diverged", "diverged_at", "distance_to_equilibrium"}) {
        EXPECT_TRUE(r.contains(key)) << key;
    }
    EXPECT_EQ(r["equilibrium"], Json::array({0.0, 0.0, 0.0}));
    EXPECT_TRUE(r["diverged_at"].is_null());
}

TEST(GanReport, FlowEigenvaluesFollowTheR1ClosedForm) {
    for (double gamma : {0.0, 0.3, 2.0}) {
        const Json r = gan_report({"gan.method=flow", "gan.gamma=" + std::to_string(gamma)})["gan"];
        // {−1/2, (−γ ± √(γ² − 1))/2}, sorted by real part then imaginary part.
        std::vector<std::pair<double, double>> want = {{-0.5, 0}};
        const double disc = gamma * gamma - 1;
        if (disc < 0) {
            want.push_back({-gamma / 2, -std::sqrt(-disc) / 2});
            want.push_back({-gamma / 2, std::sqrt(-disc) / 2});
        } else {
            want.push_back({(-gamma - std::sqrt(disc)) / 2, 0});
            want.push_back({(-gamma + std::sqrt(disc)) / 2, 0});
        }
        std::sort(want.begin(), want.end());
        ASSERT_EQ(r["eigenvalues_flow"].size(), 3u);
        for (size_t i = 0; i < 3; ++i) {
            EXPECT_NEAR(r["eigenvalues_flow"][i][0].get<double>(), want[i].first, 1e-9) << gamma;
            EXPECT_NEAR(r["eigenvalues_flow"][i][1].get<double>(), want[i].second, 1e-9) << gamma;
        }
    }
}

TEST(GanReport, BilinearSimultaneousMapHasModulusSqrtOnePlusLrSquared) {
    const Json r =
        gan_report({"gan.system=bilinear", "gan.method=simultaneous", "gan.lr=0.5"})["gan"];
    for (const Json& z : r["eigenvalues_map"]) {
        EXPECT_NEAR(std::hypot(z[0].get<double>(), z[1].get<double>()), std::sqrt(1.25), 1e-12);
    }
}

TEST(GanReport, DivergenceIsReportedWithItsStep) {
    // |λ| = √5 at lr = 2: √2·5^(k/2) first exceeds 1e6 at k = 17.
    const Json r = gan_report({"gan.system=bilinear", "gan.method=simultaneous", "gan.lr=2",
                               "gan.start=1,1", "gan.steps=100"})["gan"];
    EXPECT_TRUE(r["diverged"].get<bool>());
    EXPECT_EQ(r["diverged_at"], 17);
    EXPECT_EQ(r["steps_run"], 16);
    EXPECT_TRUE(r["distance_to_equilibrium"].is_number());  // the last finite state
}

TEST(GanState, StartsMapByRoleWhenTheSystemChanges) {
    Json s = default_state();
    apply_set(s, "gan.start=0.5,0.2,-1");  // ψ0, ψ1, θ
    apply_set(s, "gan.system=bilinear");
    EXPECT_EQ(s["gan"]["start"], Json::array({0.5, -1.0}));  // d ← ψ0, g ← θ
    apply_set(s, "gan.system=dirac");
    EXPECT_EQ(s["gan"]["start"], Json::array({0.5, 0.0, -1.0}));
}

TEST(GanState, BadValuesNameTheKey) {
    Json s = default_state();
    const Json before = s;
    for (const auto& [set, key] : std::vector<std::pair<std::string, std::string>>{
             {"gan.lr=0", "gan.lr"},
             {"gan.gamma=-1", "gan.gamma"},
             {"gan.n_critic=0", "gan.n_critic"},
             {"gan.method=adam", "flow | simultaneous | alternating"},
             {"gan.start=1,2,3,4", "gan.start"},
             {"gan.start=[1,\"x\",3]", "gan.start"},
             {"gan.steps=0", "gan.steps"},
             {"gan.plane=xy", "gan.plane"}}) {
        try {
            apply_set(s, set);
            ADD_FAILURE() << set << " accepted";
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
    Json many = Json::array();
    for (int i = 0; i < 201; ++i) many.push_back({0.1, 0.0, 0.1});
    EXPECT_THROW(apply_set(s, "gan.extra_starts=" + many.dump()), UserError);
    EXPECT_EQ(s, before);
}

// Issue 20: a state within every key's range took 16 s to its first frame. The work budget
// refuses it at validation, naming the keys to lower, and a scene setter refuses the same.
TEST(GanWorkBudget, TooMuchWorkIsRefusedNamingTheKeysAndTheSceneKeepsItsState) {
    Json s = default_state();
    s["panel"] = "gan";
    s["gan"]["method"] = "alternating";
    s["gan"]["steps"] = 100000;
    s["gan"]["n_critic"] = 100;
    std::string error;
    try {
        make_report(s);
    } catch (const UserError& e) {
        error = e.what();
    }
    for (const char* key : {"gan.steps", "gan.n_critic", "gan.extra_starts", "1e+07"}) {
        EXPECT_NE(error.find(key), std::string::npos) << key << " in: " << error;
    }
    s["gan"]["n_critic"] = 60;  // 6e6 units: the budget itself is accepted
    EXPECT_NO_THROW(make_report(s));
    GanScene scene;
    scene.set_state(GanModel().normalize(s["gan"]));
    const Json before = scene.state();
    EXPECT_THROW(scene.set_n_critic(61), UserError);
    EXPECT_THROW(scene.add_extra_start({0.1, 0.2}), UserError);
    EXPECT_EQ(scene.state(), before);
    // Simultaneous updates ignore n_critic: the same numbers are cheap there.
    EXPECT_NO_THROW(scene.set_method(gan::Method::Simultaneous));
    EXPECT_NO_THROW(scene.set_n_critic(100));
    EXPECT_THROW(scene.set_method(gan::Method::Alternating), UserError);
    EXPECT_EQ(scene.params().sim.method, gan::Method::Simultaneous);
}
