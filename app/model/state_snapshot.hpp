// StateSnapshot: a panel's last valid state, kept by the shell for sessions, reports and
// exports, and to go back to after a frame that threw. It is taken again only when the
// panel's scene reports a change (Scene::revision; its setters validate, so its state is
// valid), so no frame builds the panel's JSON. Header-only and without GL: tested headless.
//
// Usage (shell.cpp):
//   StateSnapshot last_good;
//   last_good.reset(normalized);                               // after loading the panel
//   last_good.refresh(*scene, [&] { return view.state(); });   // after each frame
//   session["gan"] = last_good.state();
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "panel_model.hpp"
#include "scene.hpp"

namespace genlab {

class StateSnapshot {
  public:
    // After loading `state` (already normalized) into the panel. The next refresh() takes a
    // snapshot whatever the revision, so the scene's canonical form is the one kept.
    void reset(const Json& state) {
        state_ = state;
        revision_.reset();
    }
    // After a frame: calls `state` and keeps its result only when `scene.revision()` is not
    // the one of the last snapshot. Returns whether it took one.
    bool refresh(const Scene& scene, const std::function<Json()>& state) {
        if (revision_ == scene.revision()) return false;
        state_ = state();
        revision_ = scene.revision();
        return true;
    }
    const Json& state() const { return state_; }

  private:
    Json state_;
    std::optional<std::uint64_t> revision_;  // the scene's revision at the last snapshot
};

}  // namespace genlab
