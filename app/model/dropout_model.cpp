#include "dropout_model.hpp"

#include <cmath>

#include "fields.hpp"
#include "format.hpp"
#include "scene_dropout.hpp"

namespace genlab {

namespace {
constexpr const char* kPanel = "dropout";
const std::string kEachFeature = "one per feature";
}  // namespace

Json DropoutModel::defaults() const {
    using namespace dropout_keys;
    return Json{{"n", n.def},
                {"scales", Json::array({1.0, 4.0})},
                {"w_true", Json::array({1.0, 1.0})},
                {"correlation", correlation.def},
                {"noise", noise.def},
                {"seed", seed.def},
                {"p", p.def},
                {"lambda", lambda.def},
                {"sgd_lr", sgd_lr.def},
                {"sgd_steps", sgd_steps.def},
                {"mc_masks", mc_masks.def}};
}

DropoutParams dropout_params_from_json(const Json& state) {
    using namespace dropout_keys;
    Fields f(state, kPanel);
    DropoutParams p;
    p.data.n = static_cast<int>(f.integer(n));
    p.data.scales = f.numbers(scale, dropout::kMaxFeatures, kEachFeature);
    p.data.w_true = f.numbers(weight, dropout::kMaxFeatures, kEachFeature);
    if (p.data.w_true.size() != p.data.scales.size()) {
        f.fail("w_true", "one weight per feature: " + std::to_string(p.data.scales.size()) +
                             " numbers, as many as dropout.scales");
    }
    p.data.correlation = f.number(correlation);
    p.data.noise = f.number(noise);
    p.data.seed = static_cast<std::uint64_t>(f.integer(seed));
    p.p = f.number(dropout_keys::p);
    p.lambda = f.number(lambda);
    p.sgd_lr = f.number(sgd_lr);
    p.sgd_steps = static_cast<int>(f.integer(sgd_steps));
    p.mc_masks = static_cast<int>(f.integer(mc_masks));
    return p;
}

Json dropout_params_to_json(const DropoutParams& p) {
    return Json{{"n", p.data.n},
                {"scales", p.data.scales},
                {"w_true", p.data.w_true},
                {"correlation", p.data.correlation},
                {"noise", p.data.noise},
                {"seed", p.data.seed},
                {"p", p.p},
                {"lambda", p.lambda},
                {"sgd_lr", p.sgd_lr},
                {"sgd_steps", p.sgd_steps},
                {"mc_masks", p.mc_masks}};
}

double dropout_work(const DropoutParams& p) {
    const double d = p.features();
    return p.data.n * d * (p.sgd_steps + p.mc_masks + std::pow(2.0, d));
}

void check_dropout_work(const DropoutParams& p) {
    if (dropout_work(p) > kDropoutWorkBudget) {
        throw UserError("dropout: n × features × (sgd_steps + mc_masks) is " +
                        format_number(dropout_work(p)) + ", over the budget of " +
                        format_number(kDropoutWorkBudget) +
                        "; lower dropout.sgd_steps, dropout.mc_masks or dropout.n");
    }
}

Json DropoutModel::normalize(const Json& state) const {
    const DropoutParams p = dropout_params_from_json(state);
    check_dropout_work(p);
    return dropout_params_to_json(p);
}

std::unique_ptr<Scene> DropoutModel::make_scene() const { return std::make_unique<DropoutScene>(); }

Json DropoutModel::key_specs() const {
    using namespace dropout_keys;
    Json scales = key_json(scale), weights = key_json(weight);
    scales["note"] = "one per feature (1 to 8 features)";
    weights["note"] = "one per feature, as many as scales";
    return Json::array({key_json(n), scales, weights, key_json(correlation), key_json(noise),
                        key_json(seed), key_json(p), key_json(lambda), key_json(sgd_lr),
                        key_json(sgd_steps), key_json(mc_masks)});
}

const DropoutModel& dropout_model() {
    static const DropoutModel model;
    return model;
}

}  // namespace genlab
