#pragma once
// `vigil-client check-camera`: what the webcam checks see, printed once a second, before an
// assessment (the command-line twin of the system-check page). Nothing is recorded.
#include <filesystem>
#include <iosfwd>

namespace vigil::client::vision {

struct CheckCameraOptions {
  int camera = 0;
  std::filesystem::path file;  // when set: a video file or image folder instead of the camera
  double seconds = 10;         // how long to watch
};

// Returns a process exit code: 0 when a face was seen clearly at the end, 1 when the checks saw a
// problem (the advice says what to do), 2 when the checks could not run at all.
int check_camera(const CheckCameraOptions& options, std::ostream& out);

}  // namespace vigil::client::vision
