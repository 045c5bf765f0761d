// Scoring (shared/results/scoring.hpp) and the marking and review rules (analysis.hpp): every expected figure below is worked by hand in the
// comment beside it, from the fixture assessment built in make_assessment().
#include <cmath>
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "shared/results/analysis.hpp"
#include "shared/results/scoring.hpp"

using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::WithinAbs;
using namespace vigil;
using namespace vigil::results;
using assessment::ItemType;

namespace {

assessment::Item item(std::string id, ItemType type, std::vector<std::string> kss, std::uint32_t select = 1) {
  assessment::Item it;
  it.id = std::move(id);
  it.type = type;
  it.kss = std::move(kss);
  it.stem = {"?"};
  if (type != ItemType::written) it.options = {"a", "b", "c", "d", "e"};
  it.select = select;
  return it;
}

// Knowledge (5 items): k1 P1 key 0; k2 P2 key 1; k3 P3 multiple-2 key {0,2}; k4 P3 key 2;
//                      k5 P5+P1 key 3.
// Scenario (5 items):  s1 P6 key 0; s2 P7 key 1; s3 P6 multiple-2 key {1,3}; s4 P7 key 2; s5 P8 key 0.
// Written (1 item):    w1 marked on P6 and P7.
assessment::Assessment make_assessment() {
  assessment::Assessment a;
  a.id = "pr-demo";
  a.version = 2;
  a.level = assessment::Level::practitioner;
  assessment::Section k{"knowledge", assessment::SectionKind::knowledge, "Knowledge", 60, {}, {}, {}};
  k.items = {item("k1", ItemType::single, {"P1"}), item("k2", ItemType::single, {"P2"}),
             item("k3", ItemType::multiple, {"P3"}, 2), item("k4", ItemType::single, {"P3"}),
             item("k5", ItemType::single, {"P5", "P1"})};
  assessment::Section s{"scenario", assessment::SectionKind::scenario, "Scenario", 60, {}, {}, {}};
  s.items = {item("s1", ItemType::single, {"P6"}), item("s2", ItemType::single, {"P7"}),
             item("s3", ItemType::multiple, {"P6"}, 2), item("s4", ItemType::single, {"P7"}),
             item("s5", ItemType::single, {"P8"})};
  assessment::Section w{"written", assessment::SectionKind::written, "Written", 60, {}, {}, {}};
  w.items = {item("w1", ItemType::written, {"P6", "P7"})};
  a.sections = {k, s, w};
  return a;
}

assessment::MarkingScheme make_scheme() {
  assessment::MarkingScheme m;
  m.assessment_id = "pr-demo";
  m.version = 2;
  m.keys = {{"k1", {0}, ""}, {"k2", {1}, ""}, {"k3", {2, 0}, ""}, {"k4", {2}, ""}, {"k5", {3}, ""},
            {"s1", {0}, ""}, {"s2", {1}, ""}, {"s3", {1, 3}, ""}, {"s4", {2}, ""}, {"s5", {0}, ""}};
  return m;
}

// knowledge 60, scenario 60, written 50, overall 50.
Thresholds thresholds() { return Thresholds{60, 60, 50, 50}; }

// Knowledge 3/5 (k1, k2, k3 right; k4 wrong; k5 missing); scenario 3/5 (s1, s2, s3 right; s4, s5 wrong).
Answers boundary_answers() {
  return {{"k1", R"({"choice":0})"},     {"k2", R"({"choice":1})"},     {"k3", R"({"choices":[0,2]})"},
          {"k4", R"({"choice":0})"},     {"s1", R"({"choice":0})"},     {"s2", R"({"choice":1})"},
          {"s3", R"({"choices":[3,1]})"}, {"s4", R"({"choice":0})"},     {"s5", R"({"choice":4})"}};
}

std::vector<WrittenAreaMark> written_half() { return {{"P6", 5, 10}, {"P7", 5, 10}}; }

const AreaScore& area(const ScoreReport& r, std::string_view kss) {
  for (const auto& a : r.areas) {
    if (a.kss == kss) return a;
  }
  FAIL("no area " << kss);
  return r.areas.front();
}

ScoreReport must_score(const Answers& answers, const std::optional<std::vector<WrittenAreaMark>>& written,
                       const std::vector<Exemption>& exemptions = {}, Thresholds t = thresholds()) {
  auto r = score(make_assessment(), make_scheme(), answers, written, t, exemptions);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("scores exactly at every threshold are met") {
  const auto r = must_score(boundary_answers(), written_half());
  // knowledge 3/5: 3*100 = 300 >= 60*5 = 300 -> met, 60 %.
  CHECK(r.stage(SectionKind::knowledge).marks == Marks{3, 5});
  CHECK(r.stage(SectionKind::knowledge).marks.percent() == 60);
  CHECK(r.stage(SectionKind::knowledge).status == StageStatus::met);
  // scenario 3/5 (s3 chosen as [3,1]: the keyed set in another order) -> met.
  CHECK(r.stage(SectionKind::scenario).marks == Marks{3, 5});
  CHECK(r.stage(SectionKind::scenario).status == StageStatus::met);
  // written 5/10 + 5/10 = 10/20: 1000 >= 50*20 = 1000 -> met.
  CHECK(r.stage(SectionKind::written).marks == Marks{10, 20});
  CHECK(r.stage(SectionKind::written).status == StageStatus::met);
  // overall 3 + 3 + 10 = 16/30 = 53 %: 1600 >= 1500 -> met.
  CHECK(r.overall == Marks{16, 30});
  CHECK(r.overall.percent() == 53);
  CHECK(r.outcome == Outcome::met);
}

TEST_CASE("per KSS area scores count an item towards each of its areas and include written marks") {
  const auto r = must_score(boundary_answers(), written_half());
  CHECK(area(r, "P1").marks == Marks{1, 2});   // k1 right, k5 (P5+P1) missing
  CHECK(area(r, "P2").marks == Marks{1, 1});   // k2
  CHECK(area(r, "P3").marks == Marks{1, 2});   // k3 right, k4 wrong
  CHECK(area(r, "P5").marks == Marks{0, 1});   // k5 missing
  CHECK(area(r, "P6").marks == Marks{7, 12});  // s1 + s3 + written 5/10
  CHECK(area(r, "P7").marks == Marks{6, 12});  // s2 + written 5/10 (s4 wrong)
  CHECK(area(r, "P8").marks == Marks{0, 1});   // s5 wrong
  // At standard means reaching the overall threshold (50 %): P1 1/2 yes, P5 0/1 no, P7 6/12 yes.
  CHECK(area(r, "P1").at_standard);
  CHECK_FALSE(area(r, "P5").at_standard);
  CHECK(area(r, "P7").at_standard);
  // KSS order, not text order.
  REQUIRE(r.areas.size() == 7);
  CHECK(r.areas.front().kss == "P1");
  CHECK(r.areas.back().kss == "P8");
}

TEST_CASE("one mark below a stage threshold is not met even when the overall score is") {
  auto answers = boundary_answers();
  answers["k3"] = R"({"choices":[0]})";  // partial selection of the keyed {0,2}: 0 marks
  const auto r = must_score(answers, written_half());
  // knowledge 2/5 = 40 %: 200 < 300 -> not met.
  CHECK(r.stage(SectionKind::knowledge).marks == Marks{2, 5});
  CHECK(r.stage(SectionKind::knowledge).status == StageStatus::not_met);
  // overall 2 + 3 + 10 = 15/30 = 50 %: 1500 >= 1500 -> met, but a stage failed.
  CHECK(r.overall == Marks{15, 30});
  CHECK(r.overall.reaches(50));
  CHECK(r.outcome == Outcome::not_met);
}

TEST_CASE("one mark below the overall threshold is not met when every stage is") {
  // written 4/10 + 5/10 = 9/20 = 45 % with written threshold 45: met; overall 3+3+9 = 15/30 = 50 %.
  // With overall 51: 1500 < 1530 -> not met.
  const auto r = must_score(boundary_answers(), std::vector<WrittenAreaMark>{{"P6", 4, 10}, {"P7", 5, 10}}, {},
                            Thresholds{60, 60, 45, 51});
  CHECK(r.stage(SectionKind::written).status == StageStatus::met);
  CHECK(r.overall == Marks{15, 30});
  CHECK(r.outcome == Outcome::not_met);
}

TEST_CASE("a multiple-response item scores only the exact keyed set") {
  auto answers = boundary_answers();
  auto k3_mark = [&](std::string value) {
    answers["k3"] = std::move(value);
    const auto r = must_score(answers, written_half());
    for (const auto& i : r.items) {
      if (i.item_id == "k3") return i.mark;
    }
    FAIL("no k3");
    return 99u;
  };
  CHECK(k3_mark(R"({"choices":[0,2]})") == 1);    // exactly the key
  CHECK(k3_mark(R"({"choices":[2,0]})") == 1);    // same set, other order
  CHECK(k3_mark(R"({"choices":[2]})") == 0);      // one of two right: no partial credit
  CHECK(k3_mark(R"({"choices":[0,1,2]})") == 0);  // the key plus an extra
  CHECK(k3_mark(R"({"choices":[1,3]})") == 0);    // wrong set
  CHECK(k3_mark(R"({"choice":0})") == 0);         // wrong shape for a multiple item
}

TEST_CASE("missing and unreadable answers score zero and count as unanswered") {
  Answers answers{{"k1", "not json"}, {"k2", R"({"choice":9})"}, {"k4", R"({"choice":-1})"}, {"s1", R"({"text":"x"})"}};
  const auto r = must_score(answers, std::vector<WrittenAreaMark>{{"P6", 0, 10}, {"P7", 0, 10}});
  // Nothing right anywhere: 0/5, 0/5, 0/20.
  CHECK(r.stage(SectionKind::knowledge).marks == Marks{0, 5});
  CHECK(r.stage(SectionKind::scenario).marks == Marks{0, 5});
  CHECK(r.overall == Marks{0, 30});
  CHECK(r.outcome == Outcome::not_met);
  REQUIRE(r.items.size() == 10);
  for (const auto& i : r.items) CHECK_FALSE(i.answered);
}

TEST_CASE("an exempt candidate's outcome rests on the knowledge stage alone") {
  assessment::Accommodations acc;
  acc.knowledge_only = true;
  const auto ex = exemptions_from(acc);
  REQUIRE(ex.size() == 2);
  // No written marks exist and none are needed: the written stage is exempt, not awaiting.
  const auto r = must_score(boundary_answers(), std::nullopt, ex);
  CHECK(r.stage(SectionKind::scenario).status == StageStatus::exempt);
  CHECK_THAT(r.stage(SectionKind::scenario).exempt_reason, ContainsSubstring("earlier trial"));
  CHECK(r.stage(SectionKind::scenario).marks == Marks{0, 0});
  CHECK(r.stage(SectionKind::written).status == StageStatus::exempt);
  // knowledge 3/5 met; overall over assessed stages only: 3/5 = 60 % >= 50 -> met.
  CHECK(r.overall == Marks{3, 5});
  CHECK(r.outcome == Outcome::met);
  // Exempt stages' areas are not reported (P6-P8 come only from scenario and written).
  for (const auto& a : r.areas) CHECK(a.kss < "P6");
  CHECK(r.items.size() == 5);
}

TEST_CASE("an exempt candidate below the knowledge threshold has not met the standard") {
  auto answers = boundary_answers();
  answers.erase("k1");  // knowledge 2/5 = 40 % < 60
  const auto r = must_score(answers, std::nullopt, {{SectionKind::scenario, "trial"}, {SectionKind::written, "trial"}});
  CHECK(r.stage(SectionKind::knowledge).status == StageStatus::not_met);
  CHECK(r.outcome == Outcome::not_met);
}

TEST_CASE("without written marks the outcome is incomplete, never not met") {
  auto answers = boundary_answers();
  answers.clear();  // even a knowledge score of 0 does not decide before marking
  const auto r = must_score(answers, std::nullopt);
  CHECK(r.stage(SectionKind::written).status == StageStatus::awaiting_marking);
  CHECK(r.stage(SectionKind::knowledge).status == StageStatus::not_met);
  CHECK(r.outcome == Outcome::incomplete);
  CHECK_THAT(next_steps(r.outcome), ContainsSubstring("still being marked"));
}

TEST_CASE("bad written marks and a mismatched scheme are refused with the reason") {
  const auto a = make_assessment();
  const auto t = thresholds();
  auto err = [&](std::vector<WrittenAreaMark> w) {
    auto r = score(a, make_scheme(), {}, w, t, {});
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK_THAT(err({{"P1", 1, 10}, {"P6", 1, 10}, {"P7", 1, 10}}), ContainsSubstring("does not assess"));
  CHECK_THAT(err({{"P6", 11, 10}, {"P7", 1, 10}}), ContainsSubstring("between 0 and its maximum"));
  CHECK_THAT(err({{"P6", 0, 0}, {"P7", 1, 10}}), ContainsSubstring("between 0 and its maximum"));
  CHECK_THAT(err({{"P6", 1, 10}, {"P6", 1, 10}}), ContainsSubstring("two written marks"));
  CHECK_THAT(err({{"P6", 1, 10}}), ContainsSubstring("no mark for P7"));

  auto scheme = make_scheme();
  scheme.version = 1;
  auto r = score(a, scheme, {}, std::nullopt, t, {});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, ContainsSubstring("version 1, not pr-demo version 2"));
  scheme = make_scheme();
  scheme.keys.pop_back();
  r = score(a, scheme, {}, std::nullopt, t, {});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, ContainsSubstring("s5 has no answer key"));
}

TEST_CASE("thresholds read from JSON strictly") {
  auto t = parse_thresholds(R"({"v":1,"knowledge":70,"scenario":65,"written":50,"overall":60})");
  REQUIRE(t);
  CHECK(*t == Thresholds{70, 65, 50, 60});
  CHECK(parse_thresholds(to_json(*t).dump()).value() == *t);
  CHECK_FALSE(parse_thresholds(R"({"v":1,"knowledge":101,"scenario":65,"written":50,"overall":60})"));
  CHECK_FALSE(parse_thresholds(R"({"v":1,"knowledge":70,"scenario":65,"written":50})"));
  CHECK_FALSE(parse_thresholds(R"({"v":1,"knowledge":70,"scenario":65,"written":50,"overall":60,"extra":1})"));
}

TEST_CASE("a score report survives its JSON form, and the candidate's form has no item detail") {
  const auto r = must_score(boundary_answers(), written_half(), {{SectionKind::scenario, "trial"}});
  const auto full = to_json(r, true);
  protocol::ObjectReader reader(full);
  auto back = decode_score_report(reader);
  REQUIRE(back);
  CHECK(*back == r);

  const auto brief = to_json(r, false);
  CHECK_FALSE(brief.contains("items"));
  protocol::ObjectReader reader2(brief);
  auto back2 = decode_score_report(reader2);
  REQUIRE(back2);
  CHECK(back2->items.empty());
  CHECK(back2->stages == r.stages);

  auto tampered = brief;
  tampered["overall"]["percent"] = 99;
  protocol::ObjectReader reader3(tampered);
  CHECK_FALSE(decode_score_report(reader3));
}

// ---- analysis.hpp ------------------------------------------------------------------------------

TEST_CASE("a written script within the band of the threshold is marked twice, band edges included") {
  const SecondMarkingPolicy p{5, 10};  // threshold 60, band 5: 55 %..65 % inclusive
  auto marks = [](std::uint32_t p6, std::uint32_t p7) { return std::vector<WrittenAreaMark>{{"P6", p6, 10}, {"P7", p7, 10}}; };
  CHECK(needs_second_marking(marks(5, 6), 60, p));        // 11/20 = 55 %: |1100 - 1200| = 100 <= 5*20
  CHECK(needs_second_marking(marks(6, 6), 60, p));        // 60 % exactly
  CHECK(needs_second_marking(marks(6, 7), 60, p));        // 65 %: 100 <= 100
  CHECK_FALSE(needs_second_marking(marks(5, 5), 60, p));  // 50 %: 200 > 100
  CHECK_FALSE(needs_second_marking(marks(7, 7), 60, p));  // 70 %
  CHECK_FALSE(needs_second_marking({}, 60, p));           // nothing marked
}

TEST_CASE("two markings disagree beyond the tolerance or across the threshold, and agreed marks round half up") {
  const SecondMarkingPolicy p{5, 10};
  auto marks = [](std::uint32_t p6, std::uint32_t p7) { return std::vector<WrittenAreaMark>{{"P6", p6, 10}, {"P7", p7, 10}}; };
  CHECK_FALSE(markers_disagree(marks(6, 6), marks(7, 7), 60, p).value());  // 12 vs 14 of 20: 10 points, both met
  CHECK(markers_disagree(marks(5, 6), marks(6, 6), 60, p).value());        // 55 % vs 60 %: either side of 60
  CHECK(markers_disagree(marks(5, 5), marks(6, 7), 60, p).value());        // 10 vs 13: 15 points > 10
  CHECK_FALSE(markers_disagree(marks(5, 5), {{"P6", 5, 10}}, 60, p));      // different maxima: refused

  const auto agreed = agreed_marks(marks(5, 7), marks(6, 7)).value();
  CHECK(agreed == std::vector<WrittenAreaMark>{{"P6", 6, 10}, {"P7", 7, 10}});  // (5+6)/2 = 5.5 -> 6
  CHECK_FALSE(agreed_marks(marks(5, 7), {{"P6", 5, 10}, {"P8", 1, 10}}));
  CHECK_FALSE(agreed_marks(marks(5, 7), {{"P6", 5, 12}, {"P7", 1, 10}}));
}

TEST_CASE("item statistics give facility and the corrected point-biserial discrimination") {
  auto report = [](std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    ScoreReport r;
    r.items = {{"a", SectionKind::knowledge, true, a}, {"b", SectionKind::knowledge, true, b},
               {"c", SectionKind::knowledge, true, c}};
    return r;
  };
  // a: 1,1,0,1; b: 1,0,0,1; c always right.
  const auto stats = item_statistics({report(1, 1, 1), report(1, 0, 1), report(0, 0, 1), report(1, 1, 1)});
  REQUIRE(stats.size() == 3);
  CHECK(stats[0].item_id == "a");
  CHECK(stats[0].candidates == 4);
  CHECK_THAT(stats[0].facility, WithinAbs(0.75, 1e-12));
  // Rest score of a = b + c: (2,1,1,2); mean 1.5. Against a (mean .75): sxy = .5, sxx = .75, syy = 1
  // -> r = .5 / sqrt(.75) = 0.57735.
  REQUIRE(stats[0].discrimination);
  CHECK_THAT(*stats[0].discrimination, WithinAbs(0.5 / std::sqrt(0.75), 1e-9));
  CHECK_THAT(stats[2].facility, WithinAbs(1.0, 1e-12));
  CHECK_FALSE(stats[2].discrimination);  // no variance: undefined, not 0
}

TEST_CASE("the equalities report never shows a group under ten, nor one derivable from the others") {
  std::vector<GroupObservation> obs;
  auto add = [&](const std::string& g, int n, int met, int flagged) {
    for (int i = 0; i < n; ++i) obs.push_back({g, i < met ? Outcome::met : Outcome::not_met, i < flagged});
  };
  add("age:25-34", 12, 8, 2);
  add("age:35-44", 9, 5, 1);   // under 10: suppressed
  add("age:45-54", 15, 10, 0);
  auto rows = aggregate_by_group(obs);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].suppressed);
  CHECK(rows[1].candidates == 0);
  CHECK(rows[1].met == 0);
  CHECK(rows[0].suppressed);  // secondary: the smallest other group (12), or 36 - 12 - 15 would give 9
  CHECK_FALSE(rows[2].suppressed);
  CHECK(rows[2].candidates == 15);
  CHECK(rows[2].met == 10);

  obs.clear();
  add("a", 10, 4, 1);  // exactly 10: shown
  add("b", 20, 10, 3);
  rows = aggregate_by_group(obs);
  CHECK_FALSE(rows[0].suppressed);
  CHECK(rows[0].candidates == 10);
  CHECK(rows[0].flagged == 1);
  CHECK_FALSE(rows[1].suppressed);

  obs.clear();
  add("a", 3, 1, 0);
  add("b", 4, 1, 0);
  add("c", 30, 10, 0);
  rows = aggregate_by_group(obs);
  CHECK(rows[0].suppressed);
  CHECK(rows[1].suppressed);
  CHECK_FALSE(rows[2].suppressed);  // two suppressed groups protect each other
}
