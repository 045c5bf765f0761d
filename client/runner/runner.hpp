#pragma once
// The session runner: takes one candidate through an unlocked assessment, from "not started"
// through the identity check and the timed sections (with scheduled breaks) to submission, and
// keeps every step durable so a crash, a power cut or a killed process resumes where it was.
//
// States (the function behind each transition):
//
//   not_started --begin_identity--> identity --complete_identity--> section[0]
//   section[i] --finish_section / time out--> break (if one follows i) --end_break / time out--> section[i+1]
//   section[last] --navigate{review}--> review --navigate{item}--> section[last]
//   section[last] | review --submit / time out--> submitted
//
// Invariants:
//  (1) The timer counts only time the runner is running, on the monotonic clock: elapsed time
//      is persisted (Store state) at every state change and every `persist_every` while running,
//      so a restart resumes with at most `persist_every` of time given back, never taken away.
//  (2) Time while the client was not running is not counted but is recorded: a restart writes
//      `session.interrupted` (with the wall-clock gap and whether the machine rebooted), which a
//      proctor sees. The wall clock is never used to measure time; a wall clock that moves
//      against the monotonic one is recorded as `clock.jump`.
//  (3) Every answer is saved through Store::save_answer and is durable before save_answer
//      returns; only items of the current section can be answered; nothing after submission.
//  (4) A section that is finished (by the candidate or by time) cannot be re-entered.
//  (5) When the last section's time runs out the session is submitted (auto-submit), with every
//      saved answer.
//  (6) Every transition is recorded in the session journal (docs/EVENTS.md) in the same
//      durable order it happened.
//
// Thread safety: every public method may be called from any thread (the UI's HTTP threads and
// the ticker share one Runner); one internal mutex.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"
#include "shared/assessment/model.hpp"
#include "shared/core/result.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::runner {

enum class Phase { not_started, identity, section, break_time, review, submitted };
std::string_view phase_name(Phase p) noexcept;

enum class Warning { none, five_minutes, one_minute };
std::string_view warning_name(Warning w) noexcept;

struct RunnerOptions {
  std::string session_id;                      // the journal session (the sitting id)
  assessment::Assessment assessment;
  assessment::Accommodations accommodations;
  std::uint32_t persist_every_ms = 500;        // invariant (1): at most this much time given back
  std::int64_t clock_jump_tolerance_ms = 2'000;
};

// One section as the candidate sits it (after accommodations).
struct SectionPlan {
  const assessment::Section* section = nullptr;
  std::int64_t allowed_ms = 0;
  std::int64_t break_after_ms = 0;             // 0: no break follows
};

struct Snapshot {
  Phase phase = Phase::not_started;
  std::size_t section_index = 0;
  std::size_t section_count = 0;
  std::size_t item_index = 0;
  std::int64_t section_remaining_ms = 0;
  std::int64_t break_remaining_ms = 0;
  Warning warning = Warning::none;
  std::size_t answered = 0;                    // items of the current section with an answer
  std::vector<std::string> flagged;            // items of the current section
  std::uint32_t interruptions = 0;
  // How the candidate chose to have their identity photos checked: "automated", "human", or
  // empty until the identity step is complete. Only "automated" allows the identity hint.
  std::string identity_consent;
};

class Runner {
 public:
  // Opens the runner for options.session_id, creating the session on first use or resuming the
  // persisted state (recording the interruption). The store and clock must outlive the runner.
  static Result<std::unique_ptr<Runner>> open(store::Store& store, const time::Clock& clock, RunnerOptions options);

  Snapshot snapshot();
  const std::vector<SectionPlan>& plan() const noexcept { return plan_; }
  const assessment::Assessment& assessment() const noexcept { return options_.assessment; }
  const std::string& session_id() const noexcept { return options_.session_id; }

  Status begin_identity();
  // consent: "automated" or "human"; photo hashes are the sealed blobs' SHA-256 (hex), may be empty.
  Status complete_identity(std::string_view consent, std::string_view face_photo, std::string_view id_photo);

  // value is the answer as compact JSON: {"choice":i}, {"choices":[i,...]} or {"text":"..."},
  // checked against the item. Durable on return (invariant 3).
  Result<store::SaveReceipt> save_answer(std::string_view item_id, std::string_view value_json);
  Status set_flag(std::string_view item_id, bool flagged);
  Status go_to_item(std::size_t index);
  Status go_to_review();
  // Closes the current section for good (invariant 4); on the last section this submits.
  Status finish_section();
  Status end_break();
  Status submit();
  // A page event (focus lost, full screen left, ...): one of docs/EVENTS.md's ui.event names.
  Status record_ui_event(std::string_view event);

  // Advances the timer: persists elapsed time, raises warnings, ends sections and breaks that
  // ran out and submits at the end (invariant 5). Call about every persist_every_ms.
  Status tick();

  // Saved answers of the current section, item id -> value JSON.
  Result<std::vector<store::Answer>> answers();
  std::set<std::string> flagged_items();

 private:
  struct Persisted;
  Runner(store::Store& store, const time::Clock& clock, RunnerOptions options);
  Status load_or_create();
  // Adds the time since the last reading to the running phase's clock (REQUIRES: mu_ held).
  void account_time_locked();
  Status persist_locked();
  Status event_locked(std::string_view type, const std::string& payload_json,
                      store::OutboxPriority priority = store::OutboxPriority::events);
  Status start_section_locked(std::size_t index);
  Status finish_section_locked(std::string_view reason);
  Status end_break_locked(std::string_view reason);
  Status submit_locked(std::string_view reason);
  // periodic_persist: also write the timer if persist_every_ms has passed (the timer thread's
  // tick); actions pass false so an answer save costs exactly one durable transaction.
  Status tick_locked(bool periodic_persist);
  const assessment::Item* find_item_locked(std::string_view item_id) const;
  std::int64_t section_remaining_locked() const;

  store::Store& store_;
  const time::Clock& clock_;
  RunnerOptions options_;
  std::vector<SectionPlan> plan_;
  std::string state_key_;

  std::mutex mu_;
  // Persisted state (Store state "runner.<session>"), see Persisted in runner.cpp.
  Phase phase_ = Phase::not_started;
  std::size_t section_index_ = 0;
  std::size_t item_index_ = 0;
  std::int64_t section_elapsed_ms_ = 0;
  std::int64_t break_elapsed_ms_ = 0;
  std::set<std::string> flagged_;
  int warnings_sent_ = 0;                      // bit 0: five minutes, bit 1: one minute
  std::uint32_t interruptions_ = 0;
  std::string identity_consent_;  // persisted: a resumed session keeps the candidate's choice
  // Not persisted: the last clock readings time was accounted at.
  std::uint64_t last_mono_ns_ = 0;
  std::int64_t last_wall_ms_ = 0;
  std::uint64_t last_persist_mono_ns_ = 0;
};

// Checks an answer value against its item (shape, option range, how many choices, text size).
Status validate_answer(const assessment::Item& item, std::string_view value_json);

}  // namespace vigil::client::runner
