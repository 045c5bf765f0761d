// The session runner on a real store (SQLCipher in a temp dir) with a manual clock.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/runner/runner.hpp"
#include "tests/support/sample_assessment.hpp"
#include "tests/support/client_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client;
using runner::Phase;
using runner::Runner;
using vigil::testing::TempDir;

namespace {

std::unique_ptr<store::Store> open_store(const std::filesystem::path& dir, const time::Clock& clock) {
  return testing::open_store(dir, [&clock](store::StoreOptions& so) { so.clock = &clock; });
}

runner::RunnerOptions options(assessment::Accommodations acc = {}) {
  runner::RunnerOptions o;
  o.session_id = "sitting-1";
  o.assessment = vigil::testing::small_assessment();
  o.accommodations = acc;
  return o;
}

std::unique_ptr<Runner> open_runner(store::Store& s, const time::Clock& clock, assessment::Accommodations acc = {}) {
  auto r = Runner::open(s, clock, options(acc));
  if (!r) FAIL(r.error().describe());
  return std::move(*r);
}

std::vector<std::string> types(store::Store& s) {
  auto entries = s.journal_entries("sitting-1");
  REQUIRE(entries);
  std::vector<std::string> out;
  for (const auto& e : *entries) out.push_back(e.record.type);
  return out;
}

std::size_t count(const std::vector<std::string>& v, std::string_view t) {
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), t));
}

nlohmann::json last_payload(store::Store& s, std::string_view type) {
  auto entries = s.journal_entries("sitting-1");
  REQUIRE(entries);
  for (auto it = entries->rbegin(); it != entries->rend(); ++it)
    if (it->record.type == type) return nlohmann::json::parse(it->payload->begin(), it->payload->end());
  FAIL("no " << type << " record");
  return {};
}

// A fresh store and runner for sitting-1 on a manual clock: what most cases start from.
struct Sitting {
  TempDir dir;
  time::ManualClock clock;
  std::unique_ptr<store::Store> s = open_store(dir.path(), clock);
  std::unique_ptr<Runner> r = open_runner(*s, clock);
};

void start_sections(Runner& r) {
  REQUIRE(r.begin_identity());
  REQUIRE(r.complete_identity("automated", "", ""));
}

}  // namespace

TEST_CASE_METHOD(Sitting, "a candidate goes from identity through every section and a break to submission") {
  CHECK(r->snapshot().phase == Phase::not_started);
  start_sections(*r);
  auto snap = r->snapshot();
  CHECK(snap.phase == Phase::section);
  CHECK(snap.section_index == 0);
  CHECK(snap.section_remaining_ms == 10 * 60'000);

  REQUIRE(r->save_answer("k-1", R"({"choice":2})"));
  REQUIRE(r->save_answer("k-2", R"({"choices":[0,3]})"));
  REQUIRE(r->set_flag("k-2", true));
  clock.advance_ms(4 * 60'000);
  REQUIRE(r->tick());
  snap = r->snapshot();
  CHECK(snap.section_remaining_ms == 6 * 60'000);
  CHECK(snap.answered == 2);
  CHECK(snap.flagged == std::vector<std::string>{"k-2"});

  REQUIRE(r->finish_section());
  CHECK(r->snapshot().phase == Phase::break_time);
  CHECK(r->snapshot().break_remaining_ms == 3 * 60'000);
  clock.advance_ms(60'000);
  REQUIRE(r->end_break());
  snap = r->snapshot();
  CHECK(snap.phase == Phase::section);
  CHECK(snap.section_index == 1);
  CHECK(snap.section_remaining_ms == 5 * 60'000);  // the break did not use section time

  REQUIRE(r->save_answer("s-1", R"({"choice":0})"));
  REQUIRE(r->finish_section());
  CHECK(r->snapshot().section_index == 2);  // no break after the scenario
  REQUIRE(r->save_answer("w-1", R"({"text":"First draft."})"));
  REQUIRE(r->save_answer("w-1", R"({"text":"First draft, revised."})"));
  REQUIRE(r->go_to_review());
  CHECK(r->snapshot().phase == Phase::review);
  REQUIRE(r->submit());
  CHECK(r->snapshot().phase == Phase::submitted);
  auto submitted = s->is_submitted("sitting-1");
  REQUIRE(submitted);
  CHECK(*submitted);

  auto history = s->answer_history("sitting-1", "w-1");
  REQUIRE(history);
  CHECK(history->size() == 2);
  auto report = s->verify_journal("sitting-1");
  REQUIRE(report);
  CHECK(report->ok());
  const auto t = types(*s);
  for (const char* want : {"session.configured", "identity.started", "identity.checked", "section.started",
                           "answer.saved", "item.flagged", "section.finished", "break.started", "break.ended",
                           "review.opened", "submission.requested", "session.submitted"})
    CHECK(count(t, want) >= 1);
  CHECK(count(t, "section.started") == 3);
  CHECK(count(t, "section.finished") == 3);
  CHECK_FALSE(r->save_answer("w-1", R"({"text":"too late"})"));
}

TEST_CASE_METHOD(Sitting, "a finished section cannot be answered again and answers are checked against the item") {
  CHECK(r->save_answer("k-1", R"({"choice":1})").error().code == Errc::conflict);  // not started
  start_sections(*r);
  CHECK(r->save_answer("k-1", R"({"choice":4})").error().field == "value.choice");       // no such option
  CHECK(r->save_answer("k-1", R"({"choices":[1]})").error().field == "value.choice");    // wrong shape
  CHECK(r->save_answer("k-2", R"({"choices":[0,1,2]})").error().field == "value.choices");  // more than 2
  CHECK(r->save_answer("k-2", R"({"choices":[1,1]})").error().field == "value.choices");
  CHECK(r->save_answer("k-1", "not json").error().code == Errc::invalid_argument);
  CHECK(r->save_answer("w-1", R"({"text":"x"})").error().code == Errc::not_found);  // a later section
  REQUIRE(r->finish_section());
  REQUIRE(r->end_break());
  CHECK(r->save_answer("k-1", R"({"choice":1})").error().code == Errc::not_found);  // closed for good
  auto answers = s->answers("sitting-1");
  REQUIRE(answers);
  CHECK(answers->empty());  // nothing invalid was saved
}

TEST_CASE("a restart resumes at the same item with the time left when the client stopped") {
  TempDir dir;
  time::ManualClock clock;
  {
    auto s = open_store(dir.path(), clock);
    auto r = open_runner(*s, clock);
    start_sections(*r);
    REQUIRE(r->save_answer("k-1", R"({"choice":3})"));
    REQUIRE(r->go_to_item(1));
    clock.advance_ms(150'000);
    REQUIRE(r->tick());
    clock.advance_ms(300);  // not yet persisted when the power goes
  }
  clock.advance_ms(20 * 60'000);  // twenty minutes without power, then a reboot
  clock.reboot("boot-2", 0);
  auto s = open_store(dir.path(), clock);
  auto r = open_runner(*s, clock);
  auto snap = r->snapshot();
  CHECK(snap.phase == Phase::section);
  CHECK(snap.section_index == 0);
  CHECK(snap.item_index == 1);
  // 10 min - 2.5 min; the 300 ms after the last persist are given back (invariant 1), never taken.
  CHECK(snap.section_remaining_ms == 10 * 60'000 - 150'000);
  CHECK(snap.interruptions == 1);
  auto gap = last_payload(*s, "session.interrupted");
  CHECK(gap["same_boot"] == false);
  CHECK(gap["gap_wall_ms"].get<std::int64_t>() >= 20 * 60'000);
  auto a = s->answer("sitting-1", "k-1");
  REQUIRE(a);
  REQUIRE(a->has_value());
  CHECK((*a)->value == R"({"choice":3})");
}

TEST_CASE_METHOD(Sitting, "time running out closes a section, then auto-submits the last one with its answers") {
  start_sections(*r);
  clock.advance_ms(10 * 60'000);
  REQUIRE(r->tick());
  CHECK(r->snapshot().phase == Phase::break_time);
  CHECK(last_payload(*s, "section.finished")["reason"] == "time_out");
  clock.advance_ms(3 * 60'000);  // the break runs out too
  REQUIRE(r->tick());
  CHECK(r->snapshot().section_index == 1);
  REQUIRE(r->finish_section());
  REQUIRE(r->save_answer("w-1", R"({"text":"Everything I managed to write."})"));
  clock.advance_ms(8 * 60'000);
  REQUIRE(r->tick());
  CHECK(r->snapshot().phase == Phase::submitted);
  CHECK(last_payload(*s, "submission.requested")["reason"] == "time_out");
  auto a = s->answer("sitting-1", "w-1");
  REQUIRE(a);
  REQUIRE(a->has_value());
  CHECK((*a)->value == R"({"text":"Everything I managed to write."})");
}

TEST_CASE_METHOD(Sitting, "warnings are recorded once each at five minutes and one minute left") {
  start_sections(*r);
  clock.advance_ms(4 * 60'000);
  REQUIRE(r->tick());
  CHECK(r->snapshot().warning == runner::Warning::none);
  clock.advance_ms(60'000);
  REQUIRE(r->tick());
  REQUIRE(r->tick());
  CHECK(r->snapshot().warning == runner::Warning::five_minutes);
  clock.advance_ms(4 * 60'000);
  REQUIRE(r->tick());
  CHECK(r->snapshot().warning == runner::Warning::one_minute);
  const auto t = types(*s);
  CHECK(count(t, "timer.warning") == 2);
}

TEST_CASE("extra time lengthens every section and breaks; exempt candidates sit knowledge only") {
  TempDir dir;
  time::ManualClock clock;
  auto s = open_store(dir.path(), clock);
  assessment::Accommodations acc;
  acc.extra_time_percent = 25;
  acc.extra_break_minutes = 5;
  acc.knowledge_only = true;
  auto r = open_runner(*s, clock, acc);
  REQUIRE(r->plan().size() == 1);
  CHECK(r->plan()[0].allowed_ms == 12 * 60'000 + 30'000);
  CHECK(r->plan()[0].break_after_ms == 0);  // no break after the last section sat
  start_sections(*r);
  REQUIRE(r->finish_section());
  CHECK(r->snapshot().phase == Phase::submitted);

  TempDir dir2;
  auto s2 = open_store(dir2.path(), clock);
  acc.knowledge_only = false;
  auto r2 = open_runner(*s2, clock, acc);
  REQUIRE(r2->plan().size() == 3);
  CHECK(r2->plan()[0].break_after_ms == 8 * 60'000);
  CHECK(r2->plan()[2].allowed_ms == 10 * 60'000);
}

TEST_CASE_METHOD(Sitting, "the wall clock set back or forward is recorded and does not change the time left") {
  start_sections(*r);
  clock.advance_ms(60'000);
  clock.set_wall_ms(clock.wall_ms() - 3'600'000);  // an hour back
  REQUIRE(r->tick());
  CHECK(r->snapshot().section_remaining_ms == 9 * 60'000);
  auto jump = last_payload(*s, "clock.jump");
  CHECK(jump["wall_delta_ms"].get<std::int64_t>() == 60'000 - 3'600'000);
  clock.set_wall_ms(clock.wall_ms() + 7'200'000);  // then two hours forward
  clock.advance_ms(1'000);
  REQUIRE(r->tick());
  CHECK(r->snapshot().section_remaining_ms == 9 * 60'000 - 1'000);
  CHECK(count(types(*s), "clock.jump") == 2);
  auto report = s->verify_journal("sitting-1");
  REQUIRE(report);  // the journal verifier flags the jumps too; the chain itself is intact
}

TEST_CASE_METHOD(Sitting, "page events are recorded for review and unknown ones are refused") {
  start_sections(*r);
  REQUIRE(r->record_ui_event("focus_lost"));
  REQUIRE(r->record_ui_event("fullscreen_left"));
  CHECK(r->record_ui_event("made_up").error().code == Errc::invalid_argument);
  CHECK(count(types(*s), "ui.event") == 2);
  CHECK(last_payload(*s, "ui.event")["event"] == "fullscreen_left");
}

// The browser kill test (tests/browser/client_kills.test.js) orders acknowledgements by the
// revision each save returns, because the UI server writes responses from several threads and
// the page can receive them in another order. This is the contract that makes that sound: saves
// racing from several threads are applied one at a time, each acknowledged revision is unique
// and names exactly the value stored with it, and the value kept (also after reopening) is the
// one with the highest acknowledged revision.
TEST_CASE("saves racing from several threads get one revision each and the highest one is kept") {
  TempDir dir;
  time::ManualClock clock;
  constexpr int k_threads = 4;
  constexpr int k_saves = 25;
  std::vector<std::vector<store::SaveReceipt>> receipts(k_threads);
  std::vector<int> failures(k_threads, 0);
  {
    auto s = open_store(dir.path(), clock);
    auto r = open_runner(*s, clock);
    start_sections(*r);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < k_saves; ++i) {
          auto saved = r->save_answer("k-1", R"({"choice":)" + std::to_string(t) + "}");
          if (saved) receipts[static_cast<std::size_t>(t)].push_back(*saved);
          else ++failures[static_cast<std::size_t>(t)];
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  std::map<std::uint64_t, int> by_revision;  // acknowledged revision -> the thread (value) it saved
  for (int t = 0; t < k_threads; ++t) {
    CHECK(failures[static_cast<std::size_t>(t)] == 0);
    const auto& mine = receipts[static_cast<std::size_t>(t)];
    for (std::size_t i = 0; i < mine.size(); ++i) {
      if (i > 0) CHECK(mine[i].revision > mine[i - 1].revision);  // one thread's saves stay in order
      CHECK(by_revision.emplace(mine[i].revision, t).second);      // no revision acknowledged twice
    }
  }
  REQUIRE(by_revision.size() == std::size_t{k_threads * k_saves});
  CHECK(by_revision.begin()->first == 1);
  CHECK(by_revision.rbegin()->first == std::uint64_t{k_threads * k_saves});

  auto s = open_store(dir.path(), clock);
  auto history = s->answer_history("sitting-1", "k-1");
  REQUIRE(history);
  REQUIRE(history->size() == by_revision.size());
  for (const auto& h : *history)
    CHECK(h.value == R"({"choice":)" + std::to_string(by_revision.at(h.revision)) + "}");
  auto kept = s->answer("sitting-1", "k-1");
  REQUIRE(kept);
  REQUIRE(kept->has_value());
  CHECK((*kept)->revision == by_revision.rbegin()->first);
  CHECK((*kept)->value == R"({"choice":)" + std::to_string(by_revision.rbegin()->second) + "}");
}

// Issue 16: the consent decides whether the monitor may run the identity hint, so it must survive
// a restart; until the identity step completes there is none.
TEST_CASE_METHOD(Sitting, "the candidate's choice of identity check is kept with the session, also after a restart") {
  CHECK(r->snapshot().identity_consent.empty());
  REQUIRE(r->begin_identity());
  CHECK(r->snapshot().identity_consent.empty());
  auto refused = r->complete_identity("camera", "", "");
  REQUIRE_FALSE(refused);
  CHECK(r->snapshot().identity_consent.empty());
  REQUIRE(r->complete_identity("human", "", ""));
  CHECK(r->snapshot().identity_consent == "human");
  r.reset();
  auto again = open_runner(*s, clock);
  CHECK(again->snapshot().phase == Phase::section);
  CHECK(again->snapshot().identity_consent == "human");
}
