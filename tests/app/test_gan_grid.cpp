// The GAN panel's method grid without a display (issue 14): its keys and their errors, the
// cells' results (verdicts of the Dirac-GAN and bilinear cases), per-cell dirty tracking, the
// step cap and its cost, and the report's grid fields.
//
// [SECTION] Helpers
// [SECTION] Keys
// [SECTION] Results
// [SECTION] Dirty tracking and cost
// [SECTION] Report
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "errors.hpp"
#include "gan_model.hpp"
#include "scene_gan.hpp"
#include "state.hpp"

using namespace genlab;
namespace gm = genlab::gan_methods;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

GanScene scene_with(const std::vector<std::string>& sets) {
    Json s = default_state();
    for (const auto& set : sets) apply_set(s, set);
    GanScene scene;
    scene.set_state(GanModel().normalize(s["gan"]));
    scene.update();
    return scene;
}

std::string error_of(const std::vector<std::string>& sets) {
    try {
        scene_with(sets);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

const char* kFour =
    "gan.grid=[{\"method\":\"simultaneous\",\"regularizer\":\"gan\"},"
    "{\"method\":\"simultaneous\",\"regularizer\":\"wgan\"},"
    "{\"method\":\"simultaneous\",\"regularizer\":\"wgan_gp\"},"
    "{\"method\":\"simultaneous\",\"regularizer\":\"gan+r1\"}]";

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Keys
//-----------------------------------------------------------------------------

TEST(GanGridKeys, DefaultsAreAnEmptyDirac2Grid) {
    const Json d = GanModel().defaults();
    EXPECT_EQ(d["grid"], Json::array());
    EXPECT_EQ(d["grid_system"], "dirac2");
    EXPECT_EQ(d["beta"], 0.0);
    EXPECT_EQ(d["lambda"], 1.0);
    GanScene scene = scene_with({});
    EXPECT_EQ(scene.grid().size(), 0u);
}

TEST(GanGridKeys, RangesComeFromTheCoreTable) {
    EXPECT_EQ(grid_key("lr_d").lo, 0.0);  // 0 means "= gan.lr"
    EXPECT_EQ(grid_key("lr_d").hi, 10.0);
    EXPECT_GT(grid_key("beta").lo, -1.0);
    EXPECT_LT(grid_key("beta").hi, 1.0);
    EXPECT_GT(grid_key("clip").lo, 0.0);
    EXPECT_EQ(grid_key("gamma_c").hi, gm::find_key("gan.gamma_c")->hi);
    for (const NumberKey& k : grid_keys()) EXPECT_NE(std::string(k.key), "lr");
}

TEST(GanGridKeys, ErrorsNameTheKey) {
    EXPECT_NE(error_of({"gan.grid=[{\"method\":\"sgd\"}]"}).find("gan.grid[0].method must be"),
              std::string::npos);
    EXPECT_NE(error_of({"gan.grid=[{\"method\":\"flow\",\"regularizer\":\"r3\"}]"})
                  .find("gan.grid[0].regularizer"),
              std::string::npos);
    EXPECT_NE(error_of({"gan.grid=[{\"method\":\"flow\",\"oops\":1}]"}).find("gan.grid[0]"),
              std::string::npos);
    EXPECT_NE(error_of({"gan.grid_system=bilinear",
                        "gan.grid=[{\"method\":\"flow\",\"regularizer\":\"r1\"}]"})
                  .find("gan.grid[0].regularizer"),
              std::string::npos);
    EXPECT_NE(error_of({"gan.beta=1"}).find("gan.beta"), std::string::npos);
    std::string nine = "gan.grid=[";
    for (int i = 0; i < 9; ++i) nine += std::string(i ? "," : "") + "{\"method\":\"flow\"}";
    EXPECT_NE(error_of({nine + "]"}).find("gan.grid must be a list of at most 8"),
              std::string::npos);
}

TEST(GanGridKeys, StateRoundTripsAndCanonicalizes) {
    GanScene scene =
        scene_with({"gan.grid=[{\"method\":\"extragradient\",\"regularizer\":"
                    "\"r1+nsgan\"},{\"method\":\"flow\"}]"});
    const Json s = scene.state();
    ASSERT_EQ(s["grid"].size(), 2u);
    EXPECT_EQ(s["grid"][0]["regularizer"], "nsgan+r1");
    EXPECT_EQ(s["grid"][1]["regularizer"], "gan");
    EXPECT_EQ(GanModel().normalize(s), s);
}

//-----------------------------------------------------------------------------
// [SECTION] Results
//-----------------------------------------------------------------------------

TEST(GanGridResults, MeschederFigure1Verdicts) {
    // Unregularized and WGAN cycle (|λ| > 1 for simultaneous GD: diverge), R1 converges.
    GanScene scene = scene_with({kFour, "gan.gamma=1"});
    ASSERT_EQ(scene.grid().size(), 4u);
    EXPECT_EQ(scene.grid().result(0).spectrum.verdict, gm::Verdict::Diverges);
    EXPECT_EQ(scene.grid().result(1).spectrum.verdict, gm::Verdict::Diverges);
    EXPECT_EQ(scene.grid().result(3).spectrum.verdict, gm::Verdict::Converges);
    EXPECT_LT(scene.grid().result(3).final_distance, 0.05);
    EXPECT_GT(scene.grid().result(0).final_distance,
              gm::distance_to_equilibrium(scene.grid().result(0).params,
                                          scene.grid().result(0).trajectory.states.front()));
}

TEST(GanGridResults, BilinearFixes) {
    GanScene scene = scene_with(
        {"gan.grid_system=bilinear", "gan.lr=0.2",
         "gan.grid=[{\"method\":\"simultaneous\",\"regularizer\":\"\"},{\"method\":"
         "\"alternating\",\"regularizer\":\"\"},{\"method\":\"extragradient\",\"regularizer\":"
         "\"\"},{\"method\":\"optimistic\",\"regularizer\":\"\"}]"});
    const GanGrid& g = scene.grid();
    ASSERT_EQ(g.size(), 4u);
    EXPECT_EQ(g.result(0).spectrum.verdict, gm::Verdict::Diverges);
    EXPECT_NEAR(g.result(0).spectrum.radius, std::sqrt(1 + 0.04), 1e-12);
    EXPECT_EQ(g.result(1).spectrum.verdict, gm::Verdict::Cycles);
    EXPECT_EQ(g.result(2).spectrum.verdict, gm::Verdict::Converges);
    EXPECT_NEAR(g.result(2).spectrum.radius, std::sqrt(1 - 0.04 + 0.0016), 1e-12);
    EXPECT_EQ(g.result(3).spectrum.verdict, gm::Verdict::Converges);
    EXPECT_EQ(g.result(0).cell.regularizer, "");
}

TEST(GanGridResults, SharedStartByRoleAndCappedSteps) {
    GanScene scene = scene_with(
        {"gan.start=[0.5,0.2,-0.7]", "gan.steps=5000", "gan.grid=[{\"method\":\"flow\"}]"});
    const gm::Trajectory& t = scene.grid().result(0).trajectory;
    EXPECT_EQ(t.states.front()[0], 0.5);   // ψ ← ψ0
    EXPECT_EQ(t.states.front()[1], -0.7);  // θ
    EXPECT_EQ(t.steps, kGridMaxSteps);
}

//-----------------------------------------------------------------------------
// [SECTION] Dirty tracking and cost
//-----------------------------------------------------------------------------

TEST(GanGridDirty, EditingOneCellRecomputesThatCellOnly) {
    GanScene scene = scene_with({kFour});
    const int before = scene.recomputes(GanScene::Part::Grid);
    EXPECT_EQ(before, 4);
    const int main_before = scene.recomputes(GanScene::Part::Main);
    scene.set_grid_cell(2, {"extragradient", "wgan_gp"});
    scene.update();
    EXPECT_EQ(scene.recomputes(GanScene::Part::Grid), before + 1);
    EXPECT_EQ(scene.grid().result(2).cell.method, "extragradient");
    EXPECT_EQ(scene.recomputes(GanScene::Part::Main), main_before);  // the main plots stay
    scene.update();
    EXPECT_EQ(scene.recomputes(GanScene::Part::Grid), before + 1);
    scene.remove_grid_cell(0);  // the others keep their results (shifted, not recomputed)?
    scene.update();
    // Removing shifts cells: each shifted cell sees new inputs at its index, so at most 3.
    EXPECT_LE(scene.recomputes(GanScene::Part::Grid), before + 4);
    EXPECT_TRUE(scene.add_grid_cell({"optimistic", "gan"}));
    scene.update();
    EXPECT_EQ(scene.grid().size(), 4u);
    // A shared input (lr) recomputes every cell.
    const int all = scene.recomputes(GanScene::Part::Grid);
    scene.set_lr(0.05);
    scene.update();
    EXPECT_EQ(scene.recomputes(GanScene::Part::Grid), all + 4);
    // A method parameter too; an invalid cell edit throws naming the cell and changes nothing.
    EXPECT_THROW(scene.set_grid_cell(1, {"flow", "r7"}), UserError);
    EXPECT_THROW(scene.set_grid_param("beta", 1.5), UserError);
}

TEST(GanGridDirty, EightMethodsOfAThousandStepsAreCheap) {
    std::string grid = "gan.grid=[";
    const char* methods[] = {"flow",          "simultaneous", "ttur",       "alternating",
                             "extragradient", "optimistic",   "heavy_ball", "alt_momentum"};
    for (int i = 0; i < 8; ++i) {
        grid += std::string(i ? "," : "") + "{\"method\":\"" + methods[i] +
                "\",\"regularizer\":\"nsgan+noise+r1\"}";
    }
    const auto t0 = std::chrono::steady_clock::now();
    GanScene scene = scene_with(
        {grid + "]", "gan.steps=1000", "gan.sigma=0.5", "gan.gamma=0.3", "gan.n_critic=5"});
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(scene.grid().size(), 8u);
    std::printf("8 methods × 1000 steps (noise + R1, n_critic 5), with the panel: %.1f ms\n", ms);
    EXPECT_LT(ms, 2000.0);
}

//-----------------------------------------------------------------------------
// [SECTION] Report
//-----------------------------------------------------------------------------

TEST(GanGridReport, HoldsEveryCellsNumbers) {
    GanScene scene = scene_with({kFour, "gan.gamma=1"});
    const Json r = scene.report()["grid"];
    EXPECT_EQ(r["system"], "dirac2");
    EXPECT_EQ(r["steps"], 400);
    ASSERT_EQ(r["cells"].size(), 4u);
    const Json& c = r["cells"][3];
    EXPECT_EQ(c["method"], "simultaneous");
    EXPECT_EQ(c["regularizer"], "gan+r1");
    EXPECT_EQ(c["verdict"], "converges");
    EXPECT_LT(c["spectral_radius"].get<double>(), 1.0);
    EXPECT_GT(c["rate"].get<double>(), 0.0);
    ASSERT_EQ(c["eigenvalues_flow"].size(), 2u);
    ASSERT_EQ(c["eigenvalues_flow"][0].size(), 2u);  // [re, im]
    ASSERT_EQ(c["eigenvalues_map"].size(), 2u);
    EXPECT_TRUE(c["final_distance"].is_number());
    EXPECT_EQ(c["title"], "simultaneous + gan+r1");
}
