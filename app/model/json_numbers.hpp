// JSON for numbers that reports share: JSON has no NaN or Inf, so a missing value is null
// (ARCHITECTURE.md, "Shared look"); vectors and matrices as arrays; complex numbers as [re, im].
#pragma once

#include <Eigen/Core>
#include <complex>
#include <vector>

#include "panel_model.hpp"

namespace genlab {

inline Json finite_or_null(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

// A value whose infinities mean something (a log-density of +∞ at det J = 0, −∞ where p = 0):
// the strings "inf" / "-inf", null for NaN, the number otherwise. The report stays valid JSON.
inline Json number_or_inf(double x) {
    if (std::isinf(x)) return Json(x > 0 ? "inf" : "-inf");
    return finite_or_null(x);
}

template <typename Derived>
Json vector_json(const Eigen::DenseBase<Derived>& v) {
    Json a = Json::array();
    for (Eigen::Index i = 0; i < v.size(); ++i) a.push_back(finite_or_null(v(i)));
    return a;
}

template <typename Derived>
Json matrix_json(const Eigen::DenseBase<Derived>& m) {
    Json rows = Json::array();
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        Json row = Json::array();
        for (Eigen::Index j = 0; j < m.cols(); ++j) row.push_back(finite_or_null(m(i, j)));
        rows.push_back(row);
    }
    return rows;
}

inline Json complex_list_json(const std::vector<std::complex<double>>& values) {
    Json list = Json::array();
    for (const auto& c : values) list.push_back({c.real(), c.imag()});
    return list;
}

}  // namespace genlab
