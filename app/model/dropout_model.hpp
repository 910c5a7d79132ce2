// Dropout-vs-L2 panel model (seed 002 Q1): its JSON keys and their validation. The report
// and CSV come from the scene (scene_dropout.hpp).
//
// Keys under "dropout":
//   n (samples), scales (one per feature, 1 to 8 features), w_true (one per feature),
//   correlation (AR(1) between neighbouring features), noise, seed: the data;
//   p (the keep probability), lambda (ridge's coefficient), sgd_lr, sgd_steps (dropout
//   SGD's relative step and length), mc_masks (masks in the Monte Carlo check of Q1.1).
#pragma once

#include "genlab/dropout.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

namespace dropout_keys {
inline constexpr IntKey n{"dropout", "n", 5, dropout::kMaxSamples, 40};
inline constexpr NumberKey scale{"dropout", "scales", 0.1, 10, 1, Scale::Log};  // each
inline constexpr NumberKey weight{"dropout", "w_true", -10, 10, 1};             // each
inline constexpr NumberKey correlation{"dropout", "correlation", -0.95, 0.95, 0};
inline constexpr NumberKey noise{"dropout", "noise", 0, 5, 0.5};
inline constexpr IntKey seed{"dropout", "seed", 0, 1000000000, 1};
inline constexpr NumberKey p{"dropout", "p", 0.01, 1, 0.5};
inline constexpr NumberKey lambda{"dropout", "lambda", 0, 10000, 10, Scale::Log};
inline constexpr NumberKey sgd_lr{"dropout", "sgd_lr", 0.001, 1, 0.3, Scale::Log};
inline constexpr IntKey sgd_steps{"dropout", "sgd_steps", 0, 100000, 2000};
inline constexpr IntKey mc_masks{"dropout", "mc_masks", 10, 100000, 1000};
}  // namespace dropout_keys

struct DropoutParams {
    dropout::DataSpec data;
    double p = dropout_keys::p.def;
    double lambda = dropout_keys::lambda.def;
    double sgd_lr = dropout_keys::sgd_lr.def;
    int sgd_steps = static_cast<int>(dropout_keys::sgd_steps.def);
    int mc_masks = static_cast<int>(dropout_keys::mc_masks.def);
    int features() const { return static_cast<int>(data.scales.size()); }
};

// `state` must be normalized (DropoutModel::normalize).
DropoutParams dropout_params_from_json(const Json& state);
Json dropout_params_to_json(const DropoutParams& params);

// The work a state asks for, in multiply-adds: n·d·(sgd_steps + mc_masks + 2^d). A state
// above kDropoutWorkBudget (~0.3 s) is refused by normalize and the scene's setters, with
// an error naming the keys to lower.
double dropout_work(const DropoutParams& p);
constexpr double kDropoutWorkBudget = 4e8;
void check_dropout_work(const DropoutParams& p);  // throws UserError

struct DropoutModel : PanelModel {
    std::string id() const override { return "dropout"; }
    std::string title() const override { return "Dropout vs L2"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

const DropoutModel& dropout_model();

}  // namespace genlab
