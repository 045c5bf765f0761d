#include "shared/protocol/messages.hpp"

#include <utility>

namespace vigil::protocol {
namespace {

using json = nlohmann::json;

std::string hex(const journal::Hash& h) { return to_hex(ByteView(h)); }

}  // namespace

bool is_valid_record_type(std::string_view type) noexcept {
  if (type.empty() || type.size() > k_max_record_type_len) return false;
  for (const char c : type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// ---- RecordDto --------------------------------------------------------------------------------

json to_json(const RecordDto& r) {
  return json{
      {"seq", r.record.seq},
      {"prev_hash", hex(r.record.prev_hash)},
      {"boot_id", r.record.boot_id},
      {"mono_ns", r.record.monotonic_ns},
      {"wall_ms", r.record.wall_ms},
      {"type", r.record.type},
      {"payload_hash", hex(r.record.payload_hash)},
      {"payload", to_base64(r.payload)},
  };
}

Result<RecordDto> decode_record(ObjectReader& r) {
  RecordDto out;
  journal::Record& rec = out.record;
  VIGIL_ASSIGN(rec.seq, r.uint("seq"));
  VIGIL_ASSIGN(rec.prev_hash, r.hex_digest32("prev_hash"));
  VIGIL_ASSIGN(rec.boot_id, r.non_empty_string("boot_id", k_max_boot_id_len));
  VIGIL_ASSIGN(rec.monotonic_ns, r.uint("mono_ns"));
  VIGIL_ASSIGN(rec.wall_ms, r.integer("wall_ms"));
  VIGIL_ASSIGN(rec.type, r.non_empty_string("type", k_max_record_type_len));
  if (!is_valid_record_type(rec.type)) {
    return fail(r.error("type", "must contain only lower-case letters, digits, '.' and '_'"));
  }
  VIGIL_ASSIGN(rec.payload_hash, r.hex_digest32("payload_hash"));
  VIGIL_ASSIGN(out.payload, r.base64("payload", k_max_payload_bytes));
  VIGIL_TRY(r.finish());
  return out;
}

Result<RecordDto> decode_record(const json& j) {
  return decode_top<RecordDto>(j, [](ObjectReader& r) { return decode_record(r); });
}

// ---- Checkpoint -------------------------------------------------------------------------------

json to_json(const CheckpointDto& c) {
  return json{
      {"chain_id", c.chain_id},
      {"seq", c.seq},
      {"head_hash", hex(c.head_hash)},
      {"wall_ms", c.wall_ms},
      {"signature", to_base64(c.signature)},
  };
}

Result<CheckpointDto> decode_checkpoint(ObjectReader& r) {
  CheckpointDto out;
  VIGIL_ASSIGN(out.chain_id, r.non_empty_string("chain_id", k_max_chain_id_len));
  VIGIL_ASSIGN(out.seq, r.uint("seq"));
  VIGIL_ASSIGN(out.head_hash, r.hex_digest32("head_hash"));
  VIGIL_ASSIGN(out.wall_ms, r.integer("wall_ms"));
  VIGIL_ASSIGN(out.signature, r.base64("signature", k_signature_len));
  if (out.signature.size() != k_signature_len) {
    return fail(r.error("signature", "must be exactly 64 bytes (an Ed25519 signature), got " +
                                         std::to_string(out.signature.size())));
  }
  VIGIL_TRY(r.finish());
  return out;
}

Result<CheckpointDto> decode_checkpoint(const json& j) {
  return decode_top<CheckpointDto>(j, [](ObjectReader& r) { return decode_checkpoint(r); });
}

// ---- RecordBatch ------------------------------------------------------------------------------

json to_json(const RecordBatch& b) {
  json records = json::array();
  for (const RecordDto& r : b.records) records.push_back(to_json(r));
  json j{{"v", k_protocol_version}, {"session_id", b.session_id}, {"records", std::move(records)}};
  if (b.checkpoint) j["checkpoint"] = to_json(*b.checkpoint);
  return j;
}

Result<RecordBatch> decode_record_batch(const json& j) {
  return decode_top<RecordBatch>(j, [](ObjectReader& r) -> Result<RecordBatch> {
    VIGIL_TRY(r.version(k_protocol_version));
    RecordBatch out;
    VIGIL_ASSIGN(out.session_id, r.non_empty_string("session_id", k_max_session_id_len));
    VIGIL_ASSIGN(auto readers, r.objects("records", k_max_batch_records));
    if (readers.empty()) return fail(r.error("records", "must contain at least one record"));
    out.records.reserve(readers.size());
    for (std::size_t i = 0; i < readers.size(); ++i) {
      VIGIL_ASSIGN(auto record, decode_record(readers[i]));
      if (i > 0 && record.record.seq <= out.records.back().record.seq) {
        return fail(readers[i].error("seq", "is " + std::to_string(record.record.seq) +
                                                ", not above the previous record's " +
                                                std::to_string(out.records.back().record.seq) +
                                                " (records must be in increasing seq order)"));
      }
      out.records.push_back(std::move(record));
    }
    VIGIL_ASSIGN(auto checkpoint, r.optional_object("checkpoint"));
    if (checkpoint) {
      VIGIL_ASSIGN(out.checkpoint, decode_checkpoint(*checkpoint));
    }
    VIGIL_TRY(r.finish());
    return out;
  });
}

Result<RecordBatch> parse_record_batch(std::string_view body) {
  VIGIL_ASSIGN(auto j, parse_json(body));
  return decode_record_batch(j);
}

// ---- BatchAck ---------------------------------------------------------------------------------

json to_json(const BatchAck& a) {
  return json{{"v", k_protocol_version},
              {"session_id", a.session_id},
              {"highest_contiguous_seq", a.highest_contiguous_seq}};
}

Result<BatchAck> decode_batch_ack(const json& j) {
  return decode_top<BatchAck>(j, [](ObjectReader& r) -> Result<BatchAck> {
    VIGIL_TRY(r.version(k_protocol_version));
    BatchAck out;
    VIGIL_ASSIGN(out.session_id, r.non_empty_string("session_id", k_max_session_id_len));
    VIGIL_ASSIGN(out.highest_contiguous_seq, r.uint("highest_contiguous_seq"));
    VIGIL_TRY(r.finish());
    return out;
  });
}

Result<BatchAck> parse_batch_ack(std::string_view body) {
  VIGIL_ASSIGN(auto j, parse_json(body));
  return decode_batch_ack(j);
}

// ---- ErrorBody --------------------------------------------------------------------------------

json to_json(const ErrorBody& e) {
  json error{{"code", e.code}, {"message", e.message}};
  if (!e.field.empty()) error["field"] = e.field;
  return json{{"v", k_protocol_version}, {"error", std::move(error)}};
}

Result<ErrorBody> decode_error_body(const json& j) {
  return decode_top<ErrorBody>(j, [](ObjectReader& r) -> Result<ErrorBody> {
    VIGIL_TRY(r.version(k_protocol_version));
    ErrorBody out;
    VIGIL_ASSIGN(auto error, r.object("error"));
    VIGIL_ASSIGN(out.code, error.non_empty_string("code", k_max_error_code_len));
    VIGIL_ASSIGN(out.message, error.string("message", k_max_error_message_len));
    VIGIL_ASSIGN(auto field, error.optional_string("field", k_max_error_field_len));
    out.field = field.value_or(std::string{});
    VIGIL_TRY(error.finish());
    VIGIL_TRY(r.finish());
    return out;
  });
}

Result<ErrorBody> parse_error_body(std::string_view body) {
  VIGIL_ASSIGN(auto j, parse_json(body));
  return decode_error_body(j);
}

ErrorBody error_body_from(const Error& e) {
  return ErrorBody{std::string(errc_name(e.code)), e.message, e.field};
}

Error to_error(const ErrorBody& e) {
  // Errc::internal is the last enumerator of Errc (result.hpp).
  Errc code = Errc::internal;
  for (int i = 0; i <= static_cast<int>(Errc::internal); ++i) {
    const auto candidate = static_cast<Errc>(i);
    if (errc_name(candidate) == e.code) {
      code = candidate;
      break;
    }
  }
  return Error{code, e.message, e.field};
}

// ---- AnswerSaved ------------------------------------------------------------------------------

json to_json(const AnswerSaved& a) {
  return json{{"v", k_protocol_version}, {"item_id", a.item_id}, {"revision", a.revision}, {"value", a.value}};
}

std::string encode_answer_saved(const AnswerSaved& a) {
  // nlohmann's object is a std::map, so dump() writes keys sorted; no indent means compact.
  return to_json(a).dump();
}

Result<AnswerSaved> decode_answer_saved(const json& j) {
  return decode_top<AnswerSaved>(j, [](ObjectReader& r) -> Result<AnswerSaved> {
    VIGIL_TRY(r.version(k_protocol_version));
    AnswerSaved out;
    VIGIL_ASSIGN(out.item_id, r.non_empty_string("item_id", k_max_item_id_len));
    VIGIL_ASSIGN(out.revision, r.uint("revision"));
    VIGIL_ASSIGN(out.value, r.string("value", k_max_answer_bytes));
    VIGIL_TRY(r.finish());
    return out;
  });
}

Result<AnswerSaved> parse_answer_saved(std::string_view body) {
  VIGIL_ASSIGN(auto j, parse_json(body));
  return decode_answer_saved(j);
}

#undef VIGIL_ASSIGN
#undef VIGIL_PROTO_ASSIGN_IMPL
#undef VIGIL_PROTO_CAT
#undef VIGIL_PROTO_CAT2

}  // namespace vigil::protocol
