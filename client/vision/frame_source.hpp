#pragma once
// FrameSource: where pictures come from (one of the three seams tests may fake, with Clock and
// Transport). CameraSource reads a webcam; FileSource reads a video file or a folder of images
// (tests, the demo, the benchmarks). OpenCV types: include only inside client/vision and tests.
//
// Invariants:
//  (1) Frame::t_ms is on the session's monotonic clock in milliseconds and never decreases for
//      one open source. A camera stamps frames with Clock::monotonic_ns at capture; a file source
//      stamps base + media time (base = the clock at open), whatever its playback speed.
//  (2) open() and read() report failures as Results with a plain-English message and a code the
//      monitor maps to camera.status: unavailable (no camera, unplugged, stopped sending) or
//      busy (another program holds the camera). They never throw.
//  (3) read() returns nullopt only at the end of a non-looping file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "shared/core/result.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::vision {

struct Frame {
  cv::Mat bgr;
  std::int64_t t_ms = 0;     // invariant 1
  std::uint64_t index = 0;   // frames read since open, from 0
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual Status open() = 0;
  virtual Result<std::optional<Frame>> read() = 0;
  virtual void close() = 0;
  // "camera 0 (640x480)", "file clip.avi": for status lines and logs.
  virtual std::string describe() const = 0;
  // A live source (a camera, a file played at a set speed) is never waited for: frames the
  // analysis cannot take are dropped. A file read "as fast as possible" is paced by the analysis
  // instead, so that every frame of it is analysed (soak tests, offline runs).
  virtual bool live() const { return true; }
};

struct CameraOptions {
  int index = 0;
  int width = 640;
  int height = 480;
};

class CameraSource final : public FrameSource {
 public:
  explicit CameraSource(CameraOptions options, const time::Clock& clock = time::system_clock());
  Status open() override;
  Result<std::optional<Frame>> read() override;
  void close() override;
  std::string describe() const override;

 private:
  CameraOptions options_;
  const time::Clock& clock_;
  cv::VideoCapture cap_;
  std::uint64_t index_ = 0;
  std::int64_t last_t_ms_ = 0;
};

struct FileOptions {
  std::filesystem::path path;   // a video file, or a folder of .jpg/.png images (sorted by name)
  bool loop = false;            // start again at the end (forever)
  // 0: as fast as frames can be decoded; 1: real time; 2: twice real time, ...
  double speed = 1.0;
  double fps = 0;               // 0: the file's own rate (images: 5)
};

class FileSource final : public FrameSource {
 public:
  explicit FileSource(FileOptions options, const time::Clock& clock = time::system_clock());
  Status open() override;
  Result<std::optional<Frame>> read() override;
  void close() override;
  std::string describe() const override;
  bool live() const override { return options_.speed > 0; }
  double fps() const noexcept { return fps_; }

 private:
  Result<std::optional<cv::Mat>> next_image();
  FileOptions options_;
  const time::Clock& clock_;
  cv::VideoCapture cap_;
  std::vector<std::filesystem::path> images_;
  std::size_t image_pos_ = 0;
  double fps_ = 5;
  bool opened_ = false;
  std::uint64_t index_ = 0;
  std::int64_t base_ms_ = 0;
  std::int64_t wall_start_ns_ = 0;
};

}  // namespace vigil::client::vision
