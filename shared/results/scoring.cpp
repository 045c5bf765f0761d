#include "shared/results/scoring.hpp"

#include <algorithm>
#include <cassert>
#include <set>

#include "shared/assessment/json.hpp"

namespace vigil::results {

using nlohmann::json;
using protocol::ObjectReader;

namespace {

constexpr SectionKind k_stages[] = {SectionKind::knowledge, SectionKind::scenario, SectionKind::written};
constexpr std::size_t k_max_id = 128;

// The chosen options of a choice answer, sorted; nullopt when the value is missing or unreadable
// (rule 3: scores 0).
std::optional<std::vector<std::uint32_t>> chosen(const assessment::Item& item, std::string_view value) {
  const json j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  std::vector<std::uint32_t> out;
  auto add = [&](const json& v) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() >= item.options.size()) return false;
    out.push_back(static_cast<std::uint32_t>(v.get<std::uint64_t>()));
    return true;
  };
  if (item.type == assessment::ItemType::single) {
    auto it = j.find("choice");
    if (it == j.end() || !add(*it)) return std::nullopt;
  } else {
    auto it = j.find("choices");
    if (it == j.end() || !it->is_array() || it->empty()) return std::nullopt;
    for (const auto& v : *it) {
      if (!add(v)) return std::nullopt;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<SectionKind> parse_stage(std::string_view s) {
  if (auto k = value_named(assessment::k_section_kind_names, s)) return *k;
  return fail(Errc::invalid_argument, "unknown stage \"" + std::string(s) + "\"");
}

Result<StageStatus> parse_stage_status(std::string_view s) {
  if (auto st = value_named(k_stage_status_names, s)) return *st;
  return fail(Errc::invalid_argument, "unknown stage status \"" + std::string(s) + "\"");
}

json marks_json(const Marks& m) { return json{{"raw", m.raw}, {"max", m.max}, {"percent", m.percent()}}; }

Result<Marks> read_marks(ObjectReader& r) {
  Marks m;
  VIGIL_ASSIGN(m.raw, assessment::read_u32(r, "raw", 0, 1'000'000));
  VIGIL_ASSIGN(m.max, assessment::read_u32(r, "max", 0, 1'000'000));
  VIGIL_ASSIGN(auto percent, r.uint("percent"));
  if (m.raw > m.max) return fail(r.error("raw", "is more than max"));
  if (percent != m.percent()) return fail(r.error("percent", "does not match raw and max"));
  return m;
}

}  // namespace

std::string_view stage_status_name(StageStatus s) noexcept { return name_of(k_stage_status_names, s); }
std::string_view outcome_name(Outcome o) noexcept { return name_of(k_outcome_names, o); }

Result<Outcome> parse_outcome(std::string_view s) {
  if (auto o = value_named(k_outcome_names, s)) return *o;
  return fail(Errc::invalid_argument, "unknown outcome \"" + std::string(s) + "\": expected met, not_met or incomplete");
}

std::uint32_t Thresholds::of(SectionKind k) const noexcept {
  switch (k) {
    case SectionKind::knowledge: return knowledge;
    case SectionKind::scenario: return scenario;
    case SectionKind::written: return written;
  }
  return overall;
}

json to_json(const Thresholds& t) {
  return json{{"v", 1}, {"knowledge", t.knowledge}, {"scenario", t.scenario}, {"written", t.written}, {"overall", t.overall}};
}

Result<Thresholds> parse_thresholds(std::string_view text) {
  return protocol::parse_top<Thresholds>(text, [](ObjectReader& r) -> Result<Thresholds> {
    VIGIL_TRY(r.version(1));
    Thresholds t;
    VIGIL_ASSIGN(t.knowledge, assessment::read_u32(r, "knowledge", 0, 100));
    VIGIL_ASSIGN(t.scenario, assessment::read_u32(r, "scenario", 0, 100));
    VIGIL_ASSIGN(t.written, assessment::read_u32(r, "written", 0, 100));
    VIGIL_ASSIGN(t.overall, assessment::read_u32(r, "overall", 0, 100));
    VIGIL_TRY(r.finish());
    return t;
  });
}

std::vector<Exemption> exemptions_from(const assessment::Accommodations& a) {
  if (!a.knowledge_only) return {};
  const std::string why = "knowledge assessment only: met the scenario and written stages in an earlier trial";
  return {{SectionKind::scenario, why}, {SectionKind::written, why}};
}

bool kss_less(std::string_view a, std::string_view b) noexcept {
  // "P2" < "P10": compare the letter, then the number; anything else falls back to text order.
  auto num = [](std::string_view s) -> std::optional<std::uint32_t> {
    if (s.size() < 2) return std::nullopt;
    std::uint32_t n = 0;
    for (char c : s.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    return n;
  };
  const auto na = num(a), nb = num(b);
  if (na && nb && a[0] == b[0]) return *na < *nb;
  return a < b;
}

const StageScore& ScoreReport::stage(SectionKind k) const {
  for (const auto& s : stages) {
    if (s.stage == k) return s;
  }
  assert(false && "a score report always has the three stages");
  return stages.front();
}

std::vector<std::string> written_areas(const assessment::Assessment& a) {
  std::set<std::string> areas;
  for (const auto& s : a.sections) {
    if (s.kind != SectionKind::written) continue;
    for (const auto& it : s.items) areas.insert(it.kss.begin(), it.kss.end());
  }
  std::vector<std::string> out(areas.begin(), areas.end());
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return kss_less(x, y); });
  return out;
}

Result<ScoreReport> score(const assessment::Assessment& a, const assessment::MarkingScheme& scheme,
                          const Answers& answers, const std::optional<std::vector<WrittenAreaMark>>& written,
                          const Thresholds& thresholds, const std::vector<Exemption>& exemptions) {
  if (scheme.assessment_id != a.id || scheme.version != a.version) {
    return fail(Errc::invalid_argument, "the marking scheme is for " + scheme.assessment_id + " version " +
                                            std::to_string(scheme.version) + ", not " + a.id + " version " +
                                            std::to_string(a.version));
  }
  std::map<std::string_view, const assessment::ItemKey*> keys;
  for (const auto& k : scheme.keys) keys[k.item_id] = &k;

  ScoreReport out;
  out.assessment_id = a.id;
  out.version = a.version;
  out.level = a.level;
  out.overall_threshold = thresholds.overall;

  std::map<SectionKind, const Exemption*> exempt;
  for (const auto& e : exemptions) exempt[e.stage] = &e;
  std::map<std::string, Marks, std::less<>> areas;
  std::map<SectionKind, Marks> stage_marks;
  std::set<SectionKind> present;

  for (const auto& sec : a.sections) {
    present.insert(sec.kind);
    if (sec.kind == SectionKind::written || exempt.contains(sec.kind)) continue;  // (5), (7)
    for (const auto& item : sec.items) {
      auto k = keys.find(item.id);
      if (k == keys.end()) return fail(Errc::invalid_argument, "item " + item.id + " has no answer key in the marking scheme", item.id);
      std::vector<std::uint32_t> key = k->second->correct;
      std::sort(key.begin(), key.end());
      ItemScore is{item.id, sec.kind, false, 0};
      if (auto ans = answers.find(item.id); ans != answers.end()) {
        const auto got = chosen(item, ans->second);
        is.answered = got.has_value();
        is.mark = (got && *got == key) ? 1 : 0;  // (1), (2), (3)
      }
      stage_marks[sec.kind].raw += is.mark;
      stage_marks[sec.kind].max += 1;
      for (const auto& kss : item.kss) {  // (4)
        areas[kss].raw += is.mark;
        areas[kss].max += 1;
      }
      out.items.push_back(std::move(is));
    }
  }

  // Written marks: checked against the areas the written stage covers.
  const bool written_exempt = exempt.contains(SectionKind::written);
  if (written && present.contains(SectionKind::written) && !written_exempt) {
    const auto allowed = written_areas(a);
    std::set<std::string_view> seen;
    for (const auto& m : *written) {
      if (std::find(allowed.begin(), allowed.end(), m.kss) == allowed.end()) {
        return fail(Errc::invalid_argument, "a written mark is for KSS area " + m.kss + ", which the written stage does not assess", m.kss);
      }
      if (m.max == 0 || m.mark > m.max) {
        return fail(Errc::invalid_argument, "the written mark for " + m.kss + " must be between 0 and its maximum, and the maximum above 0", m.kss);
      }
      if (!seen.insert(m.kss).second) return fail(Errc::invalid_argument, "two written marks for " + m.kss, m.kss);
      stage_marks[SectionKind::written].raw += m.mark;
      stage_marks[SectionKind::written].max += m.max;
      areas[m.kss].raw += m.mark;
      areas[m.kss].max += m.max;
    }
    // Every area must be marked before the stage counts as marked.
    if (seen.size() != allowed.size()) {
      for (const auto& area : allowed) {
        if (!seen.contains(area)) return fail(Errc::invalid_argument, "the written stage has no mark for " + area, area);
      }
    }
  }

  bool awaiting = false, all_met = true;
  for (auto k : k_stages) {
    StageScore s;
    s.stage = k;
    s.threshold = thresholds.of(k);
    if (!present.contains(k)) {
      s.status = StageStatus::not_assessed;
    } else if (auto e = exempt.find(k); e != exempt.end()) {
      s.status = StageStatus::exempt;
      s.exempt_reason = e->second->reason;
    } else if (k == SectionKind::written && !written) {
      s.status = StageStatus::awaiting_marking;
      awaiting = true;
    } else {
      s.marks = stage_marks[k];
      s.status = s.marks.reaches(s.threshold) ? StageStatus::met : StageStatus::not_met;
      all_met = all_met && s.status == StageStatus::met;
      out.overall.raw += s.marks.raw;
      out.overall.max += s.marks.max;
    }
    out.stages.push_back(std::move(s));
  }
  for (auto& [kss, m] : areas) out.areas.push_back({kss, m, m.reaches(thresholds.overall)});
  std::sort(out.areas.begin(), out.areas.end(), [](const auto& x, const auto& y) { return kss_less(x.kss, y.kss); });

  if (awaiting) {
    out.outcome = Outcome::incomplete;  // (5)
  } else {
    out.outcome = (all_met && out.overall.max > 0 && out.overall.reaches(thresholds.overall)) ? Outcome::met : Outcome::not_met;  // (8)
  }
  return out;
}

json to_json(const ScoreReport& r, bool with_items) {
  json stages = json::array();
  for (const auto& s : r.stages) {
    json j{{"stage", assessment::section_kind_name(s.stage)},
           {"status", stage_status_name(s.status)},
           {"raw", s.marks.raw},
           {"max", s.marks.max},
           {"percent", s.marks.percent()},
           {"threshold", s.threshold}};
    if (s.status == StageStatus::exempt) j["exempt_reason"] = s.exempt_reason;
    stages.push_back(std::move(j));
  }
  json areas = json::array();
  for (const auto& a : r.areas) {
    areas.push_back({{"kss", a.kss}, {"raw", a.marks.raw}, {"max", a.marks.max}, {"percent", a.marks.percent()},
                     {"at_standard", a.at_standard}});
  }
  json out{{"v", 1},
           {"assessment_id", r.assessment_id},
           {"version", r.version},
           {"level", assessment::level_name(r.level)},
           {"outcome", outcome_name(r.outcome)},
           {"overall", marks_json(r.overall)},
           {"overall_threshold", r.overall_threshold},
           {"stages", std::move(stages)},
           {"areas", std::move(areas)}};
  if (with_items) {
    json items = json::array();
    for (const auto& i : r.items) {
      items.push_back({{"item_id", i.item_id}, {"stage", assessment::section_kind_name(i.stage)},
                       {"answered", i.answered}, {"mark", i.mark}});
    }
    out["items"] = std::move(items);
  }
  return out;
}

Result<ScoreReport> decode_score_report(ObjectReader& r) {
  VIGIL_TRY(r.version(1));
  ScoreReport out;
  VIGIL_ASSIGN(out.assessment_id, r.non_empty_string("assessment_id", k_max_id));
  VIGIL_ASSIGN(out.version, assessment::read_u32(r, "version", 0, 1'000'000));
  VIGIL_ASSIGN(auto level, r.string("level", 32));
  VIGIL_ASSIGN(out.level, assessment::parse_level(level));
  VIGIL_ASSIGN(auto outcome, r.string("outcome", 32));
  VIGIL_ASSIGN(out.outcome, parse_outcome(outcome));
  VIGIL_ASSIGN(auto overall, r.object("overall"));
  VIGIL_ASSIGN(out.overall, read_marks(overall));
  VIGIL_TRY(overall.finish());
  VIGIL_ASSIGN(out.overall_threshold, assessment::read_u32(r, "overall_threshold", 0, 100));
  VIGIL_ASSIGN(auto stages, r.objects("stages", 3));
  for (auto& s : stages) {
    StageScore st;
    VIGIL_ASSIGN(auto name, s.string("stage", 32));
    VIGIL_ASSIGN(st.stage, parse_stage(name));
    VIGIL_ASSIGN(auto status, s.string("status", 32));
    VIGIL_ASSIGN(st.status, parse_stage_status(status));
    VIGIL_ASSIGN(st.marks, read_marks(s));
    VIGIL_ASSIGN(st.threshold, assessment::read_u32(s, "threshold", 0, 100));
    VIGIL_ASSIGN(auto reason, s.optional_string("exempt_reason", 1000));
    if (reason) st.exempt_reason = *reason;
    VIGIL_TRY(s.finish());
    out.stages.push_back(std::move(st));
  }
  if (out.stages.size() != 3) return fail(r.error("stages", "expected the three stages"));
  VIGIL_ASSIGN(auto areas, r.objects("areas", 32));
  for (auto& a : areas) {
    AreaScore as;
    VIGIL_ASSIGN(as.kss, a.non_empty_string("kss", 8));
    VIGIL_ASSIGN(as.marks, read_marks(a));
    VIGIL_ASSIGN(as.at_standard, a.boolean("at_standard"));
    VIGIL_TRY(a.finish());
    out.areas.push_back(std::move(as));
  }
  if (r.value().contains("items")) {
    VIGIL_ASSIGN(auto list, r.objects("items", 10'000));
    for (auto& i : list) {
      ItemScore is;
      VIGIL_ASSIGN(is.item_id, i.non_empty_string("item_id", k_max_id));
      VIGIL_ASSIGN(auto name, i.string("stage", 32));
      VIGIL_ASSIGN(is.stage, parse_stage(name));
      VIGIL_ASSIGN(is.answered, i.boolean("answered"));
      VIGIL_ASSIGN(is.mark, assessment::read_u32(i, "mark", 0, 1));
      VIGIL_TRY(i.finish());
      out.items.push_back(std::move(is));
    }
  }
  VIGIL_TRY(r.finish());
  return out;
}

std::string next_steps(Outcome o) {
  switch (o) {
    case Outcome::met:
      return "You have met the standard. Keep your certificate: anyone can check it offline with "
             "`vigil-client verify-certificate`. Re-accreditation is due before the expiry date on it.";
    case Outcome::not_met:
      return "You have not met the standard this time. Your feedback shows each KSS area; talk it through "
             "with your endorsing manager, who decides when to endorse you again for a new attempt.";
    case Outcome::incomplete:
      return "Your result is not complete yet: your written answers are still being marked.";
  }
  return {};
}

}  // namespace vigil::results
