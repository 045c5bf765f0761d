#pragma once
// Monitor: the webcam integrity checks during a session (docs/VISION.md). The runner and the UI
// use only this header, which is OpenCV-free.
//
//   MonitorOptions mo;  mo.store = &store;       // the evidence key comes from the enrolment
//   auto m = Monitor::create(camera_source(0), std::move(mo));
//   m->enable_identity_hint(face_photo); // only with the candidate's consent to automated
//                                        // checking (else none); no photo: the first seconds
//                                        // of the session are the reference
//   m->start(session_id);                // camera on; flags, evidence, thumbnails to the journal
//   m->pause();  ... m->resume();        // scheduled break: camera off, face check on return
//   m->stop();                           // ends open flags; camera off
//   m->status();                         // for the UI: "We can see your face clearly." etc.
//
// Threads: a capture thread reads the camera and offers frames at config.analysis_fps to a
// bounded queue (a full queue drops the oldest frame, never blocks the camera); an analysis
// thread analyses them, runs the flag engine and writes to the Store. Every public method may be
// called from any thread.
//
// Invariants:
//  (1) No continuous recording: only evidence snapshots (when a flag is raised) and periodic
//      thumbnails leave the analysis thread, downscaled, and only sealed to the server's evidence
//      key (crypto::seal, AAD = the session id). Plain frames are never written to disk.
//  (2) Journal records follow docs/EVENTS.md: flag.raised / flag.ended (every raised flag ends,
//      at the latest on pause() or stop()), thumbnail.taken, camera.status.
//  (3) A camera that fails (unplugged, busy) is retried with backoff forever until stop(); each
//      change of camera state is one camera.status record, not one per retry.
//  (4) Without a Store (system check) nothing is written anywhere.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "client/vision/config.hpp"
#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::store {
class Store;
}

namespace vigil::client::vision {

class FrameSource;  // client/vision/frame_source.hpp (OpenCV)
// Owns a FrameSource without needing its (OpenCV) definition where it is destroyed.
struct FrameSourceDeleter {
  void operator()(FrameSource* source) const noexcept;
};
using FrameSourcePtr = std::unique_ptr<FrameSource, FrameSourceDeleter>;

// Sources without OpenCV in the caller's includes (see frame_source.hpp for the options' meaning).
FrameSourcePtr camera_source(int index = 0, int width = 640, int height = 480,
                                           const time::Clock& clock = time::system_clock());
// speed: 1 = real time, 2 = twice as fast (frames the analysis cannot take are dropped, as from a
// camera); 0 = as fast as the analysis goes (every frame analysed: soak tests, offline runs).
FrameSourcePtr file_source(const std::filesystem::path& path, bool loop = false, double speed = 1.0,
                                         const time::Clock& clock = time::system_clock());

struct MonitorOptions {
  VisionConfig config;
  store::Store* store = nullptr;   // null: system check only, nothing recorded (invariant 4)
  Bytes evidence_public_key;       // empty: the store's enrolment (evidence_public_key)
  const time::Clock* clock = nullptr;  // null: the system clock
  // The identity-change hint (face_changed) compares the candidate's face with a reference. It is
  // biometric processing, so it is off unless the candidate consented to automated checking:
  // switch it on here or later with enable_identity_hint(). Off, no reference is set or built and
  // no face_changed flag is raised (docs/VISION.md).
  bool identity_hint = false;
};

struct MonitorStatus {
  // "starting" | "ok" | "lost" | "busy" | "paused" | "stopped"
  std::string camera = "stopped";
  std::string camera_detail;       // plain English: what is wrong and what to do
  std::string detector;            // "BlazeFace front model (...)" or "Haar cascade fallback: why"
  int faces = -1;                  // in the last analysed frame; -1 = none analysed yet
  bool face_clear = false;         // exactly one face, facing the camera, lighting fine
  std::string message;             // for the candidate: "We can see your face clearly." / advice
  double brightness = 0;           // mean grey level 0-255 of the last frame
  std::vector<std::string> active_flags;  // checks with a raised flag now
  std::uint64_t frames_captured = 0;
  std::uint64_t frames_analysed = 0;
  std::uint64_t frames_dropped = 0;       // offered to a full queue (analysis busy)
  std::uint64_t flags_raised = 0;
  std::int64_t last_frame_ms = 0;         // monotonic ms of the last analysed frame
  std::string last_error;                 // last journal/evidence write failure, if any
};

class Monitor {
 public:
  // Loads the face model (or the Haar fallback). Errors: no detector at all -> not_found; a store
  // given but no evidence key (not enrolled, none in options) -> invalid_argument.
  static Result<std::unique_ptr<Monitor>> create(FrameSourcePtr source, MonitorOptions options);
  ~Monitor();  // stop()
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Starts capture and analysis for a session (records go to that session's journal; the session
  // must exist in the store). A Monitor runs once: after stop(), make a new one. Errors: already
  // started, or a store but no session id -> invalid_argument. A camera that cannot be opened is NOT an error: the
  // monitor records camera.status and keeps retrying (invariant 3).
  Status start(std::string session_id);
  // Scheduled break: ends open flags, records camera.status off_for_break, releases the camera.
  void pause();
  // After the break: camera.status resumed, the camera reopens and, within
  // config.return_check_ms, a face check on return is recorded (camera.status "ok" with detail).
  void resume();
  // Ends open flags, stops both threads, releases the camera. Idempotent.
  void stop();

  MonitorStatus status() const;

  // The latest camera frame as a JPEG (at most max_width wide), for the identity-check photos.
  // Errors: no frame yet / camera not running -> unavailable.
  Result<Bytes> capture_jpeg(int max_width = 640, int quality = 90);
  // The reference for the identity-change hint (the identity-check face photo).
  // Errors: the hint is off (no consent) -> conflict, and nothing is decoded; undecodable JPEG,
  // no face or several faces in it -> invalid_argument (says which).
  Status set_reference_jpeg(ByteView jpeg);
  // Switches the identity hint on (the candidate consented to automated checking), with this
  // reference photo when one is given. A photo that cannot be a reference gives set_reference_jpeg's
  // error, and the first seconds of the session are then the reference. Consent is given once
  // per session: the hint stays on until the monitor is gone.
  Status enable_identity_hint(ByteView reference_jpeg);

 private:
  Monitor();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::client::vision
