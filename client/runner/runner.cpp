#include "client/runner/runner.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "shared/core/names.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::client::runner {

using nlohmann::json;

namespace {

constexpr std::int64_t k_five_minutes_ms = 5 * 60'000;
constexpr std::int64_t k_one_minute_ms = 60'000;
constexpr std::size_t k_max_text_bytes = 200'000;  // ~30,000 words: far beyond any task's guidance

std::int64_t apply_percent(std::int64_t ms, std::uint32_t extra_percent) {
  return ms + ms * static_cast<std::int64_t>(extra_percent) / 100;
}

std::vector<SectionPlan> make_plan(const RunnerOptions& o) {
  std::vector<SectionPlan> plan;
  for (const auto& s : o.assessment.sections) {
    // Exempt candidates sit the knowledge sections only (DESIGN.md §1).
    if (o.accommodations.knowledge_only && s.kind != assessment::SectionKind::knowledge) continue;
    SectionPlan p;
    p.section = &s;
    p.allowed_ms = apply_percent(static_cast<std::int64_t>(s.minutes) * 60'000, o.accommodations.extra_time_percent);
    for (const auto& b : o.assessment.breaks) {
      if (b.after_section == s.id)
        p.break_after_ms = static_cast<std::int64_t>(b.minutes + o.accommodations.extra_break_minutes) * 60'000;
    }
    plan.push_back(p);
  }
  // No break after the last section sat (the assessment is over).
  if (!plan.empty()) plan.back().break_after_ms = 0;
  return plan;
}

constexpr Names<Phase, 6> k_phase_names{{{Phase::not_started, "not_started"},
                                          {Phase::identity, "identity"},
                                          {Phase::section, "section"},
                                          {Phase::break_time, "break"},
                                          {Phase::review, "review"},
                                          {Phase::submitted, "submitted"}}};
constexpr Names<Warning, 3> k_warning_names{
    {{Warning::none, "none"}, {Warning::five_minutes, "five_minutes"}, {Warning::one_minute, "one_minute"}}};

Phase parse_phase(std::string_view s) { return value_named(k_phase_names, s).value_or(Phase::not_started); }

}  // namespace

std::string_view phase_name(Phase p) noexcept { return name_of(k_phase_names, p); }
std::string_view warning_name(Warning w) noexcept { return name_of(k_warning_names, w); }

Status validate_answer(const assessment::Item& item, std::string_view value_json) {
  auto parsed = protocol::parse_json(value_json, 4);
  if (!parsed) return fail(Errc::invalid_argument, "the answer is not valid: " + parsed.error().message, "value");
  const json& v = *parsed;
  auto only_key = [&](const char* key) { return v.size() == 1 && v.contains(key); };
  switch (item.type) {
    case assessment::ItemType::single: {
      if (!only_key("choice") || !v["choice"].is_number_unsigned())
        return fail(Errc::invalid_argument, "choose one of the options", "value.choice");
      if (v["choice"].get<std::uint64_t>() >= item.options.size())
        return fail(Errc::invalid_argument, "that option does not exist", "value.choice");
      return {};
    }
    case assessment::ItemType::multiple: {
      if (!only_key("choices") || !v["choices"].is_array())
        return fail(Errc::invalid_argument, "choose from the options", "value.choices");
      std::set<std::uint64_t> seen;
      for (const auto& c : v["choices"]) {
        if (!c.is_number_unsigned() || c.get<std::uint64_t>() >= item.options.size())
          return fail(Errc::invalid_argument, "that option does not exist", "value.choices");
        if (!seen.insert(c.get<std::uint64_t>()).second)
          return fail(Errc::invalid_argument, "an option was chosen twice", "value.choices");
      }
      if (seen.size() > item.select)
        return fail(Errc::invalid_argument, "choose at most " + std::to_string(item.select) + " options", "value.choices");
      return {};
    }
    case assessment::ItemType::written: {
      if (!only_key("text") || !v["text"].is_string())
        return fail(Errc::invalid_argument, "the answer must be text", "value.text");
      if (v["text"].get_ref<const std::string&>().size() > k_max_text_bytes)
        return fail(Errc::invalid_argument, "the answer is longer than the client can keep (200,000 characters)", "value.text");
      return {};
    }
  }
  return fail(Errc::invalid_argument, "unknown item type");
}

Runner::Runner(store::Store& store, const time::Clock& clock, RunnerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), state_key_("runner." + options_.session_id) {
  plan_ = make_plan(options_);
}

Result<std::unique_ptr<Runner>> Runner::open(store::Store& store, const time::Clock& clock, RunnerOptions options) {
  if (options.session_id.empty()) return fail(Errc::invalid_argument, "a session id is required");
  std::unique_ptr<Runner> r(new Runner(store, clock, std::move(options)));
  if (r->plan_.empty()) return fail(Errc::invalid_argument, "the assessment has no sections to sit");
  for (const auto& p : r->plan_) {
    if (p.section->items.empty())
      return fail(Errc::invalid_argument, "section " + p.section->id + " has no items");
  }
  VIGIL_TRY(r->load_or_create());
  return r;
}

Status Runner::load_or_create() {
  std::lock_guard lock(mu_);
  auto saved = store_.get_state(state_key_);
  if (!saved) return fail(std::move(saved.error()).context("reading the session's saved position"));
  last_mono_ns_ = clock_.monotonic_ns();
  last_wall_ms_ = clock_.wall_ms();
  last_persist_mono_ns_ = last_mono_ns_;

  if (!saved->has_value()) {
    VIGIL_TRY(store_.begin_session(options_.session_id, options_.assessment.id));
    const auto& a = options_.accommodations;
    VIGIL_TRY(event_locked("session.configured",
                           json{{"assessment_id", options_.assessment.id},
                                {"version", options_.assessment.version},
                                {"level", options_.assessment.level == assessment::Level::practitioner ? "practitioner"
                                                                                                        : "practice_supervisor"},
                                {"sections", plan_.size()},
                                {"accommodations",
                                 {{"extra_time_percent", a.extra_time_percent},
                                  {"extra_break_minutes", a.extra_break_minutes},
                                  {"knowledge_only", a.knowledge_only}}}}
                               .dump(),
                           store::OutboxPriority::submission));
    return persist_locked();
  }

  const auto& bytes = **saved;
  json s = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (s.is_discarded() || !s.is_object() || s.value("session", "") != options_.session_id)
    return fail(Errc::integrity, "the saved position of this session is damaged");
  phase_ = parse_phase(s.value("phase", ""));
  section_index_ = s.value("section", std::size_t{0});
  item_index_ = s.value("item", std::size_t{0});
  section_elapsed_ms_ = s.value("section_elapsed_ms", std::int64_t{0});
  break_elapsed_ms_ = s.value("break_elapsed_ms", std::int64_t{0});
  warnings_sent_ = s.value("warnings", 0);
  interruptions_ = s.value("interruptions", 0u);
  identity_consent_ = s.value("consent", "");  // absent in older saved positions: no consent
  flagged_.clear();
  if (s.contains("flagged") && s["flagged"].is_array())
    for (const auto& f : s["flagged"]) flagged_.insert(f.get<std::string>());
  if (section_index_ >= plan_.size()) return fail(Errc::integrity, "the saved position points past the last section");
  if (item_index_ >= plan_[section_index_].section->items.size()) item_index_ = 0;

  if (phase_ != Phase::not_started && phase_ != Phase::submitted) {
    // Invariant (2): the time away is recorded, not counted.
    const std::string prev_boot = s.value("boot", "");
    const std::int64_t prev_wall = s.value("wall_ms", std::int64_t{0});
    const std::uint64_t prev_mono = s.value("mono_ns", std::uint64_t{0});
    const bool same_boot = prev_boot == clock_.boot_id();
    json payload{{"phase", phase_name(phase_)},
                 {"section", plan_[section_index_].section->id},
                 {"gap_wall_ms", last_wall_ms_ - prev_wall},
                 {"same_boot", same_boot},
                 {"previous_boot", prev_boot}};
    if (same_boot && last_mono_ns_ >= prev_mono) {
      const auto gap_mono_ms = static_cast<std::int64_t>((last_mono_ns_ - prev_mono) / 1'000'000u);
      payload["gap_mono_ms"] = gap_mono_ms;
      if (std::llabs((last_wall_ms_ - prev_wall) - gap_mono_ms) > options_.clock_jump_tolerance_ms) {
        VIGIL_TRY(event_locked("clock.jump", json{{"wall_delta_ms", last_wall_ms_ - prev_wall},
                                                 {"mono_delta_ms", gap_mono_ms},
                                                 {"while", "not_running"}}.dump()));
      }
    }
    ++interruptions_;
    VIGIL_TRY(event_locked("session.interrupted", payload.dump()));
    return persist_locked();
  }
  return {};
}

void Runner::account_time_locked() {
  const std::uint64_t mono = clock_.monotonic_ns();
  const std::int64_t delta_ms = mono > last_mono_ns_ ? static_cast<std::int64_t>((mono - last_mono_ns_) / 1'000'000u) : 0;
  // Keep the sub-millisecond remainder for the next reading so time is never lost to rounding.
  last_mono_ns_ += static_cast<std::uint64_t>(delta_ms) * 1'000'000u;
  if (phase_ == Phase::section || phase_ == Phase::review) section_elapsed_ms_ += delta_ms;
  if (phase_ == Phase::break_time) break_elapsed_ms_ += delta_ms;
}

Status Runner::persist_locked() {
  json flagged = json::array();
  for (const auto& f : flagged_) flagged.push_back(f);
  const json s{{"v", 1},
               {"session", options_.session_id},
               {"phase", phase_name(phase_)},
               {"section", section_index_},
               {"item", item_index_},
               {"section_elapsed_ms", section_elapsed_ms_},
               {"break_elapsed_ms", break_elapsed_ms_},
               {"warnings", warnings_sent_},
               {"interruptions", interruptions_},
               {"consent", identity_consent_},
               {"flagged", flagged},
               {"boot", clock_.boot_id()},
               {"mono_ns", clock_.monotonic_ns()},
               {"wall_ms", clock_.wall_ms()}};
  const std::string text = s.dump();
  VIGIL_TRY(store_.put_state(state_key_, as_bytes(text)));
  last_persist_mono_ns_ = clock_.monotonic_ns();
  return {};
}

Status Runner::event_locked(std::string_view type, const std::string& payload_json, store::OutboxPriority priority) {
  auto r = store_.record_event(options_.session_id, type, payload_json, priority);
  if (!r) return fail(std::move(r.error()));
  return {};
}

std::int64_t Runner::section_remaining_locked() const {
  return std::max<std::int64_t>(0, plan_[section_index_].allowed_ms - section_elapsed_ms_);
}

Snapshot Runner::snapshot() {
  std::lock_guard lock(mu_);
  account_time_locked();
  Snapshot s;
  s.phase = phase_;
  s.section_index = section_index_;
  s.section_count = plan_.size();
  s.item_index = item_index_;
  s.section_remaining_ms = section_remaining_locked();
  if (phase_ == Phase::break_time)
    s.break_remaining_ms = std::max<std::int64_t>(0, plan_[section_index_].break_after_ms - break_elapsed_ms_);
  if (phase_ == Phase::section || phase_ == Phase::review) {
    if (s.section_remaining_ms <= k_one_minute_ms) s.warning = Warning::one_minute;
    else if (s.section_remaining_ms <= k_five_minutes_ms) s.warning = Warning::five_minutes;
  }
  s.interruptions = interruptions_;
  s.identity_consent = identity_consent_;
  const auto& items = plan_[section_index_].section->items;
  auto saved = store_.answers(options_.session_id);
  if (saved) {
    for (const auto& a : *saved)
      if (std::any_of(items.begin(), items.end(), [&](const auto& i) { return i.id == a.item_id; })) ++s.answered;
  }
  for (const auto& i : items)
    if (flagged_.count(i.id) != 0u) s.flagged.push_back(i.id);
  return s;
}

Status Runner::begin_identity() {
  std::lock_guard lock(mu_);
  if (phase_ == Phase::identity) return {};
  if (phase_ != Phase::not_started) return fail(Errc::conflict, "the assessment has already started");
  account_time_locked();
  phase_ = Phase::identity;
  VIGIL_TRY(event_locked("identity.started", "{}"));
  return persist_locked();
}

Status Runner::complete_identity(std::string_view consent, std::string_view face_photo, std::string_view id_photo) {
  std::lock_guard lock(mu_);
  if (phase_ != Phase::identity) return fail(Errc::conflict, "the identity check is not open");
  if (consent != "automated" && consent != "human")
    return fail(Errc::invalid_argument, "choose automated checking or a check by a person", "consent");
  VIGIL_TRY(event_locked("identity.checked",
                         json{{"consent", consent}, {"face_photo", face_photo}, {"id_photo", id_photo}}.dump(),
                         store::OutboxPriority::submission));
  identity_consent_ = std::string(consent);  // persisted by start_section_locked
  return start_section_locked(0);
}

Status Runner::start_section_locked(std::size_t index) {
  account_time_locked();
  section_index_ = index;
  item_index_ = 0;
  section_elapsed_ms_ = 0;
  break_elapsed_ms_ = 0;
  warnings_sent_ = 0;
  phase_ = Phase::section;
  const auto& p = plan_[index];
  VIGIL_TRY(event_locked("section.started",
                         json{{"section", p.section->id}, {"index", index}, {"allowed_ms", p.allowed_ms}}.dump(),
                         store::OutboxPriority::answers));
  return persist_locked();
}

const assessment::Item* Runner::find_item_locked(std::string_view item_id) const {
  for (const auto& i : plan_[section_index_].section->items)
    if (i.id == item_id) return &i;
  return nullptr;
}

Result<store::SaveReceipt> Runner::save_answer(std::string_view item_id, std::string_view value_json) {
  std::lock_guard lock(mu_);
  VIGIL_TRY(tick_locked(false));
  if (phase_ == Phase::submitted) return fail(Errc::conflict, "the assessment has been submitted; answers can no longer change");
  if (phase_ != Phase::section && phase_ != Phase::review)
    return fail(Errc::conflict, "answers can be saved only while a section is open");
  const auto* item = find_item_locked(item_id);
  if (item == nullptr)
    return fail(Errc::not_found, "that question is not in the section that is open now", "item_id");
  VIGIL_TRY(validate_answer(*item, value_json));
  return store_.save_answer(options_.session_id, item_id, value_json);
}

Status Runner::set_flag(std::string_view item_id, bool flagged) {
  std::lock_guard lock(mu_);
  if (phase_ != Phase::section && phase_ != Phase::review) return fail(Errc::conflict, "no section is open");
  if (find_item_locked(item_id) == nullptr) return fail(Errc::not_found, "that question is not in this section", "item_id");
  const bool was = flagged_.count(std::string(item_id)) != 0u;
  if (was == flagged) return {};
  if (flagged) flagged_.insert(std::string(item_id));
  else flagged_.erase(std::string(item_id));
  VIGIL_TRY(event_locked("item.flagged", json{{"item", item_id}, {"flagged", flagged}}.dump()));
  account_time_locked();
  return persist_locked();
}

Status Runner::go_to_item(std::size_t index) {
  std::lock_guard lock(mu_);
  VIGIL_TRY(tick_locked(false));
  if (phase_ != Phase::section && phase_ != Phase::review) return fail(Errc::conflict, "no section is open");
  const auto& items = plan_[section_index_].section->items;
  if (index >= items.size()) return fail(Errc::invalid_argument, "there is no question " + std::to_string(index + 1), "item_index");
  item_index_ = index;
  phase_ = Phase::section;
  VIGIL_TRY(event_locked("item.viewed", json{{"section", plan_[section_index_].section->id}, {"item", items[index].id}}.dump()));
  return persist_locked();
}

Status Runner::go_to_review() {
  std::lock_guard lock(mu_);
  VIGIL_TRY(tick_locked(false));
  if (phase_ == Phase::review) return {};
  if (phase_ != Phase::section) return fail(Errc::conflict, "no section is open");
  // Only the last section has the final review; earlier sections end with finish_section.
  if (section_index_ + 1 != plan_.size()) return {};
  phase_ = Phase::review;
  VIGIL_TRY(event_locked("review.opened", json{{"section", plan_[section_index_].section->id}}.dump()));
  return persist_locked();
}

Status Runner::finish_section() {
  std::lock_guard lock(mu_);
  VIGIL_TRY(tick_locked(false));
  if (phase_ != Phase::section && phase_ != Phase::review) return fail(Errc::conflict, "no section is open");
  return finish_section_locked("candidate");
}

Status Runner::finish_section_locked(std::string_view reason) {
  account_time_locked();
  const auto& p = plan_[section_index_];
  VIGIL_TRY(event_locked("section.finished",
                         json{{"section", p.section->id},
                              {"reason", reason},
                              {"used_ms", std::min(section_elapsed_ms_, p.allowed_ms)}}.dump(),
                         store::OutboxPriority::answers));
  if (section_index_ + 1 == plan_.size()) return submit_locked(reason);
  if (p.break_after_ms > 0) {
    phase_ = Phase::break_time;
    break_elapsed_ms_ = 0;
    VIGIL_TRY(event_locked("break.started", json{{"after_section", p.section->id}, {"allowed_ms", p.break_after_ms}}.dump()));
    return persist_locked();
  }
  return start_section_locked(section_index_ + 1);
}

Status Runner::end_break() {
  std::lock_guard lock(mu_);
  VIGIL_TRY(tick_locked(false));
  if (phase_ != Phase::break_time) return fail(Errc::conflict, "there is no break in progress");
  return end_break_locked("candidate");
}

Status Runner::end_break_locked(std::string_view reason) {
  account_time_locked();
  VIGIL_TRY(event_locked("break.ended", json{{"used_ms", std::min(break_elapsed_ms_, plan_[section_index_].break_after_ms)},
                                             {"reason", reason}}.dump()));
  return start_section_locked(section_index_ + 1);
}

Status Runner::submit() {
  std::lock_guard lock(mu_);
  VIGIL_TRY(tick_locked(false));
  if (phase_ == Phase::submitted) return {};
  if (phase_ != Phase::review && !(phase_ == Phase::section && section_index_ + 1 == plan_.size()))
    return fail(Errc::conflict, "the assessment can be submitted from the last section only");
  VIGIL_TRY(event_locked("section.finished",
                         json{{"section", plan_[section_index_].section->id},
                              {"reason", "candidate"},
                              {"used_ms", std::min(section_elapsed_ms_, plan_[section_index_].allowed_ms)}}.dump(),
                         store::OutboxPriority::answers));
  return submit_locked("candidate");
}

Status Runner::submit_locked(std::string_view reason) {
  account_time_locked();
  VIGIL_TRY(event_locked("submission.requested", json{{"reason", reason}}.dump(), store::OutboxPriority::submission));
  auto seq = store_.submit_session(options_.session_id);
  if (!seq) return fail(std::move(seq.error()));
  phase_ = Phase::submitted;
  return persist_locked();
}

Status Runner::record_ui_event(std::string_view event) {
  static constexpr std::string_view k_events[] = {"focus_lost",        "focus_returned", "fullscreen_left",
                                                  "fullscreen_entered", "page_hidden",    "page_visible"};
  if (std::find(std::begin(k_events), std::end(k_events), event) == std::end(k_events))
    return fail(Errc::invalid_argument, "unknown page event", "type");
  std::lock_guard lock(mu_);
  if (phase_ == Phase::submitted) return {};  // nothing to review after submission
  return event_locked("ui.event", json{{"event", event}}.dump());
}

Status Runner::tick() {
  std::lock_guard lock(mu_);
  return tick_locked(true);
}

Status Runner::tick_locked(bool periodic_persist) {
  const std::int64_t wall_before = last_wall_ms_;
  const std::uint64_t mono_before = last_mono_ns_;
  account_time_locked();
  // Invariant (2): the wall clock must move with the monotonic one while we run.
  const std::int64_t wall_now = clock_.wall_ms();
  const auto mono_delta_ms = static_cast<std::int64_t>((last_mono_ns_ - mono_before) / 1'000'000u);
  last_wall_ms_ = wall_now;
  if (std::llabs((wall_now - wall_before) - mono_delta_ms) > options_.clock_jump_tolerance_ms &&
      phase_ != Phase::submitted) {
    VIGIL_TRY(event_locked("clock.jump", json{{"wall_delta_ms", wall_now - wall_before},
                                             {"mono_delta_ms", mono_delta_ms},
                                             {"while", "running"}}.dump()));
  }
  if (phase_ == Phase::section || phase_ == Phase::review) {
    const std::int64_t remaining = section_remaining_locked();
    if (remaining == 0) return finish_section_locked("time_out");
    const auto warn = [&](int bit, std::string_view name) -> Status {
      if ((warnings_sent_ & bit) != 0) return {};
      warnings_sent_ |= bit;
      VIGIL_TRY(event_locked("timer.warning", json{{"section", plan_[section_index_].section->id},
                                                  {"remaining_ms", remaining},
                                                  {"warning", name}}.dump()));
      return persist_locked();
    };
    if (remaining <= k_five_minutes_ms) VIGIL_TRY(warn(1, "five_minutes"));
    if (remaining <= k_one_minute_ms) VIGIL_TRY(warn(2, "one_minute"));
  }
  if (phase_ == Phase::break_time && break_elapsed_ms_ >= plan_[section_index_].break_after_ms)
    return end_break_locked("time_out");
  if (periodic_persist && phase_ != Phase::not_started && phase_ != Phase::submitted &&
      clock_.monotonic_ns() - last_persist_mono_ns_ >= std::uint64_t{options_.persist_every_ms} * 1'000'000u)
    return persist_locked();
  return {};
}

Result<std::vector<store::Answer>> Runner::answers() {
  std::lock_guard lock(mu_);
  auto all = store_.answers(options_.session_id);
  if (!all) return fail(std::move(all.error()));
  std::vector<store::Answer> out;
  for (auto& a : *all)
    if (find_item_locked(a.item_id) != nullptr) out.push_back(std::move(a));
  return out;
}

std::set<std::string> Runner::flagged_items() {
  std::lock_guard lock(mu_);
  return flagged_;
}

}  // namespace vigil::client::runner
