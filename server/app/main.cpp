// vigil-server: the sync server and the staff web pages. Subcommands (serve, init, admin ...) are
// added as each capability lands; see docs/ROADMAP in the README.
#include <iostream>

#include <CLI/CLI.hpp>

#include "shared/core/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Vigil server: receives candidates' sessions over TLS and serves proctors and councils.",
               "vigil-server"};
  app.set_version_flag("--version", std::string("vigil-server ") + vigil::k_version);
  CLI11_PARSE(app, argc, argv);
  std::cout << app.help();
  return 0;
}
