// Sharing a view (issue 18): the clipboard document and the command line rebuild the state
// they were made from, for every preset; pasted text is all or nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli.hpp"
#include "errors.hpp"
#include "presets.hpp"
#include "sharing.hpp"
#include "state.hpp"

using namespace genlab;
namespace fs = std::filesystem;

namespace {

// The state the command line `genlab <args>` starts with, through the real CLI parser.
Json state_from_command(const std::vector<std::string>& args) {
    std::vector<std::string> words = {"genlab"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    Options options;
    EXPECT_EQ(parse_cli(static_cast<int>(argv.size()), argv.data(), options), -1);
    Json state = default_state();
    apply_cli_ops(state, options);
    return state;
}

std::vector<Preset> all_presets() {
    std::string problems;
    auto presets = load_presets(GENLAB_SOURCE_DIR "/assets/presets", problems);
    EXPECT_EQ(problems, "");
    return presets;
}

}  // namespace

TEST(Sharing, TheCommandLineRebuildsEveryPreset) {
    const auto presets = all_presets();
    ASSERT_GT(presets.size(), 50u);
    for (const Preset& p : presets) {
        Json state = default_state();
        merge_document(state, p.document, p.path);
        const std::vector<std::string> args = command_args(state);
        const Json rebuilt = state_from_command(args);
        EXPECT_EQ(rebuilt.at("panel"), state.at("panel")) << p.path;
        EXPECT_EQ(rebuilt.at(p.panel), state.at(p.panel)) << p.path;
        // Only what differs from the defaults is written.
        EXPECT_LT(args.size(), 2 + 2 * state.at(p.panel).size()) << p.path;
    }
}

TEST(Sharing, TheDefaultsNeedOnlyThePanel) {
    Json state = default_state();
    state["panel"] = "gan";
    EXPECT_EQ(command_args(state), (std::vector<std::string>{"--panel", "gan"}));
    EXPECT_EQ(command_line(state), "genlab --panel gan");
}

TEST(Sharing, StringsThatReadAsNumbersOrListsStayStrings) {
    EXPECT_EQ(parse_set_value("\"1\""), Json("1"));
    EXPECT_EQ(parse_set_value("\"max(z, 0)\""), Json("max(z, 0)"));
    EXPECT_EQ(parse_set_value("1"), Json(1));  // unquoted, as before
    EXPECT_EQ(parse_set_value("a,b"), Json({"a", "b"}));
    EXPECT_THROW(parse_set_value("\"unterminated"), UserError);
    Json state = default_state();
    state["panel"] = "vi";
    apply_set(state, "vi.link=expression");
    apply_set(state, "vi.expression=\"max(z, 0) + 1\"");  // a comma inside
    const Json rebuilt = state_from_command(command_args(state));
    EXPECT_EQ(rebuilt.at("vi").at("expression"), "max(z, 0) + 1");
    EXPECT_EQ(rebuilt.at("vi"), state.at("vi"));
}

TEST(Sharing, ShellQuotingSurvivesQuotesAndSpaces) {
    EXPECT_EQ(shell_quote("gan.lr=0.1"), "gan.lr=0.1");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("flow.layers=[{\"type\":\"planar\"}]"),
              "'flow.layers=[{\"type\":\"planar\"}]'");
}

TEST(Sharing, TheClipboardDocumentIsTheActivePanelAndLoadsBack) {
    Json state = default_state();
    apply_set(state, "panel=kl");
    apply_set(state, "kl.lr=0.07");
    const std::string text = clipboard_document(state);
    EXPECT_EQ(text.find('\n'), std::string::npos);  // one line
    const Json doc = Json::parse(text);
    EXPECT_EQ(doc.at("panel"), "kl");
    EXPECT_EQ(doc.size(), 3u);  // version, panel, kl
    Json other = default_state();
    merge_pasted(other, text, "the clipboard");
    EXPECT_EQ(other.at("panel"), "kl");
    EXPECT_EQ(other.at("kl"), state.at("kl"));
}

TEST(Sharing, BadPastesNameTheirOriginAndKeepTheState) {
    Json state = default_state();
    const Json before = state;
    const auto error_of = [&](const std::string& text) {
        try {
            merge_pasted(state, text, "the clipboard");
        } catch (const UserError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(error_of("hello").find("the clipboard is not valid JSON"), std::string::npos);
    EXPECT_NE(error_of("").find("the clipboard is empty"), std::string::npos);
    const std::string bad_key = error_of(R"({"version":1,"panel":"gan","gan":{"lr":-4}})");
    EXPECT_NE(bad_key.find("gan.lr"), std::string::npos) << bad_key;
    EXPECT_EQ(state, before);
}
