// Tells the service manager where the server is in its life (systemd's sd_notify protocol, for the
// unit's Type=notify: packaging/systemd/vigil-server.service). Outside systemd (no NOTIFY_SOCKET),
// and on builds without libsystemd, each call does nothing.
#pragma once

#include <string>

namespace vigil::server::app {

// READY=1 with a status line: the listener is bound and accepting.
void notify_ready(const std::string& status);
// STOPPING=1: a stop was asked for; requests in flight are being finished.
void notify_stopping();
// RELOADING=1: SIGHUP, the certificates are being loaded again; READY=1 (notify_ready) follows.
void notify_reloading();

}  // namespace vigil::server::app
