// genlab_bench: the core kernels the panels run, at fixed sizes (issue 6, BENCHMARKS.md).
//   flow_push       512² base grid through 16 layers (planar/radial): positions + log|det J|
//   gan_rk4         1000 dirac trajectories (γ = 0.3) × 1000 RK4 steps (lr = 0.05)
//   kl_reverse_fit  1-D reverse-KL fit, 2048-point quadrature, 2000 Adam steps
//   rf_paths        path counts for one pixel, 128×128 grid, 16 layers, 5×5 masks (A then B)
//   flow_train_step one Adam step of 16 planar layers on U1 by reverse KL, batch 2048 (issue 13:
//                   ≤ 3 ms); flow_train_step_forward the same by forward KL on mixture samples
//   vi_lk_series    the exact L_K (Frullani quadrature) for the panel's K = 1 … 1000 (19 K's) at
//                   4 x's (×1, ×4, ×16: 64 x's) on the two-mode quadratic model (issue 15: one
//                   K ≤ 20 ms, the Bounds view's per-frame unit between edits)
//   vi_encoder_step one full-batch Adam step of the 8-unit MLP encoder on Σ ELBO, 16 points (×16:
//                   256) (issue 15: ≤ 0.2 ms at 64 points, so 10 steps a frame fit in 2 ms)
// Each has a scaling series: the argument is the size multiplier (1, 4, 16) and the complexity
// fit is over the work size N (points, trajectories, quadrature nodes, grid cells).
// smoke_* runs the same code at tiny sizes: ctest runs it so the bench never rots.
#include "workloads.hpp"

#include <benchmark/benchmark.h>

#include "genlab/flow_train.hpp"
#include "genlab/vi.hpp"

#include <cmath>
#include <stdexcept>

namespace gb = genlab::bench;
using namespace genlab;

namespace {

void run_flow_push(benchmark::State& state, int n) {
    const flow::Stack s = gb::flow_stack(16);
    const Eigen::Matrix2Xd z = gb::flow_grid(n);
    Eigen::VectorXd log_det;
    for (auto _ : state) {
        Eigen::Matrix2Xd x = flow::push_batch(s, z, &log_det);
        benchmark::DoNotOptimize(x.data());
        benchmark::DoNotOptimize(log_det.data());
    }
    if (!log_det.allFinite()) state.SkipWithError("non-finite log|det J|");
    state.SetComplexityN(z.cols());
    state.counters["points"] = static_cast<double>(z.cols());
}

void run_gan_rk4(benchmark::State& state, int trajectories, int steps) {
    const gan::Params p = gb::gan_params();
    const std::vector<gan::State> starts = gb::gan_starts(trajectories);
    // The panel's extra trajectories keep ~1000 states (view_gan.cpp's extra_keep).
    const int keep = std::max(1, steps / 1000);
    for (auto _ : state) {
        std::vector<gan::Trajectory> t = gan::integrate_batch(p, starts, steps, keep);
        benchmark::DoNotOptimize(t.data());
        if (t.back().steps != steps) state.SkipWithError("a trajectory diverged");
    }
    state.SetComplexityN(trajectories);
}

void run_kl_fit(benchmark::State& state, int nodes, int iterations) {
    const kl::Mixture p = gb::kl_target();
    const kl::Quadrature quad(1, nodes);
    const kl::FitOptions o = gb::kl_options(iterations);
    for (auto _ : state) {
        kl::Fit f = kl::fit(p, gb::kl_start(), kl::Objective::Reverse, o, quad);
        benchmark::DoNotOptimize(f.q.mean.data());
        if (f.iterations != iterations) state.SkipWithError("the fit stopped early");
    }
    state.SetComplexityN(nodes);
}

void run_rf_paths(benchmark::State& state, int n, int layers) {
    const rf::Stack s = gb::rf_stack(n, layers);
    for (auto _ : state) {
        rf::Analysis a = rf::analyze(s, gb::rf_pixel(n));
        benchmark::DoNotOptimize(a.paths.data());
    }
    state.SetComplexityN(static_cast<int64_t>(n) * n);
}

// Adam steps of a 16-layer planar stack (the trainer is built once: a frame of Play only steps).
void run_flow_train(benchmark::State& state, int batch, flow::train::Objective objective) {
    namespace ft = flow::train;
    ft::Options o;
    o.batch = batch;
    o.objective = objective;
    const ft::Target target = objective == ft::Objective::Reverse
                                  ? ft::Target::energy(1)
                                  : ft::Target::from_mixture(gb::flow_train_mixture());
    ft::Trainer trainer(ft::planar_stack(16, 3), target, o);
    for (auto _ : state) {
        if (trainer.step(1) != 1) state.SkipWithError(trainer.stop_reason().c_str());
    }
    state.SetComplexityN(batch);
    state.counters["steps/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The VI panel's model: f(z) = z², σ_x = 0.5 (two posterior modes for x > 0).
vi::Model vi_model() {
    vi::Model m;
    m.link = vi::Link::Quadratic;
    m.a = 1;
    m.sigma_x = 0.5;
    return m;
}

// The exact L_K series for `xs` x's in [0.5, 4], q = N(0.8, 0.8²) (the panel's default).
void run_vi_lk(benchmark::State& state, int xs, const std::vector<int>& ks) {
    const vi::Model m = vi_model();
    const vi::Gaussian q{0.8, 0.8};
    for (auto _ : state) {
        for (int i = 0; i < xs; ++i) {
            const double x = 0.5 + 3.5 * i / std::max(1, xs - 1);
            std::vector<vi::Bound> b = vi::iw_bound_exact_series(m, x, q, ks);
            benchmark::DoNotOptimize(b.data());
            if (!std::isfinite(b.back().value)) state.SkipWithError("a non-finite L_K");
        }
    }
    state.SetComplexityN(xs);
    // Seconds per (x, K) pair: the Bounds view computes one K a frame between edits.
    state.counters["s_per_K"] = benchmark::Counter(
        static_cast<double>(xs) * static_cast<double>(ks.size()),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Adam steps of the MLP encoder (8 hidden units) on `n` points drawn from the model.
void run_vi_encoder(benchmark::State& state, int n) {
    const vi::Model m = vi_model();
    const std::vector<double> xs = vi::sample_data(m, n, 2);
    vi::EncoderTrainer t(vi::make_encoder(vi::EncoderKind::Mlp, 8, 3), 0.02);
    for (auto _ : state) {
        t.run(m, xs, 1);
        benchmark::DoNotOptimize(t.encoder().theta.data());
    }
    if (!t.encoder().theta.allFinite()) state.SkipWithError("the encoder diverged");
    state.SetComplexityN(n);
}

const std::vector<int>& vi_series_ks() {
    static const std::vector<int> ks = {1,  2,  3,   4,   5,   7,   10,  14,  20,  30,
                                        50, 70, 100, 140, 200, 300, 500, 700, 1000};
    return ks;
}

// Size multipliers 1, 4, 16 (work N ×1, ×4, ×16).
void flow_push(benchmark::State& st) {
    run_flow_push(st, 512 * static_cast<int>(std::lround(std::sqrt(st.range(0)))));
}
void gan_rk4(benchmark::State& st) { run_gan_rk4(st, 1000 * static_cast<int>(st.range(0)), 1000); }
void kl_reverse_fit(benchmark::State& st) {
    run_kl_fit(st, 2048 * static_cast<int>(st.range(0)), 2000);
}
void rf_paths(benchmark::State& st) {
    run_rf_paths(st, 128 * static_cast<int>(std::lround(std::sqrt(st.range(0)))), 16);
}

void flow_train_step(benchmark::State& st) {
    run_flow_train(st, 2048 * static_cast<int>(st.range(0)), flow::train::Objective::Reverse);
}
void flow_train_step_forward(benchmark::State& st) {
    run_flow_train(st, 2048 * static_cast<int>(st.range(0)), flow::train::Objective::Forward);
}

void vi_lk_series(benchmark::State& st) {
    run_vi_lk(st, 4 * static_cast<int>(st.range(0)), vi_series_ks());
}
void vi_encoder_step(benchmark::State& st) {
    run_vi_encoder(st, 16 * static_cast<int>(st.range(0)));
}

void smoke_vi_lk(benchmark::State& st) { run_vi_lk(st, 1, {1, 10}); }
void smoke_vi_encoder_step(benchmark::State& st) { run_vi_encoder(st, 4); }
void smoke_flow_push(benchmark::State& st) { run_flow_push(st, 16); }
void smoke_flow_train_step(benchmark::State& st) {
    run_flow_train(st, 32, flow::train::Objective::Reverse);
}
void smoke_gan_rk4(benchmark::State& st) { run_gan_rk4(st, 8, 50); }
void smoke_kl_reverse_fit(benchmark::State& st) { run_kl_fit(st, 64, 20); }
void smoke_rf_paths(benchmark::State& st) { run_rf_paths(st, 16, 4); }

}  // namespace

// The scaling series: multipliers 1, 4, 16, wall time (the kernels use both cores), and
// Google Benchmark's least-squares fit of time = c·N with its RMS error.
void series(benchmark::internal::Benchmark* b) {
    b->Arg(1)->Arg(4)->Arg(16)->Unit(benchmark::kMillisecond)->Complexity(benchmark::oN);
    b->UseRealTime();
}

BENCHMARK(flow_push)->Apply(series);
BENCHMARK(gan_rk4)->Apply(series);
BENCHMARK(kl_reverse_fit)->Apply(series);
BENCHMARK(rf_paths)->Apply(series);
BENCHMARK(flow_train_step)->Apply(series);
BENCHMARK(flow_train_step_forward)->Apply(series);
BENCHMARK(vi_lk_series)->Apply(series)->Iterations(1);
BENCHMARK(vi_encoder_step)->Apply(series);

BENCHMARK(smoke_flow_push)->Unit(benchmark::kMicrosecond);
BENCHMARK(smoke_gan_rk4)->Unit(benchmark::kMicrosecond);
BENCHMARK(smoke_kl_reverse_fit)->Unit(benchmark::kMicrosecond);
BENCHMARK(smoke_rf_paths)->Unit(benchmark::kMicrosecond);
BENCHMARK(smoke_flow_train_step)->Unit(benchmark::kMicrosecond);
BENCHMARK(smoke_vi_lk)->Unit(benchmark::kMicrosecond);
BENCHMARK(smoke_vi_encoder_step)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
