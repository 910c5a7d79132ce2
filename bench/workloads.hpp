// The benchmark workloads, shared by the benchmarks and their smoke test: each builds the
// inputs a panel would hand the core and runs the same core call the panel makes.
#pragma once

#include "genlab/flow.hpp"
#include "genlab/gan.hpp"
#include "genlab/kl.hpp"
#include "genlab/receptive_field.hpp"

#include <vector>

namespace genlab::bench {

// 16 invertible layers, planar and radial alternating, and an n×n base grid over ±3σ.
flow::Stack flow_stack(int layers = 16);
Eigen::Matrix2Xd flow_grid(int n);
// The two-mode mixture forward-KL training fits (seeds Q3.2's shape).
kl::Mixture flow_train_mixture();

// `count` dirac starts spread over a box around the equilibrium; flow method (RK4), lr 0.05,
// γ = 0.3.
gan::Params gan_params();
std::vector<gan::State> gan_starts(int count);

// The exam's two-mode target and an asymmetric start (the reverse fit's mode-seeking case).
kl::Mixture kl_target();
kl::Gaussian kl_start();
kl::FitOptions kl_options(int iterations);

// An n×n map, `layers` 5×5 masked layers (A then B), top-down, and the centre pixel.
rf::Stack rf_stack(int n, int layers = 16);
rf::Cell rf_pixel(int n);

}  // namespace genlab::bench
