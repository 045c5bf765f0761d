#pragma once
// `vigil-client export-diagnostics`: what the support line needs to help a candidate whose client
// misbehaves, and nothing personal. In: versions, the operating system, the store's health,
// each session's journal check and counts of event types, the outbox, packages (ids and state),
// the system checks. Never in: answers, names, e-mail addresses, candidate ids, codes, keys,
// file paths (they contain user names), photos.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "client/store/store.hpp"

namespace vigil::client::app {

Result<nlohmann::json> collect_diagnostics(store::Store& store, const std::filesystem::path& data_dir);

}  // namespace vigil::client::app
