#pragma once
// The one check of a refusal that many tests make: the Result (or Status) is an error with the
// expected code, and its message says why (contains `reason`; "" accepts any message). The error
// is shown with a failure.
#include <string>
#include <string_view>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "shared/core/result.hpp"

namespace vigil::testing {

template <class R>
void require_refused(const R& result, Errc code, std::string_view reason = {}) {
  REQUIRE_FALSE(result.has_value());
  INFO(result.error().describe());
  CHECK(result.error().code == code);
  CHECK_THAT(result.error().message, Catch::Matchers::ContainsSubstring(std::string(reason)));
}

}  // namespace vigil::testing
