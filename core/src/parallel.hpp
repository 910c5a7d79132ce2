// Block-parallel loops for the core's kernels (private to core/src). See genlab/parallel.hpp.
#pragma once

#include "genlab/parallel.hpp"

namespace genlab::parallel {

// Runs task(ctx, b) once for every block b in [0, blocks), on up to threads() threads (the
// caller is one of them), and returns when all are done. Which thread runs a block varies;
// what a block computes must depend only on b. Rethrows the first exception a block threw.
// A call made from inside a block, or while another thread's loop runs, runs serially.
void run_blocks(int blocks, void (*task)(void* ctx, int block), void* ctx);

// The same with any callable f(int block).
template <typename F>
void for_blocks(int blocks, const F& f) {
    run_blocks(
        blocks, [](void* ctx, int b) { (*static_cast<const F*>(ctx))(b); },
        const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace genlab::parallel
