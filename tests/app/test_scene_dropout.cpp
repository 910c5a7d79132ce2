// The dropout-vs-L2 scene: keys and their errors, the work budget, dirty recomputation, the
// SGD walk, and a report whose numbers satisfy the closed forms' own equations.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>

#include "errors.hpp"
#include "scene_dropout.hpp"

using namespace genlab;

namespace {

Json with(std::initializer_list<std::pair<const char*, Json>> changes) {
    Json s = dropout_model().defaults();
    for (const auto& [k, v] : changes) s[k] = v;
    return dropout_model().normalize(s);
}

std::string error_of(const Json& state) {
    try {
        dropout_model().normalize(state);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(DropoutModel, ErrorsNameTheKeyAndWhatIsAllowed) {
    Json s = dropout_model().defaults();
    s["w_true"] = {1.0, 2.0, 3.0};
    EXPECT_NE(error_of(s).find("dropout.w_true"), std::string::npos) << error_of(s);
    s = dropout_model().defaults();
    s["scales"] = {1.0, 0.0};
    EXPECT_NE(error_of(s).find("dropout.scales[1]"), std::string::npos) << error_of(s);
    s = dropout_model().defaults();
    s["p"] = 0;
    EXPECT_NE(error_of(s).find("dropout.p"), std::string::npos);
}

TEST(DropoutModel, TheWorkBudgetRefusesAStallingStateAndNamesTheKeys) {
    Json s = dropout_model().defaults();
    s["n"] = 2000;
    s["scales"] = std::vector<double>(8, 1.0);
    s["w_true"] = std::vector<double>(8, 1.0);
    s["sgd_steps"] = 100000;
    const std::string e = error_of(s);
    EXPECT_NE(e.find("dropout.sgd_steps"), std::string::npos) << e;
    s["sgd_steps"] = 2000;
    EXPECT_EQ(error_of(s), "");
}

TEST(DropoutScene, TheReportSatisfiesTheClosedFormsEquations) {
    DropoutScene scene;
    scene.set_state(with(
        {{"p", 0.25}, {"lambda", 3.0}, {"scales", {1.0, 5.0, 0.5}}, {"w_true", {1.0, -2.0, 0.5}}}));
    const Json r = scene.report();
    const dropout::Data& data = scene.data();
    EXPECT_EQ(r["features"], 3);
    EXPECT_DOUBLE_EQ(r["lambda_dropout"].get<double>(), 3.0);  // (1 − p)/p
    // (XᵀX + λ_d Γ²)·pw = Xᵀy and (XᵀX + λI)·w_L2 = Xᵀy, checked on the data itself.
    const Eigen::MatrixXd gram = data.X.transpose() * data.X;
    const Eigen::VectorXd xty = data.X.transpose() * data.y;
    Eigen::VectorXd pw(3), ridge(3), gamma(3);
    for (int i = 0; i < 3; ++i) {
        pw(i) = r["scaled_dropout"][i];
        ridge(i) = r["ridge"][i];
        gamma(i) = r["gamma"][i];
    }
    EXPECT_LT(((gram + 3.0 * Eigen::MatrixXd(gamma.cwiseAbs2().asDiagonal())) * pw - xty).norm(),
              1e-9 * xty.norm());
    EXPECT_LT(((gram + 3.0 * Eigen::MatrixXd::Identity(3, 3)) * ridge - xty).norm(),
              1e-9 * xty.norm());
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(gamma(i), data.X.col(i).norm(), 1e-12);
    const Json& e = r["expected_loss"];
    EXPECT_NEAR(e["closed_form"].get<double>(), e["exact_enumeration"].get<double>(),
                1e-10 * e["exact_enumeration"].get<double>());
    EXPECT_LT(std::abs(e["monte_carlo"]["mean"].get<double>() - e["closed_form"].get<double>()),
              4 * e["monte_carlo"]["sd"].get<double>());
    EXPECT_EQ(r["paths"]["dropout"].size(), r["paths"]["ridge"].size());
    EXPECT_EQ(r["paths"]["ridge"][0]["lambda"], 0.0);  // the ridge path starts at least squares
}

TEST(DropoutScene, AnEditRecomputesOnlyWhatDependsOnIt) {
    DropoutScene scene;
    scene.update();
    auto count = [&](DropoutScene::Part p) { return scene.recomputes(p); };
    const int data = count(DropoutScene::Part::Data), paths = count(DropoutScene::Part::Paths),
              sol = count(DropoutScene::Part::Solutions), sgd = count(DropoutScene::Part::Sgd),
              ex = count(DropoutScene::Part::Expectation);
    scene.set_lambda(42);
    scene.update();
    EXPECT_EQ(count(DropoutScene::Part::Solutions), sol + 1);
    EXPECT_EQ(count(DropoutScene::Part::Data), data);
    EXPECT_EQ(count(DropoutScene::Part::Paths), paths);
    EXPECT_EQ(count(DropoutScene::Part::Sgd), sgd);
    EXPECT_EQ(count(DropoutScene::Part::Expectation), ex);
    scene.set_p(0.7);
    scene.update();
    EXPECT_EQ(count(DropoutScene::Part::Sgd), sgd + 1);
    EXPECT_EQ(count(DropoutScene::Part::Paths), paths);
    scene.set_scale(1, 2.0);
    scene.update();
    EXPECT_EQ(count(DropoutScene::Part::Data), data + 1);
    EXPECT_EQ(count(DropoutScene::Part::Paths), paths + 1);
    EXPECT_THROW(scene.set_p(1.5), UserError);
    EXPECT_THROW(scene.set_lambda(-1), UserError);
}

TEST(DropoutScene, PlayRevealsTheSgdRunStepByStep) {
    DropoutScene scene;
    EXPECT_EQ(scene.shown_steps(), scene.params().sgd_steps);  // the rest state shows it all
    scene.set_playing(true);
    EXPECT_EQ(scene.shown_steps(), 0);
    scene.tick(0.1, 1.0);
    EXPECT_EQ(scene.shown_steps(), static_cast<int>(0.1 * DropoutScene::kStepsPerSecond));
    EXPECT_EQ(scene.report()["sgd"]["shown"], scene.shown_steps());
    scene.tick(100, 1.0);
    EXPECT_FALSE(scene.playing());
    EXPECT_EQ(scene.shown_steps(), scene.params().sgd_steps);
    scene.step();  // from the end, a step starts a new walk
    EXPECT_EQ(scene.shown_steps(), DropoutScene::kStepsPerStep);
    scene.reset();
    EXPECT_EQ(scene.shown_steps(), scene.params().sgd_steps);
}

TEST(DropoutScene, FeaturesCanBeAddedAndRemovedWithinLimits) {
    DropoutScene scene;
    for (int i = 0; i < 10; ++i) scene.add_feature();
    EXPECT_EQ(scene.features(), dropout::kMaxFeatures);
    for (int i = 0; i < 10; ++i) scene.remove_feature();
    EXPECT_EQ(scene.features(), 1);
    EXPECT_EQ(scene.report()["least_squares"].size(), 1u);
}
