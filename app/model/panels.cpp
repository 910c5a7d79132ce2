// The panel registry: a new panel adds its model here (and its view in gui/views.cpp).
#include <algorithm>

#include "div_model.hpp"
#include "dropout_model.hpp"
#include "flow_model.hpp"
#include "gan_model.hpp"
#include "kl_model.hpp"
#include "panel_model.hpp"
#include "rf_model.hpp"
#include "scene.hpp"
#include "ssl_model.hpp"
#include "vi_model.hpp"

namespace genlab {

const std::vector<const PanelModel*>& all_panel_models() {
    static const RfModel rf;
    static const GanModel gan;
    static const FlowModel flow;
    static const KlModel kl;
    static const DropoutModel dropout;
    static const SslModel ssl;
    static const ViModel vi;
    static const DivModel div;
    static const std::vector<const PanelModel*> models = {&rf,      &gan, &flow, &kl,
                                                          &dropout, &ssl, &vi,  &div};
    return models;
}

Json PanelModel::keys() const {
    const Json state_defaults = defaults();
    Json out = key_specs();
    for (Json& key : out) {
        const std::string name = key.at("key").get<std::string>();
        if (name.find("[]") != std::string::npos) continue;
        const Json* value = &state_defaults;
        for (std::size_t start = id().size() + 1; start <= name.size();) {
            const std::size_t dot = std::min(name.find('.', start), name.size());
            value = &value->at(name.substr(start, dot - start));
            start = dot + 1;
        }
        key["default"] = *value;
        if (value->is_array()) key["each"] = true;
    }
    return out;
}

Json PanelModel::report(const Json& state) const {
    const std::unique_ptr<Scene> scene = make_scene();
    scene->set_state(normalize(state));
    return scene->report();
}

std::string PanelModel::csv(const Json& state) const {
    const std::unique_ptr<Scene> scene = make_scene();
    scene->set_state(normalize(state));
    return scene->csv();
}

const PanelModel* find_panel_model(const std::string& id) {
    for (const PanelModel* m : all_panel_models()) {
        if (m->id() == id) return m;
    }
    return nullptr;
}

std::string panel_ids_joined(const std::string& sep) {
    std::string out;
    for (const PanelModel* m : all_panel_models()) out += (out.empty() ? "" : sep) + m->id();
    return out;
}

}  // namespace genlab
