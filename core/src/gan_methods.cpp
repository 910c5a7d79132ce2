// GAN training methods of the convergence literature. See genlab/gan_methods.hpp.
//
// [SECTION] Descriptor tables
// [SECTION] Dual numbers
// [SECTION] Noise rule
// [SECTION] The field (templated on the scalar)
// [SECTION] Parsing and validation
// [SECTION] Field API
// [SECTION] Step map (values and chain-rule derivatives together)
// [SECTION] Spectra, trajectories, sweeps
#include "genlab/gan_methods.hpp"

#include "check.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace genlab::gan_methods {

using detail::require;
using detail::show;

//-----------------------------------------------------------------------------
// [SECTION] Descriptor tables
//-----------------------------------------------------------------------------

namespace {
constexpr std::uint32_t kDiracs = system_bit(System::Dirac3) | system_bit(System::Dirac2);
constexpr std::uint32_t kAllSystems = kDiracs | system_bit(System::Bilinear);
}  // namespace

const std::vector<KeySpec>& key_table() {
    // One place for every range: validate(), sweep() and the descriptors read it.
    static const std::vector<KeySpec> table = {
        {"gan.lr", 0, 10, true, false, 0.1, false, false, "step size (flow: RK4 h)"},
        {"gan.lr_d", 0, 10, true, false, 0.0, true, false, "critic step size; 0 = gan.lr"},
        {"gan.lr_g", 0, 10, true, false, 0.0, true, false, "generator step size; 0 = gan.lr"},
        {"gan.n_critic", 1, 100, false, false, 1, false, true,
         "critic steps per generator step (alternating)"},
        {"gan.beta", -1, 1, true, true, 0.0, false, false, "momentum β (negative allowed)"},
        {"gan.gamma", 0, 100, false, false, 0.0, false, false, "R1 / R2 weight γ"},
        {"gan.sigma", 0, 10, false, false, 0.0, false, false, "instance noise std σ"},
        {"gan.lambda", 0, 100, false, false, 1.0, false, false, "WGAN-GP weight λ"},
        {"gan.g0", 0, 10, false, false, 1.0, false, false, "WGAN-GP target gradient norm g0"},
        {"gan.clip", 0, 100, true, false, 1.0, false, false, "WGAN weight clipping bound c"},
        {"gan.gamma_c", 0, 100, false, false, 0.0, false, false, "consensus weight γ_c"},
    };
    return table;
}

const KeySpec* find_key(const std::string& key) {
    for (const KeySpec& k : key_table())
        if (key == k.key) return &k;
    return nullptr;
}

const std::vector<TermInfo>& term_table() {
    static const std::vector<TermInfo> table = {
        {Term::Gan,
         "GAN (saturating)",
         "gan",
         true,
         {},
         "L = f(D(fake)) + f(−D(real)), f = log σ",
         kDiracs,
         false},
        {Term::NsGan,
         "GAN (non-saturating)",
         "nsgan",
         true,
         {},
         "critic as gan; generator ascends f(−D(fake))",
         kDiracs,
         false},
        {Term::Wgan,
         "WGAN (weight clipping)",
         "wgan",
         true,
         {"gan.clip"},
         "f(t) = t; critic weights projected onto [−c, c] after each critic step",
         kDiracs,
         false},
        {Term::WganGp,
         "WGAN-GP",
         "wgan_gp",
         true,
         {"gan.lambda", "gan.g0"},
         "f(t) = t; critic − λ(|∇x D(x̂)| − g0)², ∇x D = ψ at every interpolate x̂",
         kDiracs,
         false},
        {Term::Noise,
         "Instance noise",
         "noise",
         false,
         {"gan.sigma"},
         "L_σ = E_ε L with ε ~ N(0, σ²) added to real and fake samples (Gauss–Hermite)",
         kDiracs,
         true},
        {Term::R1,
         "R1 penalty",
         "r1",
         false,
         {"gan.gamma"},
         "critic − (γ/2)·E_real |∇x D|²",
         kDiracs,
         false},
        {Term::R2,
         "R2 penalty",
         "r2",
         false,
         {"gan.gamma"},
         "critic − (γ/2)·E_fake |∇x D|²",
         kDiracs,
         false},
        {Term::Consensus,
         "Consensus optimization",
         "consensus",
         false,
         {"gan.gamma_c"},
         "v ← v − γ_c·∇(½‖v‖²) = v − γ_c·Jᵀv",
         kAllSystems,
         false},
    };
    return table;
}

const TermInfo& info(Term t) { return term_table()[static_cast<size_t>(t)]; }

const std::vector<MethodInfo>& method_table() {
    static const std::vector<MethodInfo> table = {
        {Method::Flow,
         "RK4 flow",
         "flow",
         {"gan.lr"},
         "one RK4 step of ẋ = v(x), h = lr",
         false,
         0,
         ""},
        {Method::Simultaneous,
         "Simultaneous GDA",
         "simultaneous",
         {"gan.lr", "gan.lr_d", "gan.lr_g"},
         "x ← x + E·v(x)",
         true,
         0,
         ""},
        {Method::Ttur,
         "TTUR",
         "ttur",
         {"gan.lr_d", "gan.lr_g"},
         "simultaneous GDA with critic lr_d, generator lr_g",
         true,
         0,
         ""},
        {Method::Alternating,
         "Alternating GDA",
         "alternating",
         {"gan.lr", "gan.lr_d", "gan.lr_g", "gan.n_critic"},
         "n_critic critic steps, then a generator step seeing the new critic",
         true,
         0,
         ""},
        {Method::Extragradient,
         "Extragradient",
         "extragradient",
         {"gan.lr", "gan.lr_d", "gan.lr_g"},
         "x½ = x + E·v(x); x ← x + E·v(x½)",
         true,
         0,
         ""},
        {Method::Optimistic,
         "Optimistic GDA",
         "optimistic",
         {"gan.lr", "gan.lr_d", "gan.lr_g"},
         "x_{k+1} = x_k + 2E·v(x_k) − E·v(x_{k−1})",
         true,
         1,
         "x_prev"},
        {Method::HeavyBall,
         "Heavy ball (simultaneous)",
         "heavy_ball",
         {"gan.lr", "gan.lr_d", "gan.lr_g", "gan.beta"},
         "m ← β·m + E·v(x); x ← x + m",
         true,
         1,
         "velocity m"},
        {Method::AltMomentum,
         "Negative momentum (alternating)",
         "alt_momentum",
         {"gan.lr", "gan.lr_d", "gan.lr_g", "gan.beta"},
         "critic: m_D ← β·m_D + η_D·v_D(x), then generator with the new critic",
         true,
         1,
         "velocity m"},
    };
    return table;
}

const MethodInfo& info(Method m) { return method_table()[static_cast<size_t>(m)]; }

Vec Vec2(double a, double b) {
    Vec v(2);
    v << a, b;
    return v;
}

Vec Vec3(double a, double b, double c) {
    Vec v(3);
    v << a, b, c;
    return v;
}

int dimension(System s) { return s == System::Dirac3 ? 3 : 2; }
int critic_dimension(System s) { return s == System::Dirac3 ? 2 : 1; }
int state_dimension(const Params& p) {
    return dimension(p.system) * (1 + info(p.method).memory_factor);
}

const char* to_string(System s) {
    switch (s) {
        case System::Dirac3:
            return "dirac3";
        case System::Dirac2:
            return "dirac2";
        case System::Bilinear:
            return "bilinear";
    }
    return "dirac2";
}

const char* to_string(Method m) { return info(m).cli; }

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::Converges:
            return "converges";
        case Verdict::Cycles:
            return "cycles";
        case Verdict::Diverges:
            return "diverges";
    }
    return "diverges";
}

std::string to_string(TermSet t) {
    std::string out;
    for (const TermInfo& ti : term_table()) {
        if (!t.has(ti.term)) continue;
        if (!out.empty()) out += "+";
        out += ti.cli;
    }
    return out;
}

//-----------------------------------------------------------------------------
// [SECTION] Dual numbers
//-----------------------------------------------------------------------------
// Forward-mode dual numbers with up to 3 directions (the largest plain state). Nesting
// Dual<Dual<double>> gives second derivatives, which consensus needs: its field contains J.

namespace {

template <class T>
struct Dual {
    T v{};
    T d[3]{};
    Dual() = default;
    Dual(double c) : v(c) {}  // NOLINT: constants mix into expressions implicitly
};

template <class T>
Dual<T> operator+(const Dual<T>& a, const Dual<T>& b) {
    Dual<T> r;
    r.v = a.v + b.v;
    for (int i = 0; i < 3; ++i) r.d[i] = a.d[i] + b.d[i];
    return r;
}
template <class T>
Dual<T> operator-(const Dual<T>& a, const Dual<T>& b) {
    Dual<T> r;
    r.v = a.v - b.v;
    for (int i = 0; i < 3; ++i) r.d[i] = a.d[i] - b.d[i];
    return r;
}
template <class T>
Dual<T> operator-(const Dual<T>& a) {
    Dual<T> r;
    r.v = -a.v;
    for (int i = 0; i < 3; ++i) r.d[i] = -a.d[i];
    return r;
}
template <class T>
Dual<T> operator*(const Dual<T>& a, const Dual<T>& b) {
    Dual<T> r;
    r.v = a.v * b.v;
    for (int i = 0; i < 3; ++i) r.d[i] = a.d[i] * b.v + a.v * b.d[i];
    return r;
}
template <class T>
Dual<T> operator*(double c, const Dual<T>& a) {
    Dual<T> r;
    r.v = c * a.v;
    for (int i = 0; i < 3; ++i) r.d[i] = c * a.d[i];
    return r;
}
template <class T>
Dual<T> operator*(const Dual<T>& a, double c) {
    return c * a;
}
template <class T>
Dual<T> operator+(const Dual<T>& a, double c) {
    Dual<T> r = a;
    r.v = r.v + c;
    return r;
}
template <class T>
Dual<T> operator+(double c, const Dual<T>& a) {
    return a + c;
}
template <class T>
Dual<T> operator-(const Dual<T>& a, double c) {
    return a + (-c);
}
template <class T>
Dual<T>& operator+=(Dual<T>& a, const Dual<T>& b) {
    a = a + b;
    return a;
}
template <class T>
Dual<T>& operator-=(Dual<T>& a, const Dual<T>& b) {
    a = a - b;
    return a;
}

double value_of(double x) { return x; }
template <class T>
double value_of(const Dual<T>& x) {
    return value_of(x.v);
}

// Logistic function; exp() only ever sees a non-positive argument (no overflow, no inf/inf).
double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}
template <class T>
Dual<T> sigmoid(const Dual<T>& a) {
    Dual<T> r;
    r.v = sigmoid(a.v);
    // σ' = σ(x)σ(−x): the product keeps relative precision in the tails, where 1 − σ cancels.
    const T ds = r.v * sigmoid(-a.v);
    for (int i = 0; i < 3; ++i) r.d[i] = ds * a.d[i];
    return r;
}

//-----------------------------------------------------------------------------
// [SECTION] Noise rule
//-----------------------------------------------------------------------------

// Probabilists' Gauss–Hermite rule for N(0, 1) by Golub–Welsch: the nodes are the eigenvalues
// of the Hermite Jacobi matrix (off-diagonal √(k/2)), scaled by √2; the weights the squared
// first components of its eigenvectors (they sum to 1). Computed once.
struct Rule {
    std::vector<double> z, w;
};

const Rule& standard_rule() {
    static const Rule rule = [] {
        Mat jm = Mat::Zero(kNoiseNodes, kNoiseNodes);
        for (int k = 1; k < kNoiseNodes; ++k) jm(k, k - 1) = jm(k - 1, k) = std::sqrt(k / 2.0);
        Eigen::SelfAdjointEigenSolver<Mat> es(jm);
        Rule r;
        for (int i = 0; i < kNoiseNodes; ++i) {
            r.z.push_back(std::sqrt(2.0) * es.eigenvalues()(i));
            const double v0 = es.eigenvectors()(0, i);
            r.w.push_back(v0 * v0);
        }
        return r;
    }();
    return rule;
}

// The noise offsets ε_i = σ·z_i and weights; one node ε = 0 without noise.
Rule noise_rule(const Params& p) {
    if (!p.terms.has(Term::Noise) || p.sigma == 0) return Rule{{0.0}, {1.0}};
    Rule r = standard_rule();
    for (double& z : r.z) z *= p.sigma;
    return r;
}

//-----------------------------------------------------------------------------
// [SECTION] The field (templated on the scalar)
//-----------------------------------------------------------------------------

enum class Loss { Saturating, NonSaturating, Wasserstein };

Loss loss_of(const TermSet& t) {
    if (t.has(Term::Wgan) || t.has(Term::WganGp)) return Loss::Wasserstein;
    if (t.has(Term::NsGan)) return Loss::NonSaturating;
    return Loss::Saturating;
}

// f'(t): σ(−t) for f = log σ, 1 for f(t) = t.
template <class T>
T fprime(Loss loss, const T& t) {
    if (loss == Loss::Wasserstein) return T(1.0);
    return sigmoid(-t);
}

// The game field plus the critic's penalties (no consensus): critic ascends, generator
// descends (see the header for each system's L).
template <class T>
void game_field(const Params& p, const Rule& rule, const T* x, T* v) {
    if (p.system == System::Bilinear) {
        v[0] = x[1];
        v[1] = -x[0];
        return;
    }
    const Loss loss = loss_of(p.terms);
    const size_t nodes = rule.z.size();
    if (p.system == System::Dirac2) {
        // L = E f(ψ(θ+ε)) + E f(−ψ·ε).
        const T& psi = x[0];
        const T& theta = x[1];
        T vpsi(0.0), vtheta(0.0);
        for (size_t i = 0; i < nodes; ++i) {
            const double e = rule.z[i], w = rule.w[i];
            const T fake = theta + e;
            const T t = psi * fake;
            vpsi += w * (fake * fprime(loss, t) - e * fprime(loss, T(-e * psi)));
            // Saturating: −∂θ f(ψθ); non-saturating: +∂θ f(−ψθ). Both −ψ·f'(±t).
            vtheta -=
                w * (psi * (loss == Loss::NonSaturating ? fprime(loss, T(-t)) : fprime(loss, t)));
        }
        v[0] = vpsi;
        v[1] = vtheta;
    } else {
        // L = E f(C(ε)) + E f(−C(θ+ε)), C(x) = ψ0·x + ψ1.
        const T& psi0 = x[0];
        const T& psi1 = x[1];
        const T& theta = x[2];
        T v0(0.0), v1(0.0), v2(0.0);
        for (size_t i = 0; i < nodes; ++i) {
            const double e = rule.z[i], w = rule.w[i];
            const T fake = theta + e;
            const T cr = e * psi0 + psi1;
            const T cf = psi0 * fake + psi1;
            const T fr = fprime(loss, cr);
            const T ff = fprime(loss, T(-cf));
            v0 += w * (e * fr - fake * ff);
            v1 += w * (fr - ff);
            // Saturating: −∂θ f(−C(θ)) = ψ0·f'(−C); non-saturating: ∂θ f(C(θ)) = ψ0·f'(C).
            v2 += w * (psi0 * (loss == Loss::NonSaturating ? fprime(loss, cf) : ff));
        }
        v[0] = v0;
        v[1] = v1;
        v[2] = v2;
    }
    // Penalties act on the critic's slope ψ (ψ0), which is ∇x D everywhere.
    const T& slope = x[0];
    double weight = 0;
    if (p.terms.has(Term::R1)) weight += p.gamma;  // ∂ψ (γ/2)ψ²
    if (p.terms.has(Term::R2)) weight += p.gamma;
    if (p.terms.has(Term::WganGp)) weight += 2 * p.lambda;
    if (weight != 0) v[0] -= weight * slope;
    if (p.terms.has(Term::WganGp) && p.g0 != 0) {
        // ∂ψ λ(|ψ| − g0)² = 2λ(ψ − g0·sgn ψ): sgn is locally constant (a jump at ψ = 0,
        // where sgn 0 = 0 keeps the origin a zero of the field).
        const double s = value_of(slope) > 0 ? 1.0 : value_of(slope) < 0 ? -1.0 : 0.0;
        v[0] = v[0] + 2 * p.lambda * p.g0 * s;
    }
}

// The full field: with consensus v − γ_c·Jᵀv, J by one more dual level.
template <class T>
void full_field(const Params& p, const Rule& rule, const T* x, T* out) {
    const int n = dimension(p.system);
    if (!p.terms.has(Term::Consensus) || p.gamma_c == 0) {
        game_field(p, rule, x, out);
        return;
    }
    Dual<T> xd[3], vd[3];
    for (int i = 0; i < n; ++i) {
        xd[i].v = x[i];
        xd[i].d[i] = T(1.0);
    }
    game_field(p, rule, xd, vd);
    for (int j = 0; j < n; ++j) {
        T jtv(0.0);
        for (int i = 0; i < n; ++i) jtv += vd[i].d[j] * vd[i].v;
        out[j] = vd[j].v - p.gamma_c * jtv;
    }
}

void eval_field(const Params& p, const Rule& rule, const Vec& x, Vec* v, Mat* j) {
    const int n = dimension(p.system);
    if (v) {
        double xs[3], vs[3];
        for (int i = 0; i < n; ++i) xs[i] = x(i);
        full_field(p, rule, xs, vs);
        v->resize(n);
        for (int i = 0; i < n; ++i) (*v)(i) = vs[i];
    }
    if (j) {
        Dual<double> xd[3], vd[3];
        for (int i = 0; i < n; ++i) {
            xd[i].v = x(i);
            xd[i].d[i] = 1.0;
        }
        full_field(p, rule, xd, vd);
        j->resize(n, n);
        for (int r = 0; r < n; ++r)
            for (int c = 0; c < n; ++c) (*j)(r, c) = vd[r].d[c];
    }
}

void require_dim(const Vec& x, int n, const char* what) {
    require(x.size() == n, std::string(what) + " must have " + std::to_string(n) +
                               " components (got " + std::to_string(x.size()) + ")");
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Parsing and validation
//-----------------------------------------------------------------------------

Method parse_method(const std::string& cli) {
    std::string names;
    for (const MethodInfo& m : method_table()) {
        if (cli == m.cli) return m.method;
        names += names.empty() ? "" : ", ";
        names += m.cli;
    }
    throw std::invalid_argument("gan.method must be one of " + names + " (got '" + cli + "')");
}

System parse_system(const std::string& cli) {
    for (System s : {System::Dirac3, System::Dirac2, System::Bilinear})
        if (cli == to_string(s)) return s;
    throw std::invalid_argument("gan.system must be one of dirac3, dirac2, bilinear (got '" + cli +
                                "')");
}

TermSet parse_terms(const std::string& cli) {
    TermSet out;
    if (cli.empty() || cli == "none") return out;
    size_t start = 0;
    while (start <= cli.size()) {
        const size_t plus = cli.find('+', start);
        std::string name =
            cli.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        const TermInfo* found = nullptr;
        std::string names;
        for (const TermInfo& t : term_table()) {
            if (name == t.cli) found = &t;
            names += names.empty() ? "" : ", ";
            names += t.cli;
        }
        require(found != nullptr, "gan.regularizer: unknown term '" + name + "' (expected " +
                                      names + ", joined by '+')");
        require(!out.has(found->term), "gan.regularizer: term '" + name + "' is given twice");
        out.add(found->term);
        if (plus == std::string::npos) break;
        start = plus + 1;
    }
    return out;
}

void validate(const Params& p) {
    for (const KeySpec& k : key_table()) {
        const double v = get_param(p, k.key);
        const std::string key = k.key;
        // Finite first: NaN fails every comparison and would read as "must be > 0".
        require(std::isfinite(v), key + " must be a finite number (got " + show(v) + ")");
        if (k.zero_allowed && v == 0) continue;
        const bool low_ok = k.lo_open ? v > k.lo : v >= k.lo;
        const bool high_ok = k.hi_open ? v < k.hi : v <= k.hi;
        if (low_ok && high_ok) continue;
        const std::string range = std::string(k.lo_open ? "(" : "[") + show(k.lo) + ", " +
                                  show(k.hi) + (k.hi_open ? ")" : "]");
        std::string what;
        if (k.integer)
            what = "an integer in " + range;
        else if (k.lo_open && k.hi_open)
            what = "in " + range;
        else if (!low_ok)
            what = std::string(k.lo_open ? "> " : ">= ") + show(k.lo);
        else
            what = std::string(k.hi_open ? "< " : "<= ") + show(k.hi);
        if (k.zero_allowed) what += ", or 0 for \"= gan.lr\"";
        throw std::invalid_argument(key + " must be " + what + " (got " + show(v) + ")");
    }
    const int method = static_cast<int>(p.method);
    require(method >= 0 && method < static_cast<int>(method_table().size()),
            "gan.method is not a known method (" + std::to_string(method) + ")");
    const std::uint32_t known = (1u << term_table().size()) - 1;
    require((p.terms.bits & ~known) == 0, "gan.regularizer has unknown term bits");
    int objectives = 0;
    for (const TermInfo& t : term_table()) {
        if (!p.terms.has(t.term)) continue;
        objectives += t.objective ? 1 : 0;
        require(t.systems & system_bit(p.system), std::string("gan.regularizer: '") + t.cli +
                                                      "' does not apply to the " +
                                                      to_string(p.system) + " system");
        require(!t.needs_gan_loss || loss_of(p.terms) != Loss::Wasserstein,
                std::string("gan.regularizer: '") + t.cli +
                    "' needs the log loss (gan or nsgan): with f(t) = t it averages to nothing");
    }
    require(objectives <= 1, "gan.regularizer: at most one of gan, nsgan, wgan, wgan_gp (got '" +
                                 to_string(p.terms) + "')");
}

double get_param(const Params& p, const std::string& key) {
    if (key == "gan.lr") return p.lr;
    if (key == "gan.lr_d") return p.lr_d;
    if (key == "gan.lr_g") return p.lr_g;
    if (key == "gan.n_critic") return p.n_critic;
    if (key == "gan.beta") return p.beta;
    if (key == "gan.gamma") return p.gamma;
    if (key == "gan.sigma") return p.sigma;
    if (key == "gan.lambda") return p.lambda;
    if (key == "gan.g0") return p.g0;
    if (key == "gan.clip") return p.clip;
    if (key == "gan.gamma_c") return p.gamma_c;
    throw std::invalid_argument("unknown gan key '" + key + "'");
}

void set_param(Params& p, const std::string& key, double value) {
    if (key == "gan.lr")
        p.lr = value;
    else if (key == "gan.lr_d")
        p.lr_d = value;
    else if (key == "gan.lr_g")
        p.lr_g = value;
    else if (key == "gan.n_critic") {
        require(std::isfinite(value) && std::abs(value) < 1e9,
                "gan.n_critic must be an integer in [1, 100] (got " + show(value) + ")");
        p.n_critic = static_cast<int>(std::lround(value));
    } else if (key == "gan.beta")
        p.beta = value;
    else if (key == "gan.gamma")
        p.gamma = value;
    else if (key == "gan.sigma")
        p.sigma = value;
    else if (key == "gan.lambda")
        p.lambda = value;
    else if (key == "gan.g0")
        p.g0 = value;
    else if (key == "gan.clip")
        p.clip = value;
    else if (key == "gan.gamma_c")
        p.gamma_c = value;
    else
        throw std::invalid_argument("unknown gan key '" + key + "'");
}

//-----------------------------------------------------------------------------
// [SECTION] Field API
//-----------------------------------------------------------------------------

Vec velocity(const Params& p, const Vec& x) {
    validate(p);
    require_dim(x, dimension(p.system), "gan state");
    Vec v;
    eval_field(p, noise_rule(p), x, &v, nullptr);
    return v;
}

Mat jacobian(const Params& p, const Vec& x) {
    validate(p);
    require_dim(x, dimension(p.system), "gan state");
    Mat j;
    eval_field(p, noise_rule(p), x, nullptr, &j);
    return j;
}

Mat jacobian_fd(const Params& p, const Vec& x, double h) {
    validate(p);
    require_dim(x, dimension(p.system), "gan state");
    require(std::isfinite(h) && h > 0, "jacobian_fd step must be > 0 (got " + show(h) + ")");
    const Rule rule = noise_rule(p);
    const int n = static_cast<int>(x.size());
    Mat j(n, n);
    for (int c = 0; c < n; ++c) {
        Vec plus = x, minus = x, vp, vm;
        plus(c) += h;
        minus(c) -= h;
        eval_field(p, rule, plus, &vp, nullptr);
        eval_field(p, rule, minus, &vm, nullptr);
        j.col(c) = (vp - vm) / (2 * h);
    }
    return j;
}

Vec equilibrium(const Params& p) { return Vec::Zero(dimension(p.system)); }

double gauss_hermite_expectation(double sigma, const std::function<double(double)>& g) {
    require(std::isfinite(sigma) && sigma >= 0, "gan.sigma must be >= 0 (got " + show(sigma) + ")");
    const Rule& r = standard_rule();
    double sum = 0;
    for (size_t i = 0; i < r.z.size(); ++i) sum += r.w[i] * g(sigma * r.z[i]);
    return sum;
}

//-----------------------------------------------------------------------------
// [SECTION] Step map (values and chain-rule derivatives together)
//-----------------------------------------------------------------------------

namespace {

// A value with its derivative with respect to the augmented state z (n × N), or with an
// empty derivative when only values are wanted.
struct Tracked {
    Vec val;
    Mat d;
};

struct Stepper {
    const Params& p;
    Rule rule;
    bool want;  // derivatives wanted
    int n, nc;
    Vec eta;     // η_D on the critic coordinates, η_G on the generator's
    Vec critic;  // 1 on the critic coordinates
    Vec gen;     // 1 on the generator coordinates

    Stepper(const Params& params, bool want_d) : p(params), rule(noise_rule(params)), want(want_d) {
        n = dimension(p.system);
        nc = critic_dimension(p.system);
        const double eta_d = p.lr_d > 0 ? p.lr_d : p.lr;
        const double eta_g = p.lr_g > 0 ? p.lr_g : p.lr;
        eta = Vec::Constant(n, eta_g);
        eta.head(nc).setConstant(eta_d);
        critic = Vec::Zero(n);
        critic.head(nc).setOnes();
        gen = Vec::Ones(n) - critic;
    }

    Tracked field(const Tracked& x) const {
        Tracked out;
        if (want) {
            Mat j;
            eval_field(p, rule, x.val, &out.val, &j);
            out.d = j * x.d;
        } else {
            eval_field(p, rule, x.val, &out.val, nullptr);
        }
        return out;
    }

    // a + diag(c)·b
    Tracked axpy(const Tracked& a, const Vec& c, const Tracked& b) const {
        Tracked out{a.val + c.cwiseProduct(b.val), Mat()};
        if (want) out.d = a.d + c.asDiagonal() * b.d;
        return out;
    }
    Tracked axpy(const Tracked& a, double c, const Tracked& b) const {
        return axpy(a, Vec::Constant(n, c), b);
    }
    Tracked scale(const Vec& c, const Tracked& a) const {
        Tracked out{c.cwiseProduct(a.val), Mat()};
        if (want) out.d = c.asDiagonal() * a.d;
        return out;
    }

    // Weight clipping: the critic coordinates onto [−c, c]; a clamped coordinate no longer
    // depends on anything (its derivative row is 0).
    Tracked project(Tracked x) const {
        if (!p.terms.has(Term::Wgan)) return x;
        for (int i = 0; i < nc; ++i) {
            if (std::abs(x.val(i)) <= p.clip) continue;
            x.val(i) = x.val(i) > 0 ? p.clip : -p.clip;
            if (want) x.d.row(i).setZero();
        }
        return x;
    }

    // One step on the augmented z; *jac (if wanted) receives its N × N Jacobian.
    Vec run(const Vec& z, Mat* jac) const {
        const int N = static_cast<int>(z.size());
        const Mat id = Mat::Identity(N, N);
        Tracked x{z.head(n), want ? Mat(id.topRows(n)) : Mat()};
        Tracked aux;
        if (N > n) aux = Tracked{z.tail(n), want ? Mat(id.bottomRows(n)) : Mat()};
        Tracked x_new, aux_new;
        const double h = p.lr;
        switch (p.method) {
            case Method::Flow: {
                const Tracked k1 = field(x);
                const Tracked k2 = field(axpy(x, 0.5 * h, k1));
                const Tracked k3 = field(axpy(x, 0.5 * h, k2));
                const Tracked k4 = field(axpy(x, h, k3));
                Tracked sum = axpy(axpy(axpy(k1, 2.0, k2), 2.0, k3), 1.0, k4);
                x_new = project(axpy(x, h / 6.0, sum));
                break;
            }
            case Method::Simultaneous:
            case Method::Ttur:
                x_new = project(axpy(x, eta, field(x)));
                break;
            case Method::Alternating: {
                Tracked y = x;
                const Vec ec = eta.cwiseProduct(critic), eg = eta.cwiseProduct(gen);
                for (int k = 0; k < p.n_critic; ++k) y = project(axpy(y, ec, field(y)));
                x_new = axpy(y, eg, field(y));
                break;
            }
            case Method::Extragradient: {
                const Tracked half = project(axpy(x, eta, field(x)));
                x_new = project(axpy(x, eta, field(half)));
                break;
            }
            case Method::Optimistic:
                x_new = project(axpy(axpy(x, 2.0 * eta, field(x)), -eta, field(aux)));
                aux_new = x;
                break;
            case Method::HeavyBall: {
                const Tracked m = axpy(scale(Vec::Constant(n, p.beta), aux), eta, field(x));
                x_new = project(axpy(x, 1.0, m));
                aux_new = m;
                break;
            }
            case Method::AltMomentum: {
                const Tracked md =
                    axpy(scale(p.beta * critic, aux), eta.cwiseProduct(critic), field(x));
                const Tracked x1 = project(axpy(x, 1.0, md));
                const Tracked mg = axpy(scale(p.beta * gen, aux), eta.cwiseProduct(gen), field(x1));
                x_new = axpy(x1, 1.0, mg);
                aux_new = axpy(md, 1.0, mg);
                break;
            }
        }
        Vec out(N);
        out.head(n) = x_new.val;
        if (N > n) out.tail(n) = aux_new.val;
        if (jac) {
            jac->resize(N, N);
            jac->topRows(n) = x_new.d;
            if (N > n) jac->bottomRows(n) = aux_new.d;
        }
        return out;
    }
};

void require_augmented(const Params& p, const Vec& z) {
    require_dim(z, state_dimension(p),
                (std::string("gan state for ") + to_string(p.method)).c_str());
}

}  // namespace

Vec augment(const Params& p, const Vec& x) {
    validate(p);  // state_dimension() indexes the method table
    const int n = dimension(p.system), N = state_dimension(p);
    if (x.size() == N) return x;
    require_dim(x, n, "gan start");
    Vec z(N);
    z.head(n) = x;
    if (N > n) {
        // Optimistic starts with x_prev = x (its first step is plain GDA); momentum at rest.
        if (p.method == Method::Optimistic)
            z.tail(n) = x;
        else
            z.tail(n).setZero();
    }
    return z;
}

Vec augmented_equilibrium(const Params& p) { return augment(p, equilibrium(p)); }

Vec step(const Params& p, const Vec& z) {
    validate(p);
    require_augmented(p, z);
    return Stepper(p, false).run(z, nullptr);
}

Mat step_jacobian(const Params& p, const Vec& z) {
    validate(p);
    require_augmented(p, z);
    Mat j;
    Stepper(p, true).run(z, &j);
    return j;
}

Mat step_jacobian_fd(const Params& p, const Vec& z, double h) {
    validate(p);
    require_augmented(p, z);
    require(std::isfinite(h) && h > 0, "step_jacobian_fd step must be > 0 (got " + show(h) + ")");
    const Stepper s(p, false);
    const int N = static_cast<int>(z.size());
    Mat j(N, N);
    for (int c = 0; c < N; ++c) {
        Vec plus = z, minus = z;
        plus(c) += h;
        minus(c) -= h;
        j.col(c) = (s.run(plus, nullptr) - s.run(minus, nullptr)) / (2 * h);
    }
    return j;
}

//-----------------------------------------------------------------------------
// [SECTION] Spectra, trajectories, sweeps
//-----------------------------------------------------------------------------

std::vector<Complex> eigenvalues(const Mat& m) {
    require(m.rows() == m.cols(), "eigenvalues need a square matrix");
    std::vector<Complex> out;
    if (m.rows() == 0) return out;
    require(m.allFinite(), "eigenvalues need a finite matrix");
    Eigen::EigenSolver<Mat> solver(m, false);
    require(solver.info() == Eigen::Success, "eigenvalue iteration did not converge");
    // Rounding leaves ~1e-17 crumbs where the answer is 0; cleaning keeps the sort stable.
    auto clean = [](double v) { return std::abs(v) < 1e-14 ? 0.0 : v; };
    for (Eigen::Index i = 0; i < solver.eigenvalues().size(); ++i) {
        const Complex z = solver.eigenvalues()(i);
        out.emplace_back(clean(z.real()), clean(z.imag()));
    }
    std::sort(out.begin(), out.end(), [](const Complex& a, const Complex& b) {
        return a.real() != b.real() ? a.real() < b.real() : a.imag() < b.imag();
    });
    return out;
}

double spectral_radius(const std::vector<Complex>& eigs) {
    double r = 0;
    for (const Complex& z : eigs) r = std::max(r, std::abs(z));
    return r;
}

Spectrum analyze(const Params& p, double tol) {
    validate(p);
    require(std::isfinite(tol) && tol >= 0 && tol < 1,
            "analyze tolerance must be in [0, 1) (got " + show(tol) + ")");
    Spectrum s;
    s.field_eigenvalues = eigenvalues(jacobian(p, equilibrium(p)));
    s.step_eigenvalues = eigenvalues(step_jacobian(p, augmented_equilibrium(p)));
    s.max_real = -std::numeric_limits<double>::infinity();
    for (const Complex& z : s.field_eigenvalues) s.max_real = std::max(s.max_real, z.real());
    s.radius = spectral_radius(s.step_eigenvalues);
    if (info(p.method).discrete) {
        s.verdict = s.radius < 1 - tol    ? Verdict::Converges
                    : s.radius <= 1 + tol ? Verdict::Cycles
                                          : Verdict::Diverges;
        s.rate = -std::log(s.radius);
    } else {
        s.verdict = s.max_real < -tol   ? Verdict::Converges
                    : s.max_real <= tol ? Verdict::Cycles
                                        : Verdict::Diverges;
        s.rate = -s.max_real;
    }
    if (p.terms.has(Term::WganGp) && p.g0 > 0 && p.lambda > 0) {
        s.smooth = false;
        s.verdict = Verdict::Diverges;
        s.rate = std::numeric_limits<double>::quiet_NaN();
        s.note =
            "wgan_gp with g0 > 0: the penalty gradient jumps by 4*lambda*g0 across psi = 0 and "
            "points away from it on both sides, so the equilibrium repels; the eigenvalues are "
            "the one-sided (psi -> 0+) ones";
    }
    return s;
}

Trajectory integrate(const Params& p, const Vec& start, int steps) {
    validate(p);
    require(steps >= 0 && steps <= 10000000,
            "gan.steps must be in [0, 10000000] (got " + std::to_string(steps) + ")");
    const Stepper stepper(p, false);
    Trajectory t;
    Vec z = augment(p, start);
    t.states.reserve(static_cast<size_t>(steps) + 1);
    t.states.push_back(z);
    for (int k = 1; k <= steps; ++k) {
        Vec next = stepper.run(z, nullptr);
        // NaN fails the comparison, so a non-finite state counts as runaway too.
        if (!(next.allFinite() && next.norm() <= kRunawayNorm)) {
            t.diverged = true;
            t.diverged_at = k;
            break;
        }
        z = next;
        t.states.push_back(z);
        t.steps = k;
    }
    return t;
}

double distance_to_equilibrium(const Params& p, const Vec& z) {
    const int n = dimension(p.system);
    require(z.size() >= n, "gan state has too few components");
    return (z.head(n) - equilibrium(p)).norm();
}

std::vector<SweepPoint> sweep(const Params& p, const std::string& key, double lo, double hi,
                              int count) {
    require(find_key(key) != nullptr, "gan.sweep: unknown key '" + key + "'");
    require(count >= 2 && count <= 100000,
            "gan.sweep count must be in [2, 100000] (got " + std::to_string(count) + ")");
    require(std::isfinite(lo) && std::isfinite(hi) && lo <= hi,
            "gan.sweep range for " + key + " must be finite with lo <= hi (got [" + show(lo) +
                ", " + show(hi) + "])");
    std::vector<SweepPoint> out;
    Params q = p;
    for (int i = 0; i < count; ++i) {
        // The last value is hi exactly, not lo + (count−1)·step, which can land an ulp short.
        const double v = i == count - 1 ? hi : lo + (hi - lo) * i / (count - 1);
        set_param(q, key, v);
        out.push_back({get_param(q, key), analyze(q)});
    }
    return out;
}

}  // namespace genlab::gan_methods
