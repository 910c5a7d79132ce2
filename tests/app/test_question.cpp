// Question cards (issue 12): placeholders resolve against the state, and every shipped preset's
// card is well-formed.
#include <gtest/gtest.h>

#include <filesystem>

#include "errors.hpp"
#include "files.hpp"
#include "question.hpp"
#include "state.hpp"

using namespace genlab;

TEST(Question, FillsInTheStatesNumbers) {
    Json s = default_state();
    apply_set(s, "gan.gamma=0.3");
    EXPECT_EQ(fill_in("at γ = {gan.gamma}, lr {gan.lr}", s), "at γ = 0.3, lr 0.1");
    EXPECT_EQ(fill_in("start {gan.start}", s), "start 1, 0, 1");
    EXPECT_EQ(fill_in("{gan.start[2]} and {gan.system}", s), "1 and dirac");
    EXPECT_EQ(fill_in("{kl.target[0].mean[0]}", s),
              fill_in("{kl.target[0].mean}", s));  // a 1-D mean is a one-item list
    EXPECT_EQ(fill_in("{{literal}}", s), "{literal}");
    for (const char* bad : {"{gan.nope}", "{gan.start[7]}", "{gan.gamma", "{}", "{gan.start[x]}"}) {
        EXPECT_THROW(fill_in(bad, s), UserError) << bad;
    }
}

TEST(Question, CardsAreCheckedWhenPresetsLoad) {
    const Json s = default_state();
    EXPECT_FALSE(question_of(Json{{"title", "t"}}, "p.json", s));
    const Json good = Json::parse(R"({"question": {"source": "Seed 002 Q5", "ask": "a?",
        "change": "γ from {gan.gamma}", "look": "b"}})");
    EXPECT_EQ(question_of(good, "p.json", s)->source, "Seed 002 Q5");
    for (const char* bad :
         {R"({"question": "text"})", R"({"question": {"ask": 1}})", R"({"question": {"why": "x"}})",
          R"({"question": {"look": "{gan.typo}"}})"}) {
        try {
            question_of(Json::parse(bad), "p.json", s);
            ADD_FAILURE() << bad;
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find("p.json"), std::string::npos) << e.what();
        }
    }
}

TEST(Question, EveryShippedPresetHasAWellFormedCard) {
    int presets = 0;
    for (const auto& entry : fs::directory_iterator(GENLAB_SOURCE_DIR "/assets/presets")) {
        if (entry.path().extension() != ".json") continue;
        ++presets;
        const std::string path = entry.path().string();
        const Json doc = parse_document(read_file_bounded(path, kMaxDocumentBytes), path);
        Json state = default_state();
        merge_document(state, doc, path);
        const auto card = question_of(doc, path, state);
        ASSERT_TRUE(card) << path << " has no question card";
        EXPECT_FALSE(card->source.empty() || card->ask.empty() || card->change.empty() ||
                     card->look.empty())
            << path;
    }
    EXPECT_GE(presets, 30);
}
