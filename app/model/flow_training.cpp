#include "flow_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "errors.hpp"
#include "expression.hpp"
#include "flow_layers.hpp"
#include "format.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace ft = flow::train;

namespace {

constexpr std::uint64_t kEstimateSeed = 7919;  // fresh draws, apart from the batches' stream

Json optional_json(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? Json(*v) : Json(nullptr);
}

Json estimates_json(const ft::Estimates& e) {
    return Json{{"reverse_objective", optional_json(e.reverse_objective)},
                {"reverse_se", optional_json(e.reverse_se)},
                {"kl_reverse", optional_json(e.kl_reverse)},
                {"kl_reverse_se", optional_json(e.kl_reverse_se)},
                {"forward_objective", optional_json(e.forward_objective)},
                {"forward_se", optional_json(e.forward_se)},
                {"kl_forward", optional_json(e.kl_forward)},
                {"kl_forward_se", optional_json(e.kl_forward_se)}};
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
        .count();
}

}  // namespace

void FlowTraining::configure(const FlowTrainParams& t, const flow::Stack& panel,
                             const kl::Mixture& mixture) {
    if (t.target_kind() == ft::TargetKind::Points && t.points.size() < 2) {
        // A state on its way: the points are being drawn. Nothing trains until there are two.
        params_ = t;
        initial_stack_ = flow_train_initial_stack(t, panel);
        expression_.reset();
        trainer_.reset();
        not_ready_ = "draw at least 2 points on the target plot (flow.train.points has " +
                     std::to_string(t.points.size()) + ")";
        estimates_.reset();
        initial_.reset();
        target_dirty_ = true;
        configured_ = true;
        ++version_;
        return;
    }
    std::shared_ptr<UserExpression> expression;
    ft::Target target = flow_train_target(t, mixture, &expression);
    ft::Options o;
    o.objective = t.objective_kind();
    o.lr = t.lr;
    o.lr_half_life = t.lr_half_life;
    o.batch = t.batch;
    o.seed = static_cast<std::uint64_t>(t.seed);
    flow::Stack initial = flow_train_initial_stack(t, panel);
    auto trainer =
        as_user_error([&] { return std::make_unique<ft::Trainer>(initial, std::move(target), o); });
    initial_stack_ = std::move(initial);
    not_ready_.clear();
    configured_ = true;
    params_ = t;
    expression_ = std::move(expression);
    trainer_ = std::move(trainer);
    estimates_.reset();
    initial_.reset();
    estimates_step_ = -1;
    target_dirty_ = true;
    ++version_;
}

int FlowTraining::run(int n) {
    if (!trainer_ || trainer_->stopped()) return 0;
    const int ran = trainer_->step(std::min(n, params_.steps - steps()));
    if (ran > 0) ++version_;
    return ran;
}

int FlowTraining::run_frame(double speed, double ms_budget) {
    const int want = std::max(1, static_cast<int>(std::lround(params_.steps_per_frame * speed)));
    const auto started = std::chrono::steady_clock::now();
    // At least one step a frame; then more while the slowest step so far still fits the
    // budget (a reverse-KL step of a small stack takes microseconds, a forward-KL step of a
    // deep one, through 1-D root solves, can take ten milliseconds).
    int ran = 0;
    double slowest = 0;
    while (ran < want && !finished()) {
        const auto t0 = std::chrono::steady_clock::now();
        if (run(1) == 0) break;
        ++ran;
        slowest = std::max(slowest, elapsed_ms(t0));
        if (elapsed_ms(started) + slowest > ms_budget) break;
    }
    return ran;
}

void FlowTraining::reset() {
    if (!trainer_) return;
    trainer_->reset();
    estimates_.reset();
    estimates_step_ = -1;
    ++version_;
}

std::optional<double> FlowTraining::live_reverse_kl() const {
    if (!trainer_ || trainer_->steps() == 0 || params_.objective_kind() != ft::Objective::Reverse)
        return std::nullopt;
    const auto z = log_z();
    if (!z) return std::nullopt;
    return trainer_->running_mean().back() + *z;
}

const ft::Estimates& FlowTraining::estimates() {
    if (!estimates_ || estimates_step_ != steps()) {
        estimates_ = trainer_->estimate(kEstimateSamples, kEstimateSeed);
        estimates_step_ = steps();
    }
    return *estimates_;
}

const ft::Estimates& FlowTraining::initial_estimates() {
    if (!initial_) {
        if (steps() == 0) {
            initial_ = estimates();
        } else {
            const ft::Trainer fresh(initial_stack_, trainer_->target(), trainer_->options());
            initial_ = fresh.estimate(kEstimateSamples, kEstimateSeed);
        }
    }
    return *initial_;
}

const FlowTraining::Image& FlowTraining::target_image(const flow::Vec2& center, double extent,
                                                      int n) {
    if (!target_dirty_ && target_.n == n && (target_.center - center).norm() <= 1e-12 &&
        std::abs(target_.extent - extent) <= 1e-12)
        return target_;
    Image img;
    img.n = n;
    img.center = center;
    img.extent = extent;
    img.image.assign(static_cast<size_t>(n) * n, 0.0f);
    const double cell = 2 * extent / n;
    if (!trainer_) {
        img.normalization = "no data yet";
    } else if (trainer_->target().has_density()) {
        const ft::Target& t = trainer_->target();
        Eigen::MatrixXd lp(n, n);  // (row from the top, column)
        double top = -INFINITY;
        for (int row = 0; row < n; ++row)
            for (int col = 0; col < n; ++col) {
                const flow::Vec2 x(center[0] - extent + (col + 0.5) * cell,
                                   center[1] + extent - (row + 0.5) * cell);
                lp(row, col) = t.log_density(x);
                if (std::isfinite(lp(row, col))) top = std::max(top, lp(row, col));
            }
        double log_z;
        if (const auto z = t.log_z()) {
            log_z = *z;
            img.normalization = "normalized by its log Z = " + format_g(*z, 5);
        } else {  // the view's grid sum, shifted by the peak so exp cannot overflow
            double sum = 0;
            for (int i = 0; i < lp.size(); ++i)
                if (std::isfinite(lp(i))) sum += std::exp(lp(i) - top);
            log_z = top + std::log(std::max(sum, 1e-300) * cell * cell);
            img.normalization = "normalized over the view (log Z unknown)";
        }
        for (int row = 0; row < n; ++row)
            for (int col = 0; col < n; ++col)
                img.image[static_cast<size_t>(row) * n + col] =
                    std::isnan(lp(row, col)) ? NAN
                                             : static_cast<float>(std::exp(lp(row, col) - log_z));
    } else {
        const ft::Target& t = trainer_->target();
        const int count =
            t.kind == ft::TargetKind::Points ? static_cast<int>(t.points.cols()) : kHistogramData;
        const Eigen::Matrix2Xd x = t.sample(count, static_cast<std::uint64_t>(params_.seed));
        const double w = 1.0 / (count * cell * cell);
        for (Eigen::Index i = 0; i < x.cols(); ++i) {
            const int col = static_cast<int>(std::floor((x(0, i) - center[0] + extent) / cell));
            const int row = static_cast<int>(std::floor((center[1] + extent - x(1, i)) / cell));
            if (col >= 0 && col < n && row >= 0 && row < n)
                img.image[static_cast<size_t>(row) * n + col] += static_cast<float>(w);
        }
        img.normalization = "a histogram of " + std::to_string(count) + " samples";
    }
    img.peak = 0;
    for (float v : img.image)
        if (std::isfinite(v)) img.peak = std::max(img.peak, static_cast<double>(v));
    if (!(img.peak > 0)) img.peak = 1;
    target_ = std::move(img);
    target_dirty_ = false;
    ++image_version_;
    return target_;
}

std::vector<FlowTraining::CurvePoint> FlowTraining::curve(int max_points) const {
    std::vector<CurvePoint> out;
    if (!trainer_ || steps() == 0 || max_points < 2) return out;
    const auto& loss = trainer_->losses();
    const auto& mean = trainer_->running_mean();
    const int n = steps();
    const double stride = std::max(1.0, static_cast<double>(n - 1) / (max_points - 1));
    for (double s = 0; std::lround(s) < n; s += stride) {
        const int i = static_cast<int>(std::lround(s));
        out.push_back({i + 1, loss[static_cast<size_t>(i)], mean[static_cast<size_t>(i)]});
    }
    if (out.back().step != n) out.push_back({n, loss.back(), mean.back()});
    return out;
}

Json FlowTraining::report() {
    if (!trainer_) return Json{{"error", not_ready_}, {"steps_run", 0}};
    Json curve_json = Json::array();
    for (const CurvePoint& c : curve(200))
        curve_json.push_back({c.step, finite_or_null(c.loss), finite_or_null(c.mean)});
    Json layers = Json::array();
    for (const flow::Layer& l : stack().layers) layers.push_back(flow_layer_to_json(l));
    Json r = flow_train_to_json(params_);
    r.erase("points");  // the state has them; the report keeps to the numbers
    r["steps_run"] = steps();
    r["finished"] = finished();
    r["stopped"] = trainer_->stopped();
    r["stop_reason"] = trainer_->stop_reason();
    r["loss_curve"] = curve_json;  // [step, loss, running mean]
    r["loss_final_mean"] =
        steps() > 0 ? finite_or_null(trainer_->running_mean().back()) : Json(nullptr);
    r["log_z"] = optional_json(log_z());
    r["log_z_error"] = trainer_ ? optional_json(trainer_->target().log_z_error()) : Json(nullptr);
    r["estimate_samples"] = kEstimateSamples;
    r["initial"] = estimates_json(initial_estimates());
    r["final"] = estimates_json(estimates());
    r["trained_layers"] = layers;
    return r;
}

std::string FlowTraining::csv() const {
    std::ostringstream out;
    out.precision(12);
    out << "step,loss,running_mean\n";
    if (!trainer_) return out.str();
    for (int i = 0; i < steps(); ++i)
        out << i + 1 << ',' << trainer_->losses()[static_cast<size_t>(i)] << ','
            << trainer_->running_mean()[static_cast<size_t>(i)] << '\n';
    return out.str();
}

}  // namespace genlab
