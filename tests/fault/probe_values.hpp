#pragma once
// The answers the store probe writes, shared by the probe and the tests that check them.
#include <string>

namespace vigil::testing {

inline const std::string k_probe_session = "crash-session";

inline std::string probe_item(long n) { return "item-" + std::to_string(n % 37); }

// A few hundred bytes that differ per save, like a written answer being typed.
inline std::string probe_value(long n) {
  std::string v = "Answer " + std::to_string(n) + ": ";
  for (long k = 0; k < 4 + n % 9; ++k) v += "the child's voice is heard at every review, ";
  return v;
}

}  // namespace vigil::testing
