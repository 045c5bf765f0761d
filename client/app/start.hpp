#pragma once
// `vigil-client start`: the candidate's application. Opens the store, serves the web UI on
// 127.0.0.1, opens it in an app window with a one-time launch token (swapped for a cookie), runs the sync engine in the
// background and the session timer, until the window's process is told to stop (SIGINT/SIGTERM).
#include <cstdint>
#include <filesystem>
#include <string>

namespace vigil::client::app {

struct StartOptions {
  std::filesystem::path data_dir;
  std::string key_storage = "auto";
  std::filesystem::path trust_file;   // the server's client-trust.json; default <data_dir>/server-trust.json
  bool open_browser = true;
  std::uint16_t port = 0;             // 0: a free port
  int camera = 0;                     // webcam number
  std::filesystem::path camera_file;  // instead of the webcam: a video file or image folder, looped (demos, tests)
};

// Returns the process exit code. A second instance on the same store records the attempt for
// the running one, asks it to open its window again (with a new launch token) and exits with 75
// (EX_TEMPFAIL).
int run_start(const StartOptions& options);

}  // namespace vigil::client::app
