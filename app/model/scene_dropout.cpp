// The dropout-vs-L2 scene. See scene_dropout.hpp.
#include "scene_dropout.hpp"

#include <cmath>
#include <sstream>

#include "errors.hpp"
#include "format.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace {

constexpr int kPathPoints = 60;

}  // namespace

DropoutScene::DropoutScene() { set_state(dropout_model().normalize(dropout_model().defaults())); }

void DropoutScene::commit(const DropoutParams& next) {
    check_dropout_work(next);
    as_user_error([&] {
        dropout::validate(next.data);
        return 0;
    });
    const dropout::DataSpec &a = params_.data, &b = next.data;
    const bool data = a.n != b.n || a.scales != b.scales || a.w_true != b.w_true ||
                      a.correlation != b.correlation || a.noise != b.noise || a.seed != b.seed;
    const bool p = params_.p != next.p, lambda = params_.lambda != next.lambda;
    const bool sgd = params_.sgd_lr != next.sgd_lr || params_.sgd_steps != next.sgd_steps;
    const bool mc = params_.mc_masks != next.mc_masks;
    data_dirty_ |= data;
    paths_dirty_ |= data;
    solutions_dirty_ |= data || p || lambda;
    expectation_dirty_ |= data || p || mc;
    sgd_dirty_ |= data || p || sgd;
    const bool changed = data || p || lambda || sgd || mc;
    params_ = next;
    if (changed) touch();
}

// The setters edit a copy of the parameters and commit it in one place.
template <class Change>
void DropoutScene::edit(Change&& change) {
    DropoutParams next = params_;
    change(next);
    commit(next);
}

void DropoutScene::set_state(const Json& normalized) {
    DropoutParams next = dropout_params_from_json(normalized);
    commit(next);
    playing_ = false;
    shown_ = params_.sgd_steps;
}

void DropoutScene::update() {
    if (data_dirty_) {
        data_ = dropout::make_data(params_.data);
        data_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Data)];
    }
    if (solutions_dirty_) {
        DropoutSolutions& s = solutions_;
        s.gamma = dropout::gamma_diag(data_);
        s.least_squares = dropout::least_squares(data_);
        s.scaled_dropout = dropout::scaled_dropout_solution(data_, params_.p);
        s.dropout_w = s.scaled_dropout / params_.p;
        s.ridge = dropout::ridge_solution(data_, params_.lambda);
        s.matching_lambdas = dropout::matching_ridge_lambdas(data_, params_.p);
        s.penalty = dropout::dropout_penalty(data_, params_.p);
        s.lambda_dropout = dropout::dropout_lambda(params_.p);
        solutions_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Solutions)];
    }
    if (paths_dirty_) {
        paths_ = {};
        // λ up to 10⁴ times the features' largest Γ²: far past where every weight is ~0.
        const double top = 1e4 * std::max(1.0, solutions_.gamma.cwiseAbs2().maxCoeff());
        for (int k = 0; k < kPathPoints; ++k) {
            const double t = static_cast<double>(k) / (kPathPoints - 1);
            const double p = std::pow(0.01, t);  // 1 → 0.01, geometric
            paths_.p.push_back(p);
            paths_.scaled_dropout.push_back(dropout::scaled_dropout_solution(data_, p));
            const double lambda = k == 0 ? 0.0 : top * std::pow(1e-7, 1 - t);
            paths_.lambda.push_back(lambda);
            paths_.ridge.push_back(dropout::ridge_solution(data_, lambda));
        }
        paths_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Paths)];
    }
    if (expectation_dirty_) {
        const dropout::Vec w = dropout::dropout_solution(data_, params_.p);
        expectation_.closed_form = dropout::expected_loss(data_, w, params_.p);
        expectation_.exact = dropout::expected_loss_exact(data_, w, params_.p);
        expectation_.monte_carlo = dropout::expected_loss_monte_carlo(
            data_, w, params_.p, params_.mc_masks, params_.data.seed + 1);
        expectation_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Expectation)];
    }
    if (sgd_dirty_) {
        sgd_ = dropout::dropout_sgd(data_, params_.p, params_.sgd_lr, params_.sgd_steps,
                                    params_.data.seed + 2);
        sgd_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Sgd)];
    }
}

const dropout::Data& DropoutScene::data() {
    update();
    return data_;
}
const DropoutSolutions& DropoutScene::solutions() {
    update();
    return solutions_;
}
const DropoutPaths& DropoutScene::paths() {
    update();
    return paths_;
}
const DropoutExpectation& DropoutScene::expectation() {
    update();
    return expectation_;
}
const dropout::SgdRun& DropoutScene::sgd() {
    update();
    return sgd_;
}

//-----------------------------------------------------------------------------
// Setters: edit a copy, commit it in one place.
//-----------------------------------------------------------------------------

void DropoutScene::set_p(double p) {
    check_range(dropout_keys::p, p);
    edit([&](DropoutParams& next) { next.p = p; });
}

void DropoutScene::set_lambda(double lambda) {
    check_range(dropout_keys::lambda, lambda);
    edit([&](DropoutParams& next) { next.lambda = lambda; });
}

void DropoutScene::set_scale(int feature, double scale) {
    check_range(dropout_keys::scale, scale);
    edit([&](DropoutParams& next) { next.data.scales.at(static_cast<size_t>(feature)) = scale; });
}

void DropoutScene::set_weight(int feature, double w) {
    check_range(dropout_keys::weight, w);
    edit([&](DropoutParams& next) { next.data.w_true.at(static_cast<size_t>(feature)) = w; });
}

void DropoutScene::set_correlation(double c) {
    check_range(dropout_keys::correlation, c);
    edit([&](DropoutParams& next) { next.data.correlation = c; });
}

void DropoutScene::set_noise(double noise) {
    check_range(dropout_keys::noise, noise);
    edit([&](DropoutParams& next) { next.data.noise = noise; });
}

void DropoutScene::set_n(int n) {
    check_range(dropout_keys::n, n);
    edit([&](DropoutParams& next) { next.data.n = n; });
}

void DropoutScene::set_seed(int seed) {
    check_range(dropout_keys::seed, seed);
    edit([&](DropoutParams& next) { next.data.seed = static_cast<std::uint64_t>(seed); });
}

void DropoutScene::set_sgd_lr(double lr) {
    check_range(dropout_keys::sgd_lr, lr);
    edit([&](DropoutParams& next) { next.sgd_lr = lr; });
}

void DropoutScene::set_sgd_steps(int steps) {
    check_range(dropout_keys::sgd_steps, steps);
    edit([&](DropoutParams& next) { next.sgd_steps = steps; });
    shown_ = std::min(shown_, steps);
    if (!playing_) shown_ = steps;
}

void DropoutScene::add_feature() {
    if (features() >= dropout::kMaxFeatures) return;
    DropoutParams next = params_;
    next.data.scales.push_back(1.0);
    next.data.w_true.push_back(1.0);
    commit(next);
}

void DropoutScene::remove_feature() {
    if (features() <= 1) return;
    DropoutParams next = params_;
    next.data.scales.pop_back();
    next.data.w_true.pop_back();
    commit(next);
}

//-----------------------------------------------------------------------------
// Transport
//-----------------------------------------------------------------------------

void DropoutScene::set_playing(bool playing) {
    if (playing && !playing_ && shown_ >= params_.sgd_steps) shown_ = 0;
    carry_ = 0;
    playing_ = playing;
}

void DropoutScene::step() {
    playing_ = false;
    if (shown_ >= params_.sgd_steps) shown_ = 0;
    shown_ = std::min(params_.sgd_steps, shown_ + kStepsPerStep);
}

void DropoutScene::reset() {
    playing_ = false;
    shown_ = params_.sgd_steps;
}

bool DropoutScene::tick(double dt, double speed) {
    if (!playing_) return false;
    carry_ += dt * speed * kStepsPerSecond;
    const int more = static_cast<int>(carry_);
    carry_ -= more;
    shown_ = std::min(params_.sgd_steps, shown_ + more);
    if (shown_ >= params_.sgd_steps) playing_ = false;
    return more > 0;
}

//-----------------------------------------------------------------------------
// Report and CSV
//-----------------------------------------------------------------------------

namespace {

dropout::Vec ratio(const dropout::Vec& a, const dropout::Vec& b) {
    dropout::Vec r(a.size());
    for (Eigen::Index i = 0; i < a.size(); ++i) r(i) = b(i) != 0 ? a(i) / b(i) : NAN;
    return r;
}

}  // namespace

Json DropoutScene::report() {
    update();
    const DropoutSolutions& s = solutions_;
    const int shown = shown_steps();
    Json sgd{{"steps", params_.sgd_steps}, {"shown", shown}};
    if (shown > 0) {
        const dropout::Vec& avg = sgd_.average[static_cast<size_t>(shown - 1)];
        sgd["average"] = vector_json(avg);
        sgd["last"] = vector_json(sgd_.w[static_cast<size_t>(shown)]);
        sgd["distance_to_closed_form"] = (avg - s.dropout_w).norm();
    }
    Json dropout_path = Json::array(), ridge_path = Json::array();
    for (size_t k = 0; k < paths_.p.size(); ++k) {
        dropout_path.push_back({{"p", paths_.p[k]}, {"pw", vector_json(paths_.scaled_dropout[k])}});
        ridge_path.push_back({{"lambda", paths_.lambda[k]}, {"w", vector_json(paths_.ridge[k])}});
    }
    return Json{{"features", features()},
                {"gamma", vector_json(s.gamma)},
                {"least_squares", vector_json(s.least_squares)},
                {"lambda_dropout", s.lambda_dropout},
                {"dropout_w", vector_json(s.dropout_w)},
                {"scaled_dropout", vector_json(s.scaled_dropout)},
                {"ridge", vector_json(s.ridge)},
                {"matching_ridge_lambdas", vector_json(s.matching_lambdas)},
                {"dropout_penalty", vector_json(s.penalty)},
                {"shrinkage",
                 {{"dropout", vector_json(ratio(s.scaled_dropout, s.least_squares))},
                  {"ridge", vector_json(ratio(s.ridge, s.least_squares))}}},
                {"expected_loss",
                 {{"at", "w_dropout"},
                  {"closed_form", expectation_.closed_form},
                  {"exact_enumeration", expectation_.exact},
                  {"monte_carlo",
                   {{"mean", expectation_.monte_carlo.mean},
                    {"sd", expectation_.monte_carlo.sd_of_mean},
                    {"masks", params_.mc_masks}}}}},
                {"sgd", sgd},
                {"paths", {{"dropout", dropout_path}, {"ridge", ridge_path}}}};
}

std::string DropoutScene::csv() {
    update();
    const DropoutSolutions& s = solutions_;
    std::ostringstream out;
    out.precision(17);
    out << "feature,scale,gamma,least_squares,scaled_dropout,ridge,matching_ridge_lambda,"
           "dropout_penalty\n";
    for (int i = 0; i < features(); ++i) {
        out << i + 1 << ',' << params_.data.scales[static_cast<size_t>(i)] << ',' << s.gamma(i)
            << ',' << s.least_squares(i) << ',' << s.scaled_dropout(i) << ',' << s.ridge(i) << ','
            << s.matching_lambdas(i) << ',' << s.penalty(i) << '\n';
    }
    return out.str();
}

}  // namespace genlab
