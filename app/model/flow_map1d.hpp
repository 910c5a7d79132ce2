// FlowMap1d: the flow panel's "1-D map (Q5)" mode, headless. One map g: R → R of seed 000 Q5
// (genlab/flow1d.hpp: relu, sigmoidal, residual, radial) pushing a base N(μ, σ²) forward: its
// curves over the view, where it is not monotone, the pushforward (atoms and density) and the
// density's mass. FlowScene owns one and switches to it with flow.mode = "map1d".
//
// Keys under "flow.map1d" (missing keys take their defaults; keys of another type are errors):
//   type ("relu" | "sigmoidal" | "residual" | "radial") and that type's parameters:
//     relu a, b, c (a·max(0, b·t + c)); sigmoidal a, b, w (lists of 1..16);
//     residual s, w, c (t + s·tanh(w·t + c)); radial t0, alpha (> 0), beta;
//   base ({"mean": μ, "std": σ}); view ({"center": c, "extent": e}: z and y in [c − e, c + e]).
//
// Usage:
//   FlowMap1d m;                                   // the defaults
//   m.set(map1d_params_from_json(json));           // errors name flow.map1d.<key>
//   const FlowMap1d::Curves& c = m.curves();       // g, g′, p_Z, p_Y over the view
//   Json r = m.report();                           // the report's "map1d" section
#pragma once

#include <string>
#include <vector>

#include "errors.hpp"
#include "genlab/flow1d.hpp"
#include "panel_model.hpp"

namespace genlab {

struct Map1dParams {
    flow1d::Map map = flow1d::Map::residual(-2, 1, 0.5);
    flow1d::Base base;
    double view_center = 0, view_extent = 4;
};

const std::vector<std::string>& map1d_type_names();  // relu, sigmoidal, residual, radial
Json map1d_defaults();
Json map1d_default_params(const std::string& type);  // the type's parameter keys only
Map1dParams map1d_params_from_json(const Json& v);   // throws UserError naming flow.map1d.<key>
Json map1d_params_to_json(const Map1dParams& p);
void map1d_validate(const Map1dParams& p);  // the same checks on a struct (the view's edits)

class FlowMap1d {
  public:
    static constexpr int kCurvePoints = 401;  // samples of each curve over the view
    static constexpr int kReportPoints = 41;  // the report's decimated samples

    // The curves over the view [c − e, c + e]: z for g, g′ and p_Z; y (the same grid) for p_Y.
    struct Curves {
        std::vector<double> t, g, dg, base, pushed;
        double peak = 1;  // max of the finite p_Z and p_Y values
    };

    FlowMap1d() { set(Map1dParams{}); }
    void set(const Map1dParams& p);  // validates first
    const Map1dParams& params() const { return p_; }

    const flow1d::Monotonicity& monotonicity() const { return mono_; }
    const flow1d::Pushforward& pushforward() const { return pf_; }
    const flow1d::Mass& mass();  // the tanh-sinh quadrature, on first use after a change
    const Curves& curves();
    // "invertible: strictly increasing" | "invertible: strictly decreasing" | "not invertible".
    std::string verdict() const;
    Json report();
    std::string csv();  // t,g,dg,base_density,pushed_density over the view
    int recomputes() const { return recomputes_; }

  private:
    Map1dParams p_;
    flow1d::Monotonicity mono_;
    flow1d::Pushforward pf_;
    flow1d::Mass mass_;
    Curves curves_;
    bool mass_dirty_ = true, curves_dirty_ = true;
    int recomputes_ = 0;
};

}  // namespace genlab
