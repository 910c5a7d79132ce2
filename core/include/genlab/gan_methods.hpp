// genlab/gan_methods.hpp: the GAN training methods of the convergence literature (issue 14) on
// three tiny games, with their fields, step maps, Jacobians, spectra and verdicts.
//
// Usage:
//   namespace gm = genlab::gan_methods;
//   gm::Params p;                                   // Mescheder's 2-D Dirac-GAN, simultaneous
//   p.terms = gm::parse_terms("nsgan+r1");          // the `gan.regularizer` key's syntax
//   p.method = gm::parse_method("extragradient");   // the `gan.method` key's syntax
//   p.gamma = 0.5; p.lr = 0.1;
//   gm::validate(p);                                // throws e.g. "gan.lr must be > 0 (got -1)"
//   gm::Spectrum s = gm::analyze(p);                // eigenvalues, radius, verdict, rate
//   gm::Trajectory t = gm::integrate(p, gm::Vec2(1.0, 1.0), 500);
//   auto sweep = gm::sweep(p, "gan.gamma", 0.0, 2.0, 21);
//
// This module stands beside genlab/gan.hpp (whose API the app uses) and does not change it.
//
// Systems (critic coordinates first, generator last, as in gan.hpp):
//   Dirac3   (ψ0, ψ1, θ): the seed's Dirac-GAN, critic C(x) = ψ0·x + ψ1, real data δ0,
//            generator δθ; L = f(C(0)) + f(−C(θ)). With f = log σ this is gan.hpp's system.
//   Dirac2   (ψ, θ): Mescheder et al. 2018's Dirac-GAN, critic D(x) = ψ·x (no bias);
//            L = f(ψθ) + f(0) (their sign convention: the critic ascends f(D(fake))).
//   Bilinear (d, g): V = d·g, d ascends, g descends: v = (g, −d). Only consensus applies.
//   f(t) = −log(1 + e^−t) (gan, nsgan: f′(0) = 1/2) or f(t) = t (wgan, wgan_gp: f′ = 1).
//   The critic ascends L minus its penalties; the generator descends L (saturating) or ascends
//   its non-saturating objective (nsgan). v is that "gradient play" field; its zero at the
//   origin is the equilibrium of every system here.
//
// Terms (`gan.regularizer`, '+'-joined, at most one objective; see term_table()):
//   gan | nsgan | wgan (+ weight clipping c) | wgan_gp (λ, g0), then any of
//   noise (σ), r1 (γ), r2 (γ), consensus (γ_c). An empty string means plain "gan".
//   On the two Dirac systems the critic is linear in x, so ∇x D = ψ (ψ0) everywhere: R1, R2
//   and WGAN-GP's interpolates all see the same gradient and are evaluated analytically,
//   as in Mescheder's notebook. WGAN-GP's penalty is λ(|∇x D| − g0)² (Gulrajani et al.'s λ), so
//   its critic field gains −2λ(|ψ| − g0)·sgn ψ; the notebook's `reg` is 2λ. Instance noise is the
//   expectation over ε ~ N(0, σ²) added to real and fake samples, by a fixed 64-node Gauss–Hermite
//   rule (deterministic field); its error is below 1e-10 for |ψ|·σ ≤ 2 (tested against a dense
//   trapezoid rule) and grows for larger |ψ|·σ, since the logistic's poles at ±iπ approach the real
//   axis after scaling.
//
// Methods (`gan.method`; see method_table()). η_D = gan.lr_d and η_G = gan.lr_g, each 0
// meaning "= gan.lr"; every discrete method steps the critic with η_D, the generator with η_G
// (so TTUR is any discrete method with η_D ≠ η_G; "ttur" is simultaneous GDA under that name):
//   flow          one RK4 step of the continuous field, h = gan.lr (lr_d, lr_g unused)
//   simultaneous  x ← x + E·v(x), E = diag(η_D…, η_G…)
//   ttur          the same as simultaneous
//   alternating   n_critic critic steps, then one generator step using the updated critic
//   extragradient x½ = x + E·v(x); x ← x + E·v(x½)
//   optimistic    x_{k+1} = x_k + 2E·v(x_k) − E·v(x_{k−1}); augmented state (x, x_prev)
//   heavy_ball    m ← β·m + E·v(x); x ← x + m (simultaneous); augmented state (x, m)
//   alt_momentum  the same with the critic first and the generator seeing the new critic
//                 (Gidel et al. 2019's negative momentum: on the bilinear game β < 0 converges
//                 here but not with heavy_ball); one critic step per generator step
//                 (gan.n_critic is for alternating only)
//   Weight clipping (wgan) projects the critic coordinates onto [−c, c] after every critic
//   update (every sub-step that moves the critic; after the whole RK4 step for flow).
//
// Derivatives: jacobian() is exact, by forward-mode dual numbers through the templated field
// (no step size; second order for consensus, whose field contains J). step_jacobian() is the
// chain rule through the method's stages on the augmented state. The *_fd versions are
// independent central differences, for checks.
//
// Verdicts (analyze): discrete methods by the step map's spectral radius r at the equilibrium:
// r < 1 − tol converges (rate −ln r per step), |r − 1| ≤ tol cycles, else diverges; flow by the
// continuous Jacobian's largest real part α: α < −tol converges (rate −α per unit time),
// |α| ≤ tol cycles, else diverges. This is LINEAR stability. On the boundary (r = 1, α = 0)
// the linearization does not decide: the nonlinear terms may make the iterates spiral in
// slowly, out slowly, or cycle. "Cycles" means "neutral at first order", not a proven periodic
// orbit. Example (tested): alternating GDA on the 2-D Dirac-GAN, lr 0.1, from (0.5, 0.5) has
// |λ| = 1 exactly for both losses, yet after 10,000 steps the saturating loss has drifted out
// slightly (distance 0.707 → 0.708) while the non-saturating loss has spiralled in to 0.09.
// wgan_gp with g0 > 0 has no Jacobian at the equilibrium: the penalty's gradient jumps by 4λg0
// across ψ = 0 and points away from it on both sides, so the equilibrium repels; analyze()
// then reports diverges ("does not converge to the equilibrium", not "runs to infinity"),
// smooth = false, rate NaN and the one-sided (ψ → 0+) eigenvalues. (Observed: flow and
// simultaneous GD from (0.01, 0.01) with λ = 1, g0 = 0.3 settle at (0+, −2λg0), the zero of
// the ψ > 0 half-plane's field, at distance 0.6 from the equilibrium.)
//
// [SECTION] Types and descriptor tables
// [SECTION] Parsing and validation
// [SECTION] Vector field and its Jacobian
// [SECTION] Step map and its Jacobian
// [SECTION] Spectra and verdicts
// [SECTION] Trajectories and sweeps
#pragma once

#include <Eigen/Core>
#include <complex>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace genlab::gan_methods {

//-----------------------------------------------------------------------------
// [SECTION] Types and descriptor tables
//-----------------------------------------------------------------------------

enum class System { Dirac3, Dirac2, Bilinear };
enum class Method {
    Flow,
    Simultaneous,
    Ttur,
    Alternating,
    Extragradient,
    Optimistic,
    HeavyBall,
    AltMomentum
};
// Objectives first (at most one per TermSet), then penalties.
enum class Term { Gan, NsGan, Wgan, WganGp, Noise, R1, R2, Consensus };
enum class Verdict { Converges, Cycles, Diverges };

// A set of terms as a bit mask (bit i = Term i): cheap to test in the field's inner loop.
struct TermSet {
    std::uint32_t bits = 0;
    bool has(Term t) const { return (bits >> static_cast<int>(t)) & 1u; }
    TermSet& add(Term t) {
        bits |= 1u << static_cast<int>(t);
        return *this;
    }
    bool operator==(const TermSet& o) const { return bits == o.bits; }
};

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
using Complex = std::complex<double>;
Vec Vec2(double a, double b);
Vec Vec3(double a, double b, double c);

struct Params {
    System system = System::Dirac2;
    Method method = Method::Simultaneous;
    TermSet terms;        // empty: plain saturating GAN (Dirac systems) or the bare game (bilinear)
    double lr = 0.1;      // gan.lr, (0, 10]
    double lr_d = 0.0;    // gan.lr_d, 0 (= lr) or (0, 10]
    double lr_g = 0.0;    // gan.lr_g, 0 (= lr) or (0, 10]
    int n_critic = 1;     // gan.n_critic, [1, 100], alternating only
    double beta = 0.0;    // gan.beta, (−1, 1), heavy_ball and alt_momentum
    double gamma = 0.0;   // gan.gamma, [0, 100], r1 and r2 weight
    double sigma = 0.0;   // gan.sigma, [0, 10], noise
    double lambda = 1.0;  // gan.lambda, [0, 100], wgan_gp weight
    double g0 = 1.0;      // gan.g0, [0, 10], wgan_gp target gradient norm
    double clip = 1.0;    // gan.clip, (0, 100], wgan weight clipping
    double gamma_c = 0.0;  // gan.gamma_c, [0, 100], consensus weight
};

// One numeric key: its range, default and meaning. validate() checks against this table.
struct KeySpec {
    const char* key;  // "gan.lr"
    double lo, hi;
    bool lo_open, hi_open;  // (lo, …] vs [lo, …]
    double default_value;
    bool zero_allowed;  // 0 accepted besides the range (lr_d, lr_g: 0 means "= gan.lr")
    bool integer;
    const char* meaning;
};
const std::vector<KeySpec>& key_table();
const KeySpec* find_key(const std::string& key);  // nullptr if unknown

// Which systems a term or method applies to, as bits (1 << System).
constexpr std::uint32_t system_bit(System s) { return 1u << static_cast<int>(s); }

struct TermInfo {
    Term term;
    const char* name;  // "WGAN-GP"
    const char* cli;   // "wgan_gp"
    bool objective;    // an objective (at most one) rather than a penalty
    std::vector<const char*> keys;
    const char* formula;
    std::uint32_t systems;
    bool needs_gan_loss;  // noise: only with the log loss (a linear f averages to itself)
};
const std::vector<TermInfo>& term_table();
const TermInfo& info(Term t);

struct MethodInfo {
    Method method;
    const char* name;
    const char* cli;
    std::vector<const char*> keys;
    const char* formula;
    bool discrete;       // false for flow
    int memory_factor;   // augmented state = (1 + memory_factor)·dimension: 0 or 1
    const char* memory;  // "", "x_prev", "velocity m"
};
const std::vector<MethodInfo>& method_table();
const MethodInfo& info(Method m);

int dimension(System s);               // 3, 2, 2
int critic_dimension(System s);        // 2, 1, 1
int state_dimension(const Params& p);  // dimension × (1 + memory_factor)
const char* to_string(System s);       // "dirac3" | "dirac2" | "bilinear"
const char* to_string(Method m);       // the cli name
const char* to_string(Verdict v);      // "converges" | "cycles" | "diverges"
std::string to_string(TermSet t);      // "nsgan+r1"; "" for the empty set

// A norm beyond this (or a non-finite state) counts as diverged.
constexpr double kRunawayNorm = 1e6;
// Gauss–Hermite nodes used for instance noise.
constexpr int kNoiseNodes = 64;

//-----------------------------------------------------------------------------
// [SECTION] Parsing and validation
//-----------------------------------------------------------------------------

// Throw std::invalid_argument naming the key ("gan.method must be one of …").
Method parse_method(const std::string& cli);
TermSet parse_terms(const std::string& cli);  // "nsgan+r1+consensus"
System parse_system(const std::string& cli);

// Throws std::invalid_argument naming the user key, e.g. "gan.lr must be > 0 (got 0)",
// "gan.beta must be in (-1, 1) (got 1)", "gan.regularizer: 'r1' does not apply to the bilinear
// system".
void validate(const Params& p);

// Read or write a numeric key of key_table() ("gan.gamma"); n_critic is rounded. Throws for
// an unknown key. set_param does not validate.
double get_param(const Params& p, const std::string& key);
void set_param(Params& p, const std::string& key, double value);

//-----------------------------------------------------------------------------
// [SECTION] Vector field and its Jacobian
//-----------------------------------------------------------------------------

// The continuous field v(x) of dimension(system) (not augmented), penalties and consensus
// included; weight clipping is a projection, not part of v.
Vec velocity(const Params& p, const Vec& x);
Mat jacobian(const Params& p, const Vec& x);                      // exact (dual numbers)
Mat jacobian_fd(const Params& p, const Vec& x, double h = 1e-6);  // central differences
Vec equilibrium(const Params& p);  // the origin, of dimension(system)

// E_{ε~N(0,σ²)} g(ε) by the kNoiseNodes-point Gauss–Hermite rule the noise term uses;
// exposed so its accuracy can be tested.
double gauss_hermite_expectation(double sigma, const std::function<double(double)>& g);

//-----------------------------------------------------------------------------
// [SECTION] Step map and its Jacobian
//-----------------------------------------------------------------------------

// The augmented state of a plain state x: (x) or (x, x_prev = x) or (x, m = 0). A state that
// already has state_dimension(p) components is returned as is.
Vec augment(const Params& p, const Vec& x);
Vec augmented_equilibrium(const Params& p);
// One step of p.method on the augmented state z (state_dimension(p) components).
Vec step(const Params& p, const Vec& z);
Mat step_jacobian(const Params& p, const Vec& z);                      // chain rule
Mat step_jacobian_fd(const Params& p, const Vec& z, double h = 1e-6);  // central differences

//-----------------------------------------------------------------------------
// [SECTION] Spectra and verdicts
//-----------------------------------------------------------------------------

// Eigenvalues sorted by real part, then imaginary part; |x| < 1e-14 crumbs set to 0.
std::vector<Complex> eigenvalues(const Mat& m);
double spectral_radius(const std::vector<Complex>& eigs);

struct Spectrum {
    std::vector<Complex> field_eigenvalues;  // of jacobian() at the equilibrium
    std::vector<Complex> step_eigenvalues;   // of step_jacobian() at the augmented equilibrium
    double max_real = 0;                     // of field_eigenvalues
    double radius = 0;                       // of step_eigenvalues (flow: of the RK4 step map)
    Verdict verdict = Verdict::Cycles;
    // Decay exponent: −ln(radius) per step (discrete) or −max_real per unit time (flow);
    // > 0 converging, < 0 diverging.
    double rate = 0;
    bool smooth = true;  // false: the field is not differentiable at the equilibrium
    std::string note;    // why, when !smooth
};
// Validates p. tol as in the header comment.
Spectrum analyze(const Params& p, double tol = 1e-9);

//-----------------------------------------------------------------------------
// [SECTION] Trajectories and sweeps
//-----------------------------------------------------------------------------

struct Trajectory {
    // Augmented; states[0] the start, states[k] after step k. Divergence: the augmented
    // state's norm exceeds kRunawayNorm or a component is non-finite.
    std::vector<Vec> states;
    bool diverged = false;
    int diverged_at = -1;  // the step whose result was non-finite or runaway (not stored)
    int steps = 0;         // steps run
};
// `start` is a plain or an augmented state (see augment()).
Trajectory integrate(const Params& p, const Vec& start, int steps);
// Distance of the plain part of z from the equilibrium.
double distance_to_equilibrium(const Params& p, const Vec& z);

struct SweepPoint {
    double value;
    Spectrum spectrum;
};
// analyze() at `count` values of one key of key_table() evenly spaced in [lo, hi]
// (n_critic rounded to integers). Throws naming the key if a value is out of its range.
std::vector<SweepPoint> sweep(const Params& p, const std::string& key, double lo, double hi,
                              int count);

}  // namespace genlab::gan_methods
