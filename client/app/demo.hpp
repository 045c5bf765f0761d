#pragma once
// `vigil-client demo`: a scripted candidate session on the real store, for the README's first
// command and for newcomers. It grows with each capability of the product.
#include <filesystem>

namespace vigil::client::app {

struct DemoOptions {
  std::filesystem::path data_dir;
  bool submit = false;  // end with the submission (and a sealed evidence snapshot when enrolled)
};

// Returns the process exit code.
int run_demo(const DemoOptions& options);

}  // namespace vigil::client::app
