#include "workloads.hpp"

#include <cmath>

namespace genlab::bench {

flow::Stack flow_stack(int layers) {
    flow::Stack s;
    for (int k = 0; k < layers; ++k) {
        const double a = 0.7 * k;  // varied directions and centres, all invertible
        if (k % 2 == 0) {
            flow::Layer l = flow::Layer::planar({std::cos(a), std::sin(a)},
                                                {0.8 * std::sin(a), -0.6 * std::cos(a)}, 0.1 * k);
            l.enforce = true;
            s.layers.push_back(l);
        } else {
            s.layers.push_back(flow::Layer::radial({0.5 * std::cos(a), 0.5 * std::sin(a)}, 1.0,
                                                   k % 4 == 1 ? 0.8 : -0.5));
        }
    }
    return s;
}

Eigen::Matrix2Xd flow_grid(int n) {
    Eigen::Matrix2Xd z(2, static_cast<Eigen::Index>(n) * n);
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i)
            z.col(static_cast<Eigen::Index>(j) * n + i) << -3 + 6.0 * (i + 0.5) / n,
                -3 + 6.0 * (j + 0.5) / n;
    return z;
}

gan::Params gan_params() {
    gan::Params p;
    p.system = gan::System::Dirac;
    p.method = gan::Method::Flow;
    p.lr = 0.05;
    p.gamma = 0.3;
    return p;
}

std::vector<gan::State> gan_starts(int count) {
    std::vector<gan::State> out;
    out.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        const double a = 2.399963 * i;  // golden-angle spiral in (ψ0, θ), ψ1 varying
        const double r = 0.2 + 1.8 * std::sqrt((i + 0.5) / count);
        gan::State x(3);
        x << r * std::cos(a), 0.5 * std::sin(0.37 * i), r * std::sin(a);
        out.push_back(x);
    }
    return out;
}

kl::Mixture kl_target() {
    kl::Vec a(1), b(1);
    a << -3.0;
    b << 3.0;
    return {{0.5, a, kl::Mat::Constant(1, 1, 0.49)}, {0.5, b, kl::Mat::Constant(1, 1, 0.49)}};
}

kl::Gaussian kl_start() {
    return kl::Gaussian::from_std(kl::Vec::Constant(1, 0.5), kl::Vec::Constant(1, 1.0));
}

kl::FitOptions kl_options(int iterations) {
    kl::FitOptions o;
    o.iterations = iterations;
    o.lr = 0.05;
    o.tolerance = 0;  // never converges early: every run takes all its steps
    return o;
}

rf::Stack rf_stack(int n, int layers) {
    rf::Stack s;
    s.size = n;
    s.kernel = 5;
    s.order = rf::Order::TopDown;
    s.masks.push_back(rf::make_mask(rf::MaskKind::A, 5, s.order));
    for (int l = 1; l < layers; ++l) s.masks.push_back(rf::make_mask(rf::MaskKind::B, 5, s.order));
    return s;
}

rf::Cell rf_pixel(int n) { return {n / 2, n / 2}; }

kl::Mixture flow_train_mixture() {
    kl::Mixture m(2);
    for (int k = 0; k < 2; ++k) {
        m[k].weight = 0.5;
        m[k].mean = Eigen::Vector2d(k ? 2.5 : -2.5, 0);
        m[k].cov = Eigen::Matrix2d::Identity() * 0.09;
    }
    return m;
}

}  // namespace genlab::bench
