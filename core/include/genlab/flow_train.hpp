// genlab/flow_train.hpp: training a 2-D normalizing-flow Stack (planar, radial, affine and
// coupling layers)
// by reverse KL from an unnormalized density or by forward KL from samples (seeds 002/003
// Q3.2: with samples but no density minimize the forward KL; with a density but no samples,
// the reverse KL), with exact analytic gradients and Adam.
//
// Usage:
//   using namespace genlab::flow;
//   Stack s = train::planar_stack(32, /*seed=*/1);          // small random planar layers
//   train::Options o;
//   o.objective = train::Objective::Reverse;
//   train::Trainer t(s, train::Target::energy(1), o);       // Rezende–Mohamed U1
//   t.step(2000);                                           // t.losses(): one per step
//   train::Estimates e = t.estimate(8192, /*seed=*/7);      // KL both ways where defined
//
// Objectives (mean over a batch; u ~ the stack's base N(m, diag σ²), F the stack):
//   reverse: E_u[log p_U(u) − Σ_k log|det J_k| − log p̃(F(u))] = KL(q‖p) − log Z, since
//            p̃ = Z·p; reparameterized through the stack. Needs only the unnormalized density.
//   forward: −E_x[log q(x)] = −E_x[log p_U(F⁻¹(x)) − Σ_k log|det J_k(z_{k−1})|] over the data
//            = KL(p‖q) + H(p). Needs only samples. Planar layers are inverted by flow::inverse's
//            1-D root solve; the gradient through that inverse is the implicit function theorem:
//            z = f⁻¹(x; θ) ⇒ ∂z/∂x = J⁻¹, ∂z/∂θ = −J⁻¹ ∂f/∂θ, so every layer type trains both
//            ways (no closed-form inverse needed).
//
// Trainable parameters θ per layer (what pack/unpack and the gradients use):
//   planar: (w1, w2, u1, u2, b), trained with enforce = true: the layer uses the û fix
//           û = u + (m(wᵀu) − wᵀu)·w/‖w‖², so wᵀû > −1 and it stays invertible at every step.
//   radial: (z0₁, z0₂, a, c) with α = softplus(a) > 0 and β = −α + softplus(c) > −α.
//   affine: (μ1, μ2, log L11, L21, log L22): a positive diagonal, so det L > 0.
//   coupling: (a_1..a_H, c_1..c_H, vs_1..vs_H, vt_1..vt_H, bs, bt), 4H + 2 numbers; keep_z2,
//           scale and H are fixed. Invertible for every θ (exp(s) > 0, |s| ≤ scale).
// Sigmoidal, residual and relu layers are not trainable here (pack() refuses them by name).
// The gradient is backpropagated by hand through each layer (reverse mode; the target's ∇
// log p̃ of U1–U4 uses Eigen's AutoDiff with 2 fixed derivatives); tests check it against
// central finite differences. Batches are split into blocks of 256 points over
// parallel::threads() and reduced in block order: the same numbers with 1 thread or 2.
//
// Cost: a reverse-KL step of K = 16 planar layers on U1 at batch 2048 is ~2.5 ms of CPU on one
// thread (test StepTimeOf16PlanarAtBatch2048 prints it with the wall time); forward KL costs
// ~7× more (~17 ms: each planar inverse is a root solve; the stack's verdicts run once per
// batch, not per point and layer as flow::inverse would, which made it ~60 ms).
// U1–U4 have no closed-form log Z: Target::log_z_estimate() integrates e^{−U} by composite
// 8-point Gauss–Legendre (panels 0.125 wide), with an error bound from the rule at twice the
// panel width (and, for U1, the mass outside the box), computed once per kind. U1 is a proper
// density on R² (log Z ≈ 1.8775). U2–U4 are not: e^{−U} does not decay along z1 (U2 depends
// on z1 only through sin), so ∫_{R²} = ∞; their log Z is over the paper's window
// W = [−4, 4]² (Rezende & Mohamed's Figure 3), and their KL is between q and p both
// restricted to W (see Estimates).
//
// [SECTION] Targets
// [SECTION] Parameters
// [SECTION] Objectives and gradients
// [SECTION] Adam and the Trainer
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "genlab/flow.hpp"
#include "genlab/kl.hpp"

namespace genlab::flow::train {

//-----------------------------------------------------------------------------
// [SECTION] Targets
//-----------------------------------------------------------------------------

enum class TargetKind { U1, U2, U3, U4, Mixture, TwoMoons, Function, Points };

// U2–U4 as printed do not grow in z1 (infinite mass: reverse KL would spread q along z1 without
// end). The paper draws them on [−4, 4]²; here they get a soft wall there, U += ½((|z1| −
// kEnergyWall)₊ / kEnergyWallWidth)², which leaves [−4, 4] × R exactly as printed.
constexpr double kEnergyWall = 4.0;
constexpr double kEnergyWallWidth = 0.2;

// One row per TargetKind, in enum order: what the panel lists and what each target offers.
struct TargetInfo {
    TargetKind kind;
    const char* name;     // key value: "u1" … "u4", "mixture", "two_moons", "function", "points"
    const char* formula;  // p̃(z) ∝ exp(−U(z)), U written out (UTF-8)
    bool has_density;     // reverse KL possible
    bool has_samples;     // forward KL possible
    bool log_z_known;     // closed-form normaliser (mixtures: log Z = 0)
    bool log_z_quadrature;  // log Z by quadrature with an error bound (U1–U4), see LogZ
};

// A normaliser log ∫ p̃ over R², with a bound on its error.
struct LogZ {
    double value = 0;
    double error = 0;  // bound on |value − exact| (0 for a closed form); ≤ 1e-4 for U1–U4
};
const std::vector<TargetInfo>& target_table();
const TargetInfo& info(TargetKind kind);

struct Target {
    TargetKind kind = TargetKind::U1;
    kl::Mixture mixture;                             // Mixture (2-D components)
    std::function<double(double, double)> log_p_fn;  // Function: unnormalized log-density
    Eigen::Matrix2Xd points;                         // Points: the data set
    double moons_noise = 0.1;                        // TwoMoons: Gaussian noise std

    static Target energy(int which);  // Rezende & Mohamed (2015) Table 1, which ∈ {1, 2, 3, 4}
    static Target from_mixture(kl::Mixture m);
    static Target two_moons(double noise = 0.1);
    static Target from_function(std::function<double(double, double)> log_p);
    static Target from_points(Eigen::Matrix2Xd points);

    bool has_density() const { return info(kind).has_density; }
    bool has_samples() const { return info(kind).has_samples; }
    // log p̃ (unnormalized; −U for U1–U4). Throws std::logic_error for samples-only targets.
    double log_density(const Vec2& x) const;
    // ∇ log p̃: exact for U1–U4 (AutoDiff) and mixtures; central differences (h = 1e-5·max(1,
    // |x_i|)) for a Function target, whose expression is a black box.
    Vec2 grad_log_density(const Vec2& x, double* log_p = nullptr) const;
    // n samples, deterministic in seed. Mixture: exact; TwoMoons: the two interleaved half
    // circles (cos t, sin t) and (1 − cos t, 1/2 − sin t), t ~ U[0, π], centred at the origin,
    // plus N(0, noise²); Points: the points themselves when n equals their count, else drawn
    // with replacement. Throws std::logic_error for density-only targets.
    Eigen::Matrix2Xd sample(int n, std::uint64_t seed) const;
    // 0 (exact) for a mixture; U1–U4 by quadrature over R² (U2–U4 with their wall);
    // nullopt for the other targets.
    std::optional<LogZ> log_z_estimate() const;
    std::optional<double> log_z() const;        // log_z_estimate()'s value
    std::optional<double> log_z_error() const;  // and its error bound
};

enum class Objective { Reverse, Forward };
const char* to_string(Objective o);  // "reverse" | "forward"

// Empty when the target supports the objective; else why not, in key names, e.g.
// "reverse KL needs a density: flow.target two_moons has only samples (use flow.train.objective
// = forward)".
std::string unavailable(const Target& t, Objective o);

//-----------------------------------------------------------------------------
// [SECTION] Parameters
//-----------------------------------------------------------------------------

// 5 (planar), 4 (radial), 5 (affine), 4H + 2 (coupling); throws std::invalid_argument naming
// flow.layers[k].type for other types.
int param_count(const Layer& l, int index = -1);
int param_count(const Stack& s);
// θ of every layer in order. Throws for untrainable types and for affine layers whose
// diagonal is not positive ("flow.layers[2].L[0][0] must be > 0 to train ..."); a radial
// layer with β = −α exactly is moved inside by 1e-12 (softplus⁻¹(0) = −∞).
Eigen::VectorXd pack(const Stack& s);
// Writes θ back into s (same layer types and count as when packed); planar layers get
// enforce = true.
void unpack(const Eigen::VectorXd& theta, Stack& s);

// K layers of one trainable type with small random parameters (planar: w, u ~ N(0, scale²),
// b = 0, then u moved along w so that wᵀû = t ~ N(0, scale²): det J ≈ 1 + t; radial: z0 ~
// N(0, 1), α ≈ 1, β ≈ scale·N(0,1); affine: identity + scale·noise; coupling: H = 4, a ~
// N(0, 1), c ~ N(0, ¼), vs, vt ~ N(0, scale²), bs = bt = 0, |s| ≤ 2, and keep_z2 alternating
// over the coupling layers, z1 kept first), so the untrained stack is close to the identity.
// Deterministic in seed.
Stack planar_stack(int K, std::uint64_t seed, double scale = 0.1);
Stack random_stack(const std::vector<Type>& types, std::uint64_t seed, double scale = 0.1);

//-----------------------------------------------------------------------------
// [SECTION] Objectives and gradients
//-----------------------------------------------------------------------------

struct Loss {
    double value = 0;        // mean over the batch
    double std_error = 0;    // sample std / √n of the per-point values
    Eigen::VectorXd values;  // the per-point values
    Eigen::VectorXd grad;    // ∂value/∂θ (θ as pack()), when asked for
    bool finite = true;      // false: a point gave a non-finite value (or an inverse failed)
};

// Reverse objective at the base points u (columns; drawn from the stack's base by the caller).
Loss reverse_loss(const Stack& s, const Target& t, const Eigen::Matrix2Xd& u, bool want_grad);
// Forward objective at the data points x (columns).
Loss forward_loss(const Stack& s, const Eigen::Matrix2Xd& x, bool want_grad);

// n draws from the stack's base N(m, diag σ²), deterministic in seed. moment_match: the draws
// are shifted and whitened so their sample mean is exactly m and their (1/n) covariance
// exactly diag σ² (a variance reduction: for an affine flow and a Gaussian target the
// reverse objective depends on the draws only through these moments, so its per-batch
// gradient vanishes exactly at the optimum; in general it is consistent, not unbiased).
Eigen::Matrix2Xd base_samples(const Stack& s, int n, std::uint64_t seed, bool moment_match = false);

//-----------------------------------------------------------------------------
// [SECTION] Adam and the Trainer
//-----------------------------------------------------------------------------

struct Adam {
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    Eigen::VectorXd m, v;
    int t = 0;
    // θ ← θ − lr·m̂/(√v̂ + ε) with bias-corrected moments.
    void step(Eigen::VectorXd& theta, const Eigen::VectorXd& grad, double lr);
};

struct Options {
    Objective objective = Objective::Reverse;
    double lr = 1e-2;
    double lr_half_life = 0;  // > 0: lr·2^(−step/half_life), so noisy SGD settles; 0: constant
    int batch = 256;
    bool moment_match = false;  // reverse KL: moment-matched base batches (see base_samples)
    std::uint64_t seed = 1;
    int data_size = 4096;  // forward KL: points drawn once from the target (Points: its own)
    int window = 50;       // running mean over the last `window` losses
};

struct Estimates {
    // reverse: E_q[log q − log p̃] = KL(q‖p) − log Z; kl_reverse adds log Z when known
    // (mixtures, U1–U4), kl_reverse_se its standard error (log Z's own error is ≤ 1e-4).
    std::optional<double> reverse_objective, reverse_se, kl_reverse, kl_reverse_se;
    // forward: −E_p[log q] on fresh target samples (cross-entropy); kl_forward =
    // E_p[log p̃ − log Z − log q] when the target has density, samples and a known log Z.
    // Every *_se is the Monte-Carlo standard error (sample std / √n) of the value before it.
    std::optional<double> forward_objective, forward_se, kl_forward, kl_forward_se;
    std::optional<double> log_z;
};

class Trainer {
  public:
    // Throws std::invalid_argument when the objective is unavailable for the target (the
    // reason from unavailable()), for untrainable layers, or for options out of range.
    Trainer(Stack initial, Target target, Options options);

    // Runs up to n Adam steps; returns how many ran (fewer when training stopped).
    int step(int n);
    // Back to the initial stack, the same seed and an empty curve.
    void reset();

    const Stack& stack() const { return stack_; }
    const Target& target() const { return target_; }
    const Options& options() const { return options_; }
    const std::vector<double>& losses() const { return losses_; }         // one per step
    const std::vector<double>& running_mean() const { return running_; }  // same length
    int steps() const { return static_cast<int>(losses_.size()); }
    // Stopped on divergence: a non-finite loss, gradient or parameter. The stack keeps the
    // last good parameters; reason says what and at which step.
    bool stopped() const { return !stop_reason_.empty(); }
    const std::string& stop_reason() const { return stop_reason_; }

    // Monte-Carlo estimates with standard errors from `samples` fresh draws (seeded).
    Estimates estimate(int samples, std::uint64_t seed) const;

  private:
    Stack initial_, stack_;
    Target target_;
    Options options_;
    Eigen::Matrix2Xd data_;
    Eigen::VectorXd theta_;
    Adam adam_;
    std::uint64_t draw_ = 0;  // counter: batch k uses seed (options.seed, k)
    std::vector<double> losses_, running_;
    std::string stop_reason_;
};

}  // namespace genlab::flow::train
