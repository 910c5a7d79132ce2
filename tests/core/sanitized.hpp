// Whether this test binary runs under AddressSanitizer. The sanitizer build checks memory,
// not accuracy: the heaviest numerical checks run fewer cases there (Release runs them all),
// since ASan runs them 4–5× slower and serially.
#pragma once

namespace genlab::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace genlab::testing
