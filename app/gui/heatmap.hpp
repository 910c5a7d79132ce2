// A colormapped scalar field on the GPU. Values go up as an R32F texture; a shader maps them
// through a colormap into an RGBA texture that canvases draw as an image. Dirty flags keep
// it cheap: new values re-upload, a new range or colormap only re-shades.
//
// Usage:
//   Heatmap heat;
//   heat.set_values(w, h, data);                     // row 0 is the TOP row of the image
//   heat.set_range(0.0, 9.0, Colormap::Viridis);     // ignored values: NaN/Inf → transparent
//   canvas.image(heat.texture(), world_min, world_max);
#pragma once

#include <vector>

#include "colormap.hpp"
#include "gl.hpp"

namespace genlab {

class Heatmap {
  public:
    Heatmap() = default;
    Heatmap(const Heatmap&) = delete;
    Heatmap& operator=(const Heatmap&) = delete;
    ~Heatmap();

    void set_values(int width, int height, const std::vector<float>& values);
    void set_range(double vmin, double vmax, Colormap map);
    void set_smooth(bool smooth);  // linear filtering (densities) or nearest (cell grids)
    // The shaded RGBA texture, re-shaded only when something changed. 0 before any values.
    GLuint texture();

  private:
    void ensure_gl();
    GLuint values_tex_ = 0, colormap_tex_ = 0, program_ = 0, vao_ = 0;
    RenderTarget shaded_;
    int width_ = 0, height_ = 0;
    float vmin_ = 0, vmax_ = 1;
    Colormap map_ = Colormap::Viridis;
    bool smooth_ = false;
    bool values_dirty_ = false, shade_dirty_ = false, colormap_dirty_ = true;
    std::vector<float> pending_;
};

}  // namespace genlab
