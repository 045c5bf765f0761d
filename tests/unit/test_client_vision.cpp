// The webcam integrity checks (client/vision) on the real fixture stills and clips with real
// OpenCV: single stills, whole clips, the flag engine and the LBP identity check. The Monitor and
// the frame sources are in test_client_vision_monitor.cpp.
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>


#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "client/store/store.hpp"
#include "client/vision/analyser.hpp"
#include "client/vision/bounded_queue.hpp"
#include "client/vision/flag_engine.hpp"
#include "client/vision/frame_source.hpp"
#include "client/vision/lbp.hpp"
#include "client/vision/monitor.hpp"
#include "client/vision/offline.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/x25519.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client::vision;
using vigil::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path k_fixtures = VIGIL_FACE_FIXTURES;

FrameAnalyser& analyser() {
  static auto a = [] {
    auto r = FrameAnalyser::create(VisionConfig{});
    if (!r) FAIL(r.error().describe());
    return std::move(*r);
  }();
  return *a;
}

Observation still(const std::string& name) {
  auto o = analyse_image(analyser(), k_fixtures / name);
  if (!o) FAIL(o.error().describe());
  return *o;
}

std::vector<FlagSpan> clip_flags(const std::string& name, VisionConfig config = {}) {
  auto r = analyse_clip(k_fixtures / name, config);
  if (!r) FAIL(r.error().describe());
  return r->flags;
}

std::vector<std::string> names(const std::vector<FlagSpan>& flags) {
  std::vector<std::string> out;
  for (const auto& f : flags) out.emplace_back(check_name(f.check));
  return out;
}

// The clip raises exactly one flag, of `check`, within [earliest_start, latest_end] seconds.
FlagSpan only_flag(const std::string& clip, const char* check, double earliest_start, double latest_end) {
  const auto flags = clip_flags(clip);
  REQUIRE(names(flags) == std::vector<std::string>{check});
  CHECK(flags[0].start_s >= earliest_start);
  CHECK(flags[0].end_s <= latest_end);
  return flags[0];
}

}  // namespace


// ------------------------------------------------------------------------------ stills

TEST_CASE("a frontal face in good light counts as one face and raises nothing") {
  const auto o = still("one_face_frontal_man_office.jpg");
  CHECK(o.face_count() == 1);
  CHECK(o.flags().empty());
  CHECK(lighting_advice(o) == "We can see your face clearly.");
}

TEST_CASE("each labelled still condition raises its own check") {
  CHECK(still("no_face_kitchen.jpg").flags() == "no_face");
  CHECK(still("no_face_cat.jpg").face_count() == 0);  // an animal is not a person
  const auto two = still("multi_2_sofa.jpg");
  CHECK(two.face_count() == 2);
  CHECK(two.has(Check::multi_face));
  CHECK(still("multi_5_stairs.jpg").face_count() == 5);  // small faces further back: the tiles find them
  const auto profile = still("look_away_profile_camera.jpg");
  CHECK(profile.face_count() == 1);
  CHECK(profile.has(Check::look_away));
  CHECK_FALSE(still("one_face_turned_wall.jpg").has(Check::look_away));  // turned ~35 degrees, eyes on the camera
}

TEST_CASE("a covered lens is reported as covered, not as an absent candidate") {
  for (const char* name : {"covered_black_1.jpg", "covered_palm.jpg", "covered_tape_beige.jpg"}) {
    const auto o = still(name);
    INFO(name);
    CHECK(o.flags() == "covered");
    CHECK(lighting_advice(o).find("covered") != std::string::npos);
  }
}

TEST_CASE("a dim picture still finds the face and advises more light") {
  const auto o = still("dark_dim_mediumdark_skin_mirror.jpg");
  CHECK(o.face_count() == 1);
  CHECK(o.has(Check::dark));
  CHECK_FALSE(o.has(Check::covered));
  CHECK(lighting_advice(o).find("too dark") != std::string::npos);
  const auto very = still("dark_verydark_man_office.jpg");  // exposure x0.06: dark, not covered
  CHECK(very.has(Check::dark));
  CHECK(very.face_count() == 1);
}

// ------------------------------------------------------------------------------ clips

TEST_CASE("a steady single face for twelve seconds raises no flag at all") {
  CHECK(names(clip_flags("clip_steady_one_face.avi")).empty());
}

TEST_CASE("leaving the desk raises one no-face flag spanning the absence") {
  const auto flag = only_flag("clip_leave_and_return.avi", "no_face", 3.0, 13.0);  // absent 4-12 s
  CHECK(flag.start_s <= 4.5);
  CHECK(flag.end_s >= 11.5);
}

TEST_CASE("a second person leaning in raises one multi-face flag") {
  CHECK(std::string(only_flag("clip_second_face_appears.avi", "multi_face", 3.5, 9.5).severity) == "high");
}

TEST_CASE("covering the camera raises one covered flag and no no-face flag") {
  only_flag("clip_camera_covered.avi", "covered", 3.0, 10.2);
}

TEST_CASE("identical frames raise a frozen flag and a replayed segment raises a loop flag") {
  only_flag("clip_frozen_feed.avi", "frozen", 2.8, 9.2);
  only_flag("clip_looping_feed.avi", "loop", 3.0, 13.0);
}

TEST_CASE("a different person taking the seat raises a face-changed hint") {
  const auto flag = only_flag("clip_face_changed.avi", "face_changed", 5.0, 14.0);  // not before the swap
  CHECK(flag.confidence <= 0.6f);  // a hint, never certain (analyser.hpp invariant 3)
}

TEST_CASE("a stricter persistence rule suppresses a short absence") {
  VisionConfig config;
  config.no_face.raise_after_ms = 20'000;  // longer than the 8 s absence
  CHECK(names(clip_flags("clip_leave_and_return.avi", config)).empty());
}

// ------------------------------------------------------------------------------ flag engine

TEST_CASE("the flag engine raises only after the persistence time and ends after the hysteresis") {
  VisionConfig config;  // no_face: raise after 3 s, end after 1.5 s, gaps up to 600 ms
  FlagEngine engine(config);
  Conditions none{}, absent{};
  absent[static_cast<std::size_t>(Check::no_face)] = {true, 0.8f};
  std::vector<FlagEvent> all;
  auto feed = [&](std::int64_t from, std::int64_t to, const Conditions& c) {
    for (std::int64_t t = from; t < to; t += 200) {
      auto ev = engine.update(t, c);
      all.insert(all.end(), ev.begin(), ev.end());
    }
  };
  feed(0, 2800, absent);  // 2.6 s of absence: below the rule
  feed(2800, 4000, none);
  CHECK(all.empty());
  feed(4000, 7200, absent);  // 3.0 s: raised
  REQUIRE(all.size() == 1);
  CHECK(all[0].kind == FlagEvent::Kind::raised);
  CHECK(all[0].start_ms == 4000);
  CHECK(engine.active(Check::no_face));
  feed(7200, 7600, none);  // a short return (400 ms) does not end it
  feed(7600, 8000, absent);
  CHECK(all.size() == 1);
  feed(8000, 9600, none);  // 1.6 s back: ended at the last absent frame
  REQUIRE(all.size() == 2);
  CHECK(all[1].kind == FlagEvent::Kind::ended);
  CHECK(all[1].flag_id == all[0].flag_id);
  CHECK(all[1].end_ms == 7800);
  CHECK(all[1].confidence == 0.8f);
}

TEST_CASE("finishing the flag engine ends every raised flag exactly once") {
  FlagEngine engine(VisionConfig{});
  Conditions c{};
  c[static_cast<std::size_t>(Check::multi_face)] = {true, 0.9f};
  for (std::int64_t t = 0; t <= 2000; t += 200) (void)engine.update(t, c);
  REQUIRE(engine.active(Check::multi_face));
  const auto ended = engine.finish();
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].check == Check::multi_face);
  CHECK(engine.finish().empty());
}

TEST_CASE("check names round-trip and unknown names are refused") {
  for (std::size_t i = 0; i < k_check_count; ++i) CHECK(parse_check(check_name(static_cast<Check>(i))) == static_cast<Check>(i));
  CHECK_FALSE(parse_check("cheating").has_value());
}

// ------------------------------------------------------------------------------ identity hint (lbp.hpp)

namespace {

// A 64x64 equalised grey crop of a face box of a fixture still, as the analyser makes for the
// identity hint (without its roll correction); `noise`: sigma of Gaussian sensor noise added to
// the photo first (fixed seed).
cv::Mat face_crop(const std::string& name, cv::Rect box, double noise = 0) {
  cv::Mat grey = cv::imread((k_fixtures / name).string(), cv::IMREAD_GRAYSCALE);
  REQUIRE_FALSE(grey.empty());
  if (noise > 0) {
    cv::Mat n(grey.size(), CV_16SC1), wide;
    cv::RNG rng(42);
    rng.fill(n, cv::RNG::NORMAL, 0, noise);
    grey.convertTo(wide, CV_16SC1);
    wide += n;
    wide.convertTo(grey, CV_8UC1);  // saturating
  }
  cv::Mat crop;
  cv::resize(grey(box), crop, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
  cv::equalizeHist(crop, crop);
  return crop;
}

// Face boxes of faces.csv (x, y, width, height).
const cv::Rect k_jesper_office{177, 111, 277, 277};  // one_face_frontal_man_office.jpg
const cv::Rect k_s3_mid_bar{178, 50, 285, 285};       // one_face_frontal_bar.jpg
const cv::Rect k_astronaut{215, 89, 129, 129};        // one_face_frontal_astronaut.jpg
const cv::Rect k_webcam_man{237, 60, 216, 215};       // one_face_webcam_overlay.jpg

}  // namespace

TEST_CASE("an LBP code sets bit n for the neighbour at 2 pi n / 8 counter-clockwise from the right when it is not darker") {
  // Brighter to the right and downwards. Centre 50: right 60 (bit 0) and down 80 (bit 6) are
  // brighter, up 20 (bit 2) and left 40 (bit 4) darker. The diagonals are interpolated (weights
  // 0.5 on the corner, 0.207 on each side, 0.086 on the centre): up-right (bit 1)
  // 0.207*20 + 0.5*30 + 0.086*50 + 0.207*60 = 35.9 and up-left (bit 3) 21.7 are darker,
  // down-left (bit 5) 0.207*40 + 0.086*50 + 0.5*70 + 0.207*80 = 64.1 and down-right (bit 7) 78.3
  // brighter: 1 + 32 + 64 + 128.
  const cv::Mat gradient = (cv::Mat_<std::uint8_t>(3, 3) << 10, 20, 30, 40, 50, 60, 70, 80, 90);
  cv::Mat codes = lbp_codes(gradient);
  REQUIRE(codes.size() == cv::Size(1, 1));
  CHECK(int{codes.at<std::uint8_t>(0, 0)} == 225);
  // Upside down (70 80 90 / 40 50 60 / 10 20 30), brighter upwards: right (bit 0), up-right 78.3
  // (bit 1), up 80 (bit 2) and up-left 64.1 (bit 3). Bit 2 is up: y = -r sin.
  cv::Mat flipped;
  cv::flip(gradient, flipped, 0);
  codes = lbp_codes(flipped);
  CHECK(int{codes.at<std::uint8_t>(0, 0)} == (1 | 2 | 4 | 8));

  // A bright peak: every neighbour darker, code 0. A dark pit: every neighbour brighter, 255.
  const cv::Mat peak = (cv::Mat_<std::uint8_t>(3, 3) << 90, 90, 90, 90, 200, 90, 90, 90, 90);
  const cv::Mat pit = (cv::Mat_<std::uint8_t>(3, 3) << 90, 90, 90, 90, 3, 90, 90, 90, 90);
  CHECK(int{lbp_codes(peak).at<std::uint8_t>(0, 0)} == 0);
  CHECK(int{lbp_codes(pit).at<std::uint8_t>(0, 0)} == 255);
  CHECK(lbp_codes(cv::Mat(2, 2, CV_8UC1, cv::Scalar(1))).empty());       // no pixel has all its neighbours
  CHECK(lbp_codes(cv::Mat(9, 9, CV_8UC3, cv::Scalar::all(1))).empty());  // colour: not described
}

TEST_CASE("an LBP histogram counts each cell's codes from the top-left, normalised by the cell's size") {
  // One bright pixel in a black 5x5 image. Its code is 0; every other interior pixel has nothing
  // darker around it (0 equals 0) and codes 255. The codes are 3x3.
  cv::Mat img(5, 5, CV_8UC1, cv::Scalar(0));
  img.at<std::uint8_t>(1, 1) = 200;
  const cv::Mat codes = lbp_codes(img);
  REQUIRE(codes.size() == cv::Size(3, 3));
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) CHECK(int{codes.at<std::uint8_t>(y, x)} == (x == 0 && y == 0 ? 0 : 255));

  const LbpHistogram one = lbp_histogram(img, LbpGrid{1, 1, 1});
  REQUIRE(one.size() == 256);
  CHECK(one[0] == Catch::Approx(1.0 / 9));
  CHECK(one[255] == Catch::Approx(8.0 / 9));
  // 2x2 cells of 1x1 code (3 / 2 = 1): the last row and column of codes are not counted.
  const LbpHistogram four = lbp_histogram(img, LbpGrid{1, 2, 2});
  REQUIRE(four.size() == 4 * 256);
  CHECK(four[0] == 1.0f);
  CHECK(four[255] == 0.0f);
  for (int cell = 1; cell < 4; ++cell) CHECK(four[cell * 256 + 255] == 1.0f);
  // Three cells across, one down: columns of three codes, left to right.
  const LbpHistogram columns = lbp_histogram(img, LbpGrid{1, 3, 1});
  REQUIRE(columns.size() == 3 * 256);
  CHECK(columns[0] == Catch::Approx(1.0 / 3));
  CHECK(columns[255] == Catch::Approx(2.0 / 3));
  CHECK(columns[256 + 255] == 1.0f);
  CHECK(columns[512 + 255] == 1.0f);
  CHECK(lbp_histogram(img, LbpGrid{1, 4, 4}).empty());  // a cell would hold no code
}

TEST_CASE("the LBP distance is chi-square: 2 sum (a - b)^2 / (a + b), skipping empty bins") {
  CHECK(lbp_distance({0.5f, 0.5f, 0.0f}, {1.0f, 0.0f, 0.0f}) == Catch::Approx(2 * (0.25 / 1.5 + 0.25 / 0.5)));
  CHECK(lbp_distance({0.25f, 0.0f}, {0.25f, 0.0f}) == 0.0);
  CHECK(std::isinf(lbp_distance({1.0f}, {0.5f, 0.5f})));  // different grids: never "the same face"
  CHECK(std::isinf(lbp_distance({}, {})));
  CHECK(std::isinf(LbpModel{}.distance(cv::Mat(64, 64, CV_8UC1, cv::Scalar(7)))));  // no reference
}

TEST_CASE("the identity distance is 0 for the same face, symmetric, and larger for another person than for the same face with noise") {
  const cv::Mat jesper = face_crop("one_face_frontal_man_office.jpg", k_jesper_office);
  const cv::Mat jesper_noisy = face_crop("one_face_frontal_man_office.jpg", k_jesper_office, 6);
  const std::vector<cv::Mat> others = {face_crop("one_face_frontal_bar.jpg", k_s3_mid_bar),
                                       face_crop("one_face_frontal_astronaut.jpg", k_astronaut),
                                       face_crop("one_face_webcam_overlay.jpg", k_webcam_man)};
  LbpModel model;
  model.train({jesper});
  CHECK(model.distance(jesper) == 0.0);
  const double same = model.distance(jesper_noisy);
  CAPTURE(same);
  CHECK(same > 0);
  CHECK(same < VisionConfig{}.identity_max_distance);
  for (const cv::Mat& other : others) {
    const double d = model.distance(other);
    CAPTURE(d);
    CHECK(d > same);
    CHECK(d > VisionConfig{}.identity_max_distance);
    LbpModel reverse;
    reverse.train({other});
    CHECK(reverse.distance(jesper) == d);  // symmetric
    CHECK(lbp_distance(lbp_histogram(other), lbp_histogram(jesper)) == d);
  }
  // Several references: the nearest counts.
  model.train({others[0], jesper_noisy, others[1]});
  CHECK(model.distance(jesper) == same);
}
