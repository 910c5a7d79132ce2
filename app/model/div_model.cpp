#include "div_model.hpp"

#include <algorithm>

#include "errors.hpp"
#include "fields.hpp"
#include "format.hpp"
#include "scene_div.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "div";

std::vector<std::string> f_keys() {
    std::vector<std::string> out;
    for (const div::FDivergence& f : div::f_divergences()) out.push_back(f.key);
    return out;
}

// One mixture key: a list of 1 to 8 {"weight", "mean", "std"}, each number in its range.
div::Mixture mixture_of(const Fields& f, const std::string& key) {
    const Json& list = f.at(key);
    const std::string name = f.name(key);
    if (!list.is_array() || list.empty() || list.size() > kDivMaxComponents) {
        f.fail(key, "a list of 1 to " + std::to_string(kDivMaxComponents) +
                        " components {\"weight\", \"mean\", \"std\"}");
    }
    div::Mixture out;
    for (size_t k = 0; k < list.size(); ++k) {
        const std::string what = name + "[" + std::to_string(k) + "]";
        const Json& c = list[k];
        if (!c.is_object()) throw UserError(what + " must be {\"weight\", \"mean\", \"std\"}");
        require_known_keys(c, {"weight", "mean", "std"}, what);
        double v[3];
        const NumberKey* spec[3] = {&div_keys::weight, &div_keys::mean, &div_keys::std_dev};
        const char* field[3] = {"weight", "mean", "std"};
        for (int i = 0; i < 3; ++i) {
            const NumberKey& s = *spec[i];
            if (!c.contains(field[i]) || !c[field[i]].is_number() ||
                !(c[field[i]].get<double>() >= s.lo) || !(c[field[i]].get<double>() <= s.hi)) {
                throw UserError(what + "." + field[i] + " must be a number in [" +
                                format_number(s.lo) + ", " + format_number(s.hi) + "]" +
                                (c.contains(field[i]) ? " (got " + c[field[i]].dump() + ")"
                                                      : std::string(" (missing)")));
            }
            v[i] = c[field[i]].get<double>();
        }
        out.push_back(div::component(v[0], v[1], v[2]));
    }
    return out;
}

Json mode(double weight, double mean, double sd) {
    return Json{{"weight", weight}, {"mean", mean}, {"std", sd}};
}

}  // namespace

Json div_mixture_json(const div::Mixture& p) {
    Json out = Json::array();
    for (const kl::Component& c : p)
        out.push_back(mode(c.weight, c.mean(0), std::sqrt(c.cov(0, 0))));
    return out;
}

Json DivModel::defaults() const {
    using namespace div_keys;
    // 002 Q4's setting in one picture: a bimodal data density p1 and a unimodal model p0.
    return Json{{"p0", Json::array({mode(1, 0, 1.5)})},
                {"p1", Json::array({mode(0.5, -2, 0.6), mode(0.5, 2, 0.6)})},
                {"discriminator", "mlp"},
                {"hidden", hidden.def},
                {"lr", lr.def},
                {"batch", batch.def},
                {"train_size", train_size.def},
                {"decay", decay.def},
                {"seed", seed.def},
                {"steps", steps.def},
                {"jsd_samples", jsd_samples.def},
                {"f", "kl"},
                {"alpha", alpha.def}};
}

DivParams div_params_from_json(const Json& state) {
    using namespace div_keys;
    Fields f(state, kPanel);
    DivParams p;
    p.p0 = mixture_of(f, "p0");
    p.p1 = mixture_of(f, "p1");
    p.train.kind = f.word("discriminator", {"logistic", "mlp"}) == "mlp" ? div::DiscKind::Mlp
                                                                         : div::DiscKind::Logistic;
    p.train.hidden = static_cast<int>(f.integer(hidden));
    p.train.lr = f.number(lr);
    p.train.batch = static_cast<int>(f.integer(batch));
    p.train.train_size = static_cast<int>(f.integer(train_size));
    p.train.decay = f.number(decay);
    p.train.seed = static_cast<std::uint64_t>(f.integer(seed));
    p.steps = static_cast<int>(f.integer(steps));
    p.jsd_samples = static_cast<int>(f.integer(jsd_samples));
    p.f = div::find_f_divergence(f.word("f", f_keys()))->kind;
    p.alpha = f.number(alpha);
    as_user_error([&] {
        div::validate_alpha(p.alpha, "div.alpha");
        return 0;
    });
    return p;
}

Json div_params_to_json(const DivParams& p) {
    return Json{{"p0", div_mixture_json(p.p0)},
                {"p1", div_mixture_json(p.p1)},
                {"discriminator", p.train.kind == div::DiscKind::Mlp ? "mlp" : "logistic"},
                {"hidden", p.train.hidden},
                {"lr", p.train.lr},
                {"batch", p.train.batch},
                {"train_size", p.train.train_size},
                {"decay", p.train.decay},
                {"seed", p.train.seed},
                {"steps", p.steps},
                {"jsd_samples", p.jsd_samples},
                {"f", div::f_divergence(p.f).key},
                {"alpha", p.alpha}};
}

double div_work(const DivParams& p) {
    return static_cast<double>(p.steps) * 2.0 * std::min(p.train.batch, p.train.train_size) *
           div::param_count(p.train.kind, p.train.hidden);
}

void check_div_work(const DivParams& p) {
    if (div_work(p) > kDivWorkBudget) {
        throw UserError("div: steps × 2·batch × parameters is too much work (" +
                        format_number(div_work(p)) + ", the budget is " +
                        format_number(kDivWorkBudget) +
                        "); lower div.steps, div.batch or div.hidden");
    }
}

Json DivModel::normalize(const Json& state) const {
    const DivParams p = div_params_from_json(state);
    as_user_error([&] {
        div::validate(p.p0, "div.p0");
        div::validate(p.p1, "div.p1");
        div::validate(p.train);
        return 0;
    });
    check_div_work(p);
    return div_params_to_json(p);
}

std::unique_ptr<Scene> DivModel::make_scene() const { return std::make_unique<DivScene>(); }

Json DivModel::key_specs() const {
    using namespace div_keys;
    Json w = key_json(weight), m = key_json(mean), s = key_json(std_dev);
    for (Json* k : {&w, &m, &s}) (*k)["note"] = "each component of div.p0 and of div.p1";
    Json a = key_json(alpha);
    a["note"] = "neither 0 nor 1 (their limits are reverse KL and KL)";
    return Json::array({w, m, s, key_json(hidden), key_json(lr), key_json(batch),
                        key_json(train_size), key_json(decay), key_json(seed), key_json(steps),
                        key_json(jsd_samples), a});
}

const DivModel& div_model() {
    static const DivModel model;
    return model;
}

}  // namespace genlab
