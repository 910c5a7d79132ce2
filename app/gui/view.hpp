// PanelView: one panel's UI: widgets, input mapping and drawing. Everything else (parameters,
// derived data, play/step/reset) lives in the panel's Scene (model/scene_<panel>.hpp), which
// the view reads and edits through its setters. The shell (shell.cpp) owns the window,
// toolbar and export, and advances the scene (scene().tick) before each draw(). One file per view:
// view_<panel>.cpp.
//
// Usage (see view_gan.cpp):
//   class GanView : public PanelView {
//       const PanelModel& model() const override { return scene_.model(); }
//       Scene& scene() const override { return *scene_; }
//       void set_state(const Json& s) override;   // scene_.set_state(s), then view resets
//       void draw() override;                     // widgets and plots of the scene's data
//       std::unique_ptr<GanScene> scene_ = std::make_unique<GanScene>();
//   };
#pragma once

#include <memory>
#include <vector>

#include "canvas.hpp"
#include "panel_model.hpp"
#include "scene.hpp"

namespace genlab {

class PanelView {
  public:
    virtual ~PanelView() = default;
    virtual const PanelModel& model() const = 0;
    // The panel's scene: its state, simulation and transport.
    virtual Scene& scene() const = 0;
    // Loads a normalized state into the scene and resets what the view keeps (plot homes).
    virtual void set_state(const Json& normalized) = 0;
    virtual Json state() const = 0;
    virtual void draw() = 0;
    // The canvas that "Export canvas PNG" writes.
    virtual Canvas& main_canvas() = 0;
    // Every canvas of the panel, for the whole-panel figure (those drawn in the last frame
    // are laid out as on screen).
    virtual std::vector<Canvas*> figure_canvases() = 0;
    // Lines for the F1 overlay, beyond the shared shortcuts: what the mouse does here...
    virtual std::vector<std::string> help_lines() const = 0;
    // ...and what every mark on screen means (issue 12: hover-only explanations were missed).
    virtual std::vector<std::string> legend_lines() const = 0;
    // The widget id prefix (test_dump.hpp) of the slider `genlab --bench` drags: the panel's
    // most-used one ("gan.gamma").
    virtual std::string bench_slider() const { return ""; }

    // Transport: the scene's play / pause / step / reset.
    void set_playing(bool playing) { scene().set_playing(playing); }
    bool playing() const { return scene().playing(); }
    // Whether the next frame must come without waiting for input (something is moving).
    bool wants_frames() const { return scene().wants_frames(); }
    void step() { scene().step(); }
    void reset() { scene().reset(); }
};

// Every view, in the same order as all_panel_models(). Add a panel here.
std::vector<std::unique_ptr<PanelView>> make_all_views();

}  // namespace genlab
