#include "shared/assessment/json.hpp"

#include <set>
#include <string>

namespace vigil::assessment {

namespace {

using json = nlohmann::json;
using protocol::ObjectReader;

constexpr std::size_t k_max_text = 20'000;      // one paragraph, option or title
constexpr std::size_t k_max_id = 64;
constexpr std::size_t k_max_paragraphs = 200;
constexpr std::size_t k_max_items = 500;
constexpr std::size_t k_max_sections = 20;

}  // namespace

Result<std::vector<std::string>> read_text_list(ObjectReader& r, std::string_view name, std::size_t max_items,
                                                std::size_t min_items) {
  VIGIL_ASSIGN(auto items, r.array(name, max_items));
  if (items.size() < min_items) {
    return fail(r.error(name, "needs at least " + std::to_string(min_items) + " entr" + (min_items == 1 ? "y" : "ies")));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string at = std::string(name) + "[" + std::to_string(i) + "]";
    if (!items[i]->is_string()) return fail(r.error(at, "expected a string"));
    const auto& s = items[i]->get_ref<const std::string&>();
    if (s.empty() || s.size() > k_max_text) return fail(r.error(at, "must be 1 to 20000 bytes"));
    out.push_back(s);
  }
  return out;
}

Result<std::uint32_t> read_u32(ObjectReader& r, std::string_view name, std::uint32_t lo, std::uint32_t hi) {
  VIGIL_ASSIGN(auto v, r.uint(name));
  if (v < lo || v > hi) return fail(r.error(name, "must be " + std::to_string(lo) + " to " + std::to_string(hi)));
  return static_cast<std::uint32_t>(v);
}

namespace {

Result<Item> decode_item(ObjectReader& r, Level level) {
  Item it;
  VIGIL_ASSIGN(it.id, r.non_empty_string("id", k_max_id));
  VIGIL_ASSIGN(it.type, read_item_type(r));
  VIGIL_ASSIGN(it.kss, read_text_list(r, "kss", 18, 1));
  for (std::size_t i = 0; i < it.kss.size(); ++i) {
    if (!is_kss_of_level(it.kss[i], level)) {
      return fail(r.error("kss[" + std::to_string(i) + "]", "is not a KSS area of this level"));
    }
  }
  VIGIL_ASSIGN(it.stem, read_text_list(r, "stem", k_max_paragraphs, 1));
  VIGIL_ASSIGN(it.options, read_text_list(r, "options", 8));
  VIGIL_ASSIGN(it.select, read_u32(r, "select", 0, 8));
  VIGIL_ASSIGN(auto words, r.optional_object("words"));
  if (words) {
    WordGuidance w;
    VIGIL_ASSIGN(w.min, read_u32(*words, "min", 0, 100'000));
    VIGIL_ASSIGN(w.max, read_u32(*words, "max", 1, 100'000));
    if (w.min >= w.max) return fail(words->error("max", "must be more than min"));
    VIGIL_TRY(words->finish());
    it.words = w;
  }
  if (it.type == ItemType::written) {
    if (!it.options.empty()) return fail(r.error("options", "a written item has no options"));
    if (!it.words) return fail(r.error("words", "is required for a written item"));
  } else {
    if (it.options.size() < 2) return fail(r.error("options", "needs at least 2 options"));
    if (it.words) return fail(r.error("words", "only a written item has word guidance"));
    const bool fits = it.type == ItemType::single ? it.select == 1 : (it.select >= 2 && it.select < it.options.size());
    if (!fits) return fail(r.error("select", "does not fit the item type and its number of options"));
  }
  VIGIL_TRY(r.finish());
  return it;
}

}  // namespace

std::string_view level_name(Level l) noexcept { return name_of(k_level_names, l); }
std::string_view section_kind_name(SectionKind k) noexcept { return name_of(k_section_kind_names, k); }
std::string_view item_type_name(ItemType t) noexcept { return name_of(k_item_type_names, t); }

Result<Level> parse_level(std::string_view s) {
  if (auto l = value_named(k_level_names, s)) return *l;
  return fail(Errc::invalid_argument, "the level must be practitioner or practice_supervisor");
}

Result<SectionKind> read_section_kind(protocol::ObjectReader& r) {
  return protocol::read_name(r, "kind", k_section_kind_names);
}
Result<ItemType> read_item_type(protocol::ObjectReader& r) { return protocol::read_name(r, "type", k_item_type_names); }

bool is_kss_of_level(std::string_view id, Level level) noexcept {
  const char prefix = level == Level::practitioner ? 'P' : 'S';
  const int max = level == Level::practitioner ? 10 : 8;
  if (id.size() < 2 || id.size() > 3 || id[0] != prefix) return false;
  int n = 0;
  for (char c : id.substr(1)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (id[1] == '0') return false;  // no leading zeros: "P01" is a typo for "P1"
  return n >= 1 && n <= max;
}

json to_json(const Assessment& a) {
  json sections = json::array();
  for (const auto& s : a.sections) {
    json items = json::array();
    for (const auto& it : s.items) {
      json j{{"id", it.id}, {"type", item_type_name(it.type)}, {"kss", it.kss}, {"stem", it.stem},
             {"options", it.options}, {"select", it.select}};
      if (it.words) j["words"] = {{"min", it.words->min}, {"max", it.words->max}};
      items.push_back(std::move(j));
    }
    json docs = json::array();
    for (const auto& d : s.case_material) docs.push_back({{"title", d.title}, {"paragraphs", d.paragraphs}});
    sections.push_back({{"id", s.id}, {"kind", section_kind_name(s.kind)}, {"title", s.title}, {"minutes", s.minutes},
                        {"intro", s.intro}, {"case_material", std::move(docs)}, {"items", std::move(items)}});
  }
  json breaks = json::array();
  for (const auto& b : a.breaks) breaks.push_back({{"after_section", b.after_section}, {"minutes", b.minutes}});
  return json{{"v", k_assessment_json_version}, {"id", a.id}, {"version", a.version}, {"title", a.title},
              {"level", level_name(a.level)}, {"sections", std::move(sections)}, {"breaks", std::move(breaks)}};
}

Result<Assessment> decode_assessment(const json& j) {
  return protocol::decode_top<Assessment>(j, [](ObjectReader& r) -> Result<Assessment> {
    VIGIL_TRY(r.version(k_assessment_json_version));
    Assessment a;
    VIGIL_ASSIGN(a.id, r.non_empty_string("id", k_max_id));
    VIGIL_ASSIGN(a.version, read_u32(r, "version", 1, 0x7fffffff));
    VIGIL_ASSIGN(a.title, r.non_empty_string("title", k_max_text));
    VIGIL_ASSIGN(a.level, protocol::read_name(r, "level", k_level_names, 32));
    VIGIL_ASSIGN(auto sections, r.objects("sections", k_max_sections));
    if (sections.empty()) return fail(r.error("sections", "needs at least one section"));
    std::set<std::string, std::less<>> section_ids, item_ids;
    for (auto& sr : sections) {
      Section s;
      VIGIL_ASSIGN(s.id, sr.non_empty_string("id", k_max_id));
      if (!section_ids.insert(s.id).second) return fail(sr.error("id", "repeats another section's id"));
      VIGIL_ASSIGN(s.kind, read_section_kind(sr));
      VIGIL_ASSIGN(s.title, sr.non_empty_string("title", k_max_text));
      VIGIL_ASSIGN(s.minutes, read_u32(sr, "minutes", 1, 240));
      VIGIL_ASSIGN(s.intro, read_text_list(sr, "intro", k_max_paragraphs));
      VIGIL_ASSIGN(auto docs, sr.objects("case_material", 50));
      for (auto& dr : docs) {
        Document d;
        VIGIL_ASSIGN(d.title, dr.non_empty_string("title", k_max_text));
        VIGIL_ASSIGN(d.paragraphs, read_text_list(dr, "paragraphs", k_max_paragraphs, 1));
        VIGIL_TRY(dr.finish());
        s.case_material.push_back(std::move(d));
      }
      VIGIL_ASSIGN(auto items, sr.objects("items", k_max_items));
      if (items.empty()) return fail(sr.error("items", "needs at least one item"));
      for (auto& ir : items) {
        VIGIL_ASSIGN(auto it, decode_item(ir, a.level));
        if (!item_ids.insert(it.id).second) return fail(ir.error("id", "repeats another item's id"));
        s.items.push_back(std::move(it));
      }
      VIGIL_TRY(sr.finish());
      a.sections.push_back(std::move(s));
    }
    VIGIL_ASSIGN(auto breaks, r.objects("breaks", k_max_sections));
    for (auto& br : breaks) {
      Break b;
      VIGIL_ASSIGN(b.after_section, br.non_empty_string("after_section", k_max_id));
      if (!section_ids.contains(b.after_section) || b.after_section == a.sections.back().id) {
        return fail(br.error("after_section", "must name a section other than the last"));
      }
      VIGIL_ASSIGN(b.minutes, read_u32(br, "minutes", 1, 120));
      VIGIL_TRY(br.finish());
      a.breaks.push_back(std::move(b));
    }
    VIGIL_TRY(r.finish());
    return a;
  });
}

Result<Assessment> parse_assessment(std::string_view text) {
  VIGIL_ASSIGN(auto j, protocol::parse_json(text));
  return decode_assessment(j);
}

json to_json(const Accommodations& a) {
  return json{{"extra_time_percent", a.extra_time_percent},
              {"extra_break_minutes", a.extra_break_minutes},
              {"knowledge_only", a.knowledge_only}};
}

Result<Accommodations> decode_accommodations(ObjectReader& r) {
  Accommodations a;
  VIGIL_ASSIGN(a.extra_time_percent, read_u32(r, "extra_time_percent", 0, 200));
  VIGIL_ASSIGN(a.extra_break_minutes, read_u32(r, "extra_break_minutes", 0, 240));
  VIGIL_ASSIGN(a.knowledge_only, r.boolean("knowledge_only"));
  VIGIL_TRY(r.finish());
  return a;
}

json to_json(const MarkingScheme& m) {
  json keys = json::array();
  for (const auto& k : m.keys) keys.push_back({{"item_id", k.item_id}, {"correct", k.correct}, {"rationale", k.rationale}});
  json rubrics = json::array();
  for (const auto& w : m.rubrics) {
    json areas = json::array();
    for (const auto& a : w.areas) areas.push_back({{"kss", a.kss}, {"descriptors", a.descriptors}});
    rubrics.push_back({{"item_id", w.item_id}, {"areas", std::move(areas)}});
  }
  return json{{"v", 1}, {"assessment_id", m.assessment_id}, {"version", m.version}, {"keys", std::move(keys)},
              {"rubrics", std::move(rubrics)}};
}

Result<MarkingScheme> parse_marking_scheme(std::string_view text) {
  return protocol::parse_top<MarkingScheme>(text, [](ObjectReader& r) -> Result<MarkingScheme> {
    VIGIL_TRY(r.version(1));
    MarkingScheme m;
    VIGIL_ASSIGN(m.assessment_id, r.non_empty_string("assessment_id", k_max_id));
    VIGIL_ASSIGN(m.version, read_u32(r, "version", 0, 1'000'000));
    VIGIL_ASSIGN(auto keys, r.objects("keys", 10'000));
    for (auto& k : keys) {
      ItemKey key;
      VIGIL_ASSIGN(key.item_id, k.non_empty_string("item_id", k_max_id));
      VIGIL_ASSIGN(auto correct, k.array("correct", 64));
      for (const auto* c : correct) {
        if (!c->is_number_unsigned() || c->get<std::uint64_t>() > 1000) return fail(k.error("correct", "expected option indexes"));
        key.correct.push_back(static_cast<std::uint32_t>(c->get<std::uint64_t>()));
      }
      VIGIL_ASSIGN(key.rationale, k.string("rationale", 100'000));
      VIGIL_TRY(k.finish());
      m.keys.push_back(std::move(key));
    }
    VIGIL_ASSIGN(auto rubrics, r.objects("rubrics", 1'000));
    for (auto& w : rubrics) {
      WrittenRubric rubric;
      VIGIL_ASSIGN(rubric.item_id, w.non_empty_string("item_id", k_max_id));
      VIGIL_ASSIGN(auto areas, w.objects("areas", 32));
      for (auto& a : areas) {
        RubricArea area;
        VIGIL_ASSIGN(area.kss, a.non_empty_string("kss", 8));
        VIGIL_ASSIGN(area.descriptors, read_text_list(a, "descriptors", 64));
        VIGIL_TRY(a.finish());
        rubric.areas.push_back(std::move(area));
      }
      VIGIL_TRY(w.finish());
      m.rubrics.push_back(std::move(rubric));
    }
    VIGIL_TRY(r.finish());
    return m;
  });
}

}  // namespace vigil::assessment
