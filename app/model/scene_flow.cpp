// FlowScene: parameters and setters, transport, and the derived data, each recomputed from
// its own dirty flag.
//
// [SECTION] Helpers
// [SECTION] State and setters
// [SECTION] Transport
// [SECTION] Derived data
// [SECTION] Report and CSV
#include "scene_flow.hpp"

#include <Eigen/LU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include "errors.hpp"
#include "fields.hpp"
#include "json_numbers.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

const FlowModel& flow_model() {
    static const FlowModel model;
    return model;
}

// Deterministic standard-normal samples (Box–Muller on a fixed seed): the same picture on
// every run and machine.
std::vector<flow::Vec2> base_normals(int n) {
    std::mt19937 rng(12345);
    std::uniform_real_distribution<double> uni(1e-12, 1.0);
    std::vector<flow::Vec2> out(n);
    for (int i = 0; i < n; ++i) {
        const double r = std::sqrt(-2 * std::log(uni(rng))), t = 2 * M_PI * uni(rng);
        out[i] = {r * std::cos(t), r * std::sin(t)};
    }
    return out;
}

void check_number(double v, const NumberKey& k, const std::string& what) {
    if (!(std::isfinite(v) && v >= k.lo && v <= k.hi))
        throw UserError(what + " must be a number in [" + Json(k.lo).dump() + ", " +
                        Json(k.hi).dump() + "] (got " + Json(v).dump() + ")");
}

void check_vec2(const flow::Vec2& v, const NumberKey& k) {
    check_number(v[0], k, k.path() + "[0]");
    check_number(v[1], k, k.path() + "[1]");
}

void check_int(long long v, const IntKey& k) {
    if (v < k.lo || v > k.hi)
        throw UserError(k.path() + " must be an integer in [" + std::to_string(k.lo) + ", " +
                        std::to_string(k.hi) + "] (got " + std::to_string(v) + ")");
}

Json vec_json(const flow::Vec2& v) { return Json::array({v[0], v[1]}); }

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] State and setters
//-----------------------------------------------------------------------------

FlowScene::FlowScene() { set_state(flow_model().defaults()); }

const PanelModel& FlowScene::model() const { return flow_model(); }

void FlowScene::set_state(const Json& normalized) {
    FlowParams next = flow_params_from_json(normalized);  // throws before anything changes
    if (next.training()) training_.configure(next.train, next.stack, next.target);
    map1d_.set(next.map1d);
    p_ = std::move(next);
    playing_ = false;
    scrub_ = p_.layers_shown();
    region_center_ = p_.view_center;
    region_extent_ = p_.view_extent;
    stack_changed();
    inv_dirty_ = true;
    mass_known_ = kl_known_ = false;
    touch();
}

Json FlowScene::state() const { return flow_params_to_json(p_); }

const flow::Layer& FlowScene::layer(int k) const {
    if (k < 0 || k >= layer_count())
        throw UserError("flow.layers[" + std::to_string(k) + "] does not exist (" +
                        std::to_string(layer_count()) + " layers)");
    return p_.stack.layers[static_cast<size_t>(k)];
}

void FlowScene::stack_changed() {
    density_dirty_ = mass_dirty_ = grid_dirty_ = mesh_dirty_ = samples_dirty_ = probe_dirty_ =
        kl_dirty_ = true;
    ++warp_rev_;
}

void FlowScene::set_base(const flow::Vec2& mean, const flow::Vec2& std) {
    check_vec2(mean, flow_keys::base_mean);
    check_vec2(std, flow_keys::base_std);
    FlowParams next = p_;
    next.stack.base_mean = mean;
    next.stack.base_std = std;
    replace_and_retrain(std::move(next));
    stack_changed();
    touch();
}

void FlowScene::replace_and_retrain(FlowParams next) {
    if (next.training()) {
        flow_train_check(next.train, next.stack, next.target);
        flow_check_work(next);
        training_.configure(next.train, next.stack, next.target);  // a new run: step 0
        playing_ = false;
    }
    p_ = std::move(next);
    inv_dirty_ = true;
}

void FlowScene::set_mode(const std::string& mode) {
    const auto& modes = flow_modes();
    if (std::find(modes.begin(), modes.end(), mode) == modes.end())
        throw UserError("flow.mode must be one of: " + join(modes, ", ") + " (got \"" + mode +
                        "\")");
    if (mode == p_.mode) return;
    FlowParams next = p_;
    next.mode = mode;
    replace_and_retrain(std::move(next));
    playing_ = false;
    scrub_ = shown();
    stack_changed();
    mass_known_ = kl_known_ = false;
    touch();
}

void FlowScene::set_train(const FlowTrainParams& t) {
    // Validated as a state would be (the expression compiles, the ranges hold).
    FlowParams next = p_;
    next.train = flow_train_from_json(flow_train_to_json(t));
    replace_and_retrain(std::move(next));
    stack_changed();
    touch();
}

bool FlowScene::add_train_point(const flow::Vec2& x) {
    if (static_cast<int>(p_.train.points.size()) >= kFlowMaxTrainPoints) return false;
    FlowTrainParams t = p_.train;
    t.points.push_back(x);
    set_train(t);
    return true;
}

void FlowScene::keep_trained_layers() {
    if (!p_.training() || !training_.configured()) return;
    FlowParams next = p_;
    next.stack = training_.stack();
    next.train.init = "layers";
    next.upto = -1;
    replace_and_retrain(std::move(next));
    stack_changed();
    touch();
}

// A change that adds work: checked against the budget before anything changes.
void FlowScene::replace_within_budget(FlowParams next) {
    flow_check_work(next);
    replace_and_retrain(std::move(next));
}

void FlowScene::set_layer(int k, const flow::Layer& l) {
    layer(k);  // exists
    flow_validate_layer(l, k);
    FlowParams next = p_;
    next.stack.layers[static_cast<size_t>(k)] = l;
    replace_within_budget(std::move(next));
    stack_changed();
    inv_dirty_ = true;
    touch();
}

void FlowScene::add_layer(const std::string& type) {
    if (layer_count() >= kFlowMaxLayers)
        throw UserError("flow.layers must be a list of at most " + std::to_string(kFlowMaxLayers) +
                        " layers");
    FlowParams next = p_;
    next.stack.layers.push_back(flow_default_layer(type));
    next.upto = -1;
    replace_within_budget(std::move(next));
    scrub_ = layer_count();
    stack_changed();
    inv_dirty_ = true;
    touch();
}

void FlowScene::remove_layer(int k) {
    layer(k);
    FlowParams next = p_;
    next.stack.layers.erase(next.stack.layers.begin() + k);
    next.upto = -1;
    replace_within_budget(std::move(next));
    stack_changed();
    inv_dirty_ = true;
    touch();
}

void FlowScene::move_layer(int from, int to) {
    layer(from);
    layer(to);
    FlowParams next = p_;
    std::swap(next.stack.layers[static_cast<size_t>(from)],
              next.stack.layers[static_cast<size_t>(to)]);
    replace_within_budget(std::move(next));
    stack_changed();
    inv_dirty_ = true;
    touch();
}

void FlowScene::set_upto_quiet(int upto) {
    if (p_.upto == upto) return;
    const int before = p_.layers_shown();
    p_.upto = upto;
    if (p_.layers_shown() != before) stack_changed();
    touch();
}

void FlowScene::set_upto(int upto) {
    check_int(upto, flow_keys::upto);
    scrub_ = upto < 0 || upto > layer_count() ? layer_count() : upto;
    set_upto_quiet(upto);
}

void FlowScene::set_show(const std::string& what, bool on) {
    const auto& names = flow_show_names();
    if (std::find(names.begin(), names.end(), what) == names.end())
        throw UserError("flow.show must be a list of: " + join(names, ", ") + " (got \"" + what +
                        "\")");
    if (p_.showing(what) == on) return;
    if (on) {
        p_.show.push_back(what);
    } else {
        p_.show.erase(std::remove(p_.show.begin(), p_.show.end(), what), p_.show.end());
    }
    ++warp_rev_;
    touch();
}

void FlowScene::set_samples(int n) {
    check_int(n, flow_keys::samples);
    if (p_.samples == n) return;
    p_.samples = n;
    samples_dirty_ = true;
    ++warp_rev_;
    touch();
}

void FlowScene::set_resolution(int n) {
    check_int(n, flow_keys::resolution);
    if (p_.resolution == n) return;
    FlowParams next = p_;
    next.resolution = n;
    replace_within_budget(std::move(next));
    density_dirty_ = true;
    touch();
}

void FlowScene::set_view(const flow::Vec2& center, double extent) {
    check_number(center[0], flow_keys::probe, "flow.view.center[0]");  // within ±1e6, as a probe
    check_number(center[1], flow_keys::probe, "flow.view.center[1]");
    check_number(extent, flow_keys::view_extent, flow_keys::view_extent.path());
    p_.view_center = center;
    p_.view_extent = extent;
    mass_dirty_ = true;
    touch();
}

void FlowScene::set_probe(const flow::Vec2& x) {
    check_vec2(x, flow_keys::probe);
    p_.probe = x;
    probe_dirty_ = true;
    touch();
}

void FlowScene::set_density_region(const flow::Vec2& center, double extent) {
    check_number(extent, flow_keys::view_extent, "the density region's extent");
    if ((center - region_center_).norm() <= 1e-9 && std::abs(extent - region_extent_) <= 1e-9)
        return;
    region_center_ = center;
    region_extent_ = extent;
    density_dirty_ = true;
}

void FlowScene::set_interactive(bool dragging) { interactive_ = dragging; }

//-----------------------------------------------------------------------------
// [SECTION] Transport
//-----------------------------------------------------------------------------

void FlowScene::set_playing(bool playing) {
    if (p_.training()) {
        playing_ = playing && !training_.finished();
        if (!playing_) training_changed();  // the settled density, mass and KL
        return;
    }
    if (playing && scrub_ >= layer_count()) scrub_ = 0;
    playing_ = playing;
}

void FlowScene::training_changed() {
    stack_changed();
    inv_dirty_ = true;
}

void FlowScene::step() {
    if (p_.training()) {  // one frame's steps at speed 1
        playing_ = false;
        if (training_.run(p_.train.steps_per_frame) > 0) training_changed();
        return;
    }
    playing_ = false;
    scrub_ = std::floor(scrub_) >= layer_count() ? 0 : std::floor(scrub_) + 1;
    set_upto_quiet(static_cast<int>(scrub_));
}

void FlowScene::reset() {
    if (p_.training()) {
        playing_ = false;
        training_.reset();
        training_changed();
        return;
    }
    playing_ = false;
    scrub_ = layer_count();
    set_upto_quiet(-1);
}

bool FlowScene::tick(double dt, double speed) {
    if (!playing_) return false;
    if (p_.training()) {
        const int ran = training_.run_frame(speed, kTrainFrameBudgetMs);
        if (training_.finished()) playing_ = false;
        if (ran > 0 || !playing_) training_changed();
        return ran > 0;
    }
    scrub_ = std::min<double>(layer_count(), scrub_ + dt * speed * kPlayRate);
    if (static_cast<int>(scrub_) != p_.layers_shown()) set_upto_quiet(static_cast<int>(scrub_));
    if (scrub_ >= layer_count()) {
        playing_ = false;
        set_upto_quiet(-1);
    }
    return true;
}

std::uint64_t FlowScene::warp_version() const {
    return warp_rev_ * 4096u + static_cast<std::uint64_t>(shown());
}

//-----------------------------------------------------------------------------
// [SECTION] Derived data
//-----------------------------------------------------------------------------

const flow::Stack& FlowScene::stack() const {
    return p_.training() && training_.configured() ? training_.stack() : p_.stack;
}

int FlowScene::shown() const {
    return p_.training() ? static_cast<int>(stack().layers.size()) : p_.layers_shown();
}

flow::Stack FlowScene::shown_stack() const {
    flow::Stack s = stack();
    s.layers.resize(shown());
    return s;
}

void FlowScene::update() {
    invertibility();
    density();
    mass();
    probe_readout();
    kl();
}

void FlowScene::compute_density() {
    const auto started = std::chrono::steady_clock::now();
    const flow::Stack s = shown_stack();
    const int n = live() ? std::max(16, p_.resolution / 2) : p_.resolution;
    Density d;
    d.n = n;
    d.center = region_center_;
    d.extent = region_extent_;
    d.coarse = n != p_.resolution;
    d.log_p = flow::density_grid(s, region_center_, region_extent_, n);
    d.image.resize(static_cast<size_t>(n) * n);
    double peak = 0;
    for (int row = 0; row < n; ++row) {
        for (int col = 0; col < n; ++col) {
            const double lp = d.log_p(col, n - 1 - row);  // image row 0 is the top
            // −∞: outside a layer's image, p = 0 there; +∞ (det J = 0) and NaN: undefined.
            const double p = std::isfinite(lp) || lp == -INFINITY ? std::exp(lp) : NAN;
            d.image[static_cast<size_t>(row) * n + col] = static_cast<float>(p);
            if (std::isfinite(p)) peak = std::max(peak, p);
        }
    }
    d.peak = peak > 0 ? peak : 1;
    d.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
               .count();
    density_ = std::move(d);
    density_dirty_ = false;
    ++counts_[static_cast<int>(Part::Density)];
}

const FlowScene::Density& FlowScene::density() {
    if (density_dirty_ || (density_.coarse && !live())) compute_density();
    return density_;
}

const flow::MassEstimate& FlowScene::mass_estimate() {
    // ~500–6000 inverses along the view's boundary (a few ms to ~50 ms): once per change, and
    // not during a drag (the last value stays until it ends), like the KL identity.
    if (mass_dirty_ && (!live() || !mass_known_)) {
        mass_ = flow::mass(stack(), p_.view_center, p_.view_extent, shown());
        mass_dirty_ = false;
        mass_known_ = true;
        ++counts_[static_cast<int>(Part::Mass)];
    }
    return mass_;
}

const std::vector<flow::Invertibility>& FlowScene::invertibility() {
    if (inv_dirty_) {
        inv_.clear();
        for (const flow::Layer& l : stack().layers) inv_.push_back(flow::invertibility(l));
        inv_dirty_ = false;
        ++counts_[static_cast<int>(Part::Invertibility)];
    }
    return inv_;
}

bool FlowScene::invertible() { return verdict() == flow::Verdict::Proved; }

flow::Verdict FlowScene::verdict() {
    const auto& inv = invertibility();
    flow::Verdict v = flow::Verdict::Proved;
    for (int k = 0; k < shown(); ++k) {
        const flow::Verdict layer = inv[static_cast<size_t>(k)].verdict;
        if (layer == flow::Verdict::Disproved) return layer;
        if (layer == flow::Verdict::NotProved) v = layer;
    }
    return v;
}

std::string FlowScene::verdict_reason() {
    const flow::Verdict v = verdict();
    if (v == flow::Verdict::Proved) return "";
    const auto& inv = invertibility();
    for (int k = 0; k < shown(); ++k) {
        const flow::Invertibility& i = inv[static_cast<size_t>(k)];
        if (i.verdict != v) continue;
        const std::string layer = "layer " + std::to_string(k + 1) + " (" +
                                  flow::to_string(stack().layers[static_cast<size_t>(k)].type) +
                                  "): " + i.reason;
        return (v == flow::Verdict::NotProved ? "invertibility not proved: " : "not invertible: ") +
               layer;
    }
    return "";
}

const std::optional<flow::DensityPoint>& FlowScene::probe_readout() {
    if (probe_dirty_) {
        probe_ = flow::log_density(stack(), p_.probe, shown());
        // How exact the inverse is: the base point pushed forward again.
        probe_round_trip_ =
            probe_ ? (flow::push(stack(), probe_->base, nullptr, shown()) - p_.probe).norm() : NAN;
        probe_dirty_ = false;
        ++counts_[static_cast<int>(Part::Probe)];
    }
    return probe_;
}

std::optional<flow::DensityPoint> FlowScene::density_at(const flow::Vec2& x) const {
    return flow::log_density(stack(), x, shown());
}

const flow::KlIdentity& FlowScene::kl() {
    if (p_.target.empty()) {
        kl_ = {NAN, NAN};
        kl_dirty_ = false;
    } else if (kl_dirty_ && (!live() || !kl_known_)) {
        // The identity's two sides on 200² grids (equal to ~1e-7).
        kl_ = flow::kl_identity(shown_stack(), p_.target);
        kl_dirty_ = false;
        kl_known_ = true;
        ++counts_[static_cast<int>(Part::Kl)];
    }
    return kl_;
}

std::shared_ptr<const FlowScene::Lines> FlowScene::grid() {
    // The base grid's lines pushed through the shown layers: during Play the same layers as
    // the density, the label and the readouts (issue 12: an interpolated grid ran ahead of
    // "After 0 of 3").
    if (!grid_dirty_ && grid_ && grid_upto_ == shown()) return grid_;
    const flow::Stack& s = stack();
    const int upto = shown();
    const auto base = [&](double a, double b) {
        return flow::Vec2(s.base_mean + flow::Vec2(a * s.base_std[0], b * s.base_std[1]));
    };
    // Every line point through the core's batch push at once.
    Eigen::Matrix2Xd z(2, 2 * kGridLines * kGridPoints);
    int col = 0;
    for (int dir = 0; dir < 2; ++dir) {
        for (int i = 0; i < kGridLines; ++i) {
            const double a = -kGridSpan + 2 * kGridSpan * i / (kGridLines - 1);
            for (int j = 0; j < kGridPoints; ++j) {
                const double b = -kGridSpan + 2 * kGridSpan * j / (kGridPoints - 1);
                z.col(col++) = dir == 0 ? base(a, b) : base(b, a);
            }
        }
    }
    const Eigen::Matrix2Xd pushed = flow::push_batch(s, z, nullptr, upto);
    auto lines = std::make_shared<Lines>();
    col = 0;
    for (int line = 0; line < 2 * kGridLines; ++line) {
        std::vector<flow::Vec2> pts;
        for (int j = 0; j < kGridPoints; ++j, ++col) {
            pts.push_back(pushed.col(col));
        }
        lines->push_back(std::move(pts));
    }
    grid_ = std::move(lines);
    grid_dirty_ = false;
    grid_upto_ = upto;
    ++counts_[static_cast<int>(Part::Grid)];
    return grid_;
}

std::shared_ptr<const FlowScene::DetMesh> FlowScene::det_mesh() {
    if (!mesh_dirty_ && mesh_) return mesh_;
    const flow::Stack s = shown_stack();
    const int n = kDetCells;
    const auto base = [&](double i, double j) {
        return flow::Vec2(s.base_mean +
                          flow::Vec2((-kGridSpan + 2 * kGridSpan * i / n) * s.base_std[0],
                                     (-kGridSpan + 2 * kGridSpan * j / n) * s.base_std[1]));
    };
    Eigen::Matrix2Xd zc(2, (n + 1) * (n + 1));
    for (int i = 0; i <= n; ++i)
        for (int j = 0; j <= n; ++j) zc.col(i * (n + 1) + j) = base(i, j);
    const Eigen::Matrix2Xd xc = flow::push_batch(s, zc);
    const auto corner = [&](int i, int j) -> flow::Vec2 { return xc.col(i * (n + 1) + j); };
    auto m = std::make_shared<DetMesh>();
    m->n = n;
    m->lo = INFINITY;
    m->hi = -INFINITY;
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            const flow::Vec2 centre = base(i + 0.5, j + 0.5);
            flow::Vec2 z = centre;
            double det = 1;  // the product of the layers' determinants, with sign
            for (const flow::Layer& l : s.layers) {
                det *= flow::jacobian(l, z).determinant();
                z = flow::forward(l, z);
            }
            const double ld = std::log(std::abs(det));
            m->quads.push_back(
                {corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1)});
            m->centres.push_back(centre);
            m->det.push_back(det);
            m->log_det.push_back(ld);
            if (std::isfinite(ld)) m->lo = std::min(m->lo, ld), m->hi = std::max(m->hi, ld);
        }
    }
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            const double d = m->det[i * n + j];
            bool fold = !(std::abs(d) > 1e-12);
            if (i + 1 < n && d * m->det[(i + 1) * n + j] < 0) fold = true;
            if (j + 1 < n && d * m->det[i * n + j + 1] < 0) fold = true;
            m->fold.push_back(fold);
        }
    }
    if (!std::isfinite(m->lo)) m->lo = -1, m->hi = 1;
    if (m->hi - m->lo < 1e-9) m->lo -= 1, m->hi += 1;
    mesh_ = std::move(m);
    mesh_dirty_ = false;
    ++counts_[static_cast<int>(Part::Mesh)];
    return mesh_;
}

std::shared_ptr<const std::vector<flow::Vec2>> FlowScene::samples() {
    if (!samples_dirty_ && samples_) return samples_;
    const flow::Stack s = shown_stack();
    const std::vector<flow::Vec2> normals = base_normals(p_.samples);
    Eigen::Matrix2Xd z(2, static_cast<Eigen::Index>(normals.size()));
    for (size_t i = 0; i < normals.size(); ++i)
        z.col(static_cast<Eigen::Index>(i)) = s.base_mean + normals[i].cwiseProduct(s.base_std);
    const Eigen::Matrix2Xd x = flow::push_batch(s, z);
    auto pts = std::make_shared<std::vector<flow::Vec2>>();
    for (Eigen::Index i = 0; i < x.cols(); ++i) pts->push_back(x.col(i));
    samples_ = std::move(pts);
    samples_dirty_ = false;
    ++counts_[static_cast<int>(Part::Samples)];
    return samples_;
}

//-----------------------------------------------------------------------------
// [SECTION] Report and CSV
//-----------------------------------------------------------------------------

Json FlowScene::report() {
    // A report holds the settled numbers, and of the trained stack: it trains to the budget.
    if (p_.training() && training_.run(p_.train.steps) > 0) training_changed();
    const bool was = interactive_, was_playing = playing_;
    interactive_ = playing_ = false;
    Json layers = Json::array();
    const auto& inv = invertibility();
    for (size_t k = 0; k < stack().layers.size(); ++k) {
        const flow::Layer& l = stack().layers[k];
        layers.push_back({{"type", flow::to_string(l.type)},
                          {"invertible", flow::to_string(inv[k].verdict)},
                          {"reason", inv[k].reason}});
        const flow::Witness& w = inv[k].witness;
        if (inv[k].verdict == flow::Verdict::Disproved && w.kind != flow::Witness::Kind::None) {
            Json wj{{"kind", flow::to_string(w.kind)}, {"z1", vec_json(w.z1)}, {"text", w.text}};
            if (w.kind == flow::Witness::Kind::Collision || w.kind == flow::Witness::Kind::DetSigns)
                wj["z2"] = vec_json(w.z2);
            layers.back()["witness"] = wj;
        }
        if (l.type == flow::Type::Planar) {  // the invertibility condition's numbers
            layers.back()["w_dot_u"] = l.w.dot(l.u);
            layers.back()["w_dot_u_hat"] = l.w.dot(flow::planar_u(l));
        }
    }
    Json r{{"layers", layers},
           {"invertible", flow::to_string(verdict())},
           {"invertible_reason", verdict_reason()},
           {"layers_shown", shown()},
           {"mass", finite_or_null(mass())},
           {"mass_error", finite_or_null(mass_error())},
           {"probe", vec_json(p_.probe)}};
    const auto& d = probe_readout();
    r["probe_inverse"] = d ? vec_json(d->base) : Json(nullptr);
    r["probe_round_trip"] = d ? finite_or_null(probe_round_trip()) : Json(nullptr);
    r["probe_log_density"] = d ? number_or_inf(d->log_density) : Json(nullptr);
    r["probe_log_det"] = d ? number_or_inf(d->log_det) : Json(nullptr);
    // Why the probe has no finite density: the stack's verdict, or the core's reason (det J
    // = 0 at the pre-image, or outside a layer's image), or a failed inverse.
    r["probe_reason"] = !invertible() ? verdict_reason()
                        : !d          ? std::string("the inverse did not converge at the probe")
                                      : d->reason;
    if (!p_.target.empty()) {
        const flow::KlIdentity& k = kl();
        r["kl_forward"] = finite_or_null(k.kl_forward);
        r["kl_base"] = finite_or_null(k.kl_base);
    }
    r["mode"] = p_.mode;
    if (p_.training()) r["train"] = training_.report();
    if (p_.mode == "map1d") r["map1d"] = map1d_.report();
    interactive_ = was;
    playing_ = was_playing && !training_.finished();
    return r;
}

std::string FlowScene::csv() {
    if (p_.training()) {  // the loss curve of the run trained to its budget
        if (training_.run(p_.train.steps) > 0) training_changed();
        return training_.csv();
    }
    if (p_.mode == "map1d") return map1d_.csv();
    // The density over the view at the resolution: the scene's grid when it covers the view
    // (always so for a scene loaded from a state), else the same computation there.
    const int n = p_.resolution;
    const bool was = interactive_;
    interactive_ = false;
    Eigen::MatrixXd grid;
    if ((region_center_ - p_.view_center).norm() <= 1e-9 &&
        std::abs(region_extent_ - p_.view_extent) <= 1e-9) {
        grid = density().log_p;
    } else {
        grid = flow::density_grid(stack(), p_.view_center, p_.view_extent, n, shown());
    }
    interactive_ = was;
    std::ostringstream out;
    out.precision(12);
    out << "x,y,log_density\n";
    const double cell = 2 * p_.view_extent / n;
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
            out << p_.view_center[0] - p_.view_extent + (i + 0.5) * cell << ','
                << p_.view_center[1] - p_.view_extent + (j + 0.5) * cell << ',';
            if (std::isfinite(grid(i, j))) out << grid(i, j);
            out << '\n';
        }
    }
    return out.str();
}

}  // namespace genlab
