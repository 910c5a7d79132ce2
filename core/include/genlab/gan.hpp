// genlab/gan.hpp: training dynamics of two tiny GANs (seed 002 Q5 and seeds 000/001 Q6).
//
// Usage:
//   genlab::gan::Params p;                    // dirac, saturating, simultaneous GDA
//   p.method = genlab::gan::Method::Flow; p.lr = 0.05; p.gamma = 0.3;
//   genlab::gan::Trajectory t = genlab::gan::integrate(p, start, 2000);
//   auto lambda = genlab::gan::eigenvalues(genlab::gan::jacobian(p, genlab::gan::equilibrium(p)));
//
// Systems (state layout):
//   Dirac:    (ψ0, ψ1, θ). Real data δ0, generator δθ, critic C(x) = ψ0·x + ψ1, JS-GAN loss
//             L = log σ(C(0)) + log σ(−C(θ)). The critic ascends L − (γ/2)·R1 with
//             R1 = |∇x C|² = ψ0²; the generator descends L (saturating) or ascends
//             log σ(C(θ)) (non-saturating). Velocity, saturating:
//               v = (−θ·σ(C(θ)) − γ·ψ0,  σ(−ψ1) − σ(C(θ)),  ψ0·σ(C(θ)))
//             non-saturating: v_θ = ψ0·σ(−C(θ)).
//   Bilinear: (d, g). V(d, g) = d·g; d ascends, g descends: v = (g, −d).
//   The critic's coordinates come first: ψ0, ψ1 (dirac) or d (bilinear); the generator's
//   last: θ or g.
//
// Methods (one step of size lr):
//   Flow:         the continuous-time system, integrated by one RK4 step of h = lr.
//   Simultaneous: x ← x + lr·v(x), both players from the same iterate.
//   Alternating:  n_critic critic steps (critic coordinates only), then one generator step
//                 using the updated critic.
//
// [SECTION] Types
// [SECTION] Vector field and its Jacobian
// [SECTION] Steps, trajectories and divergence
// [SECTION] Spectra
#pragma once

#include <Eigen/Core>
#include <complex>
#include <vector>

namespace genlab::gan {

//-----------------------------------------------------------------------------
// [SECTION] Types
//-----------------------------------------------------------------------------

enum class System { Dirac, Bilinear };
enum class Loss { Saturating, NonSaturating };
enum class Method { Flow, Simultaneous, Alternating };

// Size dimension(system): 2 or 3, held inline (no heap): a trajectory's thousands of states
// are then one allocation, not one each. Room for 4, not 3: with AVX, GCC sees Eigen's (dead)
// 4-wide packet path on a 3-slot buffer and warns -Warray-bounds at every norm().
using State = Eigen::Matrix<double, Eigen::Dynamic, 1, Eigen::ColMajor, 4, 1>;
using Complex = std::complex<double>;

struct Params {
    System system = System::Dirac;
    Loss loss = Loss::Saturating;  // dirac only
    Method method = Method::Simultaneous;
    int n_critic = 1;    // alternating only; >= 1
    double lr = 0.1;     // > 0
    double gamma = 0.0;  // R1 weight, >= 0 (dirac only)
};

// A norm beyond this counts as diverged ("runaway").
constexpr double kRunawayNorm = 1e6;

int dimension(System system);         // 3 (dirac) or 2 (bilinear)
int critic_dimension(System system);  // 2 (ψ0, ψ1) or 1 (d)
const char* to_string(System s);      // "dirac" | "bilinear"
const char* to_string(Loss l);        // "saturating" | "non-saturating"
const char* to_string(Method m);      // "flow" | "simultaneous" | "alternating"

// Throws std::invalid_argument naming the bad field (e.g. "gan.lr must be > 0").
void validate(const Params& p);

//-----------------------------------------------------------------------------
// [SECTION] Vector field and its Jacobian
//-----------------------------------------------------------------------------

State velocity(const Params& p, const State& x);
// Analytic Jacobian of the velocity, ∂v_i/∂x_j.
Eigen::MatrixXd jacobian(const Params& p, const State& x);
// Central finite differences of velocity(), for checks and tests.
Eigen::MatrixXd jacobian_fd(const Params& p, const State& x, double h = 1e-6);
// The stationary point: the origin for both systems (seed 002 Q5.1).
State equilibrium(const Params& p);

//-----------------------------------------------------------------------------
// [SECTION] Steps, trajectories and divergence
//-----------------------------------------------------------------------------

// One step of p.method with step size p.lr.
State step(const Params& p, const State& x);

// One gradient step of one player only (GAN Lab's "Step D" / "Step G"): the critic's
// coordinates (or the generator's) move by lr·v(x), the other player's stay. "D then G" is
// one step of alternating GDA with n_critic = 1; "G then D" is not.
enum class Player { Critic, Generator };
State step_player(const Params& p, const State& x, Player who);
// Jacobian of the one-step map x ↦ step(p, x), analytic through the chain rule:
// simultaneous I + lr·J; alternating the product of the critic steps and the generator
// step; flow the derivative of the RK4 stages.
Eigen::MatrixXd step_jacobian(const Params& p, const State& x);

struct Trajectory {
    // states[0] is the start, then every `keep_every`-th state, and always the last one run.
    // With keep_every = 1 (the default) states[k] is the state after step k.
    std::vector<State> states;
    bool diverged = false;
    int diverged_at = -1;  // the step whose result was non-finite or runaway; -1 if none
    int steps = 0;         // steps run
    int keep_every = 1;
    int steps_run() const { return steps; }
};

// Runs up to `steps` steps, stopping at the first non-finite or runaway (> kRunawayNorm)
// state; that state is not stored.
// `keep_every` > 1 keeps one state in that many (and the last): hundreds of long runs then
// fit in memory, e.g. a phase portrait that draws ~1000 points per curve.
Trajectory integrate(const Params& p, const State& start, int steps, int keep_every = 1);

// Many trajectories at once (the phase portrait's seeds), vectorized over blocks of 64
// trajectories and split over parallel::threads(). Bit-for-bit the same as calling
// integrate() on each start, whatever the thread count: step(), integrate() and this all run
// the same lane kernel (σ by the vectorized exp).
std::vector<Trajectory> integrate_batch(const Params& p, const std::vector<State>& starts,
                                        int steps, int keep_every = 1);

// ψ0² + θ² (dirac) or d² + g² (bilinear): conserved by the unpenalized flow of the
// saturating loss and of the bilinear game (not by the non-saturating variant).
double conserved_quantity(System system, const State& x);

//-----------------------------------------------------------------------------
// [SECTION] Spectra
//-----------------------------------------------------------------------------

// Eigenvalues sorted by real part, then imaginary part.
std::vector<Complex> eigenvalues(const Eigen::MatrixXd& m);

// The flow Jacobian's eigenvalues at the equilibrium for `count` values of γ evenly spaced
// in [gamma_lo, gamma_hi] (inclusive). Other fields of p are kept.
struct SweepPoint {
    double gamma;
    std::vector<Complex> eigenvalues;
};
std::vector<SweepPoint> sweep_gamma(const Params& p, double gamma_lo, double gamma_hi, int count);

}  // namespace genlab::gan
