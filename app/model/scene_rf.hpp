// RfScene: the receptive-field panel's headless simulation. It owns the validated parameters
// (RfParams), the analyses derived from them, and the "walk" that Play / Step show: the field
// revealed one layer at a time, walking back from the output. The view (view_receptive_field)
// draws what the scene holds and calls its setters; report() and csv() read the same analysis.
//
// Usage:
//   RfScene scene;                                  // the defaults: 5×5, 3×3, A then B
//   scene.set_pixel({2, 3});                        // 0-based; throws UserError when outside
//   std::shared_ptr<const rf::Analysis> a = scene.analysis();   // up to date
//   scene.step();                                   // reveal one more layer (wraps to 0)
//   scene.tick(dt, speed);                          // a frame: play advances the walk
//
// Dirty parts (each recomputed only when what it depends on changed; recomputes() counts):
//   Paths          the stack's analysis (paths, cells, blind spot, violations, per layer)
//                  and its growth series: size, kernel, order, masks, pixel, architecture,
//                  dilations, taps
//   CompareStacks  the four two-layer stacks A/A, A/B, B/A, B/B: size, kernel, order
//   Compare        their analyses: the compare stacks and the pixel (never your masks)
//   Versus         plain (A, then B) vs gated at your depth, for the compare view of a gated
//                  stack: size, kernel, order, pixel, the layer count
//   Masks          the stack's masks rebuilt for a new kernel or order (a parameter, not
//                  derived: counted so a test can see that a pixel change rebuilds none)
#pragma once

#include <array>
#include <memory>

#include "rf_model.hpp"
#include "scene.hpp"

namespace genlab {

class RfScene : public Scene {
  public:
    enum class Part { Paths, CompareStacks, Compare, Masks, Versus };

    RfScene();

    const PanelModel& model() const override { return rf_model(); }
    void set_state(const Json& normalized) override;
    Json state() const override { return rf_params_to_json(params_); }
    void update() override;
    Json report() override;
    std::string csv() override;

    // [Parameters] Read.
    const RfParams& params() const { return params_; }
    int size() const { return params_.stack.size; }
    int kernel() const { return params_.stack.kernel; }
    rf::Order order() const { return params_.stack.order; }
    rf::Cell pixel() const { return params_.pixel; }
    int layer_count() const { return static_cast<int>(params_.stack.masks.size()); }
    rf::MaskKind kind(int layer) const { return params_.kinds.at(layer); }
    const rf::Mask& mask(int layer) const { return params_.stack.masks.at(layer); }
    const std::string& view() const { return params_.view; }
    rf::Architecture architecture() const { return params_.stack.architecture; }
    int dilation(int layer) const { return params_.stack.dilations.at(layer); }
    int taps() const { return params_.stack.taps; }
    // The pixel the analysis is of: causal1d's step t is {0, t} (RfParams::core_pixel).
    rf::Cell core_pixel() const { return params_.core_pixel(); }

    // [Parameters] Set. Each validates (UserError naming the JSON key), marks what depends
    // on it dirty and calls touch() when something changed. Changes to the stack's shape
    // (order, size, kernel, the layer list) show the whole field again; moving the pixel
    // during a walk restarts it from the new pixel; toggling a kernel cell keeps the walk
    // where it is.
    void set_view(const std::string& view);            // field | layers | compare
    void set_order(rf::Order order);                   // named masks are rebuilt: an A stays an A
    void set_size(int n);                              // 1..128; the pixel moves inside
    void set_kernel(int k);                            // 1, 3, 5, 7 or 9
    void set_pixel(rf::Cell pixel);                    // 0-based, inside the map
    void set_kind(int layer, rf::MaskKind kind);       // A, B or none
    void toggle_kernel_cell(int layer, int i, int j);  // the mask becomes custom (or named)
    void move_layer(int from, int to);                 // swaps two layers
    void remove_layer(int layer);                      // never the last one
    void add_layer();                                  // a B layer at the end, up to 16
    // (causal1d: its dilation doubles the last one's, the WaveNet pattern; else 1)
    void set_architecture(rf::Architecture a);  // plain | gated | causal1d
    void set_dilation(int layer, int d);        // 1..256
    void set_taps(int taps);                    // 1..9

    // [Derived] Up to date on return (they call update()). Snapshots: a recompute makes new
    // ones and never edits old ones, so an export replaying a frame may keep holding them.
    std::shared_ptr<const rf::Analysis> analysis();
    // The analysis of two-layer stack i: 0 A/A, 1 A/B, 2 B/A, 3 B/B (first layer, then second).
    std::shared_ptr<const rf::Analysis> compare(int i);
    const rf::Stack& compare_stack(int i);
    // Plain (A, then B) and gated stacks of your depth, kernel, order and pixel: 0 plain,
    // 1 gated (the compare view of a gated stack shows them side by side).
    std::shared_ptr<const rf::Analysis> versus(int i);
    // Receptive-field size against depth for your stack (rf::growth).
    const std::vector<rf::GrowthPoint>& growth();
    // The terms of the tooltip's sum: paths into layer `layer`'s input cell c are the sum,
    // over the kernel offsets its mask keeps, of the paths at the next layer (the pixel
    // itself after the last). Only the nonzero terms, in kernel order.
    std::vector<double> path_terms(rf::Cell c, int layer);
    int recomputes(Part part) const { return counts_[static_cast<size_t>(part)]; }

    // [Walk] revealed() is how many layers are revealed, walking back from the output:
    // layer_count() shows the whole field (the rest state), 0 only the pixel.
    void set_playing(bool playing) override;      // from the whole field, play starts at 0
    void step() override;                         // stops playing; one more layer, wraps to 0
    void reset() override;                        // stops playing; the whole field
    bool tick(double dt, double speed) override;  // a layer per kSecondsPerLayer of dt×speed
    int revealed() const { return reveal_; }
    bool fully_revealed() const { return reveal_ >= layer_count(); }
    // The layer whose input the field view shows while walking (0 when fully revealed).
    int revealed_layer() const { return layer_count() - reveal_; }
    // The counts the field view shows: the paths after walking back revealed() layers
    // (shares ownership with the analysis snapshot).
    std::shared_ptr<const rf::Counts> revealed_counts();

    static constexpr double kSecondsPerLayer = 0.7;

  private:
    void changed_stack();  // masks or shape changed: Paths is dirty
    void show_whole_field() { reveal_ = layer_count(); }
    void check_layer(int layer) const;  // UserError naming masks[layer]

    RfParams params_;
    bool paths_dirty_ = true, compare_stacks_dirty_ = true, compare_dirty_ = true,
         versus_dirty_ = true;
    std::array<std::shared_ptr<const rf::Analysis>, 2> versus_;
    std::vector<rf::GrowthPoint> growth_;
    std::shared_ptr<const rf::Analysis> analysis_;
    std::shared_ptr<const rf::Counts> pixel_only_;  // revealed_counts() at 0 layers
    std::array<rf::Stack, 4> compare_stacks_;
    std::array<std::shared_ptr<const rf::Analysis>, 4> compare_;
    std::array<int, 5> counts_{};
    int reveal_ = 0;
    double clock_ = 0;
};

}  // namespace genlab
