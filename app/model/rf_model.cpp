#include "rf_model.hpp"

#include "fields.hpp"
#include "scene_rf.hpp"

namespace genlab {

namespace {

constexpr const char* kPanel = "receptive_field";
const std::vector<std::string> kOrders = {"top-down", "bottom-up"};
const std::vector<std::string> kViews = {"field", "layers", "compare"};

// One dilation per layer: a short list is padded with 1s, a long one cut (rf_model.hpp).
std::vector<int> dilations_from(const Fields& f, size_t layers) {
    const Json& value = f.at("dilations");
    const Json list = value.is_number() ? Json::array({value}) : value;
    if (!list.is_array()) {
        f.fail("dilations", "a list of integers in [1, " + std::to_string(rf::kMaxDilation) +
                                "], one per layer (input first), e.g. [1, 2, 4, 8]");
    }
    std::vector<int> out(layers, 1);
    for (size_t l = 0; l < list.size() && l < layers; ++l) {
        out[l] =
            static_cast<int>(whole_number(list[l], rf_keys::dilation.lo, rf_keys::dilation.hi,
                                          f.name("dilations") + "[" + std::to_string(l) + "]"));
    }
    return out;
}

rf::Order order_from(const std::string& word) {
    return word == "bottom-up" ? rf::Order::BottomUp : rf::Order::TopDown;
}

// A mask's kind from JSON: a name, or Custom for a k×k 0/1 matrix (read by custom_mask).
rf::MaskKind kind_from_json(const Json& value) {
    if (value.is_string()) {
        const std::string name = value.get<std::string>();
        if (name == "A") return rf::MaskKind::A;
        if (name == "B") return rf::MaskKind::B;
        if (name == "none") return rf::MaskKind::None;
    }
    return rf::MaskKind::Custom;
}

// A k×k 0/1 matrix; `what` names it in errors.
rf::Mask custom_mask(const Json& value, int kernel, const std::string& what) {
    const std::string k = std::to_string(kernel);
    const std::string expected = "\"A\", \"B\", \"none\" or a " + k + "x" + k +
                                 " matrix of 0/1 (got " + value.dump() +
                                 "); masks is a list, so one drawn mask is [[[0,1,0],...]]";
    if (!value.is_array() || static_cast<int>(value.size()) != kernel) {
        throw UserError(what + " must be " + expected);
    }
    rf::Mask mask(kernel, kernel);
    for (int i = 0; i < kernel; ++i) {
        const Json& row = value[i];
        if (!row.is_array() || static_cast<int>(row.size()) != kernel) {
            throw UserError(what + " must be " + expected);
        }
        for (int j = 0; j < kernel; ++j) {
            mask(i, j) = static_cast<std::uint8_t>(whole_number(row[j], 0, 1, what));
        }
    }
    return mask;
}

}  // namespace

const std::vector<std::string> kRfArchitectures = {"plain", "gated", "causal1d"};

rf::Architecture rf_architecture_from(const std::string& word) {
    if (word == "plain") return rf::Architecture::Plain;
    if (word == "gated") return rf::Architecture::Gated;
    if (word == "causal1d") return rf::Architecture::Causal;
    throw UserError("receptive_field.architecture must be one of " + join(kRfArchitectures) +
                    " (got \"" + word + "\")");
}

Json rf_cell_json(rf::Cell cell) { return Json::array({cell.row + 1, cell.col + 1}); }

Json rf_mask_to_json(const rf::Mask& mask, rf::Order order) {
    const rf::MaskKind kind = rf::classify_mask(mask, order);
    if (kind != rf::MaskKind::Custom) return rf::to_string(kind);
    Json rows = Json::array();
    for (int i = 0; i < mask.rows(); ++i) {
        Json row = Json::array();
        for (int j = 0; j < mask.cols(); ++j) row.push_back(static_cast<int>(mask(i, j)));
        rows.push_back(row);
    }
    return rows;
}

void RfParams::set_kind(size_t layer, rf::MaskKind kind) {
    kinds.at(layer) = kind;
    if (kind != rf::MaskKind::Custom)
        stack.masks.at(layer) = rf::make_mask(kind, stack.kernel, stack.order);
}

void RfParams::rebuild_masks(int kernel, rf::Order order) {
    const int old_h = stack.kernel / 2, h = kernel / 2;
    for (size_t l = 0; l < stack.masks.size(); ++l) {
        rf::Mask& m = stack.masks[l];
        if (kinds.at(l) != rf::MaskKind::Custom) {
            m = rf::make_mask(kinds[l], kernel, order);
            continue;
        }
        rf::Mask resized = rf::Mask::Zero(kernel, kernel);
        for (int i = 0; i < m.rows(); ++i) {
            for (int j = 0; j < m.cols(); ++j) {
                const int ii = i - old_h + h, jj = j - old_h + h;
                if (ii >= 0 && jj >= 0 && ii < kernel && jj < kernel) resized(ii, jj) = m(i, j);
            }
        }
        m = resized;
    }
    stack.kernel = kernel;
    stack.order = order;
}

Json RfModel::defaults() const {
    return Json{{"size", rf_keys::size.def},
                {"kernel", rf_keys::kernel.def},
                {"order", "top-down"},
                {"masks", Json::array({"A", "B"})},
                {"pixel", Json::array({rf_keys::pixel.def, rf_keys::pixel.def})},
                {"view", "field"},
                {"architecture", "plain"},
                {"dilations", Json::array({1, 1})},
                {"taps", rf_keys::taps.def}};
}

RfParams rf_params_from_json(const Json& state) {
    Fields f(state, kPanel);
    RfParams p;
    p.stack.size = static_cast<int>(f.integer(rf_keys::size));
    p.stack.kernel = static_cast<int>(f.integer(rf_keys::kernel));
    if (p.stack.kernel % 2 == 0) f.fail("kernel", "one of 1, 3, 5, 7, 9");
    p.stack.order = order_from(f.word("order", kOrders));
    // "masks=A" on the command line is a one-layer stack, not an error.
    const Json masks = f.at("masks").is_string() ? Json::array({f.at("masks")}) : f.at("masks");
    if (!masks.is_array() || masks.empty() || masks.size() > kRfMaxLayers) {
        f.fail("masks", "a list of 1 to " + std::to_string(kRfMaxLayers) +
                            " masks, input first, each \"A\", \"B\", \"none\" or a k×k 0/1 matrix");
    }
    for (size_t l = 0; l < masks.size(); ++l) {
        const rf::MaskKind kind = kind_from_json(masks[l]);
        p.kinds.push_back(kind);
        p.stack.masks.push_back(kind == rf::MaskKind::Custom
                                    ? custom_mask(masks[l], p.stack.kernel,
                                                  f.name("masks") + "[" + std::to_string(l) + "]")
                                    : rf::make_mask(kind, p.stack.kernel, p.stack.order));
    }
    const Json& pixel = f.at("pixel");
    const std::string pixel_range =
        "[row, col] with 1 <= row, col <= size (" + std::to_string(p.stack.size) + ")";
    if (!pixel.is_array() || pixel.size() != 2) f.fail("pixel", pixel_range);
    p.pixel.row = static_cast<int>(
                      whole_number(pixel[0], rf_keys::pixel.lo, p.stack.size, f.name("pixel[0]"))) -
                  1;
    p.pixel.col = static_cast<int>(
                      whole_number(pixel[1], rf_keys::pixel.lo, p.stack.size, f.name("pixel[1]"))) -
                  1;
    p.view = f.word("view", kViews);
    p.stack.architecture = rf_architecture_from(f.word("architecture", kRfArchitectures));
    p.stack.dilations = dilations_from(f, p.stack.masks.size());
    p.stack.taps = static_cast<int>(f.integer(rf_keys::taps));
    try {
        rf::validate(p.stack);
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
    return p;
}

Json rf_params_to_json(const RfParams& p) {
    Json masks = Json::array();
    for (size_t l = 0; l < p.stack.masks.size(); ++l) {
        const rf::MaskKind kind = l < p.kinds.size() ? p.kinds[l] : rf::MaskKind::Custom;
        masks.push_back(kind == rf::MaskKind::Custom
                            ? rf_mask_to_json(p.stack.masks[l], p.stack.order)
                            : Json(rf::to_string(kind)));
    }
    return Json{{"size", p.stack.size},
                {"kernel", p.stack.kernel},
                {"order", rf::to_string(p.stack.order)},
                {"masks", masks},
                {"pixel", rf_cell_json(p.pixel)},
                {"view", p.view},
                {"architecture", rf::to_string(p.stack.architecture)},
                {"dilations", p.stack.dilations},
                {"taps", p.stack.taps}};
}

Json RfModel::normalize(const Json& state) const {
    return rf_params_to_json(rf_params_from_json(state));
}

std::unique_ptr<Scene> RfModel::make_scene() const { return std::make_unique<RfScene>(); }

Json RfModel::key_specs() const {
    Json kernel = key_json(rf_keys::kernel);
    kernel["values"] = Json::array({1, 3, 5, 7, 9});
    Json pixel = key_json(rf_keys::pixel);  // "each" and [row, col] come from defaults()
    pixel["note"] = "each of [row, col]; at most size";
    Json dilation = key_json(rf_keys::dilation);
    dilation["note"] = "one per layer (plain, causal1d); missing layers get 1";
    return Json::array({key_json(rf_keys::size), kernel, pixel, dilation, key_json(rf_keys::taps)});
}

const RfModel& rf_model() {
    static const RfModel model;
    return model;
}

}  // namespace genlab
