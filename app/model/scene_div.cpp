// The Divergences scene. See scene_div.hpp.
#include "scene_div.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "errors.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace {

div::Mixture& mixture(DivParams& p, int which) { return which == 0 ? p.p0 : p.p1; }

bool same_mixture(const div::Mixture& a, const div::Mixture& b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k)
        if (a[k].weight != b[k].weight || a[k].mean != b[k].mean || a[k].cov != b[k].cov)
            return false;
    return true;
}

bool same_training(const div::TrainOptions& a, const div::TrainOptions& b) {
    return a.kind == b.kind && a.hidden == b.hidden && a.lr == b.lr && a.batch == b.batch &&
           a.train_size == b.train_size && a.decay == b.decay && a.seed == b.seed;
}

// D*'s logit c0 + c1·x + c2·x² when p0 and p1 are single Gaussians (else empty).
std::optional<Eigen::Vector3d> optimal_coefficients(const div::Mixture& p0,
                                                    const div::Mixture& p1) {
    if (p0.size() != 1 || p1.size() != 1) return std::nullopt;
    const double m0 = p0[0].mean(0), v0 = p0[0].cov(0, 0), m1 = p1[0].mean(0), v1 = p1[0].cov(0, 0);
    return Eigen::Vector3d(0.5 * std::log(v0 / v1) - m1 * m1 / (2 * v1) + m0 * m0 / (2 * v0),
                           m1 / v1 - m0 / v0, 1 / (2 * v0) - 1 / (2 * v1));
}

Json value_json(const div::Value& v) {
    return Json{
        {"value", number_or_inf(v.value)}, {"error", number_or_inf(v.error)}, {"finite", v.finite}};
}

}  // namespace

DivScene::DivScene() { set_state(div_model().normalize(div_model().defaults())); }

void DivScene::commit(const DivParams& next) {
    as_user_error([&] {
        div::validate(next.p0, "div.p0");
        div::validate(next.p1, "div.p1");
        div::validate(next.train);
        div::validate_alpha(next.alpha, "div.alpha");
        return 0;
    });
    check_div_work(next);
    const bool densities = !same_mixture(params_.p0, next.p0) || !same_mixture(params_.p1, next.p1);
    const bool exact = densities || params_.alpha != next.alpha;
    const bool training =
        densities || !same_training(params_.train, next.train) || params_.steps != next.steps;
    const bool estimates = exact || training || params_.jsd_samples != next.jsd_samples;
    const bool view = params_.f != next.f;
    exact_dirty_ |= exact;
    training_dirty_ |= training;
    estimates_dirty_ |= estimates;
    params_ = next;
    if (estimates || view) touch();
}

template <class Change>
void DivScene::edit(Change&& change) {
    DivParams next = params_;
    change(next);
    commit(next);
}

void DivScene::set_state(const Json& normalized) {
    commit(div_params_from_json(normalized));
    playing_ = false;
    shown_ = kSnapshots;
}

void DivScene::update() {
    if (exact_dirty_) {
        const auto [lo, hi] = div::plot_range(params_.p0, params_.p1);
        curves_ = div::curves(params_.p0, params_.p1, lo, hi, kGridPoints);
        jsd_ = div::jsd(params_.p0, params_.p1);
        rows_.clear();
        for (const div::FDivergence& f : div::f_divergences()) {
            FRow r;
            r.value = div::divergence(f, params_.alpha, params_.p0, params_.p1);
            r.bound_optimal = div::bound_optimal(f, params_.alpha, params_.p0, params_.p1);
            rows_.push_back(r);
        }
        exact_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Exact)];
    }
    if (training_dirty_) {
        run_ = div::start_training(params_.p0, params_.p1, params_.train);
        snapshots_ = {run_.disc};
        snapshot_steps_ = {0};
        for (int k = 1; k <= kSnapshots; ++k) {
            const int target =
                static_cast<int>(static_cast<long long>(params_.steps) * k / kSnapshots);
            div::train_steps(run_, params_.train, target - run_.t);
            snapshots_.push_back(run_.disc);
            snapshot_steps_.push_back(run_.t);
        }
        training_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Training)];
    }
    if (estimates_dirty_) {
        const std::uint64_t seed = params_.train.seed;
        estimate_ =
            div::estimate_jsd(run_.disc, params_.p0, params_.p1, params_.jsd_samples, seed + 1);
        oracle_ = div::estimate_jsd_optimal(params_.p0, params_.p1, params_.jsd_samples, seed + 1);
        const div::Discriminator& d = run_.disc;
        for (size_t i = 0; i < div::f_divergences().size(); ++i) {
            const div::FDivergence& f = div::f_divergences()[i];
            rows_[i].bound_trained =
                div::bound(f, params_.alpha, params_.p0, params_.p1, [&](double x) {
                    return div::critic_from_log_ratio(f, params_.alpha, div::logit(d, x));
                });
        }
        gen_x_ = div::sample(params_.p0, kGeneratorSamples, seed + 2);
        std::sort(gen_x_.begin(), gen_x_.end());
        estimates_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Estimates)];
    }
}

const div::Curves& DivScene::curves() {
    update();
    return curves_;
}
const div::Value& DivScene::jsd_exact() {
    update();
    return jsd_;
}
const std::vector<DivScene::FRow>& DivScene::f_rows() {
    update();
    return rows_;
}
const div::Training& DivScene::training() {
    update();
    return run_;
}
const div::Discriminator& DivScene::trained() {
    update();
    return run_.disc;
}
const div::Discriminator& DivScene::shown() {
    update();
    return snapshots_[static_cast<size_t>(shown_)];
}
const div::Estimate& DivScene::jsd_estimate() {
    update();
    return estimate_;
}
const div::Estimate& DivScene::jsd_oracle() {
    update();
    return oracle_;
}
const std::vector<double>& DivScene::generator_samples() {
    update();
    return gen_x_;
}

//-----------------------------------------------------------------------------
// Setters: edit a copy, commit it in one place.
//-----------------------------------------------------------------------------

void DivScene::set_component(int which, int k, double weight, double mean, double sd) {
    check_range(div_keys::weight, weight);
    check_range(div_keys::mean, mean);
    check_range(div_keys::std_dev, sd);
    edit([&](DivParams& next) {
        mixture(next, which).at(static_cast<size_t>(k)) = div::component(weight, mean, sd);
    });
}
void DivScene::add_component(int which) {
    if (mixture(params_, which).size() >= static_cast<size_t>(kDivMaxComponents)) return;
    edit([&](DivParams& next) {
        div::Mixture& p = mixture(next, which);
        p.push_back(div::component(1, std::min(p.back().mean(0) + 2, div_keys::mean.hi), 1));
    });
}
void DivScene::remove_component(int which) {
    if (mixture(params_, which).size() <= 1) return;
    edit([&](DivParams& next) { mixture(next, which).pop_back(); });
}
void DivScene::set_discriminator(div::DiscKind kind) {
    edit([&](DivParams& next) { next.train.kind = kind; });
}
void DivScene::set_hidden(int hidden) {
    check_range(div_keys::hidden, hidden);
    edit([&](DivParams& next) { next.train.hidden = hidden; });
}
void DivScene::set_lr(double lr) {
    check_range(div_keys::lr, lr);
    edit([&](DivParams& next) { next.train.lr = lr; });
}
void DivScene::set_batch(int batch) {
    check_range(div_keys::batch, batch);
    edit([&](DivParams& next) { next.train.batch = batch; });
}
void DivScene::set_train_size(int n) {
    check_range(div_keys::train_size, n);
    edit([&](DivParams& next) { next.train.train_size = n; });
}
void DivScene::set_decay(double decay) {
    check_range(div_keys::decay, decay);
    edit([&](DivParams& next) { next.train.decay = decay; });
}
void DivScene::set_seed(int seed) {
    check_range(div_keys::seed, seed);
    edit([&](DivParams& next) { next.train.seed = static_cast<std::uint64_t>(seed); });
}
void DivScene::set_steps(int steps) {
    check_range(div_keys::steps, steps);
    edit([&](DivParams& next) { next.steps = steps; });
}
void DivScene::set_jsd_samples(int n) {
    check_range(div_keys::jsd_samples, n);
    edit([&](DivParams& next) { next.jsd_samples = n; });
}
void DivScene::set_f(div::FKind f) {
    edit([&](DivParams& next) { next.f = f; });
}
void DivScene::set_alpha(double alpha) {
    check_range(div_keys::alpha, alpha);
    edit([&](DivParams& next) { next.alpha = alpha; });
}

//-----------------------------------------------------------------------------
// Transport
//-----------------------------------------------------------------------------

int DivScene::shown_step() const {
    return static_cast<int>(static_cast<long long>(params_.steps) * shown_ / kSnapshots);
}

void DivScene::set_playing(bool playing) {
    if (playing && !playing_ && shown_ >= kSnapshots) shown_ = 0;
    carry_ = 0;
    playing_ = playing;
}

void DivScene::step() {
    playing_ = false;
    if (shown_ >= kSnapshots) shown_ = 0;
    shown_ = std::min(kSnapshots, shown_ + 1);
}

void DivScene::reset() {
    playing_ = false;
    shown_ = kSnapshots;
}

bool DivScene::tick(double dt, double speed) {
    if (!playing_) return false;
    carry_ += dt * speed * kSnapshots / kSecondsPerRun;
    const int more = static_cast<int>(carry_);
    carry_ -= more;
    shown_ = std::min(kSnapshots, shown_ + more);
    if (shown_ >= kSnapshots) playing_ = false;
    return more > 0;
}

//-----------------------------------------------------------------------------
// Report and CSV
//-----------------------------------------------------------------------------

Json DivScene::report() {
    update();
    const div::Discriminator& d = run_.disc;
    Json grid{{"x", curves_.x},
              {"p0", curves_.p0},
              {"p1", curves_.p1},
              {"d_star", curves_.d_star},
              {"log_ratio", curves_.log_ratio}};
    Json d_trained = Json::array(), ratio = Json::array();
    for (double x : curves_.x) {
        d_trained.push_back(div::prob(d, x));
        ratio.push_back(finite_or_null(div::density_ratio_estimate(d, params_.p0, x)));
    }
    grid["d_trained"] = d_trained;
    grid["p1_estimate"] = ratio;  // f0·D/(1 − D) (002 Q4.2)

    Json disc{{"kind", params_.train.kind == div::DiscKind::Mlp ? "mlp" : "logistic"},
              {"steps", run_.t},
              {"theta", vector_json(d.theta)},
              {"center", d.center},
              {"scale", d.scale},
              {"loss", div::bce(d, run_.x0, run_.x1).loss}};
    if (params_.train.kind == div::DiscKind::Logistic) {
        disc["coefficients"] = vector_json(div::raw_coefficients(d));
        if (const auto c = optimal_coefficients(params_.p0, params_.p1)) {
            disc["optimal_coefficients"] = vector_json(*c);
            disc["coefficient_sd"] = vector_json(
                div::logistic_coefficient_sd(params_.p0, params_.p1, params_.train.train_size));
        }
    }

    Json rows = Json::array();
    for (size_t i = 0; i < rows_.size(); ++i) {
        const div::FDivergence& f = div::f_divergences()[i];
        rows.push_back(Json{{"key", f.key},
                            {"name", f.name},
                            {"f", f.formula},
                            {"conjugate", f.conjugate},
                            {"domain", f.domain},
                            {"divergence", value_json(rows_[i].value)},
                            {"bound_optimal", value_json(rows_[i].bound_optimal)},
                            {"bound_trained", value_json(rows_[i].bound_trained)}});
    }

    Json dgrid = Json::array(), sat = Json::array(), ns = Json::array();
    Json sat_a = Json::array(), ns_a = Json::array();
    for (int i = 1; i < 100; ++i) {
        const double v = i / 100.0;
        dgrid.push_back(v);
        sat.push_back(div::generator_loss_dD(div::GenLoss::Saturating, v));
        ns.push_back(div::generator_loss_dD(div::GenLoss::NonSaturating, v));
        // Through the logit a (D = σ(a), ∂D/∂a = D(1 − D)): what reaches the generator.
        sat_a.push_back(-v);
        ns_a.push_back(-(1 - v));
    }
    Json gx = Json::array(), gd = Json::array(), gs = Json::array(), gn = Json::array();
    double abs_s = 0, abs_n = 0;
    for (double x : gen_x_) {
        const double s = div::generator_grad_x(d, x, div::GenLoss::Saturating);
        const double n = div::generator_grad_x(d, x, div::GenLoss::NonSaturating);
        gx.push_back(x);
        gd.push_back(div::prob(d, x));
        gs.push_back(s);
        gn.push_back(n);
        abs_s += std::abs(s) / gen_x_.size();
        abs_n += std::abs(n) / gen_x_.size();
    }

    return Json{
        {"convention", "D(x) = P(x from p1): p1 is the data, p0 the model (the fakes)"},
        {"grid", grid},
        {"jsd",
         {{"exact", jsd_.value},
          {"error", jsd_.error},
          {"estimate", estimate_.value},
          {"se", estimate_.se},
          {"oracle_estimate", oracle_.value},
          {"oracle_se", oracle_.se},
          {"samples", params_.jsd_samples}}},
        {"discriminator", disc},
        {"f", div::f_divergence(params_.f).key},
        {"alpha", params_.alpha},
        {"f_divergences", rows},
        {"generator",
         {{"d", dgrid},
          {"saturating_dD", sat},
          {"non_saturating_dD", ns},
          {"saturating_dlogit", sat_a},
          {"non_saturating_dlogit", ns_a},
          {"samples", {{"x", gx}, {"d", gd}, {"saturating_dx", gs}, {"non_saturating_dx", gn}}},
          {"mean_abs_saturating_dx", abs_s},
          {"mean_abs_non_saturating_dx", abs_n}}},
        {"shown_step", shown_step()}};
}

std::string DivScene::csv() {
    update();
    std::ostringstream out;
    out.precision(17);
    out << "x,p0,p1,d_star,log_ratio,d_trained,p1_estimate\n";
    for (size_t i = 0; i < curves_.x.size(); ++i) {
        const double x = curves_.x[i];
        out << x << ',' << curves_.p0[i] << ',' << curves_.p1[i] << ',' << curves_.d_star[i] << ','
            << curves_.log_ratio[i] << ',' << div::prob(run_.disc, x) << ','
            << div::density_ratio_estimate(run_.disc, params_.p0, x) << '\n';
    }
    return out.str();
}

}  // namespace genlab
