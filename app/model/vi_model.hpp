// Variational-inference panel model (issue 15; seeds 000 Q2–Q4, 002 Q2, 003 Q1, 004 §4.2): its
// JSON keys and their validation. The report and CSV come from the scene (scene_vi.hpp).
//
// Keys under "vi" (flat, so `--set vi.K=100` works):
//   view           bounds | amortization | estimators | reparam
//   link           linear | tanh | quadratic | expression: f in x | z ~ N(f(z), σ_x²)
//   a, b, sigma_x  the built-in links' parameters (a·z + b, tanh(a·z + b), a·z² + b) and noise
//   expression     f(z) for link = expression (muparser, variable z)
//   x              the observed point; q_mu, q_sigma: the Gaussian q(z|x)
//   K              the bound L_K highlighted (1–1000); mc_samples, mc_seeds: the Monte Carlo
//                  budget per K (samples per estimate, independent estimates for the sd)
//   fit_objective  elbo | iwae: what "Fit q" maximizes; fit_K the IWAE fit's K
//   data_n, data_seed                        the amortization data set x_i ~ p(x), unless
//   data_points                              lists the x_i (drawn by clicks; [] = sampled)
//   encoder (linear | mlp), encoder_hidden, encoder_lr, encoder_steps (the training budget:
//   Play stops there, --report trains it all), encoder_seed, steps_per_frame
//   est_f (quadratic: αz² + βz + γ | elbo: log p(x, z) | expression: est_expression, in z),
//   est_alpha, est_beta, est_gamma, est_batch (draws per estimate in the histograms),
//   est_repeats, est_seed
//   rp_mu [μ1, μ2], rp_s [S11, S21, S22] (S lower-triangular), rp_samples, rp_seed
#pragma once

#include <array>
#include <memory>
#include <string>

#include "genlab/vi.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

class UserExpression;

namespace vi_keys {
inline constexpr NumberKey a{"vi", "a", -5, 5, 1};
inline constexpr NumberKey b{"vi", "b", -5, 5, 0};
inline constexpr NumberKey sigma_x{"vi", "sigma_x", 0.05, 5, 0.5, Scale::Log};
inline constexpr NumberKey x{"vi", "x", -10, 10, 2};
inline constexpr NumberKey q_mu{"vi", "q_mu", -10, 10, 0.8};
inline constexpr NumberKey q_sigma{"vi", "q_sigma", 0.01, 10, 0.8, Scale::Log};
inline constexpr IntKey K{"vi", "K", 1, vi::kMaxK, 10, Scale::Log};
inline constexpr IntKey mc_samples{"vi", "mc_samples", 16, 65536, 2048, Scale::Log};
inline constexpr IntKey mc_seeds{"vi", "mc_seeds", 2, 64, 8};
inline constexpr IntKey fit_K{"vi", "fit_K", 1, vi::kMaxK, 50, Scale::Log};
inline constexpr IntKey data_n{"vi", "data_n", 2, 64, 16};
inline constexpr IntKey data_seed{"vi", "data_seed", 0, 1000000000, 2};
inline constexpr NumberKey data_point{"vi", "data_points", -10, 10, 0};  // each
inline constexpr int kMaxDataPoints = 64;
inline constexpr IntKey encoder_hidden{"vi", "encoder_hidden", 1, 32, 8};
inline constexpr NumberKey encoder_lr{"vi", "encoder_lr", 1e-4, 0.5, 0.05, Scale::Log};
inline constexpr IntKey encoder_steps{"vi", "encoder_steps", 0, 20000, 2000};
inline constexpr IntKey encoder_seed{"vi", "encoder_seed", 0, 1000000000, 1};
inline constexpr IntKey steps_per_frame{"vi", "steps_per_frame", 1, 200, 10, Scale::Log};
inline constexpr NumberKey est_alpha{"vi", "est_alpha", -5, 5, 1};
inline constexpr NumberKey est_beta{"vi", "est_beta", -5, 5, 0.5};
inline constexpr NumberKey est_gamma{"vi", "est_gamma", -20, 20, 3};
inline constexpr IntKey est_batch{"vi", "est_batch", 1, 1024, 4, Scale::Log};
inline constexpr IntKey est_repeats{"vi", "est_repeats", 100, 20000, 2000, Scale::Log};
inline constexpr IntKey est_seed{"vi", "est_seed", 0, 1000000000, 1};
inline constexpr NumberKey rp_mu{"vi", "rp_mu", -5, 5, 0};  // each
inline constexpr NumberKey rp_s{"vi", "rp_s", -5, 5, 1};    // each
inline constexpr IntKey rp_samples{"vi", "rp_samples", 10, 5000, 500, Scale::Log};
inline constexpr IntKey rp_seed{"vi", "rp_seed", 0, 1000000000, 1};
}  // namespace vi_keys

enum class ViView { Bounds, Amortization, Estimators, Reparam };
enum class ViLink { Linear, Tanh, Quadratic, Expression };
enum class ViEstF { Quadratic, Elbo, Expression };  // the estimators' f

struct ViParams {
    ViView view = ViView::Bounds;
    ViLink link = ViLink::Quadratic;
    double a = vi_keys::a.def, b = vi_keys::b.def, sigma_x = vi_keys::sigma_x.def;
    std::string expression = "2*sin(z) + 0.5*z";
    double x = vi_keys::x.def;
    vi::Gaussian q{vi_keys::q_mu.def, vi_keys::q_sigma.def};
    int K = static_cast<int>(vi_keys::K.def);
    int mc_samples = static_cast<int>(vi_keys::mc_samples.def);
    int mc_seeds = static_cast<int>(vi_keys::mc_seeds.def);
    bool fit_iwae = true;  // fit_objective: iwae (else elbo)
    int fit_K = static_cast<int>(vi_keys::fit_K.def);
    int data_n = static_cast<int>(vi_keys::data_n.def);
    int data_seed = static_cast<int>(vi_keys::data_seed.def);
    std::vector<double> data_points;  // drawn by the user (clicks); empty: x_i ~ p(x)
    vi::EncoderKind encoder = vi::EncoderKind::Linear;
    int encoder_hidden = static_cast<int>(vi_keys::encoder_hidden.def);
    double encoder_lr = vi_keys::encoder_lr.def;
    int encoder_steps = static_cast<int>(vi_keys::encoder_steps.def);
    int encoder_seed = static_cast<int>(vi_keys::encoder_seed.def);
    int steps_per_frame = static_cast<int>(vi_keys::steps_per_frame.def);
    ViEstF est_f = ViEstF::Quadratic;  // αz² + βz + γ, log p(x, z), or est_expression
    std::string est_expression = "z^4 - 2*z";
    double est_alpha = vi_keys::est_alpha.def, est_beta = vi_keys::est_beta.def,
           est_gamma = vi_keys::est_gamma.def;
    int est_batch = static_cast<int>(vi_keys::est_batch.def);
    int est_repeats = static_cast<int>(vi_keys::est_repeats.def);
    int est_seed = static_cast<int>(vi_keys::est_seed.def);
    std::array<double, 2> rp_mu{0.0, 0.0};
    std::array<double, 3> rp_s{1.0, 0.6, 0.5};  // S11, S21, S22
    int rp_samples = static_cast<int>(vi_keys::rp_samples.def);
    int rp_seed = static_cast<int>(vi_keys::rp_seed.def);

    // The fields the model's numbers depend on (the rest are q, budgets and views).
    bool same_model(const ViParams& o) const {
        return link == o.link && a == o.a && b == o.b && sigma_x == o.sigma_x &&
               (link != ViLink::Expression || expression == o.expression);
    }
};

const char* to_string(ViView v);
const char* to_string(ViLink l);
const char* to_string(ViEstF f);

// `state` must be normalized (ViModel::normalize).
ViParams vi_params_from_json(const Json& state);
// What no single key's range says: S's diagonal nonzero, the Monte Carlo and estimator work
// budgets. Throws UserError naming the keys to change.
void check_vi_params(const ViParams& p);
Json vi_params_to_json(const ViParams& p);
// The core model of p. An expression link is compiled into `holder` (it must outlive the
// model); throws UserError naming vi.expression when it does not parse, or when f is not finite
// at z = 0.
vi::Model vi_core_model(const ViParams& p, std::shared_ptr<UserExpression>* holder);
vi::Mat2 vi_reparam_matrix(const ViParams& p);  // [[S11, 0], [S21, S22]]
// Throws UserError naming vi.expression and vi.x when log p(x) cannot be computed at x (a
// formula that is not finite near the posterior, e.g. sqrt(z) for z < 0).
void check_vi_evidence(const vi::Model& m, double x);

struct ViModel : PanelModel {
    std::string id() const override { return "vi"; }
    std::string title() const override { return "Variational inference"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

const ViModel& vi_model();

}  // namespace genlab
