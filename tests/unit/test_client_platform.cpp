// The operating-system seam (client/platform, and the OS halves of shared/core/file and
// shared/time/clock): what can be observed of each function on the OS the test runs on. Written
// to build for Linux and, as a .exe, for Windows; the few OS-specific checks are marked.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "client/platform/platform.hpp"
#include "client/platform/secret.hpp"
#include "shared/core/file.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef _WIN32
#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

using namespace vigil;
namespace fs = std::filesystem;
namespace platform = vigil::client::platform;

TEST_CASE("a second instance lock on the same file is refused as busy until the first is released") {
  testing::TempDir dir;
  const auto file = dir / "store.lock";
  auto first = platform::InstanceLock::acquire(file);
  REQUIRE(first);
  CHECK(first->held());
  auto second = platform::InstanceLock::acquire(file);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::busy);

  platform::InstanceLock moved = std::move(*first);  // moving keeps it held
  CHECK(moved.held());
  CHECK_FALSE(platform::InstanceLock::acquire(file));
  moved = platform::InstanceLock();  // released
  auto third = platform::InstanceLock::acquire(file);
  CHECK(third);
}

TEST_CASE("an instance lock in a missing folder is an error, not busy") {
  testing::TempDir dir;
  auto lock = platform::InstanceLock::acquire(dir / "missing" / "store.lock");
  REQUIRE_FALSE(lock);
  CHECK(lock.error().code != Errc::busy);
}

#ifndef _WIN32
TEST_CASE("a lock held by another process is refused, and freed when that process dies") {
  testing::TempDir dir;
  const auto file = dir / "store.lock";
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto held = platform::InstanceLock::acquire(file);
    const char c = held ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  auto refused = platform::InstanceLock::acquire(file);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::busy);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  CHECK(platform::InstanceLock::acquire(file));
  ::close(ready[0]);
  ::close(ready[1]);
}
#endif

TEST_CASE("the boot id is the same for every clock of one boot, and the clocks move forward") {
  const time::SystemClock a;
  const time::SystemClock b;
  CHECK_FALSE(a.boot_id().empty());
  CHECK(a.boot_id() == b.boot_id());
  CHECK(a.boot_id() == time::system_clock().boot_id());
#ifdef __linux__
  CHECK(a.boot_id().rfind("unknown-", 0) != 0);  // the kernel's boot id, not the fallback
#endif
  const auto m1 = a.monotonic_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto m2 = a.monotonic_ns();
  CHECK(m2 >= m1 + 15'000'000u);
  CHECK(m2 < m1 + 5'000'000'000u);
  const auto wall = a.wall_ms();
  const auto std_wall =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(wall > 1'700'000'000'000);  // after November 2023
  CHECK(std::llabs(wall - std_wall) < 2'000);
}

TEST_CASE("a new file is never written over an existing one, and leaves no temporary file") {
  testing::TempDir dir;
  const auto path = dir / "store.key";
  REQUIRE(write_new_file(path, as_bytes(std::string_view("first"))));
  auto again = write_new_file(path, as_bytes(std::string_view("second")));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::already_exists);
  CHECK(read_whole_file(path).value() == "first");
  CHECK_FALSE(fs::exists(dir / "store.key.tmp"));
}

TEST_CASE("installing a new file refuses to replace, keeping both files") {
  testing::TempDir dir;
  REQUIRE(write_file_atomically(dir / "a", as_bytes(std::string_view("new"))));
  REQUIRE(write_file_atomically(dir / "b", as_bytes(std::string_view("old"))));
  auto r = install_new_file(dir / "a", dir / "b");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::already_exists);
  CHECK(read_whole_file(dir / "a").value() == "new");
  CHECK(read_whole_file(dir / "b").value() == "old");
  REQUIRE(install_new_file(dir / "a", dir / "c"));
  CHECK_FALSE(fs::exists(dir / "a"));
  CHECK(read_whole_file(dir / "c").value() == "new");
  CHECK(sync_file(dir / "c"));
  CHECK(sync_directory(dir.path()));
}

TEST_CASE("a private file is created empty, kept or emptied as asked, and read back") {
  testing::TempDir dir;
  const auto path = dir / "marker";
  std::uint8_t buf[16] = {};
  auto missing = read_private_file(path, buf);
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
  REQUIRE(create_private_file(path, false));
  REQUIRE(write_file_atomically(path, as_bytes(std::string_view("kept"))));
  REQUIRE(create_private_file(path, false));
  auto kept = read_private_file(path, buf);
  REQUIRE(kept);
  CHECK(kept->value() == 4);
  REQUIRE(create_private_file(path, true));
  CHECK(read_private_file(path, buf).value().value() == 0);
  CHECK(make_private(path));
  CHECK(check_writable_directory(dir.path()));
  CHECK(create_private_file(dir / "missing" / "x", false).error().code == Errc::not_found);
#ifndef _WIN32
  ::chmod(path.c_str(), 0644);
  CHECK(read_private_file(path, buf).error().code == Errc::forbidden);
  fs::create_directory(dir / "folder");
  CHECK(read_private_file(dir / "folder", buf).error().code == Errc::not_a_store);
  fs::create_symlink(path, dir / "link");
  CHECK_FALSE(read_private_file(dir / "link", buf));  // never followed
#endif
}

#ifndef _WIN32
TEST_CASE("an atomic write killed at any moment leaves the old contents or the new, never a mixture") {
  testing::TempDir dir;
  const auto path = dir / "file";
  const std::string a(200'000, 'a');
  const std::string b(100'000, 'b');
  REQUIRE(write_file_atomically(path, as_bytes(a)));
  for (int round = 0; round < 40; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      for (int i = 0;; ++i) (void)write_file_atomically(path, as_bytes(i % 2 == 0 ? b : a));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500 + 997 * round % 20'000));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    const auto text = read_whole_file(path);
    REQUIRE(text);
    CHECK((*text == a || *text == b));
  }
}
#endif

TEST_CASE("the data folder, free space, process id and OS are reported") {
  const fs::path data = platform::default_data_dir();
  CHECK_FALSE(data.empty());
#ifdef _WIN32
  CHECK(data.filename() == "Vigil");
  CHECK(data.is_absolute());
  CHECK(platform::os_description().system == "Windows");
#else
  CHECK(data.filename() == "vigil");
  CHECK(platform::os_description().system == "Linux");
#endif
  CHECK_FALSE(platform::os_description().release.empty());
  CHECK_FALSE(platform::os_description().machine.empty());
  CHECK(platform::process_id() != 0);
#ifdef _WIN32
  CHECK(platform::camera_device(0).name == "camera 1");
#else
  CHECK(platform::camera_device(3).name == "/dev/video3");
  CHECK(platform::camera_device(0).connected == fs::exists("/dev/video0"));
#endif
  CHECK_FALSE(platform::camera_device(999).connected);

  testing::TempDir dir;
  auto free = platform::free_disk_bytes(dir.path());
  REQUIRE(free);
  CHECK(*free > 0);
  CHECK_FALSE(platform::free_disk_bytes(dir / "missing" / "deeper"));
}

#ifndef _WIN32
TEST_CASE("the data folder follows XDG_DATA_HOME, then HOME") {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const std::string saved = old_xdg != nullptr ? old_xdg : "";
  ::setenv("XDG_DATA_HOME", "/tmp/xdg-test", 1);
  CHECK(platform::default_data_dir() == fs::path("/tmp/xdg-test/vigil"));
  ::unsetenv("XDG_DATA_HOME");
  CHECK(platform::default_data_dir() == fs::path(std::getenv("HOME")) / ".local/share/vigil");
  if (old_xdg != nullptr) ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
}
#endif

TEST_CASE("the store key's protection for this user round-trips where the OS has it, and is refused otherwise") {
  const crypto::SecretBytes secret(32, 0x5a);
  if (!platform::protection_available()) {
    CHECK(platform::protect_for_user(secret).error().code == Errc::unavailable);
    return;
  }
  auto blob = platform::protect_for_user(secret);
  REQUIRE(blob);
  CHECK(blob->size() > secret.size());
  CHECK(std::search(blob->begin(), blob->end(), secret.begin(), secret.begin() + 8) == blob->end());
  auto back = platform::unprotect_for_user(*blob);
  REQUIRE(back);
  CHECK(*back == secret);
  // The last bytes are the blob's signature. (Wine's DPAPI, unlike Windows', ignores changes to
  // most of the header, so the test changes what every implementation must check.)
  Bytes damaged = *blob;
  damaged.back() ^= 0x01;
  auto refused = platform::unprotect_for_user(damaged);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::wrong_key);
}

TEST_CASE("a data folder named in any letters works for every file operation and the lock") {
  testing::TempDir base;
  const fs::path dir = base.path() / fs::path(u8"Zoë Łukasz Дмитрий 日本");
  REQUIRE(fs::create_directories(dir));
  const fs::path key = dir / fs::path(u8"clé.key");
  REQUIRE(write_file_atomically(dir / "store.key", as_bytes(std::string_view("a"))));
  REQUIRE(write_new_file(key, as_bytes(std::string_view("secret"))));
  REQUIRE(create_private_file(with_suffix(dir / "store.db", ".creating"), false));
  REQUIRE(install_new_file(with_suffix(dir / "store.db", ".creating"), dir / "store.db"));
  std::uint8_t buf[16] = {};
  CHECK(read_private_file(key, buf).value().value() == 6);
  auto lock = platform::InstanceLock::acquire(dir / "store.lock");
  CHECK(lock);
  CHECK(platform::free_disk_bytes(dir));
  CHECK(check_writable_directory(dir));
  // Everything landed in that folder, under the names given, and nothing elsewhere.
  std::vector<fs::path> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::ranges::sort(names);
  CHECK(names == std::vector<fs::path>{fs::path(u8"clé.key"), "store.db", "store.key", "store.lock"});
  CHECK(std::distance(fs::directory_iterator(base.path()), fs::directory_iterator{}) == 1);
}
