#include "client/vision/monitor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "client/store/store.hpp"
#include "client/vision/analyser.hpp"
#include "client/vision/bounded_queue.hpp"
#include "client/vision/flag_engine.hpp"
#include "client/vision/frame_source.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"

namespace vigil::client::vision {

using nlohmann::json;

void FrameSourceDeleter::operator()(FrameSource* source) const noexcept { delete source; }

FrameSourcePtr camera_source(int index, int width, int height, const time::Clock& clock) {
  return FrameSourcePtr(new CameraSource(CameraOptions{index, width, height}, clock));
}

FrameSourcePtr file_source(const std::filesystem::path& path, bool loop, double speed, const time::Clock& clock) {
  return FrameSourcePtr(new FileSource(FileOptions{path, loop, speed, 0}, clock));
}

struct Monitor::Impl {
  MonitorOptions options;
  const time::Clock* clock = nullptr;
  FrameSourcePtr source;
  Bytes evidence_key;

  // Analysis state: analyser, engine and everything they write; guarded by analysis_mu.
  std::mutex analysis_mu;
  std::unique_ptr<FrameAnalyser> analyser;
  FlagEngine engine{VisionConfig{}};
  std::string run_id;                       // prefix of this run's flag ids
  std::map<std::uint64_t, std::string> open_flags;  // engine flag id -> journal flag_id
  std::int64_t last_thumbnail_ms = -1;
  std::int64_t return_check_until = 0;      // > 0: a face check on return is pending
  std::uint64_t camera_lost_seq = 0;
  std::string camera_lost_flag;             // journal flag_id while a camera_lost flag is open
  std::int64_t camera_lost_since = -1;

  // Shared state: guarded by mu.
  mutable std::mutex mu;
  std::condition_variable wake;
  bool started = false, paused = false, stopping = false;
  std::string session;
  MonitorStatus status;
  cv::Mat latest;                           // the latest captured frame (for capture_jpeg)

  // A frame offered for analysis, with the generation it was captured in (+1 at every pause and
  // every resume): a frame read before or during a break is never analysed after it (a reopened
  // source's times may restart lower, and the flag engine needs them not to run backwards).
  struct Offered {
    Frame frame;
    std::uint64_t generation = 0;
  };
  std::uint64_t generation = 0;  // guarded by mu
  std::unique_ptr<BoundedQueue<Offered>> queue;  // capacity: config.queue_capacity
  std::thread capture_thread, analysis_thread;

  std::int64_t mono_ms() const { return static_cast<std::int64_t>(clock->monotonic_ns() / 1'000'000u); }
  std::int64_t wall_for(std::int64_t t_ms) const { return clock->wall_ms() + (t_ms - mono_ms()); }

  // ---- journal (analysis_mu held, or the threads stopped) ----
  void note_error(const Error& e, std::string_view what) {
    log::warn("vision_error", {{"during", what}, {"detail", e.message}});
    std::lock_guard lock(mu);
    status.last_error = std::string(what) + ": " + e.message;
  }
  void record(std::string_view type, const json& payload) {
    if (options.store == nullptr) return;
    if (auto r = options.store->record_event(session, type, payload.dump()); !r) note_error(r.error(), "recording " + std::string(type));
  }
  void camera_status(std::string_view state, const std::string& detail) {
    {
      std::lock_guard lock(mu);
      if (status.camera == state && status.camera_detail == detail) return;  // invariant 3
      status.camera = std::string(state);
      status.camera_detail = detail;
    }
    std::string journal_state(state);
    if (state != "ok" && state != "lost" && state != "busy" && state != "off_for_break" && state != "resumed") return;
    record("camera.status", json{{"status", journal_state}, {"detail", detail}});
  }
  // Seals a downscaled JPEG of the frame and stores it; returns its SHA-256 (hex) or "".
  std::string seal_jpeg(const cv::Mat& bgr, int width, std::string_view what, int* out_w = nullptr, int* out_h = nullptr) {
    if (options.store == nullptr || bgr.empty()) return {};
    cv::Mat small;
    const double f = std::min(1.0, width / static_cast<double>(bgr.cols));
    cv::resize(bgr, small, cv::Size(), f, f, cv::INTER_AREA);
    std::vector<std::uint8_t> jpeg;
    if (!cv::imencode(".jpg", small, jpeg, {cv::IMWRITE_JPEG_QUALITY, options.config.jpeg_quality})) {
      note_error(Error(Errc::internal, "JPEG encoding failed"), what);
      return {};
    }
    auto sealed = crypto::seal(evidence_key, jpeg, as_bytes(session));  // invariant 1
    std::fill(jpeg.begin(), jpeg.end(), std::uint8_t{0});
    if (!sealed) { note_error(sealed.error(), what); return {}; }
    auto sha = options.store->add_blob(session, *sealed, store::OutboxPriority::evidence);
    if (!sha) { note_error(sha.error(), what); return {}; }
    if (out_w != nullptr) *out_w = small.cols;
    if (out_h != nullptr) *out_h = small.rows;
    return to_hex(ByteView(sha->data(), sha->size()));
  }
  void handle(const FlagEvent& e, const cv::Mat& frame) {
    if (e.kind == FlagEvent::Kind::raised) {
      const std::string id = run_id + "-" + std::to_string(e.flag_id);
      open_flags[e.flag_id] = id;
      json evidence = json::array();
      if (auto sha = seal_jpeg(frame, options.config.evidence_width, "sealing evidence"); !sha.empty()) evidence.push_back(sha);
      record("flag.raised", json{{"flag_id", id}, {"check", check_name(e.check)}, {"severity", e.severity},
                                 {"confidence", std::round(e.confidence * 100) / 100}, {"start_mono_ms", e.start_ms},
                                 {"start_wall_ms", wall_for(e.start_ms)}, {"evidence", evidence}});
      std::lock_guard lock(mu);
      ++status.flags_raised;
      return;
    }
    auto it = open_flags.find(e.flag_id);
    const std::string id = it != open_flags.end() ? it->second : run_id + "-" + std::to_string(e.flag_id);
    if (it != open_flags.end()) open_flags.erase(it);
    record("flag.ended", json{{"flag_id", id}, {"end_mono_ms", e.end_ms}, {"end_wall_ms", wall_for(e.end_ms)},
                              {"peak_confidence", std::round(e.confidence * 100) / 100}});
  }
  void end_all_flags() {
    for (const FlagEvent& e : engine.finish()) handle(e, {});
    end_camera_lost(mono_ms());
  }
  void raise_camera_lost(std::int64_t since) {
    if (!camera_lost_flag.empty()) return;
    camera_lost_flag = run_id + "-c" + std::to_string(++camera_lost_seq);
    record("flag.raised", json{{"flag_id", camera_lost_flag}, {"check", "camera_lost"},
                               {"severity", options.config.camera_lost.severity}, {"confidence", 1.0},
                               {"start_mono_ms", since}, {"start_wall_ms", wall_for(since)}, {"evidence", json::array()}});
    std::lock_guard lock(mu);
    ++status.flags_raised;
  }
  void end_camera_lost(std::int64_t at) {
    camera_lost_since = -1;
    if (camera_lost_flag.empty()) return;
    record("flag.ended", json{{"flag_id", camera_lost_flag}, {"end_mono_ms", at}, {"end_wall_ms", wall_for(at)},
                              {"peak_confidence", 1.0}});
    camera_lost_flag.clear();
  }

  // ---- threads ----
  void capture_loop() {
    bool open = false, ended = false;
    std::int64_t backoff = options.config.camera_retry_initial_ms;
    const double period = options.config.analysis_fps > 0 ? 1000.0 / options.config.analysis_fps : 0;
    double next_due = -1;
    // Every captured frame is hashed, not only the analysed ones, so that a loop replayed at the
    // camera's rate is recognised whatever frames the 5 fps sampling picks.
    ReplayDetector replay(options.config.loop_history_ms);
    bool replay_pending = false;
    for (;;) {
      {
        std::unique_lock lock(mu);
        if (stopping) break;
        if (paused || ended) {
          if (open) { source->close(); open = false; }
          replay.reset();  // after a break the scene legitimately starts again
          replay_pending = false;
          wake.wait(lock, [&] { return stopping || (!paused && !ended); });
          continue;
        }
      }
      if (!open) {
        auto st = source->open();
        if (!st) {
          const bool busy = st.error().code == Errc::busy;
          camera_status(busy ? "busy" : "lost", st.error().message);
          {
            std::lock_guard a(analysis_mu);
            const std::int64_t now = mono_ms();
            if (camera_lost_since < 0) camera_lost_since = now;
            if (now - camera_lost_since >= options.config.camera_lost_flag_after_ms) raise_camera_lost(camera_lost_since);
          }
          std::unique_lock lock(mu);
          wake.wait_for(lock, std::chrono::milliseconds(backoff), [&] { return stopping || paused; });
          backoff = std::min(backoff * 2, options.config.camera_retry_max_ms);
          continue;
        }
        open = true;
        backoff = options.config.camera_retry_initial_ms;
        next_due = -1;
        camera_status("ok", "the camera is working (" + source->describe() + ")");
        std::lock_guard a(analysis_mu);
        end_camera_lost(mono_ms());
      }
      auto r = source->read();
      if (!r) {
        source->close();
        open = false;
        camera_status("lost", r.error().message);
        std::lock_guard a(analysis_mu);
        if (camera_lost_since < 0) camera_lost_since = mono_ms();
        continue;
      }
      if (!*r) {  // the end of a file source that does not loop
        std::lock_guard lock(mu);
        status.camera = "ended";
        status.camera_detail = "the video ended";
        ended = true;
        continue;
      }
      Frame f = std::move(**r);
      replay_pending = replay.seen(f.bgr, f.t_ms) || replay_pending;
      std::uint64_t gen = 0;
      {
        std::lock_guard lock(mu);
        ++status.frames_captured;
        latest = f.bgr;
        gen = generation;
      }
      if (next_due < 0 || static_cast<double>(f.t_ms) + 1e-6 >= next_due) {
        next_due = (next_due < 0 ? static_cast<double>(f.t_ms) : next_due) + period;
        f.replayed = replay_pending;
        replay_pending = false;
        if (next_due < static_cast<double>(f.t_ms)) next_due = static_cast<double>(f.t_ms) + period;
        Offered offered{std::move(f), gen};
        if (source->live()) queue->push(std::move(offered));  // never blocks (bounded_queue.hpp invariant 1)
        else queue->push_wait(std::move(offered));            // a file read as fast as the analysis goes
      }
    }
    if (open) source->close();
  }

  void analysis_loop() {
    while (auto offered = queue->pop()) {
      std::lock_guard a(analysis_mu);
      {
        std::lock_guard lock(mu);
        if (paused || stopping || offered->generation != generation) continue;
      }
      Frame* frame = &offered->frame;
      Observation o = analyser->analyse(frame->bgr, frame->t_ms, frame->replayed);
      for (const FlagEvent& e : engine.update(frame->t_ms, o.conditions)) handle(e, frame->bgr);
      const std::int64_t every = options.config.thumbnail_every_ms;
      if (every > 0 && (last_thumbnail_ms < 0 || frame->t_ms - last_thumbnail_ms >= every)) {
        last_thumbnail_ms = frame->t_ms;
        int w = 0, h = 0;
        if (auto sha = seal_jpeg(frame->bgr, options.config.thumbnail_width, "sealing a thumbnail", &w, &h); !sha.empty())
          record("thumbnail.taken", json{{"sha256", sha}, {"width", w}, {"height", h}});
      }
      if (return_check_until > 0) {
        if (o.face_count() == 1) {
          const bool changed = o.has(Check::face_changed);
          camera_status("ok", changed ? "face check after the break: one face in view; the identity hint differs from "
                                        "the reference (a human will look)"
                                      : "face check after the break: one face in view");
          return_check_until = 0;
        } else if (frame->t_ms >= return_check_until) {
          camera_status("ok", o.face_count() == 0 ? "face check after the break: no face seen yet"
                                                  : "face check after the break: more than one face in view");
          return_check_until = 0;
        }
      }
      std::lock_guard lock(mu);
      status.frames_analysed++;
      status.faces = o.face_count();
      status.brightness = o.light.mean;
      status.face_clear = o.face_count() == 1 && !o.has(Check::look_away) && !o.has(Check::dark) && !o.has(Check::covered);
      status.message = lighting_advice(o);
      status.last_frame_ms = frame->t_ms;
      status.active_flags.clear();
      for (std::size_t i = 0; i < k_check_count; ++i)
        if (engine.active(static_cast<Check>(i))) status.active_flags.emplace_back(check_name(static_cast<Check>(i)));
      if (!camera_lost_flag.empty()) status.active_flags.emplace_back("camera_lost");
    }
  }
};

Monitor::Monitor() : impl_(std::make_unique<Impl>()) {}

Monitor::~Monitor() { stop(); }

Result<std::unique_ptr<Monitor>> Monitor::create(FrameSourcePtr source, MonitorOptions options) {
  if (!source) return fail(Errc::invalid_argument, "no frame source");
  std::unique_ptr<Monitor> m(new Monitor());
  Impl& im = *m->impl_;
  im.clock = options.clock != nullptr ? options.clock : &time::system_clock();
  if (options.store != nullptr) {
    im.evidence_key = options.evidence_public_key;
    if (im.evidence_key.empty()) {
      VIGIL_ASSIGN(auto enrolment, options.store->enrolment());
      if (!enrolment || enrolment->evidence_public_key.empty())
        return fail(Errc::invalid_argument,
                    "this device is not enrolled, so evidence cannot be sealed: enrol it before the assessment");
      im.evidence_key = enrolment->evidence_public_key;
    }
  }
  VIGIL_ASSIGN(im.analyser, FrameAnalyser::create(options.config));
  im.analyser->set_identity_hint(options.identity_hint);
  im.engine = FlagEngine(options.config);
  im.queue = std::make_unique<BoundedQueue<Impl::Offered>>(options.config.queue_capacity);
  im.status.detector = im.analyser->detector().description();
  im.source = std::move(source);
  im.options = std::move(options);
  VIGIL_ASSIGN(auto rid, crypto::random_bytes(4));
  im.run_id = to_hex(rid);
  return m;
}

Status Monitor::start(std::string session_id) {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    if (im.started) return fail(Errc::invalid_argument, "the camera checks are already running");
    if (im.options.store != nullptr && session_id.empty())
      return fail(Errc::invalid_argument, "no session to record the camera checks in (use a monitor without a store for the system check)");
    im.started = true;
    im.session = std::move(session_id);
    im.status.camera = "starting";
  }
  // One analysis thread, and OpenCV inside it single-threaded too: the candidate's computer is
  // running the assessment, and a 5 fps budget needs no parallelism (process-wide setting; only
  // client/vision uses OpenCV).
  cv::setNumThreads(1);
  im.capture_thread = std::thread([&im] { im.capture_loop(); });
  im.analysis_thread = std::thread([&im] { im.analysis_loop(); });
  return {};
}

void Monitor::pause() {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    if (!im.started || im.paused || im.stopping) return;
    im.paused = true;
    ++im.generation;
  }
  im.wake.notify_all();
  im.queue->clear();
  std::lock_guard a(im.analysis_mu);
  im.end_all_flags();
  im.analyser->reset_feed();
  im.camera_status("off_for_break", "the camera is off for the break");
  std::lock_guard lock(im.mu);
  im.status.camera = "paused";
  im.status.active_flags.clear();
}

void Monitor::resume() {
  Impl& im = *impl_;
  {
    std::lock_guard a(im.analysis_mu);
    {
      std::lock_guard lock(im.mu);
      if (!im.started || !im.paused || im.stopping) return;
    }
    im.camera_status("resumed", "the camera is back on after the break");
    im.return_check_until = im.mono_ms() + im.options.config.return_check_ms;
    std::lock_guard lock(im.mu);
    im.paused = false;
    ++im.generation;
  }
  im.wake.notify_all();
}

void Monitor::stop() {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    if (!im.started || im.stopping) return;
    im.stopping = true;
  }
  im.wake.notify_all();
  im.queue->close();
  if (im.capture_thread.joinable()) im.capture_thread.join();
  if (im.analysis_thread.joinable()) im.analysis_thread.join();
  std::lock_guard a(im.analysis_mu);
  im.end_all_flags();
  std::lock_guard lock(im.mu);
  im.status.camera = "stopped";
  im.status.active_flags.clear();
  im.latest.release();
}

MonitorStatus Monitor::status() const {
  std::lock_guard lock(impl_->mu);
  MonitorStatus s = impl_->status;
  s.frames_dropped = impl_->queue->dropped();
  return s;
}

Result<Bytes> Monitor::capture_jpeg(int max_width, int quality) {
  cv::Mat frame;
  {
    std::lock_guard lock(impl_->mu);
    frame = impl_->latest;
  }
  if (frame.empty()) return fail(Errc::unavailable, "no picture from the camera yet: check that it is connected and uncovered");
  cv::Mat out = frame;
  if (max_width > 0 && frame.cols > max_width) {
    const double f = max_width / static_cast<double>(frame.cols);
    cv::resize(frame, out, cv::Size(), f, f, cv::INTER_AREA);
  }
  std::vector<std::uint8_t> jpeg;
  if (!cv::imencode(".jpg", out, jpeg, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 10, 100)}))
    return fail(Errc::internal, "the picture could not be encoded as JPEG");
  return Bytes(jpeg.begin(), jpeg.end());
}

Status Monitor::set_reference_jpeg(ByteView jpeg) {
  {
    std::lock_guard a(impl_->analysis_mu);
    if (!impl_->analyser->identity_hint())
      return fail(Errc::conflict, "the identity hint is off: the candidate has not consented to automated checking");
  }
  std::vector<std::uint8_t> buf(jpeg.begin(), jpeg.end());
  cv::Mat img;
  try {
    img = cv::imdecode(buf, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    img.release();
  }
  if (img.empty()) return fail(Errc::invalid_argument, "the reference photo is not a readable JPEG image");
  std::lock_guard a(impl_->analysis_mu);
  return impl_->analyser->set_reference(img);
}

Status Monitor::enable_identity_hint(ByteView reference_jpeg) {
  {
    std::lock_guard a(impl_->analysis_mu);
    impl_->analyser->set_identity_hint(true);
  }
  if (reference_jpeg.empty()) return {};
  return set_reference_jpeg(reference_jpeg);
}

}  // namespace vigil::client::vision
