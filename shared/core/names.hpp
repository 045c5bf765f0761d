#pragma once
// The wire names of an enum's values, written once as a table that serves both directions, in
// place of a switch for the name and a loop or if-chain for the reverse:
//
//   constexpr Names<Outcome, 3> k_outcomes{{{Outcome::met, "met"}, {Outcome::not_met, "not_met"},
//                                           {Outcome::incomplete, "incomplete"}}};
//   name_of(k_outcomes, o);  value_named(k_outcomes, "met");  // Outcome::met
//
// A switch would warn when an enumerator is added and not named; a table does not, so keep the
// table beside the enum (or its name function) where a new value is added.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vigil {

template <class E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

// The name of `v`; the first entry's name for a value the table lacks (only a cast makes one).
template <class E, std::size_t N>
constexpr std::string_view name_of(const Names<E, N>& table, E v) noexcept {
  for (const auto& [value, name] : table) {
    if (value == v) return name;
  }
  return table.front().second;
}

// The value called `name`, or nullopt.
template <class E, std::size_t N>
constexpr std::optional<E> value_named(const Names<E, N>& table, std::string_view name) noexcept {
  for (const auto& [value, n] : table) {
    if (n == name) return value;
  }
  return std::nullopt;
}

// "a, b or c": the names, for an error message that says what was expected.
template <class E, std::size_t N>
std::string names_list(const Names<E, N>& table) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += table[i].second;
  }
  return out;
}

}  // namespace vigil
