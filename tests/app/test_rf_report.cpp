// The receptive-field report through the whole model layer: JSON state in, the seed answers
// out, with 1-based [row, col] cells.
#include <gtest/gtest.h>

#include "rf_model.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

Json cells(std::initializer_list<int> ids) {
    Json list = Json::array();
    for (int id : ids) list.push_back({id / 10, id % 10});
    return list;
}

Json report_for(const std::vector<std::string>& sets) {
    Json s = default_state();
    for (const auto& set : sets) apply_set(s, set);
    return make_report(s)["receptive_field"];
}

}  // namespace

TEST(RfReport, Seed000Pixel34BottomUpAB) {
    const Json r = report_for({"receptive_field.order=bottom-up", "receptive_field.masks=A,B",
                               "receptive_field.pixel=3,4"});
    EXPECT_EQ(r["pixel"], Json::array({3, 4}));
    // Last layer (B) reads 33 34 43 44 45; its input cells are layer 2's input.
    EXPECT_EQ(r["layers"][1], cells({33, 34, 43, 44, 45}));
    EXPECT_EQ(r["violations"], Json::array());
    EXPECT_EQ(r["paths"].size(), 5u);
    EXPECT_EQ(r["paths"][0].size(), 5u);
    EXPECT_TRUE(r["paths"][2][2].is_number_unsigned());
}

TEST(RfReport, Seed003Pixel33TopDownAA) {
    const Json r = report_for({"receptive_field.masks=A,A", "receptive_field.pixel=3,3"});
    EXPECT_EQ(r["layers"][1], cells({22, 23, 24, 32}));
    EXPECT_EQ(r["cells"], cells({11, 12, 13, 14, 15, 21, 22, 23, 31}));
    EXPECT_EQ(r["blind_spot"], cells({24, 25, 32}));
}

TEST(RfReport, ViolationsListThePixelForBB) {
    const Json r = report_for({"receptive_field.masks=B,B", "receptive_field.pixel=3,3"});
    EXPECT_EQ(r["violations"], cells({33}));
}

TEST(RfReport, PathsMatchTheCountsOfTheCellList) {
    const Json r = report_for({"receptive_field.size=9", "receptive_field.kernel=5",
                               "receptive_field.masks=A,B,B", "receptive_field.pixel=6,5"});
    size_t nonzero = 0;
    for (const auto& row : r["paths"]) {
        for (const auto& v : row) nonzero += v.get<double>() > 0;
    }
    EXPECT_EQ(nonzero, r["cells"].size());
}

TEST(RfCsv, OneRowPerCellWithFlags) {
    Json s = default_state();
    apply_set(s, "receptive_field.masks=B,B");
    const std::string csv = RfModel().csv(s["receptive_field"]);
    EXPECT_EQ(csv.rfind("row,col,paths,in_field,blind_spot,violation\n", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 26);
    EXPECT_NE(csv.find("\n3,3,1,1,0,1\n"), std::string::npos) << csv;  // the pixel itself
}
