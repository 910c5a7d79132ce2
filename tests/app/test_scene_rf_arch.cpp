// RfScene, issue 21: the architecture, dilations and taps keys (normalization, errors naming
// the key), their setters, and the report's growth series and plain-vs-gated pair.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "scene_rf.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

Json rf_state(const std::vector<std::string>& sets) {
    Json s = default_state();
    for (const auto& set : sets) apply_set(s, set);
    return rf_model().normalize(s["receptive_field"]);
}

std::unique_ptr<RfScene> scene_with(const std::vector<std::string>& sets) {
    auto scene = std::make_unique<RfScene>();
    scene->set_state(rf_state(sets));
    return scene;
}

std::string error_of(const std::vector<std::string>& sets) {
    try {
        rf_state(sets);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(RfArchKeys, DefaultsArePlainUndilatedWithTwoTaps) {
    const Json s = rf_state({});
    EXPECT_EQ(s["architecture"], "plain");
    EXPECT_EQ(s["dilations"], Json::parse("[1,1]"));
    EXPECT_EQ(s["taps"], 2);
}

TEST(RfArchKeys, DilationsArePaddedWithOnesAndCutToTheLayers) {
    EXPECT_EQ(
        rf_state({"receptive_field.masks=A,B,B,B", "receptive_field.dilations=[1,2]"})["dilations"],
        Json::parse("[1,2,1,1]"));
    EXPECT_EQ(
        rf_state({"receptive_field.dilations=[1,2,4,8]", "receptive_field.masks=A,B"})["dilations"],
        Json::parse("[1,2]"));
}

TEST(RfArchKeys, ErrorsNameTheKey) {
    EXPECT_NE(
        error_of({"receptive_field.architecture=resnet"}).find("receptive_field.architecture"),
        std::string::npos);
    EXPECT_NE(error_of({"receptive_field.dilations=[1,0]"}).find("receptive_field.dilations[1]"),
              std::string::npos);
    EXPECT_NE(error_of({"receptive_field.taps=10"}).find("receptive_field.taps"),
              std::string::npos);
}

TEST(RfArchScene, GatedReportHasNoBlindSpotWhereThePlainStackHasOne) {
    auto sc = scene_with({"receptive_field.size=11", "receptive_field.masks=A,B,B,B,B",
                          "receptive_field.pixel=8,6", "receptive_field.architecture=gated"});
    const Json r = sc->report();
    EXPECT_EQ(r["architecture"], "gated");
    EXPECT_TRUE(r["blind_spot"].empty());
    EXPECT_TRUE(r["violations"].empty());
    EXPECT_EQ(r["plain_vs_gated"]["gated"]["cells"], r["cells"]);
    EXPECT_FALSE(r["plain_vs_gated"]["plain"]["blind_spot"].empty());
    // The plain side is the A-then-B stack of the same depth.
    sc->set_architecture(rf::Architecture::Plain);
    EXPECT_EQ(sc->report()["cells"], r["plain_vs_gated"]["plain"]["cells"]);
}

TEST(RfArchScene, CausalAddLayerDoublesTheDilationAndTheFieldDoubles) {
    auto sc = scene_with({"receptive_field.size=64", "receptive_field.masks=B",
                          "receptive_field.architecture=causal1d", "receptive_field.pixel=1,64"});
    for (int l = 0; l < 4; ++l) sc->add_layer();
    EXPECT_EQ(sc->state()["dilations"], Json::parse("[1,2,4,8,16]"));
    const Json r = sc->report();
    ASSERT_EQ(r["growth"].size(), 5u);
    for (int l = 0; l < 5; ++l) EXPECT_EQ(r["growth"][l]["cells"], 2 << l);
    EXPECT_EQ(r["cells"].size(), 32u);
    EXPECT_EQ(r["cells"][0], Json::parse("[1,33]"));
}

TEST(RfArchScene, PathTermsOfADilatedLayerSumToTheCount) {
    auto sc = scene_with({"receptive_field.size=15", "receptive_field.masks=A,B,B",
                          "receptive_field.dilations=[1,2,3]", "receptive_field.pixel=12,8"});
    const auto a = sc->analysis();
    for (int l = 0; l < 3; ++l)
        for (int r = 0; r < 15; ++r)
            for (int c = 0; c < 15; ++c) {
                double sum = 0;
                for (double t : sc->path_terms({r, c}, l)) sum += t;
                ASSERT_EQ(sum, a->layer_paths[l](r, c)) << l << " " << r << "," << c;
            }
}

TEST(RfArchScene, DilationSetterMovesWithItsLayerAndRecomputes) {
    auto sc = scene_with(
        {"receptive_field.masks=A,B,B", "receptive_field.size=20", "receptive_field.pixel=15,10"});
    const auto before = sc->analysis()->cells.size();
    sc->set_dilation(2, 3);
    EXPECT_NE(sc->analysis()->cells.size(), before);
    sc->move_layer(2, 1);
    EXPECT_EQ(sc->state()["dilations"], Json::parse("[1,3,1]"));
    sc->remove_layer(1);
    EXPECT_EQ(sc->state()["dilations"], Json::parse("[1,1]"));
    EXPECT_THROW(sc->set_dilation(0, 0), UserError);
    EXPECT_THROW(sc->set_taps(0), UserError);
}
