#include "vi_model.hpp"

#include <cmath>

#include "errors.hpp"
#include "expression.hpp"
#include "fields.hpp"
#include "format.hpp"
#include "scene_vi.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "vi";
const std::vector<std::string> kViews = {"bounds", "amortization", "estimators", "reparam"};
const std::vector<std::string> kLinks = {"linear", "tanh", "quadratic", "expression"};
const std::vector<std::string> kEstFs = {"quadratic", "elbo", "expression"};
// The Monte Carlo work per K and the estimators' work: above these a drag would stall.
constexpr long long kMcWork = 1 << 20;
constexpr long long kEstWork = 1 << 21;

template <class E>
E pick(const std::vector<std::string>& names, const std::string& word) {
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == word) return static_cast<E>(i);
    return static_cast<E>(0);
}

}  // namespace

const char* to_string(ViView v) { return kViews[static_cast<size_t>(v)].c_str(); }
const char* to_string(ViLink l) { return kLinks[static_cast<size_t>(l)].c_str(); }
const char* to_string(ViEstF f) { return kEstFs[static_cast<size_t>(f)].c_str(); }

Json ViModel::defaults() const { return vi_params_to_json(ViParams{}); }

void check_vi_params(const ViParams& p) {
    for (int i : {0, 2})
        if (std::abs(p.rp_s[static_cast<size_t>(i)]) < 1e-3)
            throw UserError(
                std::string("vi.rp_s must be a triangular S with a nonzero diagonal: ") +
                (i == 0 ? "S11" : "S22") + " must be at least 0.001 in size (got " +
                format_number(p.rp_s[static_cast<size_t>(i)]) + ")");
    if (static_cast<long long>(p.mc_samples) * p.mc_seeds > kMcWork)
        throw UserError("vi.mc_samples × vi.mc_seeds must be at most " + std::to_string(kMcWork) +
                        " (got " + std::to_string(p.mc_samples) + " × " +
                        std::to_string(p.mc_seeds) + "); lower vi.mc_samples or vi.mc_seeds");
    if (static_cast<long long>(p.est_batch) * p.est_repeats > kEstWork)
        throw UserError("vi.est_batch × vi.est_repeats must be at most " +
                        std::to_string(kEstWork) + " (got " + std::to_string(p.est_batch) + " × " +
                        std::to_string(p.est_repeats) + "); lower vi.est_repeats or vi.est_batch");
}

ViParams vi_params_from_json(const Json& state) {
    using namespace vi_keys;
    Fields f(state, kPanel);
    ViParams p;
    p.view = pick<ViView>(kViews, f.word("view", kViews));
    p.link = pick<ViLink>(kLinks, f.word("link", kLinks));
    p.a = f.number(a);
    p.b = f.number(b);
    p.sigma_x = f.number(sigma_x);
    const Json& e = f.at("expression");
    if (!e.is_string()) f.fail("expression", "a formula in z, as a string, e.g. \"2*sin(z)\"");
    p.expression = e.get<std::string>();
    p.x = f.number(x);
    p.q.mu = f.number(q_mu);
    p.q.sigma = f.number(q_sigma);
    p.K = static_cast<int>(f.integer(K));
    p.mc_samples = static_cast<int>(f.integer(mc_samples));
    p.mc_seeds = static_cast<int>(f.integer(mc_seeds));
    p.fit_iwae = f.word("fit_objective", {"elbo", "iwae"}) == "iwae";
    p.fit_K = static_cast<int>(f.integer(fit_K));
    p.data_n = static_cast<int>(f.integer(data_n));
    p.data_seed = static_cast<int>(f.integer(data_seed));
    const Json& dp = f.at("data_points");
    if (!dp.is_array() || dp.size() > static_cast<size_t>(vi_keys::kMaxDataPoints))
        f.fail("data_points", "a list of at most 64 numbers in [-10, 10] ([]: sample x_i ~ p(x))");
    for (size_t i = 0; i < dp.size(); ++i) {
        const std::string item = "data_points[" + std::to_string(i) + "]";
        if (!dp[i].is_number() || !std::isfinite(dp[i].get<double>()) ||
            dp[i].get<double>() < data_point.lo || dp[i].get<double>() > data_point.hi)
            throw UserError(f.name(item) + " must be a number in [-10, 10] (got " + dp[i].dump() +
                            ")");
        p.data_points.push_back(dp[i].get<double>());
    }
    p.encoder = f.word("encoder", {"linear", "mlp"}) == "mlp" ? vi::EncoderKind::Mlp
                                                              : vi::EncoderKind::Linear;
    p.encoder_hidden = static_cast<int>(f.integer(encoder_hidden));
    p.encoder_lr = f.number(encoder_lr);
    p.encoder_steps = static_cast<int>(f.integer(encoder_steps));
    p.encoder_seed = static_cast<int>(f.integer(encoder_seed));
    p.steps_per_frame = static_cast<int>(f.integer(steps_per_frame));
    p.est_f = pick<ViEstF>(kEstFs, f.word("est_f", kEstFs));
    const Json& ee = f.at("est_expression");
    if (!ee.is_string()) f.fail("est_expression", "a formula in z, as a string, e.g. \"z^4\"");
    p.est_expression = ee.get<std::string>();
    p.est_alpha = f.number(est_alpha);
    p.est_beta = f.number(est_beta);
    p.est_gamma = f.number(est_gamma);
    p.est_batch = static_cast<int>(f.integer(est_batch));
    p.est_repeats = static_cast<int>(f.integer(est_repeats));
    p.est_seed = static_cast<int>(f.integer(est_seed));
    const std::vector<double> mu = f.numbers(rp_mu, 2, "[μ1, μ2]");
    if (mu.size() != 2) f.fail("rp_mu", "two numbers [μ1, μ2]");
    const std::vector<double> s = f.numbers(rp_s, 3, "[S11, S21, S22]");
    if (s.size() != 3) f.fail("rp_s", "three numbers [S11, S21, S22] (S is lower-triangular)");
    p.rp_mu = {mu[0], mu[1]};
    p.rp_s = {s[0], s[1], s[2]};
    p.rp_samples = static_cast<int>(f.integer(rp_samples));
    p.rp_seed = static_cast<int>(f.integer(rp_seed));
    check_vi_params(p);
    return p;
}

Json vi_params_to_json(const ViParams& p) {
    return Json{{"view", to_string(p.view)},
                {"link", to_string(p.link)},
                {"a", p.a},
                {"b", p.b},
                {"sigma_x", p.sigma_x},
                {"expression", p.expression},
                {"x", p.x},
                {"q_mu", p.q.mu},
                {"q_sigma", p.q.sigma},
                {"K", p.K},
                {"mc_samples", p.mc_samples},
                {"mc_seeds", p.mc_seeds},
                {"fit_objective", p.fit_iwae ? "iwae" : "elbo"},
                {"fit_K", p.fit_K},
                {"data_n", p.data_n},
                {"data_seed", p.data_seed},
                {"data_points", p.data_points},
                {"encoder", p.encoder == vi::EncoderKind::Mlp ? "mlp" : "linear"},
                {"encoder_hidden", p.encoder_hidden},
                {"encoder_lr", p.encoder_lr},
                {"encoder_steps", p.encoder_steps},
                {"encoder_seed", p.encoder_seed},
                {"steps_per_frame", p.steps_per_frame},
                {"est_f", to_string(p.est_f)},
                {"est_expression", p.est_expression},
                {"est_alpha", p.est_alpha},
                {"est_beta", p.est_beta},
                {"est_gamma", p.est_gamma},
                {"est_batch", p.est_batch},
                {"est_repeats", p.est_repeats},
                {"est_seed", p.est_seed},
                {"rp_mu", p.rp_mu},
                {"rp_s", p.rp_s},
                {"rp_samples", p.rp_samples},
                {"rp_seed", p.rp_seed}};
}

vi::Model vi_core_model(const ViParams& p, std::shared_ptr<UserExpression>* holder) {
    vi::Model m;
    m.a = p.a;
    m.b = p.b;
    m.sigma_x = p.sigma_x;
    switch (p.link) {
        case ViLink::Linear:
            m.link = vi::Link::Linear;
            break;
        case ViLink::Tanh:
            m.link = vi::Link::Tanh;
            break;
        case ViLink::Quadratic:
            m.link = vi::Link::Quadratic;
            break;
        case ViLink::Expression: {
            auto e = std::make_shared<UserExpression>(p.expression, "vi.expression",
                                                      UserExpression::Variables::Z);
            if (!std::isfinite((*e)(0.0)))
                throw UserError("vi.expression must be finite at z = 0 (got " +
                                format_number((*e)(0.0)) + " for " + p.expression + ")");
            m.link = vi::Link::Custom;
            const UserExpression* raw = e.get();
            m.f = [raw](double z) { return (*raw)(z); };
            if (holder) *holder = e;
            break;
        }
    }
    as_user_error([&] {
        vi::validate(m);
        return 0;
    });
    return m;
}

void check_vi_evidence(const vi::Model& m, double x) {
    try {
        (void)vi::log_evidence(m, x);
    } catch (const std::invalid_argument& e) {
        throw UserError(std::string("vi: p(x, z) has no usable evidence at vi.x = ") +
                        format_number(x) + " (" + e.what() +
                        "); change vi.expression (or vi.link) or vi.x");
    }
}

vi::Mat2 vi_reparam_matrix(const ViParams& p) {
    vi::Mat2 s;
    s << p.rp_s[0], 0, p.rp_s[1], p.rp_s[2];
    return s;
}

Json ViModel::normalize(const Json& state) const {
    const ViParams p = vi_params_from_json(state);
    // An expression that does not parse is named here, even while another link is chosen.
    UserExpression check(p.expression, "vi.expression", UserExpression::Variables::Z);
    UserExpression check_f(p.est_expression, "vi.est_expression", UserExpression::Variables::Z);
    std::shared_ptr<UserExpression> holder;
    check_vi_evidence(vi_core_model(p, &holder), p.x);
    return vi_params_to_json(p);
}

std::unique_ptr<Scene> ViModel::make_scene() const { return std::make_unique<ViScene>(); }

Json ViModel::key_specs() const {
    using namespace vi_keys;
    Json mu = key_json(rp_mu), s = key_json(rp_s);
    mu["note"] = "[μ1, μ2], the mean of g(z0) = μ + S z0";
    s["note"] = "[S11, S21, S22]: S lower-triangular, |S11|, |S22| ≥ 0.001";
    // vi.data_points (drawn x's, each in data_point's range) is not listed: its default is an
    // empty list, which has no default number to state.
    Json mc = key_json(mc_samples), est = key_json(est_repeats);
    mc["note"] = "mc_samples × mc_seeds ≤ 1048576";
    est["note"] = "est_batch × est_repeats ≤ 2097152";
    return Json::array({key_json(a),
                        key_json(b),
                        key_json(sigma_x),
                        key_json(x),
                        key_json(q_mu),
                        key_json(q_sigma),
                        key_json(K),
                        mc,
                        key_json(mc_seeds),
                        key_json(fit_K),
                        key_json(data_n),
                        key_json(data_seed),
                        key_json(encoder_hidden),
                        key_json(encoder_lr),
                        key_json(encoder_steps),
                        key_json(encoder_seed),
                        key_json(steps_per_frame),
                        key_json(est_alpha),
                        key_json(est_beta),
                        key_json(est_gamma),
                        key_json(est_batch),
                        est,
                        key_json(est_seed),
                        mu,
                        s,
                        key_json(rp_samples),
                        key_json(rp_seed)});
}

const ViModel& vi_model() {
    static const ViModel model;
    return model;
}

}  // namespace genlab
