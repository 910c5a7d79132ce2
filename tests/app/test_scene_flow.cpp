// The flow panel headless: its layer descriptors, FlowScene's dirty-flag recomputation,
// Play/step/reset of the scrubber, the mass the view and the report share, and the log|det J|
// mesh against closed forms and finite differences.
//
// [SECTION] Descriptors
// [SECTION] Mass: one number for the view and the report
// [SECTION] Dirty recomputation
// [SECTION] Transport
// [SECTION] The log|det J| mesh and folds
// [SECTION] Setters' validation
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "flow_layers.hpp"
#include "flow_model.hpp"
#include "scene_flow.hpp"
#include "state.hpp"

using namespace genlab;
using Part = FlowScene::Part;

namespace {

Json flow_state(const std::vector<std::string>& sets) {
    Json s = default_state();
    apply_set(s, "panel=flow");
    for (const auto& set : sets) apply_set(s, set);
    return s;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A scene with one planar layer f(z) = z + u·tanh(wᵀz + b).
FlowScene planar_scene(flow::Vec2 w, flow::Vec2 u, double b) {
    FlowScene scene;
    Json s = FlowModel().defaults();
    s["layers"] = Json::array({flow_layer_to_json(flow::Layer::planar(w, u, b))});
    scene.set_state(FlowModel().normalize(s));
    return scene;
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Descriptors
//-----------------------------------------------------------------------------

TEST(FlowLayers, EveryCoreTypeHasOneDescriptor) {
    const auto& types = flow_layer_types();
    ASSERT_EQ(types.size(), 7u);
    for (int t = 0; t <= static_cast<int>(flow::Type::Coupling); ++t) {
        const auto type = static_cast<flow::Type>(t);
        int found = 0;
        for (const FlowLayerType& d : types) found += d.type == type;
        EXPECT_EQ(found, 1) << flow::to_string(type);
        EXPECT_STREQ(flow_layer_type(type).name, flow::to_string(type));
    }
    EXPECT_TRUE(contains(error_of([] { flow_layer_type("spline"); }), "planar | radial"));
}

TEST(FlowLayers, DefaultsValidateAndRoundTripThroughJson) {
    for (const FlowLayerType& t : flow_layer_types()) {
        const flow::Layer l = t.make_default();
        EXPECT_EQ(l.type, t.type) << t.name;
        EXPECT_NO_THROW(flow_validate_layer(l, 0)) << t.name;
        const Json j = flow_layer_to_json(l);
        // Every key the JSON holds is a descriptor key, and every descriptor key is written.
        std::vector<std::string> written;
        for (auto it = j.begin(); it != j.end(); ++it) written.push_back(it.key());
        std::vector<std::string> expected = t.json_keys();
        std::sort(written.begin(), written.end());
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(written, expected) << t.name;
        EXPECT_EQ(flow_layer_to_json(flow_layer_from_json(j, 3)), j) << t.name;
        // Leaving every key out gives the defaults.
        EXPECT_EQ(flow_layer_to_json(flow_layer_from_json(Json{{"type", t.name}}, 0)), j);
    }
}

TEST(FlowLayers, EveryKeyIsReadIntoTheLayer) {
    // Change each key in turn to a value unlike its default: it must come back changed.
    for (const FlowLayerType& t : flow_layer_types()) {
        for (const LayerKey& k : t.keys) {
            Json j = flow_layer_to_json(t.make_default());
            const Json before = j[k.name];
            switch (k.kind) {
                case LayerKeyKind::Number:
                    j[k.name] = 0.123;
                    break;
                case LayerKeyKind::Flag:
                    j[k.name] = !j[k.name].get<bool>();
                    break;
                case LayerKeyKind::Vec2:
                    j[k.name] = {0.125, -0.25};
                    break;
                case LayerKeyKind::Mat2:
                    j[k.name] = {{0.7, 0.0}, {0.2, 0.6}};
                    break;
                case LayerKeyKind::List:
                    for (auto& x : j[k.name]) x = 0.5;  // same size as the other lists
                    j[k.name][0] = 0.375;
                    break;
            }
            ASSERT_NE(j[k.name], before) << t.name << "." << k.name;
            EXPECT_EQ(flow_layer_to_json(flow_layer_from_json(j, 0))[k.name], j[k.name])
                << t.name << "." << k.name;
        }
    }
}

TEST(FlowLayers, OutOfRangeValuesNameTheJsonKey) {
    for (const auto& [layer, key] : std::vector<std::pair<std::string, std::string>>{
             {R"({"type":"sigmoidal","a":[1e7,1],"b":[0,0],"w":[0.5,0.5]})", "flow.layers[0].a[0]"},
             {R"({"type":"relu","a":2e6})", "flow.layers[0].a"},
             {R"({"type":"radial","alpha":0})", "flow.layers[0].alpha"},
             {R"({"type":"residual","W":[[1,2],[3,1e9]]})", "flow.layers[0].W[1][1]"},
             {R"({"type":"planar","enforce":1})", "flow.layers[0].enforce"},
             {R"({"type":"sigmoidal","a":[1],"b":[1,2],"w":[1]})", "a, b and w"}}) {
        const Json doc = Json::parse(layer);  // clang 14 lambdas cannot capture a binding
        const std::string e = error_of([&doc] { flow_layer_from_json(doc, 0); });
        EXPECT_TRUE(contains(e, key)) << layer << ": " << e;
        EXPECT_FALSE(contains(e, "sig_") || contains(e, "relu_")) << e;  // no C++ field names
    }
    // The same check on a layer built in code (what the editor hands the scene).
    flow::Layer l = flow_default_layer("relu");
    l.relu_b = 1e7;
    EXPECT_TRUE(contains(error_of([&] { flow_validate_layer(l, 2); }), "flow.layers[2].b"));
}

TEST(FlowLayers, EditorSpansLieInsideTheValidationRange) {
    // The editor clamps to its span, so nothing it produces is refused by validation.
    for (const FlowLayerType& t : flow_layer_types()) {
        for (const LayerKey& k : t.keys) {
            if (k.kind == LayerKeyKind::Flag) continue;
            EXPECT_TRUE(k.in_range(k.edit_lo) && k.in_range(k.edit_hi)) << t.name << "." << k.name;
        }
        for (const LayerHandle& h : t.handles) {
            ASSERT_NE(t.key(h.key), nullptr) << t.name << " handle " << h.key;
            EXPECT_EQ(t.key(h.key)->kind, LayerKeyKind::Vec2);
        }
    }
}

TEST(FlowLayers, CouplingFromSetIsProvedAndWrittenBack) {
    const std::string layer =
        R"({"type":"coupling","keep_z2":true,"a":[1,-0.5],"c":[0,0.3],"vs":[0.4,0.3],)"
        R"("vt":[0.5,-0.4],"bs":0.1,"bt":0.2,"scale":1.5})";
    const Json state = flow_state({"flow.layers=[" + layer + "]"});
    const Json report = make_report(state)["flow"];
    ASSERT_EQ(report["layers"].size(), 1u);
    EXPECT_EQ(report["layers"][0]["type"], "coupling");
    EXPECT_EQ(report["layers"][0]["invertible"], "proved");
    EXPECT_TRUE(contains(report["layers"][0]["reason"].get<std::string>(), "keeps z2"));
    // The normalized state holds the layer as written (H = 2 from the lists).
    EXPECT_EQ(FlowModel().normalize(state["flow"])["layers"][0], Json::parse(layer));
    const flow::Layer l = flow_layer_from_json(Json::parse(layer), 0);
    EXPECT_TRUE(l.keep_z2);
    EXPECT_EQ(l.cp_vt, (std::vector<double>{0.5, -0.4}));
    EXPECT_EQ(l.cp_scale, 1.5);
    // Errors name the key.
    EXPECT_TRUE(contains(
        error_of([] { flow_layer_from_json(Json::parse(R"({"type":"coupling","scale":30})"), 2); }),
        "(got 30"))
        << "scale";
    EXPECT_TRUE(contains(
        error_of([] { flow_layer_from_json(Json::parse(R"({"type":"coupling","scale":30})"), 2); }),
        "flow.layers[2].scale must be a finite number in [0"));
    EXPECT_TRUE(contains(error_of([] {
                             flow_layer_from_json(Json::parse(R"({"type":"coupling","a":[1,2,3]})"),
                                                  1);
                         }),
                         "flow.layers[1]: a, c, vs and vt must have the same size"));
    const std::string nine = "[1,1,1,1,1,1,1,1,1]";
    EXPECT_TRUE(contains(error_of([&] {
                             flow_layer_from_json(
                                 Json::parse(R"({"type":"coupling","a":)" + nine + R"(,"c":)" +
                                             nine + R"(,"vs":)" + nine + R"(,"vt":)" + nine + "}"),
                                 0);
                         }),
                         "flow.layers[0].a must have 1 to 8 hidden units (got 9)"));
}

TEST(FlowLayers, ReadmeListsEveryTypeAndKey) {
    const std::string here = __FILE__;  // <repo>/tests/app/test_scene_flow.cpp
    const std::string readme_path = here.substr(0, here.rfind('/')) + "/../../README.md";
    std::ifstream in(readme_path);
    ASSERT_TRUE(in) << readme_path;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const size_t start = text.find("Flow keys (`flow.`)");
    ASSERT_NE(start, std::string::npos);
    const std::string para = text.substr(start, text.find("\n\n", start) - start);
    for (const FlowLayerType& t : flow_layer_types()) {
        const size_t at = para.find("`" + std::string(t.name) + "` (");
        ASSERT_NE(at, std::string::npos) << t.name;
        const std::string entry = para.substr(at, para.find(')', at + 1) - at);
        for (const LayerKey& k : t.keys)
            EXPECT_TRUE(contains(entry, "`" + std::string(k.name) + "`"))
                << t.name << "." << k.name;
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Mass: one number for the view and the report
//-----------------------------------------------------------------------------

TEST(FlowScene, ReportMassIsTheMassTheViewReads) {
    for (const Json& state :
         {flow_state({}), flow_state({"flow.view={\"center\":[0.5,0],\"extent\":6}"}),
          flow_state({R"(flow.layers=[{"type":"radial","z0":[1,0.5],"alpha":0.5,"beta":2}])"})}) {
        const Json report = make_report(state)["flow"];
        FlowScene scene;
        scene.set_state(FlowModel().normalize(state["flow"]));
        // The view's canvas shows a wider square: the mass is still over the view.
        scene.set_density_region({1, 1}, 9);
        ASSERT_TRUE(report["mass"].is_number());
        EXPECT_EQ(report["mass"].get<double>(), scene.mass());
        ASSERT_TRUE(report["mass_error"].is_number());
        EXPECT_EQ(report["mass_error"].get<double>(), scene.mass_error());
        const FlowParams& p = scene.params();
        const flow::MassEstimate m = flow::mass(p.stack, p.view_center, p.view_extent);
        EXPECT_EQ(scene.mass(), m.value);
        EXPECT_EQ(scene.mass_error(), m.error);
        EXPECT_LE(scene.mass_error(), flow::kMassTolerance);
        // These densities are smooth, so a fine midpoint rule agrees.
        EXPECT_NEAR(scene.mass(), flow::mass_midpoint(p.stack, p.view_center, p.view_extent, 1024),
                    1e-4);
    }
    // The default view [-4, 4]² holds most, not all, of the crescent.
    FlowScene scene;
    EXPECT_GT(scene.mass(), 0.9);
    EXPECT_LT(scene.mass(), 0.99);
}

TEST(FlowScene, ReportReadsTheScenesProbeAndKl) {
    const Json state = flow_state(
        {R"(flow.target=[{"weight":1,"mean":[1,0],"std":[0.7,0.9]}])", "flow.probe=1,0"});
    FlowScene scene;
    scene.set_state(FlowModel().normalize(state["flow"]));
    const Json r = make_report(state)["flow"];
    ASSERT_TRUE(scene.probe_readout().has_value());
    EXPECT_EQ(r["probe_log_density"].get<double>(), scene.probe_readout()->log_density);
    EXPECT_EQ(r["probe_inverse"][0].get<double>(), scene.probe_readout()->base[0]);
    EXPECT_EQ(r["kl_forward"].get<double>(), scene.kl().kl_forward);
    EXPECT_EQ(r["kl_base"].get<double>(), scene.kl().kl_base);
    EXPECT_EQ(r, scene.report());
}

TEST(FlowScene, CsvIsTheDensityGrid) {
    FlowScene scene;
    scene.set_resolution(16);
    const std::string csv = scene.csv();
    std::istringstream lines(csv);
    std::string header, first;
    std::getline(lines, header);
    std::getline(lines, first);
    EXPECT_EQ(header, "x,y,log_density");
    const double lp = std::stod(first.substr(first.rfind(',') + 1));
    EXPECT_NEAR(lp, scene.density().log_p(0, 0), 1e-9 * std::abs(lp));
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 16 * 16);
}

//-----------------------------------------------------------------------------
// [SECTION] Dirty recomputation
//-----------------------------------------------------------------------------

namespace {

struct Counts {
    std::map<Part, int> n;
    explicit Counts(const FlowScene& s) {
        for (int p = 0; p < static_cast<int>(Part::kCount); ++p)
            n[static_cast<Part>(p)] = s.recomputes(static_cast<Part>(p));
    }
    int delta(const FlowScene& s, Part p) const { return s.recomputes(p) - n.at(p); }
};

// Reads everything the view reads in a frame.
void frame(FlowScene& s) {
    s.update();
    s.grid();
    s.det_mesh();
    s.samples();
}

}  // namespace

TEST(FlowScene, MovingTheProbeRecomputesOnlyTheProbe) {
    FlowScene s;
    frame(s);
    const Counts c(s);
    const auto revision = s.revision();
    s.set_probe({1.5, -0.5});
    frame(s);
    EXPECT_EQ(c.delta(s, Part::Probe), 1);
    for (Part p : {Part::Density, Part::Mass, Part::Grid, Part::Mesh, Part::Samples, Part::Kl})
        EXPECT_EQ(c.delta(s, p), 0) << static_cast<int>(p);
    EXPECT_GT(s.revision(), revision);
    ASSERT_TRUE(s.probe_readout());
    EXPECT_EQ(s.probe_readout()->log_density, s.density_at({1.5, -0.5})->log_density);
}

TEST(FlowScene, ResolutionRecomputesOnlyTheDensity) {
    FlowScene s;
    frame(s);
    const Counts c(s);
    s.set_resolution(40);
    frame(s);
    EXPECT_EQ(c.delta(s, Part::Density), 1);
    EXPECT_EQ(s.density().n, 40);
    EXPECT_EQ(s.density().image.size(), 40u * 40u);
    for (Part p : {Part::Mass, Part::Grid, Part::Mesh, Part::Samples, Part::Probe})
        EXPECT_EQ(c.delta(s, p), 0) << static_cast<int>(p);
}

TEST(FlowScene, ALayerChangeRecomputesEverythingOnce) {
    FlowScene s;
    frame(s);
    const Counts c(s);
    flow::Layer l = s.layer(0);
    l.b = 0.3;
    s.set_layer(0, l);
    frame(s);
    frame(s);  // a second frame recomputes nothing
    for (Part p : {Part::Density, Part::Mass, Part::Grid, Part::Mesh, Part::Samples, Part::Probe,
                   Part::Invertibility})
        EXPECT_EQ(c.delta(s, p), 1) << static_cast<int>(p);
}

TEST(FlowScene, TheViewRecomputesTheMassTheRegionTheDensity) {
    FlowScene s;
    frame(s);
    Counts c(s);
    s.set_view({0, 0}, 6);
    frame(s);
    EXPECT_EQ(c.delta(s, Part::Mass), 1);
    EXPECT_EQ(c.delta(s, Part::Density), 0);
    c = Counts(s);
    const auto revision = s.revision();
    s.set_density_region({0, 0}, 5);
    s.set_density_region({0, 0}, 5);
    frame(s);
    EXPECT_EQ(c.delta(s, Part::Density), 1);
    EXPECT_EQ(c.delta(s, Part::Mass), 0);
    EXPECT_EQ(s.revision(), revision);  // not a parameter
    EXPECT_EQ(s.density().extent, 5);
}

TEST(FlowScene, ShowAndSamplesOnlyRedrawOrResample) {
    FlowScene s;
    frame(s);
    Counts c(s);
    const auto v = s.warp_version();
    s.set_show("samples", true);
    frame(s);
    EXPECT_NE(s.warp_version(), v);
    for (int p = 0; p < static_cast<int>(Part::kCount); ++p)
        EXPECT_EQ(c.delta(s, static_cast<Part>(p)), 0) << p;
    s.set_samples(40);
    frame(s);
    EXPECT_EQ(c.delta(s, Part::Samples), 1);
    EXPECT_EQ(s.samples()->size(), 40u);
    EXPECT_EQ(c.delta(s, Part::Density), 0);
}

TEST(FlowScene, ADragComputesHalfResolutionAndKeepsMassUntilItEnds) {
    FlowScene s;
    frame(s);
    const double mass_before = s.mass();
    const Counts c(s);
    s.set_interactive(true);
    flow::Layer l = s.layer(1);
    l.u = {0.2, 0.4};
    s.set_layer(1, l);
    frame(s);
    EXPECT_TRUE(s.density().coarse);
    EXPECT_EQ(s.density().n, 48);
    EXPECT_EQ(c.delta(s, Part::Mass), 0);
    EXPECT_EQ(s.mass(), mass_before);  // the last value, until the drag ends
    s.set_interactive(false);
    frame(s);
    EXPECT_FALSE(s.density().coarse);
    EXPECT_EQ(s.density().n, 96);
    EXPECT_EQ(c.delta(s, Part::Density), 2);
    EXPECT_EQ(c.delta(s, Part::Mass), 1);
    EXPECT_NE(s.mass(), mass_before);
    EXPECT_EQ(
        make_report(flow_state({R"(flow.layers=)" + s.state()["layers"].dump()}))["flow"]["mass"]
            .get<double>(),
        s.mass());
}

TEST(FlowScene, DensityImageIsTheGridFlippedToImageRows) {
    FlowScene s;
    s.set_resolution(16);
    const FlowScene::Density& d = s.density();
    ASSERT_EQ(d.n, 16);
    // Image row 0 is the top: grid row n − 1.
    EXPECT_FLOAT_EQ(d.image[3], static_cast<float>(std::exp(d.log_p(3, 15))));
    EXPECT_FLOAT_EQ(d.image[15 * 16 + 2], static_cast<float>(std::exp(d.log_p(2, 0))));
    double peak = 0;
    for (float v : d.image) peak = std::max(peak, static_cast<double>(v));
    EXPECT_NEAR(d.peak, peak, 1e-6 * peak);
}

//-----------------------------------------------------------------------------
// [SECTION] Transport
//-----------------------------------------------------------------------------

TEST(FlowScene, StepWalksTheLayersAndWraps) {
    FlowScene s;  // two layers, all shown
    EXPECT_EQ(s.scrub(), 2);
    s.step();
    EXPECT_EQ(s.params().upto, 0);
    EXPECT_EQ(s.params().layers_shown(), 0);
    s.step();
    EXPECT_EQ(s.params().upto, 1);
    s.step();
    EXPECT_EQ(s.params().layers_shown(), 2);
    s.step();
    EXPECT_EQ(s.params().upto, 0);
    s.reset();
    EXPECT_EQ(s.params().upto, -1);
    EXPECT_EQ(s.scrub(), 2);
    EXPECT_FALSE(s.playing());
}

TEST(FlowScene, PlayAnimatesLayerByLayerAndStopsShowingAll) {
    FlowScene s;
    EXPECT_FALSE(s.tick(0.1, 1));  // not playing: nothing moves
    s.set_playing(true);           // from the end: starts over at layer 0
    EXPECT_TRUE(s.wants_frames());
    EXPECT_EQ(s.scrub(), 0);
    EXPECT_TRUE(s.tick(0.5, 1));  // 0.8 layers/s
    EXPECT_NEAR(s.scrub(), 0.4, 1e-12);
    EXPECT_EQ(s.params().upto, 0);
    EXPECT_TRUE(s.tick(0.5, 2));  // speed doubles the rate
    EXPECT_NEAR(s.scrub(), 1.2, 1e-12);
    EXPECT_EQ(s.params().upto, 1);
    const int density_before = s.recomputes(Part::Density);
    s.density();
    EXPECT_EQ(s.recomputes(Part::Density), density_before + 1);  // the layer count moved
    s.tick(5, 1);
    EXPECT_FALSE(s.playing());
    EXPECT_EQ(s.params().upto, -1);
    EXPECT_EQ(s.scrub(), 2);
    // Set a state: playing stops.
    s.set_playing(true);
    s.set_state(FlowModel().defaults());
    EXPECT_FALSE(s.playing());
}

// Issue 12: during Play the grid, the density, the readouts and the label are on the same
// layer at every frame ("After 0 of 3" showed a grid already half through layer 1).
TEST(FlowScene, PlayKeepsTheGridOnTheLayersTheDensityShows) {
    FlowScene s;
    s.set_playing(true);
    s.tick(0.625, 1);  // scrub 0.5: halfway through layer 1, so layer 0 is shown
    ASSERT_NEAR(s.scrub(), 0.5, 1e-12);
    EXPECT_EQ(s.params().layers_shown(), 0);
    const auto grid = s.grid();
    // Line 0, point 0 is the base point (−3.5, −3.5) (mean 0, std 1): not yet warped.
    const flow::Vec2 z(-3.5, -3.5);
    EXPECT_NEAR(((*grid)[0][0] - z).norm(), 0, 1e-12);
    const auto readout = s.probe_readout();
    ASSERT_TRUE(readout.has_value());
    EXPECT_NEAR((readout->base - s.params().probe).norm(), 0, 1e-12);  // no layer: F = id
    s.tick(0.1, 1);  // 0.08 layers on, still layer 0: nothing to recompute
    EXPECT_EQ(s.grid(), grid);
    s.tick(0.7, 1);  // scrub 1.14: layer 1 shown by all of them
    EXPECT_EQ(s.params().layers_shown(), 1);
    const flow::Layer& l0 = s.layer(0);
    EXPECT_NEAR(((*s.grid())[0][0] - flow::forward(l0, z)).norm(), 0, 1e-12);
    EXPECT_NEAR((flow::forward(l0, s.probe_readout()->base) - s.params().probe).norm(), 0, 1e-9);
    // Not playing: the whole stack.
    s.reset();
    const flow::Vec2 x = flow::forward(s.layer(1), flow::forward(l0, z));
    EXPECT_NEAR(((*s.grid())[0][0] - x).norm(), 0, 1e-12);
}

TEST(FlowScene, ScrubberSliderAndLayerEditsMoveTheScrub) {
    FlowScene s;
    s.set_upto(1);
    EXPECT_EQ(s.scrub(), 1);
    EXPECT_EQ(s.params().layers_shown(), 1);
    s.add_layer("radial");
    EXPECT_EQ(s.layer_count(), 3);
    EXPECT_EQ(s.params().upto, -1);
    EXPECT_EQ(s.scrub(), 3);
    EXPECT_EQ(s.layer(2).type, flow::Type::Radial);
    s.move_layer(2, 1);  // adjacent swaps, as the editor's arrows do
    s.move_layer(1, 0);
    EXPECT_EQ(s.layer(0).type, flow::Type::Radial);
    EXPECT_EQ(s.layer(2).b, 0.5);
    s.remove_layer(0);
    EXPECT_EQ(s.layer_count(), 2);
    EXPECT_EQ(s.state(), FlowModel().normalize(FlowModel().defaults()));
}

//-----------------------------------------------------------------------------
// [SECTION] The log|det J| mesh and folds
//-----------------------------------------------------------------------------

TEST(FlowScene, DetMeshOfOnePlanarLayerMatchesTheClosedForm) {
    const flow::Vec2 w(1.2, -0.4), u(0.9, 0.5);
    const double b = 0.3;
    FlowScene s = planar_scene(w, u, b);
    const auto mesh = s.det_mesh();
    const int n = FlowScene::kDetCells;
    ASSERT_EQ(mesh->det.size(), static_cast<size_t>(n * n));
    const flow::Layer l = s.layer(0);
    double lo = INFINITY, hi = -INFINITY;
    for (int q = 0; q < n * n; ++q) {
        const flow::Vec2 z = mesh->centres[static_cast<size_t>(q)];
        // det(I + u·h'(wᵀz + b)·wᵀ) = 1 + h'·uᵀw, h' = 1 − tanh².
        const double t = std::tanh(w.dot(z) + b);
        const double det = 1 + (1 - t * t) * u.dot(w);
        EXPECT_NEAR(mesh->det[q], det, 1e-12);
        EXPECT_NEAR(mesh->log_det[q], std::log(std::abs(det)), 1e-12);
        lo = std::min(lo, mesh->log_det[q]), hi = std::max(hi, mesh->log_det[q]);
        // Against central differences of the map itself.
        const double h = 1e-6;
        flow::Mat2 J;
        for (int c = 0; c < 2; ++c) {
            const flow::Vec2 e = flow::Vec2::Unit(c) * h;
            J.col(c) = (flow::forward(l, z + e) - flow::forward(l, z - e)) / (2 * h);
        }
        EXPECT_NEAR(mesh->det[q], J.determinant(), 1e-7);
        EXPECT_FALSE(mesh->fold[q]);  // wᵀu = 0.88 > −1: invertible, no fold
    }
    EXPECT_DOUBLE_EQ(mesh->lo, lo);
    EXPECT_DOUBLE_EQ(mesh->hi, hi);
    // Cell (0, 0) spans base corners (−3.5, −3.5) and (−3.5 + 7/n)² warped.
    const double c1 = -3.5 + 7.0 / n;
    EXPECT_NEAR((mesh->quads[0][0] - flow::forward(l, {-3.5, -3.5})).norm(), 0, 1e-12);
    EXPECT_NEAR((mesh->quads[0][2] - flow::forward(l, {c1, c1})).norm(), 0, 1e-12);
    EXPECT_NEAR((mesh->centres[0] - flow::Vec2(-3.5 + 3.5 / n, -3.5 + 3.5 / n)).norm(), 0, 1e-12);
}

TEST(FlowScene, FoldsAreWhereTheDeterminantChangesSign) {
    // wᵀu = −1.6 < −1: det = 1 − 1.6·(1 − tanh²(2t)) < 0 in a band |t| < 0.41 around 0, with
    // t = z₁ (w along x) or t = z₂ (w along y): the folds run across both mesh directions.
    for (const int axis : {0, 1}) {
        const flow::Vec2 w = flow::Vec2::Unit(axis) * 2;
        const flow::Vec2 u = axis == 0 ? flow::Vec2(-0.8, 0.3) : flow::Vec2(0.3, -0.8);
        FlowScene s = planar_scene(w, u, 0);
        const auto mesh = s.det_mesh();
        const int n = FlowScene::kDetCells;
        const auto positive = [&](int i, int j) {
            const double t = std::tanh(2 * (-3.5 + 7.0 * ((axis == 0 ? i : j) + 0.5) / n));
            return 1 - 1.6 * (1 - t * t) > 0;
        };
        int folds = 0;
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                const bool expected = (i + 1 < n && positive(i, j) != positive(i + 1, j)) ||
                                      (j + 1 < n && positive(i, j) != positive(i, j + 1));
                EXPECT_EQ(mesh->fold[i * n + j], expected) << axis << ": " << i << "," << j;
                folds += expected;
            }
        }
        EXPECT_EQ(folds, 2 * n);  // the band's two edges, a row of cells each
        EXPECT_FALSE(s.invertible());
        EXPECT_TRUE(std::isnan(s.mass()));
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Setters' validation
//-----------------------------------------------------------------------------

TEST(FlowScene, SettersRefuseBadValuesNamingTheKeyAndKeepTheState) {
    FlowScene s;
    const Json before = s.state();
    const auto revision = s.revision();
    flow::Layer radial = flow_default_layer("radial");
    radial.alpha = 0;
    flow::Layer sig = flow_default_layer("sigmoidal");
    sig.sig_b.push_back(1);
    for (const auto& [set, key] : std::vector<std::pair<std::function<void()>, std::string>>{
             {[&] { s.set_layer(1, radial); }, "flow.layers[1].alpha"},
             {[&] { s.set_layer(0, sig); }, "flow.layers[0]: a, b and w"},
             {[&] { s.set_layer(5, radial); }, "flow.layers[5]"},
             {[&] { s.set_samples(20001); }, "flow.samples"},
             {[&] { s.set_resolution(8); }, "flow.resolution"},
             {[&] { s.set_upto(33); }, "flow.upto"},
             {[&] {
                  s.set_base({0, 0}, {1, 0});
              },
              "flow.base.std[1]"},
             {[&] {
                  s.set_view({0, 0}, 0);
              },
              "flow.view.extent"},
             {[&] {
                  s.set_probe({NAN, 0});
              },
              "flow.probe[0]"},
             {[&] { s.set_show("heat", true); }, "flow.show"},
             {[&] { s.add_layer("spline"); }, "unknown layer type 'spline'"}}) {
        EXPECT_TRUE(contains(error_of(set), key)) << key << ": " << error_of(set);
    }
    EXPECT_EQ(s.state(), before);
    EXPECT_EQ(s.revision(), revision);
    for (int k = 0; k < kFlowMaxLayers - 2; ++k) s.add_layer("relu");
    EXPECT_TRUE(contains(error_of([&] { s.add_layer("relu"); }), "at most 32"));
}

TEST(FlowScene, KeysListTheSpecsAndEveryLayerKey) {
    const Json keys = FlowModel().keys();
    std::set<std::string> names;
    for (const Json& k : keys) names.insert(k["key"].get<std::string>());
    for (const char* k :
         {"flow.samples", "flow.resolution", "flow.upto", "flow.view.extent", "flow.base.std",
          "flow.layers[].radial.alpha", "flow.layers[].relu.c", "flow.layers[].sigmoidal.w"})
        EXPECT_TRUE(names.count(k)) << k;
    EXPECT_FALSE(names.count("flow.layers[].planar.enforce"));  // not a number
}
