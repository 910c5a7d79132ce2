// The GAN panel's main plots on every method and regularizer of genlab/gan_methods.hpp (issue
// 14): the keys gan.method, gan.regularizer and the method parameters; the main run against
// closed forms on the bilinear game; the main plot's spectra against gan_methods::analyze of
// independently built parameters; the old core's path against gan_methods where both apply;
// a grid cell opened in the main plots.
//
// [SECTION] Helpers
// [SECTION] Keys and their normalization
// [SECTION] Runs against closed forms
// [SECTION] Spectra against gan_methods
// [SECTION] Reference, manual steps, grid cells
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "errors.hpp"
#include "gan_model.hpp"
#include "genlab/gan_methods.hpp"
#include "scene_gan.hpp"
#include "state.hpp"

using namespace genlab;
namespace gm = gan_methods;

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

namespace {

Json state_with(const std::vector<std::string>& sets) {
    Json s = default_state();
    for (const auto& set : sets) apply_set(s, set);
    return s["gan"];
}

GanScene scene_with(const std::vector<std::string>& sets) {
    GanScene scene;
    scene.set_state(state_with(sets));
    scene.update_all();
    return scene;
}

void expect_same_eigenvalues(const std::vector<gm::Complex>& a, const std::vector<gm::Complex>& b,
                             double tol) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_LT(std::abs(a[i] - b[i]), tol) << i;
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Keys and their normalization
//-----------------------------------------------------------------------------

// A state written before gan.regularizer existed means what it meant: R1 with weight γ (none
// at γ = 0), the objective from gan.loss.
TEST(GanMain, TheDefaultRegularizerKeepsOldStatesMeaning) {
    const Json s = GanModel().normalize(state_with({"gan.gamma=0.7", "gan.loss=non-saturating"}));
    EXPECT_EQ(s["regularizer"], "r1");
    const GanParams p = gan_params_from_json(s);
    EXPECT_EQ(gm::to_string(p.run.terms), "nsgan+r1");
    EXPECT_EQ(p.run.gamma, 0.7);
    EXPECT_EQ(p.run.system, gm::System::Dirac3);
    ASSERT_TRUE(gan_legacy(p.run).has_value());  // the old core's run, as before the key
    EXPECT_EQ(gan_legacy(p.run)->gamma, 0.7);
    EXPECT_EQ(gan_legacy(p.run)->loss, gan::Loss::NonSaturating);
}

TEST(GanMain, GanAndNsganInTheRegularizerAreStoredAsTheLoss) {
    const Json s = GanModel().normalize(state_with({"gan.regularizer=nsgan+r2+consensus"}));
    EXPECT_EQ(s["loss"], "non-saturating");
    EXPECT_EQ(s["regularizer"], "r2+consensus");
    const Json w = GanModel().normalize(state_with({"gan.regularizer=wgan_gp+r1"}));
    EXPECT_EQ(w["regularizer"], "wgan_gp+r1");
    EXPECT_EQ(gm::to_string(gan_params_from_json(w).run.terms), "wgan_gp+r1");
}

TEST(GanMain, BadMethodsAndRegularizersNameTheKey) {
    for (const auto& [set, words] : std::vector<std::pair<std::string, std::string>>{
             {"gan.method=adam", "gan.method"},
             {"gan.regularizer=r3", "gan.regularizer"},
             {"gan.regularizer=wgan+wgan_gp", "gan.regularizer"},
             {"gan.regularizer=wgan+noise", "needs the log loss"},
             {"gan.system=dirac4", "gan.system"}}) {
        try {
            GanModel().normalize(state_with({set}));
            ADD_FAILURE() << set << " accepted";
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    }
}

// r1 on the bilinear game (the default regularizer) is inactive, not an error: switching the
// system keeps the state loadable, and the run is the bare game.
TEST(GanMain, TermsTheSystemHasNoUseForAreInactive) {
    const GanParams p = gan_params_from_json(GanModel().normalize(
        state_with({"gan.system=bilinear", "gan.regularizer=r1+consensus", "gan.start=1,1"})));
    EXPECT_EQ(gm::to_string(p.run.terms), "consensus");
    EXPECT_EQ(p.regularizer, "r1+consensus");
}

// Every method of the table is accepted as gan.method and runs on every system.
TEST(GanMain, EveryMethodRunsOnEverySystem) {
    for (const gm::MethodInfo& m : gm::method_table()) {
        for (const char* system : {"dirac", "dirac2", "bilinear"}) {
            GanScene scene = scene_with({std::string("gan.system=") + system,
                                         std::string("gan.method=") + m.cli, "gan.steps=50"});
            EXPECT_EQ(scene.report()["method"], m.cli);
            EXPECT_EQ(scene.run(GanSide::Main).steps_run(), 50) << m.cli << " " << system;
        }
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Runs against closed forms
//-----------------------------------------------------------------------------

// On V = d·g, v = A·x with A = [[0, 1], [−1, 0]] and A² = −I. Simultaneous GDA's step map
// I + ηA and extragradient's I + ηA + η²A² = (1 − η²)I + ηA are scaled rotations: each step
// multiplies the distance by exactly √(1 + η²), resp. √(1 − η² + η⁴).
TEST(GanMain, BilinearExtragradientConvergesAndSimultaneousDiverges) {
    const double eta = 0.2;
    const int steps = 300;
    const Json eg = scene_with({"gan.system=bilinear", "gan.method=extragradient", "gan.lr=0.2",
                                "gan.start=1,1", "gan.steps=300"})
                        .report();
    EXPECT_EQ(eg["verdict"], "converges");
    EXPECT_EQ(eg["core"], "gan_methods");
    const double eg_factor = std::sqrt(1 - eta * eta + std::pow(eta, 4));
    EXPECT_NEAR(eg["distance_to_equilibrium"].get<double>(),
                std::sqrt(2.0) * std::pow(eg_factor, steps), 1e-12);
    EXPECT_LT(eg["distance_to_equilibrium"].get<double>(), 0.01);
    EXPECT_NEAR(eg["spectral_radius_map"].get<double>(), eg_factor, 1e-14);

    const Json sim = scene_with({"gan.system=bilinear", "gan.method=simultaneous", "gan.lr=0.2",
                                 "gan.start=1,1", "gan.steps=300"})
                         .report();
    EXPECT_EQ(sim["verdict"], "diverges");
    const double sim_factor = std::sqrt(1 + eta * eta);
    EXPECT_NEAR(sim["distance_to_equilibrium"].get<double>() /
                    (std::sqrt(2.0) * std::pow(sim_factor, steps)),
                1, 1e-12);
    EXPECT_NEAR(sim["spectral_radius_map"].get<double>(), sim_factor, 1e-14);
}

// Optimistic GDA carries x_prev: its main run and spectrum come from the augmented state.
TEST(GanMain, BilinearOptimisticConvergesAndNegativeMomentumToo) {
    const Json opt = scene_with({"gan.system=bilinear", "gan.method=optimistic", "gan.lr=0.2",
                                 "gan.start=1,1", "gan.steps=2000"})
                         .report();
    EXPECT_EQ(opt["verdict"], "converges");
    EXPECT_EQ(opt["eigenvalues_map"].size(), 4u);  // (d, g, d_prev, g_prev)
    EXPECT_LT(opt["distance_to_equilibrium"].get<double>(), 1e-3);
    const Json am = scene_with({"gan.system=bilinear", "gan.method=alt_momentum", "gan.lr=0.2",
                                "gan.beta=-0.3", "gan.start=1,1", "gan.steps=2000"})
                        .report();
    EXPECT_EQ(am["verdict"], "converges");
    EXPECT_LT(am["distance_to_equilibrium"].get<double>(), 1e-3);
}

// WGAN-GP with g0 > 0 on Mescheder's system: no Jacobian at the equilibrium, which repels;
// the run settles at (0+, −2λg0) (gan_methods.hpp), not at the equilibrium.
TEST(GanMain, Dirac2WganGpSettlesAwayFromTheEquilibrium) {
    const Json r = scene_with({"gan.system=dirac2", "gan.regularizer=wgan_gp", "gan.lambda=1",
                               "gan.g0=0.3", "gan.start=0.01,0.01", "gan.steps=3000"})
                       .report();
    EXPECT_EQ(r["verdict"], "diverges");
    EXPECT_FALSE(r["smooth"].get<bool>());
    EXPECT_NEAR(r["distance_to_equilibrium"].get<double>(), 0.6, 0.02);
    EXPECT_EQ(r["equilibrium"], Json::array({0.0, 0.0}));
}

//-----------------------------------------------------------------------------
// [SECTION] Spectra against gan_methods
//-----------------------------------------------------------------------------

// The main plot's eigenvalues are gan_methods::analyze of the same parameters, built here by
// hand from the keys (not read back from the scene).
TEST(GanMain, TheMainSpectrumIsAnalyzeOfTheKeys) {
    struct Case {
        std::vector<std::string> sets;
        gm::Params p;
    };
    std::vector<Case> cases;
    {
        gm::Params p;
        p.system = gm::System::Dirac2;
        p.method = gm::Method::HeavyBall;
        p.terms = gm::parse_terms("nsgan+noise");
        p.lr = 0.3, p.beta = -0.2, p.sigma = 0.8, p.gamma = 0.3;
        cases.push_back({{"gan.system=dirac2", "gan.method=heavy_ball", "gan.lr=0.3",
                          "gan.beta=-0.2", "gan.sigma=0.8", "gan.regularizer=nsgan+noise"},
                         p});
    }
    {
        gm::Params p;
        p.system = gm::System::Dirac3;
        p.method = gm::Method::Ttur;
        p.terms = gm::parse_terms("gan+r2+consensus");
        p.lr = 0.1, p.lr_d = 0.4, p.lr_g = 0.05, p.gamma = 0.6, p.gamma_c = 0.5;
        cases.push_back({{"gan.method=ttur", "gan.lr_d=0.4", "gan.lr_g=0.05", "gan.gamma=0.6",
                          "gan.gamma_c=0.5", "gan.regularizer=r2+consensus"},
                         p});
    }
    {
        gm::Params p;
        p.system = gm::System::Bilinear;
        p.method = gm::Method::Optimistic;
        p.lr = 0.5, p.gamma = 0.3;
        cases.push_back(
            {{"gan.system=bilinear", "gan.method=optimistic", "gan.lr=0.5", "gan.start=1,1"}, p});
    }
    for (const Case& c : cases) {
        GanScene scene = scene_with(c.sets);
        const gm::Spectrum expected = gm::analyze(c.p);
        expect_same_eigenvalues(scene.eigenvalues_map(GanSide::Main), expected.step_eigenvalues,
                                1e-14);
        expect_same_eigenvalues(scene.eigenvalues_flow(GanSide::Main), expected.field_eigenvalues,
                                1e-14);
        const Json r = scene.report();
        EXPECT_EQ(r["verdict"], gm::to_string(expected.verdict));
        EXPECT_DOUBLE_EQ(r["spectral_radius_map"].get<double>(), expected.radius);
    }
}

// Mescheder's system with R1: eigenvalues (−γ ± √(γ² − 4f′(0)²))/2, f′(0) = 1/2 (log loss).
TEST(GanMain, Dirac2R1FlowEigenvaluesFollowTheClosedForm) {
    for (double gamma : {0.4, 1.6}) {
        GanScene scene = scene_with(
            {"gan.system=dirac2", "gan.method=flow", "gan.gamma=" + std::to_string(gamma)});
        const std::complex<double> root = std::sqrt(std::complex<double>(gamma * gamma - 1, 0));
        // Sorted by real part, then imaginary part: the "−" root first in both cases.
        const std::vector<gm::Complex> expected = {(-gamma - root) / 2.0, (-gamma + root) / 2.0};
        expect_same_eigenvalues(scene.eigenvalues_flow(GanSide::Main), expected, 1e-12);
        EXPECT_EQ(scene.report()["verdict"], "converges");
    }
}

// Where both cores apply (dirac3, gan + r1, simultaneous) the scene takes the old one; its
// run agrees with gan_methods to rounding.
TEST(GanMain, TheOldCoresPathAgreesWithGanMethods) {
    for (const char* method : {"simultaneous", "alternating", "flow"}) {
        GanScene scene = scene_with({std::string("gan.method=") + method, "gan.gamma=0.5",
                                     "gan.n_critic=2", "gan.start=0.9,0.2,-0.7", "gan.steps=500"});
        EXPECT_EQ(scene.report()["core"], "gan");
        gm::Params p;
        p.system = gm::System::Dirac3;
        p.method = gm::parse_method(method);
        p.terms = gm::parse_terms("gan+r1");
        p.gamma = 0.5, p.n_critic = 2, p.lr = 0.1;
        const gm::Trajectory t = gm::integrate(p, gm::Vec3(0.9, 0.2, -0.7), 500);
        const gan::State& end = scene.run(GanSide::Main).states.back();
        for (int i = 0; i < 3; ++i) EXPECT_NEAR(end[i], t.states.back()[i], 1e-12) << method;
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Reference, manual steps, grid cells
//-----------------------------------------------------------------------------

TEST(GanMain, TheReferenceDropsThePenaltiesOnly) {
    GanScene scene =
        scene_with({"gan.system=dirac2", "gan.method=extragradient",
                    "gan.regularizer=wgan_gp+r1+consensus", "gan.gamma_c=0.5", "gan.lambda=2"});
    const gm::Params ref = scene.reference_params();
    EXPECT_EQ(gm::to_string(ref.terms), "wgan_gp");
    EXPECT_EQ(ref.lambda, 0);  // the penalty of WGAN-GP off: the bare Wasserstein game
    EXPECT_EQ(ref.method, gm::Method::Extragradient);
    EXPECT_EQ(scene.report()["reference"]["regularizer"], "wgan_gp");
}

// Step D with the critic's step size, Step G with the generator's, against the field by hand.
TEST(GanMain, StepDUsesTheCriticsStepSize) {
    GanScene scene = scene_with({"gan.system=dirac2", "gan.method=ttur", "gan.lr_d=0.4",
                                 "gan.lr_g=0.1", "gan.start=0.5,0.8", "gan.regularizer=none"});
    scene.step_player(gan::Player::Critic);
    scene.step_player(gan::Player::Generator);
    scene.update();
    // Dirac2, saturating loss: L = f(ψθ) + f(0), f(t) = −log(1 + e^−t), f′(t) = σ(−t); the
    // critic ascends, v_ψ = θ·f′(ψθ); the generator descends, v_θ = −ψ·f′(ψθ).
    const auto sig = [](double t) { return 1 / (1 + std::exp(-t)); };
    const double psi1 = 0.5 + 0.4 * 0.8 * sig(-0.5 * 0.8);
    const double theta1 = 0.8 - 0.1 * psi1 * sig(-psi1 * 0.8);
    const auto& path = scene.manual_path();
    ASSERT_EQ(path.size(), 3u);
    EXPECT_NEAR(path[1][0], psi1, 1e-15);
    EXPECT_EQ(path[1][1], 0.8);
    EXPECT_NEAR(path[2][1], theta1, 1e-15);
}

TEST(GanMain, OpeningAGridCellSetsTheMainRun) {
    GanScene scene = scene_with(
        {"gan.grid_system=bilinear",
         R"(gan.grid=[{"method":"simultaneous","regularizer":""},{"method":"extragradient","regularizer":"consensus"}])",
         "gan.gamma_c=0.3", "gan.lr=0.2"});
    scene.open_grid_cell(1);
    scene.update_all();
    EXPECT_EQ(scene.params().run.system, gm::System::Bilinear);
    EXPECT_EQ(scene.params().run.method, gm::Method::Extragradient);
    EXPECT_EQ(gm::to_string(scene.params().run.terms), "consensus");
    // The main run is then the cell's run: same start, lr, parameters (steps ≤ 1000).
    const gan::State& end = scene.run(GanSide::Main).states.back();
    const auto& cell_end = scene.grid().result(1).trajectory.states.back();
    EXPECT_NEAR(end[0], cell_end[0], 1e-15);
    EXPECT_NEAR(end[1], cell_end[1], 1e-15);
    EXPECT_EQ(scene.report()["verdict"], gm::to_string(scene.grid().result(1).spectrum.verdict));
    // A Dirac cell: "gan" lands in gan.loss, the penalties in the regularizer.
    GanScene d = scene_with({"gan.grid_system=dirac2",
                             R"(gan.grid=[{"method":"optimistic","regularizer":"nsgan+r1"}])"});
    d.open_grid_cell(0);
    EXPECT_EQ(d.state()["system"], "dirac2");
    EXPECT_EQ(d.state()["loss"], "non-saturating");
    EXPECT_EQ(d.state()["regularizer"], "r1");
    EXPECT_EQ(d.state()["method"], "optimistic");
    d.open_grid_cell(5);  // out of range: nothing
    EXPECT_EQ(d.state()["method"], "optimistic");
}

// Slow motion: gan.steps_per_second sets Play's pace (× the toolbar's speed) whatever the step
// count; 0 keeps "the whole run in about 4 s".
TEST(GanMain, StepsPerSecondPacesPlay) {
    GanScene slow = scene_with({"gan.steps=1000", "gan.steps_per_second=1"});
    slow.set_playing(true);
    EXPECT_EQ(slow.shown(), 0);
    slow.tick(0.999, 1.0);
    EXPECT_EQ(slow.shown(), 0);
    slow.tick(0.002, 1.0);
    EXPECT_EQ(slow.shown(), 1);  // one step after one second
    slow.tick(4.0, 0.5);         // half speed: two more steps in four seconds
    EXPECT_EQ(slow.shown(), 3);
    GanScene paced = scene_with({"gan.steps=1000"});
    paced.set_playing(true);
    paced.tick(1.0, 1.0);
    EXPECT_EQ(paced.shown(), 250);  // a quarter of the run per second
    EXPECT_THROW(paced.set_steps_per_second(-1), UserError);
    paced.set_steps_per_second(2);
    EXPECT_EQ(paced.state()["steps_per_second"], 2.0);
}
