// The variational-inference scene (issue 15): keys and their errors, dirty recomputation (each
// edit recomputes only its parts), the encoder trained in frames agreeing with --report, and
// reports that hold the seed questions' answers against closed forms: log p(x) and L_K of the
// linear-Gaussian model, KL = log p(x) − ELBO by two quadratures, L_K monotone to log p(x),
// the IWAE fit wider than the ELBO fit, and the amortization gap where a linear encoder cannot
// follow the posterior (and closing with an MLP).
#include <gtest/gtest.h>

#include <cmath>

#include "errors.hpp"
#include "scene_vi.hpp"

using namespace genlab;

namespace {

Json with(std::initializer_list<std::pair<const char*, Json>> changes) {
    Json s = vi_model().defaults();
    for (const auto& [k, v] : changes) s[k] = v;
    return vi_model().normalize(s);
}

std::string error_of(const Json& state) {
    try {
        vi_model().normalize(state);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

std::string error_of(std::initializer_list<std::pair<const char*, Json>> changes) {
    Json s = vi_model().defaults();
    for (const auto& [k, v] : changes) s[k] = v;
    return error_of(s);
}

bool mentions(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

TEST(ViModel, ErrorsNameTheKeyAndTheFix) {
    EXPECT_TRUE(mentions(error_of({{"link", "cubic"}}), "vi.link"))
        << error_of({{"link", "cubic"}});
    EXPECT_TRUE(mentions(error_of({{"sigma_x", 0}}), "vi.sigma_x"));
    EXPECT_TRUE(mentions(error_of({{"K", 1001}}), "vi.K"));
    EXPECT_TRUE(mentions(error_of({{"K", 2.5}}), "vi.K"));
    EXPECT_TRUE(mentions(error_of({{"q_sigma", -1}}), "vi.q_sigma"));
    EXPECT_TRUE(mentions(error_of({{"view", "elbo"}}), "vi.view"));
    EXPECT_TRUE(mentions(error_of({{"fit_objective", "kl"}}), "vi.fit_objective"));
    const std::string s = error_of({{"rp_s", {1.0, 0.5, 0.0}}});
    EXPECT_TRUE(mentions(s, "vi.rp_s") && mentions(s, "S22")) << s;
    EXPECT_TRUE(mentions(error_of({{"rp_mu", {1.0}}}), "vi.rp_mu"));
    // A budget names both keys to lower.
    const std::string mc = error_of({{"mc_samples", 65536}, {"mc_seeds", 64}});
    EXPECT_TRUE(mentions(mc, "vi.mc_samples") && mentions(mc, "vi.mc_seeds")) << mc;
    // The expression is parsed on load: the error names the key and says the variable is z.
    const std::string e = error_of({{"link", "expression"}, {"expression", "sin(x1)"}});
    EXPECT_TRUE(mentions(e, "vi.expression") && mentions(e, "formula in z")) << e;
    EXPECT_EQ(error_of({{"link", "expression"}, {"expression", "2*sin(z) + z"}}), "");
    // Checked even while another link is chosen: a preset cannot carry a broken formula.
    EXPECT_TRUE(mentions(error_of({{"link", "tanh"}, {"expression", "z +"}}), "vi.expression"));
}

TEST(ViScene, SettersRefuseOutOfRangeAndKeepTheState) {
    ViScene scene;
    const Json before = scene.state();
    EXPECT_THROW(scene.set_x(11), UserError);
    EXPECT_THROW(scene.set_q_sigma(0), UserError);
    EXPECT_THROW(scene.set_rp_s(0, 0.0), UserError);         // S11 = 0: not invertible
    EXPECT_THROW(scene.set_expression("sin(z"), UserError);  // parsed even while unused
    EXPECT_EQ(scene.state(), before);
    scene.set_link(ViLink::Expression);  // the default expression parses
    EXPECT_EQ(scene.core_model().link, vi::Link::Custom);
    EXPECT_NEAR(scene.core_model().f(1.0), 2 * std::sin(1.0) + 0.5, 1e-12);
}

TEST(ViScene, EachEditRecomputesOnlyItsParts) {
    ViScene scene;
    scene.update();
    auto counts = [&] {
        std::array<int, static_cast<size_t>(ViScene::Part::kCount)> c{};
        for (int i = 0; i < static_cast<int>(c.size()); ++i)
            c[static_cast<size_t>(i)] = scene.recomputes(static_cast<ViScene::Part>(i));
        return c;
    };
    using P = ViScene::Part;
    auto changed = [&](auto edit) {
        const auto before = counts();
        edit();
        scene.update();
        const auto after = counts();
        std::vector<P> parts;
        for (size_t i = 0; i < before.size(); ++i)
            if (after[i] != before[i]) parts.push_back(static_cast<P>(i));
        return parts;
    };
    EXPECT_EQ(changed([&] { scene.set_view(ViView::Estimators); }), std::vector<P>{});
    EXPECT_EQ(changed([&] { scene.set_fit_iwae(false); }), std::vector<P>{});
    EXPECT_EQ(changed([&] { scene.set_K(100); }), std::vector<P>{});  // on the series
    EXPECT_EQ(changed([&] { scene.set_K(123); }), std::vector<P>{P::Bounds});
    EXPECT_EQ(changed([&] { scene.set_q_mu(0.9); }), (std::vector<P>{P::Bounds, P::Estimators}));
    EXPECT_EQ(changed([&] { scene.set_mc_seeds(4); }), std::vector<P>{P::Bounds});
    EXPECT_EQ(changed([&] { scene.set_x(1.0); }),
              (std::vector<P>{P::Posterior, P::Bounds, P::Fits}));
    EXPECT_EQ(changed([&] { scene.set_encoder_lr(0.02); }), std::vector<P>{P::Amortization});
    EXPECT_EQ(changed([&] { scene.set_data_seed(9); }), (std::vector<P>{P::Data, P::Amortization}));
    EXPECT_EQ(changed([&] { scene.set_est_batch(8); }), std::vector<P>{P::Estimators});
    EXPECT_EQ(changed([&] { scene.set_rp_s(1, -0.3); }), std::vector<P>{P::Reparam});
    EXPECT_EQ(changed([&] { scene.set_sigma_x(0.6); }),
              (std::vector<P>{P::Posterior, P::Bounds, P::Fits, P::Data, P::Amortization}));
    EXPECT_EQ(changed([&] { scene.set_est_f(ViEstF::Elbo); }), std::vector<P>{P::Estimators});
    EXPECT_EQ(changed([&] { scene.set_x(1.5); }),
              (std::vector<P>{P::Posterior, P::Bounds, P::Fits, P::Estimators}));
    // One training step recomputes the amortization readouts, nothing else.
    EXPECT_EQ(changed([&] { scene.train(1); }), std::vector<P>{P::Amortization});
}

TEST(ViReport, TheLinearModelMatchesItsClosedForms) {
    // p(x) = N(x; b, a² + σ²), p(z|x) Gaussian: log p(x) exact, and at q = p(z|x) the ELBO is
    // log p(x) and every L_K too; at another q, L_K rises monotonically to log p(x).
    const double a = 1.5, b = 0.3, s = 0.7, x = 2.0;
    const double var = a * a + s * s;
    const double log_px = -0.5 * std::log(2 * M_PI * var) - 0.5 * (x - b) * (x - b) / var;
    const double post_mu = a * (x - b) / var, post_sd = std::sqrt(s * s / var);
    ViScene scene;
    scene.set_state(with({{"link", "linear"},
                          {"a", a},
                          {"b", b},
                          {"sigma_x", s},
                          {"x", x},
                          {"q_mu", 0.0},
                          {"q_sigma", 1.0},
                          {"encoder_steps", 0}}));
    Json r = scene.report();
    EXPECT_NEAR(r["log_px"]["value"].get<double>(), log_px, 1e-10);
    EXPECT_LT(r["log_px"]["error"].get<double>(), 1e-8);
    // KL(q‖p(z|x)) between Gaussians, closed form, = log p(x) − ELBO, = the grid's value.
    const double kl =
        std::log(post_sd / 1.0) + (1.0 + post_mu * post_mu) / (2 * post_sd * post_sd) - 0.5;
    EXPECT_NEAR(r["kl"].get<double>(), kl, 1e-9);
    EXPECT_NEAR(r["identity"]["kl_grid"].get<double>(), kl, 1e-7);
    EXPECT_NEAR(r["elbo"].get<double>(), log_px - kl, 1e-9);
    const Json& sr = r["series"];
    EXPECT_EQ(sr["K"].front(), 1);
    EXPECT_EQ(sr["K"].back(), 1000);
    EXPECT_NEAR(sr["exact"].front().get<double>(), r["elbo"].get<double>(), 1e-8);  // L_1
    for (size_t i = 1; i < sr["K"].size(); ++i)
        EXPECT_GE(sr["exact"][i].get<double>(), sr["exact"][i - 1].get<double>() - 1e-8) << i;
    EXPECT_TRUE(r["monotone"].get<bool>());
    EXPECT_LT(sr["exact"].back().get<double>(), log_px + 1e-8);
    EXPECT_LT(log_px - sr["exact"].back().get<double>(), 0.05 * kl);  // L_1000 near log p(x)
    // The MC band holds the exact value (4 sd of the mean over 8 seeds).
    for (size_t i = 0; i < sr["K"].size(); ++i) {
        const double sd = sr["mc_sd"][i].get<double>();
        EXPECT_LT(std::abs(sr["mc_mean"][i].get<double>() - sr["exact"][i].get<double>()),
                  4 * sd / std::sqrt(8.0) + 1e-9)
            << "K = " << sr["K"][i];
    }
    // The ELBO fit is the posterior (linear model): KL 0, and so L_K = log p(x) there.
    const Json& fe = r["fits"]["elbo"];
    EXPECT_NEAR(fe["q"]["mu"].get<double>(), post_mu, 1e-7);
    EXPECT_NEAR(fe["q"]["sigma"].get<double>(), post_sd, 1e-7);
    EXPECT_LT(fe["kl"].get<double>(), 1e-10);
    // Setting q to the posterior: every bound equals log p(x).
    scene.set_q({post_mu, post_sd});
    r = scene.report();
    for (const Json& v : r["series"]["exact"]) EXPECT_NEAR(v.get<double>(), log_px, 1e-8);
}

TEST(ViReport, TheIwaeFitIsWiderThanTheElboFitOnTwoModes) {
    // Quadratic link at x = 2: modes at ±√2. The ELBO fit sits on one; IWAE-50 widens over
    // both, and each fit wins its own objective.
    ViScene scene;
    scene.set_state(with({{"link", "quadratic"},
                          {"a", 1.0},
                          {"b", 0.0},
                          {"sigma_x", 0.5},
                          {"x", 2.0},
                          {"fit_K", 50},
                          {"encoder_steps", 0}}));
    const Json f = scene.report()["fits"];
    const double se = f["elbo"]["q"]["sigma"].get<double>(),
                 sw = f["iwae"]["q"]["sigma"].get<double>();
    EXPECT_GT(sw, 1.5 * se) << f.dump();
    EXPECT_NEAR(std::abs(f["elbo"]["q"]["mu"].get<double>()), std::sqrt(2.0), 0.15);
    EXPECT_GT(f["iwae"]["L_fit_K"].get<double>(), f["elbo"]["L_fit_K"].get<double>());
    EXPECT_GT(f["elbo"]["elbo"].get<double>(), f["iwae"]["elbo"].get<double>());
    // Fit q applies the chosen fit.
    scene.set_fit_iwae(true);
    scene.apply_fit();
    EXPECT_NEAR(scene.params().q.sigma, sw, 1e-12);
}

TEST(ViReport, ALinearEncoderHasAnAmortizationGapOnTheTanhLinkThatAnMlpCloses) {
    // tanh(3z), σ_x = 0.15: the posterior mean is atanh-shaped in x, which μ = a·x + b cannot
    // follow. Every point obeys KL(q_φ‖p) ≥ KL(q*‖p); the total gap is large for the linear
    // encoder and at most half as large for an 8-unit MLP.
    const Json base = with({{"link", "tanh"},
                            {"a", 3.0},
                            {"b", 0.0},
                            {"sigma_x", 0.15},
                            {"data_n", 16},
                            {"data_seed", 2},
                            {"encoder", "linear"},
                            {"encoder_steps", 2000},
                            {"encoder_lr", 0.05}});
    ViScene scene;
    scene.set_state(base);
    const Json lin = scene.report()["amortization"];
    EXPECT_EQ(lin["steps"], 2000);
    for (size_t i = 0; i < lin["kl_encoder"].size(); ++i)
        EXPECT_GE(lin["kl_encoder"][i].get<double>(), lin["kl_optimal"][i].get<double>() - 1e-9)
            << i;
    EXPECT_GE(lin["min_difference"].get<double>(), -1e-9);
    // The inequality compares two independent optimizations: the encoder never beat the fits
    // from the posterior's modes (which the scene would otherwise polish and replace).
    EXPECT_EQ(lin["optimum_improved"], 0);
    EXPECT_GT(lin["gap"].get<double>(), 0.5);
    Json mlp_state = base;
    mlp_state["encoder"] = "mlp";
    mlp_state["encoder_lr"] = 0.02;
    mlp_state["encoder_steps"] = 3000;
    mlp_state["encoder_seed"] = 3;
    scene.set_state(vi_model().normalize(mlp_state));
    const Json mlp = scene.report()["amortization"];
    EXPECT_LT(mlp["gap"].get<double>(), 0.5 * lin["gap"].get<double>());
    // q_i* does not depend on the encoder: the same optimal KLs.
    for (size_t i = 0; i < lin["kl_optimal"].size(); ++i)
        EXPECT_NEAR(mlp["kl_optimal"][i].get<double>(), lin["kl_optimal"][i].get<double>(), 1e-6);
}

TEST(ViScene, TrainingInFramesAgreesWithTheReport) {
    const Json s =
        with({{"link", "tanh"}, {"a", 2.0}, {"encoder_steps", 60}, {"steps_per_frame", 7}});
    ViScene live;
    live.set_state(s);
    EXPECT_EQ(live.encoder_steps_done(), 0);  // at rest: untrained until Play
    live.set_playing(true);
    int frames = 0;
    while (live.playing() && frames < 100) live.tick(1.0 / 60, 1.0), ++frames;
    EXPECT_EQ(live.encoder_steps_done(), 60);
    EXPECT_GE(frames, 9);  // 7 a frame (unless the budget cut a frame short)
    ViScene reported;
    reported.set_state(s);
    const Json r = reported.report()["amortization"];
    EXPECT_EQ(r["total_elbo"].get<double>(), live.amortization().total_elbo);
    live.reset();
    EXPECT_EQ(live.encoder_steps_done(), 0);
    live.step();
    EXPECT_EQ(live.encoder_steps_done(), 7);
}

TEST(ViReport, EstimatorsAreUnbiasedWithTheClosedFormVariances) {
    // f = αz² + βz + γ: the exact gradient is (2αμ + β, 2ασ); the variances follow
    // quadratic_variance's closed forms, and the score estimator's is far larger.
    ViScene scene;
    scene.set_state(with({{"est_f", "quadratic"},
                          {"est_alpha", 1.0},
                          {"est_beta", 0.5},
                          {"est_gamma", 3.0},
                          {"q_mu", 0.7},
                          {"q_sigma", 0.5},
                          {"est_batch", 4},
                          {"est_repeats", 20000}}));
    const Json e = scene.report()["estimators"];
    EXPECT_NEAR(e["exact"][0].get<double>(), 2 * 0.7 + 0.5, 1e-10);
    EXPECT_NEAR(e["exact"][1].get<double>(), 2 * 0.5, 1e-10);
    // Reparam at batch 4: Var ∂μ = 4α²σ²/4, Var ∂σ = ((2αμ + β)² + 8α²σ²)/4.
    const double vr_mu = 4 * 0.25 / 4, vr_sig = (1.9 * 1.9 + 8 * 0.25) / 4;
    const Json& rep = e["reparam"];
    EXPECT_NEAR(rep["variance"][0].get<double>(), vr_mu, 0.05 * vr_mu);
    EXPECT_NEAR(rep["variance"][1].get<double>(), vr_sig, 0.05 * vr_sig);
    for (const char* name : {"reparam", "score", "score_loo"}) {
        for (int j = 0; j < 2; ++j) {
            const double sd = std::sqrt(e[name]["variance"][j].get<double>() / 20000);
            EXPECT_LT(std::abs(e[name]["mean"][j].get<double>() - e["exact"][j].get<double>()),
                      4 * sd)
                << name << " " << j;
        }
    }
    EXPECT_GT(e["score"]["variance"][0].get<double>(), 5 * rep["variance"][0].get<double>());
    EXPECT_LT(e["score_loo"]["variance"][0].get<double>(), e["score"]["variance"][0].get<double>());
    // Variance against batch: measured within 30 % of the closed form (≥ 64 repeats), ∝ 1/B.
    const Json& vs = rep["variance_vs_batch"];
    const Json& cf = rep["closed_form_vs_batch"];
    ASSERT_EQ(vs.size(), e["batches"].size());
    for (size_t i = 0; i < vs.size(); ++i)
        EXPECT_NEAR(vs[i][1].get<double>(), cf[i][1].get<double>(), 0.3 * cf[i][1].get<double>())
            << "B = " << e["batches"][i];
    EXPECT_NEAR(cf[0][1].get<double>() / cf[4][1].get<double>(), 16.0, 1e-9);
    EXPECT_TRUE(e["score_loo"]["variance_vs_batch"][0][0].is_null());  // B = 1: no LOO
}

TEST(ViReport, AFormulaFIsEstimatedAsTheSameBuiltInQuadratic) {
    // f typed as a formula: the score estimates (f only) are the quadratic's to rounding, the
    // reparameterized ones (f' by central differences) to ~1e-8; no closed form is claimed.
    const auto estimators = [](const Json& changes) {
        Json s = vi_model().defaults();
        s.update(changes);
        ViScene scene;
        scene.set_state(vi_model().normalize(s));
        return scene.report()["estimators"];
    };
    const Json quad = estimators(
        {{"est_f", "quadratic"}, {"est_alpha", 1.0}, {"est_beta", 0.5}, {"est_gamma", 3.0}});
    const Json formula =
        estimators({{"est_f", "expression"}, {"est_expression", "z^2 + 0.5*z + 3"}});
    EXPECT_EQ(formula["f"], "expression");
    for (int j = 0; j < 2; ++j) {
        EXPECT_NEAR(formula["exact"][j].get<double>(), quad["exact"][j].get<double>(), 1e-7);
        EXPECT_NEAR(formula["score"]["mean"][j].get<double>(),
                    quad["score"]["mean"][j].get<double>(), 1e-9);
        EXPECT_NEAR(formula["reparam"]["mean"][j].get<double>(),
                    quad["reparam"]["mean"][j].get<double>(), 1e-6);
    }
    EXPECT_TRUE(formula["reparam"]["closed_form_vs_batch"].is_null());
    EXPECT_FALSE(quad["reparam"]["closed_form_vs_batch"].is_null());
    const std::string e = error_of({{"est_expression", "z^"}});
    EXPECT_TRUE(mentions(e, "vi.est_expression")) << e;
}

TEST(ViReport, TheTriangularLogDetIsTheSumOfTheDiagonalsLogs) {
    ViScene scene;
    scene.set_state(
        with({{"rp_s", {2.0, 0.5, -0.25}}, {"rp_mu", {1.0, -1.0}}, {"rp_samples", 5000}}));
    const Json r = scene.report()["reparam"];
    EXPECT_NEAR(r["log_det_triangular"].get<double>(), std::log(2.0 * 0.25), 1e-14);
    EXPECT_NEAR(r["log_det_lu"].get<double>(), std::log(0.5), 1e-12);
    // cov = S Sᵀ = [[4, 1], [1, 0.3125]]
    EXPECT_NEAR(r["cov"][0][1].get<double>(), 1.0, 1e-14);
    EXPECT_NEAR(r["cov"][1][1].get<double>(), 0.3125, 1e-14);
    EXPECT_NEAR(r["sample_cov"][0][0].get<double>(), 4.0, 0.3);
    EXPECT_NEAR(r["sample_mean"][0].get<double>(), 1.0, 0.1);
}

TEST(ViScene, ExactBoundsFillInBetweenEditsWithinTheFrameBudget) {
    ViScene scene;
    scene.tick(0, 1);  // the loaded state: everything at once
    EXPECT_TRUE(scene.bounds().complete());
    EXPECT_TRUE(scene.fits_ready());
    scene.set_q_mu(0.6);  // a drag's frame: the ELBO and MC at once, the exact values later
    EXPECT_EQ(scene.bounds().exact_count, 0);
    EXPECT_TRUE(std::isfinite(scene.bounds().elbo));
    EXPECT_TRUE(scene.wants_frames());
    scene.tick(0, 1);  // the frame right after the edit: nothing slow
    EXPECT_EQ(scene.bounds().exact_count, 0);
    scene.tick(0, 1);
    EXPECT_GE(scene.bounds().exact_count, 1);
    const int k = scene.bounds().index_of(scene.params().K);
    EXPECT_TRUE(scene.bounds().done[static_cast<size_t>(k)]);  // the readout's K first
    for (int i = 0; i < 100 && scene.wants_frames(); ++i) scene.tick(0, 1);
    EXPECT_FALSE(scene.wants_frames());
    EXPECT_TRUE(scene.bounds().complete());
    const std::vector<vi::Bound> piecewise = scene.bounds().exact;
    ViScene at_once;
    at_once.set_q_mu(0.6);
    const std::vector<vi::Bound> all = at_once.bounds_complete().exact;
    ASSERT_EQ(all.size(), piecewise.size());
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].value, piecewise[i].value) << i;
    // Views other than Bounds never compute them in the background.
    scene.set_view(ViView::Reparam);
    scene.set_q_mu(0.7);
    scene.tick(0, 1);
    scene.tick(0, 1);
    EXPECT_EQ(scene.bounds().exact_count, 0);
}

TEST(ViScene, DrawnPointsReplaceTheSampleAndAreNamedInErrors) {
    ViScene scene;
    scene.set_state(with({{"encoder_steps", 0}}));
    const std::vector<double> sampled = scene.data().xs;
    scene.add_data_point(-4.0);  // joins the sampled points in range
    std::vector<double> expected;
    for (double x : sampled)
        if (std::abs(x) <= 10) expected.push_back(x);
    expected.push_back(-4.0);
    EXPECT_EQ(scene.params().data_points, expected);
    EXPECT_EQ(scene.data().xs, expected);
    scene.add_data_point(3.5);
    EXPECT_EQ(scene.data().xs.back(), 3.5);
    // The report's data set is the drawn one, and it round-trips through the state.
    const Json r = scene.report();
    EXPECT_EQ(r["amortization"]["n"], expected.size() + 1);
    ViScene again;
    again.set_state(vi_model().normalize(scene.state()));
    EXPECT_EQ(again.data().xs, scene.data().xs);
    scene.clear_data_points();
    EXPECT_EQ(scene.data().xs, sampled);
    EXPECT_THROW(scene.add_data_point(11), UserError);
    const std::string e = error_of({{"data_points", {1.0, 20.0}}});
    EXPECT_TRUE(mentions(e, "vi.data_points[1]")) << e;
    EXPECT_TRUE(
        mentions(error_of({{"data_points", std::vector<double>(65, 0.0)}}), "vi.data_points"));
}

TEST(ViScene, ClickingADataPointSetsX) {
    ViScene scene;
    const double xi = scene.data().xs[3];
    scene.set_x_to_point(3);
    EXPECT_EQ(scene.params().x, std::clamp(xi, -10.0, 10.0));
    scene.set_x_to_point(99);  // ignored
    EXPECT_EQ(scene.params().x, std::clamp(xi, -10.0, 10.0));
}

TEST(ViScene, CsvHoldsTheSeriesThePointsAndTheVariances) {
    ViScene scene;
    scene.set_state(with({{"encoder_steps", 5}}));
    const std::string csv = scene.csv();
    const long lines = std::count(csv.begin(), csv.end(), '\n');
    const long ks = static_cast<long>(scene.bounds().ks.size());
    EXPECT_EQ(lines, 1 + ks + scene.params().data_n +
                         static_cast<long>(ViScene::variance_batches().size()));
    EXPECT_EQ(csv.rfind("series,K,exact,error,mc_mean,mc_sd,delta,", 0), 0u);
    EXPECT_NE(csv.find("\nL_K,1000,"), std::string::npos);
}
