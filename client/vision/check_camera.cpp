#include "client/vision/check_camera.hpp"

#include <chrono>
#include <iomanip>
#include <ostream>
#include <thread>

#include "client/vision/monitor.hpp"

namespace vigil::client::vision {

int check_camera(const CheckCameraOptions& options, std::ostream& out) {
  auto source = options.file.empty() ? camera_source(options.camera) : file_source(options.file, false, 1.0);
  auto monitor = Monitor::create(std::move(source), MonitorOptions{});
  if (!monitor) {
    out << "The camera checks cannot run: " << monitor.error().message << "\n";
    return 2;
  }
  out << "Face detector: " << (*monitor)->status().detector << "\n";
  if (auto st = (*monitor)->start(""); !st) {
    out << st.error().message << "\n";
    return 2;
  }
  MonitorStatus s;
  const int ticks = std::max(1, static_cast<int>(options.seconds));
  for (int i = 1; i <= ticks; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    s = (*monitor)->status();
    out << std::setw(3) << i << "s  camera " << s.camera;
    if (s.camera != "ok" && !s.camera_detail.empty()) out << " (" << s.camera_detail << ")";
    if (s.faces >= 0) {
      out << "  faces " << s.faces << "  brightness " << static_cast<int>(s.brightness);
      std::string flags;
      for (const auto& f : s.active_flags) flags += (flags.empty() ? "" : ",") + f;
      out << "  flags " << (flags.empty() ? "-" : flags) << "  | " << s.message;
    }
    out << "\n" << std::flush;
    if (s.camera == "ended") break;
  }
  (*monitor)->stop();
  out << "Analysed " << s.frames_analysed << " of " << s.frames_captured << " frames (" << s.frames_dropped
      << " dropped while busy); " << s.flags_raised << " flag(s) would have been raised.\n";
  if (s.faces < 0) {
    out << "No picture was analysed: " << (s.camera_detail.empty() ? "check the camera" : s.camera_detail) << "\n";
    return 1;
  }
  out << (s.face_clear ? "Result: " : "Result (fix this before the assessment): ") << s.message << "\n";
  return s.face_clear ? 0 : 1;
}

}  // namespace vigil::client::vision
