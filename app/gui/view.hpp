// PanelView: one panel's UI. The shell (app.cpp) owns the window, toolbar and export; a view
// owns its UI state and draws the panel area. One file per view: view_<panel>.cpp.
//
// Usage (see view_receptive_field.cpp):
//   class RfView : public PanelView {
//       const PanelModel& model() const override;
//       void set_state(const Json& s) override;  // normalized by the model
//       Json state() const override;
//       void draw(const FrameInfo& frame) override;
//   };
#pragma once

#include <memory>
#include <vector>

#include "canvas.hpp"
#include "panel_model.hpp"

namespace genlab {

struct FrameInfo {
    double dt = 0;     // seconds since the previous frame (0 on the first)
    double speed = 1;  // the toolbar's speed multiplier
};

class PanelView {
  public:
    virtual ~PanelView() = default;
    virtual const PanelModel& model() const = 0;
    virtual void set_state(const Json& normalized) = 0;
    virtual Json state() const = 0;
    virtual void draw(const FrameInfo& frame) = 0;
    // The canvas that "Export canvas PNG" writes.
    virtual Canvas& main_canvas() = 0;
    // Lines for the F1 overlay, beyond the shared shortcuts.
    virtual std::vector<std::string> help_lines() const { return {}; }

    // Transport: play / pause / step / reset of whatever evolves in the panel.
    virtual void set_playing(bool playing) { playing_ = playing; }
    bool playing() const { return playing_; }
    // Whether the next frame must come without waiting for input (something is moving).
    virtual bool wants_frames() const { return playing_; }
    virtual void step() {}
    virtual void reset() {}

  protected:
    bool playing_ = false;
};

// Every view, in the same order as all_panel_models(). Add a panel here.
std::vector<std::unique_ptr<PanelView>> make_all_views();

}  // namespace genlab
