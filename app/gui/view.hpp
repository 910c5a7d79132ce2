// PanelView: one panel's UI: widgets, input mapping and drawing. Everything else (parameters,
// derived data, play/step/reset) lives in the panel's Scene (model/scene_<panel>.hpp), which
// the view reads and edits through its setters. The shell (shell.cpp) owns the window,
// toolbar and export. One file per view: view_<panel>.cpp.
//
// Usage (see view_gan.cpp):
//   class GanView : public PanelView {
//       const PanelModel& model() const override { return scene_.model(); }
//       Scene* scene() const override { return scene_.get(); }
//       void set_state(const Json& s) override;   // scene_.set_state(s), then view resets
//       void draw(const FrameInfo& frame) override;
//       std::unique_ptr<GanScene> scene_ = std::make_unique<GanScene>();
//   };
#pragma once

#include <memory>
#include <vector>

#include "canvas.hpp"
#include "panel_model.hpp"
#include "scene.hpp"

namespace genlab {

struct FrameInfo {
    double dt = 0;     // seconds since the previous frame (0 on the first)
    double speed = 1;  // the toolbar's speed multiplier
};

class PanelView {
  public:
    virtual ~PanelView() = default;
    virtual const PanelModel& model() const = 0;
    // The panel's scene (transitional: nullptr for a view not yet moved to one).
    virtual Scene* scene() const { return nullptr; }
    // Loads a normalized state into the scene and resets what the view keeps (plot homes).
    virtual void set_state(const Json& normalized) = 0;
    virtual Json state() const = 0;
    virtual void draw(const FrameInfo& frame) = 0;
    // The canvas that "Export canvas PNG" writes.
    virtual Canvas& main_canvas() = 0;
    // Lines for the F1 overlay, beyond the shared shortcuts.
    virtual std::vector<std::string> help_lines() const { return {}; }
    // The widget id prefix (test_dump.hpp) of the slider `genlab --bench` drags: the panel's
    // most-used one ("gan.gamma").
    virtual std::string bench_slider() const { return ""; }

    // Transport: the scene's play / pause / step / reset.
    virtual void set_playing(bool playing) {
        if (Scene* s = scene()) return s->set_playing(playing);
        playing_ = playing;
    }
    bool playing() const {
        if (Scene* s = scene()) return s->playing();
        return playing_;
    }
    // Whether the next frame must come without waiting for input (something is moving).
    virtual bool wants_frames() const {
        if (Scene* s = scene()) return s->wants_frames();
        return playing_;
    }
    virtual void step() {
        if (Scene* s = scene()) s->step();
    }
    virtual void reset() {
        if (Scene* s = scene()) s->reset();
    }

  protected:
    bool playing_ = false;  // (transitional, for a view without a scene)
};

// Every view, in the same order as all_panel_models(). Add a panel here.
std::vector<std::unique_ptr<PanelView>> make_all_views();

}  // namespace genlab
