// The flow panel's "1-D map (Q5)" tab (view_flow_map1d.hpp): the mode tabs, the map's
// controls and readouts, and its three plots.
//
// [SECTION] Helpers
// [SECTION] Mode tabs
// [SECTION] Controls and readouts
// [SECTION] Plots
#include "view_flow_map1d.hpp"

#include <algorithm>
#include <cmath>

#include <imgui_internal.h>  // the mode tabs' rectangles for the test dump

#include "format.hpp"
#include "palette.hpp"
#include "test_dump.hpp"
#include "widgets.hpp"

namespace genlab {

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Helpers
//-----------------------------------------------------------------------------

constexpr ImU32 kCurve = IM_COL32(30, 90, 200, 255);
constexpr ImU32 kIdentity = IM_COL32(90, 90, 90, 200);
constexpr ImU32 kZero = IM_COL32(0, 0, 0, 120);
constexpr ImU32 kBad = IM_COL32(220, 30, 30, 255);      // the curve where g′ < 0 or g is flat
constexpr ImU32 kBadShade = IM_COL32(230, 40, 40, 45);  // its interval
constexpr ImU32 kUndefinedShade = IM_COL32(120, 120, 120, 60);
constexpr ImU32 kBase = IM_COL32(110, 110, 110, 255);
constexpr ImU32 kPushed = IM_COL32(230, 110, 20, 255);
constexpr ImU32 kAtom = IM_COL32(150, 20, 160, 255);

std::string interval_text(const flow1d::Interval& i) {
    const auto end = [](double v) {
        return std::isinf(v) ? std::string(v > 0 ? "∞" : "−∞") : format_g(v, 4);
    };
    return std::string(std::isinf(i.lo) ? "(" : "[") + end(i.lo) + ", " + end(i.hi) +
           (std::isinf(i.hi) ? ")" : "]");
}

// Polylines of (t, v) broken where v is not finite (p_Y is +∞ at a zero of g′, g is undefined
// outside a sigmoidal sum's (0, 1)); `keep` selects the points drawn.
template <class Keep>
std::vector<std::vector<Vec2>> runs(const std::vector<double>& t, const std::vector<double>& v,
                                    Keep keep) {
    std::vector<std::vector<Vec2>> out(1);
    for (size_t i = 0; i < t.size(); ++i) {
        if (std::isfinite(v[i]) && keep(t[i])) {
            out.back().push_back({t[i], v[i]});
        } else if (!out.back().empty()) {
            out.emplace_back();
        }
    }
    return out;
}

bool in_any(const std::vector<flow1d::Interval>& iv, double t) {
    for (const flow1d::Interval& i : iv)
        if (t >= i.lo && t <= i.hi) return true;
    return false;
}

// Shaded bands (clipped to the view) and the curve drawn red over them.
void shade(Canvas& c, const std::vector<flow1d::Interval>& iv, ImU32 fill) {
    const WorldRect v = c.view();
    for (const flow1d::Interval& i : iv) {
        const double lo = std::max(i.lo, v.x0), hi = std::min(i.hi, v.x1);
        if (hi > lo) c.rect({lo, v.y0}, {hi, v.y1}, fill);
    }
}

// A label inside the first band visible in the view.
void band_label(Canvas& c, const std::vector<flow1d::Interval>& iv, const std::string& text) {
    const WorldRect v = c.view();
    for (const flow1d::Interval& i : iv) {
        const double lo = std::max(i.lo, v.x0), hi = std::min(i.hi, v.x1);
        if (hi <= lo) continue;
        c.label({(lo + hi) / 2, v.y0 + 0.88 * v.height()}, text, kBad);
        return;
    }
}

WorldRect padded(double x0, double x1, double y0, double y1) {
    if (!(y1 > y0)) y0 -= 1, y1 += 1;
    const double pad = 0.06 * (y1 - y0);
    return {x0, y0 - pad, x1, y1 + pad};
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Mode tabs
//-----------------------------------------------------------------------------

void draw_flow_mode_tabs(FlowScene& scene, std::string& shown) {
    const std::string mode = scene.mode();
    const bool forced = mode != shown;  // a load or --set changed it: select its tab
    std::string picked = mode;
    if (ImGui::BeginTabBar("##flow.mode")) {
        float x = 0;  // the next tab's left, from the bar's
        for (const auto& [id, label] :
             {std::pair<std::string, const char*>{"stack", "Stack (edit by hand)"},
              {"train", "Train to a target"},
              {"map1d", "1-D map (Q5)"}}) {
            const bool open = ImGui::BeginTabItem(
                label, nullptr, forced && id == mode ? ImGuiTabItemFlags_SetSelected : 0);
            // GetItemRect after a nested tab bar's BeginTabItem reads (0, 0, 0, 0) here, and
            // so does the tab's Offset: the rectangle is laid out as the tab bar does, the tabs'
            // widths side by side from the bar's left with ItemInnerSpacing between them.
            if (const ImGuiTabBar* bar = GImGui->CurrentTabBar; bar && bar->LastTabItemIdx >= 0) {
                const float w = bar->Tabs[bar->LastTabItemIdx].Width;
                const ImVec2 min(bar->BarRect.Min.x + x, bar->BarRect.Min.y);
                mark_rect("flow.tab." + id, min, ImVec2(min.x + w, bar->BarRect.Max.y));
                x += w + ImGui::GetStyle().ItemInnerSpacing.x;
            }
            if (open) {
                picked = id;
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    if (forced) {
        shown = mode;  // ImGui shows the selection from the next frame
    } else if (picked != mode) {
        scene.set_mode(picked);
        shown = picked;
    }
    mark_value("flow.mode", scene.mode());
}

//-----------------------------------------------------------------------------
// [SECTION] Controls and readouts
//-----------------------------------------------------------------------------

std::vector<std::string> FlowMap1dView::legend_lines() const {
    return {"Top: g(z), the identity dashed; red where g is not increasing",
            "Middle: g′(z) and the zero line; red bands: g′ < 0 (or g flat): not invertible",
            "Bottom: the base density p_Z (grey) and the pushforward p_Y (orange); arrows: "
            "atoms (mass at one point, not a density)"};
}

void FlowMap1dView::Draw() {
    const float font = ImGui::GetFontSize();
    ImGui::BeginChild("flow.map1d.controls", ImVec2(font * 22, 0), true);
    draw_controls();
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("flow.map1d.plot", ImVec2(0, 0), false);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    draw_plots(avail.x, avail.y);
    ImGui::EndChild();
}

bool FlowMap1dView::edit_params(Map1dParams& p) {
    const float w = ImGui::GetFontSize() * 10;
    const auto flags = ImGuiSliderFlags_AlwaysClamp;
    bool edited = false;
    const auto slider = [&](const char* label, const char* key, double& v, float lo, float hi) {
        float f = static_cast<float>(v);
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderFloat(label, &f, lo, hi, "%.3f", flags)) v = f, edited = true;
        mark_item(std::string("flow.map1d.param.") + key);
    };
    flow1d::Map& m = p.map;
    switch (m.type) {
        case flow1d::Type::Relu:
            slider("a", "a", m.relu_a, -3, 3);
            slider("b", "b", m.relu_b, -3, 3);
            slider("c", "c", m.relu_c, -3, 3);
            break;
        case flow1d::Type::Sigmoidal:
            for (size_t i = 0; i < m.sig_a.size(); ++i) {
                ImGui::PushID(static_cast<int>(i));
                ImGui::Text("σ%zu", i + 1);
                ImGui::SameLine();
                float v[3] = {static_cast<float>(m.sig_a[i]), static_cast<float>(m.sig_b[i]),
                              static_cast<float>(m.sig_w[i])};
                ImGui::SetNextItemWidth(w);
                if (ImGui::DragFloat3("a b w", v, 0.01f, -5, 5, "%.2f", flags)) {
                    m.sig_a[i] = v[0], m.sig_b[i] = v[1], m.sig_w[i] = v[2];
                    edited = true;
                }
                mark_item("flow.map1d.param.sigmoid." + std::to_string(i + 1));
                ImGui::PopID();
            }
            if (m.sig_a.size() < 16 && ImGui::SmallButton("+ sigmoid")) {
                m.sig_a.push_back(1), m.sig_b.push_back(0), m.sig_w.push_back(0);
                edited = true;
            }
            ImGui::SameLine();
            if (m.sig_a.size() > 1 && ImGui::SmallButton("− sigmoid")) {
                m.sig_a.pop_back(), m.sig_b.pop_back(), m.sig_w.pop_back();
                edited = true;
            }
            break;
        case flow1d::Type::Residual:
            slider("s", "s", m.res_s, -5, 5);
            slider("w", "w", m.res_w, -3, 3);
            slider("c", "c", m.res_c, -3, 3);
            break;
        case flow1d::Type::Radial:
            slider("t0", "t0", m.rad_t0, -3, 3);
            slider("α", "alpha", m.rad_alpha, 0.05f, 5);
            slider("β", "beta", m.rad_beta, -5, 5);
            break;
    }
    ImGui::TextUnformatted("Base N(μ, σ²)");
    slider("μ", "base.mean", p.base.mean, -3, 3);
    slider("σ", "base.std", p.base.std, 0.1f, 3);
    ImGui::TextUnformatted("View: z and y in [c − e, c + e]");
    slider("c##view", "view.center", p.view_center, -10, 10);
    slider("e##view", "view.extent", p.view_extent, 0.5f, 20);
    return edited;
}

void FlowMap1dView::draw_controls() {
    Map1dParams p = scene_.map1d().params();
    ImGui::TextUnformatted("1-D map g: R → R (seed 000 Q5)");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    const std::string type = flow1d::to_string(p.map.type);
    if (ImGui::BeginCombo("type", type.c_str())) {
        for (const std::string& t : map1d_type_names()) {
            if (ImGui::Selectable(t.c_str(), t == type) && t != type) {
                Map1dParams next = p;
                next.map = map1d_params_from_json(Json{{"type", t}}).map;  // the type's defaults
                scene_.set_map1d(next);
            }
            mark_item("flow.map1d.type." + t);
        }
        ImGui::EndCombo();
    }
    mark_item("flow.map1d.type");
    static const char* const kFormula[] = {
        "g(t) = a·max(0, b·t + c)", "g(t) = σ⁻¹(Σ w_i σ(a_i t + b_i))",
        "g(t) = t + s·tanh(w·t + c)", "g(t) = t + β(t − t0)/(α + |t − t0|)"};
    ImGui::TextDisabled("%s", kFormula[static_cast<int>(p.map.type)]);
    if (edit_params(p)) scene_.set_map1d(p);
    ImGui::Separator();
    draw_readouts();
}

void FlowMap1dView::draw_readouts() {
    FlowMap1d& m = scene_.map1d();
    const flow1d::Monotonicity& mono = m.monotonicity();
    const ImVec4 colour = mono.invertible ? palette::kOkText : palette::kErrorText;
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    text_wrapped(m.verdict() + ": " + mono.reason);
    ImGui::PopStyleColor();
    mark_item("flow.map1d.verdict");
    mark_value("flow.map1d.verdict", m.verdict());
    Json marked = Json::array();
    const auto list = [&](const char* what, const std::vector<flow1d::Interval>& iv) {
        if (iv.empty()) return;
        std::string text = what;
        for (const flow1d::Interval& i : iv) {
            text += " " + interval_text(i);
            marked.push_back({what, i.lo, i.hi});
        }
        text_wrapped(text);
    };
    list("g′ < 0 on", mono.decreasing);
    list("g constant on", mono.flat);
    list("g undefined on", mono.undefined);
    mark_value("flow.map1d.intervals", marked);
    const flow1d::Pushforward& pf = m.pushforward();
    for (const flow1d::Atom& a : pf.atoms)
        text_wrapped("atom at y = " + format_g(a.y, 4) + ": mass " + format_g(a.mass, 6));
    const flow1d::Mass& ms = m.mass();
    ImGui::Text("∫ p_Y dy = %s ± %s", format_g(ms.density, 8).c_str(),
                format_error(ms.error).c_str());
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "tanh-sinh quadrature of the density between its critical values (%d evaluations); "
            "± is the change of the last refinement. Expected: %s (P_Z of the monotone pieces)",
            ms.evaluations, format_g(ms.exact, 10).c_str());
    mark_value("flow.map1d.mass", ms.density);
    if (!pf.atoms.empty())
        ImGui::Text("+ atoms %s = %s", format_g(ms.atoms, 6).c_str(),
                    format_g(ms.density + ms.atoms, 8).c_str());
    if (pf.undefined_mass > 0)
        ImGui::Text("lost where g is undefined: %s", format_g(pf.undefined_mass, 4).c_str());
}

//-----------------------------------------------------------------------------
// [SECTION] Plots
//-----------------------------------------------------------------------------

void FlowMap1dView::draw_plots(float width, float height) {
    FlowMap1d& m = scene_.map1d();
    const FlowMap1d::Curves& c = m.curves();
    const flow1d::Monotonicity& mono = m.monotonicity();
    const flow1d::Pushforward& pf = m.pushforward();
    const Map1dParams& p = m.params();
    const double lo = p.view_center - p.view_extent, hi = p.view_center + p.view_extent;
    std::vector<flow1d::Interval> bad = mono.decreasing;
    bad.insert(bad.end(), mono.flat.begin(), mono.flat.end());
    const auto is_bad = [&](double t) { return in_any(bad, t); };
    const auto good = [&](double t) { return !is_bad(t); };
    const auto all = [](double) { return true; };
    const auto g_good = runs(c.t, c.g, good), g_bad = runs(c.t, c.g, is_bad);
    const auto d_good = runs(c.t, c.dg, good), d_bad = runs(c.t, c.dg, is_bad);
    const auto base = runs(c.t, c.base, all), pushed = runs(c.t, c.pushed, all);
    const std::string bad_text = mono.decreasing.empty() ? "g′ = 0 here: constant, not invertible"
                                                         : "g′ < 0 here: not invertible";

    const float gap = ImGui::GetStyle().ItemSpacing.y;
    const float legend = g_.legend_item_height(width);
    const float plot_h = std::max(60.0f, (height - 3 * (legend + gap) - 3 * gap) / 3);

    // g(z) against the identity, over the view in both axes.
    double gmin = INFINITY, gmax = -INFINITY, dmin = 0, dmax = 1;
    for (size_t i = 0; i < c.t.size(); ++i) {
        if (std::isfinite(c.g[i])) gmin = std::min(gmin, c.g[i]), gmax = std::max(gmax, c.g[i]);
        if (std::isfinite(c.dg[i])) dmin = std::min(dmin, c.dg[i]), dmax = std::max(dmax, c.dg[i]);
    }
    g_.set_home(padded(lo, hi, std::min(lo, gmin), std::max(hi, gmax)), false);
    g_.set_axes({"z"}, {"g(z)"});
    g_.set_title("g(z) = " + std::string(flow1d::to_string(p.map.type)) + " map: " + m.verdict());
    std::vector<LegendEntry> lg = {{kCurve, "g(z)"},
                                   {kIdentity, "the identity y = z", LegendEntry::Mark::Dashed}};
    if (!bad.empty()) lg.emplace_back(kBad, "where g is not increasing");
    g_.set_legend(lg);
    // Content is kept for exports (drawn again later): everything by value.
    const std::vector<flow1d::Interval> undefined = mono.undefined;
    g_.draw(ImVec2(width, plot_h), [bad, undefined, g_good, g_bad](Canvas& cv) {
        shade(cv, bad, kBadShade);
        shade(cv, undefined, kUndefinedShade);
        const WorldRect v = cv.view();
        const double step = (v.x1 - v.x0) / 60;  // dashes of the identity
        for (double x = v.x0; x < v.x1; x += 2 * step)
            cv.line({x, x}, {x + step, x + step}, kIdentity, 1.2f);
        for (const auto& r : g_good) cv.polyline(r, kCurve, 2.2f);
        for (const auto& r : g_bad) cv.polyline(r, kBad, 3.0f);
    });
    mark_rect("flow.map1d.g", g_.plot_min(), g_.plot_max());
    g_.draw_legend_item(width);

    // g′(z) with the zero line; the non-monotone intervals shaded and named.
    dg_.set_home(padded(lo, hi, dmin, dmax), false);
    dg_.set_axes({"z"}, {"g′(z)"});
    dg_.set_title("g′(z): invertible needs g′ ≥ 0 (zero only at isolated points)");
    std::vector<LegendEntry> ld = {{kCurve, "g′(z)"}, {kZero, "g′ = 0", LegendEntry::Mark::Dashed}};
    if (!bad.empty())
        ld.emplace_back(kBadShade | IM_COL32(0, 0, 0, 255), bad_text, LegendEntry::Mark::Patch);
    dg_.set_legend(ld);
    dg_.draw(ImVec2(width, plot_h), [bad, undefined, d_good, d_bad, bad_text](Canvas& cv) {
        shade(cv, bad, kBadShade);
        shade(cv, undefined, kUndefinedShade);
        cv.line({cv.view().x0, 0}, {cv.view().x1, 0}, kZero, 1.2f);
        for (const auto& r : d_good) cv.polyline(r, kCurve, 2.2f);
        for (const auto& r : d_bad) cv.polyline(r, kBad, 3.0f);
        band_label(cv, bad, bad_text);
    });
    mark_rect("flow.map1d.dg", dg_.plot_min(), dg_.plot_max());
    dg_.draw_legend_item(width);

    // The base density in z and the pushforward in y (one axis: z and y share the view).
    // The y-range: the base's peak and p_Y's 90th percentile, not p_Y's maximum, which at a
    // fold (p_Y ~ 1/√|y − y*|) is whatever sample landed nearest y* and flattens the rest.
    std::vector<double> finite;
    for (double v : c.pushed)
        if (std::isfinite(v)) finite.push_back(v);
    double top = *std::max_element(c.base.begin(), c.base.end());
    if (!finite.empty()) {
        std::nth_element(finite.begin(), finite.begin() + finite.size() * 9 / 10, finite.end());
        top = std::max(top, finite[finite.size() * 9 / 10]);
    }
    top *= 1.3;
    p_.set_home(padded(lo, hi, 0, top), false);
    p_.set_axes({"z (base), y (pushed)"}, {"density"});
    p_.set_title("p_Z and the pushforward p_Y(y) = Σ p_Z(z)/|g′(z)| over g(z) = y");
    std::vector<LegendEntry> lp = {{kBase, "base p_Z = N(μ, σ²)"},
                                   {kPushed, "pushforward p_Y (density part)"}};
    if (!pf.atoms.empty())
        lp.emplace_back(kAtom, "atom: mass at one point (arrow height: the mass, 1 = the top)");
    p_.set_legend(lp);
    p_.draw(ImVec2(width, plot_h), [base, pushed, atoms = pf.atoms](Canvas& cv) {
        for (const auto& r : base) cv.polyline(r, kBase, 1.8f);
        for (const auto& r : pushed) cv.polyline(r, kPushed, 2.4f);
        for (const flow1d::Atom& a : atoms) {
            // A Dirac mass has no height: the arrow's is its mass on the plot's scale (mass 1
            // reaches the top), labelled beside its tip.
            const double h = a.mass * cv.view().y1;
            cv.arrow({a.y, 0}, {a.y, h}, kAtom, 3.0f);
            cv.label({a.y + 0.14 * cv.view().width(), h}, "atom: mass " + format_g(a.mass, 3),
                     kAtom);
        }
    });
    mark_rect("flow.map1d.p", p_.plot_min(), p_.plot_max());
    p_.draw_legend_item(width);
}

}  // namespace genlab
