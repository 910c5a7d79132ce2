// Divergences panel model (seed files 002 Q4, 004 §4.3, 004 §4.4): its JSON keys and their
// validation. The report and CSV come from the scene (scene_div.hpp).
//
// Keys under "div":
//   p0, p1: 1-D Gaussian mixtures [{"weight": w, "mean": m, "std": s}, …], 1 to 8 components.
//     p1 is the data (the class D scores), p0 the model (the generator's fakes), as in the
//     seeds: D* = p1/(p0 + p1), f-divergences D_f(p1‖p0).
//   discriminator (logistic | mlp), hidden (the MLP's tanh units), lr, batch (per class; above
//   train_size a step takes all samples),
//   train_size (samples drawn once per class), decay (lr/√(1 + t/decay); 0: constant), seed,
//   steps (Adam steps the report trains), jsd_samples (fresh samples per class for the JSD
//   estimate), f (kl | reverse_kl | js | hellinger | tv | pearson | alpha: the explorer's
//   choice), alpha (for f = alpha; every α-row of the report uses it).
#pragma once

#include <string>

#include "genlab/divergence.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

namespace div_keys {
inline constexpr NumberKey weight{"div", "p0[].weight", 0.001, 1000, 1};
inline constexpr NumberKey mean{"div", "p0[].mean", -100, 100, 0};
inline constexpr NumberKey std_dev{"div", "p0[].std", 0.01, 100, 1, Scale::Log};
inline constexpr IntKey hidden{"div", "hidden", 1, 32, 8};
inline constexpr NumberKey lr{"div", "lr", 1e-4, 1, 0.05, Scale::Log};
inline constexpr IntKey batch{"div", "batch", 1, 100000, 64, Scale::Log};
inline constexpr IntKey train_size{"div", "train_size", 2, 100000, 2000, Scale::Log};
inline constexpr NumberKey decay{"div", "decay", 0, 100000, 500};
inline constexpr IntKey seed{"div", "seed", 0, 1000000000, 1};
inline constexpr IntKey steps{"div", "steps", 0, 20000, 2000};
inline constexpr IntKey jsd_samples{"div", "jsd_samples", 100, 100000, 4000, Scale::Log};
inline constexpr NumberKey alpha{"div", "alpha", -5, 5, 0.5};
}  // namespace div_keys

constexpr int kDivMaxComponents = 8;

struct DivParams {
    div::Mixture p0, p1;
    div::TrainOptions train;
    int steps = 2000;
    int jsd_samples = 4000;
    div::FKind f = div::FKind::KL;
    double alpha = 0.5;
};

// `state` must be normalized (DivModel::normalize).
DivParams div_params_from_json(const Json& state);
Json div_params_to_json(const DivParams& params);
Json div_mixture_json(const div::Mixture& p);

// The training's work: steps × 2·batch × the discriminator's parameters. Above
// kDivWorkBudget (~0.5 s) it is refused with an error naming the keys to lower.
double div_work(const DivParams& p);
constexpr double kDivWorkBudget = 2e8;
void check_div_work(const DivParams& p);  // throws UserError

struct DivModel : PanelModel {
    std::string id() const override { return "div"; }
    std::string title() const override { return "Divergences"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

const DivModel& div_model();

}  // namespace genlab
