// Unchecked walks through a flow (private to core/src), for callers that have already
// validated the stack and proved every layer they walk invertible (flow::invertible): the
// public flow::log_density and flow::inverse re-validate and re-run every layer's verdict on
// each call, which dominated flow::mass's ~20000 pull-backs and forward-KL training's
// per-point inverses. Same numbers as the public functions, without the checks.
#pragma once

#include "genlab/flow.hpp"

namespace genlab::flow::unchecked {

// flow::log_density's walk from x back to the base through layers upto−1, …, 0; false when
// an inverse fails (the public function's nullopt). out.base is NaN when x is outside a
// layer's image (log density −∞).
bool pull_back(const Stack& s, const Vec2& x, int upto, DensityPoint& out);

// flow::inverse for a layer the caller proved invertible. Without want_residual the
// residual is NaN (one forward() saved) except for residual layers, whose solve has it.
Inverse inverse(const Layer& layer, const Vec2& x, bool want_residual = false);

}  // namespace genlab::flow::unchecked
