// UserExpression: a formula the user types, in variables x1 and x2 (or one variable z, for the
// variational-inference panel's link f(z): Variables::Z), evaluated by muparser
// (libmuparser-dev; its grammar: + − * / ^, exp, log, sqrt, sin, cos, tanh, abs, min, max, pi,
// _e, comparisons and the ternary ?:). Used for the unnormalized log-density of a flow
// training target (`flow.train.expression`).
//
// Usage:
//   UserExpression e("-((x1^2 + x2^2) - 2)^2", "flow.train.expression");  // throws UserError
//   double v = e(0.5, 1.0);                                                // thread-safe
//
// Errors name the key, the position and the fix ("flow.train.expression: unexpected token "y"
// at position 0; use the variables x1 and x2"). muparser's Parser keeps its variables by
// address and is not reentrant, so evaluation takes a lock: the trainer calls it from its
// worker threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>

namespace mu {
class Parser;
}

namespace genlab {

class UserExpression {
  public:
    enum class Variables { X1X2, Z };
    UserExpression(const std::string& text, const std::string& key,
                   Variables variables = Variables::X1X2);
    ~UserExpression();
    UserExpression(const UserExpression&) = delete;
    UserExpression& operator=(const UserExpression&) = delete;

    double operator()(double x1, double x2) const;
    double operator()(double z) const { return (*this)(z, 0.0); }  // Variables::Z
    const std::string& text() const { return text_; }

  private:
    std::string text_;
    std::unique_ptr<mu::Parser> parser_;
    mutable std::mutex mutex_;
    mutable double x1_ = 0, x2_ = 0;
};

}  // namespace genlab
