#pragma once
// MarkingRepository on the server's SQLite database, sharing SqliteRepository's connection and
// lock so that a marking joins the caller's Repository::transaction.
#include "server/storage/marking_repository.hpp"
#include "server/storage/sqlite_repository.hpp"

namespace vigil::server {

class SqliteMarkingRepository final : public MarkingRepository {
 public:
  explicit SqliteMarkingRepository(SqliteRepository& base) : base_(base) {}

  Result<std::vector<SittingRow>> submitted_sittings_without_script(std::int64_t limit) override;
  Status add_script(const ScriptRow& s) override;
  Result<std::optional<ScriptRow>> script(std::string_view script_id) override;
  Result<std::optional<ScriptRow>> script_of_sitting(std::string_view sitting_id) override;
  Result<std::vector<ScriptRow>> markable_by(std::int64_t assessor_id, std::int64_t limit) override;
  Result<std::vector<ScriptRow>> final_unscored(std::int64_t limit) override;
  Status set_script_state(std::string_view script_id, std::string_view state, std::string_view final_marks) override;
  Status set_script_scored(std::string_view script_id, std::int64_t now_ms) override;
  Status add_marking(const MarkingRow& m) override;
  Result<std::vector<MarkingRow>> markings(std::string_view script_id) override;
  Result<std::vector<MarkingProgressRow>> progress() override;

 private:
  SqliteRepository& base_;
};

}  // namespace vigil::server
