// The flow panel's "1-D map (Q5)" tab: one map g: R → R of seed 000 Q5 with g(z) against the
// identity, g′(z) with its zero line and the non-monotone intervals shaded, and the base and
// pushed-forward densities (atoms drawn as arrows). The numbers are FlowScene::map1d()'s.
//
// Usage (in FlowView::draw):
//   draw_flow_mode_tabs(scene, tab_mode);              // "Stack" | "1-D map (Q5)"
//   if (scene.mode() == "map1d") map1d_view.Draw();
#pragma once

#include <string>
#include <vector>

#include "canvas.hpp"
#include "scene_flow.hpp"

namespace genlab {

// The tab bar switching flow.mode. `shown` is the mode the tabs showed last frame (a load or
// --set that changes flow.mode selects its tab).
void draw_flow_mode_tabs(FlowScene& scene, std::string& shown);

struct FlowMap1dView {
    explicit FlowMap1dView(FlowScene& scene) : scene_(scene) {}
    void Draw();
    std::vector<Canvas*> canvases() { return {&g_, &dg_, &p_}; }
    std::vector<std::string> legend_lines() const;

  private:
    void draw_controls();
    bool edit_params(Map1dParams& p);
    void draw_readouts();
    void draw_plots(float width, float height);

    FlowScene& scene_;
    Canvas g_{"flow.map1d.g"}, dg_{"flow.map1d.dg"}, p_{"flow.map1d.p"};
};

}  // namespace genlab
