#pragma once
// The results and certificate commands of vigil-server (docs/RESULTS.md), kept out of main.cpp:
//   vigil-server results thresholds DIR --assessment ID --file T.json
//   vigil-server results mark-written DIR --sitting ID --mark P6=5/10 [--mark ...]
//   vigil-server results score DIR --sitting ID
//   vigil-server results export DIR --assessment ID [--council ID] [--out FILE]
//   vigil-server results stats DIR --assessment ID
//   vigil-server admin release DIR --assessment ID
//   vigil-server certificate issue DIR --sitting ID [--years N] [--out FILE]
//   vigil-server certificate revoke DIR --id CREDENTIAL --reason TEXT
//   vigil-server certificate keys rotate DIR [--verify-days N]
//   vigil-server certificate print FILE --out PAGE.html
//   vigil-server verify-certificate FILE [--home DIR | --keys FILE] [--revocations FILE]
#include <optional>

#include <CLI/CLI.hpp>

namespace vigil::server::app {

struct ResultsCli;
// Adds the commands to app (and `release` to the admin subcommand); the returned object holds
// the parsed options and lives as long as app.
ResultsCli* add_results_commands(CLI::App& app, CLI::App& admin);
// After parsing: the exit status when one of these commands ran, nullopt otherwise.
std::optional<int> run_results_commands(ResultsCli& cli);

}  // namespace vigil::server::app
