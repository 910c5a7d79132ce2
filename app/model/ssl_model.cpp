#include "ssl_model.hpp"

#include <cmath>

#include "errors.hpp"
#include "fields.hpp"
#include "format.hpp"
#include "scene_ssl.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "ssl";
const std::string kEachInput = "one per input dimension n1";
const std::vector<std::string> kVariantNames = {"simsiam", "no_stopgrad", "no_predictor",
                                                "neither"};

}  // namespace

ssl::Variant ssl_variant(int index) { return static_cast<ssl::Variant>(index); }

std::string ssl_show_key(ssl::Variant v) { return std::string("show_") + ssl::to_string(v); }

Json SslModel::defaults() const {
    using namespace ssl_keys;
    Json out{{"x_eigs", Json::array({2.0, 1.0, 0.5, 0.25})},
             {"xp_eigs", Json::array({0.4, 0.3, 0.2, 0.1})},
             {"n2", n2.def},
             {"seed", seed.def},
             {"w_scale", w_scale.def},
             {"wp_scale", wp_scale.def},
             {"weight_decay", weight_decay.def},
             {"ema", ema.def},
             {"dt", dt.def},
             {"steps", steps.def},
             {"focus", "simsiam"}};
    for (int i = 0; i < ssl::kVariants; ++i) out[ssl_show_key(ssl_variant(i))] = true;
    return out;
}

SslParams ssl_params_from_json(const Json& state) {
    using namespace ssl_keys;
    Fields f(state, kPanel);
    SslParams p;
    ssl::Spec& s = p.spec;
    s.x_eigs = f.numbers(x_eig, ssl::kMaxInputs, kEachInput);
    s.xp_eigs = f.numbers(xp_eig, ssl::kMaxInputs, kEachInput);
    if (s.xp_eigs.size() != s.x_eigs.size()) {
        f.fail("xp_eigs", "one eigenvalue per input: " + std::to_string(s.x_eigs.size()) +
                              " numbers, as many as ssl.x_eigs");
    }
    s.n2 = static_cast<int>(f.integer(n2));
    s.seed = static_cast<std::uint64_t>(f.integer(seed));
    s.w_scale = f.number(w_scale);
    s.wp_scale = f.number(wp_scale);
    s.weight_decay = f.number(weight_decay);
    s.ema = f.number(ema);
    s.dt = f.number(dt);
    s.steps = static_cast<int>(f.integer(steps));
    for (int i = 0; i < ssl::kVariants; ++i)
        p.shown[static_cast<size_t>(i)] = f.boolean(ssl_show_key(ssl_variant(i)));
    const std::string focus = f.word("focus", kVariantNames);
    for (int i = 0; i < ssl::kVariants; ++i)
        if (focus == kVariantNames[static_cast<size_t>(i)]) p.focus = ssl_variant(i);
    return p;
}

Json ssl_params_to_json(const SslParams& p) {
    const ssl::Spec& s = p.spec;
    Json out{{"x_eigs", s.x_eigs},
             {"xp_eigs", s.xp_eigs},
             {"n2", s.n2},
             {"seed", s.seed},
             {"w_scale", s.w_scale},
             {"wp_scale", s.wp_scale},
             {"weight_decay", s.weight_decay},
             {"ema", s.ema},
             {"dt", s.dt},
             {"steps", s.steps},
             {"focus", ssl::to_string(p.focus)}};
    for (int i = 0; i < ssl::kVariants; ++i)
        out[ssl_show_key(ssl_variant(i))] = p.shown[static_cast<size_t>(i)];
    return out;
}

double ssl_work(const SslParams& p) {
    const double n = p.n1() * p.spec.n2;
    // Per step and variant: four RK4 stages of n1×n1 products, an SVD, and the symmetric
    // eigenproblem of H (~9n³) for the three variants that have one.
    const double per_step =
        ssl::kVariants * (40.0 * p.n1() * p.n1() * p.spec.n2) + 3 * 9 * n * n * n;
    return p.spec.steps * per_step;
}

void check_ssl_work(const SslParams& p) {
    if (ssl_work(p) > kSslWorkBudget) {
        throw UserError("ssl: steps × (n1·n2)³ is too much work (" + format_number(ssl_work(p)) +
                        " multiply-adds, the budget is " + format_number(kSslWorkBudget) +
                        "); lower ssl.steps, ssl.n2 or the number of inputs (ssl.x_eigs)");
    }
}

Json SslModel::normalize(const Json& state) const {
    const SslParams p = ssl_params_from_json(state);
    as_user_error([&] {
        ssl::validate(p.spec);
        return 0;
    });
    check_ssl_work(p);
    return ssl_params_to_json(p);
}

std::unique_ptr<Scene> SslModel::make_scene() const { return std::make_unique<SslScene>(); }

Json SslModel::key_specs() const {
    using namespace ssl_keys;
    Json xs = key_json(x_eig), xps = key_json(xp_eig);
    xs["note"] = "one per input (1 to 8 inputs: n1 is the list's length)";
    xps["note"] = "one per input, as many as x_eigs";
    return Json::array({xs, xps, key_json(n2), key_json(seed), key_json(w_scale),
                        key_json(wp_scale), key_json(weight_decay), key_json(ema), key_json(dt),
                        key_json(steps)});
}

const SslModel& ssl_model() {
    static const SslModel model;
    return model;
}

}  // namespace genlab
