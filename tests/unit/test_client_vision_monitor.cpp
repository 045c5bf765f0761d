// The webcam integrity checks (client/vision) beyond single stills and clips: the analysis queue,
// the replay detector, frame sources, the face model, and the Monitor writing to a real SQLCipher
// store in a temp dir, on the real fixture clips with real OpenCV. The only fakes are FrameSources
// that fail the way an unplugged camera does or loop faster than real time.
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>  // GetProcessMemoryInfo (kernel32's K32 entry point on Windows 7 and later)
#else
#include <unistd.h>  // sysconf
#endif


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
#include "tests/support/client_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client::vision;
using vigil::testing::open_store;
using vigil::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path k_fixtures = VIGIL_FACE_FIXTURES;

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
  // A monitor recording here from a fixture clip, played as file_source(clip, loop, speed) plays it.
  Result<std::unique_ptr<Monitor>> monitor_on(const std::string& clip, bool loop, double speed,
                                              std::int64_t thumbnail_every_ms) const {
    MonitorOptions mo = options();
    mo.config.thumbnail_every_ms = thumbnail_every_ms;
    return Monitor::create(file_source(k_fixtures / clip, loop, speed), std::move(mo));
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

// Plays a (non-looping) clip to its end, lets the analysis queue drain, then stops the monitor.
void play_to_end(Monitor& m) {
  wait_until([&] { return m.status().camera == "ended"; }, "the clip to end");
  wait_until([&] {
    auto s = m.status();
    return s.frames_analysed + s.frames_dropped == s.frames_captured;
  }, "the queue to drain");
  m.stop();
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
  auto monitor = rec.monitor_on("clip_camera_covered.avi", false, 4.0, 5000);
  REQUIRE(monitor);
  REQUIRE_FALSE((*monitor)->start(""));  // a recording monitor needs a session
  REQUIRE((*monitor)->start("s1"));
  REQUIRE_FALSE((*monitor)->start("s1"));  // runs once
  play_to_end(**monitor);

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
  // A clip of nobody: a no_face flag is open when the break starts.
  auto monitor = rec.monitor_on("clip_leave_and_return.avi", true, 2.0, 0);
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
  mo.identity_hint = true;  // the candidate consented to automated checking
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

// Issue 16: a candidate who chooses "By a person instead" gets no biometric processing. The
// session's monitor starts with the identity hint off (the product starts it at the identity
// step, before the choice) and only consent switches it on. The clip swaps one person for
// another at 5-6.6 s; with consent the same clip raises face_changed, so the check can fail.
TEST_CASE("without consent to automated checking the monitor builds no face reference and never raises face_changed") {
  const auto face_changed_flags = [](bool consent) {
    Recorded rec;
    auto monitor = rec.monitor_on("clip_face_changed.avi", false, 2.0, 0);
    REQUIRE(monitor);
    if (consent) {
      REQUIRE((*monitor)->enable_identity_hint({}));  // no photo: the first seconds are the reference
    } else {
      // Without consent a reference photo is refused before it is even decoded.
      auto refused = (*monitor)->set_reference_jpeg(as_bytes("any photo"));
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code == Errc::conflict);
    }
    REQUIRE((*monitor)->start("s1"));
    play_to_end(**monitor);
    std::size_t n = 0;
    for (const auto& e : events(*rec.store, "s1", "flag.raised")) n += e.payload["check"] == "face_changed";
    return n;
  };
  CHECK(face_changed_flags(false) == 0);
  CHECK(face_changed_flags(true) >= 1);
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
#ifdef _WIN32
  // Under Wine (not real Windows) the working set grows about 1.3 MB per session minute here:
  // Wine's heap keeps memory when a frame is allocated on the capture thread and freed on the
  // analysis thread. The same frames read and analysed on one thread stay flat, as does the store
  // (docs/PLATFORMS.md). Real Windows has not been measured; this test is for it.
  if (::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr)
    SKIP("under Wine: its heap grows with frames freed on another thread (docs/PLATFORMS.md)");
#endif
  Recorded rec;
  MonitorOptions mo = rec.options();
  auto monitor = Monitor::create(file_source(k_fixtures / "clip_second_face_appears.avi", true, 0), std::move(mo));
  REQUIRE(monitor);
  auto rss_mb = [] {
#ifdef _WIN32
    PROCESS_MEMORY_COUNTERS pmc{};
    ::GetProcessMemoryInfo(::GetCurrentProcess(), &pmc, sizeof pmc);
    return static_cast<double>(pmc.WorkingSetSize) / (1024.0 * 1024.0);
#else
    std::ifstream in("/proc/self/statm");
    long total = 0, resident = 0;
    in >> total >> resident;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
#endif
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
