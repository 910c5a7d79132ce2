// Exact invertibility verdicts (issue 12): proved, disproved with a witness, or not proved.
// See genlab/flow.hpp (Invertibility) for the conditions and flow_verdict.hpp for the entry.
//
// [SECTION] Helpers: numbers in reasons, σ', a sign certificate for Σ k_i σ'(a_i t + b_i)
// [SECTION] Witness search
// [SECTION] Verdicts per layer type
#include "flow_verdict.hpp"

#include "check.hpp"

#include <Eigen/LU>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <iomanip>
#include <limits>
#include <sstream>
#include <vector>

namespace genlab::flow::exact {

using genlab::detail::num;
using genlab::detail::num_beside;

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers: numbers in reasons, σ', a sign certificate for Σ k_i σ'(a_i t + b_i)
//-----------------------------------------------------------------------------

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kBranchBudget = 20000;    // intervals the branch and bound may visit
constexpr double kRelativeTol = 1e-12;  // a bound counts as > 0 above this × the term sizes
constexpr double kDomainTol = 1e-12;    // h's limits may overshoot [0, 1] by rounding

std::string pt(const Vec2& z) { return "(" + num(z(0)) + ", " + num(z(1)) + ")"; }

// σ'(y) = σ(y)(1 − σ(y)) = e^−|y| / (1 + e^−|y|)²: even, unimodal, peak ¼ at 0.
double sigma_prime(double y) {
    const double e = std::exp(-std::abs(y));
    return e / ((1 + e) * (1 + e));
}

double log_sigma_prime(double y) { return -std::abs(y) - 2 * std::log1p(std::exp(-std::abs(y))); }

double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

// φ(t) = c0 + Σ_i k_i σ'(a_i t + b_i).
struct Term {
    double k, a, b;
};

struct Phi {
    double c0 = 0;
    std::vector<Term> terms;
    double operator()(double t) const {
        double v = c0;
        for (const Term& m : terms) v += m.k * sigma_prime(m.a * t + m.b);
        return v;
    }
    // sign(φ(t)) survives underflow: every term scaled by e^shift in log space.
    double scaled(double t, double shift) const {
        double v = c0 == 0 ? 0 : c0 * std::exp(shift);
        for (const Term& m : terms)
            if (m.k != 0) v += m.k * std::exp(log_sigma_prime(m.a * t + m.b) + shift);
        return v;
    }
    Phi flipped() const {  // φ(−t)
        Phi p = *this;
        for (Term& m : p.terms) m.a = -m.a;
        return p;
    }
};

// Constant terms (a = 0) folded into c0; σ' is even, so each term is written with a > 0 and
// equal (a, b) merged (h′ of σ(t)/2 + σ(−t)/2 is exactly 0, not two terms that cancel).
Phi normalized(Phi p) {
    std::vector<Term> kept;
    for (Term m : p.terms) {
        if (m.k == 0) continue;
        if (m.a == 0) {
            p.c0 += m.k * sigma_prime(m.b);
            continue;
        }
        if (m.a < 0) m = {m.k, -m.a, -m.b};
        auto same = std::find_if(kept.begin(), kept.end(),
                                 [&](const Term& o) { return o.a == m.a && o.b == m.b; });
        if (same == kept.end())
            kept.push_back(m);
        else
            same->k += m.k;
    }
    p.terms.clear();
    for (const Term& m : kept)
        if (m.k != 0) p.terms.push_back(m);
    return p;
}

struct SignResult {
    Verdict verdict = Verdict::NotProved;
    double negative_at = kNaN;  // Disproved: φ < 0 here
    double positive_at = kNaN;  // a point seen with φ > 0 (NaN if none)
    std::string why;            // NotProved: what ran out
};

// Is φ(t) > 0 for t ≥ T? (φ normalized). Returns Proved with T set, Disproved with a point
// where φ < 0, or NotProved. Every σ' term decays like e^{−|a_i| t}, so:
//  c0 > 0: T where Σ|k_i|σ'(a_i T + b_i) < c0 (σ' falls as |y| grows beyond T);
//  c0 < 0: φ → c0, negative far out;
//  c0 = 0: the terms of the slowest rate r* dominate. With |y_i| = r_i t + s_i b_i ≥ 0 and
//   σ'(y) = e^−|y|(1 + ε), ε ∈ [−2e^−|y|, 0], e^{r* t − M}φ(t) = C + E(t) with
//   C = Σ_{r_i = r*} sgn(k_i) e^{A_i − M}, A_i = log|k_i| − s_i b_i, and
//   |E(t)| ≤ Σ_{r_i = r*} e^{A_i − M}·2e^−|y_i(t)| + Σ_{r_i > r*} e^{A_i − M − (r_i − r*)t},
//   decreasing in t: |E(T)| < |C| fixes the sign of φ on [T, ∞) to C's.
SignResult tail(const Phi& p, double& T) {
    SignResult out;
    double t0 = 1;
    for (const Term& m : p.terms) t0 = std::max(t0, 1 - (m.a > 0 ? m.b : -m.b) / std::abs(m.a));
    if (p.terms.empty()) {
        out.verdict = p.c0 > 0 ? Verdict::Proved : Verdict::Disproved;
        T = t0;
        if (p.c0 > 0)
            out.positive_at = t0;
        else
            out.negative_at = t0;
        return out;
    }
    double r_star = std::numeric_limits<double>::infinity();
    for (const Term& m : p.terms) r_star = std::min(r_star, std::abs(m.a));
    double M = -std::numeric_limits<double>::infinity();
    auto A = [](const Term& m) { return std::log(std::abs(m.k)) - (m.a > 0 ? m.b : -m.b); };
    for (const Term& m : p.terms)
        if (std::abs(m.a) == r_star) M = std::max(M, A(m));
    double C = 0, C_size = 0;
    for (const Term& m : p.terms)
        if (std::abs(m.a) == r_star) {
            const double e = std::exp(A(m) - M);
            C += (m.k > 0 ? e : -e);
            C_size += e;
        }
    for (T = t0; T < 1e7; T *= 2) {
        if (p.c0 > 0) {
            double sum = 0;
            for (const Term& m : p.terms) sum += std::abs(m.k) * sigma_prime(m.a * T + m.b);
            if (sum < 0.5 * p.c0) {
                out.verdict = Verdict::Proved;
                out.positive_at = T;
                return out;
            }
            continue;
        }
        if (p.c0 < 0) {
            if (p(T) < 0) {
                out.verdict = Verdict::Disproved;
                out.negative_at = T;
                return out;
            }
            continue;
        }
        if (std::abs(C) <= kRelativeTol * C_size) {
            out.why = "the slowest terms cancel at infinity";
            return out;
        }
        double E = 0;
        for (const Term& m : p.terms) {
            const double ay = std::abs(m.a * T + m.b);
            if (std::abs(m.a) == r_star)
                E += std::exp(A(m) - M) * 2 * std::exp(-ay);
            else
                E += std::exp(A(m) - M - (std::abs(m.a) - r_star) * T);
        }
        if (E < 0.5 * std::abs(C)) {
            out.verdict = C > 0 ? Verdict::Proved : Verdict::Disproved;
            (C > 0 ? out.positive_at : out.negative_at) = T;
            return out;
        }
    }
    out.why = "no tail bound below t = 1e7";
    return out;
}

// φ > 0 on R (Proved), φ < 0 somewhere (Disproved, with the point), or NotProved. Tails by
// tail(), then a branch and bound on [−T₋, T₊]: on an interval each σ' term has its exact
// range (σ' is unimodal with its peak at 0), so Σ of the lower ends > 0 proves the interval;
// a midpoint with φ < 0 disproves; otherwise split. An isolated zero of φ (a tangency) cannot
// be proved this way and ends as NotProved when the budget runs out.
SignResult positive_on_line(Phi p) {
    p = normalized(p);
    SignResult out;
    if (p.terms.empty() && p.c0 == 0) {
        out.why = "it is identically 0";
        return out;
    }
    double t_hi = 0, t_lo = 0;
    const SignResult right = tail(p, t_hi);
    SignResult left = tail(p.flipped(), t_lo);
    if (!std::isnan(left.negative_at)) left.negative_at = -left.negative_at;
    if (!std::isnan(left.positive_at)) left.positive_at = -left.positive_at;
    out.positive_at = !std::isnan(right.positive_at) ? right.positive_at : left.positive_at;
    for (const SignResult* side : std::initializer_list<const SignResult*>{&right, &left}) {
        if (side->verdict == Verdict::Disproved) {
            out.verdict = Verdict::Disproved;
            out.negative_at = side->negative_at;
            return out;
        }
    }
    const bool tails_ok = right.verdict == Verdict::Proved && left.verdict == Verdict::Proved;
    std::vector<std::pair<double, double>> stack{{-t_lo, t_hi}};
    int visited = 0;
    while (!stack.empty()) {
        if (++visited > kBranchBudget) {
            out.why = "the interval search ran out of its budget of " +
                      std::to_string(kBranchBudget) + " intervals (it may touch 0)";
            return out;
        }
        const auto [lo, hi] = stack.back();
        stack.pop_back();
        double lower = p.c0, size = std::abs(p.c0);
        for (const Term& m : p.terms) {
            const double y1 = m.a * lo + m.b, y2 = m.a * hi + m.b;
            const double ylo = std::min(y1, y2), yhi = std::max(y1, y2);
            const double top = sigma_prime(std::clamp(0.0, ylo, yhi));
            const double bottom = std::min(sigma_prime(ylo), sigma_prime(yhi));
            lower += m.k > 0 ? m.k * bottom : m.k * top;
            size += std::abs(m.k) * top;
        }
        if (lower > kRelativeTol * size) continue;
        const double mid = 0.5 * (lo + hi), v = p(mid);
        if (v > kRelativeTol * size && std::isnan(out.positive_at)) out.positive_at = mid;
        if (v < -kRelativeTol * size) {
            out.verdict = Verdict::Disproved;
            out.negative_at = mid;
            return out;
        }
        if (hi - lo <= 1e-12 * (1 + std::abs(mid))) {
            out.why = "it reaches 0 near t = " + num(mid) +
                      " and the interval bound cannot tell whether it changes sign there";
            return out;
        }
        stack.push_back({lo, mid});
        stack.push_back({mid, hi});
    }
    if (!tails_ok) {
        out.why = !right.why.empty() ? right.why : left.why;
        return out;
    }
    out.verdict = Verdict::Proved;
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] Witness search
//-----------------------------------------------------------------------------

// t1 ≠ t2 with h(t1) = h(t2) for a continuous h with h'(p) > 0 > h'(q): bisect h' to the
// extremum m between them, then find the level h(m ± δ) on the other side. False if the
// result does not check out (h equal to 1e-12, t1, t2 apart).
template <typename H, typename D>
bool collision_1d(const H& h, const D& dh, double p, double q, double& t1, double& t2) {
    double lo = p, hi = q;  // dh(lo) > 0 > dh(hi)
    for (int it = 0; it < 200; ++it) {
        const double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi) break;
        (dh(mid) > 0 ? lo : hi) = mid;
    }
    const double m = 0.5 * (lo + hi);
    const bool is_max = p < q;  // rising then falling
    const double sign = is_max ? 1 : -1;
    for (double delta = 0.5 * std::abs(q - p); delta > 1e-7 * (1 + std::abs(m)); delta *= 0.5) {
        const double hl = h(m - delta), hr = h(m + delta), hm = h(m);
        if (!(sign * (hm - hl) > 0 && sign * (hm - hr) > 0)) continue;
        // The level of the side nearer h(m); solve for it on the other side.
        const bool left_level = sign * (hl - hr) > 0;
        const double level = left_level ? hl : hr;
        double a = m, b = left_level ? m + delta : m - delta;  // sign(h − level): + at a
        for (int it = 0; it < 200; ++it) {
            const double mid = 0.5 * (a + b);
            if (mid == a || mid == b) break;
            (sign * (h(mid) - level) > 0 ? a : b) = mid;
        }
        t1 = left_level ? m - delta : m + delta;
        t2 = 0.5 * (a + b);
        if (std::abs(h(t1) - h(t2)) <= 1e-12 && std::abs(t1 - t2) > 1e-9) return true;
    }
    return false;
}

// Newton with backtracking on ‖f(z) − x‖ from `start`; true when it lands on a root.
bool newton_root(const Layer& l, const Vec2& x, Vec2 z, Vec2& root) {
    Vec2 r = forward(l, z) - x;
    for (int it = 0; it < 100; ++it) {
        const double rn = r.norm();
        if (rn < 1e-12 * (1 + x.norm())) {
            root = z;
            return true;
        }
        const Mat2 j = jacobian(l, z);
        if (!(std::abs(j.determinant()) > 0)) return false;
        const Vec2 step = j.inverse() * r;
        double lambda = 1;
        bool moved = false;
        for (int h = 0; h < 40; ++h, lambda *= 0.5) {
            const Vec2 zn = z - lambda * step;
            const Vec2 rn2 = forward(l, zn) - x;
            if (rn2.norm() < rn) {
                z = zn;
                r = rn2;
                moved = true;
                break;
            }
        }
        if (!moved) return false;
    }
    return false;
}

// A point with det J < 0 of a residual layer: a second pre-image of its image by Newton from
// a grid of starts (degree theory says at least two more exist when x is a regular value).
Witness residual_witness(const Layer& l, const Vec2& z_neg) {
    Witness w;
    w.kind = Witness::Kind::NegativeDet;
    w.z1 = z_neg;
    const double det = jacobian(l, z_neg).determinant();
    const Vec2 x = forward(l, z_neg);
    w.text = "det J" + pt(z_neg) + " = " + num(det) + " < 0 while det J → 1 at infinity";
    const double R = 2 * (1 + std::abs(l.s));
    for (int i = 0; i <= 8; ++i)
        for (int j = 0; j <= 8; ++j) {
            const Vec2 start = z_neg + Vec2(-R + R * i / 4, -R + R * j / 4);
            Vec2 root;
            if (newton_root(l, x, start, root) && (root - z_neg).norm() > 1e-6) {
                w.kind = Witness::Kind::Collision;
                w.z2 = root;
                w.text = "f" + pt(z_neg) + " = f" + pt(root) + " = " + pt(x) +
                         " (det J = " + num(det) + " < 0 at the first)";
                return w;
            }
        }
    return w;
}

Witness collision(const Layer& l, const Vec2& z1, const Vec2& z2) {
    Witness w;
    w.kind = Witness::Kind::Collision;
    w.z1 = z1;
    w.z2 = z2;
    w.text = "f" + pt(z1) + " = f" + pt(z2) + " = " + pt(forward(l, z1));
    return w;
}

//-----------------------------------------------------------------------------
// [SECTION] Verdicts per layer type
//-----------------------------------------------------------------------------

Invertibility proved(std::string reason) {
    Invertibility out;
    out.reason = std::move(reason);
    return out;
}

Invertibility disproved(std::string reason, Witness w = {}) {
    Invertibility out;
    out.verdict = Verdict::Disproved;
    out.invertible = false;
    out.reason = std::move(reason);
    out.witness = std::move(w);
    return out;
}

Invertibility not_proved(std::string reason) {
    Invertibility out;
    out.verdict = Verdict::NotProved;
    out.invertible = false;
    out.reason = std::move(reason);
    return out;
}

// c = wᵀû as flow.cpp computes it (planar_u() and the dot product; under enforce, m(wᵀu)).
double planar_c(const Layer& l) {
    const double n2 = l.w.squaredNorm(), wu = l.w.dot(l.u);
    if (!l.enforce || n2 == 0) return wu;
    return -1.0 + (wu > 0 ? wu + std::log1p(std::exp(-wu)) : std::log1p(std::exp(wu)));
}

Invertibility planar(const Layer& l, bool want_witness) {
    const double c = planar_c(l);
    const std::string name = l.enforce ? "wᵀû = " : "wᵀu = ";
    if (!(c < -1))
        return proved(name + num_beside(c, -1) + " ≥ -1: det J = 1 + (1 − tanh²)·" +
                      (l.enforce ? "wᵀû" : "wᵀu") + " ≥ 0");
    Witness w;
    if (want_witness) {
        // φ(α) = α + c·tanh(α + b) along α = wᵀz has φ'(−b) = 1 + c < 0 and is odd about −b:
        // s* > 0 with s* + c·tanh(s*) = 0 gives φ(−b − s*) = φ(−b + s*). Points z1 with
        // wᵀz1 = α1 and z2 = z1 − û(t2 − t1) then share their image.
        double lo = 0, hi = std::abs(c);
        for (int it = 0; it < 200; ++it) {
            const double mid = 0.5 * (lo + hi);
            if (mid == lo || mid == hi) break;
            (mid + c * std::tanh(mid) < 0 ? lo : hi) = mid;
        }
        const double s = 0.5 * (lo + hi), a1 = -l.b - s, a2 = -l.b + s;
        const Vec2 uh = planar_u(l);
        const Vec2 z1 = a1 * l.w / l.w.squaredNorm();
        const Vec2 z2 = z1 - uh * (std::tanh(a2 + l.b) - std::tanh(a1 + l.b));
        w = collision(l, z1, z2);
    }
    return disproved(name + num_beside(c, -1) + " < -1", w);
}

Invertibility radial(const Layer& l, bool want_witness) {
    if (!(l.beta < -l.alpha))
        return proved("β = " + num_beside(l.beta, -l.alpha) + " ≥ -α = " + num(-l.alpha));
    Witness w;
    // Along a ray r ↦ r(α + r + β)/(α + r) vanishes at r = −(α + β) > 0 as at r = 0.
    if (want_witness) w = collision(l, l.z0, l.z0 + Vec2(-(l.alpha + l.beta), 0));
    return disproved("β = " + num_beside(l.beta, -l.alpha) + " < -α = " + num(-l.alpha), w);
}

Invertibility affine(const Layer& l, bool want_witness) {
    for (int i = 0; i < 2; ++i) {
        if (l.L(i, i) != 0) continue;
        Witness w;
        if (want_witness) {
            // A null vector of the triangular L.
            Vec2 d(0, 1);
            if (i == 0)
                d = (l.L(1, 0) == 0 && l.L(1, 1) == 0) ? Vec2(1, 0) : Vec2(l.L(1, 1), -l.L(1, 0));
            w = collision(l, Vec2(0, 0), d);
        }
        return disproved("L[" + std::to_string(i) + "][" + std::to_string(i) +
                             "] = 0 (a triangular L with a zero diagonal is singular)",
                         w);
    }
    return proved("L₁₁ = " + num(l.L(0, 0)) + " and L₂₂ = " + num(l.L(1, 1)) + " ≠ 0");
}

Invertibility relu(const Layer& l, bool want_witness) {
    Witness w;
    if (want_witness) {
        if (l.relu_a * l.relu_b == 0) {
            w = collision(l, Vec2(0, 0), Vec2(1, 1));
        } else {  // b·t + c = −1 and −2: both clipped to 0
            w = collision(l, Vec2((-l.relu_c - 1) / l.relu_b, 0),
                          Vec2((-l.relu_c - 2) / l.relu_b, 0));
        }
    }
    if (l.relu_a * l.relu_b == 0)
        return disproved("a·b = 0: ReLU maps the whole plane to one point", w);
    return disproved("ReLU folds the half-plane b·t + c < 0 onto a line", w);
}

// h(t) = Σ w_i σ(a_i t + b_i) with identical (a, b) merged and zero weights dropped.
struct Mixture {
    std::vector<double> a, b, w;
    double h(double t) const {
        double s = 0;
        for (size_t i = 0; i < a.size(); ++i) s += w[i] * sigmoid(a[i] * t + b[i]);
        return s;
    }
    double dh(double t) const {
        double s = 0;
        for (size_t i = 0; i < a.size(); ++i) s += w[i] * a[i] * sigma_prime(a[i] * t + b[i]);
        return s;
    }
    // lim h at t → dir·∞
    double limit(int dir) const {
        double s = 0;
        for (size_t i = 0; i < a.size(); ++i)
            s += a[i] == 0 ? w[i] * sigmoid(b[i]) : (a[i] * dir > 0 ? w[i] : 0);
        return s;
    }
};

Mixture merged(const Layer& l) {
    Mixture m;
    for (size_t i = 0; i < l.sig_a.size(); ++i) {
        size_t j = 0;
        while (j < m.a.size() && !(m.a[j] == l.sig_a[i] && m.b[j] == l.sig_b[i])) ++j;
        if (j == m.a.size()) {
            m.a.push_back(l.sig_a[i]);
            m.b.push_back(l.sig_b[i]);
            m.w.push_back(0);
        }
        m.w[j] += l.sig_w[i];
    }
    Mixture out;
    for (size_t j = 0; j < m.a.size(); ++j)
        if (m.w[j] != 0) {
            out.a.push_back(m.a[j]);
            out.b.push_back(m.b[j]);
            out.w.push_back(m.w[j]);
        }
    return out;
}

Phi slope_of(const Mixture& m, double sign) {
    Phi p;
    for (size_t i = 0; i < m.a.size(); ++i)
        p.terms.push_back({sign * m.w[i] * m.a[i], m.a[i], m.b[i]});
    return p;
}

bool simplex_case(const Layer& l) {
    double sum = 0;
    for (size_t i = 0; i < l.sig_a.size(); ++i) {
        if (!(l.sig_a[i] > 0) || !(l.sig_w[i] >= 0)) return false;
        sum += l.sig_w[i];
    }
    return std::abs(sum - 1) <= 1e-9;  // flow.cpp's kSimplexTolerance
}

// t where h(t) ∉ (0, 1), searching outwards (h's limit at dir·∞ is outside [0, 1]).
double outside_at(const Mixture& m, int dir) {
    for (double t = 1; t < 1e7; t *= 2) {
        const double v = m.h(dir * t);
        if (!(v > 0 && v < 1)) return dir * t;
    }
    return kNaN;
}

Invertibility sigmoidal(const Layer& l, bool want_witness) {
    if (simplex_case(l)) return proved("a > 0 and w on the simplex: every term of g′ is > 0");
    const Mixture m = merged(l);
    const auto undefined = [&](double t, double v, const std::string& why) {
        Witness w;
        w.kind = Witness::Kind::Undefined;
        w.z1 = Vec2(t, 0);
        w.text = "h(" + num(t) + ") = " + num(v) + " ∉ (0, 1): g = σ⁻¹(h) is undefined there";
        return disproved(why + "; keep Σ w_i σ(a_i t + b_i) in (0, 1) for every t", w);
    };
    bool constant = true;
    for (double a : m.a) constant = constant && a == 0;
    if (constant) {
        const double v = m.h(0);
        if (!(v > 0 && v < 1)) return undefined(0, v, "h is constant " + num(v));
        return disproved("every a_i = 0 (after merging equal (a, b)): g is constant",
                         want_witness ? collision(l, Vec2(0, 0), Vec2(1, 0)) : Witness{});
    }
    if (normalized(slope_of(m, 1)).terms.empty()) {  // h′ ≡ 0: h is constant
        const double v = m.h(0);
        if (!(v > 0 && v < 1)) return undefined(0, v, "h is constant " + num(v));
        return disproved("h′ = Σ w_i a_i σ′(a_i t + b_i) ≡ 0 (the terms cancel): g is constant " +
                             num(std::log(v / (1 - v))),
                         want_witness ? collision(l, Vec2(0, 0), Vec2(1, 0)) : Witness{});
    }
    const SignResult up = positive_on_line(slope_of(m, 1));
    SignResult down;
    if (up.verdict != Verdict::Proved) down = positive_on_line(slope_of(m, -1));
    const int dir = up.verdict == Verdict::Proved ? 1 : down.verdict == Verdict::Proved ? -1 : 0;
    if (dir != 0) {
        // Strictly monotone: h's range is the open interval between its limits.
        const double lo = m.limit(-dir), hi = m.limit(dir);
        if (lo < -kDomainTol) {
            const double t = outside_at(m, -dir);
            return undefined(t, m.h(t),
                             "h → " + num(lo) + " < 0 at t → " + (dir > 0 ? "-∞" : "+∞"));
        }
        if (hi > 1 + kDomainTol) {
            const double t = outside_at(m, dir);
            return undefined(t, m.h(t),
                             "h → " + num(hi) + " > 1 at t → " + (dir > 0 ? "+∞" : "-∞"));
        }
        return proved(std::string("h′(t) = Σ w_i a_i σ′(a_i t + b_i) ") +
                      (dir > 0 ? "> 0" : "< 0") + " for every t (interval bound), h ∈ (" +
                      num(std::min(lo, hi)) + ", " + num(std::max(lo, hi)) + "): g is strictly " +
                      (dir > 0 ? "increasing" : "decreasing"));
    }
    // Not monotone if h′ takes both signs.
    double neg = up.negative_at,
           pos = !std::isnan(down.negative_at) ? down.negative_at : up.positive_at;
    if (std::isnan(neg) || std::isnan(pos))
        return not_proved("h′(t) = Σ w_i a_i σ′(a_i t + b_i) keeps one sign? " +
                          (!up.why.empty() ? up.why : down.why));
    const std::string why = "h′(" + num(pos) + ") = " + num(m.dh(pos)) + " > 0 > h′(" + num(neg) +
                            ") = " + num(m.dh(neg)) + ": g is not monotone";
    Witness w;
    if (want_witness) {
        double t1, t2;
        const auto h = [&](double t) { return m.h(t); };
        const auto dh = [&](double t) { return m.dh(t); };
        if (collision_1d(h, dh, pos, neg, t1, t2)) {
            const double v = m.h(t1);
            if (!(v > 0 && v < 1)) return undefined(t1, v, why);
            w = collision(l, Vec2(t1, t1), Vec2(t2, t1));  // t1: h(t1) ∈ (0, 1)
        } else {
            w.kind = Witness::Kind::DetSigns;
            w.z1 = Vec2(pos, pos);
            w.z2 = Vec2(neg, pos);
            w.text = "det J" + pt(w.z1) + " > 0 > det J" + pt(w.z2);
        }
    }
    return disproved(why, w);
}

// det(I + s·diag(d)·W) = 1 + s(d1 W11 + d2 W22) + s² d1 d2 det W.
Invertibility residual(const Layer& l, bool want_witness) {
    const Mat2& W = l.W;
    const double s = l.s, detW = W.determinant();
    const double k = std::abs(s) * Eigen::JacobiSVD<Mat2>(W).singularValues()(0);
    if (s == 0 || W.isZero(0)) return proved("s·W = 0: f is a shift");
    if (detW != 0) {
        // D = diag(sech²(t)) covers (0, 1]² as t = Wz + c covers R²; the multi-affine det
        // is > 0 there iff it is > 0 at D = I and ≥ 0 at the vertices (1, 0), (0, 1).
        const double v11 = (Mat2::Identity() + s * W).determinant(), v10 = 1 + s * W(0, 0),
                     v01 = 1 + s * W(1, 1);
        const std::string values = "det(I + sW) = " + num_beside(v11, 0) +
                                   ", 1 + sW₁₁ = " + num_beside(v10, 0) +
                                   ", 1 + sW₂₂ = " + num_beside(v01, 0);
        if (v11 > 0 && v10 >= 0 && v01 >= 0) {
            if (k < 1)
                return proved("|s|·‖W‖₂ = " + num_beside(k, 1) +
                              " < 1: a contraction added to the identity");
            return proved(values +
                          ": det J > 0 everywhere, f is proper, so a diffeomorphism "
                          "(Hadamard); |s|·‖W‖₂ = " +
                          num_beside(k, 1) + " ≥ 1 does not matter");
        }
        if (v11 == 0 && v10 >= 0 && v01 >= 0)
            return not_proved(values + ": det J = 0 where Wz + c = 0, Hadamard needs det J ≠ 0");
        Witness w;
        if (want_witness) {
            // A point near the vertex where the det is negative.
            Vec2 d(1, 1);
            if (!(v11 < 0)) {
                const int i = v10 < 0 ? 1 : 0;  // the coordinate that goes to 0
                const double slope =
                    i == 1 ? s * W(1, 1) + s * s * detW : s * W(0, 0) + s * s * detW;
                const double v = i == 1 ? v10 : v01;
                d(i) = std::min(1.0, std::abs(v) / (2 * std::abs(slope) + 1e-300));
            }
            Vec2 t;
            for (int i = 0; i < 2; ++i) t(i) = std::acosh(1 / std::sqrt(d(i)));
            w = residual_witness(l, W.inverse() * (t - l.c));
        }
        return disproved(values + " < 0 somewhere: det J < 0 at some z, a fold", w);
    }
    // Rank one: W = p qᵀ, t = c + τp with τ = qᵀz, and det J = 1 + s Σ p_i q_i sech²(c_i + τp_i)
    // = 1 + Σ 4 s p_i q_i σ′(2p_i τ + 2c_i).
    const int row = W.row(0).squaredNorm() >= W.row(1).squaredNorm() ? 0 : 1;
    const Vec2 q = W.row(row).transpose();
    const Vec2 p(W.row(0).dot(q.transpose()) / q.squaredNorm(),
                 W.row(1).dot(q.transpose()) / q.squaredNorm());
    Phi phi;
    phi.c0 = 1;
    for (int i = 0; i < 2; ++i) phi.terms.push_back({4 * s * p(i) * q(i), 2 * p(i), 2 * l.c(i)});
    const SignResult r = positive_on_line(phi);
    if (r.verdict == Verdict::Proved)
        return proved(
            "W has rank 1: det J = 1 + s·Σ p_i q_i sech²(c_i + τp_i) > 0 for every τ "
            "(interval bound), f is proper, so a diffeomorphism (Hadamard)");
    if (r.verdict == Verdict::NotProved)
        return not_proved("W has rank 1, det J = 1 + s·Σ p_i q_i sech²(c_i + τp_i) > 0? " + r.why);
    Witness w;
    if (want_witness) w = residual_witness(l, r.negative_at * q / q.squaredNorm());
    return disproved("W has rank 1: det J = " + num(phi(r.negative_at)) +
                         " < 0 at τ = qᵀz = " + num(r.negative_at) + ", a fold",
                     w);
}

// y_k = z_k, and for each z_k the other coordinate is z_o ↦ z_o·exp(s) + t, slope exp(s) > 0:
// a bijection of R² whatever the network's weights (the inverse is in closed form).
Invertibility coupling(const Layer& l) {
    const char* k = l.keep_z2 ? "z2" : "z1";
    const char* o = l.keep_z2 ? "z1" : "z2";
    return proved(std::string("coupling keeps ") + k + " and maps " + o + " ↦ " + o + "·exp(s(" +
                  k + ")) + t(" + k + ") with exp(s) > 0 (|s| ≤ scale = " + num(l.cp_scale) +
                  "): a bijection, inverse " + o + " = (y − t)·exp(−s)");
}

}  // namespace

Invertibility verdict(const Layer& l, bool want_witness) {
    switch (l.type) {
        case Type::Planar:
            return planar(l, want_witness);
        case Type::Radial:
            return radial(l, want_witness);
        case Type::Affine:
            return affine(l, want_witness);
        case Type::Sigmoidal:
            return sigmoidal(l, want_witness);
        case Type::Residual:
            return residual(l, want_witness);
        case Type::Relu:
            return relu(l, want_witness);
        case Type::Coupling:
            return coupling(l);
    }
    return not_proved("unknown layer type");
}

}  // namespace genlab::flow::exact

namespace genlab::flow {

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::Proved:
            return "proved";
        case Verdict::Disproved:
            return "disproved";
        case Verdict::NotProved:
            return "not_proved";
    }
    return "not_proved";
}

const char* to_string(Witness::Kind k) {
    switch (k) {
        case Witness::Kind::None:
            return "none";
        case Witness::Kind::Collision:
            return "collision";
        case Witness::Kind::NegativeDet:
            return "negative_det";
        case Witness::Kind::DetSigns:
            return "det_signs";
        case Witness::Kind::Undefined:
            return "undefined";
    }
    return "none";
}

}  // namespace genlab::flow
