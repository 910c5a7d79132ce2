// The flow panel's training keys (issue 13), under "flow.train", an object whose missing
// members take their defaults (`--set 'flow.train={"objective": "forward"}'`):
//   target     u1 | u2 | u3 | u4 (Rezende & Mohamed 2015, Table 1) | mixture (flow.target) |
//              two_moons (samples only) | function (flow.train.expression) | points
//              (flow.train.points, samples only)
//   objective  reverse (KL(q‖p) from the unnormalized density) | forward (−E_p log q from
//              samples)
//   expression an unnormalized log-density in x1, x2 (muparser's grammar)
//   points     [[x, y], ...]: the data of the points target, at most kFlowMaxTrainPoints
//   init       layers (train flow.layers as they are) | planar | radial | affine | coupling
//              (RealNVP, the kept coordinate alternating): K small
//              random layers of that type (flow::train::random_stack, seeded)
//   K, steps (the training budget: Play stops there, --report trains it all), lr (Adam),
//   lr_half_life (0: a constant lr; else lr halves every that many steps),
//   batch, seed, steps_per_frame (at speed 1)
// Which target offers which objective is read from flow::train::target_table().
//
// Usage:
//   FlowTrainParams t = flow_train_from_json(json["train"]);    // errors name flow.train.lr
//   flow::train::Target target = flow_train_target(t, mixture, &expression_holder);
//   flow::Stack init = flow_train_initial_stack(t, panel_stack);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/flow_train.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

class UserExpression;

constexpr int kFlowMaxTrainPoints = 2000;

namespace flow_train_keys {
inline constexpr IntKey K{"flow", "train.K", 1, 32, 8};
inline constexpr IntKey steps{"flow", "train.steps", 0, 20000, 2000, Scale::Log};
inline constexpr NumberKey lr{"flow", "train.lr", 1e-5, 1, 0.01, Scale::Log};
inline constexpr IntKey batch{"flow", "train.batch", 16, 8192, 256, Scale::Log};
inline constexpr IntKey seed{"flow", "train.seed", 0, 1000000000, 1};
inline constexpr IntKey steps_per_frame{"flow", "train.steps_per_frame", 1, 200, 5, Scale::Log};
inline constexpr NumberKey point{"flow", "train.points", -1e3, 1e3, 0};
inline constexpr IntKey lr_half_life{"flow", "train.lr_half_life", 0, 100000, 0};
}  // namespace flow_train_keys

struct FlowTrainParams {
    std::string target = "u1";
    std::string objective = "reverse";
    // A ring of radius 2: what a student types first.
    std::string expression = "-((sqrt(x1^2 + x2^2) - 2) / 0.4)^2 / 2";
    std::vector<Eigen::Vector2d> points;
    std::string init = "planar";
    int K = static_cast<int>(flow_train_keys::K.def);
    int steps = static_cast<int>(flow_train_keys::steps.def);
    double lr = flow_train_keys::lr.def;
    int lr_half_life = 0;  // > 0: lr·2^(−step/half_life), so the noisy steps settle
    int batch = static_cast<int>(flow_train_keys::batch.def);
    int seed = static_cast<int>(flow_train_keys::seed.def);
    int steps_per_frame = static_cast<int>(flow_train_keys::steps_per_frame.def);

    flow::train::TargetKind target_kind() const;
    flow::train::Objective objective_kind() const;
};

const std::vector<std::string>& flow_train_targets();     // target_table()'s names
const std::vector<std::string>& flow_train_objectives();  // reverse, forward
const std::vector<std::string>& flow_train_inits();  // layers, planar, radial, affine, coupling

Json flow_train_defaults();
// `value` is the flow.train object; members it lacks take their defaults.
FlowTrainParams flow_train_from_json(const Json& value);
Json flow_train_to_json(const FlowTrainParams& t);
Json flow_train_key_specs();

// The target the trainer fits. A function target's expression is compiled into `holder`
// (which must outlive the target). Throws UserError naming the key: an empty flow.target for
// mixture, fewer than 2 points, an expression that does not parse.
flow::train::Target flow_train_target(const FlowTrainParams& t, const kl::Mixture& mixture,
                                      std::shared_ptr<UserExpression>* holder);
// The stack training starts from: `panel` itself (init = layers), or K random layers of the
// init type on panel's base.
flow::Stack flow_train_initial_stack(const FlowTrainParams& t, const flow::Stack& panel);
// Throws UserError naming the keys when this training cannot run: the objective needs what the
// target lacks, or init = layers holds a layer type that does not train.
void flow_train_check(const FlowTrainParams& t, const flow::Stack& panel,
                      const kl::Mixture& mixture);

}  // namespace genlab
