#pragma once
// Every threshold of the webcam integrity checks, with its default, in one place. docs/VISION.md
// explains each one and why its default is what it is; change both together. OpenCV-free, so the
// runner and the UI can hold and edit a configuration.
#include <cstdint>
#include <filesystem>
#include <string>

namespace vigil::client::vision {

// How long a condition must hold before its flag is raised, how long it must be absent before
// the flag ends (hysteresis), and how the flag is labelled.
struct CheckRule {
  std::int64_t raise_after_ms = 3000;  // condition seen continuously (gaps <= gap_ms) this long
  std::int64_t end_after_ms = 1500;    // condition absent this long ends the flag
  std::int64_t gap_ms = 600;           // single missed frames inside a run do not reset it
  const char* severity = "medium";     // "low" | "medium" | "high"
};

struct VisionConfig {
  // ---- capture and analysis ----
  double analysis_fps = 5.0;           // frames analysed per second; the rest are not analysed
  std::size_t queue_capacity = 2;      // frames waiting for analysis; a full queue drops the new frame
  std::int64_t thumbnail_every_ms = 60'000;  // periodic low-resolution thumbnail; 0 = none
  int thumbnail_width = 160;           // thumbnails: 160x120 JPEG
  int evidence_width = 320;            // evidence snapshots: 320x240 JPEG
  int jpeg_quality = 70;
  std::int64_t camera_retry_initial_ms = 1000;  // camera lost/busy: retry after 1 s, doubling
  std::int64_t camera_retry_max_ms = 15'000;    // ... up to every 15 s
  std::int64_t camera_lost_flag_after_ms = 10'000;  // camera_lost flag after this long without frames
  std::int64_t return_check_ms = 10'000;  // after a break: "face check on return" window

  // ---- face detection (BlazeFace front 128x128, client/vision/face_detector.hpp) ----
  std::filesystem::path model_path;    // empty: the installed model (face_detector.hpp, find_face_model)
  float face_candidate_score = 0.45f;  // proposals below this sigmoid score are ignored altogether
  float face_min_score = 0.78f;        // a face at or above this score always counts
  // A weaker face (a dim or turned face) counts only when it is the only one: a false SECOND face
  // raises a high-severity flag, so extra people need the stronger score.
  float face_lone_score = 0.65f;
  float face_nms_overlap = 0.45f;      // intersection / smaller box above which two boxes are one face
  float face_min_in_frame = 0.60f;     // a face counts when >= this fraction of its box is in the frame
  float partial_min_score = 0.50f;     // a cut-off face (in_frame < partial_max_in_frame) needs this score
  float partial_max_in_frame = 0.90f;
  bool profile_fallback = true;        // Haar profile cascade when no frontal face is found

  // ---- head pose (look_away) from the BlazeFace keypoints ----
  float yaw_limit = 0.55f;             // |nose offset from the eye midpoint| / eye distance
  float min_eye_width_ratio = 0.30f;   // eye distance / face box width below this: head turned to profile
  float pitch_down_limit = 0.60f;      // (eyes->mouth) / eye distance below this: head bowed far down

  // ---- lighting (dark, covered), grey levels 0-255 of an 80x60 blurred copy ----
  // Too dark: the scene is dim AND the face is dim (a lit face in a dim room is fine; a dim face
  // in a bright room is backlighting, not darkness). Without a face, the scene alone decides.
  double dark_scene_mean = 42.0;       // frame mean below this ...
  double dark_face_mean = 60.0;        // ... and the face's mean below this: too dark
  double covered_detail = 0.25;        // mean |gradient| below this: nothing to see (lens covered)
  double covered_dark_mean = 25.0;     // a near-black frame ...
  double covered_dark_rel_detail = 0.08;  // ... whose detail/mean is below this is a covered lens
  double uniform_stddev = 16.0;        // a near-uniform frame (tape, palm): stddev below this,
  double uniform_detail = 2.2;         //   detail below this,
  double uniform_rel_detail = 0.03;    //   and detail/mean below this

  // ---- feed (frozen, loop) ----
  double frozen_max_diff = 0.15;       // mean |difference| to the previous frame (160x120 grey); 0 = bit-identical
  int loop_history_frames = 600;       // frames of history searched for a replay (2 min at 5 fps)

  // ---- identity-change hint ----
  double identity_max_distance = 110.0; // LBPH chi-square distance above which the face is "not the reference"
  int identity_reference_frames = 5;   // frames averaged into the reference when none was given

  // ---- persistence per check (hysteresis) ----
  CheckRule no_face{3000, 1500, 600, "medium"};
  CheckRule multi_face{1000, 1500, 600, "high"};
  CheckRule look_away{5000, 1500, 600, "low"};
  CheckRule partial{5000, 1500, 600, "low"};
  CheckRule dark{5000, 2000, 600, "low"};
  CheckRule covered{2000, 1500, 600, "high"};
  CheckRule frozen{3000, 1000, 400, "high"};
  CheckRule loop{3000, 1000, 400, "high"};
  CheckRule face_changed{3000, 2000, 600, "medium"};
  CheckRule camera_lost{0, 0, 0, "medium"};  // raised/ended by the monitor (camera_lost_flag_after_ms)
};

}  // namespace vigil::client::vision
