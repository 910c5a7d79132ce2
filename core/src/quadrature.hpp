// Adaptive Gauss–Kronrod (10, 21) quadrature on a finite interval (private to core/src).
// (vi.cpp keeps its own (7, 15) rule; it could move onto this one.)
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace genlab::detail {

struct Integral {
    double value = 0;
    double error = 0;  // the summed |Kronrod − Gauss| of the final panels
};

namespace gk21 {
// QUADPACK's qk21: Kronrod abscissae (the odd ones are the 10-point Gauss nodes) and weights.
constexpr double kNode[11] = {0.995657163025808080735527280689003,
                              0.973906528517171720077964012084452,
                              0.930157491355708226001207180059508,
                              0.865063366688984510732096688423493,
                              0.780817726586416897063717578345042,
                              0.679409568299024406234327365114874,
                              0.562757134668604683339000099272694,
                              0.433395394129247190799265943165784,
                              0.294392862701460198131126603103866,
                              0.148874338981631210884826001129720,
                              0.0};
constexpr double kKronrod[11] = {
    0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
    0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
    0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
    0.123491976262065851077208980515460, 0.134709217311473325928054001771707,
    0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
    0.149445554002916905664936468389821};
constexpr double kGauss[5] = {
    0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
    0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
    0.295524224714752870173892994651338};

struct Piece {
    double lo, hi, value, error;
};

template <class F>
Piece rule(const F& f, double lo, double hi) {
    const double mid = 0.5 * (lo + hi), half = 0.5 * (hi - lo);
    double kronrod = kKronrod[10] * f(mid), gauss = 0;
    for (int i = 0; i < 10; ++i) {
        const double pair = f(mid - half * kNode[i]) + f(mid + half * kNode[i]);
        kronrod += kKronrod[i] * pair;
        if (i % 2 == 1) gauss += kGauss[i / 2] * pair;
    }
    return Piece{lo, hi, kronrod * half, std::abs(kronrod - gauss) * half};
}
}  // namespace gk21

// ∫_lo^hi f, starting from the panels between the sorted `cuts` (those inside (lo, hi), plus
// lo and hi), then splitting the panel of largest error until the total error is at most
// max(rel·|value|, abs) or `max_pieces` panels exist.
template <class F>
Integral integrate(const F& f, double lo, double hi, std::vector<double> cuts, double rel = 1e-11,
                   double abs = 1e-14, size_t max_pieces = 20000) {
    cuts.erase(
        std::remove_if(cuts.begin(), cuts.end(), [&](double c) { return !(c > lo && c < hi); }),
        cuts.end());
    cuts.push_back(lo);
    cuts.push_back(hi);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<gk21::Piece> pieces;
    for (size_t i = 0; i + 1 < cuts.size(); ++i)
        pieces.push_back(gk21::rule(f, cuts[i], cuts[i + 1]));
    const auto by_error = [](const gk21::Piece& a, const gk21::Piece& b) {
        return a.error < b.error;
    };
    std::make_heap(pieces.begin(), pieces.end(), by_error);
    Integral total;
    for (const gk21::Piece& p : pieces) {
        total.value += p.value;
        total.error += p.error;
    }
    while (total.error > std::max(rel * std::abs(total.value), abs) && pieces.size() < max_pieces) {
        std::pop_heap(pieces.begin(), pieces.end(), by_error);
        const gk21::Piece worst = pieces.back();
        pieces.pop_back();
        const double mid = 0.5 * (worst.lo + worst.hi);
        for (const gk21::Piece& half :
             {gk21::rule(f, worst.lo, mid), gk21::rule(f, mid, worst.hi)}) {
            total.value += half.value;
            total.error += half.error;
            pieces.push_back(half);
            std::push_heap(pieces.begin(), pieces.end(), by_error);
        }
        total.value -= worst.value;
        total.error -= worst.error;
    }
    // Summing and subtracting can leave rounding in the running error: recount it.
    total.value = 0;
    total.error = 0;
    for (const gk21::Piece& p : pieces) {
        total.value += p.value;
        total.error += p.error;
    }
    return total;
}

}  // namespace genlab::detail
