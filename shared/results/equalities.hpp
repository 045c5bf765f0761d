#pragma once
// The equalities self-declaration (docs/EQUALITIES.md): what a candidate may tell us about
// themselves, optionally, so that programme admins can see whether outcomes or proctoring flags
// differ between groups. The one vocabulary both the client (which collects and checks it) and
// the server (which checks it again, stores it apart from identity and aggregates it) use.
//
// Invariants:
//  (1) Every answered characteristic holds one of the codes listed here; anything else is refused
//      naming the field, and nothing is stored.
//  (2) Each characteristic has "prefer_not_to_say", and leaving a characteristic out is allowed:
//      it is then "not declared" (a group of its own in the report, distinct from prefer not to say).
//  (3) A declaration carries no identity: the device API knows whose it is from the device
//      certificate, never from the body (a body naming a candidate is refused as an unknown field).
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"

namespace vigil::results {

struct EqualitiesOption {
  std::string_view code;
  std::string_view label;
};

struct EqualitiesCharacteristic {
  std::string_view field;     // JSON member and report key: age_band, ethnicity, disability, sex
  std::string_view label;     // "Age band"
  std::string_view question;  // as the candidate reads it
  const EqualitiesOption* options;
  std::size_t option_count;
};

inline constexpr std::string_view k_prefer_not_to_say = "prefer_not_to_say";
inline constexpr std::string_view k_not_declared = "not_declared";

// The four characteristics, in the order the form asks them.
const std::array<EqualitiesCharacteristic, 4>& equalities_characteristics();

// The label of a code of a characteristic ("Not declared" for k_not_declared); the code itself
// when unknown.
std::string_view equalities_label(std::string_view field, std::string_view code);

struct EqualitiesDeclaration {
  // nullopt: not answered (invariant 2).
  std::optional<std::string> age_band, ethnicity, disability, sex;

  const std::optional<std::string>& get(std::string_view field) const;
  std::optional<std::string>& get(std::string_view field);
  bool operator==(const EqualitiesDeclaration&) const = default;
};

// {"v":1, "age_band": "25_34", ...}: absent or null members are not answered. Refuses unknown
// members, non-text values and unknown codes, naming the field (invariants 1, 3).
Result<EqualitiesDeclaration> parse_equalities(const nlohmann::json& j);
nlohmann::json to_json(const EqualitiesDeclaration& d);

// The vocabulary as JSON (for the candidate's form and the report page):
// [{"field","label","question","options":[{"code","label"}]}].
nlohmann::json equalities_vocabulary_json();

}  // namespace vigil::results
