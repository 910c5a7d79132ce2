// Typed reads of a panel's JSON keys, with errors that name "<panel>.<key>" and what is
// allowed. Every panel model's normalize() is built from these.
//
// Usage:
//   Fields f(state, "receptive_field");
//   int n = f.integer(rf_keys::size);
//   std::string order = f.word("order", {"top-down", "bottom-up"});
#pragma once

#include <string>
#include <vector>

#include "errors.hpp"
#include "keys.hpp"
#include "panel_model.hpp"

namespace genlab {

class Fields {
  public:
    Fields(const Json& state, std::string panel) : state_(state), panel_(std::move(panel)) {}

    const Json& at(const std::string& key) const;
    long long integer(const std::string& key, long long lo, long long hi) const;
    double number(const std::string& key, double lo, double hi) const;
    bool boolean(const std::string& key) const;
    // The same, with the range stated once in a key spec (keys.hpp).
    double number(const NumberKey& key) const { return number(key.key, key.lo, key.hi); }
    long long integer(const IntKey& key) const { return integer(key.key, key.lo, key.hi); }
    std::string word(const std::string& key, const std::vector<std::string>& allowed) const;
    // A list of 1 to max_items numbers, each within `key`'s range; `each` says what an item
    // is ("one per feature") in the error.
    std::vector<double> numbers(const NumberKey& key, std::size_t max_items,
                                const std::string& each) const;

    // "<panel>.<key>"
    std::string name(const std::string& key) const { return panel_ + "." + key; }
    [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

  private:
    const Json& state_;
    std::string panel_;
};

// Integer value of a JSON number that must be whole and within [lo, hi]; `what` names it.
long long whole_number(const Json& value, long long lo, long long hi, const std::string& what);

std::string join(const std::vector<std::string>& words, const std::string& sep = " | ");

// Throws UserError when the object `value` has a key outside `allowed`: nested objects obey
// the same "unknown keys are errors" rule as a panel's own keys.
void require_known_keys(const Json& value, const std::vector<std::string>& allowed,
                        const std::string& what);

}  // namespace genlab
