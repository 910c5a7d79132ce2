// Key specs: every numeric key's range and default, stated once. Validation (Fields), the
// widgets (gui/widgets.hpp), `--set` errors, `genlab --keys` and the README table read them,
// so a slider cannot allow what loading refuses.
//
// Usage:
//   namespace gan_keys {
//   inline constexpr NumberKey lr{"gan", "lr", 1e-4, 10, 0.1, Scale::Log};
//   }
//   double lr = fields.number(gan_keys::lr);              // in model normalize()
//   slider("lr", scene.lr(), gan_keys::lr, "%.4g");        // in the view
#pragma once

#include <string>
#include <vector>

#include "panel_model.hpp"

namespace genlab {

enum class Scale { Linear, Log };

struct NumberKey {
    const char* panel;
    const char* key;
    double lo, hi, def;
    Scale scale = Scale::Linear;
    std::string path() const { return std::string(panel) + "." + key; }
};

struct IntKey {
    const char* panel;
    const char* key;
    long long lo, hi, def;
    Scale scale = Scale::Linear;
    std::string path() const { return std::string(panel) + "." + key; }
};

// One key as `genlab --keys` lists it: {"key", "kind", "min", "max", "default", "scale"}. A
// panel may add "values" (the only values allowed, e.g. odd kernel sizes) or "each": true (the
// range bounds each item of a list, e.g. a pixel's [row, col]) and a "note".
Json key_json(const NumberKey& k);
Json key_json(const IntKey& k);
// "0.0001–10": the range as the README's key tables write it.
std::string readme_range(const NumberKey& k);
std::string readme_range(const IntKey& k);

// A scene setter's check: throws UserError "<panel>.<key> must be in [lo–hi] (got v)".
void check_range(const NumberKey& key, double v);
void check_range(const IntKey& key, long long v);

}  // namespace genlab
