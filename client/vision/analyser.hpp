#pragma once
// One frame in, one Observation out: every per-frame check of docs/VISION.md. The flag engine
// (flag_engine.hpp) turns the per-frame conditions into flags over time.
//
// Invariants:
//  (1) analyse() is a pure function of the frame plus bounded history: the feed history (frozen,
//      loop) holds the 64-bit hashes of config.loop_history_ms of frames (at most
//      ReplayDetector::k_max_entries) and one 160x120 grey frame;
//      the identity reference is one LbpModel (lbp.hpp) of at most identity_reference_frames faces.
//  (2) When the lens is covered, the face checks are not asserted (a covered camera says nothing
//      about who is there): only `covered` is present.
//  (3) The identity check is a hint: it is present only when exactly one face is seen and a
//      reference exists, and its confidence never exceeds 0.6.
//  (4) Not thread-safe: one FrameAnalyser per analysis thread.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <opencv2/core.hpp>

#include "client/vision/config.hpp"
#include "client/vision/face_detector.hpp"
#include "client/vision/flag_engine.hpp"
#include "shared/core/result.hpp"

namespace vigil::client::vision {

struct Lighting {
  double mean = 0;     // grey level 0-255
  double stddev = 0;
  double detail = 0;   // mean |gradient| of a blurred 80x60 grey image: "is there a scene"
  double face_mean = -1;  // grey level of the largest face's box; -1 = no face
};

struct HeadPose {
  float yaw = 0;    // nose offset from the eye midpoint / eye distance (0 = facing the camera)
  float drop = 0;   // (eye midpoint -> mouth) / eye distance, roll-corrected (small = head bowed)
  float eye_width_ratio = 1;  // eye distance / face box width (small = turned to profile)
  bool ears_one_side = false;  // both ear keypoints on one side of the eyes (profile)
};

struct Observation {
  std::int64_t t_ms = 0;
  std::vector<Face> faces;        // counted faces: in_frame >= face_min_in_frame
  int partial_faces = 0;          // faces found but mostly outside the frame
  std::optional<HeadPose> pose;   // of the largest counted face, when it has keypoints
  Lighting light;
  double feed_diff = -1;          // mean |difference| to the previous frame; -1 = no previous
  bool replayed = false;          // this frame is bit-identical to an earlier, non-adjacent one
  std::optional<double> identity_distance;
  Conditions conditions{};

  int face_count() const noexcept { return static_cast<int>(faces.size()); }
  bool has(Check c) const noexcept { return conditions[static_cast<std::size_t>(c)].present; }
  // "no_face;dark": the checks present in this frame, in Check order.
  std::string flags() const;
};

// Says whether a frame repeats an earlier one bit for bit (a 160x120 grey copy, hashed), other
// than the frame just before it (that is `frozen`). Remembers window_ms of frames, at most
// k_max_entries. The monitor runs one on EVERY captured frame (a 30 fps loop sampled at 5 fps
// would rarely line up otherwise) and hands the answer to the analyser with the frame.
class ReplayDetector {
 public:
  static constexpr std::size_t k_max_entries = 20'000;
  explicit ReplayDetector(std::int64_t window_ms) : window_ms_(window_ms) {}
  bool seen(const cv::Mat& bgr, std::int64_t t_ms);
  // As seen(), for a frame already reduced to 160x120 grey.
  bool seen_small(const cv::Mat& grey_160x120, std::int64_t t_ms);
  void reset();

 private:
  std::int64_t window_ms_;
  std::deque<std::pair<std::int64_t, std::uint64_t>> order_;  // (time, hash), oldest first
  std::unordered_map<std::uint64_t, std::uint32_t> counts_;
  std::uint64_t prev_ = 0;
  bool has_prev_ = false;
  cv::Mat grey_, small_;
};

class FrameAnalyser {
 public:
  static Result<std::unique_ptr<FrameAnalyser>> create(const VisionConfig& config);
  ~FrameAnalyser();

  // A frame of a stream at time t_ms (video-mode face detection, feed history). `replayed`: the
  // capture thread's ReplayDetector verdict, if it ran one; otherwise the analyser's own history
  // (of the analysed frames only) decides.
  Observation analyse(const cv::Mat& bgr, std::int64_t t_ms, std::optional<bool> replayed = std::nullopt);
  // A single image: full face sweep, no feed history, no identity.
  Observation analyse_still(const cv::Mat& bgr);

  // The reference face for the identity hint, from a frame with exactly one face.
  // Errors: no face or more than one face in the frame -> invalid_argument (say which).
  Status set_reference(const cv::Mat& bgr);
  bool has_reference() const noexcept;
  // The identity hint runs only when switched on (a candidate's explicit consent to automated
  // checking: biometric processing under the UK GDPR). Off: no reference is built from the feed,
  // no identity distance is computed and face_changed is never raised. On by default for the
  // analyser itself (benches, fixtures); the Monitor decides for a session (MonitorOptions).
  void set_identity_hint(bool on) noexcept { identity_hint_ = on; }
  bool identity_hint() const noexcept { return identity_hint_; }
  // Forget feed history (after a break the scene legitimately changes); keeps the reference.
  void reset_feed();

  const FaceDetector& detector() const noexcept { return *detector_; }
  const VisionConfig& config() const noexcept { return config_; }

 private:
  FrameAnalyser() = default;
  Observation run(const cv::Mat& bgr, std::int64_t t_ms, FaceDetector::Mode mode, bool use_history,
                  std::optional<bool> replayed);

  VisionConfig config_;
  bool identity_hint_ = true;
  std::unique_ptr<FaceDetector> detector_;
  struct Identity;
  std::unique_ptr<Identity> identity_;
  // Feed history (invariant 1).
  cv::Mat prev_grey_;
  std::unique_ptr<ReplayDetector> replay_;
  cv::Mat grey_, small_, tiny_, grad_x_, grad_y_;
};

// Advice for the candidate about the picture (system check, status line): plain English.
std::string lighting_advice(const Observation& o);

}  // namespace vigil::client::vision
