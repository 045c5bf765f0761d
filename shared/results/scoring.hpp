#pragma once
// Scoring a sitting: pure functions from (assessment, marking scheme, answers, written marks,
// thresholds, exemptions) to a score report with an outcome (docs/RESULTS.md).
//
// Rules (each one a decision recorded in docs/RESULTS.md):
//  (1) single-response item: 1 mark when the chosen option is the keyed one, else 0.
//  (2) multiple-response item: 1 mark only when the chosen set is exactly the keyed set; any
//      partial or extra selection scores 0. Why: the item asks for "the N that apply"; partial
//      credit would reward choosing options at random (with select = 2 of 5 a random pick gets
//      half credit 60 % of the time) and makes one multiple-response item worth more than a
//      single-response one. All-or-nothing keeps each item worth exactly one mark.
//  (3) a missing, empty or unreadable answer scores 0 (never an error: a candidate may skip).
//  (4) an item with several KSS areas counts its mark (and its maximum) towards each of them, so
//      per-area scores are per-area and stage scores still count each item once.
//  (5) written stage marks come from assessors per KSS area; until they exist the written stage,
//      and so the outcome, is "awaiting marking" (incomplete), never "not met".
//  (6) met when raw * 100 >= threshold_percent * max, in integers: a score exactly at the
//      threshold is met, one mark below is not. Scaled scores shown to people are the percentage
//      rounded down, but decisions never use the rounded value.
//  (7) an exempt stage is recorded with its reason and counts neither for nor against: it is
//      left out of the overall score and the outcome, and its items are not scored.
//  (8) outcome met = every stage that is assessed (not exempt, has items) is met AND the overall
//      score over those stages is met. Any stage awaiting marking -> incomplete.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/assessment/model.hpp"
#include "shared/core/names.hpp"
#include "shared/core/result.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::results {

using assessment::SectionKind;  // the stages scored here: knowledge, scenario, written

enum class StageStatus { met, not_met, exempt, awaiting_marking, not_assessed };
enum class Outcome { met, not_met, incomplete };

inline constexpr Names<StageStatus, 5> k_stage_status_names{{{StageStatus::met, "met"},
                                                             {StageStatus::not_met, "not_met"},
                                                             {StageStatus::exempt, "exempt"},
                                                             {StageStatus::awaiting_marking, "awaiting_marking"},
                                                             {StageStatus::not_assessed, "not_assessed"}}};
inline constexpr Names<Outcome, 3> k_outcome_names{
    {{Outcome::met, "met"}, {Outcome::not_met, "not_met"}, {Outcome::incomplete, "incomplete"}}};

std::string_view stage_status_name(StageStatus s) noexcept;  // "met", "not_met", "exempt", ...
std::string_view outcome_name(Outcome o) noexcept;           // "met" | "not_met" | "incomplete"
Result<Outcome> parse_outcome(std::string_view s);

// Pass marks, whole percentages 0..100, set per assessment window (assessment id).
// JSON: {"v":1,"knowledge":u32,"scenario":u32,"written":u32,"overall":u32}
struct Thresholds {
  std::uint32_t knowledge = 60;
  std::uint32_t scenario = 60;
  std::uint32_t written = 60;
  std::uint32_t overall = 60;

  std::uint32_t of(SectionKind k) const noexcept;
  bool operator==(const Thresholds&) const = default;
};
nlohmann::json to_json(const Thresholds& t);
Result<Thresholds> parse_thresholds(std::string_view text);

struct Exemption {
  SectionKind stage = SectionKind::scenario;
  std::string reason;
  bool operator==(const Exemption&) const = default;
};
// The exemptions implied by a candidate's accommodations (knowledge_only: scenario and written).
std::vector<Exemption> exemptions_from(const assessment::Accommodations& a);

// An assessor's (agreed) mark for one KSS area of the written stage.
struct WrittenAreaMark {
  std::string kss;
  std::uint32_t mark = 0;
  std::uint32_t max = 0;   // > 0, mark <= max
  bool operator==(const WrittenAreaMark&) const = default;
};

// Item id -> the answer value JSON as the client saved it ({"choice":i}, {"choices":[...]},
// {"text":"..."}): the latest revision of each item.
using Answers = std::map<std::string, std::string, std::less<>>;

struct Marks {
  std::uint32_t raw = 0;
  std::uint32_t max = 0;
  std::uint32_t percent() const noexcept { return max == 0 ? 0 : static_cast<std::uint32_t>((std::uint64_t{raw} * 100) / max); }
  // (6) raw * 100 >= threshold * max.
  bool reaches(std::uint32_t threshold_percent) const noexcept {
    return std::uint64_t{raw} * 100 >= std::uint64_t{threshold_percent} * max;
  }
  bool operator==(const Marks&) const = default;
};

struct StageScore {
  SectionKind stage = SectionKind::knowledge;
  StageStatus status = StageStatus::not_assessed;
  Marks marks;                  // zero when exempt, awaiting marking or not assessed
  std::uint32_t threshold = 0;
  std::string exempt_reason;    // when exempt
  bool operator==(const StageScore&) const = default;
};

struct AreaScore {
  std::string kss;
  Marks marks;
  bool at_standard = false;     // marks reach the overall threshold
  bool operator==(const AreaScore&) const = default;
};

struct ItemScore {
  std::string item_id;
  SectionKind stage = SectionKind::knowledge;
  bool answered = false;
  std::uint32_t mark = 0;       // 0 or 1
  bool operator==(const ItemScore&) const = default;
};

struct ScoreReport {
  std::string assessment_id;
  std::uint32_t version = 0;
  assessment::Level level = assessment::Level::practitioner;
  Outcome outcome = Outcome::incomplete;
  std::vector<StageScore> stages;   // knowledge, scenario, written, in that order
  Marks overall;                    // over the assessed stages only (7)
  std::uint32_t overall_threshold = 0;
  std::vector<AreaScore> areas;     // in KSS order (P1..P10 / S1..S8), areas with marks only
  std::vector<ItemScore> items;     // server-side detail (item statistics); not for candidates

  const StageScore& stage(SectionKind k) const;
  bool operator==(const ScoreReport&) const = default;
};

// Scores one sitting. Errors (invalid_argument, naming the item or area): the scheme is for
// another assessment or version, a choice item has no key, a written mark names an area that is
// not in the assessment's written stage, has max 0 or mark > max, or repeats an area.
Result<ScoreReport> score(const assessment::Assessment& a, const assessment::MarkingScheme& scheme,
                          const Answers& answers, const std::optional<std::vector<WrittenAreaMark>>& written,
                          const Thresholds& thresholds, const std::vector<Exemption>& exemptions);

// The KSS areas the written stage is marked on (from its items), in KSS order.
std::vector<std::string> written_areas(const assessment::Assessment& a);

// JSON of a report, for storage and for the candidate's result. with_items=false leaves out the
// per-item detail (what goes to candidates and councils).
//   {"v":1,"assessment_id","version","level","outcome","overall":{"raw","max","percent"},
//    "overall_threshold","stages":[{"stage","status","raw","max","percent","threshold",
//    "exempt_reason"?}],"areas":[{"kss","raw","max","percent","at_standard"}],"items":[...]?}
nlohmann::json to_json(const ScoreReport& r, bool with_items);
Result<ScoreReport> decode_score_report(protocol::ObjectReader& r);

// The "next steps" text for a candidate, by outcome (docs/RESULTS.md).
std::string next_steps(Outcome o);

// KSS order: "P2" before "P10".
bool kss_less(std::string_view a, std::string_view b) noexcept;

}  // namespace vigil::results
