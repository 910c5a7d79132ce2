// Exact invertibility verdicts for flow layers (private to core/src): flow.cpp calls
// verdict() for invertibility() and for every stack function's gate. See genlab/flow.hpp.
#pragma once

#include "genlab/flow.hpp"

namespace genlab::flow::exact {

// The verdict for a validated layer. `want_witness`: also search for a witness when the
// verdict is Disproved (a few thousand forward() calls; the gates skip it).
Invertibility verdict(const Layer& layer, bool want_witness);

}  // namespace genlab::flow::exact
