// The GAN panel's "Method grid" tab (issue 14): one phase plot per method cell of the scene's
// grid (gan_grid.hpp), each titled with its method, regularizer, verdict and spectral radius,
// with the widgets to add, remove and edit cells. Drawing and widgets only.
//
// Usage (in GanView::draw, inside the tab):
//   grid_view_.draw(*scene_, ImGui::GetContentRegionAvail());
//   for (Canvas* c : grid_view_.canvases()) ...   // the figure export's canvases
//   if (grid_view_.take_opened()) show_dynamics();  // a click opened a cell in the main plots
#pragma once

#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "canvas.hpp"
#include "scene_gan.hpp"

namespace genlab {

class GanGridView {
  public:
    GanGridView();
    void draw(GanScene& scene, ImVec2 size);
    // The method parameters' sliders (lr_d, ..., gamma_c), for the controls column.
    void draw_parameters(GanScene& scene);
    std::vector<Canvas*> canvases();
    // True once after a click on a cell's plot opened that cell in the main plots
    // (GanScene::open_grid_cell): the panel then shows its Dynamics tab.
    bool take_opened() { return std::exchange(opened_, false); }

  private:
    bool draw_cell(GanScene& scene, size_t i, ImVec2 size);  // true: the cell was removed
    std::array<std::unique_ptr<Canvas>, kGridMaxCells> canvases_;
    bool opened_ = false;
};

}  // namespace genlab
