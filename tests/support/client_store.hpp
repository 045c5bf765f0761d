#pragma once
// A client store for tests and benchmarks: SQLCipher in `dir`, its key in a file beside it (tests
// have no desktop keyring), anything else set by `adjust`. No Catch2 here: a store that cannot be
// opened throws, which a test reports as a failure with the message.
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

#include "client/store/store.hpp"

namespace vigil::testing {

inline std::unique_ptr<client::store::Store> open_store(
    const std::filesystem::path& dir, const std::function<void(client::store::StoreOptions&)>& adjust = {}) {
  client::store::StoreOptions so;
  so.dir = dir;
  so.key_storage = client::store::KeyStorePreference::file;
  if (adjust) adjust(so);
  auto s = client::store::Store::open(std::move(so));
  if (!s) throw std::runtime_error("cannot open a store: " + s.error().describe());
  return std::move(*s);
}

}  // namespace vigil::testing
