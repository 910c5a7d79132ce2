// A small persistent thread pool for the core's block loops. See parallel.hpp.
//
// Why persistent and spinning: a KL fit runs ~2000 short parallel loops (a few µs each); a
// thread started per loop, or a condition-variable wake-up per loop, would cost more than the
// loop. Workers poll for a few tens of µs after each loop, then sleep on a condition variable.
//
// Claiming: one 64-bit ticket holds (generation, block count, next block). A thread claims a
// block with a compare-exchange on it, so a late worker can never claim a block of a loop
// that already ended, and reads the task only after a successful claim (while that loop
// cannot end).
#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GENLAB_PAUSE() _mm_pause()
#else
#define GENLAB_PAUSE() std::this_thread::yield()
#endif

namespace genlab::parallel {

namespace {

// ~20-50 µs of pause instructions before a worker sleeps: long enough for the back-to-back
// loops of a fit (a few µs apart), short enough not to burn a core the GUI's software GL
// (llvmpipe) and the rest of the frame need.
constexpr int kSpinPolls = 1 << 9;
constexpr std::uint64_t kField = (1u << 20) - 1;  // blocks and next: 20 bits each

std::uint64_t make_ticket(std::uint64_t gen, std::uint64_t blocks, std::uint64_t next) {
    return (gen << 40) | (blocks << 20) | next;
}
std::uint64_t gen_of(std::uint64_t t) { return t >> 40; }
int blocks_of(std::uint64_t t) { return static_cast<int>((t >> 20) & kField); }
int next_of(std::uint64_t t) { return static_cast<int>(t & kField); }

thread_local bool t_in_pool = false;  // inside a block, or a worker thread

int hardware() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// GENLAB_THREADS, when it is an integer >= 1; else the core count.
int default_threads() {
    const char* env = std::getenv("GENLAB_THREADS");
    if (env && *env) {
        char* end = nullptr;
        const long v = std::strtol(env, &end, 10);
        if (end && *end == '\0' && v >= 1) return std::min(hardware(), static_cast<int>(v));
    }
    return hardware();
}

std::atomic<int> g_override{0};  // set_threads(); 0: default

class Pool {
  public:
    ~Pool() {
        stop_.store(true);
        { std::lock_guard<std::mutex> lock(sleep_mutex_); }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    void run(int blocks, void (*task)(void*, int), void* ctx, int threads) {
        std::unique_lock<std::mutex> running(run_mutex_, std::try_to_lock);
        if (!running.owns_lock()) return serial(blocks, task, ctx);
        while (static_cast<int>(workers_.size()) < threads - 1) {
            const int index = static_cast<int>(workers_.size());
            workers_.emplace_back([this, index] { work(index); });
        }
        task_.store(task, std::memory_order_relaxed);
        ctx_.store(ctx, std::memory_order_relaxed);
        active_.store(threads - 1, std::memory_order_relaxed);
        done_.store(0, std::memory_order_relaxed);
        error_ = nullptr;
        error_block_ = blocks;
        const std::uint64_t gen = gen_of(ticket_.load()) + 1;
        ticket_.store(make_ticket(gen, static_cast<std::uint64_t>(blocks), 0),
                      std::memory_order_release);
        { std::lock_guard<std::mutex> lock(sleep_mutex_); }
        wake_.notify_all();
        t_in_pool = true;
        claim(gen);
        t_in_pool = false;
        for (int spins = 0; done_.load(std::memory_order_acquire) < blocks; ++spins) {
            if (spins < kSpinPolls)
                GENLAB_PAUSE();
            else
                std::this_thread::yield();  // a worker was descheduled: give it the core
        }
        if (error_) std::rethrow_exception(error_);
    }

    static void serial(int blocks, void (*task)(void*, int), void* ctx) {
        for (int b = 0; b < blocks; ++b) task(ctx, b);
    }

  private:
    // Claims and runs blocks of loop `gen` until none is left.
    void claim(std::uint64_t gen) {
        std::uint64_t t = ticket_.load(std::memory_order_acquire);
        for (;;) {
            if (gen_of(t) != gen || next_of(t) >= blocks_of(t)) return;
            if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel,
                                               std::memory_order_acquire))
                continue;
            const int b = next_of(t);
            try {
                task_.load(std::memory_order_relaxed)(ctx_.load(std::memory_order_relaxed), b);
            } catch (...) {
                // The lowest block's exception, whichever thread ran it: deterministic.
                std::lock_guard<std::mutex> lock(error_mutex_);
                if (b < error_block_) error_ = std::current_exception(), error_block_ = b;
            }
            done_.fetch_add(1, std::memory_order_release);
            t = ticket_.load(std::memory_order_acquire);
        }
    }

    void work(int index) {
        t_in_pool = true;
        std::uint64_t seen = gen_of(ticket_.load());
        for (;;) {
            std::uint64_t t = ticket_.load(std::memory_order_acquire);
            for (int spins = 0; gen_of(t) == seen && !stop_.load(); ++spins) {
                if (spins < kSpinPolls) {
                    GENLAB_PAUSE();
                } else {
                    std::unique_lock<std::mutex> lock(sleep_mutex_);
                    wake_.wait(lock,
                               [&] { return gen_of(ticket_.load()) != seen || stop_.load(); });
                    spins = 0;
                }
                t = ticket_.load(std::memory_order_acquire);
            }
            if (stop_.load()) return;
            seen = gen_of(t);
            // Workers beyond the loop's thread count sit it out (set_threads lowered it).
            if (index < active_.load(std::memory_order_relaxed)) claim(seen);
        }
    }

    std::mutex run_mutex_;
    std::mutex sleep_mutex_;
    std::condition_variable wake_;
    std::atomic<std::uint64_t> ticket_{0};
    std::atomic<int> done_{0};
    std::atomic<int> active_{0};
    std::atomic<void (*)(void*, int)> task_{nullptr};
    std::atomic<void*> ctx_{nullptr};
    std::atomic<bool> stop_{false};
    std::mutex error_mutex_;
    std::exception_ptr error_;
    int error_block_ = 0;
    std::vector<std::thread> workers_;
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

void set_threads(int n) { g_override.store(n <= 0 ? 0 : std::min(n, hardware())); }

int threads() {
    static const int from_env = default_threads();
    const int o = g_override.load();
    return o > 0 ? o : from_env;
}

void run_blocks(int blocks, void (*task)(void* ctx, int block), void* ctx) {
    if (blocks <= 0) return;
    const int n = threads();
    if (n <= 1 || blocks == 1 || t_in_pool || blocks > static_cast<int>(kField))
        return Pool::serial(blocks, task, ctx);
    pool().run(blocks, task, ctx, n);
}

}  // namespace genlab::parallel
