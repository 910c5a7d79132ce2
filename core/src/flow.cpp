// 2-D normalizing flows: layers, Jacobians, invertibility, inverses, densities, mass and the
// KL identity. See genlab/flow.hpp.
//
// [SECTION] Helpers: numerics, messages, a monotone 1-D solver, row-parallel loops
// [SECTION] Layers and validation
// [SECTION] One layer: forward, Jacobian, invertibility, inverse
// [SECTION] Stacks: push, density, mass, KL identity
//
// Every public function validates its arguments and then calls an unchecked twin (suffix
// _unchecked): the stack functions check each layer, and its invertibility, once, and then walk
// every grid point through the unchecked code, which neither allocates nor throws.
#include "genlab/flow.hpp"

#include "check.hpp"
#include "flow_unchecked.hpp"
#include "flow_verdict.hpp"
#include "parallel.hpp"
#include "vecmath.hpp"

#include <Eigen/LU>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace genlab::flow {

using detail::require;
using detail::show;

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers: numerics, messages, a monotone 1-D solver, row-parallel loops
//-----------------------------------------------------------------------------

constexpr double kLog2Pi = 1.83787706640934548356;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxSigmoids = 16;
constexpr int kMinGrid = 2, kMaxGrid = 1024;
constexpr double kSimplexTolerance = 1e-9;  // |Σw − 1| allowed for a sigmoidal layer
constexpr double kResidualOk = 1e-9;        // a residual-layer inverse is ok below this
constexpr int kResidualIterations = 200;
constexpr int kNewtonHalvings = 40;  // residual inverse: step halvings per Newton step
constexpr int kSolveIterations = 200;
constexpr int kBracketExpansions = 100;  // sigmoidal inverse: doublings of the search step

// log(1 + eˣ) without overflow (x ≫ 0) or loss of the tail (x ≪ 0).
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// log σ(x) = −softplus(−x): exact in both tails, where σ itself would round to 0 or 1.
double log_sigmoid(double x) { return -softplus(-x); }

double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

// 1 − t² for t = tanh(x), as (1 − t)(1 + t): 1 − |t| is exact (Sterbenz), so this is accurate
// to ~1e-16 absolute, all that I + (…)·(1 − t²) ever needs, and it reuses the tanh the map
// already computed.
double one_minus_sq(double t) { return (1 - t) * (1 + t); }

// "flow.layers[2].alpha", or "flow.layer.alpha" for a lone layer passed to forward() & co.
std::string field(int index, const std::string& name) {
    return (index >= 0 ? "flow.layers[" + std::to_string(index) + "]."
                       : std::string("flow.layer.")) +
           name;
}

// validate() runs for every point push() sees, so the checks are plain comparisons and the
// message is only built on failure.
void check_finite(double v, int index, const char* name) {
    if (!std::isfinite(v))
        require(false, field(index, name) + " must be finite (got " + show(v) + ")");
}

void check_finite(const Vec2& v, int index, const char* name) {
    if (!v.allFinite()) require(false, field(index, name) + " must be finite");
}

void check_finite(const Mat2& m, int index, const char* name) {
    if (!m.allFinite()) require(false, field(index, name) + " must be finite");
}

// The root of g(t) = y for a continuous non-decreasing g with g(lo) ≤ y ≤ g(hi) (a few ulps
// either way are fine: the answer is then an end of the bracket). Newton steps while they stay
// inside the bracket and at least halve the step before last; bisection otherwise, so the
// bracket always shrinks and the solve cannot run away. `eval(t, value, slope)`. Returns
// false when the iteration limit is reached first.
template <typename Eval>
bool solve_monotone(const Eval& eval, double y, double lo, double hi, double& t) {
    t = 0.5 * (lo + hi);
    double step_before = hi - lo, step = step_before;
    for (int it = 0; it < kSolveIterations; ++it) {
        double g = 0, slope = 0;
        eval(t, g, slope);
        const double f = g - y;
        if (f == 0) return true;
        if (f < 0)
            lo = t;
        else
            hi = t;
        double next = t - f / slope;
        const bool newton = slope > 0 && std::isfinite(next) && next > lo && next < hi &&
                            std::abs(2 * f) <= std::abs(step_before * slope);
        if (!newton) next = 0.5 * (lo + hi);
        step_before = step;
        step = next - t;
        t = next;
        const double tol = 1e-13 * std::max(1.0, std::abs(t));
        if (std::abs(step) <= tol || hi - lo <= tol) return true;
    }
    return false;
}

// Runs row(j) for j in [0, n) on the core's pool (parallel.hpp), one row per block. Each
// row's result depends only on j, so the split cannot change any output.
template <typename Row>
void for_rows(int n, const Row& row) {
    parallel::for_blocks(n, row);
}

//-----------------------------------------------------------------------------
// Planar
//-----------------------------------------------------------------------------

// m(x) = −1 + log(1 + eˣ) > −1: the value wᵀû takes under `enforce`.
double planar_m(double x) { return -1.0 + softplus(x); }

// û and c = wᵀû. Under `enforce`, c is m(wᵀu) exactly: recomputing the dot product of the
// corrected û can land a rounding error below −1 (wᵀu = −100 gives −1 − 1e-14) and fail a
// check that holds by construction.
struct PlanarU {
    Vec2 u;
    double c;
};

PlanarU planar_fix(const Layer& l) {
    const double n2 = l.w.squaredNorm(), wu = l.w.dot(l.u);
    // w = 0: the layer is a constant shift û·tanh(b), invertible whatever u is.
    if (!l.enforce || n2 == 0) return {l.u, wu};
    const double m = planar_m(wu);
    return {l.u + ((m - wu) / n2) * l.w, m};  // ‖w‖², not ‖w‖
}

//-----------------------------------------------------------------------------
// Sigmoidal: g(t) = σ⁻¹(Σ_i w_i σ(a_i t + b_i)) on each coordinate
//-----------------------------------------------------------------------------

// A layer's sigmoids in fixed arrays (≤ 16: no allocation per point), and whether they meet the
// invertibility conditions. When they do, g is evaluated in log space with the weights normalized
// to sum 1 exactly:
//   log S = LSE_i(log w_i + log σ(y_i)),  log(1 − S) = LSE_i(log w_i + log σ(−y_i)),
// (1 − S = Σ w_i σ(−y_i) only when Σw = 1), so g = log S − log(1 − S) keeps its digits in both
// tails (|t| in the hundreds) where S rounds to 0 or 1. Broken parameters are evaluated as
// written, logit(Σ w_i σ(y_i)), NaN where that sum leaves (0, 1).
struct Sigmoids {
    int k = 0;
    bool simplex = false;
    double a[kMaxSigmoids], b[kMaxSigmoids], w[kMaxSigmoids], log_w[kMaxSigmoids],
        log_a[kMaxSigmoids];
};

bool sigmoid_params_ok(const Layer& l) {
    double sum = 0;
    for (size_t i = 0; i < l.sig_a.size(); ++i) {
        if (!(l.sig_a[i] > 0) || !(l.sig_w[i] >= 0)) return false;
        sum += l.sig_w[i];
    }
    return std::abs(sum - 1) <= kSimplexTolerance;
}

Sigmoids sigmoids_of(const Layer& l) {
    Sigmoids s;
    s.k = static_cast<int>(l.sig_a.size());
    s.simplex = sigmoid_params_ok(l);
    double sum = 0;
    for (int i = 0; i < s.k; ++i) sum += l.sig_w[i];
    for (int i = 0; i < s.k; ++i) {
        s.a[i] = l.sig_a[i];
        s.b[i] = l.sig_b[i];
        s.w[i] = s.simplex ? l.sig_w[i] / sum : l.sig_w[i];
        s.log_w[i] = s.simplex ? std::log(s.w[i]) : kNaN;  // −inf for w_i = 0: skipped
        s.log_a[i] = s.simplex ? std::log(s.a[i]) : kNaN;
    }
    return s;
}

// log Σ exp(v_i) over the finite v_i (−inf when none).
double log_sum_exp(const double* v, int k) {
    double mx = -kInf;
    for (int i = 0; i < k; ++i) mx = std::max(mx, v[i]);
    if (!(mx > -kInf)) return mx;
    double s = 0;
    for (int i = 0; i < k; ++i) s += std::exp(v[i] - mx);
    return mx + std::log(s);
}

// Broken parameters, as written: g = logit(S), g' = Σ w_i a_i σ_i(1 − σ_i) / (S(1 − S)).
void sigmoidal_raw(const Sigmoids& s, double t, double& g, double& slope) {
    double S = 0, num = 0;
    for (int i = 0; i < s.k; ++i) {
        const double y = s.a[i] * t + s.b[i];
        const double sg = sigmoid(y);
        S += s.w[i] * sg;
        num += s.w[i] * s.a[i] * sg * sigmoid(-y);
    }
    g = std::log(S / (1 - S));
    slope = num / (S * (1 - S));
}

// g(t) and log g'(t) (log |g'| for broken parameters, −inf where g' = 0).
void sigmoidal_eval(const Sigmoids& s, double t, double& g, double& log_slope) {
    if (s.simplex) {
        double ls[kMaxSigmoids], lc[kMaxSigmoids], ld[kMaxSigmoids];
        for (int i = 0; i < s.k; ++i) {
            const double y = s.a[i] * t + s.b[i];
            const double log_s = log_sigmoid(y), log_c = log_sigmoid(-y);
            ls[i] = s.log_w[i] + log_s;
            lc[i] = s.log_w[i] + log_c;
            ld[i] = s.log_w[i] + s.log_a[i] + log_s + log_c;  // log w_i a_i σ_i (1 − σ_i)
        }
        const double log_S = log_sum_exp(ls, s.k), log_C = log_sum_exp(lc, s.k);
        g = log_S - log_C;
        // g' = Σ w_i a_i σ_i(1 − σ_i) / (S(1 − S))
        log_slope = log_sum_exp(ld, s.k) - log_S - log_C;
        return;
    }
    double slope;
    sigmoidal_raw(s, t, g, slope);
    log_slope = std::log(std::abs(slope));
}

double sigmoidal_g(const Sigmoids& s, double t) {
    double g, ls;
    sigmoidal_eval(s, t, g, ls);
    return g;
}

double sigmoidal_slope(const Sigmoids& s, double t) {
    double g, v;
    if (!s.simplex) {
        sigmoidal_raw(s, t, g, v);
        return v;
    }
    sigmoidal_eval(s, t, g, v);
    return std::exp(v);
}

// lim h(t) at t → dir·∞ for h = Σ w_i σ(a_i t + b_i).
double sigmoidal_limit(const Sigmoids& s, int dir) {
    double sum = 0;
    for (int i = 0; i < s.k; ++i)
        sum += s.a[i] == 0 ? s.w[i] * sigmoid(s.b[i]) : (s.a[i] * dir > 0 ? s.w[i] : 0.0);
    return sum;
}

double logit_clamped(double h) {
    h = std::clamp(h, 0.0, 1.0);
    return std::log(h) - std::log1p(-h);
}

enum class SolveStatus { Ok, Failed, Outside };

// t with g(t) = y for a layer proved invertible (g strictly monotone): y outside g's image
// (logit of h's limits; all of R on the simplex) has no pre-image. Otherwise, with G(u) =
// g(dir·u) increasing, expand a bracket from [−1, 1] by doubling steps until it holds y, then
// the safeguarded Newton solve.
SolveStatus sigmoidal_solve(const Sigmoids& s, double y, double& t) {
    if (!std::isfinite(y)) return SolveStatus::Failed;
    int dir = 1;
    if (!s.simplex) {
        const double lo = sigmoidal_limit(s, -1), hi = sigmoidal_limit(s, 1);
        dir = hi >= lo ? 1 : -1;
        const double g_lo = logit_clamped(std::min(lo, hi)), g_hi = logit_clamped(std::max(lo, hi));
        if (!(y > g_lo && y < g_hi)) return SolveStatus::Outside;
    }
    const auto G = [&](double u) { return sigmoidal_g(s, dir * u); };
    double lo = -1, hi = 1, step = 2;
    int n = 0;
    while (G(hi) < y) {
        if (++n > kBracketExpansions) return SolveStatus::Failed;
        lo = hi;
        hi += step;
        step *= 2;
    }
    step = 2;
    while (G(lo) > y) {
        if (++n > kBracketExpansions) return SolveStatus::Failed;
        hi = std::min(hi, lo);
        lo -= step;
        step *= 2;
    }
    auto eval = [&](double x, double& g, double& slope) {
        double ls;
        sigmoidal_eval(s, dir * x, g, ls);
        slope = std::exp(ls);
    };
    double u = 0;
    const bool ok = solve_monotone(eval, y, lo, hi, u);
    t = dir * u;
    return ok ? SolveStatus::Ok : SolveStatus::Failed;
}

//-----------------------------------------------------------------------------
// Coupling: y_k = z_k, y_o = z_o·exp(s(z_k)) + t(z_k)
//-----------------------------------------------------------------------------

constexpr double kCouplingMaxScale = 20;  // |s| ≤ 20: exp(s) ∈ [2e-9, 5e8], finite densities

// The network at the kept coordinate u: s, t and (with `slopes`) ds/du, dt/du.
struct CouplingNet {
    double s = 0, t = 0, ds = 0, dt = 0;
};

CouplingNet coupling_net(const Layer& l, double u, bool slopes) {
    CouplingNet out;
    double r = l.cp_bs, dr = 0;
    out.t = l.cp_bt;
    for (size_t j = 0; j < l.cp_a.size(); ++j) {
        const double h = std::tanh(l.cp_a[j] * u + l.cp_c[j]);
        r += l.cp_vs[j] * h;
        out.t += l.cp_vt[j] * h;
        if (!slopes) continue;
        const double dh = one_minus_sq(h) * l.cp_a[j];
        dr += l.cp_vs[j] * dh;
        out.dt += l.cp_vt[j] * dh;
    }
    const double th = std::tanh(r);
    out.s = l.cp_scale * th;
    out.ds = l.cp_scale * one_minus_sq(th) * dr;
    return out;
}

// Index of the kept and of the transformed coordinate.
int coupling_keep(const Layer& l) { return l.keep_z2 ? 1 : 0; }

//-----------------------------------------------------------------------------
// Layer maps without checks
//-----------------------------------------------------------------------------

Vec2 forward_unchecked(const Layer& l, const Vec2& z) {
    switch (l.type) {
        case Type::Planar:
            return z + planar_fix(l).u * std::tanh(l.w.dot(z) + l.b);
        case Type::Radial: {
            const Vec2 d = z - l.z0;
            return z + (l.beta / (l.alpha + d.norm())) * d;
        }
        case Type::Affine:
            return Vec2(l.mu(0) + l.L(0, 0) * z(0), l.mu(1) + l.L(1, 0) * z(0) + l.L(1, 1) * z(1));
        case Type::Sigmoidal: {
            const Sigmoids s = sigmoids_of(l);
            return Vec2(sigmoidal_g(s, z(0)), sigmoidal_g(s, z(1)));
        }
        case Type::Residual:
            return z + l.s * (l.W * z + l.c).array().tanh().matrix();
        case Type::Relu:
            return Vec2(l.relu_a * std::max(0.0, l.relu_b * z(0) + l.relu_c),
                        l.relu_a * std::max(0.0, l.relu_b * z(1) + l.relu_c));
        case Type::Coupling: {
            const int k = coupling_keep(l), o = 1 - k;
            const CouplingNet n = coupling_net(l, z(k), false);
            Vec2 y;
            y(k) = z(k);
            y(o) = z(o) * std::exp(n.s) + n.t;
            return y;
        }
    }
    return Vec2::Constant(kNaN);
}

Mat2 jacobian_unchecked(const Layer& l, const Vec2& z) {
    switch (l.type) {
        case Type::Planar: {
            // I + û·(1 − tanh²(wᵀz + b))·wᵀ
            const double d = one_minus_sq(std::tanh(l.w.dot(z) + l.b));
            return Mat2::Identity() + planar_fix(l).u * (d * l.w.transpose());
        }
        case Type::Radial: {
            // (1 + βh)I + βh'·(z − z0)(z − z0)ᵀ/r with h = 1/(α + r), h' = −1/(α + r)²; the
            // last term is O(r), so at r = 0 the limit is (1 + β/α)I.
            const Vec2 d = z - l.z0;
            const double r = d.norm(), ar = l.alpha + r;
            Mat2 j = (1 + l.beta / ar) * Mat2::Identity();
            if (r > 0) j -= (l.beta / (ar * ar * r)) * (d * d.transpose());
            return j;
        }
        case Type::Affine: {
            Mat2 j = l.L;
            j(0, 1) = 0;
            return j;
        }
        case Type::Sigmoidal: {
            const Sigmoids s = sigmoids_of(l);
            Mat2 j = Mat2::Zero();
            j(0, 0) = sigmoidal_slope(s, z(0));
            j(1, 1) = sigmoidal_slope(s, z(1));
            return j;
        }
        case Type::Residual: {
            // I + s·diag(1 − tanh²(Wz + c))·W
            const Vec2 a = l.W * z + l.c;
            const Vec2 d(one_minus_sq(std::tanh(a(0))), one_minus_sq(std::tanh(a(1))));
            return Mat2::Identity() + l.s * (d.asDiagonal() * l.W);
        }
        case Type::Relu: {
            Mat2 j = Mat2::Zero();
            for (int i = 0; i < 2; ++i)
                j(i, i) = l.relu_b * z(i) + l.relu_c > 0 ? l.relu_a * l.relu_b : 0.0;
            return j;
        }
        case Type::Coupling: {
            // ∂y_k = (1, 0) in (k, o); ∂y_o/∂z_o = e^s, ∂y_o/∂z_k = z_o·e^s·s' + t'.
            const int k = coupling_keep(l), o = 1 - k;
            const CouplingNet n = coupling_net(l, z(k), true);
            const double e = std::exp(n.s);
            Mat2 j = Mat2::Zero();
            j(k, k) = 1;
            j(o, o) = e;
            j(o, k) = z(o) * e * n.ds + n.dt;
            return j;
        }
    }
    return Mat2::Constant(kNaN);
}

double log_abs(double v) { return std::log(std::abs(v)); }  // −inf at 0

double log_abs_det_unchecked(const Layer& l, const Vec2& z) {
    switch (l.type) {
        case Type::Planar: {
            return log_abs(1 + one_minus_sq(std::tanh(l.w.dot(z) + l.b)) * planar_fix(l).c);
        }
        case Type::Radial: {
            // det = (1 + βh)(1 + βh + βh'r) = (α + r + β)/(α + r) · ((α + r)² + αβ)/(α + r)²
            const double r = (z - l.z0).norm(), ar = l.alpha + r;
            return log_abs((ar + l.beta) / ar) + log_abs((ar * ar + l.alpha * l.beta) / (ar * ar));
        }
        case Type::Affine:
            return log_abs(l.L(0, 0)) + log_abs(l.L(1, 1));
        case Type::Sigmoidal: {
            const Sigmoids s = sigmoids_of(l);
            double g, l0, l1;
            sigmoidal_eval(s, z(0), g, l0);
            sigmoidal_eval(s, z(1), g, l1);
            return l0 + l1;
        }
        case Type::Residual:
            return log_abs(jacobian_unchecked(l, z).determinant());
        case Type::Relu: {
            double sum = 0;
            for (int i = 0; i < 2; ++i)
                sum += l.relu_b * z(i) + l.relu_c > 0 ? log_abs(l.relu_a * l.relu_b) : -kInf;
            return sum;
        }
        case Type::Coupling:
            return coupling_net(l, z(coupling_keep(l)), false).s;
    }
    return kNaN;
}

// The gates use the verdict without its witness search.
Invertibility invertibility_unchecked(const Layer& l) { return exact::verdict(l, false); }

// Forward through one layer, adding log|det J(z)| to *log_det (when given): the planar layer
// shares its tanh and û between the two.
Vec2 step_unchecked(const Layer& l, const Vec2& z, double* log_det) {
    if (!log_det) return forward_unchecked(l, z);
    if (l.type == Type::Planar) {
        const PlanarU p = planar_fix(l);
        const double t = std::tanh(l.w.dot(z) + l.b);
        *log_det += log_abs(1 + one_minus_sq(t) * p.c);
        return z + p.u * t;
    }
    if (l.type == Type::Coupling) {  // one network evaluation for the map and its log-det
        const int k = coupling_keep(l), o = 1 - k;
        const CouplingNet n = coupling_net(l, z(k), false);
        *log_det += n.s;
        Vec2 y = z;
        y(o) = z(o) * std::exp(n.s) + n.t;
        return y;
    }
    *log_det += log_abs_det_unchecked(l, z);
    return forward_unchecked(l, z);
}

struct Solved {
    Vec2 z{kNaN, kNaN};
    bool ok = false;
    double residual = kNaN;  // set by the iterative residual-layer solve only
    double log_det = kNaN;   // log|det J| at z, when asked for
    bool outside = false;    // x is not in the layer's image (p = 0 there)
};

// The pre-image of x under a layer assumed invertible (the caller checked), and with
// `want_log_det` log|det J| there (from the solve's own tanh for a planar layer).
Solved inverse_unchecked(const Layer& l, const Vec2& x, bool want_log_det = false) {
    Solved out;
    if (!x.allFinite()) return out;
    switch (l.type) {
        case Type::Planar: {
            // α = wᵀz solves wᵀx = α + c·tanh(α + b), c = wᵀû ≥ −1: non-decreasing in α, and
            // |c·tanh| ≤ |c| brackets the root in [wᵀx − |c|, wᵀx + |c|]. Then z = x − û·tanh(α +
            // b).
            const PlanarU p = planar_fix(l);
            const double c = p.c, y = l.w.dot(x);
            double alpha = y;
            bool ok = true;
            if (l.w.squaredNorm() > 0 && c != 0) {
                const double pad = std::abs(c) + 1e-12 * (std::abs(c) + std::abs(y));
                auto eval = [&](double a, double& g, double& slope) {
                    const double t = std::tanh(a + l.b);
                    g = a + c * t;
                    slope = 1 + c * one_minus_sq(t);
                };
                ok = solve_monotone(eval, y, y - pad, y + pad, alpha);
            }
            // w = 0: α = 0 = wᵀz whatever z is, and the shift is û·tanh(b).
            if (l.w.squaredNorm() == 0) alpha = 0;
            const double t = std::tanh(alpha + l.b);
            out.z = x - p.u * t;
            out.ok = ok;
            if (want_log_det) out.log_det = log_abs(1 + one_minus_sq(t) * c);
            break;
        }
        case Type::Radial: {
            // Seed 000 Q5.4: with R = ‖x − z0‖ and ρ = ‖z − z0‖, R = ρ(α + ρ + β)/(α + ρ), so
            // ρ² + (α + β − R)ρ − αR = 0: its non-negative root, then z = z0 + (x − z0)·ρ/R.
            const Vec2 d = x - l.z0;
            const double R = d.norm();
            if (R == 0) {  // z0 is fixed; its log|det J| is taken below like any point's
                out.z = l.z0;
                out.ok = true;
                break;
            }
            const double B = l.alpha + l.beta - R;
            const double root = std::hypot(B, 2 * std::sqrt(l.alpha * R));  // √(B² + 4αR)
            // The form without cancellation: (−B + √·)/2 for B ≤ 0, 2αR/(B + √·) for B > 0.
            const double rho = B <= 0 ? 0.5 * (root - B) : 2 * l.alpha * R / (B + root);
            out.z = l.z0 + d * (rho / R);
            out.ok = true;
            break;
        }
        case Type::Affine: {
            // Forward substitution.
            const double z0 = (x(0) - l.mu(0)) / l.L(0, 0);
            out.z = Vec2(z0, (x(1) - l.mu(1) - l.L(1, 0) * z0) / l.L(1, 1));
            out.ok = true;
            break;
        }
        case Type::Sigmoidal: {
            const Sigmoids s = sigmoids_of(l);
            double t0 = kNaN, t1 = kNaN;
            const SolveStatus s0 = sigmoidal_solve(s, x(0), t0), s1 = sigmoidal_solve(s, x(1), t1);
            out.z = Vec2(t0, t1);
            out.ok = s0 == SolveStatus::Ok && s1 == SolveStatus::Ok;
            out.outside = s0 == SolveStatus::Outside || s1 == SolveStatus::Outside;
            break;
        }
        case Type::Residual: {
            // Damped Newton on r(z) = f(z) − x from z = x: the step −J⁻¹r, halved until ‖r‖
            // drops. For a proved layer J is invertible everywhere and ‖r‖² has no
            // stationary point but the root (∇ = 2Jᵀr), and its sublevel sets are bounded
            // (f is the identity plus a bounded term), so this converges whether or not
            // |s|·‖W‖₂ < 1. The fixed-point step z − r is the fallback.
            Vec2 z = x;
            Vec2 r = forward_unchecked(l, z) - x;
            double rn = r.norm();
            const double done = 1e-13 * (1 + x.norm());
            for (int it = 0; it < kResidualIterations && rn > done; ++it) {
                const Mat2 j = jacobian_unchecked(l, z);
                const double det = j.determinant();
                bool moved = false;
                if (det != 0 && std::isfinite(det)) {
                    const Vec2 step = j.inverse() * r;
                    double lambda = 1;
                    for (int h = 0; h < kNewtonHalvings && !moved; ++h, lambda *= 0.5) {
                        const Vec2 zn = z - lambda * step;
                        const Vec2 rn_vec = forward_unchecked(l, zn) - x;
                        const double rnn = rn_vec.norm();
                        if (rnn < rn) {
                            z = zn;
                            r = rn_vec;
                            rn = rnn;
                            moved = true;
                        }
                    }
                }
                if (moved) continue;
                z -= r;
                r = forward_unchecked(l, z) - x;
                rn = r.norm();
            }
            out.z = z;
            out.residual = rn;
            out.ok = rn < kResidualOk;
            break;
        }
        case Type::Relu:
            return out;
        case Type::Coupling: {
            // y_k = z_k, so the network is evaluated at x_k itself: z_o = (x_o − t)·e^−s.
            const int k = coupling_keep(l), o = 1 - k;
            const CouplingNet n = coupling_net(l, x(k), false);
            out.z(k) = x(k);
            out.z(o) = (x(o) - n.t) * std::exp(-n.s);
            out.ok = true;
            if (want_log_det) out.log_det = n.s;
            break;
        }
    }
    out.ok = out.ok && out.z.allFinite();
    if (want_log_det && out.ok && l.type != Type::Planar && l.type != Type::Coupling)
        out.log_det = log_abs_det_unchecked(l, out.z);
    return out;
}

//-----------------------------------------------------------------------------
// Stack helpers
//-----------------------------------------------------------------------------

int resolve_upto(const Stack& s, int upto) {
    const int size = static_cast<int>(s.layers.size());
    if (upto < 0) return size;
    require(upto <= size, "flow upto must be at most the number of layers (got " +
                              std::to_string(upto) + " for " + std::to_string(size) + " layers)");
    return upto;
}

void validate_base(const Stack& s) {
    if (!s.base_mean.allFinite()) require(false, "flow.base_mean must be finite");
    for (int i = 0; i < 2; ++i)
        if (!(std::isfinite(s.base_std(i)) && s.base_std(i) > 0))
            require(false, "flow.base_std[" + std::to_string(i) + "] must be > 0 (got " +
                               show(s.base_std(i)) + ")");
}

void validate_layers(const Stack& s, int upto) {
    for (int k = 0; k < upto; ++k) validate(s.layers[static_cast<size_t>(k)], k);
}

bool invertible_unchecked(const Stack& s, int upto) {
    for (int k = 0; k < upto; ++k)
        if (!invertibility_unchecked(s.layers[static_cast<size_t>(k)]).invertible) return false;
    return true;
}

double base_log_density_unchecked(const Stack& s, const Vec2& z) {
    const double u0 = (z(0) - s.base_mean(0)) / s.base_std(0);
    const double u1 = (z(1) - s.base_mean(1)) / s.base_std(1);
    return -kLog2Pi - std::log(s.base_std(0)) - std::log(s.base_std(1)) - 0.5 * (u0 * u0 + u1 * u1);
}

Vec2 push_unchecked(const Stack& s, Vec2 z, double* log_det, int upto) {
    for (int k = 0; k < upto; ++k) {
        const Layer& l = s.layers[static_cast<size_t>(k)];
        z = step_unchecked(l, z, log_det);
    }
    return z;
}

// push_batch's kernel: a block of kBlock points as structure-of-arrays, every layer applied
// to the whole block. Fixed-size arrays have no scalar tail, so every point takes the same
// packet code (the last block is padded with zeros and its padding dropped).
constexpr int kBlock = 256;
using BlockArray = Eigen::Array<double, kBlock, 1>;

// Determinants are multiplied up over kDetGroup layers and logged once per group: a log per
// layer was half the cost. Each factor of an invertible planar or radial layer is in
// [0, 1 + |c|] or a ratio near 1, so four of them neither overflow nor underflow in practice;
// a zero still gives −inf.
constexpr int kDetGroup = 4;

void push_block(const Stack& s, int upto, BlockArray& x, BlockArray& y, BlockArray* ld) {
    BlockArray det = BlockArray::Ones();
    const auto flush = [&] {
        if (ld) *ld += det.abs().log();
        det.setOnes();
    };
    for (int k = 0; k < upto; ++k) {
        if (k % kDetGroup == 0 && k > 0) flush();
        const Layer& l = s.layers[static_cast<size_t>(k)];
        switch (l.type) {
            case Type::Planar: {
                const PlanarU p = planar_fix(l);
                const BlockArray t = vecmath::tanh(l.w(0) * x + l.w(1) * y + l.b);
                if (ld) det *= 1 + ((1 - t) * (1 + t)) * p.c;
                x += p.u(0) * t;
                y += p.u(1) * t;
                break;
            }
            case Type::Radial: {
                const BlockArray dx = x - l.z0(0), dy = y - l.z0(1);
                const BlockArray ar = l.alpha + (dx * dx + dy * dy).sqrt();
                const BlockArray f = l.beta / ar;
                // det = (1 + β/(α + r))·(1 + αβ/(α + r)²), both factors from f = β/(α + r).
                if (ld) det *= (1 + f) * (1 + l.alpha * (f / ar));
                x += f * dx;
                y += f * dy;
                break;
            }
            case Type::Affine: {
                if (ld) det *= l.L(0, 0) * l.L(1, 1);
                const BlockArray x0 = x;
                x = l.mu(0) + l.L(0, 0) * x0;
                y = l.mu(1) + l.L(1, 0) * x0 + l.L(1, 1) * y;
                break;
            }
            default:  // sigmoidal, residual, relu: point by point (no packet forms)
                for (int i = 0; i < kBlock; ++i) {
                    double d = 0;
                    const Vec2 out = step_unchecked(l, Vec2(x(i), y(i)), ld ? &d : nullptr);
                    x(i) = out(0);
                    y(i) = out(1);
                    if (ld) (*ld)(i) += d;
                }
        }
    }
    flush();
}

Eigen::Matrix2Xd push_batch_unchecked(const Stack& s, const Eigen::Matrix2Xd& z,
                                      Eigen::VectorXd* log_det, int upto) {
    const Eigen::Index n = z.cols();
    Eigen::Matrix2Xd out(2, n);
    if (log_det) log_det->resize(n);
    const int blocks = static_cast<int>((n + kBlock - 1) / kBlock);
    parallel::for_blocks(blocks, [&](int b) {
        const Eigen::Index lo = static_cast<Eigen::Index>(b) * kBlock;
        const int m = static_cast<int>(std::min<Eigen::Index>(kBlock, n - lo));
        BlockArray x = BlockArray::Zero(), y = BlockArray::Zero(), ld = BlockArray::Zero();
        x.head(m) = z.row(0).segment(lo, m).transpose().array();
        y.head(m) = z.row(1).segment(lo, m).transpose().array();
        push_block(s, upto, x, y, log_det ? &ld : nullptr);
        out.row(0).segment(lo, m) = x.head(m).transpose().matrix();
        out.row(1).segment(lo, m) = y.head(m).transpose().matrix();
        if (log_det) log_det->segment(lo, m) = ld.head(m).matrix();
    });
    return out;
}

// From x back to the base through layers upto−1, …, 0 (all proved invertible), summing
// log|det J_k| at each pre-image. False when an inverse fails. x outside a layer's image has
// p = 0 (log −∞, base NaN); det J_k = 0 at a pre-image gives log|det| = −∞, so p = +∞.
// `where` (if given) receives the layer that made the density infinite (−1: none).
bool walk_back(const Stack& s, const Vec2& x, int upto, DensityPoint& out, int* where = nullptr) {
    Vec2 z = x;
    double log_det = 0;
    if (where) *where = -1;
    for (int k = upto - 1; k >= 0; --k) {
        const Layer& l = s.layers[static_cast<size_t>(k)];
        const Solved pre = inverse_unchecked(l, z, /*want_log_det=*/true);
        if (pre.outside) {
            out.base = Vec2::Constant(kNaN);
            out.log_det = kNaN;
            out.log_density = -kInf;
            if (where) *where = k;
            return true;
        }
        if (!pre.ok) return false;
        z = pre.z;
        log_det += pre.log_det;
        if (where && *where < 0 && pre.log_det == -kInf) *where = k;
    }
    out.base = z;
    out.log_det = log_det;
    out.log_density = base_log_density_unchecked(s, z) - log_det;
    return true;
}

double log_density_or_nan(const Stack& s, const Vec2& x, int upto) {
    DensityPoint p;
    return walk_back(s, x, upto, p) ? p.log_density : kNaN;
}

void require_grid(const Vec2& center, double extent, int n) {
    require(center.allFinite(), "flow view center must be finite");
    require(std::isfinite(extent) && extent > 0,
            "flow view extent must be > 0 (got " + show(extent) + ")");
    require(n >= kMinGrid && n <= kMaxGrid, "flow grid n must be in [" + std::to_string(kMinGrid) +
                                                ", " + std::to_string(kMaxGrid) + "] (got " +
                                                std::to_string(n) + ")");
}

Eigen::MatrixXd density_grid_unchecked(const Stack& s, const Vec2& center, double extent, int n,
                                       int upto) {
    Eigen::MatrixXd out = Eigen::MatrixXd::Constant(n, n, kNaN);
    if (!invertible_unchecked(s, upto)) return out;
    // Cell centres written as c − e + (i + ½)·h, the form a caller would use to find them.
    const double h = 2 * extent / n;
    for_rows(n, [&](int j) {
        const double y = center(1) - extent + (j + 0.5) * h;
        for (int i = 0; i < n; ++i)
            out(i, j) = log_density_or_nan(s, Vec2(center(0) - extent + (i + 0.5) * h, y), upto);
    });
    return out;
}

// A box [lo, hi] in the plane.
struct Box {
    Vec2 lo{kInf, kInf}, hi{-kInf, -kInf};
    void add(const Vec2& p) {
        lo = lo.cwiseMin(p);
        hi = hi.cwiseMax(p);
    }
    bool empty() const { return !(lo(0) <= hi(0) && lo(1) <= hi(1)); }
};

// The midpoint-rule sum of f(x, y) over an n×n grid on the box, row sums added in row order
// (deterministic whatever the threads do). NaN anywhere makes the total NaN.
template <typename F>
double integrate_box(const Box& box, int n, const F& f) {
    const double hx = (box.hi(0) - box.lo(0)) / n, hy = (box.hi(1) - box.lo(1)) / n;
    std::vector<double> rows(static_cast<size_t>(n), 0.0);
    for_rows(n, [&](int j) {
        const double y = box.lo(1) + (j + 0.5) * hy;
        double sum = 0;
        for (int i = 0; i < n; ++i) sum += f(Vec2(box.lo(0) + (i + 0.5) * hx, y));
        rows[static_cast<size_t>(j)] = sum;
    });
    double total = 0;
    for (double r : rows) total += r;
    return total * hx * hy;
}

// The target mixture's log density, as kl::log_density computes it (normalized weights, lower
// Cholesky factors, log-sum-exp over the components), with the factors prepared once: per
// point, kl::log_density re-validates the mixture (an LLT per component, and error messages
// built whether or not they are thrown) and allocates, which was ~90% of kl_identity's time.
// The FlowKl tests check it against kl::log_density.
class TargetDensity {
  public:
    explicit TargetDensity(const kl::Mixture& target) : k_(static_cast<int>(target.size())) {
        double total = 0;
        for (const kl::Component& c : target) total += c.weight;
        for (int i = 0; i < k_; ++i) {
            const kl::Component& c = target[static_cast<size_t>(i)];
            m1_[i] = c.mean(0);
            m2_[i] = c.mean(1);
            l11_[i] = std::sqrt(c.cov(0, 0));
            l21_[i] = c.cov(1, 0) / l11_[i];
            l22_[i] = std::sqrt(c.cov(1, 1) - l21_[i] * l21_[i]);
            log_norm_[i] =
                std::log(c.weight / total) - std::log(l11_[i]) - std::log(l22_[i]) - kLog2Pi;
        }
    }
    double operator()(const Vec2& x) const {
        double a[kMaxComponents];
        for (int i = 0; i < k_; ++i) {
            const double u1 = (x(0) - m1_[i]) / l11_[i];
            const double u2 = ((x(1) - m2_[i]) - l21_[i] * u1) / l22_[i];
            a[i] = log_norm_[i] - 0.5 * (u1 * u1 + u2 * u2);
        }
        return log_sum_exp(a, k_);
    }

  private:
    static constexpr int kMaxComponents = 16;  // kl::validate's limit
    int k_;
    double m1_[kMaxComponents], m2_[kMaxComponents], l11_[kMaxComponents], l21_[kMaxComponents],
        l22_[kMaxComponents], log_norm_[kMaxComponents];
};

// p·(log p − log q), 0 where p underflows (whatever q is there).
double kl_term(double log_p, double log_q) {
    const double p = std::exp(log_p);
    if (p == 0) return 0;
    return p * (log_p - log_q);
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Layers and validation
//-----------------------------------------------------------------------------

const char* to_string(Type t) {
    switch (t) {
        case Type::Planar:
            return "planar";
        case Type::Radial:
            return "radial";
        case Type::Affine:
            return "affine";
        case Type::Sigmoidal:
            return "sigmoidal";
        case Type::Residual:
            return "residual";
        case Type::Relu:
            return "relu";
        case Type::Coupling:
            return "coupling";
    }
    return "unknown";
}

Layer Layer::planar(Vec2 w, Vec2 u, double b) {
    Layer l;
    l.type = Type::Planar;
    l.w = w;
    l.u = u;
    l.b = b;
    return l;
}

Layer Layer::radial(Vec2 z0, double alpha, double beta) {
    Layer l;
    l.type = Type::Radial;
    l.z0 = z0;
    l.alpha = alpha;
    l.beta = beta;
    return l;
}

Layer Layer::affine(Vec2 mu, Mat2 L) {
    Layer l;
    l.type = Type::Affine;
    l.mu = mu;
    l.L = L;
    return l;
}

Layer Layer::sigmoidal(std::vector<double> a, std::vector<double> b, std::vector<double> w) {
    Layer l;
    l.type = Type::Sigmoidal;
    l.sig_a = std::move(a);
    l.sig_b = std::move(b);
    l.sig_w = std::move(w);
    return l;
}

Layer Layer::residual(Mat2 W, Vec2 c, double s) {
    Layer l;
    l.type = Type::Residual;
    l.W = W;
    l.c = c;
    l.s = s;
    return l;
}

Layer Layer::relu(double a, double b, double c) {
    Layer l;
    l.type = Type::Relu;
    l.relu_a = a;
    l.relu_b = b;
    l.relu_c = c;
    return l;
}

Layer Layer::coupling(bool keep_z2, std::vector<double> a, std::vector<double> c,
                      std::vector<double> vs, std::vector<double> vt, double bs, double bt,
                      double scale) {
    Layer l;
    l.type = Type::Coupling;
    l.keep_z2 = keep_z2;
    l.cp_a = std::move(a);
    l.cp_c = std::move(c);
    l.cp_vs = std::move(vs);
    l.cp_vt = std::move(vt);
    l.cp_bs = bs;
    l.cp_bt = bt;
    l.cp_scale = scale;
    return l;
}

void validate(const Layer& l, int index) {
    switch (l.type) {
        case Type::Planar:
            check_finite(l.w, index, "w");
            check_finite(l.u, index, "u");
            check_finite(l.b, index, "b");
            return;
        case Type::Radial:
            check_finite(l.z0, index, "z0");
            check_finite(l.alpha, index, "alpha");
            check_finite(l.beta, index, "beta");
            if (!(l.alpha > 0))
                require(false, field(index, "alpha") + " must be > 0 (got " + show(l.alpha) + ")");
            return;
        case Type::Affine:
            check_finite(l.mu, index, "mu");
            check_finite(l.L, index, "L");
            if (l.L(0, 1) != 0)
                require(false, field(index, "L") + " must be lower-triangular (L[0][1] = 0)");
            return;
        case Type::Sigmoidal: {
            const size_t k = l.sig_a.size();
            if (l.sig_b.size() != k || l.sig_w.size() != k)
                require(false, field(index, "sig_a") +
                                   ", sig_b and sig_w must have the same size (got " +
                                   std::to_string(k) + ", " + std::to_string(l.sig_b.size()) +
                                   ", " + std::to_string(l.sig_w.size()) + ")");
            if (k < 1 || k > static_cast<size_t>(kMaxSigmoids))
                require(false, field(index, "sig_a") + " must have 1 to " +
                                   std::to_string(kMaxSigmoids) + " sigmoids (got " +
                                   std::to_string(k) + ")");
            const std::vector<double>* lists[] = {&l.sig_a, &l.sig_b, &l.sig_w};
            const char* names[] = {"sig_a", "sig_b", "sig_w"};
            for (int f = 0; f < 3; ++f)
                for (size_t i = 0; i < k; ++i)
                    if (!std::isfinite((*lists[f])[i]))
                        require(false, field(index, names[f]) + "[" + std::to_string(i) +
                                           "] must be finite (got " + show((*lists[f])[i]) + ")");
            return;
        }
        case Type::Residual:
            check_finite(l.W, index, "W");
            check_finite(l.c, index, "c");
            check_finite(l.s, index, "s");
            return;
        case Type::Relu:
            check_finite(l.relu_a, index, "relu_a");
            check_finite(l.relu_b, index, "relu_b");
            check_finite(l.relu_c, index, "relu_c");
            return;
        case Type::Coupling: {
            // The JSON keys (app/model/flow_layers.cpp): a, c, vs, vt, bs, bt, scale.
            const size_t k = l.cp_a.size();
            if (l.cp_c.size() != k || l.cp_vs.size() != k || l.cp_vt.size() != k)
                require(false, field(index, "a") +
                                   ", c, vs and vt must have the same size, one per hidden unit "
                                   "(got " +
                                   std::to_string(k) + ", " + std::to_string(l.cp_c.size()) + ", " +
                                   std::to_string(l.cp_vs.size()) + ", " +
                                   std::to_string(l.cp_vt.size()) + ")");
            if (k < 1 || k > static_cast<size_t>(kCouplingMaxHidden))
                require(false, field(index, "a") + " must have 1 to " +
                                   std::to_string(kCouplingMaxHidden) + " hidden units (got " +
                                   std::to_string(k) + ")");
            const std::vector<double>* lists[] = {&l.cp_a, &l.cp_c, &l.cp_vs, &l.cp_vt};
            const char* names[] = {"a", "c", "vs", "vt"};
            for (int f = 0; f < 4; ++f)
                for (size_t i = 0; i < k; ++i)
                    if (!std::isfinite((*lists[f])[i]))
                        require(false, field(index, names[f]) + "[" + std::to_string(i) +
                                           "] must be finite (got " + show((*lists[f])[i]) + ")");
            check_finite(l.cp_bs, index, "bs");
            check_finite(l.cp_bt, index, "bt");
            if (!(l.cp_scale >= 0 && l.cp_scale <= kCouplingMaxScale))
                require(false, field(index, "scale") + " must be in [0, " +
                                   show(kCouplingMaxScale) + "] (got " + show(l.cp_scale) +
                                   "): |s| ≤ scale keeps exp(s) finite");
            return;
        }
    }
    require(false, field(index, "type") + " is not a known layer type (got " +
                       std::to_string(static_cast<int>(l.type)) + ")");
}

//-----------------------------------------------------------------------------
// [SECTION] One layer: forward, Jacobian, invertibility, inverse
//-----------------------------------------------------------------------------

Vec2 planar_u(const Layer& layer) {
    validate(layer, -1);
    return planar_fix(layer).u;
}

Vec2 forward(const Layer& layer, const Vec2& z) {
    validate(layer, -1);
    return forward_unchecked(layer, z);
}

Mat2 jacobian(const Layer& layer, const Vec2& z) {
    validate(layer, -1);
    return jacobian_unchecked(layer, z);
}

double log_abs_det(const Layer& layer, const Vec2& z) {
    validate(layer, -1);
    return log_abs_det_unchecked(layer, z);
}

Invertibility invertibility(const Layer& layer) {
    validate(layer, -1);
    return exact::verdict(layer, /*want_witness=*/true);
}

Inverse inverse(const Layer& layer, const Vec2& x) {
    validate(layer, -1);
    if (!invertibility_unchecked(layer).invertible) {
        Inverse out;
        out.z = Vec2::Constant(kNaN);
        out.residual = kNaN;
        return out;
    }
    return unchecked::inverse(layer, x, /*want_residual=*/true);
}

Inverse unchecked::inverse(const Layer& layer, const Vec2& x, bool want_residual) {
    const Solved s = inverse_unchecked(layer, x);
    Inverse out;
    out.z = s.z;
    out.residual = layer.type == Type::Residual ? s.residual
                   : want_residual              ? (forward_unchecked(layer, s.z) - x).norm()
                                                : kNaN;
    out.ok = s.ok;
    return out;
}

bool unchecked::pull_back(const Stack& s, const Vec2& x, int upto, DensityPoint& out) {
    return walk_back(s, x, upto, out);
}

//-----------------------------------------------------------------------------
// [SECTION] Stacks: push, density, mass, KL identity
//-----------------------------------------------------------------------------

double base_log_density(const Stack& s, const Vec2& z) {
    validate_base(s);
    return base_log_density_unchecked(s, z);
}

Vec2 push(const Stack& s, const Vec2& z, double* log_det, int upto) {
    upto = resolve_upto(s, upto);
    validate_layers(s, upto);
    return push_unchecked(s, z, log_det, upto);
}

Eigen::Matrix2Xd push_batch(const Stack& s, const Eigen::Matrix2Xd& z, Eigen::VectorXd* log_det,
                            int upto) {
    upto = resolve_upto(s, upto);
    validate_layers(s, upto);
    return push_batch_unchecked(s, z, log_det, upto);
}

bool invertible(const Stack& s, int upto) {
    upto = resolve_upto(s, upto);
    validate_layers(s, upto);
    return invertible_unchecked(s, upto);
}

std::optional<DensityPoint> log_density(const Stack& s, const Vec2& x, int upto) {
    upto = resolve_upto(s, upto);
    validate_base(s);
    validate_layers(s, upto);
    if (!invertible_unchecked(s, upto)) return std::nullopt;
    DensityPoint p;
    int where = -1;
    if (!walk_back(s, x, upto, p, &where)) return std::nullopt;
    if (where >= 0) {
        const std::string layer = "layer " + std::to_string(where + 1) + " (" +
                                  to_string(s.layers[static_cast<size_t>(where)].type) + ")";
        p.reason =
            p.log_density < 0
                ? "x is outside the image of " + layer + ": p = 0 there (log p = −∞)"
                : "det J = 0 at the pre-image under " + layer + ": p = +∞ there (log p = +∞)";
    }
    return p;
}

Eigen::MatrixXd density_grid(const Stack& s, const Vec2& center, double extent, int n, int upto) {
    upto = resolve_upto(s, upto);
    validate_base(s);
    validate_layers(s, upto);
    require_grid(center, extent, n);
    return density_grid_unchecked(s, center, extent, n, upto);
}

double mass_midpoint(const Stack& s, const Vec2& center, double extent, int n, int upto) {
    upto = resolve_upto(s, upto);
    validate_base(s);
    validate_layers(s, upto);
    require_grid(center, extent, n);
    if (!invertible_unchecked(s, upto)) return kNaN;
    const Eigen::MatrixXd g = density_grid_unchecked(s, center, extent, n, upto);
    const double h = 2 * extent / n;
    // Column by column, in a fixed order: deterministic.
    double total = 0;
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) total += std::exp(g(i, j));
    return total * h * h;
}

KlIdentity kl_identity(const Stack& s, const kl::Mixture& target, int n) {
    const int upto = resolve_upto(s, -1);
    validate_base(s);
    validate_layers(s, upto);
    kl::validate(target, 2);
    const TargetDensity target_density(target);
    require(n >= kMinGrid && n <= kMaxGrid,
            "flow KL grid n must be in [" + std::to_string(kMinGrid) + ", " +
                std::to_string(kMaxGrid) + "] (got " + std::to_string(n) + ")");
    KlIdentity out;
    if (!invertible_unchecked(s, upto)) {
        out.kl_forward = out.kl_base = kNaN;
        return out;
    }

    // x side: each component's mean ± 6σ, their union.
    Box xbox;
    for (const kl::Component& c : target) {
        const Vec2 m(c.mean(0), c.mean(1));
        const Vec2 sd(std::sqrt(c.cov(0, 0)), std::sqrt(c.cov(1, 1)));
        xbox.add(m - 6 * sd);
        xbox.add(m + 6 * sd);
    }
    out.kl_forward = integrate_box(xbox, n, [&](const Vec2& x) {
        return kl_term(target_density(x), log_density_or_nan(s, x, upto));
    });

    // z side: F⁻¹ maps the boundary of the x box onto the boundary of its pre-image (F is a
    // homeomorphism of the plane), so the pre-images of boundary points, of each mean and of
    // its ±6σ points along the axes bound where the pulled-back target lives.
    Box zbox;
    auto add_pre_image = [&](const Vec2& x) {
        DensityPoint p;
        if (walk_back(s, x, upto, p) && p.base.allFinite()) zbox.add(p.base);
    };
    constexpr int kEdgePoints = 64;
    for (int e = 0; e <= kEdgePoints; ++e) {
        const double t = static_cast<double>(e) / kEdgePoints;
        const double x = xbox.lo(0) + t * (xbox.hi(0) - xbox.lo(0));
        const double y = xbox.lo(1) + t * (xbox.hi(1) - xbox.lo(1));
        add_pre_image(Vec2(x, xbox.lo(1)));
        add_pre_image(Vec2(x, xbox.hi(1)));
        add_pre_image(Vec2(xbox.lo(0), y));
        add_pre_image(Vec2(xbox.hi(0), y));
    }
    for (const kl::Component& c : target) {
        const Vec2 m(c.mean(0), c.mean(1));
        const Vec2 sd(std::sqrt(c.cov(0, 0)), std::sqrt(c.cov(1, 1)));
        add_pre_image(m);
        for (int sign = -1; sign <= 1; sign += 2) {
            add_pre_image(m + Vec2(sign * 6 * sd(0), 0));
            add_pre_image(m + Vec2(0, sign * 6 * sd(1)));
        }
    }
    if (zbox.empty()) {
        zbox = Box();
        zbox.add(s.base_mean - 8 * s.base_std);
        zbox.add(s.base_mean + 8 * s.base_std);
    } else {
        // A 2% margin, and never a degenerate box.
        const Vec2 pad = (0.02 * (zbox.hi - zbox.lo)).cwiseMax(Vec2::Constant(1e-6));
        zbox.lo -= pad;
        zbox.hi += pad;
    }
    out.kl_base = integrate_box(zbox, n, [&](const Vec2& z) {
        double log_det = 0;
        const Vec2 x = push_unchecked(s, z, &log_det, upto);
        // q(z) = p_X(F(z))·|det J_F(z)|
        const double log_q = target_density(x) + log_det;
        return kl_term(log_q, base_log_density_unchecked(s, z));
    });
    return out;
}

}  // namespace genlab::flow
