// The GAN panel's keys and report through the model layer: seed values in the report,
// starts remapped between systems, divergence reported, and bad values refused.
#include <gtest/gtest.h>

#include <algorithm>
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
             {"gan.method=adam", "flow | simultaneous | ttur | alternating | extragradient"},
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
    EXPECT_NO_THROW(scene.set_method(gan_methods::Method::Simultaneous));
    EXPECT_NO_THROW(scene.set_n_critic(100));
    EXPECT_THROW(scene.set_method(gan_methods::Method::Alternating), UserError);
    EXPECT_EQ(scene.params().run.method, gan_methods::Method::Simultaneous);
}

namespace {
Json gan_report_of(const std::vector<std::string>& sets) {
    Json s = default_state();
    s["panel"] = "gan";
    for (const std::string& set : sets) apply_set(s, set);
    return make_report(s)["gan"];
}
}  // namespace

// Issue 12: everything the panel shows is in the report: the left (reference) run, the γ
// sweep, and the stability verdict, each against seed 002 Q5.
TEST(GanReport, HoldsTheReferenceRunTheSweepAndTheVerdict) {
    const Json r = gan_report_of({"gan.method=flow", "gan.gamma=1", "gan.lr=0.05"});
    // The reference is the same flow without R1: eigenvalues {−1/2, ±i/2} (Q5.3).
    const Json& ref = r["reference"];
    EXPECT_EQ(ref["gamma"], 0.0);
    EXPECT_EQ(ref["method"], "flow");
    std::vector<std::pair<double, double>> eig;
    for (const Json& c : ref["eigenvalues_flow"]) eig.emplace_back(c[0], c[1]);
    std::sort(eig.begin(), eig.end());
    ASSERT_EQ(eig.size(), 3u);
    EXPECT_NEAR(eig[0].first, -0.5, 1e-12);
    EXPECT_NEAR(eig[1].second, -0.5, 1e-12);
    EXPECT_NEAR(eig[2].second, 0.5, 1e-12);
    // Without damping ψ0² + θ² is conserved, so the reference stays at distance ≈ √2 from
    // (0, 0, 0) (ψ1 decays); with γ = 1 the main run is damped towards it.
    EXPECT_NEAR(ref["distance_to_equilibrium"].get<double>(), std::sqrt(2.0), 0.05);
    EXPECT_LT(r["distance_to_equilibrium"].get<double>(), 0.2);
    // The sweep: γ from 0 to 3; at γ = 1 every eigenvalue is −1/2 (critical damping, Q5.6).
    const Json& sweep = r["gamma_sweep"];
    ASSERT_GE(sweep.size(), 3u);
    EXPECT_EQ(sweep.front()["gamma"], 0.0);
    EXPECT_EQ(sweep.back()["gamma"], 3.0);
    bool saw_critical = false;
    for (const Json& point : sweep) {
        if (std::abs(point["gamma"].get<double>() - 1.0) > 1e-12) continue;
        saw_critical = true;
        for (const Json& c : point["eigenvalues"]) {
            EXPECT_NEAR(c[0].get<double>(), -0.5, 1e-6);
            EXPECT_NEAR(c[1].get<double>(), 0.0, 1e-3);
        }
    }
    EXPECT_TRUE(saw_critical);
    EXPECT_TRUE(r["stable"].get<bool>());
    EXPECT_EQ(r["stability"], "max Re λ = -0.5 < 0");
    // Simultaneous GDA without R1 on the bilinear game: |λ| = √(1 + lr²) > 1 (seed 000 Q6).
    const Json b = gan_report_of({"gan.system=bilinear", "gan.method=simultaneous", "gan.lr=0.1"});
    EXPECT_FALSE(b["stable"].get<bool>());
    EXPECT_EQ(b["stability"], "max |λ| = 1.005 ≥ 1");
    EXPECT_NEAR(b["spectral_radius_map"].get<double>(), std::sqrt(1.01), 1e-12);
}
