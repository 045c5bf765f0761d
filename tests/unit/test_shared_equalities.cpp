// The equalities vocabulary (shared/results/equalities.hpp) that the client's form and the
// server's checks share: every characteristic offers "prefer not to say", a round trip keeps
// every answer, and parsing refuses what the vocabulary does not list, naming the field.
#include <set>

#include <catch2/catch_test_macros.hpp>

#include "shared/results/equalities.hpp"

using nlohmann::json;
using namespace vigil;

TEST_CASE("every characteristic offers prefer not to say, and codes are unique within it") {
  for (const auto& c : results::equalities_characteristics()) {
    INFO(c.field);
    std::set<std::string_view> codes;
    for (std::size_t i = 0; i < c.option_count; ++i) CHECK(codes.insert(c.options[i].code).second);
    CHECK(codes.count(results::k_prefer_not_to_say) == 1);
    CHECK(codes.count(results::k_not_declared) == 0);  // "not declared" is the report's, never an answer
  }
  CHECK(results::equalities_label("ethnicity", "mixed") == "Mixed or multiple ethnic groups");
  CHECK(results::equalities_label("sex", "not_declared") == "Not declared");
}

TEST_CASE("a declaration round-trips, and unanswered questions stay unanswered") {
  results::EqualitiesDeclaration d;
  d.ethnicity = "black";
  d.sex = "prefer_not_to_say";
  const auto j = results::to_json(d);
  CHECK(j.at("age_band").is_null());
  CHECK(results::parse_equalities(j).value() == d);
  CHECK(results::parse_equalities(json::object()).value() == results::EqualitiesDeclaration{});
}

TEST_CASE("parsing refuses unknown answers, members, types and versions, naming the field") {
  const std::vector<std::pair<json, std::string>> bad = {
      {json{{"age_band", "17"}}, "age_band"},
      {json{{"ethnicity", "White"}}, "ethnicity"},  // codes, not labels
      {json{{"disability", true}}, "disability"},
      {json{{"sex", "other"}}, "sex"},
      {json{{"religion", "none"}}, "religion"},
      {json{{"v", "1"}}, "v"},
  };
  for (const auto& [body, field] : bad) {
    INFO(body.dump());
    auto r = results::parse_equalities(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == field);
  }
  CHECK_FALSE(results::parse_equalities(json::array()));
}
