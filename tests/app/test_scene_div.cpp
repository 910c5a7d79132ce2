// The Divergences scene: keys and their errors, the work budget, dirty recomputation (f
// recomputes nothing), the time cursor, and report-level checks against closed forms:
// logistic regression on two equal-variance Gaussians recovers D*'s coefficients within the
// sampling error, the JSD estimate is within 3 standard errors of the exact JSD, KL and χ²
// match their Gaussian closed forms with the bound tight at T*, and the saturating generator
// gradient vanishes at fakes the discriminator rejects while the non-saturating one does not.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "scene_div.hpp"

using namespace genlab;

namespace {

Json with(std::initializer_list<std::pair<const char*, Json>> changes) {
    Json s = div_model().defaults();
    for (const auto& [k, v] : changes) s[k] = v;
    return div_model().normalize(s);
}

std::string error_of(std::initializer_list<std::pair<const char*, Json>> changes) {
    try {
        with(changes);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

Json gauss(double mean, double sd) {
    return Json::array({Json{{"weight", 1}, {"mean", mean}, {"std", sd}}});
}

const Json* row(const Json& report, const std::string& key) {
    for (const Json& r : report.at("f_divergences"))
        if (r.at("key") == key) return &r;
    return nullptr;
}

}  // namespace

TEST(DivModel, ErrorsNameTheKeyAndWhatIsAllowed) {
    EXPECT_NE(error_of({{"p0", Json::array()}}).find("div.p0"), std::string::npos);
    const std::string std0 =
        error_of({{"p1", Json::array({Json{{"weight", 1}, {"mean", 0}, {"std", 1}},
                                      Json{{"weight", 1}, {"mean", 0}, {"std", 0}}})}});
    EXPECT_NE(std0.find("div.p1[1].std"), std::string::npos) << std0;
    const std::string extra =
        error_of({{"p0", Json::array({Json{{"weight", 1}, {"mean", 0}, {"std", 1}, {"cov", 1}}})}});
    EXPECT_NE(extra.find("div.p0[0]"), std::string::npos) << extra;
    EXPECT_NE(error_of({{"discriminator", "svm"}}).find("div.discriminator"), std::string::npos);
    EXPECT_NE(error_of({{"f", "wasserstein"}}).find("div.f"), std::string::npos);
    EXPECT_NE(error_of({{"alpha", 1}}).find("div.alpha"), std::string::npos);
    EXPECT_NE(error_of({{"alpha", 0}}).find("div.alpha"), std::string::npos);
    EXPECT_EQ(error_of({{"batch", 500}, {"train_size", 100}}), "");  // all 100 each step
    EXPECT_NE(error_of({{"lr", 0}}).find("div.lr"), std::string::npos);
    EXPECT_EQ(error_of({{"f", "hellinger"}, {"alpha", -2}}), "");
}

TEST(DivModel, TheWorkBudgetRefusesAStallingStateAndNamesTheKeys) {
    const std::string e =
        error_of({{"steps", 20000}, {"batch", 1024}, {"train_size", 2000}, {"hidden", 32}});
    EXPECT_NE(e.find("div.steps"), std::string::npos) << e;
    EXPECT_EQ(error_of({{"steps", 2000}, {"batch", 256}, {"hidden", 32}}), "");
}

TEST(DivScene, StateRoundTripsAndDirtyPartsRecomputeOnlyWhatChanged) {
    DivScene scene;
    EXPECT_EQ(scene.state(), div_model().normalize(div_model().defaults()));
    scene.update();
    const auto counts = [&] {
        return std::array<int, 3>{scene.recomputes(DivScene::Part::Exact),
                                  scene.recomputes(DivScene::Part::Training),
                                  scene.recomputes(DivScene::Part::Estimates)};
    };
    auto before = counts();
    scene.set_f(div::FKind::Hellinger);
    scene.update();
    EXPECT_EQ(counts(), before);
    scene.set_jsd_samples(1000);
    scene.update();
    EXPECT_EQ(counts(), (std::array<int, 3>{before[0], before[1], before[2] + 1}));
    before = counts();
    scene.set_alpha(2);
    scene.update();
    EXPECT_EQ(counts(), (std::array<int, 3>{before[0] + 1, before[1], before[2] + 1}));
    before = counts();
    scene.set_lr(0.02);
    scene.update();
    EXPECT_EQ(counts(), (std::array<int, 3>{before[0], before[1] + 1, before[2] + 1}));
    before = counts();
    scene.set_component(0, 0, 1, 0.5, 1.5);
    scene.update();
    EXPECT_EQ(counts(), (std::array<int, 3>{before[0] + 1, before[1] + 1, before[2] + 1}));
    EXPECT_THROW(scene.set_component(1, 0, 1, 0, 0), UserError);
    EXPECT_THROW(scene.set_alpha(1), UserError);
    EXPECT_EQ(scene.params().alpha, 2);  // a refused change leaves the state as it was
}

TEST(DivScene, PlayRevealsTheTrainingSnapshots) {
    DivScene scene;
    scene.set_state(with({{"steps", 400}}));
    EXPECT_EQ(scene.shown_step(), 400);
    scene.set_playing(true);
    EXPECT_EQ(scene.shown_snapshot(), 0);
    const div::TrainOptions& o = scene.params().train;  // snapshot 0: the fresh discriminator
    EXPECT_EQ(scene.shown().theta, div::make_discriminator(o.kind, o.hidden, o.seed).theta);
    EXPECT_TRUE(scene.tick(1.0, 1.0));  // 1 s of 5: a fifth of the snapshots
    EXPECT_EQ(scene.shown_snapshot(), DivScene::kSnapshots / 5);
    EXPECT_EQ(scene.shown_step(), 80);
    scene.tick(10.0, 1.0);
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.shown().theta, scene.trained().theta);
    scene.step();
    EXPECT_EQ(scene.shown_snapshot(), 1);
    scene.reset();
    EXPECT_EQ(scene.shown_snapshot(), DivScene::kSnapshots);
}

TEST(DivReport, LogisticRecoversOptimalCoefficientsAndTheJsdEstimateIsWithinThreeSe) {
    const double m0 = -0.8, m1 = 0.7, s = 1.1;  // equal variances: a logit linear in x
    DivScene scene;
    scene.set_state(with({{"p0", gauss(m0, s)},
                          {"p1", gauss(m1, s)},
                          {"discriminator", "logistic"},
                          {"train_size", 4000},
                          {"batch", 4000},
                          {"decay", 0},
                          {"steps", 3000},
                          {"seed", 3},
                          {"jsd_samples", 20000}}));
    const Json r = scene.report();
    const Json& d = r.at("discriminator");
    // D*'s closed form: logit = (μ1 − μ0)/σ²·x − (μ1² − μ0²)/(2σ²).
    const double want[3] = {(m0 * m0 - m1 * m1) / (2 * s * s), (m1 - m0) / (s * s), 0};
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(d.at("optimal_coefficients")[i].get<double>(), want[i], 1e-12);
        const double got = d.at("coefficients")[i].get<double>();
        const double sd = d.at("coefficient_sd")[i].get<double>();
        EXPECT_GT(sd, 0.005);
        EXPECT_LT(std::abs(got - want[i]), 3.5 * sd) << i << ": " << got << " sd " << sd;
    }
    const Json& j = r.at("jsd");
    const double exact = j.at("exact"), est = j.at("estimate"), se = j.at("se");
    EXPECT_GT(exact, 0.05);
    EXPECT_LT(exact, std::log(2.0));
    EXPECT_GT(se, 1e-4);
    EXPECT_LT(std::abs(est - exact), 3 * se) << est << " vs " << exact << " ± " << se;
    // The trained D gives the density ratio: f0·D/(1 − D) ≈ f1 where the densities live.
    const Json& g = r.at("grid");
    for (size_t i = 0; i < g.at("x").size(); ++i) {
        const double x = g.at("x")[i];
        if (std::abs(x) > 1.5) continue;
        EXPECT_NEAR(g.at("p1_estimate")[i].get<double>(), g.at("p1")[i].get<double>(),
                    0.05 * g.at("p1")[i].get<double>())
            << x;
    }
    // KL(p1‖p0) = (μ1 − μ0)²/(2σ²) and χ² = exp((μ1 − μ0)²/σ²) − 1 for equal variances; the
    // bound at T* equals them, the trained critic's bound is below.
    const double kl = (m1 - m0) * (m1 - m0) / (2 * s * s);
    const double chi = std::exp((m1 - m0) * (m1 - m0) / (s * s)) - 1;
    for (const auto& [key, value] : {std::pair{"kl", kl}, std::pair{"pearson", chi}}) {
        const Json* f = row(r, key);
        ASSERT_NE(f, nullptr);
        EXPECT_NEAR(f->at("divergence").at("value").get<double>(), value, 1e-9) << key;
        EXPECT_NEAR(f->at("bound_optimal").at("value").get<double>(), value, 1e-8) << key;
        EXPECT_LT(f->at("bound_trained").at("value").get<double>(), value + 1e-9) << key;
        // … by little: the gap is second order in the coefficients' error (here ~0.2 %).
        EXPECT_GT(f->at("bound_trained").at("value").get<double>(), 0.99 * value - 0.01) << key;
    }
    EXPECT_NEAR(row(r, "js")->at("divergence").at("value").get<double>(), exact, 1e-12);
}

TEST(DivReport, SaturatingGradientVanishesWhereTheDiscriminatorRejectsTheFakes) {
    // 004 §4.4 early in training: fakes p0 far from the data p1, D(fake) ≈ 0.
    DivScene scene;
    scene.set_state(with({{"p0", gauss(-3, 0.5)},
                          {"p1", gauss(3, 0.5)},
                          {"discriminator", "logistic"},
                          {"steps", 2000}}));
    const Json r = scene.report();
    const Json& g = r.at("generator");
    const double sat = g.at("mean_abs_saturating_dx"), ns = g.at("mean_abs_non_saturating_dx");
    EXPECT_GT(ns, 1.0);
    EXPECT_LT(sat, 0.01 * ns) << sat << " vs " << ns;
    for (size_t i = 0; i < g.at("samples").at("x").size(); ++i) {
        const double d = g.at("samples").at("d")[i];
        EXPECT_LT(d, 0.05);  // every fake rejected
        const double s = g.at("samples").at("saturating_dx")[i];
        const double n = g.at("samples").at("non_saturating_dx")[i];
        // Both push the fake toward the data (the step −∂loss/∂x > 0), and their ratio is
        // −D·a′ / −(1 − D)·a′ = D/(1 − D): the saturating one is D/(1 − D) times smaller.
        EXPECT_LT(s, 0);
        EXPECT_LT(n, 0);
        EXPECT_NEAR(s / n, d / (1 - d), 1e-9 * d);
    }
    // The dD curves: saturating −1/(1 − D) → −1 at D → 0, non-saturating −1/D → −∞.
    EXPECT_NEAR(g.at("saturating_dD")[0].get<double>(), -1 / 0.99, 1e-12);
    EXPECT_NEAR(g.at("non_saturating_dD")[0].get<double>(), -100, 1e-9);
}

TEST(DivReport, CsvHoldsTheGrid) {
    DivScene scene;
    const std::string csv = scene.csv();
    EXPECT_EQ(csv.substr(0, csv.find('\n')), "x,p0,p1,d_star,log_ratio,d_trained,p1_estimate");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), DivScene::kGridPoints + 1);
}
