// Variational inference on a 1-D latent-variable model: evidence by adaptive Gauss–Kronrod,
// the ELBO by Gauss–Hermite, L_K by the Frullani identity, IWAE and encoder fits by Adam,
// gradient estimators and the 2-D reparameterization. See genlab/vi.hpp.
//
// Usage (more in genlab/vi.hpp):
//   genlab::vi::Model m;                                  // linear, a = 1, σ_x = 0.5
//   double kl = genlab::vi::kl_to_posterior(m, 1.0, {0.0, 1.0});
//
// [SECTION] Random numbers, quadrature rules, Adam
// [SECTION] Model and validation
// [SECTION] Evidence and the exact posterior
// [SECTION] Gaussian q: ELBO, KL and the bound L_K
// [SECTION] Fitting q: ELBO and IWAE
// [SECTION] Amortized inference
// [SECTION] Gradient estimators
// [SECTION] Reparameterization in 2-D
#include "genlab/vi.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <random>

#include "check.hpp"

namespace genlab::vi {

using detail::require;
using detail::show;

//-----------------------------------------------------------------------------
// [SECTION] Random numbers, quadrature rules, Adam
//-----------------------------------------------------------------------------

namespace {

constexpr double kPi = 3.14159265358979323846;
const double kLogSqrt2Pi = 0.5 * std::log(2 * kPi);

// Raw mt19937_64 words, not std:: distributions (whose algorithms the standard leaves to the
// library): the same seed gives the same draws on every platform.
class Random {
  public:
    explicit Random(std::uint64_t seed) : gen_(seed) {}
    double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
    double normal() {  // Box–Muller, one of the pair
        const double u = 1.0 - uniform(), v = uniform();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * kPi * v);
    }

  private:
    std::mt19937_64 gen_;
};

struct Rule {
    std::vector<double> node, weight;
};

// Golub–Welsch: nodes are the eigenvalues of the Jacobi matrix with off-diagonal `beta`,
// weights the squared first components of its eigenvectors (times the weight's total mass).
Rule golub_welsch(int n, double (*beta)(int), double mass) {
    Eigen::MatrixXd J = Eigen::MatrixXd::Zero(n, n);
    for (int k = 1; k < n; ++k) J(k, k - 1) = J(k - 1, k) = beta(k);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(J);
    Rule r;
    for (int i = 0; i < n; ++i) {
        r.node.push_back(es.eigenvalues()(i));
        r.weight.push_back(mass * es.eigenvectors()(0, i) * es.eigenvectors()(0, i));
    }
    return r;
}

double hermite_beta(int k) { return std::sqrt(static_cast<double>(k)); }
double legendre_beta(int k) { return k / std::sqrt(4.0 * k * k - 1.0); }

// 64-point probabilists' Gauss–Hermite: E_{u~N(0,1)}[h(u)] ≈ Σ w_i h(u_i), exact to degree 127.
const Rule& hermite() {
    static const Rule r = golub_welsch(64, hermite_beta, 1.0);
    return r;
}
const Rule& legendre16() {  // on [−1, 1]
    static const Rule r = golub_welsch(16, legendre_beta, 2.0);
    return r;
}

// E_q[h(z)] by Gauss–Hermite in q's standard coordinate.
template <class H>
double expect(const Gaussian& q, H h) {
    const Rule& r = hermite();
    double s = 0;
    for (size_t i = 0; i < r.node.size(); ++i) s += r.weight[i] * h(q.mu + q.sigma * r.node[i]);
    return s;
}

double log_mean_exp(const std::vector<double>& v) {
    const double top = *std::max_element(v.begin(), v.end());
    double s = 0;
    for (double x : v) s += std::exp(x - top);
    return top + std::log(s / v.size());
}

// Adam ascent on a parameter vector (maximizing): the same update for q, IWAE and encoders.
class Adam {
  public:
    Adam(int n, double lr) : m_(Vec::Zero(n)), v_(Vec::Zero(n)), lr_(lr) {}
    void ascend(Vec& theta, const Vec& grad) {
        ++t_;
        m_ = 0.9 * m_ + 0.1 * grad;
        v_ = 0.999 * v_ + 0.001 * grad.cwiseProduct(grad);
        const double c1 = 1 - std::pow(0.9, t_), c2 = 1 - std::pow(0.999, t_);
        theta.array() += lr_ * (m_.array() / c1) / ((v_.array() / c2).sqrt() + 1e-8);
    }

  private:
    Vec m_, v_;
    double lr_;
    int t_ = 0;
};

// log σ stays where exp and the ELBO are finite: a collapsing or exploding q is clamped, not NaN.
void clamp_log_sigma(double& log_sigma) { log_sigma = std::clamp(log_sigma, -12.0, 6.0); }

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Model and validation
//-----------------------------------------------------------------------------

void validate(const Model& m) {
    require(std::isfinite(m.sigma_x) && m.sigma_x > 0,
            "vi.sigma_x must be > 0 (got " + show(m.sigma_x) + ")");
    require(std::isfinite(m.a), "vi.a must be finite (got " + show(m.a) + ")");
    require(std::isfinite(m.b), "vi.b must be finite (got " + show(m.b) + ")");
    require(m.link != Link::Custom || static_cast<bool>(m.f),
            "vi.f must be set for the custom link");
}

double link(const Model& m, double z) {
    switch (m.link) {
        case Link::Linear:
            return m.a * z + m.b;
        case Link::Tanh:
            return std::tanh(m.a * z + m.b);
        case Link::Quadratic:
            return m.a * z * z + m.b;
        case Link::Custom:
            return m.f(z);
    }
    return 0;
}

double link_slope(const Model& m, double z) {
    switch (m.link) {
        case Link::Linear:
            return m.a;
        case Link::Tanh: {
            const double t = std::tanh(m.a * z + m.b);
            return m.a * (1 - t * t);
        }
        case Link::Quadratic:
            return 2 * m.a * z;
        case Link::Custom: {
            if (m.df) return m.df(z);
            // Central difference: h ~ 1e-6 balances truncation (h²) against rounding (ε/h).
            const double h = 1e-6 * std::max(1.0, std::abs(z));
            return (m.f(z + h) - m.f(z - h)) / (2 * h);
        }
    }
    return 0;
}

double log_joint(const Model& m, double x, double z) {
    const double r = (x - link(m, z)) / m.sigma_x;
    return -0.5 * z * z - 0.5 * r * r - std::log(m.sigma_x) - 2 * kLogSqrt2Pi;
}

double log_joint_slope(const Model& m, double x, double z) {
    return -z + (x - link(m, z)) * link_slope(m, z) / (m.sigma_x * m.sigma_x);
}

namespace {

void check_x(double x) { require(std::isfinite(x), "vi.x must be finite (got " + show(x) + ")"); }
void check_k(int k) {
    require(k >= 1 && k <= kMaxK,
            "vi.k must be in [1, " + std::to_string(kMaxK) + "] (got " + std::to_string(k) + ")");
}

}  // namespace

void validate(const Gaussian& q) {
    require(std::isfinite(q.mu), "vi.q_mu must be finite (got " + show(q.mu) + ")");
    require(std::isfinite(q.sigma) && q.sigma > 0,
            "vi.q_sigma must be > 0 (got " + show(q.sigma) + ")");
}

//-----------------------------------------------------------------------------
// [SECTION] Evidence and the exact posterior
//-----------------------------------------------------------------------------

namespace {

constexpr double kSupportNats = 60;  // the range keeps z where p(x, z) > e^{−60}·peak
constexpr int kScanPoints = 8193;

struct Peak {
    double log_max = -std::numeric_limits<double>::infinity();
    double lo = 0, hi = 0;       // the support
    std::vector<double> breaks;  // panel edges around every likelihood peak found
};

// The zero of x − f(z) in [a, b] (a sign change), by bisection to the last bit.
double residual_root(const Model& m, double x, double a, double b) {
    const bool neg_a = x - link(m, a) < 0;
    for (int it = 0; it < 200 && b - a > 1e-15 * (1 + std::abs(a)); ++it) {
        const double mid = 0.5 * (a + b);
        ((x - link(m, mid) < 0) == neg_a ? a : b) = mid;
    }
    return 0.5 * (a + b);
}

// One scan of [−Z, Z]. A posterior mode of width σ_x/|f'| can fall between scan nodes, but
// the likelihood peaks where x − f(z) crosses 0, and a crossing changes the residual's sign
// between nodes however narrow the mode: each is located by bisection and kept as a peak,
// with panel edges at ±1, 4, 16 mode widths so the quadrature starts on it.
Peak scan_once(const Model& m, double x, double zmax) {
    const double h = 2 * zmax / (kScanPoints - 1);
    std::vector<double> zs, gs;  // scan nodes and roots, with log p(x, z)
    double prev_r = 0;
    Peak p;
    for (int i = 0; i < kScanPoints; ++i) {
        const double z = -zmax + i * h, r = x - link(m, z);
        if (i > 0 && (r < 0) != (prev_r < 0)) {
            const double root = residual_root(m, x, z - h, z);
            const double w = m.sigma_x / std::max(std::abs(link_slope(m, root)), 1e-300);
            for (double k : {0.0, 1.0, 4.0, 16.0})
                for (double sgn : {-1.0, 1.0}) p.breaks.push_back(root + sgn * k * w);
            zs.push_back(root);
            gs.push_back(log_joint(m, x, root));
        }
        prev_r = r;
        zs.push_back(z);
        gs.push_back(log_joint(m, x, z));
    }
    p.log_max = *std::max_element(gs.begin(), gs.end());
    require(std::isfinite(p.log_max), "vi.f must give a finite log p(x, z) somewhere on the scan");
    p.lo = zmax;
    p.hi = -zmax;
    for (size_t i = 0; i < zs.size(); ++i)
        if (gs[i] >= p.log_max - kSupportNats) {
            p.lo = std::min(p.lo, std::max(-zmax, zs[i] - h));
            p.hi = std::max(p.hi, std::min(zmax, zs[i] + h));
        }
    return p;
}

// log p(x, z) ≤ c − z²/2 (the likelihood is at most 1/(σ_x√2π)), so once a peak is known,
// |z| > √(2(c − peak + 60)) is provably outside the support: grow Z to that and rescan.
Peak scan_support(const Model& m, double x) {
    const double c = -std::log(m.sigma_x) - 2 * kLogSqrt2Pi;
    double zmax = 12;
    Peak p;
    for (int round = 0; round < 4; ++round) {
        p = scan_once(m, x, zmax);
        const double bound = std::sqrt(2 * std::max(0.0, c - p.log_max + kSupportNats));
        if (bound <= zmax) break;
        zmax = bound;
    }
    return p;
}

// Gauss–Kronrod (7, 15) nodes and weights (QUADPACK's qk15).
constexpr double kXgk[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.0};
constexpr double kWgk[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
constexpr double kWg[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                           0.381830050505118944950369775488975,
                           0.417959183673469387755102040816327};

struct Panel {
    double a, b, value, error;
    bool operator<(const Panel& o) const { return error < o.error; }
};

template <class F>
Panel kronrod(F f, double a, double b) {
    const double c = 0.5 * (a + b), h = 0.5 * (b - a);
    const double fc = f(c);
    double k = kWgk[7] * fc, g = kWg[3] * fc;
    for (int j = 0; j < 7; ++j) {
        const double s = f(c - h * kXgk[j]) + f(c + h * kXgk[j]);
        k += kWgk[j] * s;
        if (j % 2 == 1) g += kWg[j / 2] * s;
    }
    return {a, b, k * h, std::abs((k - g) * h)};
}

// Bisect the worst panel until the summed Kronrod error is below `rel` of the total (or
// `abs_tol`, for integrals that may be 0). The
// start: `start` equal panels over [lo, hi], also cut at every break inside.
template <class F>
Panel adaptive(F f, double lo, double hi, const std::vector<double>& breaks, double rel,
               double abs_tol = 0, int start = 64) {
    std::vector<double> edges;
    for (int i = 0; i <= start; ++i) edges.push_back(lo + (hi - lo) * i / start);
    for (double b : breaks)
        if (b > lo && b < hi) edges.push_back(b);
    std::sort(edges.begin(), edges.end());
    std::priority_queue<Panel> q;
    double value = 0, error = 0;
    const size_t cap = edges.size() + 4000;  // bisections at most
    for (size_t i = 0; i + 1 < edges.size(); ++i) {
        if (!(edges[i + 1] > edges[i])) continue;
        const Panel p = kronrod(f, edges[i], edges[i + 1]);
        value += p.value;
        error += p.error;
        q.push(p);
    }
    while (error > std::max(rel * std::abs(value), abs_tol) && q.size() < cap) {
        const Panel p = q.top();
        q.pop();
        const double mid = 0.5 * (p.a + p.b);
        const Panel l = kronrod(f, p.a, mid), r = kronrod(f, mid, p.b);
        value += l.value + r.value - p.value;
        error += l.error + r.error - p.error;
        q.push(l);
        q.push(r);
    }
    return {lo, hi, value, error};
}

}  // namespace

Evidence log_evidence(const Model& m, double x) {
    validate(m);
    check_x(x);
    const Peak peak = scan_support(m, x);
    const auto f = [&](double z) { return std::exp(log_joint(m, x, z) - peak.log_max); };
    const Panel p = adaptive(f, peak.lo, peak.hi, peak.breaks, 1e-13);
    Evidence e;
    e.value = peak.log_max + std::log(p.value);
    // Outside [lo, hi] the integrand is < e^{−60} of the peak (on the scan, and by the prior
    // bound beyond it): at most that over a few widths of the range, relative to the total.
    const double tail = std::exp(-kSupportNats) * 4 * (peak.hi - peak.lo + 1);
    e.error = (p.error + tail) / p.value;
    e.lo = peak.lo;
    e.hi = peak.hi;
    return e;
}

double log_evidence_linear(const Model& m, double x) {
    validate(m);
    require(m.link == Link::Linear, "vi.link must be linear for the closed-form evidence");
    const double var = m.a * m.a + m.sigma_x * m.sigma_x, r = x - m.b;
    return -0.5 * r * r / var - 0.5 * std::log(var) - kLogSqrt2Pi;
}

PosteriorGrid posterior_grid(const Model& m, double x, double lo, double hi, int n) {
    require(n >= 2 && n <= 100000,
            "vi.grid_points must be in [2, 100000] (got " + std::to_string(n) + ")");
    require(std::isfinite(lo) && std::isfinite(hi) && lo < hi, "vi.grid range needs lo < hi");
    const double log_px = log_evidence(m, x).value;
    PosteriorGrid g;
    for (int i = 0; i < n; ++i) {
        const double z = lo + (hi - lo) * i / (n - 1);
        g.z.push_back(z);
        g.density.push_back(std::exp(log_joint(m, x, z) - log_px));
    }
    return g;
}

Gaussian posterior_linear(const Model& m, double x) {
    validate(m);
    require(m.link == Link::Linear, "vi.link must be linear for the closed-form posterior");
    const double var = m.a * m.a + m.sigma_x * m.sigma_x;
    return {m.a * (x - m.b) / var, m.sigma_x / std::sqrt(var)};
}

//-----------------------------------------------------------------------------
// [SECTION] Gaussian q: ELBO, KL and the bound L_K
//-----------------------------------------------------------------------------

double elbo(const Model& m, double x, const Gaussian& q) {
    validate(m);
    validate(q);
    check_x(x);
    const double e = expect(q, [&](double z) { return log_joint(m, x, z); });
    return e + 0.5 + kLogSqrt2Pi + std::log(q.sigma);  // + H[q] = ½ log(2πe σ²)
}

Vec2 elbo_gradient(const Model& m, double x, const Gaussian& q) {
    validate(m);
    validate(q);
    // z = μ + σu: ∂/∂μ = E[g'(z)], ∂/∂log σ = E[g'(z)·σu] + 1 (the entropy's log σ).
    const Rule& r = hermite();
    Vec2 g = Vec2::Zero();
    for (size_t i = 0; i < r.node.size(); ++i) {
        const double s = log_joint_slope(m, x, q.mu + q.sigma * r.node[i]);
        g += r.weight[i] * Vec2(s, s * q.sigma * r.node[i]);
    }
    g(1) += 1;
    return g;
}

double kl_to_posterior(const Model& m, double x, const Gaussian& q) {
    return log_evidence(m, x).value - elbo(m, x, q);
}

double kl_gaussians(const Gaussian& q, const Gaussian& p) {
    validate(q);
    validate(p);
    const double d = q.mu - p.mu;
    return std::log(p.sigma / q.sigma) + (q.sigma * q.sigma + d * d) / (2 * p.sigma * p.sigma) -
           0.5;
}

namespace {

// log w(z) = log p(x, z) − log q(z) at z = μ + σu.
double log_weight(const Model& m, double x, const Gaussian& q, double u) {
    return log_joint(m, x, q.mu + q.sigma * u) + 0.5 * u * u + std::log(q.sigma) + kLogSqrt2Pi;
}

// q as a discrete distribution of normalized weights w̃ = w / c (c = E[w] ≈ p(x)), on
// composite 16-point Gauss–Legendre in u ∈ [−8.5, 8.5] (mass beyond: 2e-17), sorted by w̃.
// Kept as log w̃: a wide q can put half its mass where w̃ < e^{−745}, which would underflow
// to 0 and make those draws count as log w̃ = −745 instead of, say, −50000.
struct WeightTable {
    std::vector<double> log_w, mass;  // log w̃ ascending, its probability
    std::vector<double> w;    // w̃ itself where log w̃ ≥ −700 (a normal double), else 0
    size_t first_normal = 0;  // the first index with log w̃ ≥ −700
    double log_c = 0, mean_log = 0;
};

WeightTable weight_table(const Model& m, double x, const Gaussian& q, int panels) {
    const Rule& gl = legendre16();
    const double lo = -8.5, h = 17.0 / panels;
    std::vector<std::pair<double, double>> lw;  // (log w, mass)
    double total = 0;
    for (int p = 0; p < panels; ++p)
        for (size_t i = 0; i < gl.node.size(); ++i) {
            const double u = lo + h * (p + 0.5 + 0.5 * gl.node[i]);
            const double mass = 0.5 * h * gl.weight[i] * std::exp(-0.5 * u * u - kLogSqrt2Pi);
            lw.push_back({log_weight(m, x, q, u), mass});
            total += mass;
        }
    std::sort(lw.begin(), lw.end());
    WeightTable t;
    double top = lw.back().first, s = 0;
    for (auto& [l, ms] : lw) s += ms / total * std::exp(l - top);
    t.log_c = top + std::log(s);
    for (auto& [l, ms] : lw) {
        t.log_w.push_back(l - t.log_c);
        t.mass.push_back(ms / total);
        t.mean_log += ms / total * (l - t.log_c);
        t.w.push_back(l - t.log_c >= -700 ? std::exp(l - t.log_c) : 0.0);
    }
    t.first_normal = static_cast<size_t>(std::lower_bound(t.log_w.begin(), t.log_w.end(), -700.0) -
                                         t.log_w.begin());
    return t;
}

// φ(τ) = Σ mass·e^{−τ w̃} at log τ = lt, skipping the terms with τ w̃ > 40 (each < e^{−40}·mass).
// Where τ = e^{lt} and w̃ are both normal doubles, τw̃ is their product (one exp a term, not
// two: this sum is the exact L_K's inner loop); elsewhere e^{lt + log w̃}.
double laplace(const WeightTable& t, double lt) {
    const size_t end = static_cast<size_t>(
        std::upper_bound(t.log_w.begin(), t.log_w.end(), std::log(40.0) - lt) - t.log_w.begin());
    const size_t split = lt <= 700 ? std::min(t.first_normal, end) : end;
    double s = 0;
    for (size_t i = 0; i < split; ++i) s += t.mass[i] * std::exp(-std::exp(lt + t.log_w[i]));
    const double tau = std::exp(lt);
    for (size_t i = split; i < end; ++i) s += t.mass[i] * std::exp(-tau * t.w[i]);
    return s;
}

// E[log S̃_K] = ∫ (e^{−t} − φ(t/K)^K) ds, t = e^s, by adaptive Gauss–Kronrod in s (the
// integrand is smooth on a scale of ~1 in s but its range can span thousands of units when
// q reaches where w̃ is astronomically small: the panels go where it varies). Below
// s_lo = −30 − log w̃_max the integrand is O(t² w̃_max); above s_hi every term has τw̃ > 40,
// except the lowest 1e-14 of the mass, which is dropped (its share of the value is bounded
// in the error by mass·|log w̃_min|). *error: the Kronrod error plus that bound.
double mean_log_average(const WeightTable& t, int k, double* error) {
    size_t low = 0;
    for (double acc = 0; low + 1 < t.log_w.size() && acc + t.mass[low] < 1e-14; ++low)
        acc += t.mass[low];
    const double s_lo = -30 - t.log_w.back(), s_hi = std::log(40.0 * k) - t.log_w[low];
    double dropped = 0;
    for (size_t i = 0; i < low; ++i) dropped += t.mass[i] * std::abs(t.log_w.front());
    const double log_k = std::log(static_cast<double>(k));
    const auto f = [&](double s) {
        return std::exp(-std::exp(s)) - std::pow(laplace(t, s - log_k), k);
    };
    // Start panels where the integrand moves, which long flat stretches would hide from a
    // coarse start: every 4 units up to where e^{−t} and the bulk of w̃ have died out, and at
    // s = log K − log w̃ for every 5% of q's mass (where those draws stop counting).
    std::vector<double> breaks;
    for (double s = s_lo; s < std::min(s_hi, std::log(40.0 * k) + 40); s += 4) breaks.push_back(s);
    double acc = 0, next = 0;
    for (size_t i = 0; i < t.log_w.size(); ++i)
        if ((acc += t.mass[i]) >= next) {
            breaks.push_back(log_k - t.log_w[i]);
            next += 0.05;
        }
    // Past s_cut only draws with log w̃ < −700 still count, and e^{−t} = 0: their terms are
    // steps (1 before s = log K − log w̃, 0 after, within a few units), spread over up to 1e6
    // units of s, which no adaptive rule resolves in time. So that tail is the step function
    // summed exactly, and each step's smoothing (∫ e^{−i e^y} − 1{y<0} dy = −γ − log i) is
    // bounded in the error by (γ + log K)·(the mass still counting at s_cut)^K.
    const double s_cut = std::min(s_hi, std::log(40.0 * k) + 700);
    const Panel p = adaptive(f, s_lo, s_cut, breaks, 1e-10, 1e-10, 16);
    double tail = 0, prev = s_cut, alive = 0;
    const size_t last = std::upper_bound(t.log_w.begin(), t.log_w.end(), log_k - s_cut) -
                        t.log_w.begin();  // nodes [low, last) still count at s_cut
    for (size_t i = low; i < last; ++i) alive += t.mass[i];
    const double alive_at_cut = alive;
    for (size_t i = last; i-- > low;) {  // node i stops counting at s = log K − log w̃_i
        const double s_i = std::min(log_k - t.log_w[i], s_hi);
        if (s_i > prev) tail += (s_i - prev) * std::pow(alive, k);
        prev = std::max(prev, s_i);
        alive -= t.mass[i];
    }
    *error = p.error + dropped + (0.5772156649 + log_k) * std::pow(alive_at_cut, k);
    return p.value - tail;
}

// L_K on one table, and (in *error) the s-integral's own error estimate.
double iw_exact_at(const WeightTable& t, int k, double* error) {
    *error = 0;
    if (k == 1) return t.log_c + t.mean_log;  // L_1 = E[log w] directly
    return t.log_c + mean_log_average(t, k, error);
}

}  // namespace

std::vector<Bound> iw_bound_exact_series(const Model& m, double x, const Gaussian& q,
                                         const std::vector<int>& ks) {
    validate(m);
    validate(q);
    check_x(x);
    for (int k : ks) check_k(k);
    // The tables are the expensive part (one log p(x, z) per node): built once for every K.
    const WeightTable fine = weight_table(m, x, q, 200), coarse = weight_table(m, x, q, 100);
    std::vector<Bound> out;
    for (int k : ks) {
        double err = 0, unused = 0;
        const double v = iw_exact_at(fine, k, &err);
        out.push_back({v, std::abs(v - iw_exact_at(coarse, k, &unused)) + err});
    }
    return out;
}

Bound iw_bound_exact(const Model& m, double x, const Gaussian& q, int k) {
    return iw_bound_exact_series(m, x, q, {k}).front();
}

double iw_bound_delta(const Model& m, double x, const Gaussian& q, int k) {
    validate(m);
    validate(q);
    check_k(k);
    const WeightTable t = weight_table(m, x, q, 200);
    double second = 0;  // E[w̃²]; E[w̃] = 1 by construction
    for (size_t i = 0; i < t.log_w.size(); ++i) second += t.mass[i] * std::exp(2 * t.log_w[i]);
    return log_evidence(m, x).value - (second - 1) / (2.0 * k);
}

McBound iw_bound_mc(const Model& m, double x, const Gaussian& q, int k, const McBudget& budget) {
    validate(m);
    validate(q);
    check_x(x);
    check_k(k);
    require(budget.samples >= 1, "vi.mc_samples must be >= 1");
    require(budget.seeds >= 2, "vi.mc_seeds must be >= 2 (an sd needs two estimates)");
    const int groups = std::max(1, budget.samples / k);
    McBound out;
    std::vector<double> lw(k);
    for (int s = 0; s < budget.seeds; ++s) {
        Random rng(budget.first_seed + s);
        double sum = 0;
        for (int g = 0; g < groups; ++g) {
            for (int j = 0; j < k; ++j) lw[j] = log_weight(m, x, q, rng.normal());
            sum += log_mean_exp(lw);
        }
        out.per_seed.push_back(sum / groups);
    }
    for (double v : out.per_seed) out.mean += v / budget.seeds;
    for (double v : out.per_seed) out.sd += (v - out.mean) * (v - out.mean);
    out.sd = std::sqrt(out.sd / (budget.seeds - 1));
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] Fitting q: ELBO and IWAE
//-----------------------------------------------------------------------------

namespace {

// The sample-average L_K over fixed noise and its gradient in (μ, log σ). On the
// reparameterized path log q(μ + σε) = −ε²/2 − log σ − log√2π, so ∂ log w/∂μ = g'(z) and
// ∂ log w/∂log σ = g'(z)·σε + 1.
double iwae_objective(const Model& m, double x, const Gaussian& q, const Eigen::MatrixXd& eps,
                      Vec2* grad) {
    const int groups = static_cast<int>(eps.rows()), k = static_cast<int>(eps.cols());
    std::vector<double> lw(k);
    double total = 0;
    *grad = Vec2::Zero();
    for (int g = 0; g < groups; ++g) {
        for (int j = 0; j < k; ++j) lw[j] = log_weight(m, x, q, eps(g, j));
        const double lme = log_mean_exp(lw);
        total += lme;
        for (int j = 0; j < k; ++j) {
            const double wbar = std::exp(lw[j] - lme) / k;
            const double s = log_joint_slope(m, x, q.mu + q.sigma * eps(g, j));
            *grad += wbar * Vec2(s, s * q.sigma * eps(g, j) + 1);
        }
    }
    *grad /= groups;
    return total / groups;
}

void check_fit(int steps, double lr) {
    require(steps >= 0 && steps <= 1000000, "vi.fit_steps must be in [0, 1e6]");
    require(std::isfinite(lr) && lr > 0 && lr <= 1,
            "vi.fit_lr must be in (0, 1] (got " + show(lr) + ")");
}

Gaussian from_theta(const Vec& th) { return {th(0), std::exp(th(1))}; }

// Newton on (μ, log σ) with a central-difference Hessian of the exact gradient, accepting a
// step only if the ELBO rises: Adam's constant step leaves jitter of order lr, Newton removes it.
Vec newton_polish(const Model& m, double x, Vec th) {
    for (int it = 0; it < 40; ++it) {
        const Vec2 g = elbo_gradient(m, x, from_theta(th));
        if (g.norm() < 1e-12) break;
        Mat2 hess;
        for (int j = 0; j < 2; ++j) {
            Vec a = th, b = th;
            a(j) += 1e-5;
            b(j) -= 1e-5;
            hess.col(j) =
                (elbo_gradient(m, x, from_theta(a)) - elbo_gradient(m, x, from_theta(b))) / 2e-5;
        }
        if (hess.determinant() <= 0 || hess.trace() >= 0) break;  // not at a maximum's basin
        Vec2 step = -hess.lu().solve(g);
        const double now = elbo(m, x, from_theta(th));
        for (int half = 0; half < 20; ++half, step *= 0.5) {
            Vec cand = th + step;
            if (elbo(m, x, from_theta(cand)) >= now) {
                th = cand;
                break;
            }
        }
    }
    return th;
}

}  // namespace

FitResult fit(const Model& m, double x, const Gaussian& start, const FitOptions& o) {
    validate(m);
    validate(start);
    check_x(x);
    check_k(o.k);
    check_fit(o.steps, o.lr);
    require(o.groups >= 1 && o.groups <= 100000, "vi.fit_groups must be in [1, 100000]");
    Eigen::MatrixXd eps(o.groups, o.k);  // drawn once: a deterministic objective to ascend
    Random rng(o.seed);
    for (int g = 0; g < o.groups; ++g)
        for (int j = 0; j < o.k; ++j) eps(g, j) = rng.normal();
    Vec th = Vec2(start.mu, std::log(start.sigma));
    Adam adam(2, o.lr);
    Vec2 grad;
    for (int s = 0; s < o.steps; ++s) {
        iwae_objective(m, x, from_theta(th), eps, &grad);
        adam.ascend(th, grad);
        clamp_log_sigma(th(1));
    }
    FitResult r;
    r.q = from_theta(th);
    r.objective = iwae_objective(m, x, r.q, eps, &grad);
    return r;
}

Gaussian fit_elbo_exact(const Model& m, double x, const Gaussian& start, int steps, double lr) {
    validate(m);
    validate(start);
    check_fit(steps, lr);
    Vec th = Vec2(start.mu, std::log(start.sigma));
    Adam adam(2, lr);
    for (int s = 0; s < steps; ++s) {
        adam.ascend(th, elbo_gradient(m, x, from_theta(th)));
        clamp_log_sigma(th(1));
    }
    return from_theta(newton_polish(m, x, th));
}

//-----------------------------------------------------------------------------
// [SECTION] Amortized inference
//-----------------------------------------------------------------------------

namespace {

int encoder_size(EncoderKind kind, int hidden) {
    return kind == EncoderKind::Linear ? 4 : 4 * hidden + 2;
}

void check_encoder(const Encoder& e) {
    if (e.kind == EncoderKind::Mlp)
        require(e.hidden >= 1 && e.hidden <= 64,
                "vi.encoder_hidden must be in [1, 64] (got " + std::to_string(e.hidden) + ")");
    require(e.theta.size() == encoder_size(e.kind, e.hidden),
            "vi.encoder parameters have the wrong size for the encoder kind");
}

void check_data(const std::vector<double>& xs) {
    require(!xs.empty() && xs.size() <= 10000, "vi.n must be in [1, 10000]");
    for (double x : xs) check_x(x);
}

// (μ, log σ) at x, and optionally the back-propagation of (∂/∂μ, ∂/∂log σ) into θ.
Vec2 forward(const Encoder& e, double x, const Vec2* upstream, Vec* grad) {
    const Vec& t = e.theta;
    if (e.kind == EncoderKind::Linear) {
        if (upstream)
            *grad +=
                (Vec(4) << (*upstream)(0) * x, (*upstream)(0), (*upstream)(1) * x, (*upstream)(1))
                    .finished();
        return {t(0) * x + t(1), t(2) * x + t(3)};
    }
    const int H = e.hidden;
    const Vec h = (t.segment(0, H) * x + t.segment(H, H)).array().tanh().matrix();
    const Vec2 out(t.segment(2 * H, H).dot(h) + t(4 * H),
                   t.segment(3 * H, H).dot(h) + t(4 * H + 1));
    if (upstream) {
        const double gm = (*upstream)(0), gs = (*upstream)(1);
        const Vec dpre = ((gm * t.segment(2 * H, H) + gs * t.segment(3 * H, H)).array() *
                          (1 - h.array().square()))
                             .matrix();
        grad->segment(0, H) += dpre * x;
        grad->segment(H, H) += dpre;
        grad->segment(2 * H, H) += gm * h;
        grad->segment(3 * H, H) += gs * h;
        (*grad)(4 * H) += gm;
        (*grad)(4 * H + 1) += gs;
    }
    return out;
}

Gaussian to_gaussian(Vec2 out) {
    clamp_log_sigma(out(1));
    return {out(0), std::exp(out(1))};
}

}  // namespace

Encoder make_encoder(EncoderKind kind, int hidden, std::uint64_t seed) {
    Encoder e;
    e.kind = kind;
    e.hidden = hidden;
    if (kind == EncoderKind::Mlp)
        require(hidden >= 1 && hidden <= 64,
                "vi.encoder_hidden must be in [1, 64] (got " + std::to_string(hidden) + ")");
    e.theta = Vec::Zero(encoder_size(kind, hidden));  // linear: q = N(0, 1), the prior
    if (kind == EncoderKind::Mlp) {
        // Input weights and biases of order 1 spread the tanh units over the data's range;
        // small output weights start q near the prior.
        Random rng(seed);
        for (int i = 0; i < 2 * hidden; ++i) e.theta(i) = rng.normal();
        for (int i = 2 * hidden; i < 4 * hidden; ++i) e.theta(i) = 0.1 * rng.normal();
    }
    return e;
}

Gaussian encode(const Encoder& e, double x) {
    check_encoder(e);
    return to_gaussian(forward(e, x, nullptr, nullptr));
}

double total_elbo(const Model& m, const std::vector<double>& xs, const Encoder& e, Vec* grad) {
    validate(m);
    check_encoder(e);
    check_data(xs);
    if (grad) *grad = Vec::Zero(e.theta.size());
    double total = 0;
    for (double x : xs) {
        const Vec2 out = forward(e, x, nullptr, nullptr);
        const Gaussian q = to_gaussian(out);
        total += elbo(m, x, q);
        if (grad) {
            Vec2 up = elbo_gradient(m, x, q);
            double ls = out(1);
            clamp_log_sigma(ls);
            if (ls != out(1)) up(1) = 0;  // clamped: log σ does not move q
            forward(e, x, &up, grad);
        }
    }
    return total;
}

Encoder train_encoder(const Model& m, const std::vector<double>& xs, Encoder e, int steps,
                      double lr) {
    check_fit(steps, lr);
    EncoderTrainer t(std::move(e), lr);
    t.run(m, xs, steps);
    return t.encoder();
}

EncoderTrainer::EncoderTrainer(Encoder start, double lr)
    : e_(std::move(start)), lr_(lr), last_(-std::numeric_limits<double>::infinity()) {
    check_encoder(e_);
    check_fit(0, lr);
    m_ = Vec::Zero(e_.theta.size());
    v_ = Vec::Zero(e_.theta.size());
}

void EncoderTrainer::run(const Model& m, const std::vector<double>& xs, int steps) {
    check_fit(steps, lr_);
    Vec grad;
    for (int s = 0; s < steps; ++s) {
        last_ = total_elbo(m, xs, e_, &grad);
        grad /= static_cast<double>(xs.size());
        // Adam ascent, the same update as the Adam class above, with the moments kept here.
        ++steps_;
        m_ = 0.9 * m_ + 0.1 * grad;
        v_ = 0.999 * v_ + 0.001 * grad.cwiseProduct(grad);
        const double c1 = 1 - std::pow(0.9, steps_), c2 = 1 - std::pow(0.999, steps_);
        e_.theta.array() += lr_ * (m_.array() / c1) / ((v_.array() / c2).sqrt() + 1e-8);
    }
}

AmortizationReport amortization(const Model& m, const std::vector<double>& xs, const Encoder& e) {
    check_data(xs);
    AmortizationReport r;
    for (double x : xs) {
        const Gaussian qe = encode(e, x);
        const Gaussian qo = fit_elbo_exact(m, x, qe);  // q_i*, started from the encoder's q
        const double log_px = log_evidence(m, x).value;
        r.q_encoder.push_back(qe);
        r.q_optimal.push_back(qo);
        r.kl_encoder.push_back(log_px - elbo(m, x, qe));
        r.kl_optimal.push_back(log_px - elbo(m, x, qo));
        r.gap += r.kl_encoder.back() - r.kl_optimal.back();
    }
    return r;
}

std::vector<double> sample_data(const Model& m, int n, std::uint64_t seed) {
    validate(m);
    require(n >= 1 && n <= 10000, "vi.n must be in [1, 10000] (got " + std::to_string(n) + ")");
    Random rng(seed);
    std::vector<double> xs;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        xs.push_back(link(m, z) + m.sigma_x * rng.normal());
    }
    return xs;
}

//-----------------------------------------------------------------------------
// [SECTION] Gradient estimators
//-----------------------------------------------------------------------------

Integrand quadratic(double alpha, double beta, double gamma) {
    return {[=](double z) { return alpha * z * z + beta * z + gamma; },
            [=](double z) { return 2 * alpha * z + beta; }};
}

Integrand log_joint_integrand(const Model& m, double x) {
    validate(m);
    check_x(x);
    // Copies of m: the integrand outlives the caller's model.
    return {[m, x](double z) { return log_joint(m, x, z); },
            [m, x](double z) { return log_joint_slope(m, x, z); }};
}

Vec2 exact_gradient(const Integrand& f, const Gaussian& q) {
    validate(q);
    require(static_cast<bool>(f.f), "vi.estimator_f must be set");
    // With f' the reparameterized form E[f'(z)], E[f'(z)u]; without it the score form, which
    // Gauss–Hermite integrates just as exactly (both are expectations of smooth functions).
    if (f.df)
        return {expect(q, f.df),
                expect(q, [&](double z) { return f.df(z) * (z - q.mu) / q.sigma; })};
    const auto u = [&](double z) { return (z - q.mu) / q.sigma; };
    return {expect(q, [&](double z) { return f.f(z) * u(z) / q.sigma; }),
            expect(q, [&](double z) { return f.f(z) * (u(z) * u(z) - 1) / q.sigma; })};
}

namespace {

// One estimate of (∂/∂μ, ∂/∂σ) E_q[f] from a batch of standard normals.
Vec2 estimate(const Integrand& f, const Gaussian& q, Estimator est, const std::vector<double>& e) {
    const int n = static_cast<int>(e.size());
    std::vector<double> fz(n);
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += fz[i] = f.f(q.mu + q.sigma * e[i]);
    Vec2 g = Vec2::Zero();
    for (int i = 0; i < n; ++i) {
        if (est == Estimator::Reparam) {
            const double d = f.df(q.mu + q.sigma * e[i]);
            g += Vec2(d, d * e[i]);
            continue;
        }
        // Score: f·∇ log q, ∇_μ log q = ε/σ, ∇_σ log q = (ε² − 1)/σ; a baseline b is
        // subtracted from f. The batch mean includes f_i itself, which biases the estimate by
        // the factor (n − 1)/n; leave-one-out does not.
        double b = 0;
        if (est == Estimator::ScoreBatchMean) b = sum / n;
        if (est == Estimator::ScoreLeaveOneOut) b = (sum - fz[i]) / (n - 1);
        g += (fz[i] - b) * Vec2(e[i], e[i] * e[i] - 1) / q.sigma;
    }
    return g / n;
}

}  // namespace

namespace {

// Validates, then calls each(g) for `repeats` estimates from batches of standard normals drawn
// from `seed`: the one loop behind estimator_draws and estimator_stats.
template <class Each>
void for_each_estimate(const Integrand& f, const Gaussian& q, Estimator est, int batch, int repeats,
                       std::uint64_t seed, int min_repeats, Each each) {
    validate(q);
    require(static_cast<bool>(f.f), "vi.estimator_f must be set");
    require(est != Estimator::Reparam || static_cast<bool>(f.df),
            "vi.estimator_f needs a derivative for the reparameterization estimator");
    require(batch >= 1 && batch <= 100000, "vi.batch must be in [1, 100000]");
    require(est != Estimator::ScoreLeaveOneOut || batch >= 2,
            "vi.batch must be >= 2 for the leave-one-out baseline");
    require(repeats >= min_repeats && repeats <= 10000000,
            "vi.repeats must be in [" + std::to_string(min_repeats) + ", 1e7]");
    Random rng(seed);
    std::vector<double> e(batch);
    for (int r = 0; r < repeats; ++r) {
        for (double& v : e) v = rng.normal();
        each(estimate(f, q, est, e));
    }
}

}  // namespace

std::vector<Vec2> estimator_draws(const Integrand& f, const Gaussian& q, Estimator est, int batch,
                                  int repeats, std::uint64_t seed) {
    std::vector<Vec2> out;
    out.reserve(static_cast<size_t>(std::clamp(repeats, 0, 10000000)));
    for_each_estimate(f, q, est, batch, repeats, seed, 1, [&](const Vec2& g) { out.push_back(g); });
    return out;
}

EstimatorStats estimator_stats(const Integrand& f, const Gaussian& q, Estimator est, int batch,
                               int repeats, std::uint64_t seed) {
    Vec2 sum = Vec2::Zero(), sum_sq = Vec2::Zero();
    for_each_estimate(f, q, est, batch, repeats, seed, 2, [&](const Vec2& g) {
        sum += g;
        sum_sq += g.cwiseProduct(g);
    });
    EstimatorStats s;
    s.repeats = repeats;
    s.mean = sum / repeats;
    s.variance = (sum_sq - repeats * s.mean.cwiseProduct(s.mean)) / (repeats - 1);
    return s;
}

Vec2 quadratic_variance(double alpha, double beta, double gamma, const Gaussian& q, Estimator est,
                        int batch, double baseline) {
    validate(q);
    require(batch >= 1, "vi.batch must be >= 1");
    require(est == Estimator::Reparam || est == Estimator::Score,
            "closed-form variances exist for the reparameterization and plain score estimators");
    const double s = q.sigma, slope = 2 * alpha * q.mu + beta;
    if (est == Estimator::Reparam)  // f'(z) = f'(μ) + 2ασε
        return Vec2(4 * alpha * alpha * s * s, slope * slope + 8 * alpha * alpha * s * s) / batch;
    // f(z) − b = c0 + c1 ε + c2 ε², and the Gaussian moments 1, 3, 15, 105 of ε², ε⁴, ε⁶, ε⁸.
    const double c0 = alpha * q.mu * q.mu + beta * q.mu + gamma - baseline, c1 = s * slope,
                 c2 = alpha * s * s;
    const double vmu = c0 * c0 + 2 * c1 * c1 + 15 * c2 * c2 + 6 * c0 * c2;
    const double vsig = 2 * c0 * c0 + 10 * c1 * c1 + 20 * c0 * c2 + 74 * c2 * c2;
    return Vec2(vmu, vsig) / (s * s * batch);
}

//-----------------------------------------------------------------------------
// [SECTION] Reparameterization in 2-D
//-----------------------------------------------------------------------------

namespace {

void check_triangular(const Mat2& s) {
    require(s.allFinite(), "vi.S must be finite");
    require(s(0, 1) == 0, "vi.S must be lower-triangular (S_12 = 0, got " + show(s(0, 1)) + ")");
    require(s(0, 0) != 0 && s(1, 1) != 0, "vi.S must have a nonzero diagonal");
}

}  // namespace

double log_abs_det_triangular(const Mat2& s) {
    check_triangular(s);
    return std::log(std::abs(s(0, 0))) + std::log(std::abs(s(1, 1)));
}

double log_abs_det_lu(const Mat2& s) {
    require(s.allFinite(), "vi.S must be finite");
    const Eigen::PartialPivLU<Mat2> lu(s);
    double sum = 0;
    for (int i = 0; i < 2; ++i) sum += std::log(std::abs(lu.matrixLU()(i, i)));
    return sum;
}

Eigen::MatrixXd reparam_samples(const Vec2& mu, const Mat2& s, int n, std::uint64_t seed) {
    check_triangular(s);
    require(n >= 1 && n <= 1000000, "vi.samples must be in [1, 1e6]");
    Random rng(seed);
    Eigen::MatrixXd out(n, 2);
    for (int i = 0; i < n; ++i) {
        const double z0 = rng.normal(), z1 = rng.normal();
        out.row(i) = (mu + s * Vec2(z0, z1)).transpose();
    }
    return out;
}

double reparam_log_density(const Vec2& mu, const Mat2& s, const Vec2& g) {
    const double logdet = log_abs_det_triangular(s);
    const Vec2 z0 = s.triangularView<Eigen::Lower>().solve(g - mu);  // O(K²) forward substitution
    return -0.5 * z0.squaredNorm() - 2 * kLogSqrt2Pi - logdet;
}

}  // namespace genlab::vi
