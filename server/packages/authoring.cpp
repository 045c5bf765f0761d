#include "server/packages/authoring.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include "shared/assessment/json.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::server {

namespace {

namespace fs = std::filesystem;
using assessment::ItemType;
using assessment::SectionKind;
using protocol::ObjectReader;

constexpr std::size_t k_max_file_bytes = 4 * 1024 * 1024;
constexpr std::size_t k_max_paragraphs = 200;

// Prefixes the file name onto a decode error: the path stays, the file is added.
Error in_file(const std::string& file, Error e) {
  const std::string field = e.field.empty() ? file : file + ": " + e.field;
  return Error(Errc::invalid_argument, file + ": " + e.message, field);
}

bool is_slug(std::string_view s, std::size_t min, std::size_t max) {
  return s.size() >= min && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

Result<nlohmann::json> read_json_file(const fs::path& dir, const std::string& file) {
  std::ifstream in(dir / file, std::ios::binary);
  if (!in) return fail(Error(Errc::invalid_argument, file + ": cannot be read (is it in " + dir.string() + "?)", file));
  std::string text;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (text.size() > k_max_file_bytes) return fail(Error(Errc::invalid_argument, file + ": is larger than 4 MiB", file));
  auto j = protocol::parse_json(text);
  if (!j) return fail(in_file(file, std::move(j).error()));
  return std::move(*j);
}

Result<std::vector<assessment::Document>> read_case_material(ObjectReader& r, bool required) {
  std::vector<assessment::Document> out;
  if (!required && !r.value().contains("case_material")) return out;
  VIGIL_ASSIGN(auto docs, r.objects("case_material", 50));
  if (required && docs.empty()) return fail(r.error("case_material", "a scenario needs at least one document"));
  for (auto& d : docs) {
    assessment::Document doc;
    VIGIL_ASSIGN(doc.title, d.non_empty_string("title", 500));
    VIGIL_ASSIGN(doc.paragraphs, assessment::read_text_list(d, "paragraphs", k_max_paragraphs, 1));
    VIGIL_TRY(d.finish());
    out.push_back(std::move(doc));
  }
  return out;
}

struct ItemResult {
  assessment::Item item;
  std::optional<assessment::ItemKey> key;
  std::optional<assessment::WrittenRubric> rubric;
};

Result<std::vector<std::uint32_t>> read_answer(ObjectReader& r, std::size_t options, std::size_t want) {
  VIGIL_ASSIGN(auto items, r.array("answer", 8));
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string at = "answer[" + std::to_string(i) + "]";
    if (!items[i]->is_number_unsigned()) return fail(r.error(at, "expected an option index (0, 1, 2...)"));
    const auto v = items[i]->get<std::uint64_t>();
    if (v >= options) return fail(r.error(at, "is not one of the options (they are numbered from 0)"));
    const auto idx = static_cast<std::uint32_t>(v);
    if (std::find(out.begin(), out.end(), idx) != out.end()) return fail(r.error(at, "repeats an option"));
    out.push_back(idx);
  }
  if (out.size() != want) {
    return fail(r.error("answer", "needs exactly " + std::to_string(want) + " option index" + (want == 1 ? "" : "es")));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<ItemResult> read_item(ObjectReader& r, SectionKind kind, assessment::Level level) {
  ItemResult out;
  auto& it = out.item;
  VIGIL_ASSIGN(it.id, r.string("id", 256));
  if (!is_slug(it.id, 1, 64)) return fail(r.error("id", "must be 1 to 64 characters of a-z, 0-9 and -"));
  VIGIL_ASSIGN(it.type, assessment::read_item_type(r));
  if (kind == SectionKind::knowledge && it.type == ItemType::written) {
    return fail(r.error("type", "a knowledge section has single and multiple items only"));
  }
  if (kind == SectionKind::written && it.type != ItemType::written) {
    return fail(r.error("type", "a written section has written items only"));
  }
  VIGIL_ASSIGN(it.kss, assessment::read_text_list(r, "kss", 18, 1));
  for (std::size_t i = 0; i < it.kss.size(); ++i) {
    const std::string at = "kss[" + std::to_string(i) + "]";
    if (!assessment::is_kss_of_level(it.kss[i], level)) {
      return fail(r.error(at, "\"" + it.kss[i] + "\" is not a KSS area of the " + std::string(assessment::level_name(level)) +
                                  " level (" + (level == assessment::Level::practitioner ? "P1 to P10" : "S1 to S8") + ")"));
    }
    if (std::count(it.kss.begin(), it.kss.end(), it.kss[i]) > 1) return fail(r.error(at, "is listed twice"));
  }
  VIGIL_ASSIGN(it.stem, assessment::read_text_list(r, "stem", k_max_paragraphs, 1));

  if (it.type == ItemType::written) {
    VIGIL_ASSIGN(auto words, r.object("words"));
    assessment::WordGuidance w;
    VIGIL_ASSIGN(w.min, assessment::read_u32(words, "min", 0, 100'000));
    VIGIL_ASSIGN(w.max, assessment::read_u32(words, "max", 1, 100'000));
    if (w.min >= w.max) return fail(words.error("min", "must be less than max"));
    VIGIL_TRY(words.finish());
    it.words = w;
    it.select = 0;
    VIGIL_ASSIGN(auto rubric, r.object("rubric"));
    assessment::WrittenRubric wr;
    wr.item_id = it.id;
    for (const auto& k : it.kss) {
      VIGIL_ASSIGN(auto descriptors, assessment::read_text_list(rubric, k, 50, 1));
      wr.areas.push_back({k, std::move(descriptors)});
    }
    auto extra = rubric.finish();
    if (!extra) return fail(rubric.error(extra.error().field.substr(rubric.path().size() + 1), "is not one of this item's kss areas"));
    out.rubric = std::move(wr);
  } else {
    const bool single = it.type == ItemType::single;
    VIGIL_ASSIGN(it.options, assessment::read_text_list(r, "options", 8));
    const std::size_t lo = single ? 3 : 4, hi = single ? 6 : 8;
    if (it.options.size() < lo || it.options.size() > hi) {
      return fail(r.error("options", std::string("a ") + (single ? "single" : "multiple") + " item has " +
                                         std::to_string(lo) + " to " + std::to_string(hi) + " options"));
    }
    if (single) {
      it.select = 1;
    } else {
      VIGIL_ASSIGN(it.select, assessment::read_u32(r, "select", 2, 7));
      if (it.select >= it.options.size()) return fail(r.error("select", "must be fewer than the number of options"));
    }
    assessment::ItemKey key;
    key.item_id = it.id;
    VIGIL_ASSIGN(key.correct, read_answer(r, it.options.size(), it.select));
    VIGIL_ASSIGN(key.rationale, r.non_empty_string("rationale", 20'000));
    out.key = std::move(key);
  }
  VIGIL_TRY(r.finish());
  return out;
}

}  // namespace

Result<AuthoredAssessment> load_content_dir(const fs::path& dir) {
  const std::string main_file = "assessment.json";
  AuthoredAssessment out;
  auto& a = out.assessment;
  std::vector<std::string> files;
  {
    VIGIL_ASSIGN(auto j, read_json_file(dir, main_file));
    auto decoded = [&]() -> Status {
      VIGIL_ASSIGN(auto r, ObjectReader::from(j));
      VIGIL_ASSIGN(auto format, r.string("format", 64));
      if (format != k_content_format) {
        return fail(r.error("format", "must be \"" + std::string(k_content_format) + "\""));
      }
      VIGIL_ASSIGN(a.id, r.string("id", 256));
      if (!is_slug(a.id, 3, 64)) return fail(r.error("id", "must be 3 to 64 characters of a-z, 0-9 and -"));
      VIGIL_ASSIGN(a.version, assessment::read_u32(r, "version", 1, 0x7fffffff));
      VIGIL_ASSIGN(a.title, r.non_empty_string("title", 500));
      VIGIL_ASSIGN(auto level, r.string("level", 64));
      auto lv = assessment::parse_level(level);
      if (!lv) return fail(r.error("level", "must be practitioner or practice_supervisor"));
      a.level = *lv;
      VIGIL_ASSIGN(auto sections, r.objects("sections", 20));
      if (sections.empty()) return fail(r.error("sections", "needs at least one section"));
      std::set<std::string, std::less<>> ids, used_files;
      for (auto& sr : sections) {
        assessment::Section s;
        VIGIL_ASSIGN(s.id, sr.string("id", 256));
        if (!is_slug(s.id, 1, 64)) return fail(sr.error("id", "must be 1 to 64 characters of a-z, 0-9 and -"));
        if (!ids.insert(s.id).second) return fail(sr.error("id", "repeats another section's id"));
        VIGIL_ASSIGN(s.kind, assessment::read_section_kind(sr));
        VIGIL_ASSIGN(s.title, sr.non_empty_string("title", 500));
        VIGIL_ASSIGN(s.minutes, assessment::read_u32(sr, "minutes", 1, 240));
        VIGIL_ASSIGN(s.intro, assessment::read_text_list(sr, "intro", k_max_paragraphs));
        VIGIL_ASSIGN(auto file, sr.non_empty_string("file", 128));
        const bool plain_name = file.find('/') == std::string::npos && file.find('\\') == std::string::npos &&
                                file.size() > 5 && file.ends_with(".json") && file[0] != '.' && file != main_file;
        if (!plain_name) return fail(sr.error("file", "must be the name of a .json file beside assessment.json"));
        if (!used_files.insert(file).second) return fail(sr.error("file", "is used by another section"));
        VIGIL_TRY(sr.finish());
        files.push_back(file);
        a.sections.push_back(std::move(s));
      }
      if (r.value().contains("breaks")) {
        VIGIL_ASSIGN(auto breaks, r.objects("breaks", 20));
        for (auto& br : breaks) {
          assessment::Break b;
          VIGIL_ASSIGN(b.after_section, br.non_empty_string("after_section", 64));
          if (!ids.contains(b.after_section)) return fail(br.error("after_section", "is not a section id"));
          if (b.after_section == a.sections.back().id) return fail(br.error("after_section", "a break cannot follow the last section"));
          VIGIL_ASSIGN(b.minutes, assessment::read_u32(br, "minutes", 1, 120));
          VIGIL_TRY(br.finish());
          a.breaks.push_back(std::move(b));
        }
      }
      return r.finish();
    }();
    if (!decoded) return fail(in_file(main_file, std::move(decoded).error()));
  }

  out.scheme.assessment_id = a.id;
  out.scheme.version = a.version;
  std::set<std::string, std::less<>> item_ids;
  for (std::size_t i = 0; i < a.sections.size(); ++i) {
    auto& s = a.sections[i];
    const std::string& file = files[i];
    VIGIL_ASSIGN(auto j, read_json_file(dir, file));
    auto decoded = [&]() -> Status {
      VIGIL_ASSIGN(auto r, ObjectReader::from(j));
      if (s.kind != SectionKind::knowledge) {
        VIGIL_ASSIGN(s.case_material, read_case_material(r, s.kind == SectionKind::scenario));
      }
      VIGIL_ASSIGN(auto items, r.objects("items", 500));
      if (items.empty()) return fail(r.error("items", "needs at least one item"));
      for (auto& ir : items) {
        VIGIL_ASSIGN(auto item, read_item(ir, s.kind, a.level));
        if (!item_ids.insert(item.item.id).second) return fail(ir.error("id", "repeats an item id used earlier in the assessment"));
        if (item.key) out.scheme.keys.push_back(std::move(*item.key));
        if (item.rubric) out.scheme.rubrics.push_back(std::move(*item.rubric));
        s.items.push_back(std::move(item.item));
      }
      return r.finish();
    }();
    if (!decoded) return fail(in_file(file, std::move(decoded).error()));
  }
  return out;
}

}  // namespace vigil::server
