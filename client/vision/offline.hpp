#pragma once
// Offline analysis of a recorded clip or a still, exactly as the live monitor analyses frames
// (same FrameAnalyser, same FlagEngine, same config), without threads, journal or evidence.
// Used by the tests, `tests/bench/run.sh vision-accuracy` and `vigil-client check-camera --file`.
#include <filesystem>
#include <vector>

#include "client/vision/analyser.hpp"
#include "client/vision/flag_engine.hpp"

namespace vigil::client::vision {

struct FlagSpan {
  Check check = Check::no_face;
  double start_s = 0;  // from the first frame of the clip
  double end_s = 0;    // last frame at which the condition held
  float confidence = 0;
  const char* severity = "medium";
};

struct ClipResult {
  std::vector<FlagSpan> flags;
  std::vector<Observation> frames;  // every analysed frame (faces, lighting, conditions)
  double fps = 0;
};

// Reads the whole clip (video file or folder of images) at config.analysis_fps (frames in between
// are skipped, as the live monitor does) through a fresh analyser and flag engine.
Result<ClipResult> analyse_clip(const std::filesystem::path& clip, const VisionConfig& config);

// One still image: the per-frame conditions without persistence.
Result<Observation> analyse_image(FrameAnalyser& analyser, const std::filesystem::path& image);

}  // namespace vigil::client::vision
