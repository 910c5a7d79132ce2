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
    scene.update_all();
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
    scene.update_all();
    EXPECT_EQ(scene.recomputes(GanScene::Part::Grid), before + 1);
    EXPECT_EQ(scene.grid().result(2).cell.method, "extragradient");
    EXPECT_EQ(scene.recomputes(GanScene::Part::Main), main_before);  // the main plots stay
    scene.update_all();
    EXPECT_EQ(scene.recomputes(GanScene::Part::Grid), before + 1);
    scene.remove_grid_cell(0);  // the others keep their results (shifted, not recomputed)?
    scene.update_all();
    // Removing shifts cells: each shifted cell sees new inputs at its index, so at most 3.
    EXPECT_LE(scene.recomputes(GanScene::Part::Grid), before + 4);
    EXPECT_TRUE(scene.add_grid_cell({"optimistic", "gan"}));
    scene.update_all();
    EXPECT_EQ(scene.grid().size(), 4u);
    // A shared input (lr) recomputes every cell.
    const int all = scene.recomputes(GanScene::Part::Grid);
    scene.set_lr(0.05);
    scene.update_all();
    EXPECT_EQ(scene.recomputes(GanScene::Part::Grid), all + 4);
    // A method parameter too; an invalid cell edit throws naming the cell and changes nothing.
    EXPECT_THROW(scene.set_grid_cell(1, {"flow", "r7"}), UserError);
    EXPECT_THROW(scene.set_grid_param("beta", 1.5), UserError);
}

TEST(GanGridDirty, ABudgetSpreadsCellsOverCallsAndAlwaysAdvances) {
    GanScene scene = scene_with({kFour});
    GanGridParams g = scene.params().grid;
    GanGrid grid;
    // Budget 0: exactly one cell per call, the rest pending with their new cell shown.
    for (size_t done = 1; done <= 4; ++done) {
        grid.update(g, scene.params().start, 400, 0.0);
        EXPECT_EQ(grid.pending(), 4 - done);
        EXPECT_EQ(grid.recomputes(), static_cast<int>(done));
    }
    EXPECT_EQ(grid.result(3).cell.regularizer, "gan+r1");
    EXPECT_FALSE(grid.result(3).pending);
    // A pending cell keeps what it was computed from, so what is drawn stays consistent.
    g.cells[0].method = "extragradient";
    g.cells[1].method = "extragradient";
    grid.update(g, scene.params().start, 400, 0.0);
    EXPECT_FALSE(grid.result(0).pending);
    EXPECT_TRUE(grid.result(1).pending);
    EXPECT_EQ(grid.result(1).cell.method, "extragradient");
    EXPECT_EQ(grid.result(1).params.method, gm::Method::Simultaneous);
    grid.update(g, scene.params().start, 400);  // no budget: everything
    EXPECT_EQ(grid.pending(), 0u);
    EXPECT_EQ(grid.result(1).params.method, gm::Method::Extragradient);
}

TEST(GanGridDirty, ThePanelAsksForFramesWhileCellsWait) {
    GanScene scene = scene_with({kFour, "gan.sigma=0.5", "gan.steps=1000"});
    EXPECT_FALSE(scene.wants_frames());
    std::vector<GanGridCell> noisy(8, GanGridCell{"flow", "gan+noise"});
    for (size_t i = 0; i < noisy.size(); ++i) noisy[i].method = i % 2 ? "optimistic" : "flow";
    scene.set_grid_cells(noisy);
    const auto t0 = std::chrono::steady_clock::now();
    scene.update();  // one frame's share
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // Eight noise cells take ~40 ms together here: the frame computed a share of them and
    // asks for more frames (or, on a much faster machine, was within the frame anyway).
    const size_t pending = scene.grid().pending();
    EXPECT_TRUE(pending > 0 || ms < 16.7) << ms << " ms";
    EXPECT_EQ(scene.wants_frames(), pending > 0);
    std::printf("one frame of an 8-noise-cell grid edit: %.1f ms\n", ms);
    for (int frame = 0; frame < 100 && scene.wants_frames(); ++frame) scene.update();
    EXPECT_EQ(scene.grid().pending(), 0u);
    EXPECT_FALSE(scene.wants_frames());
    // report() never defers: a fresh edit is reported whole.
    scene.set_lr(0.05);
    const Json r = scene.report();
    EXPECT_EQ(scene.grid().pending(), 0u);
    EXPECT_EQ(r["grid"]["cells"].size(), 8u);
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
