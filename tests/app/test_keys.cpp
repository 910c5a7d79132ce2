// One source for every range and default (issue 11): each panel's numeric key specs
// (keys.hpp) agree with the model's defaults, bound what loading accepts exactly, and are the
// ranges the README's key tables print.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "format.hpp"
#include "panel_model.hpp"

using namespace genlab;

namespace {

// "gan.lr" -> "lr"; "" for nested keys ("flow.layers[].a"), which the panel's own tests cover.
std::string top_level_key(const PanelModel& model, const std::string& path) {
    const std::string prefix = model.id() + ".";
    if (path.rfind(prefix, 0) != 0) return "";
    const std::string key = path.substr(prefix.size());
    return key.find_first_of(".[") == std::string::npos ? key : "";
}

std::string error_of_normalizing(const PanelModel& model, const std::string& key,
                                 const Json& value) {
    Json state = model.defaults();
    state[key] = value;
    try {
        model.normalize(state);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

// The README with every run of spaces and line breaks as one space: key tables wrap anywhere.
std::string readme() {
    std::ifstream in(GENLAB_SOURCE_DIR "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    std::string flat;
    for (const char c : text.str()) {
        const bool space = c == ' ' || c == '\n';
        if (!(space && !flat.empty() && flat.back() == ' ')) flat += space ? ' ' : c;
    }
    return flat;
}

// Just outside [lo, hi] for a key's kind: the next integer, or a relative step for numbers.
double below(const Json& k) {
    const double lo = k["min"].get<double>();
    return k["kind"] == "integer" ? lo - 1 : lo - std::max(std::abs(lo) * 1e-6, 1e-12);
}
double above(const Json& k) {
    const double hi = k["max"].get<double>();
    return k["kind"] == "integer" ? hi + 1 : hi + std::max(std::abs(hi) * 1e-6, 1e-12);
}

}  // namespace

TEST(KeySpecs, EveryPanelStatesItsNumericKeys) {
    for (const PanelModel* model : all_panel_models()) {
        EXPECT_GE(model->keys().size(), 2u) << model->id() << " lists no key specs";
    }
}

TEST(KeySpecs, DefaultsAreTheModelsDefaultsAndInRange) {
    for (const PanelModel* model : all_panel_models()) {
        const Json defaults = model->defaults();
        for (const Json& k : model->keys()) {
            const std::string path = k["key"];
            // A default is a number, or (vectors, matrices) numbers each within the range.
            const Json flat = k["default"].is_array() ? k["default"].flatten() : Json::object();
            for (const Json& d : k["default"].is_array() ? flat : Json::array({k["default"]})) {
                EXPECT_LE(k["min"].get<double>(), d.get<double>()) << path;
                EXPECT_LE(d.get<double>(), k["max"].get<double>()) << path;
            }
            const std::string key = top_level_key(*model, path);
            if (key.empty()) continue;
            ASSERT_TRUE(defaults.contains(key)) << path << " is not a key of the defaults";
            if (k.value("each", false)) {  // a list's items: each within the range
                for (const Json& item : defaults[key]) {
                    EXPECT_LE(k["min"].get<double>(), item.get<double>()) << path;
                    EXPECT_LE(item.get<double>(), k["max"].get<double>()) << path;
                }
                continue;
            }
            EXPECT_EQ(defaults[key].get<double>(), k["default"].get<double>()) << path;
        }
    }
}

TEST(KeySpecs, LoadingAcceptsExactlyTheSpecsRange) {
    for (const PanelModel* model : all_panel_models()) {
        for (const Json& k : model->keys()) {
            const std::string path = k["key"];
            const std::string key = top_level_key(*model, path);
            if (key.empty() || k.value("each", false)) continue;  // items: the panel's tests
            // In range, the key itself is accepted (another key may then object: a size of 1
            // leaves no room for the default pixel).
            const auto accepted = [&](const Json& v) {
                return error_of_normalizing(*model, key, v).find(path + " must") ==
                       std::string::npos;
            };
            if (k.contains("values")) {
                for (const Json& v : k["values"]) EXPECT_TRUE(accepted(v)) << path << " = " << v;
            }
            EXPECT_TRUE(accepted(k["min"])) << path << " at its min";
            EXPECT_TRUE(accepted(k["max"])) << path << " at its max";
            for (double outside : {below(k), above(k)}) {
                const std::string error = error_of_normalizing(*model, key, outside);
                EXPECT_NE(error.find(path), std::string::npos)
                    << path << " = " << outside << " gave: '" << error << "'";
            }
        }
    }
}

TEST(KeySpecs, TheReadmeStatesEveryTopLevelRange) {
    const std::string text = readme();
    ASSERT_FALSE(text.empty());
    for (const PanelModel* model : all_panel_models()) {
        for (const Json& k : model->keys()) {
            const std::string key = top_level_key(*model, k["key"]);
            if (key.empty() || k.value("each", false)) continue;
            if (k.contains("values")) {  // "`kernel` (1, 3, 5, 7, 9)" or "`dim` (1 | 2)"
                std::string commas, bars;
                for (const Json& v : k["values"]) {
                    commas += (commas.empty() ? "" : ", ") + v.dump();
                    bars += (bars.empty() ? "" : " | ") + v.dump();
                }
                EXPECT_TRUE(text.find("`" + key + "` (" + commas + ")") != std::string::npos ||
                            text.find("`" + key + "` (" + bars + ")") != std::string::npos)
                    << "README.md should say `" << key << "` (" << commas << ")";
                continue;
            }
            const std::string range = k["kind"] == "integer"
                                          ? std::to_string(k["min"].get<long long>()) + "–" +
                                                std::to_string(k["max"].get<long long>())
                                          : format_number(k["min"].get<double>()) + "–" +
                                                format_number(k["max"].get<double>());
            const std::string expected = "`" + key + "` (" + range;
            EXPECT_NE(text.find(expected), std::string::npos)
                << "README.md should say " << expected << "...) for " << k["key"];
        }
    }
}

TEST(Format, ErrorBoundsKeepOneOrTwoDigitsRoundedUp) {
    EXPECT_EQ(format_error(2e-7), "2e-7");
    EXPECT_EQ(format_error(2.3e-7), "3e-7");  // rounded up: a bound never shrinks
    EXPECT_EQ(format_error(1.41e-7), "1.5e-7");
    EXPECT_EQ(format_error(9.2e-9), "1e-8");
    EXPECT_EQ(format_error(0.00031), "0.0004");
    EXPECT_EQ(format_error(0.0), "0");
    EXPECT_EQ(format_error(std::nan("")), "NaN");
}
