// Question cards: the seed question a preset poses, what to change and what to look for, with
// the numbers of the current state plugged in. A preset holds one as
//
//   "question": {"source": "Seed 002 Q5",
//                "ask": "Does Dirac-GAN training converge without a penalty?",
//                "change": "Raise γ from {gan.gamma} with the slider.",
//                "look": "At γ = {gan.gamma} the eigenvalues ..."}
//
// Usage:
//   if (auto card = question_of(preset, "gan_no_r1.json")) {   // throws UserError if malformed
//       std::string look = fill_in(card->look, state);         // "{gan.gamma}" -> "0.3"
//   }
#pragma once

#include <optional>
#include <string>

#include "panel_model.hpp"

namespace genlab {

struct QuestionCard {
    std::string source;  // which seed and question: "Seed 002 Q5"
    std::string ask;     // the question
    std::string change;  // what to change
    std::string look;    // what to look for
};

// The preset's "question", or nullopt when it has none. Throws UserError naming `origin` and
// the field when it is not an object of those four strings, or when a placeholder in it does
// not name a key of the preset's state (checked against `state`).
std::optional<QuestionCard> question_of(const Json& preset, const std::string& origin,
                                        const Json& state);

// `text` with every {path} replaced by that value of `state`: a path is "<panel>.<key>"
// followed by any [index] or .field ("kl.target[0].mean[0]"). Numbers are written with 4
// significant digits, lists as "a, b", words as they are. Throws UserError for a path that
// does not resolve; "{{" and "}}" are literal braces.
std::string fill_in(const std::string& text, const Json& state);

}  // namespace genlab
