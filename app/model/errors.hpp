// genlab/model errors: a UserError is bad input from the user (CLI, preset, session). Its
// message is one line that names the key and what is allowed, so the user can fix it.
#pragma once

#include <stdexcept>
#include <string>

namespace genlab {

struct UserError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace genlab
