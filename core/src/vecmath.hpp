// Packet-friendly elementwise math for the batch kernels (private to core/src).
//
// Eigen 3.4 vectorizes exp and log for double (SSE2 packets of two), but not tanh or log1p:
// those would run one std:: call per element. The forms here use only +, −, ×, ÷, exp and
// select, so a whole fixed-size block runs as packets. No -ffast-math anywhere: NaN inputs
// give NaN outputs, and ±inf behave as the comments say.
#pragma once

#include <Eigen/Core>

namespace genlab::vecmath {

// tanh to ~5e-16 relative (Cephes' tanh, vectorized), with one division: for |x| ≤ 0.625 the
// rational x + x³·P(x²)/Q(x²) = x·(Q + x²P)/Q, which avoids the cancellation of e^{2x} − 1
// near 0; above, sign(x)·(e^{2|x|} − 1)/(e^{2|x|} + 1), where that cancellation is harmless
// (t ≥ 0.55). exp's overflow (|x| > ~355) is clamped first so the ratio stays 1, not inf/inf.
template <typename Derived>
auto tanh(const Eigen::ArrayBase<Derived>& x_in) {
    using A = typename Derived::PlainObject;
    const A x = x_in;
    const A ax = x.abs();
    const A s = x * x;
    const A p =
        (-9.64399179425052238628E-1 * s - 9.92877231001918586564E1) * s - 1.61468768441708447952E3;
    const A q = ((s + 1.12811678491632931402E2) * s + 2.23548839060100448583E3) * s +
                4.84406305325125486048E3;
    const A e = (2.0 * ax.min(40.0)).exp();  // tanh(40) = 1 to double precision
    const auto small = ax <= 0.625;
    const A num = small.select(x * (q + s * p), (x < 0).select(1.0 - e, e - 1.0));
    const A den = small.select(q, e + 1.0);
    return A(num / den);
}

// σ(x) with exp only ever of −|x| (no overflow): e = e^{−|x|}, σ = 1/(1+e) for x ≥ 0 and
// e/(1+e) below, the same two branches as the scalar form.
template <typename Derived>
auto sigmoid(const Eigen::ArrayBase<Derived>& x_in) {
    using A = typename Derived::PlainObject;
    const A x = x_in;
    const A e = (-x.abs()).exp();
    const A inv = 1.0 / (1.0 + e);
    return A((x >= 0).select(inv, e * inv));
}

// log1p(t) for t ≥ 0 (or > −1), to a few ulps: log(u)·t/(u − 1) with u = 1 + t corrects the
// rounding of u (Goldberg's trick); u == 1 means t is below half an ulp of 1, where
// log1p(t) = t to double precision.
template <typename Derived>
auto log1p(const Eigen::ArrayBase<Derived>& t_in) {
    using A = typename Derived::PlainObject;
    const A t = t_in;
    const A u = 1.0 + t;
    const A d = u - 1.0;
    return A((d == 0).select(t, u.log() * (t / d)));
}

}  // namespace genlab::vecmath
