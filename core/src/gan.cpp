// Training dynamics of the Dirac-GAN and the bilinear game. See genlab/gan.hpp.
#include "genlab/gan.hpp"

#include "check.hpp"
#include "parallel.hpp"
#include "vecmath.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>

namespace genlab::gan {

using detail::require;
using detail::show;

namespace {

void require_state(System system, const State& x, const char* what) {
    require(x.size() == dimension(system), std::string(what) + " must have " +
                                               std::to_string(dimension(system)) +
                                               " components for the " + to_string(system) +
                                               " system (got " + std::to_string(x.size()) + ")");
}

// Logistic function. Written in two branches so that exp() only ever sees a non-positive
// argument: 1/(1+e^−x) overflows e^−x for x ≪ 0 and e^x/(1+e^x) gives inf/inf = NaN for x ≫ 0.
double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

// σ'(x) = σ(x)(1 − σ(x)) = σ(x)σ(−x). The product form keeps full relative precision in the
// tails, where 1 − σ(x) would cancel to 0 for x ≳ 37.
double sigmoid_prime(double x) { return sigmoid(x) * sigmoid(-x); }

// The critic's value at the generated point, C(θ) = ψ0·θ + ψ1.
double critic_at_theta(const State& x) { return x(0) * x(2) + x(1); }

State velocity_unchecked(const Params& p, const State& x) {
    State v(x.size());
    if (p.system == System::Bilinear) {
        v << x(1), -x(0);
        return v;
    }
    const double psi0 = x(0), psi1 = x(1), theta = x(2);
    const double s = sigmoid(critic_at_theta(x));
    v(0) = -theta * s - p.gamma * psi0;
    v(1) = sigmoid(-psi1) - s;
    // σ(−C) computed directly rather than as 1 − s, which loses everything once s ≈ 1.
    v(2) = p.loss == Loss::Saturating ? psi0 * s : psi0 * sigmoid(-critic_at_theta(x));
    return v;
}

Eigen::MatrixXd jacobian_unchecked(const Params& p, const State& x) {
    if (p.system == System::Bilinear) {
        Eigen::MatrixXd j(2, 2);
        j << 0, 1, -1, 0;
        return j;
    }
    const double psi0 = x(0), psi1 = x(1), theta = x(2);
    const double c = critic_at_theta(x);
    const double s = sigmoid(c);
    // σ'(C) = σ'(−C): one value serves both losses.
    const double ds = sigmoid_prime(c);
    // ∂C/∂(ψ0, ψ1, θ) = (θ, 1, ψ0).
    Eigen::MatrixXd j(3, 3);
    // v0 = −θ·σ(C) − γ·ψ0
    j(0, 0) = -theta * ds * theta - p.gamma;
    j(0, 1) = -theta * ds;
    j(0, 2) = -s - theta * ds * psi0;
    // v1 = σ(−ψ1) − σ(C)
    j(1, 0) = -ds * theta;
    j(1, 1) = -sigmoid_prime(-psi1) - ds;
    j(1, 2) = -ds * psi0;
    if (p.loss == Loss::Saturating) {
        // v2 = ψ0·σ(C)
        j(2, 0) = s + psi0 * ds * theta;
        j(2, 1) = psi0 * ds;
        j(2, 2) = psi0 * ds * psi0;
    } else {
        // v2 = ψ0·σ(−C): d/dC σ(−C) = −σ'(C).
        j(2, 0) = sigmoid(-c) - psi0 * ds * theta;
        j(2, 1) = -psi0 * ds;
        j(2, 2) = -psi0 * ds * psi0;
    }
    return j;
}

// Diagonal projector onto the critic's coordinates (which come first in the state).
Eigen::MatrixXd critic_projector(System system) {
    const int n = dimension(system);
    Eigen::MatrixXd proj = Eigen::MatrixXd::Zero(n, n);
    for (int i = 0; i < critic_dimension(system); ++i) proj(i, i) = 1.0;
    return proj;
}

//-----------------------------------------------------------------------------
// The lane kernel: N states at once as structure-of-arrays (x0, x1, x2) = (ψ0, ψ1, θ) or
// (d, g, unused). step(), integrate() and integrate_batch() all run it, so they agree to the
// bit; every lane takes the same packet code whatever N (fixed-size arrays, N even: no
// scalar tail), which is what makes a lane's result independent of its block.
//-----------------------------------------------------------------------------

template <int N>
using Lanes = Eigen::Array<double, N, 1>;

template <int N>
struct LaneState {
    Lanes<N> x0, x1, x2;
};

// velocity_unchecked on every lane, σ by vecmath::sigmoid.
template <int N>
LaneState<N> velocity_lanes(const Params& p, const LaneState<N>& x) {
    LaneState<N> v;
    if (p.system == System::Bilinear) {
        v.x0 = x.x1;
        v.x1 = -x.x0;
        v.x2.setZero();
        return v;
    }
    const Lanes<N> c = x.x0 * x.x2 + x.x1;  // C(θ) = ψ0·θ + ψ1
    const Lanes<N> s = vecmath::sigmoid(c);
    v.x0 = -x.x2 * s - p.gamma * x.x0;
    v.x1 = vecmath::sigmoid(-x.x1) - s;
    // σ(−C) computed directly rather than as 1 − s, which loses everything once s ≈ 1.
    v.x2 = p.loss == Loss::Saturating ? Lanes<N>(x.x0 * s) : Lanes<N>(x.x0 * vecmath::sigmoid(-c));
    return v;
}

// x + a·v, componentwise.
template <int N>
LaneState<N> axpy(const LaneState<N>& x, double a, const LaneState<N>& v) {
    return {x.x0 + a * v.x0, x.x1 + a * v.x1, x.x2 + a * v.x2};
}

// One step of p.method (see gan.hpp), written in the same operation order as the
// single-state forms in step_jacobian_unchecked.
template <int N>
LaneState<N> step_lanes(const Params& p, const LaneState<N>& x) {
    const double h = p.lr;
    switch (p.method) {
        case Method::Flow: {
            const LaneState<N> k1 = velocity_lanes(p, x);
            const LaneState<N> k2 = velocity_lanes(p, axpy(x, 0.5 * h, k1));
            const LaneState<N> k3 = velocity_lanes(p, axpy(x, 0.5 * h, k2));
            const LaneState<N> k4 = velocity_lanes(p, axpy(x, h, k3));
            const double w = h / 6.0;
            return {x.x0 + w * (k1.x0 + 2.0 * k2.x0 + 2.0 * k3.x0 + k4.x0),
                    x.x1 + w * (k1.x1 + 2.0 * k2.x1 + 2.0 * k3.x1 + k4.x1),
                    x.x2 + w * (k1.x2 + 2.0 * k2.x2 + 2.0 * k3.x2 + k4.x2)};
        }
        case Method::Simultaneous:
            return axpy(x, h, velocity_lanes(p, x));
        case Method::Alternating: {
            // Each critic step sees the critic it just produced and the old generator; then
            // one generator step with the updated critic. Dirac: critic (x0, x1), generator
            // x2; bilinear: critic x0, generator x1.
            const bool dirac = p.system == System::Dirac;
            LaneState<N> y = x;
            for (int k = 0; k < p.n_critic; ++k) {
                const LaneState<N> v = velocity_lanes(p, y);
                y.x0 += h * v.x0;
                if (dirac) y.x1 += h * v.x1;
            }
            const LaneState<N> v = velocity_lanes(p, y);
            if (dirac)
                y.x2 += h * v.x2;
            else
                y.x1 += h * v.x1;
            return y;
        }
    }
    return x;
}

template <int N>
void load_lane(LaneState<N>& x, int lane, const State& s) {
    x.x0(lane) = s(0);
    x.x1(lane) = s(1);
    x.x2(lane) = s.size() == 3 ? s(2) : 0.0;
}

State lane_state(const double* x0, const double* x1, const double* x2, int lane, int dim) {
    State s(dim);
    s(0) = x0[lane];
    s(1) = x1[lane];
    if (dim == 3) s(2) = x2[lane];
    return s;
}

// Single states run in a block of kSingleLanes: 8 doubles is one packet even with AVX-512,
// so a lane here takes exactly the packet code of a lane in a 64-lane batch block (a 2-lane
// block would use 2-wide packets, whose exp may round differently).
constexpr int kSingleLanes = 8;

State step_unchecked(const Params& p, const State& x) {
    LaneState<kSingleLanes> lanes;
    // Padding: the same state in every lane, so nothing non-finite appears.
    for (int i = 0; i < kSingleLanes; ++i) load_lane(lanes, i, x);
    const LaneState<kSingleLanes> y = step_lanes(p, lanes);
    return lane_state(y.x0.data(), y.x1.data(), y.x2.data(), 0, dimension(p.system));
}

Eigen::MatrixXd step_jacobian_unchecked(const Params& p, const State& x) {
    const double h = p.lr;
    const int n = dimension(p.system);
    const Eigen::MatrixXd id = Eigen::MatrixXd::Identity(n, n);
    switch (p.method) {
        case Method::Flow: {
            // Differentiate each RK4 stage: k_i = v(x + c_i·h·k_{i−1}) gives
            // dk_i = J(x + c_i·h·k_{i−1})·(I + c_i·h·dk_{i−1}).
            const State k1 = velocity_unchecked(p, x);
            const State x2 = x + 0.5 * h * k1;
            const State k2 = velocity_unchecked(p, x2);
            const State x3 = x + 0.5 * h * k2;
            const State k3 = velocity_unchecked(p, x3);
            const State x4 = x + h * k3;
            const Eigen::MatrixXd dk1 = jacobian_unchecked(p, x);
            const Eigen::MatrixXd dk2 = jacobian_unchecked(p, x2) * (id + 0.5 * h * dk1);
            const Eigen::MatrixXd dk3 = jacobian_unchecked(p, x3) * (id + 0.5 * h * dk2);
            const Eigen::MatrixXd dk4 = jacobian_unchecked(p, x4) * (id + h * dk3);
            return id + (h / 6.0) * (dk1 + 2.0 * dk2 + 2.0 * dk3 + dk4);
        }
        case Method::Simultaneous:
            return id + h * jacobian_unchecked(p, x);
        case Method::Alternating: {
            // Each sub-step is y ↦ y + h·P·v(y), with derivative I + h·P·J(y); the chain rule
            // multiplies them, later steps on the left.
            const Eigen::MatrixXd pc = critic_projector(p.system);
            const Eigen::MatrixXd pg = id - pc;
            const int nc = critic_dimension(p.system);
            Eigen::MatrixXd total = id;
            State y = x;
            for (int k = 0; k < p.n_critic; ++k) {
                total = (id + h * pc * jacobian_unchecked(p, y)) * total;
                y.head(nc) += h * velocity_unchecked(p, y).head(nc);
            }
            return (id + h * pg * jacobian_unchecked(p, y)) * total;
        }
    }
    return id;
}

// Runs `m` ≤ N trajectories (starts[0..m)) in the lanes of one block, into out[0..m).
// A lane stops at the first non-finite or runaway state (norm > kRunawayNorm; NaN fails the
// comparison), which is not stored; the block stops when every lane has. Lanes past m hold a
// copy of starts[0] and are never read.
template <int N>
void integrate_lanes(const Params& p, const State* starts, int m, int steps, int keep_every,
                     Trajectory* out) {
    const int dim = dimension(p.system);
    LaneState<N> x;
    for (int i = 0; i < N; ++i) load_lane(x, i, starts[i < m ? i : 0]);
    Eigen::Array<bool, N, 1> alive = Eigen::Array<bool, N, 1>::Constant(false);
    for (int i = 0; i < m; ++i) {
        alive(i) = true;
        Trajectory& t = out[i];
        t.keep_every = keep_every;
        t.states.reserve(static_cast<size_t>(steps / keep_every) + 2);
        t.states.push_back(starts[i]);
    }
    const auto finish = [&](int i, int last_step) {
        Trajectory& t = out[i];
        t.steps = last_step;
        if (t.steps % keep_every != 0)  // always the last state
            t.states.push_back(lane_state(x.x0.data(), x.x1.data(), x.x2.data(), i, dim));
    };
    int alive_count = m;
    for (int k = 1; k <= steps && alive_count > 0; ++k) {
        const LaneState<N> next = step_lanes(p, x);
        const Eigen::Array<bool, N, 1> ok =
            (next.x0 * next.x0 + next.x1 * next.x1 + next.x2 * next.x2).sqrt() <= kRunawayNorm;
        if (!(ok || !alive).all()) {
            for (int i = 0; i < m; ++i) {
                if (!alive(i) || ok(i)) continue;
                out[i].diverged = true;
                out[i].diverged_at = k;
                finish(i, k - 1);  // x still holds step k − 1 here
                alive(i) = false;
                --alive_count;
            }
        }
        x = next;  // dead lanes go on computing garbage, never read
        if (k % keep_every == 0) {
            for (int i = 0; i < m; ++i)
                if (alive(i))
                    out[i].states.push_back(
                        lane_state(x.x0.data(), x.x1.data(), x.x2.data(), i, dim));
        }
    }
    for (int i = 0; i < m; ++i)
        if (alive(i)) finish(i, steps);
}

// integrate() after its arguments were checked.
Trajectory integrate_unchecked(const Params& p, const State& start, int steps, int keep_every) {
    Trajectory t;
    integrate_lanes<kSingleLanes>(p, &start, 1, steps, keep_every, &t);
    return t;
}

constexpr int kBatchLanes = 64;  // trajectories per block of integrate_batch

void require_steps(int steps, int keep_every) {
    require(steps >= 0, "gan.steps must be >= 0 (got " + std::to_string(steps) + ")");
    require(keep_every >= 1, "keep_every must be >= 1 (got " + std::to_string(keep_every) + ")");
}

}  // namespace

int dimension(System system) { return system == System::Dirac ? 3 : 2; }

int critic_dimension(System system) { return system == System::Dirac ? 2 : 1; }

const char* to_string(System s) { return s == System::Dirac ? "dirac" : "bilinear"; }

const char* to_string(Loss l) { return l == Loss::Saturating ? "saturating" : "non-saturating"; }

const char* to_string(Method m) {
    switch (m) {
        case Method::Flow:
            return "flow";
        case Method::Simultaneous:
            return "simultaneous";
        case Method::Alternating:
            return "alternating";
    }
    return "simultaneous";
}

void validate(const Params& p) {
    // Checked as finite first: a NaN fails every comparison and would otherwise read as
    // "must be > 0".
    require(std::isfinite(p.lr), "gan.lr must be a finite number (got " + show(p.lr) + ")");
    require(p.lr > 0, "gan.lr must be > 0 (got " + show(p.lr) + ")");
    require(p.lr <= 10, "gan.lr must be <= 10 (got " + show(p.lr) + ")");
    require(std::isfinite(p.gamma),
            "gan.gamma must be a finite number (got " + show(p.gamma) + ")");
    require(p.gamma >= 0 && p.gamma <= 100,
            "gan.gamma must be in [0, 100] (got " + show(p.gamma) + ")");
    require(p.n_critic >= 1 && p.n_critic <= 100,
            "gan.n_critic must be an integer in [1, 100] (got " + std::to_string(p.n_critic) + ")");
}

State velocity(const Params& p, const State& x) {
    require_state(p.system, x, "gan state");
    return velocity_unchecked(p, x);
}

Eigen::MatrixXd jacobian(const Params& p, const State& x) {
    require_state(p.system, x, "gan state");
    return jacobian_unchecked(p, x);
}

Eigen::MatrixXd jacobian_fd(const Params& p, const State& x, double h) {
    require_state(p.system, x, "gan state");
    require(std::isfinite(h) && h > 0, "gan.jacobian_fd step must be > 0 (got " + show(h) + ")");
    const int n = static_cast<int>(x.size());
    Eigen::MatrixXd j(n, n);
    for (int c = 0; c < n; ++c) {
        State plus = x, minus = x;
        plus(c) += h;
        minus(c) -= h;
        j.col(c) = (velocity_unchecked(p, plus) - velocity_unchecked(p, minus)) / (2.0 * h);
    }
    return j;
}

State equilibrium(const Params& p) { return State::Zero(dimension(p.system)); }

State step(const Params& p, const State& x) {
    validate(p);
    require_state(p.system, x, "gan state");
    return step_unchecked(p, x);
}

State step_player(const Params& p, const State& x, Player who) {
    validate(p);
    require_state(p.system, x, "gan state");
    const State v = velocity(p, x);
    const int critic = critic_dimension(p.system);
    const int lo = who == Player::Critic ? 0 : critic;
    const int hi = who == Player::Critic ? critic : dimension(p.system);
    State next = x;
    for (int i = lo; i < hi; ++i) next[i] += p.lr * v[i];
    return next;
}

Eigen::MatrixXd step_jacobian(const Params& p, const State& x) {
    validate(p);
    require_state(p.system, x, "gan state");
    return step_jacobian_unchecked(p, x);
}

Trajectory integrate(const Params& p, const State& start, int steps, int keep_every) {
    validate(p);
    require_state(p.system, start, "gan start");
    require_steps(steps, keep_every);
    return integrate_unchecked(p, start, steps, keep_every);
}

std::vector<Trajectory> integrate_batch(const Params& p, const std::vector<State>& starts,
                                        int steps, int keep_every) {
    validate(p);
    require_steps(steps, keep_every);
    for (size_t i = 0; i < starts.size(); ++i) {
        require_state(p.system, starts[i], ("gan start " + std::to_string(i)).c_str());
    }

    std::vector<Trajectory> out(starts.size());
    const int n = static_cast<int>(starts.size());
    const int blocks = (n + kBatchLanes - 1) / kBatchLanes;
    parallel::for_blocks(blocks, [&](int b) {
        const int lo = b * kBatchLanes;
        integrate_lanes<kBatchLanes>(p, &starts[static_cast<size_t>(lo)],
                                     std::min(kBatchLanes, n - lo), steps, keep_every,
                                     &out[static_cast<size_t>(lo)]);
    });
    return out;
}

double conserved_quantity(System system, const State& x) {
    require_state(system, x, "gan state");
    return system == System::Dirac ? x(0) * x(0) + x(2) * x(2) : x(0) * x(0) + x(1) * x(1);
}

std::vector<Complex> eigenvalues(const Eigen::MatrixXd& m) {
    require(m.rows() == m.cols(), "eigenvalues need a square matrix (got " +
                                      std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                                      ")");
    std::vector<Complex> out;
    if (m.rows() == 0) return out;
    require(m.allFinite(), "eigenvalues need a finite matrix");
    Eigen::EigenSolver<Eigen::MatrixXd> solver(m, /*computeEigenvectors=*/false);
    require(solver.info() == Eigen::Success, "eigenvalue iteration did not converge");
    // Rounding leaves ~1e-17 crumbs where the answer is exactly 0 (e.g. the real part of ±i/2);
    // cleaning them keeps the display and the sort order stable.
    auto clean = [](double v) { return std::abs(v) < 1e-14 ? 0.0 : v; };
    for (Eigen::Index i = 0; i < solver.eigenvalues().size(); ++i) {
        const Complex z = solver.eigenvalues()(i);
        out.emplace_back(clean(z.real()), clean(z.imag()));
    }
    std::sort(out.begin(), out.end(), [](const Complex& a, const Complex& b) {
        if (a.real() != b.real()) return a.real() < b.real();
        return a.imag() < b.imag();
    });
    return out;
}

std::vector<SweepPoint> sweep_gamma(const Params& p, double gamma_lo, double gamma_hi, int count) {
    require(count >= 2 && count <= 100000,
            "gan.sweep count must be in [2, 100000] (got " + std::to_string(count) + ")");
    require(std::isfinite(gamma_lo) && std::isfinite(gamma_hi) && gamma_lo >= 0 &&
                gamma_hi <= 100 && gamma_lo <= gamma_hi,
            "gan.gamma sweep range must satisfy 0 <= lo <= hi <= 100 (got [" + show(gamma_lo) +
                ", " + show(gamma_hi) + "])");
    std::vector<SweepPoint> out;
    out.reserve(static_cast<size_t>(count));
    Params q = p;
    for (int i = 0; i < count; ++i) {
        // The last point is set to gamma_hi exactly rather than reached by lo + (count−1)·step,
        // which can land an ulp short.
        q.gamma = i == count - 1 ? gamma_hi : gamma_lo + (gamma_hi - gamma_lo) * i / (count - 1);
        out.push_back({q.gamma, eigenvalues(jacobian_unchecked(q, equilibrium(q)))});
    }
    return out;
}

}  // namespace genlab::gan
