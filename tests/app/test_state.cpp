// The state contract: defaults, --set values, merging of sessions/presets, and the errors
// for bad input (which must leave the state untouched).
#include <gtest/gtest.h>

#include "errors.hpp"
#include "state.hpp"

using namespace genlab;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

bool mentions(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(SetValue, ParsesNumbersWordsListsAndJson) {
    EXPECT_EQ(parse_set_value("5"), Json(5));
    EXPECT_TRUE(parse_set_value("5").is_number_integer());
    EXPECT_EQ(parse_set_value("-0.25"), Json(-0.25));
    EXPECT_EQ(parse_set_value("1e-3"), Json(1e-3));
    EXPECT_EQ(parse_set_value("true"), Json(true));
    EXPECT_EQ(parse_set_value("false"), Json(false));
    EXPECT_EQ(parse_set_value("top-down"), Json("top-down"));
    EXPECT_EQ(parse_set_value("3x"), Json("3x"));
    EXPECT_EQ(parse_set_value("A,B"), Json::array({"A", "B"}));
    EXPECT_EQ(parse_set_value("3,4"), Json::array({3, 4}));
    EXPECT_EQ(parse_set_value("[[1,0],[0,1]]"), Json::parse("[[1,0],[0,1]]"));
    EXPECT_EQ(parse_set_value("{\"a\":1}"), Json::parse("{\"a\":1}"));
}

TEST(SetValue, HugeIntegersFallBackToDoubles) {
    const Json v = parse_set_value("99999999999999999999");
    EXPECT_TRUE(v.is_number_float());
}

TEST(ApplySet, SetsDottedKeysAndCanonicalizes) {
    Json s = default_state();
    apply_set(s, "receptive_field.kernel=5");
    apply_set(s, "receptive_field.masks=A,B,B");
    apply_set(s, "receptive_field.pixel=2,4");
    apply_set(s, "receptive_field.order=bottom-up");
    EXPECT_EQ(s["receptive_field"]["kernel"], 5);
    EXPECT_EQ(s["receptive_field"]["masks"], Json::array({"A", "B", "B"}));
    EXPECT_EQ(s["receptive_field"]["pixel"], Json::array({2, 4}));
    EXPECT_EQ(s["receptive_field"]["order"], "bottom-up");
    apply_set(s, "receptive_field.masks=B");  // one name is a one-layer stack
    EXPECT_EQ(s["receptive_field"]["masks"], Json::array({"B"}));
}

TEST(ApplySet, MaskNamesSurviveAKernelWhereTwoNamesCoincide) {
    // At k = 1, "B" and "none" are both the single kept centre; "none" must stay "none".
    Json s = default_state();
    apply_set(s, "receptive_field.masks=none,none");
    apply_set(s, "receptive_field.kernel=1");
    EXPECT_EQ(s["receptive_field"]["masks"], Json::array({"none", "none"}));
    apply_set(s, "receptive_field.kernel=3");
    EXPECT_EQ(s["receptive_field"]["masks"], Json::array({"none", "none"}));
    EXPECT_EQ(make_report(s)["receptive_field"]["cells"].size(), 25u);
}

TEST(ApplySet, CustomMaskMatrixEqualToANamedMaskIsStoredByName) {
    Json s = default_state();
    apply_set(s, "receptive_field.masks=[[[1,1,1],[1,0,0],[0,0,0]],\"B\"]");
    EXPECT_EQ(s["receptive_field"]["masks"], Json::array({"A", "B"}));
    apply_set(s, "receptive_field.masks=[[[1,1,1],[1,1,1],[0,0,0]]]");
    EXPECT_TRUE(s["receptive_field"]["masks"][0].is_array());
}

// Found by the fuzzer (tests/fuzz/regressions/set-invalid-utf8): a --set word that is not
// UTF-8 made the error message's value.dump() throw nlohmann's type_error, not a UserError.
TEST(ApplySet, TextThatIsNotUtf8IsAUserErrorAndChangesNothing) {
    Json s = default_state();
    const Json before = s;
    for (const std::string bad :
         {"receptive_field.order=\xd5", "receptive_field.masks=A,\xff\xfe", "gan.\xc3=1",
          "kl.optimizer=ad\xe2\x82"
          "am"}) {
        const std::string e = error_of([&] { apply_set(s, bad); });
        EXPECT_TRUE(mentions(e, "not valid UTF-8")) << bad << ": " << e;
        EXPECT_EQ(s, before) << bad;
    }
    EXPECT_TRUE(
        mentions(error_of([] { parse_set_value("a,\xd5"); }), "--set VALUE is not valid UTF-8"));
    apply_set(s, "receptive_field.order=bottom-up");  // UTF-8 text still works
    EXPECT_EQ(s["receptive_field"]["order"], "bottom-up");
    EXPECT_EQ(parse_set_value("\xc3\xa9t\xc3\xa9"), Json("\xc3\xa9t\xc3\xa9"));  // "été"
}

TEST(ApplySet, BadKeysAndValuesNameTheKeyAndTheAllowedValues) {
    Json s = default_state();
    const Json before = s;
    std::string e = error_of([&] { apply_set(s, "receptive_field.kernel=4"); });
    EXPECT_TRUE(mentions(e, "receptive_field.kernel")) << e;
    EXPECT_TRUE(mentions(e, "1, 3, 5, 7, 9")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.colour=red"); });
    EXPECT_TRUE(mentions(e, "unknown key 'receptive_field.colour'")) << e;
    EXPECT_TRUE(mentions(e, "masks")) << e;  // lists what is allowed
    e = error_of([&] { apply_set(s, "receptive_field.order=sideways"); });
    EXPECT_TRUE(mentions(e, "top-down | bottom-up")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.size=129"); });
    EXPECT_TRUE(mentions(e, "[1, 128]")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.size=2.5"); });
    EXPECT_TRUE(mentions(e, "receptive_field.size")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.pixel=9,1"); });
    EXPECT_TRUE(mentions(e, "receptive_field.pixel")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.masks=A,C"); });
    EXPECT_TRUE(mentions(e, "receptive_field.masks[1]")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.masks=[[[1,1],[1,1]]]"); });
    EXPECT_TRUE(mentions(e, "3x3")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.size=1e400"); });
    EXPECT_TRUE(mentions(e, "not finite")) << e;
    e = error_of([&] { apply_set(s, "nopanel.x=1"); });
    EXPECT_TRUE(mentions(e, "unknown panel 'nopanel'")) << e;
    e = error_of([&] { apply_set(s, "panel=gan_typo"); });
    EXPECT_TRUE(mentions(e, "receptive_field")) << e;
    e = error_of([&] { apply_set(s, "receptive_field.kernel"); });
    EXPECT_TRUE(mentions(e, "KEY=VALUE")) << e;
    EXPECT_EQ(s, before);  // every failure left the state as it was
}

TEST(MergeDocument, SessionsMergeKeyByKey) {
    Json s = default_state();
    apply_set(s, "receptive_field.size=7");
    merge_document(s, Json::parse(R"({"version":1,"receptive_field":{"kernel":5}})"), "session");
    EXPECT_EQ(s["receptive_field"]["size"], 7);
    EXPECT_EQ(s["receptive_field"]["kernel"], 5);
}

// Issue 12: a preset is the panel's defaults plus the preset, never leftovers.
TEST(MergeDocument, PresetsGiveDefaultsPlusThePreset) {
    Json s = default_state();
    apply_set(s, "receptive_field.size=7");
    apply_set(s, "gan.loss=non-saturating");
    merge_document(s, Json::parse(R"({"version":1,"title":"t","receptive_field":{"kernel":5}})"),
                   "preset");
    EXPECT_EQ(s["receptive_field"]["size"], default_state()["receptive_field"]["size"]);
    EXPECT_EQ(s["receptive_field"]["kernel"], 5);
    EXPECT_EQ(s["gan"]["loss"], "non-saturating");  // panels the preset does not name are kept
    StateEdits edits;                               // the command line's --load does the same
    edits.add_set("receptive_field.size=7");
    edits.add_document(Json::parse(R"({"title":"t","receptive_field":{"kernel":5}})"), "p.json");
    Json t = default_state();
    edits.apply_to(t);
    EXPECT_EQ(t["receptive_field"]["size"], default_state()["receptive_field"]["size"]);
    const std::string e = error_of([&] {
        merge_document(s, Json::parse(R"({"title":"t","receptive_field":{"kernal":5}})"), "p");
    });
    EXPECT_TRUE(mentions(e, "unknown key 'receptive_field.kernal'")) << e;
}

TEST(MergeDocument, IsAllOrNothing) {
    Json s = default_state();
    const Json before = s;
    const std::string e = error_of([&] {
        merge_document(s, Json::parse(R"({"panel":"receptive_field",
                                       "receptive_field":{"kernel":5,"size":0}})"),
                       "p.json");
    });
    EXPECT_TRUE(mentions(e, "p.json")) << e;
    EXPECT_TRUE(mentions(e, "receptive_field.size")) << e;
    EXPECT_EQ(s, before);
}

TEST(MergeDocument, RejectsWrongVersionsTypesAndShapes) {
    Json s = default_state();
    EXPECT_TRUE(mentions(error_of([&] { merge_document(s, Json::parse(R"({"version":2})"), "f"); }),
                         "unsupported version 2"));
    EXPECT_TRUE(
        mentions(error_of([&] { merge_document(s, Json::parse("[1,2]"), "f"); }), "JSON object"));
    EXPECT_TRUE(
        mentions(error_of([&] { merge_document(s, Json::parse(R"({"receptive_field":3})"), "f"); }),
                 "must be an object"));
    EXPECT_TRUE(mentions(error_of([&] {
                             merge_document(s, Json::parse(R"({"receptive_field":{"size":"5"}})"),
                                            "f");
                         }),
                         "receptive_field.size"));
}

TEST(ParseDocument, EmptyTruncatedAndDeepInputsGetClearErrors) {
    EXPECT_TRUE(mentions(error_of([] { parse_document("", "a.json"); }), "a.json is empty"));
    EXPECT_TRUE(mentions(error_of([] { parse_document("  \n", "a.json"); }), "empty"));
    EXPECT_TRUE(mentions(error_of([] { parse_document("{\"version\": 1, \"rec", "a.json"); }),
                         "not valid JSON"));
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_TRUE(mentions(error_of([&] { parse_document(deep, "d.json"); }), "nested deeper"));
    // 1e400 overflows a double: refused at parse time, naming the number.
    const std::string e =
        error_of([] { parse_document(R"({"receptive_field":{"size":1e400}})", "big.json"); });
    EXPECT_TRUE(mentions(e, "big.json")) << e;
    EXPECT_TRUE(mentions(e, "1e400")) << e;
}

TEST(Report, HasTheContractShape) {
    Json s = default_state();
    const Json r = make_report(s);
    EXPECT_EQ(r["version"], 1);
    EXPECT_EQ(r["panel"], "receptive_field");
    EXPECT_EQ(r["state"], s["receptive_field"]);
    for (const char* key : {"pixel", "cells", "paths", "blind_spot", "violations", "layers"}) {
        EXPECT_TRUE(r["receptive_field"].contains(key)) << key;
    }
}

TEST(DumpDocument, RefusesNonFiniteNumbers) {
    Json doc = default_state();
    doc["receptive_field"]["size"] = std::nan("");
    EXPECT_THROW(dump_document(doc), UserError);
}

// Issue 20: --set numbers follow JSON's grammar, as files do, and errors name the key.
TEST(SetValue, NumbersFollowJsonsGrammar) {
    Json s = default_state();
    const Json before = s;
    for (const char* text : {"gan.lr=0x10", "gan.lr=0x1p-2", "gan.lr= 0.5", "gan.lr=0.5 ",
                             "gan.lr=+0.5", "gan.lr=.5"}) {
        const std::string e = error_of([&] { apply_set(s, text); });
        EXPECT_TRUE(mentions(e, "--set gan.lr")) << text << ": " << e;
        EXPECT_TRUE(mentions(e, "not a number as JSON writes them")) << text << ": " << e;
    }
    for (const char* text : {"gan.lr=inf", "gan.lr=nan", "gan.lr=-Infinity"}) {
        const std::string e = error_of([&] { apply_set(s, text); });
        EXPECT_TRUE(mentions(e, "--set gan.lr: the value")) << text << ": " << e;
        EXPECT_TRUE(mentions(e, "not finite")) << text << ": " << e;
    }
    std::string e = error_of([&] { apply_set(s, "gan.lr=1e-400"); });
    EXPECT_TRUE(mentions(e, "--set gan.lr")) << e;
    EXPECT_TRUE(mentions(e, "would read as 0")) << e;
    EXPECT_EQ(s, before);  // nothing applied
    apply_set(s, "gan.lr=5e-2");
    EXPECT_EQ(s["gan"]["lr"], Json(0.05));
    EXPECT_EQ(parse_set_value("0x"), Json("0x"));  // a word, not a number C would half-read
}

TEST(ParseDocument, NumbersThatUnderflowAreErrors) {
    const std::string e =
        error_of([] { parse_document(R"({"gan": {"lr": 1e-400}})", "tiny.json"); });
    EXPECT_TRUE(mentions(e, "tiny.json")) << e;
    EXPECT_TRUE(mentions(e, "1e-400")) << e;
    // Zeros written as zeros, exponents of any size on zero, and digits inside strings are fine.
    EXPECT_NO_THROW(
        parse_document(R"({"a": 0.0, "b": 0e-999, "c": "1e-400", "d": 2.5e-310})", "ok.json"));
}

// Issue 12: --set and --load are merged first and validated once, so order does not matter.
TEST(StateEdits, OrderOfSetsDoesNotMatter) {
    for (const bool size_first : {true, false}) {
        Json s = default_state();
        StateEdits edits;
        const std::vector<std::string> sets = {"receptive_field.size=20",
                                               "receptive_field.pixel=11,10"};
        edits.add_set(size_first ? sets[0] : sets[1]);
        edits.add_set(size_first ? sets[1] : sets[0]);
        edits.apply_to(s);
        EXPECT_EQ(s["receptive_field"]["size"], Json(20));
        EXPECT_EQ(s["receptive_field"]["pixel"], Json::array({11, 10}));
    }
}

TEST(StateEdits, LaterValuesWinAndErrorsBlameTheirOrigin) {
    Json s = default_state();
    const Json before = s;
    StateEdits edits;
    edits.add_document(Json::parse(R"({"gan": {"lr": 0.5, "gamma": 1}})"), "preset.json");
    edits.add_set("gan.lr=0.2");
    edits.add_set("receptive_field.size=500");
    std::string e = error_of([&] { edits.apply_to(s); });
    EXPECT_TRUE(mentions(e, "--set receptive_field.size: receptive_field.size")) << e;
    EXPECT_EQ(s, before);  // all or nothing
    StateEdits good;
    good.add_document(Json::parse(R"({"gan": {"lr": 0.5, "gamma": 1}})"), "preset.json");
    good.add_set("gan.lr=0.2");
    good.apply_to(s);
    EXPECT_EQ(s["gan"]["lr"], Json(0.2));
    EXPECT_EQ(s["gan"]["gamma"], Json(1.0));
    EXPECT_EQ(good.panels_edited(), std::vector<std::string>{"gan"});
    // What a single edit can check alone fails at once, naming its origin.
    StateEdits bad;
    e = error_of([&] { bad.add_document(Json::parse(R"({"gan": {"nope": 1}})"), "p.json"); });
    EXPECT_TRUE(mentions(e, "p.json: unknown key 'gan.nope'")) << e;
}

// Issue 20: messages quoting user bytes stay valid UTF-8 (test mode's ui.json crashed on one).
TEST(UserErrors, QuoteInvalidBytesAsEscapes) {
    const std::string e = error_of(
        [] { parse_document("{\"version\":1,\"gan\":{\"lr\":\"\xff\xfe\"}}", "s\xc3.json"); });
    EXPECT_NO_THROW((void)Json(e).dump()) << e;
    EXPECT_TRUE(mentions(e, "s\\xC3.json")) << e;
    EXPECT_TRUE(mentions(e, "\\xFF")) << e;
    EXPECT_EQ(valid_utf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac"),
              "\xc3\xa9t\xc3\xa9 \xe2\x82\xac");               // kept
    EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a surrogate is not UTF-8
    EXPECT_EQ(valid_utf8("\xc0\xaf"), "\\xC0\\xAF");           // nor an overlong '/'
}
