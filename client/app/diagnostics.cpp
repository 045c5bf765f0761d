#include "client/app/diagnostics.hpp"

#include <map>

#include "client/package/packages.hpp"
#include "client/platform/platform.hpp"
#include "client/ui/ui_api.hpp"
#include "shared/core/version.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::app {

using nlohmann::json;

Result<json> collect_diagnostics(store::Store& store, const std::filesystem::path& data_dir) {
  json d;
  d["format"] = "vigil-diagnostics/1";
  d["client_version"] = k_version;
  d["generated_wall_ms"] = time::system_clock().wall_ms();
  const platform::OsDescription os = platform::os_description();
  d["os"] = {{"system", os.system}, {"release", os.release}, {"machine", os.machine}};
  d["device_id"] = store.device_id();  // random, chosen by the device; how support finds its server records
  d["key_storage"] = store.key_storage_kind();
  VIGIL_ASSIGN(std::string integrity, store.integrity_check());
  d["store_integrity"] = integrity;

  VIGIL_ASSIGN(std::optional<store::Enrolment> enrolment, store.enrolment());
  d["enrolled"] = enrolment.has_value();
  if (enrolment) {
    if (auto trust = protocol::parse_client_trust(enrolment->server_trust_json); trust)
      d["server"] = trust->host + ":" + std::to_string(trust->port);
  }

  json sessions = json::array();
  VIGIL_ASSIGN(std::vector<std::string> ids, store.session_ids());
  for (const auto& id : ids) {
    json s{{"session", id}};
    VIGIL_ASSIGN(journal::Report report, store.verify_journal(id));
    s["journal_ok"] = report.ok();
    s["journal_records"] = report.last_seq;
    s["journal_summary"] = report.summary();
    VIGIL_ASSIGN(std::vector<journal::Entry> entries, store.journal_entries(id));
    std::map<std::string, std::uint64_t> counts;
    for (const auto& e : entries) ++counts[e.record.type];
    s["event_counts"] = counts;
    VIGIL_ASSIGN(std::vector<store::Answer> answers, store.answers(id));
    s["answers_saved"] = answers.size();  // how many, never what
    VIGIL_ASSIGN(bool submitted, store.is_submitted(id));
    s["submitted"] = submitted;
    VIGIL_ASSIGN(std::optional<std::string> receipt, store.receipt(id));
    s["receipt_held"] = receipt.has_value();
    sessions.push_back(std::move(s));
  }
  d["sessions"] = sessions;

  VIGIL_ASSIGN(store::OutboxCounts out, store.outbox_counts());
  d["waiting_to_sync"] = {{"records", out.records}, {"record_bytes", out.payload_bytes}, {"uploads", out.blobs},
                          {"upload_bytes", out.blob_bytes}};

  json packages = json::array();
  if (auto local = package::local_sittings(store, data_dir); local) {
    for (const auto& p : *local)
      packages.push_back({{"sitting", p.sitting_id}, {"assessment", p.assessment_id}, {"version", p.version},
                          {"unlocked", p.unlocked}, {"scheduled_start_ms", p.scheduled_start_ms}});
  } else {
    d["packages_error"] = errc_name(local.error().code);
  }
  d["packages"] = packages;

  json checks = json::array();
  for (const auto& c : ui::system_checks(store, time::system_clock(), data_dir))
    checks.push_back({{"id", c.id}, {"ok", c.ok}});
  d["checks"] = checks;
  return d;
}

}  // namespace vigil::client::app
