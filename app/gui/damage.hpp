// DamageRenderer: draws ImGui's frame into a persistent offscreen image, re-rasterizing only
// the pixels whose primitives changed since the previous frame, then copies the image to the
// window.
//
// Why: on a machine without a GPU (Mesa llvmpipe) every blended pixel costs ~13 ns of CPU, and
// a full GenLab frame blends 4-6 million of them. Most frames change a small part of the window
// (an animated plot, a readout), so redrawing only that part is what keeps a frame within 16 ms.
//
// How: the previous frame's draw lists are kept. Lists are matched by window name, commands by
// position; within a command, the common prefix and suffix of triangles are skipped and the
// bounding box of the rest (old and new) is damaged. A command whose texture, callback or clip
// rectangle changed, or whose texture content changed (gl.hpp's texture versions), is damaged
// whole. Each damaged rectangle is cleared and every command is replayed clipped to it, so the
// result is pixel-identical to a full redraw (tests check this with GENLAB_TEST_VERIFY_DAMAGE).
//
// Where the previous frame is kept: Mesa's software rasterizers keep the window's back buffer
// across swaps, so it is drawn into directly; elsewhere an offscreen image is kept and copied.
//
// Usage (after ImGui::Render()):
//   DamageRenderer damage(reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
//   damage.render(ImGui::GetDrawData(), fb_w, fb_h, clear_colour);  // ends bound to FBO 0
#pragma once

#include <imgui.h>

#include <memory>
#include <string>
#include <vector>

#include "gl.hpp"

namespace genlab {

struct DamageStats {
    double fraction = 1;         // damaged pixels / framebuffer pixels, last frame
    int rects = 0;               // damaged rectangles, last frame
    long verify_mismatches = 0;  // pixels that differed from a full redraw (verify mode only)
};

class DamageRenderer {
  public:
    // `gl_renderer`: glGetString(GL_RENDERER), which decides where the kept frame lives.
    // GENLAB_DAMAGE=off|offscreen|direct overrides (off: every frame is drawn whole).
    explicit DamageRenderer(const char* gl_renderer);
    ~DamageRenderer();
    void render(ImDrawData* data, int fb_width, int fb_height, ImVec4 clear);
    // The next frame redraws everything (after anything that bypasses draw lists).
    void invalidate() { full_ = true; }
    const DamageStats& stats() const { return stats_; }

  private:
    struct Snapshot;
    std::vector<ImVec4> find_damage(const ImDrawData& data) const;
    void remember(const ImDrawData& data);
    void draw_clipped(ImDrawData* data, const std::vector<ImVec4>& rects, ImVec4 clear);
    void verify(ImDrawData* data, ImVec4 clear);
    void present(int fb_width, int fb_height);

    enum class Mode { Direct, Offscreen, Off };
    Mode mode_ = Mode::Offscreen;
    int fb_width_ = 0, fb_height_ = 0;
    RenderTarget image_;                       // Offscreen mode: the kept frame
    std::unique_ptr<RenderTarget> reference_;  // verify mode: a full redraw to compare with
    std::unique_ptr<Snapshot> previous_;
    unsigned int copy_program_ = 0, copy_vao_ = 0;
    bool full_ = true, verify_ = false;
    DamageStats stats_;
};

}  // namespace genlab
