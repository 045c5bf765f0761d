// Marking written answers (docs/RESULTS.md "Marking written answers", docs/STAFF.md "Assessors").
//
// Invariants:
//  (1) Blind marking: nothing an assessor receives names or points to the candidate: no
//      candidate, council, sitting or device id, no name, no dates, no equalities data. A script
//      is known to assessors only by its random script_id. (The answer text itself is the
//      candidate's; the page asks candidates not to sign it.)
//  (2) A marking, its audit row and the script's new state are one transaction, and the script's
//      state is re-read inside it, so two assessors racing for one round cannot both win.
//  (3) A second marker never sees the first marks; only the third marker, whose marks are final,
//      sees both earlier markings.
//  (4) Marks become the sitting's written marks only once final (set_written_marks), and the
//      sitting is then scored (score_sitting). A released result refuses every further marking.
//  (5) Scripts are created lazily, when the queue or the progress is read: one per submitted
//      sitting, in state "none" when there is nothing to mark (no written stage, exempt, or
//      already marked with `vigil-server results mark-written`). A final script whose scoring
//      failed after its marking was stored is scored again at the same points.
#include "server/staff/staff_marking.hpp"

#include <map>
#include <set>
#include <utility>

#include "server/storage/marking_repository.hpp"
#include "server/results/results.hpp"
#include "shared/core/log.hpp"
#include "shared/assessment/json.hpp"

namespace vigil::server::staff_detail {

namespace {

constexpr std::int64_t k_sync_batch = 1000;

struct Deps {
  const StaffResultsDeps* r = nullptr;
  MarkingRepository* m = nullptr;
};

Deps need_marking(const Ctx& c) { return Deps{&c.results, &c.results.marking}; }

std::int64_t round_of(std::string_view state) {
  if (state == k_script_first) return 1;
  if (state == k_script_second) return 2;
  if (state == k_script_third) return 3;
  return 0;
}

// One area of one marking as an assessor entered it.
struct AreaMark {
  std::string kss;
  std::uint32_t mark = 0;
  std::string comment;
};

std::vector<results::WrittenAreaMark> written_of(const std::vector<AreaMark>& marks) {
  std::vector<results::WrittenAreaMark> out;
  for (const auto& m : marks) out.push_back({m.kss, m.mark, k_mark_max});
  return out;
}

json marks_json(const std::vector<AreaMark>& marks) {
  json out = json::array();
  for (const auto& m : marks) out.push_back({{"kss", m.kss}, {"mark", m.mark}, {"max", k_mark_max}, {"comment", m.comment}});
  return out;
}

json final_json(const std::vector<results::WrittenAreaMark>& marks) {
  json out = json::array();
  for (const auto& m : marks) out.push_back({{"kss", m.kss}, {"mark", m.mark}, {"max", m.max}});
  return out;
}

// Stored JSON (written by this file) back to marks; unreadable storage is an integrity error.
Result<std::vector<AreaMark>> stored_marks(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array()) return fail(Errc::integrity, "a stored marking is unreadable");
  std::vector<AreaMark> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("kss") || !e.contains("mark") || !e["kss"].is_string() ||
        !e["mark"].is_number_unsigned()) {
      return fail(Errc::integrity, "a stored marking is unreadable");
    }
    out.push_back({e["kss"].get<std::string>(), e["mark"].get<std::uint32_t>(),
                   e.contains("comment") && e["comment"].is_string() ? e["comment"].get<std::string>() : std::string()});
  }
  return out;
}

Result<std::vector<results::WrittenAreaMark>> stored_final(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array()) return fail(Errc::integrity, "the stored final marks of a script are unreadable");
  std::vector<results::WrittenAreaMark> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.value("kss", json()).is_string() || !e.value("mark", json()).is_number_unsigned() ||
        !e.value("max", json()).is_number_unsigned()) {
      return fail(Errc::integrity, "the stored final marks of a script are unreadable");
    }
    out.push_back({e["kss"].get<std::string>(), e["mark"].get<std::uint32_t>(), e["max"].get<std::uint32_t>()});
  }
  return out;
}

// What marking a script needs from its sitting: the decrypted assessment and the marking scheme.
struct ScriptContext {
  SittingRow sitting;
  assessment::Assessment a;
  assessment::MarkingScheme scheme;
  std::vector<std::string> areas;   // the written stage's KSS areas, in KSS order
};

Result<ScriptContext> context_of(const Ctx& c, const Deps& d, const ScriptRow& s) {
  ScriptContext out;
  VIGIL_ASSIGN(auto sitting, c.repo.sitting(s.sitting_id));
  if (!sitting) return fail(Errc::integrity, "a script's sitting is missing");
  out.sitting = std::move(*sitting);
  VIGIL_ASSIGN(out.a, load_assessment(c.repo, d.r->keys, out.sitting.assessment_id, out.sitting.version));
  VIGIL_ASSIGN(auto scheme_text, c.repo.marking_scheme(out.sitting.assessment_id, out.sitting.version));
  if (!scheme_text) return fail(Errc::not_found, "the package of this script has no marking scheme");
  VIGIL_ASSIGN(out.scheme, assessment::parse_marking_scheme(*scheme_text));
  out.areas = results::written_areas(out.a);
  return out;
}

std::size_t word_count(std::string_view text) {
  std::size_t n = 0;
  bool in_word = false;
  for (char ch : text) {
    const bool space = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// (4) Stores the final marks as the sitting's written marks and scores the sitting.
Status finalise(const Ctx& c, const Deps& d, const ScriptRow& s, const std::vector<results::WrittenAreaMark>& marks) {
  VIGIL_TRY(set_written_marks(c.repo, d.r->results, d.r->keys, s.sitting_id, marks, c.clock));
  VIGIL_ASSIGN(auto report, score_sitting(c.repo, d.r->results, d.r->keys, s.sitting_id, c.clock));
  return c.repo.transaction([&]() -> Status {
    VIGIL_TRY(d.m->set_script_scored(s.script_id, c.now()));
    return c.audit("marking.scored", "script/" + s.script_id, "outcome " + std::string(results::outcome_name(report.outcome)));
  });
}

// (5) Creates the scripts of newly submitted sittings and retries scoring of final scripts.
Status sync_scripts(const Ctx& c, const Deps& d) {
  VIGIL_ASSIGN(auto pending, d.m->submitted_sittings_without_script(k_sync_batch));
  std::map<std::pair<std::string, std::uint32_t>, bool> has_written;
  std::vector<ScriptRow> fresh;
  for (const auto& s : pending) {
    VIGIL_ASSIGN(bool submitted, d.r->results.submitted(s.sitting_id));
    if (!submitted) continue;
    const auto key = std::make_pair(s.assessment_id, s.version);
    if (!has_written.contains(key)) {
      // One unreadable package must not stop marking for every other window: its sittings are
      // logged and left for the next read (the operator fixes the package or its keys).
      auto a = load_assessment(c.repo, d.r->keys, s.assessment_id, s.version);
      if (!a) {
        if (c.config.log) {
          c.config.log(log::line("marking_package_unreadable", {{"assessment", s.assessment_id}, {"code", errc_name(a.error().code)}}));
        }
        continue;
      }
      has_written[key] = !results::written_areas(*a).empty();
    }
    std::string state(k_script_first);
    if (!has_written[key]) {
      state = k_script_none;
    } else {
      VIGIL_ASSIGN(auto acc, c.repo.accommodations(s.candidate_id));
      VIGIL_ASSIGN(auto already, d.r->results.written_marks(s.sitting_id));
      if (acc.knowledge_only || already) state = k_script_none;
    }
    VIGIL_ASSIGN(auto id, random_token(18));
    fresh.push_back({std::move(id), s.sitting_id, s.assessment_id, std::move(state), {}, c.now(), std::nullopt});
  }
  if (!fresh.empty()) {
    VIGIL_TRY(c.repo.transaction([&]() -> Status {
      for (const auto& s : fresh) {
        VIGIL_ASSIGN(auto existing, d.m->script_of_sitting(s.sitting_id));  // another request made it meanwhile
        if (!existing) VIGIL_TRY(d.m->add_script(s));
      }
      return {};
    }));
  }
  VIGIL_ASSIGN(auto unscored, d.m->final_unscored(100));
  for (const auto& s : unscored) {
    VIGIL_ASSIGN(auto marks, stored_final(s.final_marks));
    auto done = finalise(c, d, s, marks);
    if (!done && c.config.log) {
      c.config.log(log::line("marking_score_failed", {{"script", s.script_id}, {"code", errc_name(done.error().code)}}));
    }
  }
  return {};
}

// (4) A released result never changes.
Status refuse_if_released(const Deps& d, const std::string& sitting_id) {
  VIGIL_ASSIGN(auto result, d.r->results.result(sitting_id));
  if (result && result->released_wall_ms) {
    return fail(Errc::conflict, "the result of this script has been released and can no longer change");
  }
  return {};
}

// A script this assessor may mark now: awaiting a marking, not marked by them, result unreleased.
Result<ScriptRow> markable_script(const Ctx& c, const Deps& d) {
  const auto& id = c.params.at("script");
  VIGIL_ASSIGN(auto s, d.m->script(id));
  if (!s || s->state == k_script_none) return fail(Errc::not_found, "there is no script " + id + " to mark");
  if (s->state == k_script_final) return fail(Errc::conflict, "the marks of this script are final: nothing more to mark");
  VIGIL_TRY(refuse_if_released(d, s->sitting_id));
  VIGIL_ASSIGN(auto earlier, d.m->markings(s->script_id));
  for (const auto& m : earlier) {
    if (m.assessor_id == c.who.user_id) {
      return fail(Errc::conflict, "you have already marked this script: a different assessor must make its next marking");
    }
  }
  return *s;
}

Error bad(std::string field, std::string message) { return Error(Errc::invalid_argument, std::move(message), std::move(field)); }

// The submitted marks: every area of the written stage exactly once, whole marks on the scale,
// a comment per area. Errors name the field ("marks[1].mark").
Result<std::vector<AreaMark>> parse_marks(ObjectReader& in, const std::vector<std::string>& areas) {
  VIGIL_ASSIGN(auto marks, in.objects("marks", areas.size() + 8));
  std::map<std::string, AreaMark> by_area;
  const std::set<std::string> allowed(areas.begin(), areas.end());
  for (auto& e : marks) {
    const std::string& at = e.path();
    VIGIL_ASSIGN(const auto area, e.string("kss", 16));
    if (!allowed.contains(area)) return fail(bad(at + ".kss", at + ".kss: " + area + " is not an area this script is marked on"));
    if (by_area.contains(area)) return fail(bad(at + ".kss", at + ".kss: " + area + " is marked twice; give each area once"));
    const std::string range = "a whole number from 0 to " + std::to_string(k_mark_max);
    VIGIL_ASSIGN(const auto value, e.integer("mark"));
    if (value < 0 || value > std::int64_t{k_mark_max}) return fail(bad(at + ".mark", at + ".mark must be " + range));
    VIGIL_ASSIGN(const auto comment, e.string("comment", k_comment_max));
    if (trim(comment).empty()) return fail(bad(at + ".comment", at + ".comment is required: a short reason for the mark"));
    VIGIL_TRY(e.finish());
    by_area[area] = {area, static_cast<std::uint32_t>(value), trim(comment)};
  }
  std::vector<AreaMark> out;
  for (const auto& area : areas) {
    const auto found = by_area.find(area);
    if (found == by_area.end()) return fail(bad("marks", "marks: no mark for " + area + "; every area needs one"));
    out.push_back(found->second);
  }
  return out;
}

}  // namespace

Result<HttpResponse> get_marking_queue(Ctx& c) {
  const auto d = need_marking(c);
  VIGIL_TRY(sync_scripts(c, d));
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  VIGIL_ASSIGN(auto rows, d.m->markable_by(c.who.user_id, int_param(q, "limit", 100, 1, 500)));
  json scripts = json::array();
  for (const auto& s : rows) scripts.push_back({{"script_id", s.script_id}, {"marking", s.state}, {"round", round_of(s.state)}});
  return json_response(200, json{{"v", 1}, {"scale", {{"min", 0}, {"max", k_mark_max}}}, {"scripts", scripts}});
}

Result<HttpResponse> get_marking_script(Ctx& c) {
  const auto d = need_marking(c);
  VIGIL_ASSIGN(auto s, markable_script(c, d));
  VIGIL_ASSIGN(auto ctx, context_of(c, d, s));
  VIGIL_ASSIGN(auto answers, d.r->results.answers(s.sitting_id));
  json tasks = json::array();
  for (const auto& sec : ctx.a.sections) {
    if (sec.kind != assessment::SectionKind::written) continue;
    json material = json::array();
    for (const auto& doc : sec.case_material) material.push_back({{"title", doc.title}, {"paragraphs", doc.paragraphs}});
    for (const auto& item : sec.items) {
      std::string text;
      if (const auto a = answers.find(item.id); a != answers.end()) {
        const auto v = json::parse(a->second, nullptr, false);
        if (v.is_object() && v.contains("text") && v["text"].is_string()) text = v["text"].get<std::string>();
      }
      json task{{"item_id", item.id}, {"section", sec.title},       {"case_material", material}, {"stem", item.stem},
                {"kss", item.kss},    {"answer", text}, {"word_count", word_count(text)}};
      if (item.words) task["words"] = {{"min", item.words->min}, {"max", item.words->max}};
      tasks.push_back(std::move(task));
    }
  }
  json areas = json::array();
  for (const auto& area : ctx.areas) {
    json descriptors = json::array();
    for (const auto& r : ctx.scheme.rubrics) {
      for (const auto& ra : r.areas) {
        if (ra.kss != area) continue;
        for (const auto& text : ra.descriptors) descriptors.push_back(text);
      }
    }
    areas.push_back({{"kss", area}, {"descriptors", descriptors}});
  }
  const auto round = round_of(s.state);
  json script{{"script_id", s.script_id}, {"marking", s.state}, {"round", round},
              {"scale", {{"min", 0}, {"max", k_mark_max}}}, {"tasks", tasks}, {"areas", areas}};
  // (3) Only the third marker sees the earlier markings (without who made them).
  if (round == 3) {
    VIGIL_ASSIGN(auto earlier, d.m->markings(s.script_id));
    json list = json::array();
    for (const auto& m : earlier) {
      VIGIL_ASSIGN(auto marks, stored_marks(m.marks_json));
      list.push_back({{"round", m.round}, {"marks", marks_json(marks)}});
    }
    script["earlier_markings"] = std::move(list);
  }
  VIGIL_TRY(c.audit("marking.view", "script/" + s.script_id, "round " + std::to_string(round)));
  return json_response(200, json{{"v", 1}, {"script", script}});
}

Result<HttpResponse> post_marking_marks(Ctx& c) {
  const auto d = need_marking(c);
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto s, markable_script(c, d));
  const auto round = round_of(s.state);
  const auto said = in.integer("round");
  if (!said || *said < 1 || *said > 3) {
    return fail(bad("round", "round is required: the marking you are making (1, 2 or 3), as the script showed it"));
  }
  if (*said != round) {
    return fail(Errc::conflict, "this script has moved on to marking " + std::to_string(round) +
                                    " since you opened it: open it again to see what it needs now");
  }
  VIGIL_ASSIGN(auto ctx, context_of(c, d, s));
  VIGIL_ASSIGN(const auto marks, parse_marks(in, ctx.areas));
  VIGIL_TRY(in.finish());
  const auto written = written_of(marks);

  // The rules of shared/results/analysis.hpp decide the next state.
  VIGIL_ASSIGN(auto thresholds, thresholds_for(d.r->results, s.assessment_id));
  VIGIL_ASSIGN(auto earlier, d.m->markings(s.script_id));
  std::string next;
  std::vector<results::WrittenAreaMark> final_marks;
  if (round == 1) {
    if (results::needs_second_marking(written, thresholds.written, c.config.second_marking)) {
      next = k_script_second;
    } else {
      next = k_script_final;
      final_marks = written;
    }
  } else if (round == 2) {
    if (earlier.empty() || earlier.front().round != 1) return fail(Errc::integrity, "the first marking of this script is missing");
    VIGIL_ASSIGN(auto first, stored_marks(earlier.front().marks_json));
    const auto first_written = written_of(first);
    VIGIL_ASSIGN(bool disagree, results::markers_disagree(first_written, written, thresholds.written, c.config.second_marking));
    if (disagree) {
      next = k_script_third;
    } else {
      next = k_script_final;
      VIGIL_ASSIGN(final_marks, results::agreed_marks(first_written, written));
    }
  } else {
    next = k_script_final;
    final_marks = written;
  }
  if (!final_marks.empty()) {
    // The scoring rules check the final marks before anything is stored (set_written_marks
    // checks them again when it stores them).
    VIGIL_TRY(results::score(ctx.a, ctx.scheme, {}, final_marks, results::Thresholds{}, {}));
  }

  // (2) One transaction: the marking, the script's state and the audit row.
  std::string detail = "marking " + std::to_string(round) + ":";
  for (const auto& m : marks) detail += " " + m.kss + "=" + std::to_string(m.mark);
  detail += " -> " + next;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto now_script, d.m->script(s.script_id));
    if (!now_script || now_script->state != s.state) {
      return fail(Errc::conflict, "another assessor marked this script at the same time: open it again to see what it needs now");
    }
    VIGIL_TRY(refuse_if_released(d, s.sitting_id));   // (4) released meanwhile?
    VIGIL_TRY(d.m->add_marking({s.script_id, round, c.who.user_id, marks_json(marks).dump(), c.now()}));
    VIGIL_TRY(d.m->set_script_state(s.script_id, next, final_marks.empty() ? std::string() : final_json(final_marks).dump()));
    return c.audit("marking.submit", "script/" + s.script_id, detail);
  }));
  json out{{"v", 1}, {"script_id", s.script_id}, {"round", round}, {"state", next}};
  if (next == k_script_final) {
    s.state = next;
    // (4) The marking is stored; if scoring fails now it is retried when the queue is next read.
    VIGIL_TRY(finalise(c, d, s, final_marks));
  }
  return json_response(200, out);
}

Result<HttpResponse> get_marking_progress(Ctx& c) {
  const auto d = need_marking(c);
  VIGIL_TRY(sync_scripts(c, d));
  VIGIL_ASSIGN(auto rows, d.m->progress());
  json windows = json::array();
  for (const auto& r : rows) {
    windows.push_back({{"assessment_id", r.assessment_id},
                       {"awaiting_first", r.awaiting_first},
                       {"awaiting_second", r.awaiting_second},
                       {"awaiting_third", r.awaiting_third},
                       {"final", r.final}});
  }
  return json_response(200, json{{"v", 1}, {"windows", windows}});
}

}  // namespace vigil::server::staff_detail
