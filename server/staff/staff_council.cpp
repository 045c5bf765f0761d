#include "server/staff/staff_council.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/staff/staff_detail.hpp"
#include "shared/core/log.hpp"
#include "shared/core/utf8.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"

namespace vigil::server::staff_detail {

namespace {

// ---- council ---

json status_row_json(const CandidateStatusRow& r) {
  json j{{"candidate_id", r.candidate_id}, {"council_id", r.council_id}, {"full_name", r.full_name},
         {"work_email", r.work_email},     {"employee_ref", r.employee_ref}, {"level", r.level},
         {"status", r.status}};
  if (r.last_seen_wall_ms) j["last_seen_wall_ms"] = *r.last_seen_wall_ms;
  if (!r.outcome.empty()) j["outcome"] = r.outcome;
  j["reendorsed"] = r.reendorsed;
  j["attempt"] = r.attempt;
  // A void or withheld result: the deciding proctors' public reason (never their notes).
  if (r.status == "void_after_review" || r.status == "withheld_identity") j["public_reason"] = r.public_reason;
  // The current sitting's appeal (schema 14): open, upheld or overturned.
  if (!r.appeal.empty()) j["appeal"] = r.appeal;
  return j;
}

const std::set<std::string>& status_names() {
  static const std::set<std::string> k{"endorsed", "enrolled", "package_downloaded", "in_progress", "submitted",
                                       "received", "under_review", "result_released", "void_after_review",
                                       "withheld_identity", "withdrawn"};
  return k;
}

// The states of a candidate who has completed the assessment (the take-up's "Completed").
bool completed(std::string_view status) {
  return status == "received" || status == "under_review" || status == "result_released" ||
         status == "void_after_review" || status == "withheld_identity";
}

Result<StatusQuery> status_query(const Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  StatusQuery sq;
  sq.council_id = c.params.at("council");
  if (auto it = q.find("status"); it != q.end() && !it->second.empty()) {
    if (!status_names().count(it->second)) return fail(Error(Errc::invalid_argument, "status is not a known state", "status"));
    sq.status = it->second;
  }
  if (auto it = q.find("q"); it != q.end()) sq.search = it->second.substr(0, 200);
  sq.offset = int_param(q, "offset", 0, 0, INT64_MAX);
  sq.limit = int_param(q, "limit", 50, 1, 500);
  return sq;
}

}  // namespace

Result<HttpResponse> get_candidates(Ctx& c) {
  VIGIL_ASSIGN(auto sq, status_query(c));
  VIGIL_ASSIGN(auto page, c.staff.status(sq));
  json rows = json::array();
  for (const auto& r : page.rows) rows.push_back(status_row_json(r));
  return json_response(200, json{{"v", 1}, {"total", page.total}, {"offset", sq.offset}, {"candidates", rows}});
}

Result<HttpResponse> get_candidates_csv(Ctx& c) {
  VIGIL_ASSIGN(auto sq, status_query(c));
  sq.offset = 0;
  sq.limit = 100'000;
  VIGIL_ASSIGN(auto page, c.staff.status(sq));
  CsvWriter csv(CsvWriter::Quote::always);
  csv.row({"candidate_id", "name", "work_email", "employee_ref", "level", "status", "last_seen_utc_ms", "outcome",
           "public_reason", "appeal"});
  for (const auto& r : page.rows) {
    csv.row({r.candidate_id, r.full_name, r.work_email, r.employee_ref, r.level, r.status,
             r.last_seen_wall_ms ? std::to_string(*r.last_seen_wall_ms) : "", r.outcome, r.public_reason, r.appeal});
  }
  VIGIL_TRY(c.audit("candidates.export", "council/" + sq.council_id, std::to_string(page.rows.size()) + " rows"));
  return csv_download(csv.take(), "vigil-status-" + sq.council_id + ".csv");
}

Result<HttpResponse> get_summary(Ctx& c) {
  VIGIL_ASSIGN(auto s, c.staff.status_summary(c.params.at("council")));
  json by = json::object();
  for (const auto& name : status_names()) by[name] = 0;
  std::int64_t endorsed = 0, completed_count = 0;
  for (const auto& [name, n] : s.by_status) {
    by[name] = n;
    if (name != "withdrawn") endorsed += n;
    if (completed(name)) completed_count += n;
  }
  json out{{"v", 1}, {"council_id", c.params.at("council")}, {"by_status", by}, {"endorsed", endorsed},
           {"completed", completed_count}, {"met", s.met}};
  out["eligible_headcount"] = s.eligible_headcount >= 0 ? json(s.eligible_headcount) : json();
  return json_response(200, out);
}

Result<HttpResponse> put_headcount(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const std::int64_t eligible, in.integer("eligible"));
  VIGIL_TRY(in.finish());
  if (eligible < 0 || eligible > 1'000'000) {
    return fail(Error(Errc::invalid_argument, "eligible must be a whole number from 0 to 1,000,000", "eligible"));
  }
  const std::int64_t n = eligible;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.set_headcount(c.params.at("council"), n, c.now()));
    return c.audit("council.headcount", "council/" + c.params.at("council"), std::to_string(n));
  }));
  return json_response(200, json{{"v", 1}, {"eligible_headcount", n}});
}

namespace {

// One endorsement's fields, checked; problems are appended (field, message).
struct RowProblem {
  std::size_t line;
  std::string field;
  std::string message;
};

EndorsementRow check_endorsement(std::size_t line, const std::map<std::string, std::string>& f, const std::string& council,
                                 std::vector<RowProblem>& problems) {
  EndorsementRow e;
  auto get = [&](const char* k) { auto it = f.find(k); return it == f.end() ? std::string() : trim(it->second); };
  auto bad = [&](const char* field, std::string msg) { problems.push_back({line, field, std::move(msg)}); };
  e.candidate.council_id = council;
  e.candidate.full_name = get("name");
  e.candidate.work_email = lower(get("work_email"));
  e.employee_ref = get("employee_ref");
  e.candidate.level = lower(get("level"));
  e.exemptions = lower(get("exemptions"));
  if (e.exemptions == "none") e.exemptions.clear();
  for (const auto& [k, v] : f) {
    if (has_control(v)) bad(k.c_str(), "contains a control character (such as a line break); remove it");
  }
  if (e.candidate.full_name.empty() || e.candidate.full_name.size() > 200) bad("name", "name is required (up to 200 characters)");
  if (!plausible_email(e.candidate.work_email)) bad("work_email", "work_email is not an email address");
  if (!safe_id(e.employee_ref, 64)) {
    bad("employee_ref", "employee_ref is required: letters, digits and - _ . / only, up to 64 characters");
  }
  if (e.candidate.level != "practitioner" && e.candidate.level != "practice_supervisor") {
    bad("level", "level must be practitioner or practice_supervisor");
  }
  if (!e.exemptions.empty() && e.exemptions != "knowledge_only") {
    bad("exemptions", "exemptions must be empty, none or knowledge_only (exempt from the scenario and written sections)");
  }
  const auto time = parse_small_int(get("extra_time_percent"), 0, 100);
  if (!time) bad("extra_time_percent", "extra_time_percent must be a whole number from 0 to 100");
  e.extra_time_percent = time.value_or(0);
  const auto brk = parse_small_int(get("extra_break_minutes"), 0, 120);
  if (!brk) bad("extra_break_minutes", "extra_break_minutes must be a whole number from 0 to 120");
  e.extra_break_minutes = brk.value_or(0);
  return e;
}

// Checks against what the council already holds and what came earlier in the same upload.
Status check_duplicates(Ctx& c, std::size_t line, const EndorsementRow& e, std::set<std::string>& refs,
                        std::set<std::string>& emails, std::vector<RowProblem>& problems) {
  if (!e.employee_ref.empty()) {
    VIGIL_ASSIGN(bool taken, c.staff.employee_ref_taken(e.candidate.council_id, e.employee_ref));
    if (taken) problems.push_back({line, "employee_ref", "employee_ref " + e.employee_ref + " is already endorsed by this council"});
    else if (!refs.insert(e.employee_ref).second) problems.push_back({line, "employee_ref", "employee_ref " + e.employee_ref + " appears twice in this file"});
  }
  if (!e.candidate.work_email.empty()) {
    VIGIL_ASSIGN(bool taken, c.staff.work_email_taken(e.candidate.council_id, e.candidate.work_email));
    if (taken) problems.push_back({line, "work_email", "work_email " + e.candidate.work_email + " is already endorsed by this council"});
    else if (!emails.insert(e.candidate.work_email).second) problems.push_back({line, "work_email", "work_email " + e.candidate.work_email + " appears twice in this file"});
  }
  return {};
}

Result<std::string> new_candidate_id(StaffRepository& staff) {
  for (int i = 0; i < 10; ++i) {
    VIGIL_ASSIGN(auto b, crypto::random_bytes(8));
    std::string id = "cand-" + to_hex(b);
    VIGIL_ASSIGN(bool taken, staff.candidate_id_taken(id));
    if (!taken) return id;
  }
  return fail(Errc::internal, "could not find a free candidate id");
}

HttpResponse invalid_rows(const std::vector<RowProblem>& problems) {
  json rows = json::array();
  for (const auto& p : problems) rows.push_back({{"line", p.line}, {"field", p.field}, {"message", p.message}});
  return error_response(422, "invalid_rows",
                       std::to_string(problems.size()) + " problem(s) found; nothing was imported. Correct the rows listed and upload the whole file again.",
                       json{{"problems", rows}});
}

Result<HttpResponse> store_endorsements(Ctx& c, std::vector<EndorsementRow>& rows, const char* action) {
  json ids = json::array();
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    for (auto& e : rows) {
      VIGIL_ASSIGN(e.candidate.candidate_id, new_candidate_id(c.staff));
      VIGIL_TRY(c.staff.add_endorsement(e, c.who.user_id, c.now()));
      ids.push_back(e.candidate.candidate_id);
    }
    return c.audit(action, "council/" + c.params.at("council"), std::to_string(rows.size()) + " candidate(s)");
  }));
  return json_response(201, json{{"v", 1}, {"imported", rows.size()}, {"candidate_ids", ids}});
}

}  // namespace

Result<HttpResponse> post_candidate(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  std::map<std::string, std::string> fields;
  for (const char* k : {"name", "work_email", "employee_ref", "level", "exemptions"}) {
    VIGIL_ASSIGN(auto v, in.optional_string(k, 1000));
    if (v) fields[k] = std::move(*v);
  }
  // The page sends these as numbers; the CSV import's text form is accepted too.
  for (const char* k : {"extra_time_percent", "extra_break_minutes"}) {
    const auto it = body.find(k);
    if (it != body.end() && it->is_string()) {
      VIGIL_ASSIGN(auto v, in.optional_string(k, 20));
      fields[k] = std::move(*v);
    } else {
      VIGIL_ASSIGN(auto v, in.optional_integer(k));
      if (v) fields[k] = std::to_string(*v);
    }
  }
  VIGIL_TRY(in.finish());
  std::vector<RowProblem> problems;
  std::vector<EndorsementRow> rows{check_endorsement(1, fields, c.params.at("council"), problems)};
  std::set<std::string> refs, emails;
  VIGIL_TRY(check_duplicates(c, 1, rows[0], refs, emails, problems));
  if (!problems.empty()) return invalid_rows(problems);
  return store_endorsements(c, rows, "candidates.add");
}

Result<HttpResponse> post_import(Ctx& c) {
  if (c.req.body.size() > c.config.csv_limit_bytes) {
    return error_response(413, "too_large", "the file is larger than " + std::to_string(c.config.csv_limit_bytes / (1024 * 1024)) +
                                                " MB; split it into smaller files. Nothing was imported.");
  }
  std::string_view text = c.req.body;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // Excel's BOM
  if (const auto bad_at = first_invalid_utf8(text)) {
    const auto line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad_at), '\n'));
    return error_response(422, "bad_encoding",
                         "the file is not UTF-8 text (first problem on line " + std::to_string(line) +
                             "); save it as \"CSV UTF-8\" and upload it again. Nothing was imported.");
  }
  auto parsed = parse_csv(text);
  if (!parsed) return error_response(422, "bad_csv", parsed.error().message + " Nothing was imported.");
  auto& table = *parsed;
  if (table.empty()) return error_response(422, "empty", "the file is empty; nothing was imported.");
  if (table.size() - 1 > c.config.csv_limit_rows) {
    return error_response(413, "too_many_rows", "the file has more than " + std::to_string(c.config.csv_limit_rows) +
                                                   " rows; split it into smaller files. Nothing was imported.");
  }
  static const std::array<const char*, 7> k_known{"name", "work_email", "employee_ref", "level", "exemptions",
                                                  "extra_time_percent", "extra_break_minutes"};
  static const std::array<const char*, 4> k_required{"name", "work_email", "employee_ref", "level"};
  std::vector<std::string> header;
  for (const auto& h : table[0]) header.push_back(lower(trim(h)));
  std::vector<std::string> missing;
  for (const char* r : k_required) {
    if (std::find(header.begin(), header.end(), r) == header.end()) missing.push_back(r);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return error_response(422, "missing_columns", "the first line must name the columns; missing: " + list +
                                                     ". Nothing was imported.", json{{"missing", missing}});
  }
  std::vector<RowProblem> problems;
  for (const auto& h : header) {
    if (std::find_if(k_known.begin(), k_known.end(), [&](const char* k) { return h == k; }) == k_known.end()) {
      problems.push_back({1, h, "unknown column \"" + h + "\""});
    }
  }
  std::vector<EndorsementRow> rows;
  std::set<std::string> refs, emails;
  for (std::size_t i = 1; i < table.size(); ++i) {
    const auto& cells = table[i];
    if (cells.size() == 1 && trim(cells[0]).empty()) continue;  // blank line
    const std::size_t line = i + 1;
    if (cells.size() != header.size()) {
      problems.push_back({line, "", "has " + std::to_string(cells.size()) + " cells; the header has " + std::to_string(header.size())});
      continue;
    }
    std::map<std::string, std::string> fields;
    for (std::size_t k = 0; k < header.size(); ++k) fields[header[k]] = cells[k];
    rows.push_back(check_endorsement(line, fields, c.params.at("council"), problems));
    VIGIL_TRY(check_duplicates(c, line, rows.back(), refs, emails, problems));
  }
  if (!problems.empty()) return invalid_rows(problems);
  if (rows.empty()) return error_response(422, "empty", "the file has no candidates under its header; nothing was imported.");
  return store_endorsements(c, rows, "candidates.import");
}

namespace {

Result<EndorsementRow> council_candidate(Ctx& c) {
  VIGIL_ASSIGN(auto e, c.staff.endorsement(c.params.at("candidate")));
  // A candidate of another council is "not found": the path's council is what was authorised.
  if (!e || e->candidate.council_id != c.params.at("council")) return fail(Errc::not_found, "no such candidate in this council");
  return std::move(*e);
}

}  // namespace

Result<HttpResponse> post_withdraw(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto reason, str_field(in, "reason", 500));
  VIGIL_TRY(in.finish());
  VIGIL_ASSIGN(auto e, council_candidate(c));
  std::int64_t codes = 0;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.withdraw(e.candidate.candidate_id, reason, c.now()));
    VIGIL_ASSIGN(codes, c.repo.expire_enrolment_codes(e.candidate.candidate_id, c.now()));
    return c.audit("candidate.withdraw", "candidate/" + e.candidate.candidate_id, reason);
  }));
  return json_response(200, json{{"v", 1}, {"withdrawn", e.candidate.candidate_id}, {"codes_ended", codes}});
}

Result<HttpResponse> post_codes(Ctx& c) {
  VIGIL_ASSIGN(auto ids, c.staff.candidates_needing_codes(c.params.at("council"), c.now(), 100));
  json codes = json::array();
  for (const auto& id : ids) {
    VIGIL_ASSIGN(auto e, c.staff.endorsement(id));
    NewEnrolmentCode code;
    VIGIL_TRY(c.repo.transaction([&]() -> Status {
      VIGIL_ASSIGN(code, create_enrolment_code(c.repo, id, c.clock, c.config.code_valid_days));
      return c.audit("code.issue", "candidate/" + id);
    }));
    codes.push_back({{"candidate_id", id}, {"full_name", e ? e->candidate.full_name : ""},
                     {"work_email", e ? e->candidate.work_email : ""}, {"code", code.code},
                     {"expires_wall_ms", code.expires_wall_ms}});
  }
  VIGIL_ASSIGN(auto more, c.staff.candidates_needing_codes(c.params.at("council"), c.now(), 1));
  return json_response(200, json{{"v", 1}, {"codes", codes}, {"more", !more.empty()}});
}

}  // namespace vigil::server::staff_detail

namespace vigil::server {

Result<NewEnrolmentCode> add_candidate_with_code(Repository& repo, StaffRepository& staff, const CandidateRow& c,
                                                 std::string_view council_name, const time::Clock& clock,
                                                 std::int64_t valid_days) {
  if (c.level != "practitioner" && c.level != "practice_supervisor") {
    return fail(Error(Errc::invalid_argument, "--level must be practitioner or practice_supervisor", "level"));
  }
  NewEnrolmentCode code;
  VIGIL_TRY(repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(const bool known, staff.candidate_id_taken(c.candidate_id));
    if (known) return fail(Errc::conflict, "candidate " + c.candidate_id + " already exists");
    VIGIL_TRY(repo.add_council(c.council_id, council_name, clock.wall_ms()));
    VIGIL_TRY(repo.add_candidate(c, clock.wall_ms()));
    VIGIL_ASSIGN(code, create_enrolment_code(repo, c.candidate_id, clock, valid_days));
    return staff.audit({0, clock.wall_ms(), std::nullopt, "candidates.add", "council/" + c.council_id,
                        "candidate/" + c.candidate_id + " (vigil-server admin add-candidate)"});
  }));
  return code;
}

}  // namespace vigil::server
