#include "expression.hpp"

#include <muParser.h>

#include <cmath>

#include "errors.hpp"

namespace genlab {

namespace {

constexpr std::size_t kMaxExpressionBytes = 1000;

// muparser's messages say "found at position N."; ours add what to do about it.
std::string explain(const mu::Parser::exception_type& e, const std::string& key,
                    UserExpression::Variables variables) {
    std::string msg = e.GetMsg();
    if (!msg.empty() && msg.back() == '.') msg.pop_back();
    if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
    const std::string example = variables == UserExpression::Variables::Z
                                    ? "a formula in z, e.g. 2*sin(z) + 0.5*z"
                                    : "a formula in x1 and x2, e.g. -((x1^2 + x2^2) - 2)^2 / 0.32";
    return key + ": " + msg + "; write " + example +
           " (functions: exp, log, sqrt, sin, cos, tanh, abs, min, max; constants pi, _e)";
}

}  // namespace

UserExpression::UserExpression(const std::string& text, const std::string& key, Variables variables)
    : text_(text), parser_(std::make_unique<mu::Parser>()) {
    const bool z = variables == Variables::Z;
    if (text.empty())
        throw UserError(key + " is empty; write a formula in " + (z ? "z" : "x1 and x2"));
    if (text.size() > kMaxExpressionBytes)
        throw UserError(key + " is longer than " + std::to_string(kMaxExpressionBytes) +
                        " characters");
    try {
        if (z) {
            parser_->DefineVar("z", &x1_);
        } else {
            parser_->DefineVar("x1", &x1_);
            parser_->DefineVar("x2", &x2_);
        }
        parser_->SetExpr(text);
        (void)parser_->Eval();  // parses now, so a typo is reported when it is typed
        if (parser_->GetNumResults() != 1)
            throw UserError(key + " must be one formula (got " +
                            std::to_string(parser_->GetNumResults()) + " comma-separated values)");
    } catch (const mu::Parser::exception_type& e) {
        throw UserError(explain(e, key, variables));
    }
}

UserExpression::~UserExpression() = default;

double UserExpression::operator()(double x1, double x2) const {
    std::lock_guard<std::mutex> lock(mutex_);
    x1_ = x1;
    x2_ = x2;
    try {
        return parser_->Eval();
    } catch (const mu::Parser::exception_type&) {
        return NAN;  // e.g. a division by zero at this point: the trainer stops on non-finite
    }
}

}  // namespace genlab
