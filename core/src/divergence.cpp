// Discriminators and divergences between 1-D Gaussian mixtures (see genlab/divergence.hpp).
//
// [SECTION] Prepared densities and the integration support
// [SECTION] Mixtures and validation
// [SECTION] Densities, D* and the log-ratio on a grid
// [SECTION] f-divergences: the descriptor table
// [SECTION] f-divergences by quadrature, the variational bound and the JSD
// [SECTION] Discriminators
// [SECTION] Training
// [SECTION] Estimates from a discriminator
// [SECTION] Generator losses
#include "genlab/divergence.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "check.hpp"
#include "quadrature.hpp"
#include "random.hpp"

namespace genlab::div {

using detail::require;
using detail::show;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2 = 0.69314718055994530942;
constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kSupportSds = 14;

//-----------------------------------------------------------------------------
// [SECTION] Prepared densities and the integration support
//-----------------------------------------------------------------------------

// A mixture as (log weight, mean, sd) with weights normalized: log p by log-sum-exp.
struct Density {
    std::vector<double> log_w, mu, sd;
    explicit Density(const Mixture& p) {
        double total = 0;
        for (const kl::Component& c : p) total += c.weight;
        for (const kl::Component& c : p) {
            log_w.push_back(std::log(c.weight / total));
            mu.push_back(c.mean(0));
            sd.push_back(std::sqrt(c.cov(0, 0)));
        }
    }
    double operator()(double x) const {
        double top = -kInf;
        thread_local std::vector<double> terms;
        terms.resize(mu.size());
        for (size_t k = 0; k < mu.size(); ++k) {
            const double z = (x - mu[k]) / sd[k];
            terms[k] = log_w[k] - 0.5 * z * z - std::log(sd[k]) - kLogSqrt2Pi;
            top = std::max(top, terms[k]);
        }
        double s = 0;
        for (double t : terms) s += std::exp(t - top);
        return top + std::log(s);
    }
    double widest() const { return *std::max_element(sd.begin(), sd.end()); }
};

double log_add(double a, double b) {
    const double top = std::max(a, b);
    if (top == -kInf) return -kInf;
    return top + std::log1p(std::exp(std::min(a, b) - top));
}
double softplus(double a) { return a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a)); }
double sigmoid(double a) {
    return a >= 0 ? 1 / (1 + std::exp(-a)) : std::exp(a) / (1 + std::exp(a));
}

// The interval and the panel cuts every integral over (p0, p1) starts from: cuts at every
// component's μ, μ ± σ, ±3σ, ±6σ and ±14σ, so each component is met at its own scale however
// narrow (a 0.01-wide mode beside a 5-wide one lost its tails to one wide panel without them).
struct Support {
    double lo = kInf, hi = -kInf;
    std::vector<double> cuts;
    void add(double m, double w) {
        lo = std::min(lo, m - kSupportSds * w);
        hi = std::max(hi, m + kSupportSds * w);
        for (double c : {0.0, 1.0, 3.0, 6.0, kSupportSds}) {
            cuts.push_back(m + c * w);
            cuts.push_back(m - c * w);
        }
    }
};
Support support(const Density& a, const Density& b) {
    Support s;
    for (const Density* d : {&a, &b})
        for (size_t k = 0; k < d->mu.size(); ++k) s.add(d->mu[k], d->sd[k]);
    return s;
}

// α-type integrands p1^α p0^{1−α} (χ²: α = 2): for components N(μ1, σ1²) of p1 and
// N(μ0, σ0²) of p0 the product is a Gaussian in x of precision c = α/σ1² + (1 − α)/σ0² centred
// at (α·μ1/σ1² + (1 − α)·μ0/σ0²)/c, which for α > 1 or α < 0 can sit far outside both
// mixtures (χ² between N(−1, 0.8²) and N(2, 1.1²) peaks at x ≈ 54): the support covers every
// pair's product too. The divergence is infinite unless c > 0 for the widest components (the
// tails).
void add_tilted(Support& s, double alpha, const Density& p0, const Density& p1) {
    for (size_t j = 0; j < p1.mu.size(); ++j)
        for (size_t k = 0; k < p0.mu.size(); ++k) {
            const double a1 = alpha / (p1.sd[j] * p1.sd[j]);
            const double a0 = (1 - alpha) / (p0.sd[k] * p0.sd[k]);
            const double c = a1 + a0;
            if (c > 0) s.add((a1 * p1.mu[j] + a0 * p0.mu[k]) / c, 1 / std::sqrt(c));
        }
}
bool alpha_finite(double alpha, const Density& p0, const Density& p1) {
    const double s0 = p0.widest(), s1 = p1.widest();
    return alpha / (s1 * s1) + (1 - alpha) / (s0 * s0) > 0;
}

// An integral beyond double's range (χ² between far-apart narrow modes is e^{10^3}) is
// reported as not finite rather than as inf ± NaN.
Value to_value(const detail::Integral& i) {
    if (!std::isfinite(i.value)) return Value{std::isnan(i.value) ? kInf : i.value, 0, false};
    return Value{i.value, std::isfinite(i.error) ? i.error : kInf, true};
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Mixtures and validation
//-----------------------------------------------------------------------------

void validate(const Mixture& p, const std::string& key) {
    require(!p.empty(), key + " must have at least one component");
    require(p.size() <= 16, key + " may have at most 16 components, not " + show(p.size()));
    for (size_t k = 0; k < p.size(); ++k) {
        const kl::Component& c = p[k];
        const std::string at = key + "[" + std::to_string(k) + "]";
        require(std::isfinite(c.weight) && c.weight > 0,
                at + ".weight must be > 0, not " + show(c.weight));
        require(c.mean.size() == 1 && c.cov.rows() == 1 && c.cov.cols() == 1,
                at + " must be one-dimensional");
        require(std::isfinite(c.mean(0)), at + ".mean must be finite");
        require(std::isfinite(c.cov(0, 0)) && c.cov(0, 0) > 0,
                at + ".std must be > 0, not " + show(std::sqrt(std::max(0.0, c.cov(0, 0)))));
    }
}

kl::Component component(double weight, double mean, double sd) {
    return kl::Component{weight, Vec::Constant(1, mean), Eigen::MatrixXd::Constant(1, 1, sd * sd)};
}

namespace {
void draw(const Density& d, int n, detail::Random& rng, std::vector<double>& out) {
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        size_t k = 0;
        double cum = std::exp(d.log_w[0]);
        while (k + 1 < d.mu.size() && u >= cum) cum += std::exp(d.log_w[++k]);
        const double z = rng.normal();
        out.push_back(d.mu[k] + d.sd[k] * z);
    }
}
}  // namespace

std::vector<double> sample(const Mixture& p, int n, std::uint64_t seed) {
    detail::Random rng(seed);
    std::vector<double> out;
    draw(Density(p), n, rng, out);
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] Densities, D* and the log-ratio on a grid
//-----------------------------------------------------------------------------

double log_density(const Mixture& p, double x) { return Density(p)(x); }
double log_ratio(const Mixture& p0, const Mixture& p1, double x) {
    return Density(p1)(x) - Density(p0)(x);
}
double optimal_d(const Mixture& p0, const Mixture& p1, double x) {
    return sigmoid(log_ratio(p0, p1, x));
}

Curves curves(const Mixture& p0, const Mixture& p1, double lo, double hi, int n) {
    require(n >= 2, "curves need at least 2 points");
    const Density d0(p0), d1(p1);
    Curves c;
    for (int i = 0; i < n; ++i) {
        const double x = lo + (hi - lo) * i / (n - 1);
        const double l0 = d0(x), l1 = d1(x);
        c.x.push_back(x);
        c.p0.push_back(std::exp(l0));
        c.p1.push_back(std::exp(l1));
        c.d_star.push_back(sigmoid(l1 - l0));
        c.log_ratio.push_back(l1 - l0);
    }
    return c;
}

std::pair<double, double> plot_range(const Mixture& p0, const Mixture& p1) {
    double lo = kInf, hi = -kInf;
    for (const Mixture* p : {&p0, &p1})
        for (const kl::Component& c : *p) {
            const double s = std::sqrt(c.cov(0, 0));
            lo = std::min(lo, c.mean(0) - 4 * s);
            hi = std::max(hi, c.mean(0) + 4 * s);
        }
    return {lo, hi};
}

//-----------------------------------------------------------------------------
// [SECTION] f-divergences: the descriptor table
//-----------------------------------------------------------------------------

namespace {

// Conjugates are taken over t ≥ 0 (f's domain), so where f′ does not reach u the supremum
// sits at t = 0: f*(u) = −f(0) there (TV below −½, χ² below −2, α > 1 below −1/(α − 1)).
const std::vector<FDivergence> kTable = {
    {FKind::KL, "kl", "KL(p1‖p0)", "t·log t", "exp(u − 1)", "any u",
     [](double t, double) { return t > 0 ? t * std::log(t) : 0.0; },
     [](double t, double) { return std::log(t) + 1; },
     [](double u, double) { return std::exp(u - 1); },
     [](double) {
         return Domain{-kInf, kInf, false};
     },
     [](double l1, double l0, double) { return std::exp(l1) * (l1 - l0); }},
    {FKind::ReverseKL, "reverse_kl", "KL(p0‖p1)", "−log t", "−1 − log(−u)", "u < 0",
     [](double t, double) { return -std::log(t); }, [](double t, double) { return -1 / t; },
     [](double u, double) { return u < 0 ? -1 - std::log(-u) : kInf; },
     [](double) {
         return Domain{-kInf, 0, false};
     },
     [](double l1, double l0, double) { return std::exp(l0) * (l0 - l1); }},
    {FKind::JS, "js", "JSD(p0, p1)", "½[t·log t − (1 + t)·log((1 + t)/2)]", "−½·log(2 − exp(2u))",
     "u < ½·log 2",
     [](double t, double) {
         return 0.5 * ((t > 0 ? t * std::log(t) : 0.0) - (1 + t) * std::log((1 + t) / 2));
     },
     [](double t, double) { return 0.5 * std::log(2 * t / (1 + t)); },
     [](double u, double) { return u < 0.5 * kLog2 ? -0.5 * std::log(2 - std::exp(2 * u)) : kInf; },
     [](double) {
         return Domain{-kInf, 0.5 * kLog2, false};
     },
     [](double l1, double l0, double) {
         const double lm = log_add(l0, l1);
         return 0.5 * (std::exp(l1) * (kLog2 + l1 - lm) + std::exp(l0) * (kLog2 + l0 - lm));
     }},
    {FKind::Hellinger, "hellinger", "H²(p1, p0)", "(√t − 1)²", "u/(1 − u)", "u < 1",
     [](double t, double) { return (std::sqrt(t) - 1) * (std::sqrt(t) - 1); },
     [](double t, double) { return 1 - 1 / std::sqrt(t); },
     [](double u, double) { return u < 1 ? u / (1 - u) : kInf; },
     [](double) {
         return Domain{-kInf, 1, false};
     },
     [](double l1, double l0, double) {
         const double d = std::exp(0.5 * l1) - std::exp(0.5 * l0);
         return d * d;
     }},
    {FKind::TV, "tv", "TV(p1, p0)", "½·|t − 1|", "max(u, −½)", "u ≤ ½",
     [](double t, double) { return 0.5 * std::abs(t - 1); },
     [](double t, double) { return t > 1 ? 0.5 : (t < 1 ? -0.5 : 0.0); },
     [](double u, double) { return u <= 0.5 ? std::max(u, -0.5) : kInf; },
     [](double) {
         return Domain{-kInf, 0.5, true};
     },
     [](double l1, double l0, double) { return 0.5 * std::abs(std::exp(l1) - std::exp(l0)); }},
    {FKind::Pearson, "pearson", "χ²(p1‖p0)", "(t − 1)²", "u + u²/4 (u ≥ −2), −1 below", "any u",
     [](double t, double) { return (t - 1) * (t - 1); },
     [](double t, double) { return 2 * (t - 1); },
     [](double u, double) { return u >= -2 ? u + 0.25 * u * u : -1.0; },
     [](double) {
         return Domain{-kInf, kInf, false};
     },
     [](double l1, double l0, double) {
         const double r = l1 - l0;  // p0·(t − 1)², t = e^r, without overflowing e^{2r}
         if (r > 30) return std::exp(2 * l1 - l0) * std::pow(-std::expm1(-r), 2);
         return std::exp(l0) * std::pow(std::expm1(r), 2);
     }},
    {FKind::Alpha, "alpha", "D_α(p1‖p0)", "(t^α − α·t − (1 − α))/(α(α − 1))",
     "((1 + (α − 1)u)^(α/(α − 1)) − 1)/α", "α < 1: u < 1/(1 − α); α > 1: any u",
     [](double t, double a) { return (std::pow(t, a) - a * t - (1 - a)) / (a * (a - 1)); },
     [](double t, double a) { return (std::pow(t, a - 1) - 1) / (a - 1); },
     [](double u, double a) {
         const double base = 1 + (a - 1) * u;
         if (base <= 0) return a > 1 ? -1 / a : kInf;
         return (std::pow(base, a / (a - 1)) - 1) / a;
     },
     [](double a) {
         return a < 1 ? Domain{-kInf, 1 / (1 - a), false} : Domain{-kInf, kInf, false};
     },
     [](double l1, double l0, double a) {
         return (std::exp(a * l1 + (1 - a) * l0) - a * std::exp(l1) - (1 - a) * std::exp(l0)) /
                (a * (a - 1));
     }},
};

}  // namespace

const std::vector<FDivergence>& f_divergences() { return kTable; }
const FDivergence& f_divergence(FKind kind) { return kTable[static_cast<size_t>(kind)]; }
const FDivergence* find_f_divergence(const std::string& key) {
    for (const FDivergence& f : kTable)
        if (key == f.key) return &f;
    return nullptr;
}
void validate_alpha(double alpha, const std::string& key) {
    require(std::isfinite(alpha) && std::abs(alpha) <= 10 && alpha != 0 && alpha != 1,
            key +
                " must be finite, in [−10, 10] and neither 0 nor 1 (the limits are reverse KL "
                "and KL), not " +
                show(alpha));
}

//-----------------------------------------------------------------------------
// [SECTION] f-divergences by quadrature, the variational bound and the JSD
//-----------------------------------------------------------------------------

namespace {
// The α of an α-type row (χ² behaves as α = 2 in the tails), or 0 for the rows that are
// finite between any two Gaussian mixtures.
double tail_alpha(const FDivergence& f, double alpha) {
    if (f.kind == FKind::Pearson) return 2;
    if (f.kind == FKind::Alpha) return alpha;
    return 0;
}
}  // namespace

namespace {
// |log p1/p0| beyond which a critic f′(p1/p0) is not formed (e^300 keeps f* of it finite).
constexpr double kCriticLogRatioLimit = 300;
}  // namespace

Value jsd(const Mixture& p0, const Mixture& p1) {
    return divergence(f_divergence(FKind::JS), 0, p0, p1);
}

double critic_from_log_ratio(const FDivergence& f, double alpha, double log_ratio) {
    const double t = f.fprime(
        std::exp(std::clamp(log_ratio, -kCriticLogRatioLimit, kCriticLogRatioLimit)), alpha);
    // f′ approaches an open end of dom f* as t → ∞ (JS: ½·log 2, Hellinger: 1) and rounds onto
    // it for large t; the last double inside keeps f* finite (its term then carries p0 < p1·e^-36).
    const Domain d = f.dom(alpha);
    if (!d.closed && t >= d.hi) return std::nextafter(d.hi, -kInf);
    return t;
}

namespace {

// E_p1[T] − E_p0[f*(T)] by quadrature: node(x, log p0(x), log p1(x), term) gives one node's
// integrand, usually term(l0, l1, T(x)) = p1·T − p0·f*(T). −∞ when T leaves dom f* where p0
// has mass; +∞ when `infinite_rows` and the α-type row itself is infinite (T* only).
template <class Node>
Value bound_integral(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1,
                     bool infinite_rows, Node node) {
    validate(p0, "div.p0");
    validate(p1, "div.p1");
    if (f.kind == FKind::Alpha) validate_alpha(alpha, "div.alpha");
    const Density d0(p0), d1(p1);
    Support s = support(d0, d1);
    if (const double a = tail_alpha(f, alpha); a != 0) {
        if (infinite_rows && !alpha_finite(a, d0, d1)) return Value{kInf, 0, false};
        add_tilted(s, a, d0, d1);
    }
    bool off_domain = false;
    // p1·t − p0·f*(t) at one node.
    const auto variational = [&](double l0, double l1, double t) {
        const double q0 = std::exp(l0), q1 = std::exp(l1), fs = f.conj(t, alpha);
        if (q0 > 0 && !std::isfinite(fs)) off_domain = true;
        if (off_domain) return 0.0;
        return (q1 > 0 ? q1 * t : 0.0) - (q0 > 0 ? q0 * fs : 0.0);
    };
    const auto integrand = [&](double x) { return node(x, d0(x), d1(x), variational); };
    const detail::Integral i = detail::integrate(integrand, s.lo, s.hi, s.cuts);
    if (off_domain) return Value{-kInf, 0, false};
    return to_value(i);
}

}  // namespace

Value bound(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1,
            const std::function<double(double)>& critic) {
    return bound_integral(f, alpha, p0, p1, false, [&](double x, double l0, double l1, auto& term) {
        return term(l0, l1, critic(x));
    });
}

Value bound_optimal(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1) {
    // Where |log p1/p0| > 300, T* = f′(p1/p0) cannot be formed in doubles (critic_from_log_ratio
    // clamps it, which for two far-apart widths cost over a nat): there the Fenchel–Young
    // equality p1·T* − p0·f*(T*) = p0·f(p1/p0) gives the node's integrand from the logs.
    return bound_integral(f, alpha, p0, p1, true, [&](double, double l0, double l1, auto& term) {
        const double ratio = l1 - l0;
        if (std::abs(ratio) > kCriticLogRatioLimit) return f.perspective(l1, l0, alpha);
        return term(l0, l1, critic_from_log_ratio(f, alpha, ratio));
    });
}

Value divergence(const FDivergence& f, double alpha, const Mixture& p0, const Mixture& p1) {
    // ∫ p0 f(p1/p0), node by node from the logs: the bound's quadrature at its supremum.
    return bound_integral(f, alpha, p0, p1, true, [&](double, double l0, double l1, auto&) {
        return f.perspective(l1, l0, alpha);
    });
}

//-----------------------------------------------------------------------------
// [SECTION] Discriminators
//-----------------------------------------------------------------------------

int param_count(DiscKind kind, int hidden) {
    return kind == DiscKind::Logistic ? 3 : 1 + 3 * hidden;
}

namespace {
std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
}  // namespace

Discriminator make_discriminator(DiscKind kind, int hidden, std::uint64_t seed) {
    Discriminator d;
    d.kind = kind;
    d.hidden = kind == DiscKind::Mlp ? hidden : 0;
    require(kind == DiscKind::Logistic || (hidden >= 1 && hidden <= 64),
            "div.hidden must be in 1..64, not " + show(hidden));
    d.theta = Vec::Zero(param_count(kind, d.hidden));
    if (kind == DiscKind::Mlp) {
        detail::Random rng(mix(seed ^ 0x6d6c70ull));
        const int h = d.hidden;
        for (int j = 0; j < h; ++j) {
            const double v = rng.normal();
            d.theta(1 + j) = v / std::sqrt(static_cast<double>(h));
        }
        for (int j = 0; j < h; ++j) d.theta(1 + h + j) = rng.normal();
        for (int j = 0; j < h; ++j) d.theta(1 + 2 * h + j) = rng.normal();
    }
    return d;
}

namespace {
// The logit, its u-slope and (when `grad` is given) its θ-gradient at standardized u.
double evaluate(const Discriminator& d, double u, double* slope, Vec* grad) {
    const Vec& th = d.theta;
    if (d.kind == DiscKind::Logistic) {
        if (slope) *slope = th(1) + 2 * th(2) * u;
        if (grad) {
            grad->resize(3);
            (*grad) << 1, u, u * u;
        }
        return th(0) + th(1) * u + th(2) * u * u;
    }
    const int h = d.hidden;
    double a = th(0), s = 0;
    if (grad) {
        grad->resize(th.size());
        (*grad)(0) = 1;
    }
    for (int j = 0; j < h; ++j) {
        const double v = th(1 + j), w = th(1 + h + j), b = th(1 + 2 * h + j);
        const double act = std::tanh(w * u + b), dact = 1 - act * act;
        a += v * act;
        s += v * dact * w;
        if (grad) {
            (*grad)(1 + j) = act;
            (*grad)(1 + h + j) = v * dact * u;
            (*grad)(1 + 2 * h + j) = v * dact;
        }
    }
    if (slope) *slope = s;
    return a;
}
double standardize(const Discriminator& d, double x) { return (x - d.center) / d.scale; }
}  // namespace

double logit(const Discriminator& d, double x) {
    return evaluate(d, standardize(d, x), nullptr, nullptr);
}
double logit_dx(const Discriminator& d, double x) {
    double slope = 0;
    evaluate(d, standardize(d, x), &slope, nullptr);
    return slope / d.scale;
}
double prob(const Discriminator& d, double x) { return sigmoid(logit(d, x)); }
Vec logit_grad(const Discriminator& d, double x) {
    Vec g;
    evaluate(d, standardize(d, x), nullptr, &g);
    return g;
}

Eigen::Vector3d raw_coefficients(const Discriminator& d) {
    require(d.kind == DiscKind::Logistic, "raw coefficients exist for the logistic only");
    const double m = d.center, s = d.scale, t0 = d.theta(0), t1 = d.theta(1), t2 = d.theta(2);
    return {t0 - t1 * m / s + t2 * m * m / (s * s), t1 / s - 2 * t2 * m / (s * s), t2 / (s * s)};
}

LossGrad bce(const Discriminator& d, const std::vector<double>& x0, const std::vector<double>& x1) {
    LossGrad out{0, Vec::Zero(d.theta.size())};
    Vec g;
    for (double x : x1) {  // label 1: −log D = softplus(−a), ∂/∂a = σ(a) − 1
        const double a = evaluate(d, standardize(d, x), nullptr, &g);
        out.loss += softplus(-a);
        out.grad += (sigmoid(a) - 1) * g;
    }
    for (double x : x0) {  // label 0: −log(1 − D) = softplus(a), ∂/∂a = σ(a)
        const double a = evaluate(d, standardize(d, x), nullptr, &g);
        out.loss += softplus(a);
        out.grad += sigmoid(a) * g;
    }
    const double n = static_cast<double>(x0.size() + x1.size());
    out.loss /= n;
    out.grad /= n;
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] Training
//-----------------------------------------------------------------------------

void validate(const TrainOptions& o) {
    require(o.hidden >= 1 && o.hidden <= 64, "div.hidden must be in 1..64, not " + show(o.hidden));
    require(std::isfinite(o.lr) && o.lr > 0 && o.lr <= 10,
            "div.lr must be in (0, 10], not " + show(o.lr));
    require(o.train_size >= 2 && o.train_size <= 1000000,
            "div.train_size must be in 2..1000000, not " + show(o.train_size));
    require(o.batch >= 1 && o.batch <= 1000000,
            "div.batch must be in 1..1000000, not " + show(o.batch));
    require(std::isfinite(o.decay) && o.decay >= 0, "div.decay must be ≥ 0, not " + show(o.decay));
}

Training start_training(const Mixture& p0, const Mixture& p1, const TrainOptions& o) {
    validate(p0, "div.p0");
    validate(p1, "div.p1");
    validate(o);
    Training run;
    detail::Random rng(o.seed);  // one stream: p0's samples, then p1's
    draw(Density(p0), o.train_size, rng, run.x0);
    draw(Density(p1), o.train_size, rng, run.x1);
    run.disc = make_discriminator(o.kind, o.hidden, o.seed);
    double sum = 0, sq = 0;
    for (const auto* xs : {&run.x0, &run.x1})
        for (double x : *xs) sum += x;
    const double n = 2.0 * o.train_size, mean = sum / n;
    for (const auto* xs : {&run.x0, &run.x1})
        for (double x : *xs) sq += (x - mean) * (x - mean);
    run.disc.center = mean;
    run.disc.scale = std::max(std::sqrt(sq / n), 1e-12);
    run.m = run.v = Vec::Zero(run.disc.theta.size());
    return run;
}

void train_steps(Training& run, const TrainOptions& o, int steps) {
    validate(o);
    const int n = static_cast<int>(run.x0.size());
    require(n == o.train_size && static_cast<int>(run.x1.size()) == n,
            "div.train_size changed: start the training again");
    const int batch = std::min(o.batch, n);  // a batch above the samples takes them all
    const bool full = batch == n;
    std::vector<double> b0(batch), b1(batch);
    for (int s = 0; s < steps; ++s) {
        if (full) {
            b0 = run.x0;
            b1 = run.x1;
        } else {  // the minibatch of step t is a function of (seed, t) alone
            const std::uint64_t key = mix(o.seed) ^ mix(static_cast<std::uint64_t>(run.t) + 1);
            for (int i = 0; i < batch; ++i) {
                b0[i] = run.x0[mix(key + 2 * static_cast<std::uint64_t>(i)) % n];
                b1[i] = run.x1[mix(key + 2 * static_cast<std::uint64_t>(i) + 1) % n];
            }
        }
        const LossGrad lg = bce(run.disc, b0, b1);
        run.losses.push_back(lg.loss);
        ++run.t;
        run.m = 0.9 * run.m + 0.1 * lg.grad;
        run.v = 0.999 * run.v + 0.001 * lg.grad.cwiseProduct(lg.grad);
        const double lr = o.decay > 0 ? o.lr / std::sqrt(1 + run.t / o.decay) : o.lr;
        const double bias1 = 1 - std::pow(0.9, run.t), bias2 = 1 - std::pow(0.999, run.t);
        run.disc.theta.array() -=
            lr * (run.m.array() / bias1) / ((run.v.array() / bias2).sqrt() + 1e-8);
    }
}

Eigen::Vector3d logistic_coefficient_sd(const Mixture& p0, const Mixture& p1, int n) {
    validate(p0, "div.p0");
    validate(p1, "div.p1");
    require(n >= 2, "the sample size must be at least 2");
    const Density d0(p0), d1(p1);
    const Support s = support(d0, d1);
    Eigen::Matrix3d info;
    for (int i = 0; i < 3; ++i)
        for (int j = i; j < 3; ++j) {
            // ½(p0 + p1)·D*(1 − D*) = ½·p0·p1/(p0 + p1), from the logs
            const auto w = [&](double x) {
                const double l0 = d0(x), l1 = d1(x);
                return 0.5 * std::exp(l0 + l1 - log_add(l0, l1)) * std::pow(x, i + j);
            };
            info(i, j) = info(j, i) = detail::integrate(w, s.lo, s.hi, s.cuts, 1e-10).value;
        }
    // 2n observations with D*'s (random-label) Fisher information I; the class counts are fixed
    // (n each), which removes 1/n0 + 1/n1 = 2/n of the intercept's variance (Prentice–Pyke).
    Eigen::Matrix3d cov = info.inverse() / (2.0 * n);
    cov(0, 0) -= 2.0 / n;
    return cov.diagonal().cwiseMax(0.0).cwiseSqrt();
}

//-----------------------------------------------------------------------------
// [SECTION] Estimates from a discriminator
//-----------------------------------------------------------------------------

namespace {
template <class Logit>
Estimate jsd_from_logit(const Logit& a, const Mixture& p0, const Mixture& p1, int n,
                        std::uint64_t seed) {
    validate(p0, "div.p0");
    validate(p1, "div.p1");
    require(n >= 2, "the JSD estimate needs at least 2 samples of each");
    detail::Random rng(seed);
    std::vector<double> x0, x1;
    draw(Density(p0), n, rng, x0);
    draw(Density(p1), n, rng, x1);
    double s1 = 0, q1 = 0, s0 = 0, q0 = 0;
    for (double x : x1) {  // log D = −softplus(−a)
        const double v = -softplus(-a(x));
        s1 += v;
        q1 += v * v;
    }
    for (double x : x0) {  // log(1 − D) = −softplus(a)
        const double v = -softplus(a(x));
        s0 += v;
        q0 += v * v;
    }
    const double m1 = s1 / n, m0 = s0 / n;
    const double var1 = std::max(0.0, (q1 - n * m1 * m1) / (n - 1));
    const double var0 = std::max(0.0, (q0 - n * m0 * m0) / (n - 1));
    return Estimate{kLog2 + 0.5 * (m1 + m0), 0.5 * std::sqrt((var1 + var0) / n)};
}
}  // namespace

Estimate estimate_jsd(const Discriminator& d, const Mixture& p0, const Mixture& p1, int n,
                      std::uint64_t seed) {
    return jsd_from_logit([&](double x) { return logit(d, x); }, p0, p1, n, seed);
}

Estimate estimate_jsd_optimal(const Mixture& p0, const Mixture& p1, int n, std::uint64_t seed) {
    const Density d0(p0), d1(p1);
    return jsd_from_logit([&](double x) { return d1(x) - d0(x); }, p0, p1, n, seed);
}

double density_ratio_estimate(const Discriminator& d, const Mixture& p0, double x) {
    return std::exp(log_density(p0, x) + logit(d, x));
}

//-----------------------------------------------------------------------------
// [SECTION] Generator losses
//-----------------------------------------------------------------------------

double generator_loss(GenLoss loss, double d) {
    return loss == GenLoss::Saturating ? std::log1p(-d) : -std::log(d);
}
double generator_loss_dD(GenLoss loss, double d) {
    return loss == GenLoss::Saturating ? -1 / (1 - d) : -1 / d;
}
double generator_grad_x(const Discriminator& disc, double x, GenLoss loss) {
    double slope = 0;
    const double a = evaluate(disc, standardize(disc, x), &slope, nullptr);
    const double da_dx = slope / disc.scale;
    // dD/dx = D(1 − D)·a′; times −1/(1 − D) or −1/D, with D and 1 − D as σ(±a) (no 0/0)
    return loss == GenLoss::Saturating ? -sigmoid(a) * da_dx : -sigmoid(-a) * da_dx;
}

}  // namespace genlab::div
