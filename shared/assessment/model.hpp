#pragma once
// The assessment as the candidate's client runs it: the plaintext inside a package
// (shared/package), after the content key has been released. It carries no answer keys,
// rationales or rubrics: those stay on the server (MarkingScheme) and never reach a device.
//
// The authoring format these are built from is documented in docs/CONTENT-FORMAT.md; the package
// container in docs/PACKAGE-FORMAT.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil::assessment {

enum class Level { practitioner, practice_supervisor };
enum class SectionKind { knowledge, scenario, written };
// single: exactly one option. multiple: exactly `select` options. written: free text.
enum class ItemType { single, multiple, written };

// A titled block of case material (a referral, a chronology, a case note) shown beside the
// questions of a scenario or written section.
struct Document {
  std::string title;
  std::vector<std::string> paragraphs;
};

struct WordGuidance {
  std::uint32_t min = 0;
  std::uint32_t max = 0;
};

struct Item {
  std::string id;                       // unique within the assessment
  ItemType type = ItemType::single;
  std::vector<std::string> kss;         // KSS area ids (DESIGN.md §1), at least one
  std::vector<std::string> stem;        // question or task, as paragraphs
  std::vector<std::string> options;     // single/multiple: the choices, in display order
  std::uint32_t select = 1;             // multiple: how many to choose
  std::optional<WordGuidance> words;    // written
};

struct Section {
  std::string id;
  SectionKind kind = SectionKind::knowledge;
  std::string title;
  std::uint32_t minutes = 0;            // time allowed before extra time
  std::vector<std::string> intro;       // instructions shown before the first item
  std::vector<Document> case_material;  // scenario and written sections
  std::vector<Item> items;
};

// A scheduled break the candidate may take after a section; the timer is paused for at most
// `minutes` (plus any extra break time the candidate's accommodations give).
struct Break {
  std::string after_section;
  std::uint32_t minutes = 0;
};

struct Assessment {
  std::string id;
  std::uint32_t version = 0;
  std::string title;
  Level level = Level::practitioner;
  std::vector<Section> sections;        // in the order they are sat
  std::vector<Break> breaks;

  std::uint32_t total_minutes() const {
    std::uint32_t t = 0;
    for (const auto& s : sections) t += s.minutes;
    return t;
  }
};

// What the server keeps to mark a sitting: never in a package.
struct ItemKey {
  std::string item_id;
  std::vector<std::uint32_t> correct;   // option indexes (0-based)
  std::string rationale;
};
struct RubricArea {
  std::string kss;
  std::vector<std::string> descriptors;
};
struct WrittenRubric {
  std::string item_id;
  std::vector<RubricArea> areas;
};
struct MarkingScheme {
  std::string assessment_id;
  std::uint32_t version = 0;
  std::vector<ItemKey> keys;
  std::vector<WrittenRubric> rubrics;
};

// Per-candidate reasonable adjustments and exemptions, set by the council at endorsement and
// carried to the client with the package's key release.
struct Accommodations {
  std::uint32_t extra_time_percent = 0;   // applied to every section's minutes
  std::uint32_t extra_break_minutes = 0;  // added to each scheduled break
  bool knowledge_only = false;            // exempt from the scenario and written sections

  bool operator==(const Accommodations&) const = default;
};

}  // namespace vigil::assessment
