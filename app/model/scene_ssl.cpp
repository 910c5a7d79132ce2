// The SSL-collapse scene. See scene_ssl.hpp.
#include "scene_ssl.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "errors.hpp"
#include "json_numbers.hpp"

namespace genlab {

std::string ssl_verdict(const ssl::Run& run) {
    if (run.diverged) return "diverged";
    if (run.norm_w.back() < kCollapsedRatio * run.norm_w.front()) return "collapsed";
    const double rate = ssl::late_decay_rate(run), before = ssl::decay_rate(run, 0.6, 0.8);
    if (std::isfinite(rate) && rate > kCollapseRate && rate > 0.8 * before) return "collapsing";
    return "no collapse";
}

SslScene::SslScene() { set_state(ssl_model().normalize(ssl_model().defaults())); }

void SslScene::commit(const SslParams& next) {
    as_user_error([&] {
        ssl::validate(next.spec);
        return 0;
    });
    check_ssl_work(next);
    const ssl::Spec &a = params_.spec, &b = next.spec;
    const bool problem = a.x_eigs != b.x_eigs || a.xp_eigs != b.xp_eigs || a.n2 != b.n2 ||
                         a.seed != b.seed || a.w_scale != b.w_scale || a.wp_scale != b.wp_scale;
    const bool runs = problem || a.weight_decay != b.weight_decay || a.ema != b.ema ||
                      a.dt != b.dt || a.steps != b.steps;
    const bool view = params_.shown != next.shown || params_.focus != next.focus;
    problem_dirty_ |= problem;
    runs_dirty_ |= runs;
    params_ = next;
    if (runs || view) touch();
}

template <class Change>
void SslScene::edit(Change&& change) {
    SslParams next = params_;
    change(next);
    commit(next);
}

void SslScene::set_state(const Json& normalized) {
    commit(ssl_params_from_json(normalized));
    playing_ = false;
    shown_ = params_.spec.steps;
}

void SslScene::update() {
    if (problem_dirty_) {
        problem_ = ssl::make_problem(params_.spec);
        points_ = ssl::sample_inputs(problem_.X, kPoints, params_.spec.seed + 1);
        problem_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Problem)];
    }
    if (runs_dirty_) {
        for (int i = 0; i < ssl::kVariants; ++i)
            runs_[static_cast<size_t>(i)] = ssl::simulate(problem_, ssl_variant(i), params_.spec);
        runs_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Runs)];
    }
}

const ssl::Problem& SslScene::problem() {
    update();
    return problem_;
}
const ssl::Run& SslScene::run(ssl::Variant v) {
    update();
    return runs_[static_cast<size_t>(v)];
}
const ssl::Mat& SslScene::points() {
    update();
    return points_;
}

int SslScene::shown_index(const ssl::Run& run) const {
    return std::min(shown_steps(), static_cast<int>(run.t.size()) - 1);
}

//-----------------------------------------------------------------------------
// Setters: edit a copy, commit it in one place.
//-----------------------------------------------------------------------------

void SslScene::set_x_eig(int i, double v) {
    check_range(ssl_keys::x_eig, v);
    edit([&](SslParams& next) { next.spec.x_eigs.at(static_cast<size_t>(i)) = v; });
}
void SslScene::set_xp_eig(int i, double v) {
    check_range(ssl_keys::xp_eig, v);
    edit([&](SslParams& next) { next.spec.xp_eigs.at(static_cast<size_t>(i)) = v; });
}
void SslScene::add_input() {
    if (params_.n1() >= ssl::kMaxInputs) return;
    edit([&](SslParams& next) {
        next.spec.x_eigs.push_back(1.0);
        next.spec.xp_eigs.push_back(0.1);
    });
}
void SslScene::remove_input() {
    if (params_.n1() <= 1) return;
    edit([&](SslParams& next) {
        next.spec.x_eigs.pop_back();
        next.spec.xp_eigs.pop_back();
    });
}
void SslScene::set_n2(int n2) {
    check_range(ssl_keys::n2, n2);
    edit([&](SslParams& next) { next.spec.n2 = n2; });
}
void SslScene::set_seed(int seed) {
    check_range(ssl_keys::seed, seed);
    edit([&](SslParams& next) { next.spec.seed = static_cast<std::uint64_t>(seed); });
}
void SslScene::set_w_scale(double v) {
    check_range(ssl_keys::w_scale, v);
    edit([&](SslParams& next) { next.spec.w_scale = v; });
}
void SslScene::set_wp_scale(double v) {
    check_range(ssl_keys::wp_scale, v);
    edit([&](SslParams& next) { next.spec.wp_scale = v; });
}
void SslScene::set_weight_decay(double v) {
    check_range(ssl_keys::weight_decay, v);
    edit([&](SslParams& next) { next.spec.weight_decay = v; });
}
void SslScene::set_ema(double v) {
    check_range(ssl_keys::ema, v);
    edit([&](SslParams& next) { next.spec.ema = v; });
}
void SslScene::set_dt(double v) {
    check_range(ssl_keys::dt, v);
    edit([&](SslParams& next) { next.spec.dt = v; });
}
void SslScene::set_steps(int steps) {
    check_range(ssl_keys::steps, steps);
    edit([&](SslParams& next) { next.spec.steps = steps; });
    if (!playing_) shown_ = steps;
}
void SslScene::set_shown(ssl::Variant v, bool shown) {
    edit([&](SslParams& next) { next.shown[static_cast<size_t>(v)] = shown; });
}
void SslScene::set_focus(ssl::Variant v) {
    edit([&](SslParams& next) { next.focus = v; });
}

//-----------------------------------------------------------------------------
// Transport
//-----------------------------------------------------------------------------

void SslScene::set_playing(bool playing) {
    if (playing && !playing_ && shown_ >= params_.spec.steps) shown_ = 0;
    carry_ = 0;
    playing_ = playing;
}

void SslScene::step() {
    playing_ = false;
    if (shown_ >= params_.spec.steps) shown_ = 0;
    shown_ = std::min(params_.spec.steps, shown_ + std::max(1, params_.spec.steps / 100));
}

void SslScene::reset() {
    playing_ = false;
    shown_ = params_.spec.steps;
}

bool SslScene::tick(double dt, double speed) {
    if (!playing_) return false;
    carry_ += dt * speed * params_.spec.steps / kSecondsPerRun;
    const int more = static_cast<int>(carry_);
    carry_ -= more;
    shown_ = std::min(params_.spec.steps, shown_ + more);
    if (shown_ >= params_.spec.steps) playing_ = false;
    return more > 0;
}

//-----------------------------------------------------------------------------
// Report and CSV
//-----------------------------------------------------------------------------

namespace {

constexpr int kReportPoints = 200;  // each series in the report: at most this many + 1

Json series_json(const ssl::Run& run, int last) {
    const int stride = std::max(1, last / kReportPoints);
    Json t = Json::array(), norm = Json::array(), bound = Json::array(), lmin = Json::array();
    for (int k = 0;; k = std::min(k + stride, last)) {
        const size_t i = static_cast<size_t>(k);
        t.push_back(run.t[i]);
        norm.push_back(run.norm_w[i]);
        if (!run.bound.empty()) bound.push_back(run.bound[i]);
        if (!run.lambda_min_h.empty()) lmin.push_back(run.lambda_min_h[i]);
        if (k == last) break;
    }
    Json out{{"t", t}, {"norm_w", norm}};
    if (!run.bound.empty()) out["bound"] = bound, out["lambda_min_h"] = lmin;
    return out;
}

}  // namespace

Json SslScene::report() {
    update();
    Json variants = Json::object();
    for (int i = 0; i < ssl::kVariants; ++i) {
        const ssl::Variant v = ssl_variant(i);
        const ssl::Run& r = runs_[static_cast<size_t>(i)];
        const int last = shown_index(r);
        const size_t l = static_cast<size_t>(last);
        Json e{
            {"shown", params_.shown[static_cast<size_t>(i)]},
            {"verdict", ssl_verdict(r)},
            {"norm_w_start", r.norm_w.front()},
            {"norm_w_end", r.norm_w.back()},
            {"t_end", r.t.back()},
            {"late_decay_rate", finite_or_null(ssl::late_decay_rate(r))},
            {"diverged", r.diverged},
            {"diverged_at", r.diverged_at},
            {"at_cursor",
             {{"t", r.t[l]},
              {"norm_w", r.norm_w[l]},
              // The representations picture in one number: RMS of ‖f‖ = ‖W x‖ over the cloud.
              {"representation_rms", std::sqrt((r.W[l] * points_).colwise().squaredNorm().mean())},
              {"singular_values", vector_json(r.singular_values[l])},
              {"wp_eigenvalues", complex_list_json({r.wp_eigs[l].data(),
                                                    r.wp_eigs[l].data() + r.wp_eigs[l].size()})}}},
            {"series", series_json(r, last)}};
        if (!r.lambda_min_h.empty()) {
            e["lambda0"] = r.lambda0;
            e["bound_end"] = r.bound.back();
        }
        if (!r.invariant_drift.empty()) e["invariant_drift_max"] = r.invariant_drift_max;
        variants[ssl::to_string(v)] = e;
    }
    const double lmin_xp = problem_.lambda_min_xp;
    return Json{
        {"n1", params_.n1()},
        {"n2", params_.spec.n2},
        {"shown_steps", shown_steps()},
        {"t_cursor", shown_steps() * params_.spec.dt},
        {"focus", ssl::to_string(params_.focus)},
        {"lambda_min_xp", lmin_xp},
        {"predicted_rates",
         {{"neither", 2 * lmin_xp + params_.spec.weight_decay},
          {"no_predictor",
           params_.spec.ema > 0 ? Json(nullptr) : Json(lmin_xp + params_.spec.weight_decay)}}},
        {"variants", variants}};
}

std::string SslScene::csv() {
    update();
    std::ostringstream out;
    out.precision(17);
    out << "variant,step,t,norm_w,lambda_min_h,bound";
    for (int j = 0; j < std::min(params_.n1(), params_.spec.n2); ++j) out << ",sv" << j + 1;
    for (int j = 0; j < params_.spec.n2; ++j)
        out << ",wp_eig" << j + 1 << "_re,wp_eig" << j + 1 << "_im";
    out << '\n';
    for (int i = 0; i < ssl::kVariants; ++i) {
        const ssl::Run& r = runs_[static_cast<size_t>(i)];
        for (size_t k = 0; k < r.t.size(); ++k) {
            out << ssl::to_string(ssl_variant(i)) << ',' << k << ',' << r.t[k] << ',' << r.norm_w[k]
                << ',';
            if (!r.lambda_min_h.empty()) out << r.lambda_min_h[k];
            out << ',';
            if (!r.bound.empty()) out << r.bound[k];
            for (Eigen::Index j = 0; j < r.singular_values[k].size(); ++j)
                out << ',' << r.singular_values[k](j);
            for (Eigen::Index j = 0; j < r.wp_eigs[k].size(); ++j)
                out << ',' << r.wp_eigs[k](j).real() << ',' << r.wp_eigs[k](j).imag();
            out << '\n';
        }
    }
    return out.str();
}

}  // namespace genlab
