// RfScene (scene_rf.hpp): parameters, analyses, the walk, and the report read from them.
//
// [SECTION] State
// [SECTION] Setters
// [SECTION] Derived data
// [SECTION] Walk (play / step / reset / tick)
// [SECTION] Report and CSV
#include "scene_rf.hpp"

#include <algorithm>
#include <sstream>

#include "errors.hpp"

namespace genlab {

namespace {

const std::vector<std::string> kViews = {"field", "layers", "compare"};

Json cells_json(const std::vector<rf::Cell>& cells) {
    Json list = Json::array();
    for (const rf::Cell& c : cells) list.push_back(rf_cell_json(c));
    return list;
}

// Exact integers where a double holds them exactly; beyond 2^53 the rounded value.
Json count_json(double count) {
    if (count < 9007199254740992.0) return static_cast<std::uint64_t>(count);
    return count;
}

bool contains(const std::vector<rf::Cell>& cells, rf::Cell c) {
    return std::find(cells.begin(), cells.end(), c) != cells.end();
}

std::string int_range(long long lo, long long hi, long long got) {
    return " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (got " +
           std::to_string(got) + ")";
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] State
//-----------------------------------------------------------------------------

RfScene::RfScene() { set_state(rf_model().defaults()); }

void RfScene::set_state(const Json& normalized) {
    RfParams next = rf_params_from_json(normalized);  // throws before anything changes
    const rf::Stack& a = params_.stack;
    const rf::Stack& b = next.stack;
    const bool shape = a.size != b.size || a.kernel != b.kernel || a.order != b.order;
    const bool arch =
        a.architecture != b.architecture || a.taps != b.taps || a.dilations != b.dilations;
    // (Masks of different kernels cannot be compared: shape covers them.)
    const bool masks = shape || a.masks.size() != b.masks.size() ||
                       !std::equal(a.masks.begin(), a.masks.end(), b.masks.begin());
    const bool pixel = params_.pixel != next.pixel;
    // The first call (from the constructor) finds everything dirty already.
    if (shape) compare_stacks_dirty_ = true;
    if (shape || pixel) compare_dirty_ = true;
    if (shape || masks || pixel || arch) paths_dirty_ = true;
    if (shape || pixel || a.masks.size() != b.masks.size()) versus_dirty_ = true;
    params_ = std::move(next);
    playing_ = false;
    clock_ = 0;
    show_whole_field();
    touch();
}

//-----------------------------------------------------------------------------
// [SECTION] Setters
//-----------------------------------------------------------------------------

void RfScene::changed_stack() {
    paths_dirty_ = true;
    // Cheap to over-mark: the versus pair is two analyses, recomputed only when shown.
    versus_dirty_ = true;
    touch();
}

void RfScene::check_layer(int layer) const {
    if (layer < 0 || layer >= layer_count()) {
        throw UserError("receptive_field.masks[" + std::to_string(layer) +
                        "] does not exist (the stack has " + std::to_string(layer_count()) +
                        " layers)");
    }
}

void RfScene::set_view(const std::string& view) {
    if (std::find(kViews.begin(), kViews.end(), view) == kViews.end()) {
        throw UserError("receptive_field.view must be one of field | layers | compare (got \"" +
                        view + "\")");
    }
    if (view == params_.view) return;
    params_.view = view;
    touch();
}

void RfScene::set_order(rf::Order order) {
    if (order == params_.stack.order) return;
    params_.rebuild_masks(params_.stack.kernel, order);
    ++counts_[static_cast<size_t>(Part::Masks)];
    compare_stacks_dirty_ = compare_dirty_ = true;
    show_whole_field();
    changed_stack();
}

void RfScene::set_size(int n) {
    if (n < rf_keys::size.lo || n > rf_keys::size.hi) {
        throw UserError(rf_keys::size.path() + int_range(rf_keys::size.lo, rf_keys::size.hi, n));
    }
    if (n == params_.stack.size) return;
    params_.stack.size = n;
    params_.pixel.row = std::min(params_.pixel.row, n - 1);
    params_.pixel.col = std::min(params_.pixel.col, n - 1);
    compare_stacks_dirty_ = compare_dirty_ = true;
    show_whole_field();
    changed_stack();
}

void RfScene::set_kernel(int k) {
    if (k < rf_keys::kernel.lo || k > rf_keys::kernel.hi || k % 2 == 0) {
        throw UserError(rf_keys::kernel.path() + " must be one of 1, 3, 5, 7, 9 (got " +
                        std::to_string(k) + ")");
    }
    if (k == params_.stack.kernel) return;
    params_.rebuild_masks(k, params_.stack.order);
    ++counts_[static_cast<size_t>(Part::Masks)];
    compare_stacks_dirty_ = compare_dirty_ = true;
    show_whole_field();
    changed_stack();
}

void RfScene::set_pixel(rf::Cell c) {
    const int n = params_.stack.size;
    if (c.row < 0 || c.col < 0 || c.row >= n || c.col >= n) {
        throw UserError(rf_keys::pixel.path() + " must be [row, col] with 1 <= row, col <= size (" +
                        std::to_string(n) + ") (got " + rf_cell_json(c).dump() + ")");
    }
    if (c == params_.pixel) return;
    const bool walking = !fully_revealed();
    params_.pixel = c;
    compare_dirty_ = true;
    changed_stack();
    if (walking) {  // the depth belonged to the old pixel: walk again from the new one
        reveal_ = 0;
        clock_ = 0;
    }
}

void RfScene::set_kind(int layer, rf::MaskKind kind) {
    check_layer(layer);
    if (kind == rf::MaskKind::Custom) {
        throw UserError("receptive_field.masks[" + std::to_string(layer) +
                        "] must be \"A\", \"B\" or \"none\" (a drawn mask is made by toggling "
                        "its cells)");
    }
    if (kind == params_.kinds[layer]) return;
    params_.set_kind(static_cast<size_t>(layer), kind);
    show_whole_field();
    changed_stack();
}

void RfScene::toggle_kernel_cell(int layer, int i, int j) {
    check_layer(layer);
    const int k = params_.stack.kernel;
    if (i < 0 || j < 0 || i >= k || j >= k) {
        throw UserError("receptive_field.masks[" + std::to_string(layer) + "] has no cell (" +
                        std::to_string(i + 1) + ", " + std::to_string(j + 1) + ") in a " +
                        std::to_string(k) + "x" + std::to_string(k) + " kernel");
    }
    rf::Mask& m = params_.stack.masks[layer];
    m(i, j) = m(i, j) ? 0 : 1;
    // A drawn mask that matches a named one takes its name again.
    params_.kinds[layer] = rf::classify_mask(m, params_.stack.order);
    changed_stack();
}

void RfScene::move_layer(int from, int to) {
    check_layer(from);
    check_layer(to);
    if (from == to) return;
    std::swap(params_.stack.masks[from], params_.stack.masks[to]);
    std::swap(params_.kinds[from], params_.kinds[to]);
    std::swap(params_.stack.dilations[from], params_.stack.dilations[to]);
    show_whole_field();
    changed_stack();
}

void RfScene::remove_layer(int layer) {
    check_layer(layer);
    if (layer_count() <= 1) {
        throw UserError("receptive_field.masks must keep at least 1 layer");
    }
    params_.stack.masks.erase(params_.stack.masks.begin() + layer);
    params_.kinds.erase(params_.kinds.begin() + layer);
    params_.stack.dilations.erase(params_.stack.dilations.begin() + layer);
    show_whole_field();
    changed_stack();
}

void RfScene::add_layer() {
    if (layer_count() >= kRfMaxLayers) {
        throw UserError("receptive_field.masks holds at most " + std::to_string(kRfMaxLayers) +
                        " layers");
    }
    params_.stack.masks.push_back(
        rf::make_mask(rf::MaskKind::B, params_.stack.kernel, params_.stack.order));
    params_.kinds.push_back(rf::MaskKind::B);
    std::vector<int>& d = params_.stack.dilations;
    const bool wavenet = architecture() == rf::Architecture::Causal && !d.empty();
    d.push_back(wavenet ? std::min(2 * d.back(), static_cast<int>(rf_keys::dilation.hi)) : 1);
    show_whole_field();
    changed_stack();
}

void RfScene::set_architecture(rf::Architecture a) {
    if (a == architecture()) return;
    params_.stack.architecture = a;
    show_whole_field();
    changed_stack();
}

void RfScene::set_dilation(int layer, int d) {
    check_layer(layer);
    if (d < rf_keys::dilation.lo || d > rf_keys::dilation.hi) {
        throw UserError(rf_keys::dilation.path() + "[" + std::to_string(layer) + "]" +
                        int_range(rf_keys::dilation.lo, rf_keys::dilation.hi, d));
    }
    if (d == params_.stack.dilations[layer]) return;
    params_.stack.dilations[layer] = d;
    show_whole_field();
    changed_stack();
}

void RfScene::set_taps(int taps) {
    if (taps < rf_keys::taps.lo || taps > rf_keys::taps.hi) {
        throw UserError(rf_keys::taps.path() + int_range(rf_keys::taps.lo, rf_keys::taps.hi, taps));
    }
    if (taps == params_.stack.taps) return;
    params_.stack.taps = taps;
    show_whole_field();
    changed_stack();
}

//-----------------------------------------------------------------------------
// [SECTION] Derived data
//-----------------------------------------------------------------------------

void RfScene::update() {
    if (paths_dirty_) {
        const rf::Cell p = params_.core_pixel();
        analysis_ = std::make_shared<const rf::Analysis>(rf::analyze(params_.stack, p));
        growth_ = rf::growth(params_.stack, p);
        auto only = std::make_shared<rf::Counts>(
            rf::Counts::Zero(architecture() == rf::Architecture::Causal ? 1 : params_.stack.size,
                             params_.stack.size));
        (*only)(p.row, p.col) = 1;
        pixel_only_ = only;
        paths_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Paths)];
    }
    if (compare_stacks_dirty_) {
        for (size_t i = 0; i < 4; ++i) {
            rf::Stack& s = compare_stacks_[i];
            s.size = params_.stack.size;
            s.kernel = params_.stack.kernel;
            s.order = params_.stack.order;
            s.masks = {rf::make_mask(i / 2 ? rf::MaskKind::B : rf::MaskKind::A, s.kernel, s.order),
                       rf::make_mask(i % 2 ? rf::MaskKind::B : rf::MaskKind::A, s.kernel, s.order)};
        }
        compare_stacks_dirty_ = false;
        compare_dirty_ = true;
        ++counts_[static_cast<size_t>(Part::CompareStacks)];
    }
    if (compare_dirty_) {
        for (size_t i = 0; i < 4; ++i) {
            compare_[i] = std::make_shared<const rf::Analysis>(
                rf::analyze(compare_stacks_[i], params_.pixel));
        }
        compare_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Compare)];
    }
}

std::shared_ptr<const rf::Analysis> RfScene::versus(int i) {
    update();
    if (versus_dirty_) {
        rf::Stack s;
        s.size = params_.stack.size;
        s.kernel = params_.stack.kernel;
        s.order = params_.stack.order;
        s.masks.assign(params_.stack.masks.size(),
                       rf::make_mask(rf::MaskKind::B, s.kernel, s.order));
        s.masks[0] = rf::make_mask(rf::MaskKind::A, s.kernel, s.order);
        versus_[0] = std::make_shared<const rf::Analysis>(rf::analyze(s, params_.pixel));
        s.architecture = rf::Architecture::Gated;
        versus_[1] = std::make_shared<const rf::Analysis>(rf::analyze(s, params_.pixel));
        versus_dirty_ = false;
        ++counts_[static_cast<size_t>(Part::Versus)];
    }
    return versus_.at(static_cast<size_t>(i));
}

const std::vector<rf::GrowthPoint>& RfScene::growth() {
    update();
    return growth_;
}

std::shared_ptr<const rf::Analysis> RfScene::analysis() {
    update();
    return analysis_;
}

std::shared_ptr<const rf::Analysis> RfScene::compare(int i) {
    update();
    return compare_.at(static_cast<size_t>(i));
}

const rf::Stack& RfScene::compare_stack(int i) {
    update();
    return compare_stacks_.at(static_cast<size_t>(i));
}

std::vector<double> RfScene::path_terms(rf::Cell c, int layer) {
    update();
    check_layer(layer);
    const rf::Stack& s = params_.stack;
    const int n = s.size, L = layer_count(), h = s.kernel / 2, d = dilation(layer);
    const bool causal = architecture() == rf::Architecture::Causal;
    const int rows = causal ? 1 : n;
    // The gated stack's sum runs over two stacks and the link: not one kernel's offsets.
    if (architecture() == rf::Architecture::Gated) return {};
    std::vector<double> terms;
    const auto add = [&](int di, int dj) {
        const rf::Cell out{c.row - di, c.col - dj};
        if (out.row < 0 || out.col < 0 || out.row >= rows || out.col >= n) return;
        const double next = layer + 1 < L ? analysis_->layer_paths[layer + 1](out.row, out.col)
                                          : (out == core_pixel() ? 1.0 : 0.0);
        if (next > 0) terms.push_back(next);
    };
    if (causal) {
        for (int j = 0; j < s.taps; ++j) add(0, -j * d);
        return terms;
    }
    for (int i = 0; i < s.kernel; ++i)
        for (int j = 0; j < s.kernel; ++j)
            if (s.masks[layer](i, j)) add((i - h) * d, (j - h) * d);
    return terms;
}

//-----------------------------------------------------------------------------
// [SECTION] Walk (play / step / reset / tick)
//-----------------------------------------------------------------------------

void RfScene::set_playing(bool playing) {
    if (playing && fully_revealed()) reveal_ = 0;
    playing_ = playing;
    clock_ = 0;
}

void RfScene::step() {
    playing_ = false;
    reveal_ = fully_revealed() ? 0 : reveal_ + 1;
}

void RfScene::reset() {
    playing_ = false;
    show_whole_field();
}

bool RfScene::tick(double dt, double speed) {
    if (!playing_) return false;
    clock_ += dt * speed;
    if (clock_ < kSecondsPerLayer) return false;
    clock_ = 0;
    if (++reveal_ >= layer_count()) {
        show_whole_field();
        playing_ = false;
    }
    return true;
}

std::shared_ptr<const rf::Counts> RfScene::revealed_counts() {
    update();
    const int m = std::clamp(reveal_, 0, layer_count());
    if (m == 0) return pixel_only_;
    return {analysis_, &analysis_->layer_paths[layer_count() - m]};
}

//-----------------------------------------------------------------------------
// [SECTION] Report and CSV
//-----------------------------------------------------------------------------

Json RfScene::report() {
    update();
    const rf::Analysis& a = *analysis_;
    Json paths = Json::array();
    for (int r = 0; r < a.paths.rows(); ++r) {
        Json row = Json::array();
        for (int c = 0; c < a.paths.cols(); ++c) row.push_back(count_json(a.paths(r, c)));
        paths.push_back(row);
    }
    Json layers = Json::array();
    for (const auto& cells : a.layers) layers.push_back(cells_json(cells));
    Json growth = Json::array();
    for (const rf::GrowthPoint& g : growth_)
        growth.push_back({{"depth", g.depth}, {"cells", g.cells}, {"span", g.span}});
    // Plain vs gated at your depth (the compare view of a gated stack).
    Json versus = Json::object();
    for (int i = 0; i < 2; ++i) {
        const rf::Analysis& v = *this->versus(i);
        versus[i ? "gated" : "plain"] = {{"cells", cells_json(v.cells)},
                                         {"blind_spot", cells_json(v.blind_spot)},
                                         {"violations", cells_json(v.violations)}};
    }
    return Json{{"architecture", rf::to_string(params_.stack.architecture)},
                {"pixel", rf_cell_json(a.pixel)},
                {"cells", cells_json(a.cells)},
                {"paths", paths},
                {"blind_spot", cells_json(a.blind_spot)},
                {"violations", cells_json(a.violations)},
                {"layers", layers},
                {"growth", growth},
                {"plain_vs_gated", versus}};
}

std::string RfScene::csv() {
    update();
    const rf::Analysis& a = *analysis_;
    std::ostringstream out;
    out << "row,col,paths,in_field,blind_spot,violation\n";
    for (int r = 0; r < a.paths.rows(); ++r) {
        for (int c = 0; c < a.paths.cols(); ++c) {
            out << r + 1 << ',' << c + 1 << ',' << count_json(a.paths(r, c)).dump() << ','
                << (a.paths(r, c) > 0) << ',' << contains(a.blind_spot, {r, c}) << ','
                << contains(a.violations, {r, c}) << '\n';
        }
    }
    return out.str();
}

}  // namespace genlab
