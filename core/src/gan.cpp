// Training dynamics of the Dirac-GAN and the bilinear game. See genlab/gan.hpp.
#include "genlab/gan.hpp"

#include "check.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

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

State step_unchecked(const Params& p, const State& x) {
    const double h = p.lr;
    switch (p.method) {
        case Method::Flow: {
            const State k1 = velocity_unchecked(p, x);
            const State k2 = velocity_unchecked(p, x + 0.5 * h * k1);
            const State k3 = velocity_unchecked(p, x + 0.5 * h * k2);
            const State k4 = velocity_unchecked(p, x + h * k3);
            return x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        case Method::Simultaneous:
            return x + h * velocity_unchecked(p, x);
        case Method::Alternating: {
            const int nc = critic_dimension(p.system);
            const int ng = dimension(p.system) - nc;
            State y = x;
            for (int k = 0; k < p.n_critic; ++k) {
                // Each critic step sees the critic it just produced and the old generator.
                y.head(nc) += h * velocity_unchecked(p, y).head(nc);
            }
            y.tail(ng) += h * velocity_unchecked(p, y).tail(ng);
            return y;
        }
    }
    return x;
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

bool runaway(const State& x) { return !x.allFinite() || x.norm() > kRunawayNorm; }

// integrate() after its arguments were checked: integrate_batch checks once, up front, so
// that no worker thread has anything to throw.
Trajectory integrate_unchecked(const Params& p, const State& start, int steps, int keep_every) {
    Trajectory t;
    t.keep_every = keep_every;
    t.states.reserve(static_cast<size_t>(steps / keep_every) + 2);
    t.states.push_back(start);
    State current = start;
    for (int k = 1; k <= steps; ++k) {
        State next = step_unchecked(p, current);
        if (runaway(next)) {
            t.diverged = true;
            t.diverged_at = k;
            break;
        }
        current = std::move(next);
        t.steps = k;
        if (k % keep_every == 0) t.states.push_back(current);
    }
    if (t.steps % keep_every != 0) t.states.push_back(current);  // always the last state
    return t;
}

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
    // Each trajectory depends only on its own start, so the split cannot change any result;
    // contiguous chunks just keep each worker on its own slice of `out`.
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const size_t workers = std::min<size_t>({2, hw, starts.size()});
    if (workers <= 1) {
        for (size_t i = 0; i < starts.size(); ++i)
            out[i] = integrate_unchecked(p, starts[i], steps, keep_every);
        return out;
    }

    const size_t chunk = (starts.size() + workers - 1) / workers;
    std::vector<std::exception_ptr> errors(workers);
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (size_t w = 0; w < workers; ++w) {
        const size_t lo = w * chunk;
        const size_t hi = std::min(starts.size(), lo + chunk);
        threads.emplace_back([&, w, lo, hi] {
            // Arguments were checked above; this only catches allocation failure, which must
            // not escape a thread (std::terminate).
            try {
                for (size_t i = lo; i < hi; ++i) {
                    out[i] = integrate_unchecked(p, starts[i], steps, keep_every);
                }
            } catch (...) {
                errors[w] = std::current_exception();
            }
        });
    }
    for (std::thread& t : threads) t.join();
    for (const std::exception_ptr& e : errors) {
        if (e) std::rethrow_exception(e);
    }
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
