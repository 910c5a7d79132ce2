// genlab/parallel.hpp: how many threads the core's batch kernels use.
//
// The kernels (flow::push_batch, gan::integrate_batch, the KL fit's quadrature, the flow
// density grid) split their work into fixed-size blocks that do not depend on the thread
// count, and reduce partial results in block order: every result is bit-for-bit the same
// with 1 thread or 2. The count only changes the speed.
//
// Default: std::thread::hardware_concurrency() (never more threads than cores). The
// environment variable GENLAB_THREADS (an integer >= 1) overrides it at first use;
// set_threads() overrides both.
#pragma once

namespace genlab::parallel {

// n >= 1 threads (including the caller), capped at the core count; n = 0 restores the
// default. Takes effect at the next kernel call.
void set_threads(int n);

// The threads a kernel started now would use (>= 1).
int threads();

}  // namespace genlab::parallel
