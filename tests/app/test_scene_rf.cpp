// RfScene headless: the Play / Step walk, dirty-flag recomputation (what each change
// recomputes, by counter), setter validation with JSON key names, and that report() and
// csv() read the same analysis the view draws.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "scene_rf.hpp"
#include "state.hpp"

using namespace genlab;
using Part = RfScene::Part;

namespace {

// A scene loaded with the defaults plus `sets` ("receptive_field.masks=A,B,B", ...).
std::unique_ptr<RfScene> scene_with(const std::vector<std::string>& sets) {
    Json s = default_state();
    for (const auto& set : sets) apply_set(s, set);
    auto scene = std::make_unique<RfScene>();
    scene->set_state(rf_model().normalize(s["receptive_field"]));
    return scene;
}

// How many times each part was recomputed since `before` (a snapshot of counters).
struct Counters {
    int paths, stacks, compare, masks;
    explicit Counters(const RfScene& s)
        : paths(s.recomputes(Part::Paths)),
          stacks(s.recomputes(Part::CompareStacks)),
          compare(s.recomputes(Part::Compare)),
          masks(s.recomputes(Part::Masks)) {}
};

void expect_recomputed(const RfScene& s, const Counters& before, int paths, int stacks, int compare,
                       int masks) {
    EXPECT_EQ(s.recomputes(Part::Paths) - before.paths, paths) << "Paths";
    EXPECT_EQ(s.recomputes(Part::CompareStacks) - before.stacks, stacks) << "CompareStacks";
    EXPECT_EQ(s.recomputes(Part::Compare) - before.compare, compare) << "Compare";
    EXPECT_EQ(s.recomputes(Part::Masks) - before.masks, masks) << "Masks";
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

//-----------------------------------------------------------------------------
// The walk: play / step / reset / tick
//-----------------------------------------------------------------------------

// Issue 12: a new pixel during a walk restarts the walk from that pixel (the old depth
// belonged to the old pixel); at rest the whole field stays shown.
TEST(RfSceneWalk, ANewPixelDuringAWalkRestartsItAndAtRestShowsTheWholeField) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->step();
    s->step();
    s->step();  // 2 of 3
    s->set_pixel({1, 1});
    EXPECT_EQ(s->revealed(), 0);
    EXPECT_FALSE(s->playing());
    s->set_playing(true);
    s->tick(RfScene::kSecondsPerLayer, 1);  // 1
    s->tick(RfScene::kSecondsPerLayer * 0.9, 1);
    s->set_pixel({2, 2});
    EXPECT_EQ(s->revealed(), 0);
    EXPECT_TRUE(s->playing());  // playing goes on, from the pixel, with a fresh layer clock
    s->tick(RfScene::kSecondsPerLayer * 0.5, 1);
    EXPECT_EQ(s->revealed(), 0);
    s->reset();
    s->set_pixel({3, 3});
    EXPECT_TRUE(s->fully_revealed());
}

TEST(RfSceneWalk, StartsWithTheWholeField) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    EXPECT_EQ(s->layer_count(), 3);
    EXPECT_EQ(s->revealed(), 3);
    EXPECT_TRUE(s->fully_revealed());
    EXPECT_EQ(s->revealed_layer(), 0);
    EXPECT_FALSE(s->playing());
}

TEST(RfSceneWalk, StepFromResetWrapsToThePixelThenRevealsOneLayerEach) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->reset();
    std::vector<int> seen;
    for (int i = 0; i < 5; ++i) {
        s->step();
        seen.push_back(s->revealed());
    }
    // From the whole field a step starts over at 0 (the pixel alone), then 1, 2, 3 (whole).
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 0}));
}

TEST(RfSceneWalk, ThreeStepsAfterTheFirstRevealLayersOneTwoThree) {
    auto s = scene_with({"receptive_field.masks=A,B,B,B"});
    s->step();  // 0: only the pixel
    ASSERT_EQ(s->revealed(), 0);
    std::vector<int> seen;
    for (int i = 0; i < 3; ++i) {
        s->step();
        seen.push_back(s->revealed());
    }
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
    EXPECT_FALSE(s->fully_revealed());
    EXPECT_EQ(s->revealed_layer(), 1);  // the field view shows layer 2's input
}

TEST(RfSceneWalk, RevealedCountsWalkBackFromTheOutput) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    const auto a = s->analysis();
    s->step();  // 0
    const auto only = s->revealed_counts();
    EXPECT_EQ(only->sum(), 1.0);
    EXPECT_EQ((*only)(2, 2), 1.0);  // the pixel (3, 3)
    s->step();                      // 1: the last layer's input
    EXPECT_EQ(s->revealed_counts().get(), &a->layer_paths[2]);
    s->step();
    EXPECT_EQ(s->revealed_counts().get(), &a->layer_paths[1]);
    s->step();  // whole: the input's paths
    EXPECT_EQ(s->revealed_counts().get(), &a->layer_paths[0]);
    EXPECT_EQ(*s->revealed_counts(), a->paths);
}

TEST(RfSceneWalk, PlayStartsAtThePixelAndAdvancesWithDtTimesSpeed) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->set_playing(true);
    EXPECT_TRUE(s->playing());
    EXPECT_TRUE(s->wants_frames());
    EXPECT_EQ(s->revealed(), 0);
    // 0.7 s of play per layer: 0.3 s at speed 2 is 0.6 s: not yet.
    EXPECT_FALSE(s->tick(0.3, 2.0));
    EXPECT_EQ(s->revealed(), 0);
    EXPECT_TRUE(s->tick(0.06, 2.0));  // 0.72 s
    EXPECT_EQ(s->revealed(), 1);
    EXPECT_FALSE(s->tick(0.6, 1.0));
    EXPECT_EQ(s->revealed(), 1);
    EXPECT_TRUE(s->tick(0.15, 1.0));
    EXPECT_EQ(s->revealed(), 2);
    // Speed 0.5: 1 s of frames is 0.5 s of play.
    EXPECT_FALSE(s->tick(1.0, 0.5));
    EXPECT_EQ(s->revealed(), 2);
    EXPECT_TRUE(s->tick(0.5, 0.5));
    // The last layer revealed: the whole field, and play stops by itself.
    EXPECT_EQ(s->revealed(), 3);
    EXPECT_FALSE(s->playing());
    EXPECT_FALSE(s->wants_frames());
    EXPECT_FALSE(s->tick(10, 1));
    EXPECT_EQ(s->revealed(), 3);
}

TEST(RfSceneWalk, PauseKeepsTheDepthAndResumingRestartsTheLayerClock) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->set_playing(true);
    s->tick(0.7, 1);
    ASSERT_EQ(s->revealed(), 1);
    s->tick(0.5, 1);
    s->set_playing(false);
    EXPECT_EQ(s->revealed(), 1);
    EXPECT_FALSE(s->tick(5, 1));  // paused: nothing moves
    s->set_playing(true);         // not from the whole field: the walk goes on from 1
    EXPECT_EQ(s->revealed(), 1);
    EXPECT_FALSE(s->tick(0.5, 1));  // the 0.5 s before the pause is forgotten
    EXPECT_TRUE(s->tick(0.25, 1));
    EXPECT_EQ(s->revealed(), 2);
}

TEST(RfSceneWalk, ResetAndStepStopPlaying) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->set_playing(true);
    s->tick(0.7, 1);
    s->step();
    EXPECT_FALSE(s->playing());
    EXPECT_EQ(s->revealed(), 2);
    s->set_playing(true);
    s->reset();
    EXPECT_FALSE(s->playing());
    EXPECT_EQ(s->revealed(), 3);
    EXPECT_TRUE(s->fully_revealed());
}

TEST(RfSceneWalk, SetStateStopsPlayingAndShowsTheWholeField) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->set_playing(true);
    s->tick(0.7, 1);
    ASSERT_TRUE(s->playing());
    Json st = s->state();
    st["masks"] = Json::array({"A", "B", "B", "B"});
    s->set_state(rf_model().normalize(st));
    EXPECT_FALSE(s->playing());
    EXPECT_EQ(s->revealed(), 4);
}

TEST(RfSceneWalk, ShapeChangesShowTheWholeFieldButKernelCellsKeepTheDepth) {
    auto s = scene_with({"receptive_field.masks=A,B,B"});
    s->step();
    s->step();  // 1
    s->toggle_kernel_cell(0, 0, 0);
    EXPECT_EQ(s->revealed(), 1);
    s->set_view("layers");
    EXPECT_EQ(s->revealed(), 1);
    s->set_kind(1, rf::MaskKind::A);
    EXPECT_EQ(s->revealed(), 3);
    s->step();
    s->add_layer();
    EXPECT_EQ(s->revealed(), 4);
    s->step();
    s->remove_layer(0);
    EXPECT_EQ(s->revealed(), 3);
    s->step();
    s->set_size(7);
    EXPECT_EQ(s->revealed(), 3);
    s->step();
    s->set_kernel(5);
    EXPECT_EQ(s->revealed(), 3);
    s->step();
    s->set_order(rf::Order::BottomUp);
    EXPECT_EQ(s->revealed(), 3);
    s->step();
    s->move_layer(0, 1);
    EXPECT_EQ(s->revealed(), 3);
}

//-----------------------------------------------------------------------------
// Dirty flags: each change recomputes only what depends on it
//-----------------------------------------------------------------------------

TEST(RfSceneDirty, NothingIsRecomputedTwiceWithoutAChange) {
    auto s = scene_with({});
    s->update();
    const Counters c(*s);
    s->update();
    s->analysis();
    s->compare(0);
    s->report();
    s->csv();
    s->revealed_counts();
    expect_recomputed(*s, c, 0, 0, 0, 0);
}

TEST(RfSceneDirty, ThePixelRecomputesPathsAndCompareButRebuildsNoMasks) {
    auto s = scene_with({});
    s->update();
    const Counters c(*s);
    const rf::Mask before = s->mask(0);
    const auto old_analysis = s->analysis();
    s->set_pixel({1, 3});
    s->update();
    expect_recomputed(*s, c, 1, 0, 1, 0);
    EXPECT_EQ(s->mask(0), before);
    EXPECT_NE(s->analysis(), old_analysis);            // a new snapshot
    EXPECT_EQ(old_analysis->pixel, (rf::Cell{2, 2}));  // the old one is untouched
    EXPECT_EQ(s->compare(0)->pixel, (rf::Cell{1, 3}));
}

TEST(RfSceneDirty, AMaskRecomputesPathsOnlyNeverTheCompareStacks) {
    auto s = scene_with({});
    s->update();
    Counters c(*s);
    const auto compare0 = s->compare(0);
    s->toggle_kernel_cell(1, 2, 2);
    s->update();
    expect_recomputed(*s, c, 1, 0, 0, 0);
    EXPECT_EQ(s->compare(0), compare0);
    c = Counters(*s);
    s->set_kind(0, rf::MaskKind::B);
    s->add_layer();
    s->move_layer(0, 2);
    s->remove_layer(1);
    s->update();  // four changes, one recompute
    expect_recomputed(*s, c, 1, 0, 0, 0);
}

TEST(RfSceneDirty, KernelAndOrderRebuildMasksAndEverything) {
    auto s = scene_with({});
    s->update();
    Counters c(*s);
    s->set_kernel(5);
    s->update();
    expect_recomputed(*s, c, 1, 1, 1, 1);
    EXPECT_EQ(s->mask(0).rows(), 5);
    EXPECT_EQ(s->compare_stack(3).masks[1].rows(), 5);
    c = Counters(*s);
    s->set_order(rf::Order::BottomUp);
    s->update();
    expect_recomputed(*s, c, 1, 1, 1, 1);
    EXPECT_EQ(s->kind(0), rf::MaskKind::A);  // an A stays an A
    EXPECT_EQ(s->mask(0), rf::make_mask(rf::MaskKind::A, 5, rf::Order::BottomUp));
}

TEST(RfSceneDirty, SizeRebuildsTheCompareStacksButNotTheMasks) {
    auto s = scene_with({"receptive_field.pixel=5,5"});
    s->update();
    const Counters c(*s);
    s->set_size(3);
    s->update();
    expect_recomputed(*s, c, 1, 1, 1, 0);
    EXPECT_EQ(s->pixel(), (rf::Cell{2, 2}));  // moved inside
    EXPECT_EQ(s->compare_stack(0).size, 3);
}

TEST(RfSceneDirty, ViewAndWalkRecomputeNothing) {
    auto s = scene_with({});
    s->update();
    const Counters c(*s);
    s->set_view("compare");
    s->step();
    s->set_playing(true);
    s->tick(1, 1);
    s->reset();
    s->update();
    expect_recomputed(*s, c, 0, 0, 0, 0);
}

TEST(RfSceneDirty, SetStateRecomputesOnlyWhatItChanged) {
    auto s = scene_with({});
    s->update();
    Counters c(*s);
    Json st = s->state();
    st["view"] = "layers";
    s->set_state(rf_model().normalize(st));
    s->update();
    expect_recomputed(*s, c, 0, 0, 0, 0);
    c = Counters(*s);
    st["masks"] = Json::array({"B", "B"});
    s->set_state(rf_model().normalize(st));
    s->update();
    expect_recomputed(*s, c, 1, 0, 0, 0);
    c = Counters(*s);
    st["kernel"] = 7;
    s->set_state(rf_model().normalize(st));
    s->update();
    expect_recomputed(*s, c, 1, 1, 1, 0);  // masks come from the state, not rebuilt
}

TEST(RfSceneDirty, SettersThatChangeNothingDoNotTouch) {
    auto s = scene_with({});
    const auto rev = s->revision();
    s->set_pixel(s->pixel());
    s->set_size(s->size());
    s->set_kernel(s->kernel());
    s->set_order(s->order());
    s->set_kind(0, s->kind(0));
    s->set_view(s->view());
    EXPECT_EQ(s->revision(), rev);
    s->set_pixel({0, 0});
    EXPECT_EQ(s->revision(), rev + 1);
    s->set_view("compare");
    EXPECT_EQ(s->revision(), rev + 2);
}

//-----------------------------------------------------------------------------
// Setters validate, naming the JSON keys
//-----------------------------------------------------------------------------

TEST(RfSceneSetters, RejectOutOfRangeValuesWithTheKeyName) {
    auto s = scene_with({});
    const Json before = s->state();
    EXPECT_EQ(error_of([&] { s->set_size(129); }),
              "receptive_field.size must be an integer in [1, 128] (got 129)");
    EXPECT_EQ(error_of([&] { s->set_size(0); }),
              "receptive_field.size must be an integer in [1, 128] (got 0)");
    EXPECT_EQ(error_of([&] { s->set_kernel(4); }),
              "receptive_field.kernel must be one of 1, 3, 5, 7, 9 (got 4)");
    EXPECT_EQ(error_of([&] { s->set_kernel(11); }),
              "receptive_field.kernel must be one of 1, 3, 5, 7, 9 (got 11)");
    EXPECT_EQ(
        error_of([&] {
            s->set_pixel({5, 0});
        }),
        "receptive_field.pixel must be [row, col] with 1 <= row, col <= size (5) (got [6,1])");
    EXPECT_EQ(error_of([&] { s->set_view("3d"); }),
              "receptive_field.view must be one of field | layers | compare (got \"3d\")");
    EXPECT_NE(error_of([&] {
                  s->set_kind(0, rf::MaskKind::Custom);
              }).find("receptive_field.masks[0] must be"),
              std::string::npos);
    EXPECT_EQ(error_of([&] { s->set_kind(2, rf::MaskKind::A); }),
              "receptive_field.masks[2] does not exist (the stack has 2 layers)");
    EXPECT_NE(error_of([&] { s->toggle_kernel_cell(0, 3, 0); }).find("receptive_field.masks[0]"),
              std::string::npos);
    EXPECT_EQ(s->state(), before);  // nothing changed
}

TEST(RfSceneSetters, TheLayerListKeepsOneToSixteenLayers) {
    auto s = scene_with({"receptive_field.masks=A"});
    EXPECT_NE(error_of([&] { s->remove_layer(0); }).find("at least 1 layer"), std::string::npos);
    for (int i = 1; i < kRfMaxLayers; ++i) s->add_layer();
    EXPECT_EQ(s->layer_count(), 16);
    EXPECT_EQ(s->kind(15), rf::MaskKind::B);
    EXPECT_NE(error_of([&] { s->add_layer(); }).find("at most 16 layers"), std::string::npos);
    EXPECT_EQ(s->layer_count(), 16);
}

TEST(RfSceneSetters, ToggledMasksBecomeCustomAndTakeANameWhenTheyMatchOne) {
    auto s = scene_with({});  // A, B at 3×3 top-down: B is A plus the centre
    s->toggle_kernel_cell(0, 1, 1);
    EXPECT_EQ(s->kind(0), rf::MaskKind::B);
    s->toggle_kernel_cell(0, 2, 2);
    EXPECT_EQ(s->kind(0), rf::MaskKind::Custom);
    EXPECT_EQ(s->state()["masks"][0], Json::parse("[[1,1,1],[1,1,0],[0,0,1]]"));
    s->toggle_kernel_cell(0, 2, 2);
    EXPECT_EQ(s->kind(0), rf::MaskKind::B);
}

TEST(RfSceneSetters, MoveSwapsTwoLayers) {
    auto s = scene_with({"receptive_field.masks=A,B,none"});
    s->move_layer(2, 1);
    EXPECT_EQ(s->state()["masks"], Json::parse(R"(["A", "none", "B"])"));
}

//-----------------------------------------------------------------------------
// The report reads the scene's analysis
//-----------------------------------------------------------------------------

TEST(RfSceneReport, ReportIsTheAnalysisTheViewDraws) {
    auto s = scene_with({"receptive_field.masks=A,A"});
    s->set_pixel({2, 2});
    const auto a = s->analysis();
    const Json r = s->report();
    EXPECT_EQ(r["cells"].size(), a->cells.size());
    EXPECT_EQ(r["blind_spot"], Json::parse("[[2,4],[2,5],[3,2]]"));  // seed 003
    EXPECT_EQ(r["paths"][0][0].get<double>(), a->paths(0, 0));
    EXPECT_EQ(r["layers"].size(), 2u);
    // And the model's report (a scene built from the state) says the same.
    EXPECT_EQ(rf_model().report(s->state()), r);
    EXPECT_EQ(rf_model().csv(s->state()), s->csv());
}

TEST(RfSceneReport, ReportFollowsSettersWithoutAStateRoundTrip) {
    auto s = scene_with({"receptive_field.masks=B,B"});
    EXPECT_EQ(s->report()["violations"], Json::parse("[[3,3]]"));
    s->set_kind(0, rf::MaskKind::A);
    EXPECT_EQ(s->report()["violations"], Json::array());
}

TEST(RfSceneReport, PathTermsSumToTheCellsCount) {
    auto s = scene_with({"receptive_field.size=9", "receptive_field.kernel=5",
                         "receptive_field.masks=A,B,B", "receptive_field.pixel=6,5"});
    const auto a = s->analysis();
    for (int layer = 0; layer < 3; ++layer) {
        for (int r = 0; r < 9; ++r) {
            for (int c = 0; c < 9; ++c) {
                double sum = 0;
                for (double t : s->path_terms({r, c}, layer)) sum += t;
                ASSERT_EQ(sum, a->layer_paths[layer](r, c)) << layer << " " << r << " " << c;
            }
        }
    }
    // The last layer's terms are the pixel itself: one term of 1 for a cell that feeds it.
    EXPECT_EQ(s->path_terms({4, 4}, 2), (std::vector<double>{1.0}));
}

TEST(RfSceneReport, CompareStacksAreTheFourTwoLayerStacks) {
    auto s = scene_with({"receptive_field.masks=none,none,none"});  // not the user's masks
    const char* names[4][2] = {{"A", "A"}, {"A", "B"}, {"B", "A"}, {"B", "B"}};
    for (int i = 0; i < 4; ++i) {
        const rf::Stack& st = s->compare_stack(i);
        ASSERT_EQ(st.masks.size(), 2u);
        EXPECT_STREQ(rf::to_string(rf::classify_mask(st.masks[0], st.order)), names[i][0]);
        EXPECT_STREQ(rf::to_string(rf::classify_mask(st.masks[1], st.order)), names[i][1]);
    }
    EXPECT_TRUE(s->compare(0)->violations.empty());
    EXPECT_EQ(s->compare(3)->violations.size(), 1u);  // B then B reaches the pixel itself
}

TEST(RfSceneKeys, SpecsAreTheModelsRanges) {
    EXPECT_EQ(rf_keys::size.lo, 1);
    EXPECT_EQ(rf_keys::size.hi, 128);
    const Json d = rf_model().defaults();
    EXPECT_EQ(d["size"], rf_keys::size.def);
    EXPECT_EQ(d["kernel"], rf_keys::kernel.def);
    Json st = d;
    st["size"] = 128;
    EXPECT_NO_THROW(rf_model().normalize(st));
    st["size"] = 129;
    EXPECT_THROW(rf_model().normalize(st), UserError);
    st["size"] = 5;
    st["kernel"] = 4;
    EXPECT_THROW(rf_model().normalize(st), UserError);
    const Json keys = rf_model().keys();
    ASSERT_EQ(keys.size(), 5u);
    EXPECT_EQ(keys[0]["key"], "receptive_field.size");
    EXPECT_EQ(keys[3]["key"], "receptive_field.dilations");
    EXPECT_EQ(keys[4]["key"], "receptive_field.taps");
    EXPECT_EQ(keys[4]["max"], 9);
    EXPECT_EQ(keys[0]["max"], 128);
    EXPECT_EQ(keys[1]["values"], Json::parse("[1,3,5,7,9]"));
}
