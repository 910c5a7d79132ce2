// genlab/model errors: a UserError is bad input from the user (CLI, preset, session). Its
// message is one line that names the key and what is allowed, so the user can fix it.
#pragma once

#include <stdexcept>
#include <string>

namespace genlab {

// `text` with every byte that is not part of a well-formed UTF-8 sequence written as \xNN.
// Messages quote user input (file names, JSON parser excerpts), and a message must stay
// valid UTF-8: JSON (ui.json, reports, the status line) cannot hold anything else.
std::string valid_utf8(const std::string& text);

struct UserError : std::runtime_error {
    explicit UserError(const std::string& message) : std::runtime_error(valid_utf8(message)) {}
};

// Runs a core call, turning its std::invalid_argument (whose message already names the
// user's key) into a UserError: `as_user_error([&] { return ssl::make_problem(spec); })`.
template <class Fn>
auto as_user_error(Fn&& fn) {
    try {
        return fn();
    } catch (const std::invalid_argument& e) {
        throw UserError(e.what());
    }
}

}  // namespace genlab
