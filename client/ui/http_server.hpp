#pragma once
// The candidate UI's HTTP listener: plain HTTP on 127.0.0.1 only (the page and the client are
// on one machine; nothing crosses the network), a random port, a small thread pool so a slow
// action (a download, an unlock over the network) never stops the page from polling its state.
//
// The listener only moves bytes: every request goes to the handler (client/ui/ui_api.hpp), which
// checks the launch token and cookie, the Host header and the origin. Limits are explicit: header 16 KiB,
// body 1 MiB, 30 s to read a request, 60 s idle keep-alive, 64 connections.
#include <cstdint>
#include <functional>
#include <memory>

#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::client::ui {

using Handler = std::function<protocol::HttpResponse(const protocol::HttpRequest&)>;

class LocalHttpServer {
 public:
  // Binds 127.0.0.1:port (0: any free port) and starts `threads` worker threads.
  static Result<std::unique_ptr<LocalHttpServer>> start(Handler handler, std::uint16_t port = 0, int threads = 3);
  ~LocalHttpServer();  // stops and joins
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  std::uint16_t port() const noexcept;
  void stop();

  struct State;  // defined in the .cpp (public so its coroutines can name it)

 private:
  explicit LocalHttpServer(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

}  // namespace vigil::client::ui
