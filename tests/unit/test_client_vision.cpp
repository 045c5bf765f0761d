// The webcam integrity checks (client/vision) on the real fixture stills and clips with real
// OpenCV, and the Monitor writing to a real SQLCipher store in a temp dir. The only fake is a
// FrameSource that fails the way an unplugged camera does.
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include <unistd.h>

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

std::unique_ptr<client::store::Store> open_store(const fs::path& dir) {
  client::store::StoreOptions so;
  so.dir = dir;
  so.key_storage = client::store::KeyStorePreference::file;
  auto s = client::store::Store::open(std::move(so));
  if (!s) FAIL(s.error().describe());
  return std::move(*s);
}

// A real store with session "s1" and an evidence key pair, for monitors that record.
struct Recorded {
  TempDir dir;
  std::unique_ptr<client::store::Store> store = open_store(dir / "store");
  crypto::X25519KeyPair keys;
  Recorded() {
    REQUIRE(store->begin_session("s1", "a1"));
    auto k = crypto::x25519_generate();
    REQUIRE(k);
    keys = std::move(*k);
  }
  MonitorOptions options() const {
    MonitorOptions mo;
    mo.store = store.get();
    mo.evidence_public_key = keys.public_key;
    return mo;
  }
};

struct Event {
  std::string type;
  json payload;
};

std::vector<Event> events(client::store::Store& s, const std::string& session, const std::string& prefix) {
  auto entries = s.journal_entries(session);
  if (!entries) FAIL(entries.error().describe());
  std::vector<Event> out;
  for (const auto& e : *entries) {
    if (e.record.type.rfind(prefix, 0) != 0 || !e.payload) continue;
    out.push_back({e.record.type, json::parse(as_chars(*e.payload))});
  }
  return out;
}

// Polls until `done` holds; fails (does not time anything) if it never does within `limit_s`.
template <class F>
void wait_until(F done, const char* what, int limit_s = 60) {
  for (int i = 0; i < limit_s * 100; ++i) {
    if (done()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL(std::string("never happened: ") + what);
}

// A camera that is missing for `missing` opens, then sends `frames` frames and is unplugged
// (reads fail), then comes back. Counts its opens.
class FlakyCamera final : public FrameSource {
 public:
  FlakyCamera(int missing, int frames) : missing_(missing), frames_(frames) {
    image_ = cv::imread((k_fixtures / "one_face_frontal_man_office.jpg").string());
  }
  Status open() override {
    ++opens;
    if (opens <= missing_) return fail(Errc::unavailable, "no camera is connected as /dev/video9: plug in a webcam");
    sent_ = 0;
    return {};
  }
  Result<std::optional<Frame>> read() override {
    if (++sent_ > frames_ && opens == missing_ + 1)
      return fail(Errc::unavailable, "the camera stopped sending pictures: check that it is still plugged in");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Frame f;
    image_.copyTo(f.bgr);
    f.t_ms = t_ += 200;
    return f;
  }
  void close() override {}
  std::string describe() const override { return "flaky test camera"; }
  std::atomic<int> opens{0};

 private:
  int missing_, frames_, sent_ = 0;
  std::int64_t t_ = 1'000'000;
  cv::Mat image_;
};

// A 30 fps virtual camera replaying 7 distinct frames (a period that 5 fps sampling does not line
// up with). Not live: the monitor analyses every frame it offers, so the test does not depend on
// how fast this machine is.
class LoopingCamera final : public FrameSource {
 public:
  LoopingCamera() {
    cv::RNG rng(7);
    for (int i = 0; i < 7; ++i) {
      cv::Mat m(480, 640, CV_8UC3);
      rng.fill(m, cv::RNG::UNIFORM, 0, 255);
      frames_.push_back(m);
    }
  }
  Status open() override { return {}; }
  Result<std::optional<Frame>> read() override {
    Frame f;
    frames_[index_ % frames_.size()].copyTo(f.bgr);
    f.index = index_++;
    f.t_ms = 1'000'000 + static_cast<std::int64_t>(f.index) * 1000 / 30;
    return f;
  }
  void close() override {}
  std::string describe() const override { return "looping test camera"; }
  bool live() const override { return false; }

 private:
  std::vector<cv::Mat> frames_;
  std::uint64_t index_ = 0;
};

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

// ------------------------------------------------------------------------------ queue, sources

TEST_CASE("the analysis queue drops the oldest frame instead of blocking when it is full") {
  BoundedQueue<int> q(2);
  CHECK_FALSE(q.push(1));
  CHECK_FALSE(q.push(2));
  CHECK(q.push(3));  // full: returns at once, 1 dropped
  CHECK(q.push(4));
  CHECK(q.dropped() == 2);
  CHECK(q.size() == 2);
  CHECK(q.pop() == 3);
  CHECK(q.pop() == 4);
  q.close();
  CHECK_FALSE(q.pop().has_value());  // closed and empty: does not block
}

TEST_CASE("the replay detector recognises a repeated frame but not a frozen one, and forgets old frames") {
  ReplayDetector d(1000);
  cv::Mat a(120, 160, CV_8UC1, cv::Scalar(10)), b(120, 160, CV_8UC1, cv::Scalar(20)), c(120, 160, CV_8UC1, cv::Scalar(30));
  CHECK_FALSE(d.seen_small(a, 0));
  CHECK_FALSE(d.seen_small(a, 100));  // the same as the previous frame: frozen, not a replay
  CHECK_FALSE(d.seen_small(b, 200));
  CHECK(d.seen_small(a, 300));        // a came back after b
  CHECK_FALSE(d.seen_small(c, 2000));
  CHECK_FALSE(d.seen_small(b, 2100));  // b is older than the window: forgotten
  d.reset();
  CHECK_FALSE(d.seen_small(c, 2200));
}

TEST_CASE("a loop played at the camera's frame rate is flagged though only 5 frames a second are analysed") {
  MonitorOptions mo;
  auto monitor = Monitor::create(FrameSourcePtr(new LoopingCamera()), std::move(mo));
  REQUIRE(monitor);
  REQUIRE((*monitor)->start(""));
  wait_until([&] {
    auto a = (*monitor)->status().active_flags;
    return std::find(a.begin(), a.end(), "loop") != a.end();
  }, "a loop flag");
  const auto s = (*monitor)->status();
  CHECK(s.frames_captured > 5 * s.frames_analysed);  // most frames were hashed but not analysed
  (*monitor)->stop();
}

TEST_CASE("a missing video file and a folder without images give clear errors") {
  TempDir dir;
  FileSource missing(FileOptions{dir / "nope.avi", false, 0, 0});
  auto st = missing.open();
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("does not exist") != std::string::npos);
  FileSource empty(FileOptions{dir.path(), false, 0, 0});
  REQUIRE_FALSE(empty.open());
  std::ofstream(dir / "junk.jpg") << "not a jpeg";
  FileSource junk(FileOptions{dir.path(), false, 0, 0});
  REQUIRE(junk.open());
  CHECK_FALSE(junk.read());
}

TEST_CASE("a camera index with no device is reported as unavailable with advice") {
  CameraSource cam(CameraOptions{97, 640, 480});
  auto st = cam.open();
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::unavailable);
  CHECK(st.error().message.find("plug in a webcam") != std::string::npos);
}

TEST_CASE("a looping file source keeps going past the end with increasing timestamps") {
  time::ManualClock clock;
  FileSource src(FileOptions{k_fixtures / "clip_steady_one_face.avi", true, 0, 0}, clock);
  REQUIRE(src.open());
  std::int64_t last = -1;
  for (int i = 0; i < 130; ++i) {  // the clip has 60 frames
    auto f = src.read();
    REQUIRE(f);
    REQUIRE(f->has_value());
    CHECK((*f)->t_ms > last);
    last = (*f)->t_ms;
  }
}

// ------------------------------------------------------------------------------ model

TEST_CASE("a missing or altered face model falls back to the Haar cascade and says why") {
  TempDir dir;
  VisionConfig config;
  config.model_path = dir / "missing.onnx";
  auto d = FaceDetector::create(config);
  REQUIRE(d);
  CHECK_FALSE((*d)->using_model());
  CHECK((*d)->description().find("Haar cascade fallback") != std::string::npos);
  CHECK((*d)->description().find("does not exist") != std::string::npos);
  // The Haar fallback still finds a plain frontal face.
  cv::Mat img = cv::imread((k_fixtures / "one_face_frontal_man_office.jpg").string());
  CHECK_FALSE((*d)->detect(img).empty());

  std::ofstream(dir / "altered.onnx") << "not the model";
  config.model_path = dir / "altered.onnx";
  auto altered = FaceDetector::create(config);
  REQUIRE(altered);
  CHECK_FALSE((*altered)->using_model());
  CHECK((*altered)->description().find("not the expected file") != std::string::npos);
}

TEST_CASE("the installed face model is the pinned BlazeFace file") {
  auto path = find_face_model({});
  REQUIRE(path);
  auto sha = file_sha256_hex(*path);
  REQUIRE(sha);
  CHECK(*sha == k_blazeface_sha256);
  auto d = FaceDetector::create(VisionConfig{});
  REQUIRE(d);
  CHECK((*d)->using_model());
}

// ------------------------------------------------------------------------------ monitor

TEST_CASE("the monitor journals flags with sealed evidence that only the evidence key opens") {
  Recorded rec;
  auto& store = rec.store;
  MonitorOptions mo = rec.options();
  mo.config.thumbnail_every_ms = 5000;
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_camera_covered.avi", false, 4.0), std::move(mo));
  REQUIRE(monitor);
  REQUIRE_FALSE((*monitor)->start(""));  // a recording monitor needs a session
  REQUIRE((*monitor)->start("s1"));
  REQUIRE_FALSE((*monitor)->start("s1"));  // runs once
  wait_until([&] { return (*monitor)->status().camera == "ended"; }, "the clip to end");
  wait_until([&] {
    auto s = (*monitor)->status();
    return s.frames_analysed + s.frames_dropped == s.frames_captured;
  }, "the queue to drain");
  (*monitor)->stop();

  const auto flags = events(*store, "s1", "flag.");
  REQUIRE(flags.size() == 2);
  const json& raised = flags[0].payload;
  CHECK(flags[0].type == "flag.raised");
  CHECK(raised["check"] == "covered");
  CHECK(raised["severity"] == "high");
  CHECK(raised["confidence"].get<double>() > 0.5);
  CHECK(raised.contains("start_mono_ms"));
  CHECK(raised.contains("start_wall_ms"));
  REQUIRE(raised["evidence"].size() == 1);
  CHECK(flags[1].type == "flag.ended");
  CHECK(flags[1].payload["flag_id"] == raised["flag_id"]);
  CHECK(flags[1].payload["end_mono_ms"].get<std::int64_t>() > raised["start_mono_ms"].get<std::int64_t>());

  const auto thumbs = events(*store, "s1", "thumbnail.taken");
  CHECK(thumbs.size() >= 2);  // a 12 s clip, one every 5 s
  CHECK(thumbs.at(0).payload["width"] == 160);

  // Every blob is a sealed box: it opens with the evidence key (AAD = session) into a JPEG, and
  // no blob holds JPEG bytes in the clear.
  auto blobs = store->pending_blobs();
  REQUIRE(blobs);
  REQUIRE(blobs->size() == 1 + thumbs.size());
  bool found_evidence = false;
  for (const auto& b : *blobs) {
    auto data = store->blob_chunk(b.sha256, 0, b.size);
    REQUIRE(data);
    CHECK(b.priority == client::store::OutboxPriority::evidence);
    CHECK_FALSE((data->size() > 2 && (*data)[0] == 0xFF && (*data)[1] == 0xD8));
    CHECK_FALSE(crypto::open_sealed(rec.keys, *data, as_bytes("another session")));
    auto jpeg = crypto::open_sealed(rec.keys, *data, as_bytes("s1"));
    REQUIRE(jpeg);
    REQUIRE(jpeg->size() > 100);
    CHECK((*jpeg)[0] == 0xFF);
    CHECK((*jpeg)[1] == 0xD8);
    const std::string plain(as_chars(*jpeg).substr(0, 64));
    CHECK(std::string(as_chars(*data)).find(plain) == std::string::npos);
    cv::Mat decoded = cv::imdecode(*jpeg, cv::IMREAD_COLOR);
    CHECK_FALSE(decoded.empty());
    if (to_hex(b.sha256) == raised["evidence"][0].get<std::string>()) {
      found_evidence = true;
      CHECK(decoded.cols == 320);
    }
  }
  CHECK(found_evidence);
  auto report = store->verify_journal("s1");
  REQUIRE(report);
  CHECK(report->ok());
}

TEST_CASE("an unplugged camera is reported, retried with backoff and flagged while it is gone") {
  Recorded rec;
  auto& store = rec.store;
  MonitorOptions mo = rec.options();
  mo.config.camera_retry_initial_ms = 5;
  mo.config.camera_retry_max_ms = 20;
  mo.config.camera_lost_flag_after_ms = 15;
  mo.config.thumbnail_every_ms = 0;
  auto* flaky = new FlakyCamera(4, 10);  // missing 4 times, 10 frames, unplugged, back
  FrameSourcePtr cam(flaky);
  auto monitor = Monitor::create(std::move(cam), std::move(mo));
  REQUIRE(monitor);
  REQUIRE((*monitor)->start("s1"));
  wait_until([&] { return flaky->opens >= 6 && (*monitor)->status().camera == "ok"; }, "the camera to come back twice");
  wait_until([&] { return (*monitor)->capture_jpeg().has_value(); }, "a frame");
  (*monitor)->stop();

  const auto status = events(*store, "s1", "camera.status");
  std::vector<std::string> states;
  for (const auto& e : status) states.push_back(e.payload["status"]);
  // One record per change (not per retry): lost, ok, lost, ok.
  REQUIRE(states == std::vector<std::string>{"lost", "ok", "lost", "ok"});
  CHECK(status[0].payload["detail"].get<std::string>().find("plug in a webcam") != std::string::npos);
  CHECK(status[2].payload["detail"].get<std::string>().find("stopped sending pictures") != std::string::npos);
  const auto flags = events(*store, "s1", "flag.");
  REQUIRE(flags.size() >= 2);
  CHECK(flags[0].payload["check"] == "camera_lost");
  CHECK(flags[1].type == "flag.ended");
  CHECK(flags[1].payload["flag_id"] == flags[0].payload["flag_id"]);
}

TEST_CASE("a break turns the camera off, ends open flags and checks the face on return") {
  Recorded rec;
  auto& store = rec.store;
  MonitorOptions mo = rec.options();
  mo.config.thumbnail_every_ms = 0;
  // A clip of nobody: a no_face flag is open when the break starts.
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_leave_and_return.avi", true, 2.0), std::move(mo));
  REQUIRE(monitor);
  REQUIRE((*monitor)->start("s1"));
  wait_until([&] {
    auto a = (*monitor)->status().active_flags;
    return std::find(a.begin(), a.end(), "no_face") != a.end();
  }, "a no_face flag");
  (*monitor)->pause();
  CHECK((*monitor)->status().camera == "paused");
  CHECK((*monitor)->status().active_flags.empty());
  (*monitor)->resume();
  wait_until([&] {
    auto s = (*monitor)->status();
    return s.camera_detail.find("face check after the break") != std::string::npos;
  }, "the face check on return");
  (*monitor)->stop();

  const auto status = events(*store, "s1", "camera.status");
  std::vector<std::string> states;
  for (const auto& e : status) states.push_back(e.payload["status"]);
  REQUIRE(states.size() >= 4);
  CHECK(states[0] == "ok");
  CHECK(states[1] == "off_for_break");
  CHECK(states[2] == "resumed");
  CHECK(std::find(states.begin() + 3, states.end(), "ok") != states.end());
  // Every flag raised before the break ended at the break, before off_for_break.
  const auto all = events(*store, "s1", "");
  int open = 0;
  for (const auto& e : all) {
    if (e.type == "flag.raised") ++open;
    if (e.type == "flag.ended") --open;
    if (e.type == "camera.status" && e.payload["status"] == "off_for_break") CHECK(open == 0);
  }
  CHECK(open == 0);
}

TEST_CASE("the monitor drops frames it cannot analyse in time and never stalls the camera") {
  MonitorOptions mo;  // no store: the system check writes nothing
  mo.config.queue_capacity = 1;
  // 100 times real time (500 frames a second): far more than the analysis takes.
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_steady_one_face.avi", true, 100), std::move(mo));
  REQUIRE(monitor);
  REQUIRE((*monitor)->start(""));
  // Frames are dropped and capture goes on.
  wait_until([&] { return (*monitor)->status().frames_dropped >= 20; }, "dropped frames");
  const auto s = (*monitor)->status();
  CHECK(s.frames_captured > s.frames_analysed);
  CHECK(s.faces == 1);
  CHECK(s.face_clear);
  CHECK(s.message == "We can see your face clearly.");
  CHECK(s.detector.find("BlazeFace") != std::string::npos);
  (*monitor)->stop();
  CHECK((*monitor)->status().camera == "stopped");
}

TEST_CASE("identity photos come from the live camera and the reference must show one face") {
  MonitorOptions mo;
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_steady_one_face.avi", true, 0), std::move(mo));
  REQUIRE(monitor);
  auto none = (*monitor)->capture_jpeg();
  REQUIRE_FALSE(none);  // not started: no picture yet
  CHECK(none.error().code == Errc::unavailable);
  REQUIRE((*monitor)->start(""));
  wait_until([&] { return (*monitor)->capture_jpeg().has_value(); }, "a picture");
  auto jpeg = (*monitor)->capture_jpeg(320);
  REQUIRE(jpeg);
  cv::Mat img = cv::imdecode(*jpeg, cv::IMREAD_COLOR);
  CHECK(img.cols == 320);
  CHECK((*monitor)->set_reference_jpeg(*jpeg));

  auto bad = (*monitor)->set_reference_jpeg(as_bytes("not a jpeg"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
  std::vector<std::uint8_t> empty_room;
  cv::imencode(".jpg", cv::imread((k_fixtures / "no_face_kitchen.jpg").string()), empty_room);
  auto nobody = (*monitor)->set_reference_jpeg(empty_room);
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error().message.find("no face") != std::string::npos);
  std::vector<std::uint8_t> two;
  cv::imencode(".jpg", cv::imread((k_fixtures / "multi_2_sofa.jpg").string()), two);
  auto crowd = (*monitor)->set_reference_jpeg(two);
  REQUIRE_FALSE(crowd);
  CHECK(crowd.error().message.find("more than one face") != std::string::npos);
  (*monitor)->stop();
}

TEST_CASE("a store without enrolment cannot start the monitor, since evidence could not be sealed") {
  TempDir dir;
  auto store = open_store(dir / "store");
  MonitorOptions mo;
  mo.store = store.get();
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_steady_one_face.avi"), std::move(mo));
  REQUIRE_FALSE(monitor);
  CHECK(monitor.error().message.find("not enrolled") != std::string::npos);
}

// The four-hour figure is `tests/bench/run.sh vision-soak` (release build); this is the same
// path for 10 minutes of session (every frame analysed), so that it also runs under ASan (leaks).
TEST_CASE("ten minutes of session through the monitor keep its memory flat") {
  Recorded rec;
  MonitorOptions mo = rec.options();
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_second_face_appears.avi", true, 0), std::move(mo));
  REQUIRE(monitor);
  auto rss_mb = [] {
    std::ifstream in("/proc/self/statm");
    long total = 0, resident = 0;
    in >> total >> resident;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
  };
  REQUIRE((*monitor)->start("s1"));
  std::int64_t first = 0;
  wait_until([&] { return (first = (*monitor)->status().last_frame_ms) > 0; }, "a first frame");
  auto session_ms = [&] { return (*monitor)->status().last_frame_ms - first; };
  wait_until([&] { return session_ms() >= 2 * 60'000; }, "two minutes of session (warm-up)", 600);
  const double warm = rss_mb();
  wait_until([&] { return session_ms() >= 10 * 60'000; }, "ten minutes of session", 1200);
  const double end = rss_mb();
  const auto status = (*monitor)->status();
  (*monitor)->stop();
  INFO("RSS after warm-up " << warm << " MB, after 10 min " << end << " MB; " << status.frames_analysed << " frames analysed");
  CHECK(status.frames_dropped == 0);  // paced by the analysis: every frame analysed
  CHECK(status.frames_analysed >= 2900);
  CHECK(status.flags_raised >= 40);  // the second face comes and goes every 13 s: flags and evidence
  CHECK(status.last_error.empty());
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(end - warm <= 10.0);  // ASan's quarantine holds freed memory, so RSS means nothing there
#endif
}
