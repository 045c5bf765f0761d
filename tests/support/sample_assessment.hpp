#pragma once
// A small assessment for tests that need one in memory: a knowledge section (two items), a
// scenario with case material, a written task, and a break after the knowledge section.
#include "shared/assessment/model.hpp"

namespace vigil::testing {

inline assessment::Assessment small_assessment() {
  using namespace vigil::assessment;
  Assessment a;
  a.id = "test-practitioner";
  a.version = 1;
  a.title = "Test assessment";
  a.level = Level::practitioner;
  Section k{"knowledge", SectionKind::knowledge, "Knowledge", 10, {"Answer each question."}, {}, {}};
  k.items.push_back(Item{"k-1", ItemType::single, {"P3"}, {"Which?"}, {"A", "B", "C", "D"}, 1, std::nullopt});
  k.items.push_back(Item{"k-2", ItemType::multiple, {"P8"}, {"Which two?"}, {"A", "B", "C", "D", "E"}, 2, std::nullopt});
  Section s{"scenario-1", SectionKind::scenario, "Scenario", 5, {}, {Document{"Referral", {"Text."}}}, {}};
  s.items.push_back(Item{"s-1", ItemType::single, {"P6"}, {"Next step?"}, {"A", "B", "C"}, 1, std::nullopt});
  Section w{"written", SectionKind::written, "Written", 8, {}, {}, {}};
  w.items.push_back(Item{"w-1", ItemType::written, {"P6", "P7"}, {"Write."}, {}, 1, WordGuidance{100, 300}});
  a.sections = {k, s, w};
  a.breaks = {Break{"knowledge", 3}};
  return a;
}

}  // namespace vigil::testing
