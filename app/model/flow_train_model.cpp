#include "flow_train_model.hpp"

#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "expression.hpp"
#include "fields.hpp"

namespace genlab {

namespace ft = flow::train;

namespace {

constexpr const char* kWhere = "flow.train";

template <class Key>
Json spec(const Key& k, const char* note) {
    Json j = key_json(k);
    j["note"] = note;
    return j;
}

flow::Type type_of_init(const std::string& init) {
    if (init == "radial") return flow::Type::Radial;
    if (init == "affine") return flow::Type::Affine;
    if (init == "coupling") return flow::Type::Coupling;
    return flow::Type::Planar;
}

}  // namespace

const std::vector<std::string>& flow_train_targets() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const ft::TargetInfo& t : ft::target_table()) out.push_back(t.name);
        return out;
    }();
    return names;
}

const std::vector<std::string>& flow_train_objectives() {
    static const std::vector<std::string> names = {"reverse", "forward"};
    return names;
}

const std::vector<std::string>& flow_train_inits() {
    static const std::vector<std::string> names = {"layers", "planar", "radial", "affine",
                                                   "coupling"};
    return names;
}

ft::TargetKind FlowTrainParams::target_kind() const {
    const auto& names = flow_train_targets();
    const auto it = std::find(names.begin(), names.end(), target);
    return static_cast<ft::TargetKind>(it == names.end() ? 0 : it - names.begin());
}

ft::Objective FlowTrainParams::objective_kind() const {
    return objective == "forward" ? ft::Objective::Forward : ft::Objective::Reverse;
}

Json flow_train_defaults() { return flow_train_to_json(FlowTrainParams{}); }

FlowTrainParams flow_train_from_json(const Json& value) {
    if (!value.is_object())
        throw UserError(std::string(kWhere) + " must be an object, e.g. {\"target\": \"u1\", " +
                        "\"objective\": \"reverse\", \"steps\": 2000} (got " + value.dump() + ")");
    Json full = flow_train_defaults();
    require_known_keys(
        value,
        [&] {
            std::vector<std::string> keys;
            for (auto it = full.begin(); it != full.end(); ++it) keys.push_back(it.key());
            return keys;
        }(),
        kWhere);
    for (auto it = value.begin(); it != value.end(); ++it) full[it.key()] = it.value();
    Fields f(full, kWhere);
    FlowTrainParams t;
    t.target = f.word("target", flow_train_targets());
    t.objective = f.word("objective", flow_train_objectives());
    t.init = f.word("init", flow_train_inits());
    const Json& e = f.at("expression");
    if (!e.is_string()) f.fail("expression", "a formula in x1 and x2, as a string");
    t.expression = e.get<std::string>();
    const Json& pts = f.at("points");
    if (!pts.is_array() || pts.size() > kFlowMaxTrainPoints)
        f.fail("points", "a list of at most " + std::to_string(kFlowMaxTrainPoints) +
                             " points [x, y], each within ±1000");
    for (size_t i = 0; i < pts.size(); ++i) {
        const Json& p = pts[i];
        const std::string what = f.name("points") + "[" + std::to_string(i) + "]";
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
            throw UserError(what + " must be [x, y] (got " + p.dump() + ")");
        const Eigen::Vector2d x(p[0].get<double>(), p[1].get<double>());
        if (!(x.array().abs() <= flow_train_keys::point.hi).all())
            throw UserError(what + " must be within ±1000 (got " + p.dump() + ")");
        t.points.push_back(x);
    }
    const auto key = [](const IntKey& k) { return std::string(k.key).substr(6); };  // "train."
    t.K = static_cast<int>(
        f.integer(key(flow_train_keys::K), flow_train_keys::K.lo, flow_train_keys::K.hi));
    t.steps = static_cast<int>(f.integer(key(flow_train_keys::steps), flow_train_keys::steps.lo,
                                         flow_train_keys::steps.hi));
    t.lr = f.number("lr", flow_train_keys::lr.lo, flow_train_keys::lr.hi);
    t.lr_half_life = static_cast<int>(f.integer(key(flow_train_keys::lr_half_life),
                                                flow_train_keys::lr_half_life.lo,
                                                flow_train_keys::lr_half_life.hi));
    t.batch = static_cast<int>(f.integer(key(flow_train_keys::batch), flow_train_keys::batch.lo,
                                         flow_train_keys::batch.hi));
    t.seed = static_cast<int>(
        f.integer(key(flow_train_keys::seed), flow_train_keys::seed.lo, flow_train_keys::seed.hi));
    t.steps_per_frame = static_cast<int>(f.integer(key(flow_train_keys::steps_per_frame),
                                                   flow_train_keys::steps_per_frame.lo,
                                                   flow_train_keys::steps_per_frame.hi));
    // A typo in the formula is reported when it is set, whichever target is chosen.
    UserExpression check(t.expression, f.name("expression"));
    return t;
}

Json flow_train_to_json(const FlowTrainParams& t) {
    Json points = Json::array();
    for (const Eigen::Vector2d& p : t.points) points.push_back({p[0], p[1]});
    return Json{{"target", t.target},
                {"objective", t.objective},
                {"expression", t.expression},
                {"points", points},
                {"init", t.init},
                {"K", t.K},
                {"steps", t.steps},
                {"lr", t.lr},
                {"lr_half_life", t.lr_half_life},
                {"batch", t.batch},
                {"seed", t.seed},
                {"steps_per_frame", t.steps_per_frame}};
}

Json flow_train_key_specs() {
    using namespace flow_train_keys;
    return Json::array(
        {spec(K, "layers of the init type (init = planar | radial | affine)"),
         spec(steps, "the training budget: Play stops there; --report trains all of it"),
         spec(lr, "Adam's learning rate"),
         spec(lr_half_life, "0: a constant lr; else it halves every that many steps"),
         spec(batch, "points per Adam step"),
         spec(seed, "the random initial layers and every batch"),
         spec(steps_per_frame, "Adam steps per frame at speed 1 (the toolbar's speed scales it)")});
}

ft::Target flow_train_target(const FlowTrainParams& t, const kl::Mixture& mixture,
                             std::shared_ptr<UserExpression>* holder) {
    switch (t.target_kind()) {
        case ft::TargetKind::U1:
        case ft::TargetKind::U2:
        case ft::TargetKind::U3:
        case ft::TargetKind::U4:
            return ft::Target::energy(static_cast<int>(t.target_kind()) + 1);
        case ft::TargetKind::Mixture:
            if (mixture.empty())
                throw UserError(
                    "flow.train.target mixture fits flow.target, which is empty: give flow.target "
                    "a component, e.g. [{\"weight\": 1, \"mean\": [1, 0], \"std\": [0.5, 0.5]}]");
            return as_user_error([&] { return ft::Target::from_mixture(mixture); });
        case ft::TargetKind::TwoMoons:
            return ft::Target::two_moons();
        case ft::TargetKind::Function: {
            auto e = std::make_shared<UserExpression>(t.expression, "flow.train.expression");
            if (holder) *holder = e;
            const UserExpression* raw = e.get();
            return ft::Target::from_function([raw](double a, double b) { return (*raw)(a, b); });
        }
        case ft::TargetKind::Points: {
            if (t.points.size() < 2)
                throw UserError(
                    "flow.train.target points needs at least 2 points in "
                    "flow.train.points (draw them on the target plot; got " +
                    std::to_string(t.points.size()) + ")");
            Eigen::Matrix2Xd x(2, static_cast<Eigen::Index>(t.points.size()));
            for (size_t i = 0; i < t.points.size(); ++i)
                x.col(static_cast<Eigen::Index>(i)) = t.points[i];
            return ft::Target::from_points(std::move(x));
        }
    }
    return ft::Target::energy(1);
}

flow::Stack flow_train_initial_stack(const FlowTrainParams& t, const flow::Stack& panel) {
    if (t.init == "layers") return panel;
    flow::Stack s =
        ft::random_stack(std::vector<flow::Type>(static_cast<size_t>(t.K), type_of_init(t.init)),
                         static_cast<std::uint64_t>(t.seed));
    s.base_mean = panel.base_mean;
    s.base_std = panel.base_std;
    return s;
}

void flow_train_check(const FlowTrainParams& t, const flow::Stack& panel,
                      const kl::Mixture& mixture) {
    // Fewer than 2 points is a target being drawn: FlowTraining waits for them.
    const bool drawing = t.target_kind() == ft::TargetKind::Points && t.points.size() < 2;
    std::shared_ptr<UserExpression> holder;
    ft::Target target;
    if (drawing)
        target.kind = ft::TargetKind::Points;  // no data yet: only its objectives are asked
    else
        target = flow_train_target(t, mixture, &holder);
    const std::string why = ft::unavailable(target, t.objective_kind());
    if (!why.empty()) throw UserError(why);
    if (t.init == "layers") {
        if (panel.layers.empty())
            throw UserError(
                "flow.train.init = layers trains flow.layers, which is empty: add "
                "layers, or use flow.train.init = planar");
        as_user_error([&] { return ft::pack(panel); });
    }
}

}  // namespace genlab
