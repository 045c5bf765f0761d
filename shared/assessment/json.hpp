#pragma once
// The JSON form of the runtime assessment model (shared/assessment/model.hpp): the plaintext
// inside a package, and the accommodations carried in a sitting grant. Encoding is total for a
// valid model; decoding is strict (shared/protocol/json_reader.hpp: unknown fields, wrong types
// and over-long values are errors naming the JSON path) and checks the invariants the runner
// relies on (unique ids, option counts, `select` within the options, word guidance min < max).
//
//   {"v":1,"id":str,"version":u32,"title":str,"level":"practitioner"|"practice_supervisor",
//    "sections":[{"id","kind":"knowledge"|"scenario"|"written","title","minutes","intro":[str],
//                 "case_material":[{"title","paragraphs":[str]}],
//                 "items":[{"id","type":"single"|"multiple"|"written","kss":[str],"stem":[str],
//                           "options":[str],"select":u32,"words":{"min","max"}?}]}],
//    "breaks":[{"after_section","minutes"}]}
//   Accommodations: {"extra_time_percent":u32,"extra_break_minutes":u32,"knowledge_only":bool}
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/assessment/model.hpp"
#include "shared/core/names.hpp"
#include "shared/core/result.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::assessment {

inline constexpr int k_assessment_json_version = 1;

inline constexpr Names<Level, 2> k_level_names{
    {{Level::practitioner, "practitioner"}, {Level::practice_supervisor, "practice_supervisor"}}};
inline constexpr Names<SectionKind, 3> k_section_kind_names{
    {{SectionKind::knowledge, "knowledge"}, {SectionKind::scenario, "scenario"}, {SectionKind::written, "written"}}};
inline constexpr Names<ItemType, 3> k_item_type_names{
    {{ItemType::single, "single"}, {ItemType::multiple, "multiple"}, {ItemType::written, "written"}}};

std::string_view level_name(Level l) noexcept;           // "practitioner" | "practice_supervisor"
std::string_view section_kind_name(SectionKind k) noexcept;
std::string_view item_type_name(ItemType t) noexcept;
Result<Level> parse_level(std::string_view s);            // invalid_argument for anything else
// The `kind` member of a section object: knowledge, scenario or written; else an error naming the member.
Result<SectionKind> read_section_kind(protocol::ObjectReader& r);
// The `type` member of an item object: single, multiple or written; else an error naming the member.
Result<ItemType> read_item_type(protocol::ObjectReader& r);

// True when `id` is a KSS area id of the level (P1..P10, S1..S8; DESIGN.md section 1).
bool is_kss_of_level(std::string_view id, Level level) noexcept;

nlohmann::json to_json(const Assessment& a);
Result<Assessment> decode_assessment(const nlohmann::json& j);
Result<Assessment> parse_assessment(std::string_view text);

nlohmann::json to_json(const Accommodations& a);
// Reads the members of `r` and calls r.finish(). Limits: extra time 0..200 %, extra break 0..240 min.
Result<Accommodations> decode_accommodations(protocol::ObjectReader& r);

nlohmann::json to_json(const MarkingScheme& m);
// The stored form (server-side only): {"v":1,"assessment_id","version","keys":[{"item_id",
// "correct":[u32],"rationale"}],"rubrics":[{"item_id","areas":[{"kss","descriptors":[str]}]}]}.
Result<MarkingScheme> parse_marking_scheme(std::string_view text);

// Reading helpers shared with the authoring validator (server/packages/authoring.cpp).
// An array of min_items..max_items non-empty strings of at most 20,000 bytes each (paragraphs,
// options, KSS ids); errors name the element ("stem[2]").
Result<std::vector<std::string>> read_text_list(protocol::ObjectReader& r, std::string_view name, std::size_t max_items,
                                                std::size_t min_items = 0);
// An unsigned integer in lo..hi.
Result<std::uint32_t> read_u32(protocol::ObjectReader& r, std::string_view name, std::uint32_t lo, std::uint32_t hi);

}  // namespace vigil::assessment
