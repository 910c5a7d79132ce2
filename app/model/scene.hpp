// Scene: one panel's headless simulation. It owns the validated parameters, dirty flags, all
// derived data and the transport (play / step / reset / tick). The view draws what the scene
// holds and calls its setters; report() and csv() read the same data, so the screen and
// `--report` show one number computed by one path. No GL and no ImGui: unit-tested headless.
//
// Usage (one per panel, e.g. scene_gan.hpp):
//   class GanScene : public Scene {
//     public:
//       const PanelModel& model() const override;
//       void set_state(const Json& normalized) override;  // PanelModel::normalize's output
//       Json state() const override;
//       void update() override;                           // recompute what is dirty
//       Json report() override;
//       std::string csv() override;
//       void set_gamma(double g);                          // validates, marks dirty, touch()
//   };
//   auto scene = model.make_scene();
//   scene->set_state(model.normalize(json));
//   scene->tick(dt, speed);  // a frame: advance play and budgeted work
//   Json numbers = scene->report();
#pragma once

#include <cstdint>
#include <string>

#include "panel_model.hpp"

namespace genlab {

class Scene {
  public:
    virtual ~Scene() = default;
    virtual const PanelModel& model() const = 0;

    // Replaces every parameter by a normalized state (PanelModel::normalize's output). Stops
    // playing. Throws UserError when the scene cannot take it (nothing changes then).
    virtual void set_state(const Json& normalized) = 0;
    // The canonical JSON of the current parameters: what sessions and presets hold.
    virtual Json state() const = 0;

    // Brings the derived data up to date: recomputes only what a change made dirty.
    virtual void update() = 0;
    // The "<panel>" object of a report, and the panel's numbers as CSV, from the same data
    // the view draws (both call update() first).
    virtual Json report() = 0;
    virtual std::string csv() = 0;

    // Transport. tick() is one frame: it advances play by dt seconds × speed and spends the
    // frame's budget on unfinished work (live fits). Returns true when anything changed.
    virtual void set_playing(bool playing) { playing_ = playing; }
    bool playing() const { return playing_; }
    // Whether the next frame must come without waiting for input (something is moving).
    virtual bool wants_frames() const { return playing_; }
    virtual void step() {}
    virtual void reset() {}
    virtual bool tick(double /*dt*/, double /*speed*/) { return false; }

    // Counts accepted parameter changes: the shell snapshots state() only when it moves, so
    // no frame converts state to JSON and back.
    std::uint64_t revision() const { return revision_; }

  protected:
    void touch() { ++revision_; }
    bool playing_ = false;

  private:
    std::uint64_t revision_ = 0;
};

}  // namespace genlab
