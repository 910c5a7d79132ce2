// SSL-collapse panel model (seed 003 Q5): its JSON keys and their validation. The report and
// CSV come from the scene (scene_ssl.hpp).
//
// Keys under "ssl":
//   x_eigs, xp_eigs (the spectra of X and X′, one value per input, 1 to 8 inputs), n2 (the
//   representation's size), seed (rotations and start), w_scale, wp_scale (the start's
//   scales), weight_decay, ema (the EMA target's rate; 0: the target is W), dt, steps (RK4),
//   show_simsiam, show_no_stopgrad, show_no_predictor, show_neither (which variants are
//   drawn), focus (the variant whose spectra are drawn).
#pragma once

#include <array>

#include "genlab/ssl.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

namespace ssl_keys {
inline constexpr NumberKey x_eig{"ssl", "x_eigs", 0.01, 10, 1, Scale::Log};    // each
inline constexpr NumberKey xp_eig{"ssl", "xp_eigs", 0.01, 10, 1, Scale::Log};  // each
inline constexpr IntKey n2{"ssl", "n2", 1, ssl::kMaxOutputs, 2};
inline constexpr IntKey seed{"ssl", "seed", 0, 1000000000, 1};
inline constexpr NumberKey w_scale{"ssl", "w_scale", 0.01, 10, 1, Scale::Log};
inline constexpr NumberKey wp_scale{"ssl", "wp_scale", 0, 5, 0.3};
inline constexpr NumberKey weight_decay{"ssl", "weight_decay", 0, 1, 0};
inline constexpr NumberKey ema{"ssl", "ema", 0, 10, 0};
inline constexpr NumberKey dt{"ssl", "dt", 0.001, 1, 0.05, Scale::Log};
inline constexpr IntKey steps{"ssl", "steps", 10, 20000, 600};
}  // namespace ssl_keys

struct SslParams {
    ssl::Spec spec;
    std::array<bool, ssl::kVariants> shown{true, true, true, true};
    ssl::Variant focus = ssl::Variant::SimSiam;
    int n1() const { return spec.n1(); }
};

// `state` must be normalized (SslModel::normalize).
SslParams ssl_params_from_json(const Json& state);
Json ssl_params_to_json(const SslParams& params);
// "show_simsiam", ...: the key of a variant's switch.
std::string ssl_show_key(ssl::Variant v);
ssl::Variant ssl_variant(int index);  // 0..3 in the order simsiam, no_stopgrad, ...

// The work a state asks for, in multiply-adds: steps × (4 variants' RK4 and spectra, the
// largest λ_min(H) of an (n1·n2)² matrix). Above kSslWorkBudget (~0.3 s) it is refused with
// an error naming the keys to lower.
double ssl_work(const SslParams& p);
constexpr double kSslWorkBudget = 6e8;
void check_ssl_work(const SslParams& p);  // throws UserError

struct SslModel : PanelModel {
    std::string id() const override { return "ssl"; }
    std::string title() const override { return "SSL collapse"; }
    Json defaults() const override;
    Json normalize(const Json& state) const override;
    std::unique_ptr<Scene> make_scene() const override;
    Json key_specs() const override;
};

const SslModel& ssl_model();

}  // namespace genlab
