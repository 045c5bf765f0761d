// Writes the seed corpora of the fuzz targets from real journals, keys and messages:
//   build/fuzz/make_fuzz_corpus tests/fuzz/corpus
// Run it by hand after a change to the wire format or the journal; the files are committed.
// Output is deterministic except where keys are fresh (CSRs, receipts, the trust file's pins).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/fuzz/fuzz_api_world.hpp"

using namespace vigil;
namespace fs = std::filesystem;
using fuzz::encode_input;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

void write(const fs::path& path, std::string_view bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// A device journal for one session of the fuzzed device (same chain id as the server computes).
struct Journal {
  std::string session;
  std::string chain;
  time::ManualClock clock;
  journal::Appender app;
  std::vector<protocol::RecordDto> records;
  std::vector<journal::Head> heads;

  explicit Journal(std::string s)
      : session(std::move(s)),
        chain(journal::chain_id_for(fuzz::k_device, session)),
        app(chain, journal::Head::genesis(chain)) {}

  void add(std::string_view type, std::string_view payload) {
    clock.advance_ms(1000);
    const auto r = app.next(type, as_bytes(payload), clock);
    app.commit(r);
    records.push_back({r, to_bytes(payload)});
    heads.push_back(app.head());
  }
  void answer(int item, std::string_view value) {
    add("answer.saved", protocol::encode_answer_saved({"q" + std::to_string(item), 1, std::string(value)}));
  }
  protocol::RecordBatch batch(std::uint64_t from, std::uint64_t to, const Bytes* seed = nullptr) const {
    protocol::RecordBatch b;
    b.session_id = session;
    for (auto seq = from; seq <= to; ++seq) b.records.push_back(records.at(seq - 1));
    if (seed) b.checkpoint = journal::make_checkpoint(chain, heads.at(to - 1), *seed).value();
    return b;
  }
};

std::string json_of(const protocol::RecordBatch& b) { return protocol::to_json(b).dump(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (e.g. tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  const fs::path api = root / "fuzz_api_records";
  const fs::path dec = root / "fuzz_request_decoding";
  const Bytes seed(32, fuzz::k_signing_seed_byte);

  // ---- fuzz_api_records -----------------------------------------------------------------------
  Journal fz{std::string(fuzz::k_session)};
  fz.add("session.started", R"({"v":1})");
  for (int i = 1; i <= 5; ++i) fz.answer(i, "answer " + std::to_string(i));
  fz.clock.set_wall_ms(fz.clock.wall_ms() + 3'600'000);  // a clock jump at record 7
  fz.answer(6, "after the clock moved");
  fz.answer(7, "x");

  const auto R = fuzz::post_records_fz;
  write(api / "records-fz-1-3", encode_input(R, fuzz::enrolled, {}, json_of(fz.batch(1, 3))));
  write(api / "records-fz-4-6-checkpoint", encode_input(R, fuzz::enrolled, {}, json_of(fz.batch(4, 6, &seed))));
  write(api / "records-fz-7-8-clock-jump", encode_input(R, fuzz::enrolled, {}, json_of(fz.batch(7, 8))));
  write(api / "records-fz-2-5-resend", encode_input(R, fuzz::enrolled, {}, json_of(fz.batch(2, 5))));
  {
    auto b = fz.batch(2, 3);
    b.records[0].payload = to_bytes("different");
    b.records[0].record.payload_hash = journal::payload_hash(b.records[0].payload);
    write(api / "records-fz-conflict", encode_input(R, fuzz::enrolled, {}, json_of(b)));
  }
  {
    auto b = fz.batch(4, 5);
    b.records[0].record.prev_hash[3] ^= 0x10;
    write(api / "records-fz-bad-prev-hash", encode_input(R, fuzz::enrolled, {}, json_of(b)));
  }
  {
    auto b = fz.batch(4, 6, &seed);
    b.checkpoint->signature[0] ^= 0x01;
    write(api / "records-fz-bad-checkpoint", encode_input(R, fuzz::enrolled, {}, json_of(b)));
  }
  write(api / "records-fz-gap", encode_input(R, fuzz::enrolled, {}, json_of(fz.batch(7, 7))));
  write(api / "records-fz-no-certificate", encode_input(R, fuzz::no_certificate, {}, json_of(fz.batch(1, 1))));
  write(api / "records-fz-revoked", encode_input(R, fuzz::revoked_device, {}, json_of(fz.batch(1, 1))));
  write(api / "records-fz-wrong-content-type",
        encode_input(R, fuzz::enrolled, {{"Content-Type", "text/plain"}}, json_of(fz.batch(1, 1))));

  // fz2: a submitted session whose manifest lists the known blob: the receipt comes with the blob.
  Journal fz2{std::string(fuzz::k_session2)};
  fz2.add("session.started", R"({"v":1})");
  fz2.answer(1, "a");
  const auto blob = fuzz::known_blob();
  fz2.add("session.submitted", protocol::encode_submission_manifest({{crypto::sha256(as_bytes(blob))}}));
  write(api / "records-fz2-submitted",
        encode_input(fuzz::post_records_fz2, fuzz::enrolled, {}, json_of(fz2.batch(1, 3, &seed))));

  // A session chosen by header, and session reads.
  Journal named("exam-2027.a");
  named.add("session.started", R"({"v":1})");
  named.answer(1, "b");
  write(api / "records-named-session", encode_input(fuzz::post_records_named, fuzz::enrolled,
                                                    {{":session", named.session}}, json_of(named.batch(1, 2))));
  write(api / "get-session-fz", encode_input(fuzz::get_session_named, fuzz::enrolled, {}, ""));
  write(api / "get-session-fz2",
        encode_input(fuzz::get_session_named, fuzz::enrolled, {{":session", std::string(fuzz::k_session2)}}, ""));

  // The known blob in three chunks, and other uploads.
  const auto chunk = [&](std::size_t at, std::size_t n) {
    return encode_input(fuzz::put_blob_known, fuzz::enrolled,
                        {{"Upload-Offset", std::to_string(at)}, {"Upload-Length", std::to_string(blob.size())}},
                        blob.substr(at, n));
  };
  write(api / "blob-known-chunk-1", chunk(0, 1000));
  write(api / "blob-known-chunk-2", chunk(1000, 1000));
  write(api / "blob-known-chunk-3", chunk(2000, 500));
  write(api / "blob-self-hello", encode_input(fuzz::put_blob_self, fuzz::enrolled, {}, "hello, blob"));
  write(api / "blob-named-mismatch",
        encode_input(fuzz::put_blob_named, fuzz::enrolled, {{":blob", std::string(64, 'a')}}, "not what the name says"));
  write(api / "blob-named-two-chunks",
        encode_input(fuzz::put_blob_named, fuzz::enrolled,
                     {{":blob", to_hex(crypto::sha256(as_bytes("0123456789")))}, {"Upload-Length", "10"}}, "01234"));
  write(api / "blob-bad-chunk-sha",
        encode_input(fuzz::put_blob_self, fuzz::enrolled, {{"Chunk-SHA256", std::string(64, '0')}}, "chunk"));
  // A header line without ':' removes that header.
  write(api / "blob-no-offset",
        std::string(1, static_cast<char>(fuzz::put_blob_self)) + "Upload-Offset\n\nchunk");
  write(api / "get-blob-known", encode_input(fuzz::get_blob_named, fuzz::enrolled, {}, ""));

  // Enrolment (no code exists on the fuzz server, so this reaches the code lookup).
  {
    const auto key = crypto::p256_generate().value();
    protocol::EnrolRequest e{"ACDE-FGHJ-KMNP-QRTU", "00112233445566778899aabbccddeeff",
                             crypto::make_csr(key.private_pem, "00112233445566778899aabbccddeeff").value(),
                             crypto::ed25519_from_seed(seed).value().public_key};
    write(api / "enrol", encode_input(fuzz::post_enrol, fuzz::no_certificate, {}, protocol::to_json(e).dump()));
  }
  write(api / "raw-health", encode_input(fuzz::raw, fuzz::no_certificate, {{":method", "GET"}, {":target", "/v1/health"}}, ""));
  write(api / "raw-server-keys",
        encode_input(fuzz::raw, fuzz::no_certificate, {{":method", "GET"}, {":target", "/v1/server-keys?x=1"}}, ""));
  write(api / "raw-delete-session",
        encode_input(fuzz::raw, fuzz::enrolled, {{":method", "DELETE"}, {":target", "/v1/sessions/fz"}}, ""));

  // ---- fuzz_request_decoding ------------------------------------------------------------------
  write(dec / "record-batch.json", json_of(fz.batch(1, 3, &seed)));
  {
    const auto key = crypto::p256_generate().value();
    const std::string id = "00112233445566778899aabbccddeeff";
    const auto csr = crypto::make_csr(key.private_pem, id).value();
    write(dec / "csr.pem", csr);
    protocol::EnrolRequest e{"ACDEFGHJKMNPQRTU", id, csr, crypto::ed25519_from_seed(seed).value().public_key};
    write(dec / "enrol-request.json", protocol::to_json(e).dump());
  }
  protocol::Receipt receipt;
  receipt.candidate_id = std::string(fuzz::k_candidate);
  receipt.device_id = std::string(fuzz::k_device);
  receipt.session_id = std::string(fuzz::k_session2);
  receipt.final_seq = 3;
  receipt.head_hash = fz2.heads.back().hash;
  receipt.blobs = {crypto::sha256(as_bytes(blob))};
  receipt.received_wall_ms = 1'790'000'000'000;
  const auto receipt_key = crypto::ed25519_from_seed(Bytes(32, 0x11)).value();
  (void)protocol::sign_receipt(receipt, crypto::view(receipt_key.seed), receipt_key.public_key);
  write(dec / "receipt.json", protocol::to_json(receipt).dump());
  write(dec / "session-state.json",
        protocol::to_json(protocol::SessionState{std::string(fuzz::k_session2), 3, true, true, receipt}).dump());
  write(dec / "blob-status.json",
        protocol::to_json(protocol::BlobStatus{crypto::sha256(as_bytes(blob)), 2500, 1000, false}).dump());
  write(dec / "client-trust.json",
        protocol::to_json(protocol::ClientTrust{"vigil.example.org", 8443, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                                                {std::string(43, 'A') + "=", std::string(43, 'B') + "="}})
            .dump());
  write(dec / "batch-ack.json", protocol::to_json(protocol::BatchAck{"fz", 42}).dump());
  write(dec / "error-body.json",
        protocol::to_json(protocol::ErrorBody{"invalid_argument", "field \"records[1].seq\": expected an unsigned integer",
                                              "records[1].seq"})
            .dump());
  write(dec / "manifest.json", protocol::encode_submission_manifest({{crypto::sha256(as_bytes(blob))}}));
  write(dec / "answer-saved.json", protocol::encode_answer_saved({"q1", 3, "An answer with \u00e9 and \"quotes\"."}));
  write(dec / "record.vce", as_chars(journal::record_bytes(fz.records[1].record)));
  {
    canonical::Map m;
    m.emplace("list", canonical::Value(canonical::List{canonical::Value(true), canonical::Value(std::int64_t{-5}),
                                                       canonical::Value(Bytes{1, 2, 3})}));
    m.emplace("n", canonical::Value(std::uint64_t{7}));
    write(dec / "map.vce", as_chars(canonical::encode(canonical::Value(std::move(m))).value()));
  }
  std::printf("wrote the corpora under %s\n", root.c_str());
  return 0;
}
