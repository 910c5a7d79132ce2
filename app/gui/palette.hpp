// UI colours that mean the same thing on every panel: one place, so an error is one red.
#pragma once

#include <imgui.h>

namespace genlab::palette {

inline const ImVec4 kErrorText{0.8f, 0.05f, 0.05f, 1};  // diverged, not invertible, failed
inline const ImVec4 kOkText{0.1f, 0.55f, 0.2f, 1};      // stable, invertible, causal
inline const ImVec4 kWarnText{0.8f, 0.3f, 0.0f, 1};     // not proved, not asymptotically stable
inline const ImVec4 kInfoText{0.1f, 0.4f, 0.1f, 1};     // the status line's good news

}  // namespace genlab::palette
