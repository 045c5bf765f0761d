#include "shared/results/equalities.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace vigil::results {

namespace {

// Sources and choices: docs/EQUALITIES.md ("Categories").
constexpr EqualitiesOption k_age[] = {
    {"under_25", "Under 25"}, {"25_34", "25 to 34"}, {"35_44", "35 to 44"},  {"45_54", "45 to 54"},
    {"55_64", "55 to 64"},    {"65_plus", "65 and over"}, {k_prefer_not_to_say, "Prefer not to say"},
};
// The five high-level ethnic groups of the 2021 Census in England (GOV.UK "List of ethnic
// groups"), in its order.
constexpr EqualitiesOption k_ethnicity[] = {
    {"asian", "Asian or Asian British"},
    {"black", "Black, Black British, Caribbean or African"},
    {"mixed", "Mixed or multiple ethnic groups"},
    {"white", "White"},
    {"other", "Other ethnic group"},
    {k_prefer_not_to_say, "Prefer not to say"},
};
constexpr EqualitiesOption k_disability[] = {
    {"yes", "Yes"}, {"no", "No"}, {k_prefer_not_to_say, "Prefer not to say"}};
constexpr EqualitiesOption k_sex[] = {
    {"female", "Female"}, {"male", "Male"}, {k_prefer_not_to_say, "Prefer not to say"}};

const std::array<EqualitiesCharacteristic, 4> k_characteristics{{
    {"age_band", "Age band", "What is your age?", k_age, std::size(k_age)},
    {"ethnicity", "Ethnic group", "What is your ethnic group?", k_ethnicity, std::size(k_ethnicity)},
    {"disability", "Disability",
     "Do you consider yourself to have a disability or long-term health condition, as defined by the Equality Act 2010?",
     k_disability, std::size(k_disability)},
    {"sex", "Sex", "What is your sex?", k_sex, std::size(k_sex)},
}};

const EqualitiesCharacteristic* find_characteristic(std::string_view field) {
  for (const auto& c : k_characteristics) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

}  // namespace

const std::array<EqualitiesCharacteristic, 4>& equalities_characteristics() { return k_characteristics; }

std::string_view equalities_label(std::string_view field, std::string_view code) {
  if (code == k_not_declared) return "Not declared";
  if (const auto* c = find_characteristic(field)) {
    for (std::size_t i = 0; i < c->option_count; ++i) {
      if (c->options[i].code == code) return c->options[i].label;
    }
  }
  return code;
}

const std::optional<std::string>& EqualitiesDeclaration::get(std::string_view field) const {
  if (field == "age_band") return age_band;
  if (field == "ethnicity") return ethnicity;
  if (field == "disability") return disability;
  assert(field == "sex" && "a characteristic field from k_characteristics");
  return sex;
}

std::optional<std::string>& EqualitiesDeclaration::get(std::string_view field) {
  return const_cast<std::optional<std::string>&>(std::as_const(*this).get(field));
}

Result<EqualitiesDeclaration> parse_equalities(const nlohmann::json& j) {
  if (!j.is_object()) return fail(Errc::invalid_argument, "the declaration must be a JSON object");
  EqualitiesDeclaration d;
  for (const auto& [key, value] : j.items()) {
    if (key == "v") {
      if (!value.is_number_integer() || value.get<std::int64_t>() != 1) {
        return fail(Error(Errc::unsupported_version, "this declaration version is not supported", "v"));
      }
      continue;
    }
    const auto* c = find_characteristic(key);
    // (3) Nothing but the four characteristics: a candidate id in the body is refused too.
    if (!c) return fail(Error(Errc::invalid_argument, key + " is not part of the equalities declaration", key));
    if (value.is_null()) continue;
    if (!value.is_string()) return fail(Error(Errc::invalid_argument, key + " must be text", key));
    const auto code = value.get<std::string>();
    const bool known = std::any_of(c->options, c->options + c->option_count,
                                   [&](const EqualitiesOption& o) { return o.code == code; });
    if (!known) return fail(Error(Errc::invalid_argument, key + " is not one of the listed answers", key));  // (1)
    d.get(key) = code;
  }
  return d;
}

nlohmann::json to_json(const EqualitiesDeclaration& d) {
  nlohmann::json j{{"v", 1}};
  for (const auto& c : k_characteristics) {
    const auto& v = d.get(c.field);
    j[std::string(c.field)] = v ? nlohmann::json(*v) : nlohmann::json();
  }
  return j;
}

nlohmann::json equalities_vocabulary_json() {
  auto out = nlohmann::json::array();
  for (const auto& c : k_characteristics) {
    auto opts = nlohmann::json::array();
    for (std::size_t i = 0; i < c.option_count; ++i) opts.push_back({{"code", c.options[i].code}, {"label", c.options[i].label}});
    out.push_back({{"field", c.field}, {"label", c.label}, {"question", c.question}, {"options", opts}});
  }
  return out;
}

}  // namespace vigil::results
