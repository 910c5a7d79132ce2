// The bench: timed runs of the real frame loop, and the /proc and getrusage readings they
// report. See bench.hpp.
#include "bench.hpp"

// clang-format off
#include <glad/gl.h>
#include <GLFW/glfw3.h>
// clang-format on
#include <imgui.h>

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <sys/resource.h>  // getrusage
#include <unistd.h>        // sysconf: the clock tick of /proc/self/stat

#include "damage.hpp"
#include "errors.hpp"
#include "frame_loop.hpp"
#include "test_dump.hpp"

namespace genlab {

namespace {

double milliseconds_since_process_start() {
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t comm_end = text.rfind(')');  // the command name may contain spaces
    if (comm_end == std::string::npos) return -1;
    std::istringstream fields(text.substr(comm_end + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
    }  // field 22: start time, in ticks
    timespec boot{};
    clock_gettime(CLOCK_BOOTTIME, &boot);
    const double started = std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return (boot.tv_sec + boot.tv_nsec * 1e-9 - started) * 1e3;
}

// Peak resident memory since the last reset (Linux: VmHWM, reset through clear_refs).
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
double peak_rss_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return -1;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(std::min(q * v.size(), v.size() - 1.0))];
}

double round2(double x) { return std::round(x * 100) / 100; }

// CPU seconds of every thread of the process (the UI thread, the core's workers and Mesa's
// rasterizer threads): on a loaded machine, a steadier measure of a frame's work than wall time.
double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Hover, press, sweep the slider left and right, release: one mouse state per drag frame.
SimulatedMouse slider_drag_at(const std::array<float, 4>& rect, int k, int count) {
    const float y = rect[1] + rect[3] / 2;
    const float x =
        rect[0] + rect[2] * (0.5f + 0.35f * static_cast<float>(std::sin(2 * M_PI * k / 60.0)));
    return {ImVec2(x, y), k > 0 && k < count - 1};
}

// One entry: `frames` timed frames of the loaded panel, the second half dragging `slider`
// (a widget id prefix; "" drags nothing).
Json bench_entry(Shell& shell, GLFWwindow* window, DamageRenderer& damage,
                 const std::string& slider_id, int frames, double& first_frame_ms) {
    constexpr int kWarmup = 5;  // the load's first recompute is not steady state
    constexpr double kDt = 1.0 / 60;
    const int drag_start = frames / 2;
    std::optional<std::array<float, 4>> slider;
    std::vector<double> frame_ms, shell_ms, damaged;
    const long mismatches_before = damage.stats().verify_mismatches;
    reset_peak_rss();
    double last = glfwGetTime(), cpu_start = 0;
    for (int f = 0; f < kWarmup + frames; ++f) {
        glfwPollEvents();
        int fb_w = 0, fb_h = 0;
        glfwGetFramebufferSize(window, &fb_w, &fb_h);
        const int k = f - kWarmup;
        if (k == 0) cpu_start = process_cpu_seconds();
        if (k == drag_start && !slider_id.empty()) slider = previous_widget_rect(slider_id);
        SimulatedMouse mouse{ImVec2(-FLT_MAX, -FLT_MAX), false};
        if (slider && k >= drag_start)
            mouse = slider_drag_at(*slider, k - drag_start, frames - drag_start);
        const double compute = render_frame(shell, window, damage, fb_w, fb_h, kDt, f, &mouse);
        const double now = glfwGetTime();
        if (first_frame_ms < 0) first_frame_ms = milliseconds_since_process_start();
        if (k >= 0) {
            frame_ms.push_back((now - last) * 1e3);
            shell_ms.push_back(compute * 1e3);
            damaged.push_back(damage.stats().fraction);
        }
        last = now;
    }
    return Json{{"p50_ms", round2(percentile(frame_ms, 0.50))},
                {"p95_ms", round2(percentile(frame_ms, 0.95))},
                {"p99_ms", round2(percentile(frame_ms, 0.99))},
                {"compute_ms", round2(percentile(shell_ms, 0.50))},
                {"compute_p95_ms", round2(percentile(shell_ms, 0.95))},
                {"cpu_ms_per_frame", round2((process_cpu_seconds() - cpu_start) * 1e3 / frames)},
                {"peak_rss_mb", round2(peak_rss_mb())},
                {"redrawn_fraction", round2(percentile(damaged, 0.5))},
                {"verify_mismatched_pixels", damage.stats().verify_mismatches - mismatches_before},
                {"frames", frames},
                {"input", slider ? "drag " + slider_id : "none"}};
}

}  // namespace

int run_bench(Shell& shell, GLFWwindow* window, const AppConfig& config) {
    record_widgets(true);
    glfwSwapInterval(0);  // time the work, not the display's refresh
    std::vector<std::string> panels = shell.panel_ids();
    if (!config.bench_panel.empty()) panels = {config.bench_panel};
    Json entries = Json::object();
    double first_frame_ms = -1;
    DamageRenderer damage(reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
    try {
        for (const std::string& panel : panels) {
            for (const bool heavy : {false, true}) {
                if (!shell.load_for_bench(panel, heavy)) continue;
                entries[heavy ? panel + ":heavy" : panel] =
                    bench_entry(shell, window, damage, shell.active().bench_slider(), config.frames,
                                first_frame_ms);
            }
        }
    } catch (const UserError& e) {
        std::cerr << "genlab: " << e.what() << "\n";
        return 2;
    }
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    const Json out{{"size", std::to_string(fb_w) + "x" + std::to_string(fb_h)},
                   {"first_frame_ms", round2(first_frame_ms)},
                   {"gl_renderer", reinterpret_cast<const char*>(glGetString(GL_RENDERER))},
                   {"panels", entries}};
    std::cout << out.dump(2) << std::endl;
    return 0;
}

}  // namespace genlab
