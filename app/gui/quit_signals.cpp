// Quit signals, handled by a thread that sigwait()s instead of a signal handler, so that what
// runs on a signal (waking GLFW) need not be async-signal-safe. See quit_signals.hpp.
#include "quit_signals.hpp"

#include <GLFW/glfw3.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace genlab {

namespace {

std::atomic<int> g_quit{0};

sigset_t quit_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

}  // namespace

void watch_quit_signals() {
    const sigset_t set = quit_set();
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;  // default handling stays
    std::thread([set] {
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (g_quit.exchange(sig) != 0) _exit(128 + sig);  // the second one: now
            glfwPostEmptyEvent();
        }
    }).detach();  // blocked in sigwait until the process ends
}

int quit_requested() { return g_quit.load(); }

}  // namespace genlab
