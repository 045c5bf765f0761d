// The equalities declaration end to end: the real vigil-server (TLS on 127.0.0.1) and the real
// client store, transport and sync engine. A declaration kept while the server is down is sent by
// the engine once it is back, and the journal carries none of it.
#include <catch2/catch_test_macros.hpp>

#include "client/store/equalities.hpp"
#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

using namespace vigil;
using namespace vigil::client;
using vigil::testing::TempDir;
using vigil::testing::TestServer;

TEST_CASE("a declaration made while the server is down reaches it through the sync engine once it is back") {
  TestServer server;
  const std::string code = server.enrolment_code("c-eq");
  TempDir device_dir;
  store::StoreOptions so;
  so.dir = device_dir.path();
  so.key_storage = store::KeyStorePreference::file;
  auto s = std::move(store::Store::open(std::move(so)).value());
  REQUIRE(sync::enrol(*s, server.trust(), code));
  auto transport = sync::transport_for(*s).value();

  results::EqualitiesDeclaration d;
  d.age_band = "45_54";
  d.sex = "female";
  REQUIRE(store::save_equalities(*s, d));
  REQUIRE(server.stop() == 0);
  {
    sync::SyncEngine engine(*s, *transport);
    auto down = engine.run_once();
    REQUIRE_FALSE(down);
    CHECK(down.error().code == Errc::unavailable);
  }
  CHECK(store::pending_equalities(*s).value());

  server.restart();
  sync::SyncEngine engine(*s, *transport);
  auto up = engine.run_once();
  INFO((up ? std::string("ok") : up.error().describe()));
  REQUIRE(up);
  CHECK(*up);
  CHECK_FALSE(store::pending_equalities(*s).value());  // the real server answered 200
  CHECK(s->outbox_counts().value().records == 0);       // nothing went through the journal

  // The next declaration replaces it, and is sent too.
  d.sex = "prefer_not_to_say";
  REQUIRE(store::save_equalities(*s, d));
  REQUIRE(engine.run_once());
  CHECK_FALSE(store::pending_equalities(*s).value());
}
