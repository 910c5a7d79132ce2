#include "gan_model.hpp"

#include <cmath>

#include "fields.hpp"
#include "format.hpp"
#include "scene_gan.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "gan";

template <typename Enum>
Enum enum_from(const std::string& word, std::initializer_list<Enum> all) {
    for (Enum e : all) {
        if (word == gan::to_string(e)) return e;
    }
    return *all.begin();
}

namespace gm = gan_methods;

constexpr gm::System kSystems[] = {gm::System::Dirac3, gm::System::Dirac2, gm::System::Bilinear};

std::vector<std::string> method_names() {
    std::vector<std::string> out;
    for (const gm::MethodInfo& m : gm::method_table()) out.push_back(m.cli);
    return out;
}

std::vector<std::string> names(std::initializer_list<const char*> words) {
    return std::vector<std::string>(words.begin(), words.end());
}

// The components of a start as given, checked: 2 or 3 finite numbers within ±kStartLimit.
std::vector<double> start_values(const Json& value, gan::System system, const std::string& what) {
    const std::string expected =
        system == gan::System::Dirac
            ? "[psi0, psi1, theta] (or [d, g] / [psi, theta]), finite numbers"
            : "[d, g] / [psi, theta] (or [psi0, psi1, theta]), finite numbers";
    if (!value.is_array() || (value.size() != 2 && value.size() != 3)) {
        throw UserError(what + " must be " + expected + " (got " + value.dump() + ")");
    }
    std::vector<double> v;
    for (const Json& x : value) {
        if (!x.is_number() || !std::isfinite(x.get<double>()) ||
            std::abs(x.get<double>()) > gan_keys::kStartLimit) {
            static_assert(gan_keys::kStartLimit == 1e6, "the message below spells the limit");
            throw UserError(what + " must be " + expected + " within ±1e6 (got " + value.dump() +
                            ")");
        }
        v.push_back(x.get<double>());
    }
    return v;
}

// A start for `system`, mapped by role when it has the other system's dimension.
gan::State start_from(const Json& value, gan::System system, const std::string& what) {
    const std::vector<double> v = start_values(value, system, what);
    gan::State s(static_cast<int>(v.size()));
    for (size_t i = 0; i < v.size(); ++i) s[static_cast<int>(i)] = v[i];
    return gan_start_for(s, system);
}

Json state_json(const gan::State& s) {
    Json a = Json::array();
    for (int i = 0; i < s.size(); ++i) a.push_back(s[i]);
    return a;
}

}  // namespace

const char* gan_system_key(gm::System s) {
    return s == gm::System::Dirac3 ? "dirac" : gm::to_string(s);
}

gan::System gan_layout(gm::System s) {
    return s == gm::System::Dirac3 ? gan::System::Dirac : gan::System::Bilinear;
}

gm::TermSet gan_main_terms(gan::Loss loss, const std::string& regularizer, gm::System system) {
    const gm::TermSet given = gm::parse_terms(regularizer);
    gm::TermSet out;
    const std::uint32_t bit = gm::system_bit(system);
    for (const gm::TermInfo& t : gm::term_table()) {
        if (given.has(t.term) && (t.systems & bit)) out.add(t.term);
    }
    if (system != gm::System::Bilinear && !out.has(gm::Term::Wgan) && !out.has(gm::Term::WganGp)) {
        out.add(loss == gan::Loss::Saturating ? gm::Term::Gan : gm::Term::NsGan);
    }
    return out;
}

std::optional<gan::Params> gan_legacy(const gm::Params& p) {
    if (p.system == gm::System::Dirac2) return std::nullopt;
    gan::Params l;
    l.system = gan_layout(p.system);
    l.lr = p.lr;
    l.n_critic = p.n_critic;
    switch (p.method) {
        case gm::Method::Flow:
            l.method = gan::Method::Flow;
            break;
        case gm::Method::Simultaneous:
        case gm::Method::Ttur:
            l.method = gan::Method::Simultaneous;
            break;
        case gm::Method::Alternating:
            l.method = gan::Method::Alternating;
            break;
        default:
            return std::nullopt;
    }
    // The old core steps both players with lr (flow ignores lr_d and lr_g).
    const auto same_lr = [&](double x) { return x == 0 || x == p.lr; };
    if (p.method != gm::Method::Flow && !(same_lr(p.lr_d) && same_lr(p.lr_g))) {
        return std::nullopt;
    }
    gm::TermSet rest = p.terms;
    if (p.system == gm::System::Bilinear) {
        if (rest.bits != 0) return std::nullopt;
        return l;
    }
    const bool r1 = rest.has(gm::Term::R1);
    l.gamma = r1 ? p.gamma : 0.0;
    l.loss = rest.has(gm::Term::NsGan) ? gan::Loss::NonSaturating : gan::Loss::Saturating;
    gm::TermSet allowed;
    allowed.add(gm::Term::Gan).add(gm::Term::NsGan).add(gm::Term::R1);
    if ((rest.bits & ~allowed.bits) != 0) return std::nullopt;
    if (rest.has(gm::Term::Gan) && rest.has(gm::Term::NsGan)) return std::nullopt;
    return l;
}

gan::State gan_start_for(const gan::State& start, gan::System system) {
    const int dim = gan::dimension(system);
    if (start.size() == dim) return start;
    gan::State s(dim);
    if (dim == 2) {
        s << start[0], start[2];  // d ← ψ0, g ← θ
    } else {
        s << start[0], 0.0, start[1];  // ψ0 ← d, ψ1 = 0, θ ← g
    }
    return s;
}

void gan_check_start(const gan::State& start, gan::System system, const std::string& what) {
    Json values = Json::array();
    for (int i = 0; i < start.size(); ++i) values.push_back(start[i]);
    if (start.size() != gan::dimension(system)) {
        throw UserError(what + " must have " + std::to_string(gan::dimension(system)) +
                        " components for the " + gan::to_string(system) + " system (got " +
                        values.dump() + ")");
    }
    start_values(values, system, what);
}

Json GanModel::defaults() const {
    Json d = Json{{"system", "dirac"},
                  {"loss", "saturating"},
                  {"method", "simultaneous"},
                  {"regularizer", "r1"},
                  {"n_critic", gan_keys::n_critic.def},
                  {"lr", gan_keys::lr.def},
                  {"gamma", gan_keys::gamma.def},
                  {"start", Json::array({1.0, 0.0, 1.0})},
                  {"steps", gan_keys::steps.def},
                  {"steps_per_second", gan_keys::steps_per_second.def},
                  {"plane", "theta-psi0"},
                  {"extra_starts", Json::array()},
                  {"manual", ""},
                  {"sweep", "gamma"}};
    gan_grid_defaults(d);
    return d;
}

GanParams gan_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    GanParams p;
    const std::string system = f.word("system", names({"dirac", "dirac2", "bilinear"}));
    for (gm::System s : kSystems) {
        if (system == gan_system_key(s)) p.run.system = s;
    }
    p.sim.system = gan_layout(p.run.system);
    p.sim.loss = enum_from(f.word("loss", names({"saturating", "non-saturating"})),
                           {gan::Loss::Saturating, gan::Loss::NonSaturating});
    p.run.method = gm::parse_method(f.word("method", method_names()));
    p.sim.method =
        enum_from(gm::to_string(p.run.method),
                  {gan::Method::Simultaneous, gan::Method::Flow, gan::Method::Alternating});
    {
        const Json& r = f.at("regularizer");
        const std::string expected =
            "terms joined by +: at most one of wgan, wgan_gp (gan, nsgan: see gan.loss), then any "
            "of noise, r1, r2, consensus, e.g. \"wgan_gp+r1\"; \"\" for none";
        if (!r.is_string()) f.fail("regularizer", expected);
        gm::TermSet given;
        try {
            given = gm::parse_terms(r.get<std::string>());
        } catch (const std::invalid_argument& e) {
            throw UserError(e.what());
        }
        int objectives = 0;
        for (const gm::TermInfo& t : gm::term_table())
            objectives += given.has(t.term) && t.objective;
        if (objectives > 1) f.fail("regularizer", expected);
        // gan / nsgan are gan.loss's two values: stored there, so the two keys cannot disagree.
        if (given.has(gm::Term::Gan)) p.sim.loss = gan::Loss::Saturating;
        if (given.has(gm::Term::NsGan)) p.sim.loss = gan::Loss::NonSaturating;
        gm::TermSet kept;
        for (const gm::TermInfo& t : gm::term_table()) {
            if (given.has(t.term) && t.term != gm::Term::Gan && t.term != gm::Term::NsGan) {
                kept.add(t.term);
            }
        }
        p.regularizer = gm::to_string(kept);
    }
    p.sim.n_critic = static_cast<int>(f.integer(gan_keys::n_critic));
    p.sim.lr = f.number(gan_keys::lr);
    p.sim.gamma = f.number(gan_keys::gamma);
    p.start = start_from(f.at("start"), p.sim.system, f.name("start"));
    p.steps = static_cast<int>(f.integer(gan_keys::steps));
    p.steps_per_second = f.number(gan_keys::steps_per_second);
    p.plane = f.word("plane", names({"theta-psi0", "theta-psi1", "psi1-psi0"}));
    const Json& extra = f.at("extra_starts");
    if (!extra.is_array() || extra.size() > gan_keys::kMaxExtraStarts) {
        f.fail("extra_starts", "a list of at most " + std::to_string(gan_keys::kMaxExtraStarts) +
                                   " starts, each like start");
    }
    for (size_t i = 0; i < extra.size(); ++i) {
        p.extra_starts.push_back(start_from(
            extra[i], p.sim.system, f.name("extra_starts") + "[" + std::to_string(i) + "]"));
    }
    p.sweep = f.word("sweep", gan_keys::kSweepKeys);
    const Json& manual = f.at("manual");
    if (!manual.is_string()) f.fail("manual", "a string of D and G (Step D / Step G presses)");
    p.manual = manual.get<std::string>();
    try {
        gan_check_manual(p.manual);
    } catch (const UserError&) {
        f.fail("manual", "a string of D and G (Step D / Step G presses), at most " +
                             std::to_string(gan_keys::kMaxManualSteps) + " long");
    }
    p.grid = gan_grid_from_json(state, p.sim);
    p.run = [&] {
        gm::Params run = p.grid.base;  // every parameter; lr, gamma, n_critic from sim
        run.system = p.run.system;
        run.method = p.run.method;
        run.terms = gan_main_terms(p.sim.loss, p.regularizer, run.system);
        return run;
    }();
    try {
        gm::validate(p.run);
        if (const std::optional<gan::Params> legacy = gan_legacy(p.run)) gan::validate(*legacy);
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
    gan_check_work(p);
    return p;
}

void gan_check_manual(const std::string& manual) {
    const bool letters = manual.find_first_not_of("DG") == std::string::npos;
    if (!letters || manual.size() > static_cast<size_t>(gan_keys::kMaxManualSteps)) {
        throw UserError(
            "gan.manual must be a string of D and G (Step D / Step G presses), at "
            "most " +
            std::to_string(gan_keys::kMaxManualSteps) + " long (got " +
            (letters ? std::to_string(manual.size()) + " presses"
                     : "'" + manual.substr(0, 20) + "'") +
            ")");
    }
}

double gan_work_units(const GanParams& p) {
    const bool alternating = p.run.method == gm::Method::Alternating;
    const double per_run = static_cast<double>(p.steps) * (alternating ? p.sim.n_critic : 1);
    const double extras = static_cast<double>(p.extra_starts.size());
    if (gan_legacy(p.run)) return per_run * (1 + extras / 16);
    // gan_methods: one start at a time (no lanes), a heap vector per field evaluation.
    const double evaluations = p.run.method == gm::Method::Flow            ? 4
                               : p.run.method == gm::Method::Extragradient ? 2
                                                                           : 1;
    const double noise = p.run.terms.has(gm::Term::Noise) ? 2 : 1;
    return per_run * evaluations * noise * kGanMethodsStepCost * (1 + extras);
}

void gan_check_work(const GanParams& p) {
    const double units = gan_work_units(p);
    if (units <= kGanWorkBudget) return;
    const bool legacy = gan_legacy(p.run).has_value();
    throw UserError(
        "gan: " + std::to_string(p.steps) + " steps" +
        (p.run.method == gm::Method::Alternating ? " × n_critic " + std::to_string(p.sim.n_critic)
                                                 : std::string()) +
        " of " + gm::to_string(p.run.method) + " with " + std::to_string(p.extra_starts.size()) +
        " extra starts is " + format_g(units, 3) + " units of work (" +
        (legacy ? "steps × n_critic × (1 + extra starts / 16)"
                : "steps × n_critic × field evaluations per step × " +
                      format_g(kGanMethodsStepCost) + " × (1 + extra starts)") +
        "), over the budget of " + format_g(kGanWorkBudget, 3) +
        " that keeps a change within about a second; lower gan.steps, gan.n_critic or "
        "the number of gan.extra_starts");
}

Json gan_params_to_json(const GanParams& p) {
    Json extra = Json::array();
    for (const gan::State& s : p.extra_starts) extra.push_back(state_json(s));
    Json out = Json{{"system", gan_system_key(p.run.system)},
                    {"loss", gan::to_string(p.sim.loss)},
                    {"method", gm::to_string(p.run.method)},
                    {"regularizer", p.regularizer},
                    {"n_critic", p.sim.n_critic},
                    {"lr", p.sim.lr},
                    {"gamma", p.sim.gamma},
                    {"start", state_json(p.start)},
                    {"steps", p.steps},
                    {"steps_per_second", p.steps_per_second},
                    {"plane", p.plane},
                    {"extra_starts", extra},
                    {"manual", p.manual},
                    {"sweep", p.sweep}};
    gan_grid_to_json(p.grid, out);
    return out;
}

Json GanModel::normalize(const Json& state) const {
    return gan_params_to_json(gan_params_from_json(state));
}

std::unique_ptr<Scene> GanModel::make_scene() const { return std::make_unique<GanScene>(); }

Json GanModel::key_specs() const {
    Json keys = Json::array({key_json(gan_keys::n_critic), key_json(gan_keys::lr),
                             key_json(gan_keys::gamma), key_json(gan_keys::steps),
                             key_json(gan_keys::steps_per_second)});
    for (const NumberKey& k : grid_keys()) keys.push_back(key_json(k));
    return keys;
}

}  // namespace genlab
