// The view registry: one line per panel, in the order of all_panel_models().
#include "view.hpp"

namespace genlab {

std::unique_ptr<PanelView> make_rf_view();
std::unique_ptr<PanelView> make_gan_view();
std::unique_ptr<PanelView> make_flow_view();
std::unique_ptr<PanelView> make_kl_view();
std::unique_ptr<PanelView> make_dropout_view();
std::unique_ptr<PanelView> make_ssl_view();
std::unique_ptr<PanelView> make_vi_view();
std::unique_ptr<PanelView> make_div_view();

std::vector<std::unique_ptr<PanelView>> make_all_views() {
    std::vector<std::unique_ptr<PanelView>> views;
    views.push_back(make_rf_view());
    views.push_back(make_gan_view());
    views.push_back(make_flow_view());
    views.push_back(make_kl_view());
    views.push_back(make_dropout_view());
    views.push_back(make_ssl_view());
    views.push_back(make_vi_view());
    views.push_back(make_div_view());
    return views;
}

}  // namespace genlab
