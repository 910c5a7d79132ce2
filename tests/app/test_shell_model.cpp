// The shell's headless parts: preset discovery and loading, settings I/O, the last-good state
// snapshot that follows a scene's revision, and `genlab --keys`' document.
#include <gtest/gtest.h>

#include <iterator>

#include <stdlib.h>
#include <unistd.h>
#include <chrono>

#include <fstream>

#include "cli.hpp"
#include "errors.hpp"
#include "files.hpp"
#include "presets.hpp"
#include "scene.hpp"
#include "settings.hpp"
#include "state_snapshot.hpp"

using namespace genlab;

namespace {

struct TempDir {
    TempDir() {
        char templ[] = "/tmp/genlab-test-XXXXXX";
        path = mkdtemp(templ);
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path path;
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// The source tree's assets: what the app ships.
fs::path shipped_presets() {
    return fs::path(__FILE__).parent_path().parent_path().parent_path() / "assets" / "presets";
}

}  // namespace

TEST(Presets, LoadsSortedTitlesFromTheDocumentOrTheFileName) {
    TempDir d;
    write(d.path / "b.json", R"({"panel": "gan", "title": "Bee", "gan": {"gamma": 0.5}})");
    write(d.path / "a.json", R"({"panel": "kl"})");
    write(d.path / "notes.txt", "not a preset");
    std::string problems;
    const auto presets = load_presets(d.path, problems);
    EXPECT_EQ(problems, "");
    ASSERT_EQ(presets.size(), 2u);
    EXPECT_EQ(presets[0].title, "a");  // no title: the file name
    EXPECT_EQ(presets[0].panel, "kl");
    EXPECT_EQ(presets[1].title, "Bee");
    EXPECT_EQ(presets[1].panel, "gan");
    EXPECT_EQ(presets[1].document["gan"]["gamma"], 0.5);
    EXPECT_EQ(presets[1].path, (d.path / "b.json").string());
}

TEST(Presets, ABrokenPresetIsNamedAndSkippedNotFatal) {
    TempDir d;
    write(d.path / "good.json", R"({"panel": "gan"})");
    write(d.path / "truncated.json", R"({"panel": )");
    write(d.path / "range.json", R"({"gan": {"lr": 1e9}})");
    write(d.path / "title.json", R"({"panel": "gan", "title": 3})");
    std::string problems;
    const auto presets = load_presets(d.path, problems);
    ASSERT_EQ(presets.size(), 1u);
    EXPECT_EQ(presets[0].title, "good");
    for (const char* name : {"truncated.json", "range.json", "gan.lr", "title.json", "'title'"}) {
        EXPECT_NE(problems.find(name), std::string::npos) << name << " in: " << problems;
    }
}

TEST(Presets, FileNamesSortNaturally) {
    EXPECT_TRUE(natural_less("flow_planar_k2.json", "flow_planar_k10.json"));
    EXPECT_FALSE(natural_less("flow_planar_k10.json", "flow_planar_k2.json"));
    EXPECT_TRUE(natural_less("k1", "k2"));
    EXPECT_TRUE(natural_less("k02", "k10"));  // leading zeros do not make a number larger
    EXPECT_TRUE(natural_less("a", "b"));
    EXPECT_TRUE(natural_less("k", "k1"));
    EXPECT_FALSE(natural_less("k1", "k1"));
    TempDir d;
    for (const char* name : {"p_k10.json", "p_k2.json", "p_k1.json"}) {
        write(d.path / name, R"({"panel": "flow"})");
    }
    std::string problems;
    const auto presets = load_presets(d.path, problems);
    ASSERT_EQ(presets.size(), 3u);
    EXPECT_EQ(presets[0].title + presets[1].title + presets[2].title, "p_k1p_k2p_k10");
}

TEST(Presets, AQuestionCardIsReadAndABrokenOneSkipsThePreset) {
    TempDir d;
    write(d.path / "good.json", R"({"title": "G", "gan": {"gamma": 0.5},
        "question": {"source": "Seed 002 Q5", "ask": "A?", "change": "γ = {gan.gamma}",
                     "look": "L"}})");
    write(d.path / "placeholder.json", R"({"title": "P", "gan": {},
        "question": {"source": "S", "ask": "{gan.no_such_key}", "change": "", "look": ""}})");
    write(d.path / "field.json", R"({"title": "F", "gan": {},
        "question": {"source": "S", "asks": "typo"}})");
    std::string problems;
    const auto presets = load_presets(d.path, problems);
    ASSERT_EQ(presets.size(), 1u);
    ASSERT_TRUE(presets[0].question.has_value());
    EXPECT_EQ(presets[0].question->source, "Seed 002 Q5");
    EXPECT_EQ(presets[0].question->change, "γ = {gan.gamma}");  // filled in when shown
    for (const char* name : {"placeholder.json", "gan.no_such_key", "field.json", "asks"}) {
        EXPECT_NE(problems.find(name), std::string::npos) << name << " in: " << problems;
    }
}

TEST(Presets, AMissingFolderGivesNoPresetsAndNoProblem) {
    TempDir d;
    std::string problems;
    EXPECT_TRUE(load_presets(d.path / "nope", problems).empty());
    EXPECT_EQ(problems, "");
}

TEST(Presets, EveryShippedPresetLoadsAndEachPanelHasAHeavyOne) {
    std::string problems;
    const auto presets = load_presets(shipped_presets(), problems);
    EXPECT_EQ(problems, "");
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(shipped_presets())) {
        files += e.path().extension() == ".json";
    }
    EXPECT_EQ(presets.size(), files);
    for (const PanelModel* m : all_panel_models()) {
        const Preset* heavy = find_heavy_preset(presets, m->id());
        ASSERT_NE(heavy, nullptr) << m->id();  // the bench times each panel's heavy preset
        EXPECT_EQ(heavy->panel, m->id());
        EXPECT_NE(fs::path(heavy->path).filename().string().find("_heavy"), std::string::npos);
    }
}

TEST(Presets, HeavyPresetIsFoundByFileNameAndPanel) {
    std::vector<Preset> presets(3);
    presets[0] = {"t", "/x/gan_light.json", "gan", Json::object(), std::nullopt};
    presets[1] = {"t", "/x/kl_heavy_a.json", "kl", Json::object(), std::nullopt};
    presets[2] = {"t", "/x/gan_heavy_b.json", "gan", Json::object(), std::nullopt};
    EXPECT_EQ(find_heavy_preset(presets, "gan"), &presets[2]);
    EXPECT_EQ(find_heavy_preset(presets, "kl"), &presets[1]);
    EXPECT_EQ(find_heavy_preset(presets, "flow"), nullptr);
}

TEST(Presets, AssetDirFollowsGenlabAssetsThenFallsBackToTheBuiltInOne) {
    TempDir d;
    setenv("GENLAB_ASSETS", d.path.c_str(), 1);
    EXPECT_EQ(asset_dir("/built/in"), d.path);
    unsetenv("GENLAB_ASSETS");
    // Nothing beside the test binary holds presets: the compiled-in folder is used.
    EXPECT_EQ(asset_dir("/built/in"), fs::path("/built/in"));
}

TEST(Settings, RoundTripThroughAFile) {
    TempDir d;
    Settings s;
    s.export_folder = "/some/folder";
    s.window_width = 1234;
    s.window_height = 567;
    save_settings(s, d.path / "settings.json");
    const Settings back = load_settings(d.path / "settings.json");
    EXPECT_EQ(back.export_folder, "/some/folder");
    EXPECT_EQ(back.window_width, 1234);
    EXPECT_EQ(back.window_height, 567);
}

TEST(Settings, MissingOrBadEntriesKeepTheDefaults) {
    TempDir d;
    std::error_code ec;
    std::string problem;
    const Settings none = load_settings(d.path / "missing.json", &problem);
    EXPECT_EQ(none.export_folder, fs::current_path(ec).string());
    EXPECT_EQ(none.window_width, 1600);
    EXPECT_EQ(none.window_height, 1000);
    EXPECT_EQ(problem, "");  // no file yet is not a problem
    write(d.path / "bad.json", R"({"export_folder": 7, "window": [100000, 700]})");
    const Settings bad = load_settings(d.path / "bad.json", &problem);
    EXPECT_EQ(bad.export_folder, fs::current_path(ec).string());
    EXPECT_EQ(bad.window_width, 1600);  // beyond 8192: refused
    EXPECT_EQ(bad.window_height, 1000);
    EXPECT_NE(problem.find("export_folder must be a string"), std::string::npos) << problem;
    EXPECT_NE(problem.find("window[0]"), std::string::npos) << problem;
    EXPECT_TRUE(fs::exists(d.path / "bad.json"));  // readable JSON stays where it is
}

TEST(Settings, ACorruptFileIsMovedAsideAndReported) {
    TempDir d;
    write(d.path / "settings.json", "{");
    std::string problem;
    EXPECT_EQ(load_settings(d.path / "settings.json", &problem).window_width, 1600);
    EXPECT_FALSE(fs::exists(d.path / "settings.json"));
    std::vector<fs::path> aside;
    for (const auto& e : fs::directory_iterator(d.path)) aside.push_back(e.path());
    ASSERT_EQ(aside.size(), 1u);
    EXPECT_EQ(aside[0].filename().string().rfind("settings-unreadable-", 0), 0u);
    std::ifstream kept(aside[0]);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "{");  // kept as it was
    EXPECT_NE(problem.find("kept as " + aside[0].string()), std::string::npos) << problem;
}

TEST(Settings, ASaveIntoAFolderThatIsGoneSaysSo) {
    TempDir d;
    EXPECT_TRUE(save_settings(Settings{}, d.path / "settings.json"));
    EXPECT_FALSE(save_settings(Settings{}, d.path / "gone" / "settings.json"));
}

TEST(Settings, OrphanedTempFilesOfAKilledSaveAreRemoved) {
    TempDir d;
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const char* name : {".session.json.tmp-123", ".settings.json.tmp-9"}) {
        write(d.path / name, "half");
        fs::last_write_time(d.path / name, old);
    }
    write(d.path / ".session.json.tmp-777", "a save in progress");  // new: left alone
    write(d.path / "session.json", "{}");
    fs::last_write_time(d.path / "session.json", old);
    EXPECT_EQ(remove_orphaned_temp_files(d.path), 2);
    EXPECT_FALSE(fs::exists(d.path / ".session.json.tmp-123"));
    EXPECT_FALSE(fs::exists(d.path / ".settings.json.tmp-9"));
    EXPECT_TRUE(fs::exists(d.path / ".session.json.tmp-777"));
    EXPECT_TRUE(fs::exists(d.path / "session.json"));
}

namespace {

// A scene whose parameter is one number; set() validates and touches, as real setters do.
class FakeScene : public Scene {
  public:
    const PanelModel& model() const override { return *all_panel_models().front(); }
    void set_state(const Json& s) override { value_ = s.at("v").get<int>(); }
    Json state() const override { return Json{{"v", value_}}; }
    void update() override {}
    Json report() override { return Json::object(); }
    std::string csv() override { return ""; }
    void set(int v) {
        if (v < 0) throw UserError("fake.v must be >= 0");
        value_ = v;
        touch();
    }

  private:
    int value_ = 0;
};

}  // namespace

TEST(StateSnapshot, TakesTheStateOnlyWhenTheRevisionMoves) {
    FakeScene scene;
    StateSnapshot snap;
    int calls = 0;
    const auto state = [&] { return ++calls, scene.state(); };
    snap.reset(Json{{"v", 0}});
    EXPECT_TRUE(snap.refresh(scene, state));  // after a load: once, whatever the revision
    EXPECT_EQ(calls, 1);
    for (int frame = 0; frame < 10; ++frame) EXPECT_FALSE(snap.refresh(scene, state));
    EXPECT_EQ(calls, 1);  // idle frames build no JSON
    scene.set(4);
    EXPECT_EQ(snap.state(), Json({{"v", 0}}));  // until the frame ends
    EXPECT_TRUE(snap.refresh(scene, state));
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(snap.state(), Json({{"v", 4}}));
    EXPECT_FALSE(snap.refresh(scene, state));
}

TEST(StateSnapshot, ARejectedChangeKeepsTheLastValidState) {
    FakeScene scene;
    StateSnapshot snap;
    snap.reset(scene.state());
    snap.refresh(scene, [&] { return scene.state(); });
    scene.set(2);
    snap.refresh(scene, [&] { return scene.state(); });
    EXPECT_THROW(scene.set(-1), UserError);  // the setter refuses: no touch, no snapshot
    EXPECT_FALSE(snap.refresh(scene, [&] { return scene.state(); }));
    EXPECT_EQ(snap.state(), Json({{"v", 2}}));
    // The shell restores it and resets the snapshot: the next frame takes it again.
    scene.set_state(snap.state());
    snap.reset(snap.state());
    EXPECT_TRUE(snap.refresh(scene, [&] { return scene.state(); }));
    EXPECT_EQ(snap.state(), Json({{"v", 2}}));
}

TEST(KeysDocument, ListsEveryPanelsKeysInPanelOrder) {
    const Json doc = keys_document();
    ASSERT_TRUE(doc.is_object());
    ASSERT_EQ(doc.size(), 1u);
    ASSERT_TRUE(doc["keys"].is_array());
    Json expected = Json::array();
    for (const PanelModel* m : all_panel_models()) {
        for (const Json& k : m->keys()) expected.push_back(k);
    }
    EXPECT_EQ(doc["keys"], expected);
}

// Issue 12: a window saved on a 2560×1440 monitor reopened larger than a 1024×700 one.
TEST(WindowFit, ASavedWindowReopensInsideTheCurrentWorkArea) {
    const WindowSize big = fit_window(2500, 1400, 1024, 700);
    EXPECT_EQ(big.width, 1024);
    EXPECT_EQ(big.height, 700);
    const WindowSize wide = fit_window(1900, 600, 1280, 1000);  // one side too large
    EXPECT_EQ(wide.width, 1280);
    EXPECT_EQ(wide.height, 600);
    const WindowSize fits = fit_window(800, 600, 1920, 1080);  // already inside: unchanged
    EXPECT_EQ(fits.width, 800);
    EXPECT_EQ(fits.height, 600);
    const WindowSize unknown = fit_window(1600, 1000, 0, 0);  // no monitor reported
    EXPECT_EQ(unknown.width, 1600);
    EXPECT_EQ(unknown.height, 1000);
    const WindowSize tiny = fit_window(1600, 1000, 200, 100);  // never below the minimum
    EXPECT_EQ(tiny.width, 320);
    EXPECT_EQ(tiny.height, 240);
}
