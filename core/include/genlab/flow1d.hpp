// genlab/flow1d.hpp: the 1-D maps g: R → R of seed 000 Q5 (ReLU, sigmoidal mixture, residual,
// radial in 1-D), their derivative, where they fail to be monotone, and the density they push a
// base N(μ, σ²) to. The flow panel's "1-D map (Q5)" tab draws these (app/model/flow_map1d.hpp).
//
// Usage:
//   genlab::flow1d::Map m = genlab::flow1d::Map::residual(-2.0, 1.0, 0.0);   // s, w, c
//   double y = g(m, 0.3), slope = dg(m, 0.3);
//   Monotonicity mono = monotonicity(m, {0, 1});      // verdict + the intervals where g′ ≤ 0
//   Pushforward pf = pushforward(m, {0, 1});          // atoms + the density's pieces
//   double p = density(pf, m, {0, 1}, 0.5);           // p_Y(0.5) = Σ p_Z(z)/|g′(z)|
//
// Maps (t ∈ R):
//   relu:      g(t) = a·max(0, b·t + c). Constant on {b·t + c ≤ 0}: never invertible, and the
//              pushforward has an atom of mass P_Z(b·Z + c ≤ 0) at 0.
//   sigmoidal: g(t) = σ⁻¹(Σ w_i σ(a_i t + b_i)) (flow.hpp's sigmoidal layer, one coordinate).
//              Undefined where the sum leaves (0, 1) (a negative weight can push it out).
//   residual:  g(t) = t + s·tanh(w·t + c). g′ = 1 + s·w·sech²(w·t + c) ≥ 1 + s·w, with
//              equality at w·t + c = 0: invertible iff s·w ≥ −1 (Q5.3's f′ > −1, the bound
//              being attained at one point only when s·w = −1).
//   radial:    g(t) = t + β(t − t0)/(α + |t − t0|), α > 0. g′ = 1 + αβ/(α + |t − t0|)² ≥
//              1 + β/α: invertible iff β ≥ −α (Q5.4 in one dimension).
//
// How exact the pushforward is: the z-line [μ − 12σ, μ + 12σ] (P_Z outside: 3.6e-33) is cut
// at the zeros of g′ and the edges of flat or undefined pieces, found by bracketing on a grid of
// kGrid cells and bisection to machine precision. Between cuts g is strictly monotone, so a
// y in a piece's range has exactly one pre-image there, found by bisection (to ~1e-15
// relative). A pre-image is missed only if g′ has two zeros inside one grid cell (g′ touches
// zero without changing sign there): a double zero of g′, which only the boundary cases
// s·w = −1 and β = −α have, and those the residual and radial closed forms place exactly.
//
// [SECTION] Maps
// [SECTION] Monotonicity
// [SECTION] Pushforward
#pragma once

#include <string>
#include <vector>

namespace genlab::flow1d {

//-----------------------------------------------------------------------------
// [SECTION] Maps
//-----------------------------------------------------------------------------

enum class Type { Relu, Sigmoidal, Residual, Radial };
const char* to_string(Type t);  // "relu" | "sigmoidal" | "residual" | "radial"

struct Map {
    Type type = Type::Residual;
    double relu_a = 1, relu_b = 1, relu_c = 0;                       // relu
    std::vector<double> sig_a{1, 1}, sig_b{-2, 2}, sig_w{0.5, 0.5};  // sigmoidal
    double res_s = 0.9, res_w = 1, res_c = 0;                        // residual
    double rad_t0 = 0, rad_alpha = 1, rad_beta = 1;                  // radial

    static Map relu(double a, double b, double c);
    static Map sigmoidal(std::vector<double> a, std::vector<double> b, std::vector<double> w);
    static Map residual(double s, double w, double c);
    static Map radial(double t0, double alpha, double beta);
};

// Throws std::invalid_argument naming the field ("alpha must be > 0") for values no map can
// use: non-finite numbers, sigmoidal lists of different sizes, empty or longer than 16, α ≤ 0.
void validate(const Map& m);

// g(t), and g′(t) (the right derivative at ReLU's kink). NaN where the sigmoidal sum is outside
// (0, 1). The sigmoidal map is flow::forward / flow::jacobian of the 2-D layer (the stable
// log-space forms live there).
double g(const Map& m, double t);
double dg(const Map& m, double t);

struct Base {
    double mean = 0, std = 1;
};
double base_density(const Base& b, double z);
double base_cdf(const Base& b, double z);

//-----------------------------------------------------------------------------
// [SECTION] Monotonicity
//-----------------------------------------------------------------------------

struct Interval {
    double lo = 0, hi = 0;  // may be ±∞
};

// Where g fails to be strictly increasing, over R: intervals where g′ < 0 (`decreasing`), where
// g is constant (`flat`), where it is undefined (`undefined`, sigmoidal only). Closed forms for
// relu, residual and radial; for sigmoidal, the zeros of g′ on the search range (every
// sigmoid's centre ± 40/|a_i|, and the base's ±12σ) with the verdict from flow::invertibility
// (exact, over all of R).
struct Monotonicity {
    bool invertible = false;  // a bijection onto its image
    bool increasing = false;  // invertible and increasing (false: decreasing or not invertible)
    std::string reason;       // the condition with its numbers: "s·w = −2 < −1"
    std::vector<Interval> decreasing, flat, undefined;
};
Monotonicity monotonicity(const Map& m, const Base& base);

//-----------------------------------------------------------------------------
// [SECTION] Pushforward
//-----------------------------------------------------------------------------

constexpr int kGrid = 4096;   // bracketing cells over the z-range
constexpr double kSpan = 12;  // the z-range: μ ± 12σ
struct Atom {
    double y = 0;     // where the mass sits
    double mass = 0;  // P_Z of the flat piece mapped there
};

// A piece of the z-range where g is strictly monotone (or flat: then an atom).
struct Piece {
    double z0 = 0, z1 = 0;  // z0 < z1
    double y0 = 0, y1 = 0;  // g(z0), g(z1)
};

struct Pushforward {
    std::vector<Piece> pieces;     // strictly monotone pieces, in z order
    std::vector<Atom> atoms;       // flat pieces (Dirac masses: not part of the density)
    double undefined_mass = 0;     // P_Z where g is undefined (sigmoidal sum outside (0, 1))
    double y_lo = 0, y_hi = 0;     // the image of the z-range
    std::vector<double> critical;  // g at the cuts (zeros of g′, piece ends): p_Y's singular points
};
// `mono`: monotonicity(m, base) when the caller has it (it is recomputed otherwise).
Pushforward pushforward(const Map& m, const Base& base, const Monotonicity* mono = nullptr);

// Every z in the pieces with g(z) = y (in z order).
std::vector<double> preimages(const Pushforward& pf, const Map& m, double y);
// p_Y(y) = Σ over pre-images p_Z(z)/|g′(z)|, the absolutely continuous part (atoms excluded);
// +∞ where a pre-image has g′ = 0.
double density(const Pushforward& pf, const Map& m, const Base& base, double y);

// ∫ p_Y over R by tanh-sinh quadrature on each interval between critical values (p_Y may have
// integrable 1/√ singularities there, where g′ = 0), levels refined until two agree to 1e-10.
struct Mass {
    double density = 0;  // ∫ p_Y dy (the quadrature)
    double error = 0;    // Σ |last level − the one before| over the intervals
    double atoms = 0;    // Σ atom masses
    double exact = 0;    // Σ P_Z over the monotone pieces (Φ differences): what density should be
    int evaluations = 0;
};
Mass mass(const Pushforward& pf, const Map& m, const Base& base);

}  // namespace genlab::flow1d
