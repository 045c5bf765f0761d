#include "server/app/service_notify.hpp"

#ifdef VIGIL_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace vigil::server::app {

#ifdef VIGIL_HAVE_SYSTEMD
void notify_ready(const std::string& status) { ::sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
void notify_stopping() { ::sd_notify(0, "STOPPING=1\nSTATUS=finishing requests in flight"); }
void notify_reloading() { ::sd_notify(0, "RELOADING=1\nSTATUS=loading the certificates again"); }
#else
void notify_ready(const std::string&) {}
void notify_stopping() {}
void notify_reloading() {}
#endif

}  // namespace vigil::server::app
