// Writes the seed corpora of the fuzz targets from real journals, keys and messages:
//   build/fuzz/make_fuzz_corpus tests/fuzz/corpus
// Run it by hand after a change to the wire format or the journal; the files are committed.
// Output is deterministic except where keys are fresh (CSRs, receipts, the trust file's pins) and
// the package's random nonce.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "shared/assessment/json.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/journal/journal.hpp"
#include "shared/package/package.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/fuzz/fuzz_api_world.hpp"
#include "tests/fuzz/fuzz_decoders_world.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/sample_assessment.hpp"

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

// A content directory as fuzz_content's one input (fuzz_decoders_world.hpp).
std::string content_input(const std::map<std::string, std::string>& files) {
  std::vector<std::pair<std::string, std::string>> list{{"assessment.json", files.at("assessment.json")}};
  for (const auto& [name, text] : files) {
    if (name != "assessment.json") list.emplace_back(name, text);
  }
  return fuzz::encode_files(list);
}

// One request of fuzz_staff_api or fuzz_client_ui: byte 0 is route | who << 4.
std::string request(int route, int who, std::string_view body) {
  return std::string(1, static_cast<char>((who << 4) | route)) + std::string(body);
}

// ---- the decoder targets' seeds: real signed objects with the keys of fuzz_decoders_world.hpp --
void write_decoder_corpora(const fs::path& root) {
  const fs::path can = root / "fuzz_canonical", pkg = root / "fuzz_package", cert = root / "fuzz_certificate",
                 content = root / "fuzz_content";
  const auto signer = fuzz::key_from(fuzz::k_package_seed_byte);
  const Bytes content_key(package::k_content_key_size, fuzz::k_content_key_byte);
  const auto a = testing::small_assessment();
  const auto file = package::build_package(a, content_key, crypto::view(signer.seed)).value();
  write(pkg / "package.vigilpkg", as_chars(file));
  write(pkg / "assessment.json", assessment::to_json(a).dump());
  package::SittingGrant g;
  g.sitting_id = "sit-1";
  g.candidate_id = "c-1";
  g.device_id = "dev-1";
  g.assessment_id = a.id;
  g.version = a.version;
  g.key_id = package::content_key_id(content_key);
  g.scheduled_start_ms = 1'790'000'000'000;
  g.window_end_ms = g.scheduled_start_ms + 8 * 3'600'000;
  g.accommodations = {25, 10, false};
  g.issued_ms = 1'789'000'000'000;
  (void)package::sign_grant(g, crypto::view(signer.seed), signer.public_key);
  write(pkg / "grant.json", package::to_json(g).dump());
  write(pkg / "start-code.txt", "acde fghj-kmnp");
  // The VCE1 bytes behind those signatures, for the canonical decoder.
  write(can / "grant-message.vce", as_chars(package::grant_message(g)));
  write(can / "package-header.vce", as_chars(ByteView(file).subspan(14, (std::size_t{file[10]} << 24 | std::size_t{file[11]} << 16 |
                                                                      std::size_t{file[12]} << 8 | file[13]))));
  const auto creds = fuzz::signed_credentials();
  write(can / "credential-message.vce", as_chars(certificate::credential_message(creds.front())));
  write(can / "revocations-message.vce", as_chars(certificate::revocation_list_message(fuzz::signed_revocation_list())));

  for (std::size_t i = 0; i < creds.size(); ++i) {
    write(cert / ("credential-" + std::to_string(i) + ".json"), certificate::to_json(creds[i]).dump(i == 0 ? 2 : -1));
  }
  write(cert / "revocations.json", certificate::to_json(fuzz::signed_revocation_list()).dump());
  write(cert / "issuer-keys.json", certificate::to_json(fuzz::issuer_keys()).dump(2));
  write(cert / "date.txt", "2028-02-29");

  // The tests' small content directory (tests/support/content_dir.hpp). The real content in
  // server/content is not a seed: at ~100 KB an input, one run takes seconds under the
  // sanitizers and every mutation of it is as slow.
  std::map<std::string, std::string> small;
  for (const auto& [name, j] : testing::ContentFiles::sample().files) small[name] = j.dump(2);
  write(content / "sample", content_input(small));
  small["assessment.json"] = testing::ContentFiles::sample().files.at("assessment.json").dump();
  small.erase("written.json");
  write(content / "sample-missing-file", content_input(small));
}

// ---- fuzz_staff_api and fuzz_client_ui: the bodies the tests send ---------------------------
void write_api_corpora(const fs::path& root) {
  const fs::path staff = root / "fuzz_staff_api", ui = root / "fuzz_client_ui";
  const std::string header = "name,work_email,employee_ref,level,exemptions,extra_time_percent,extra_break_minutes\n";
  write(staff / "import-ok", request(0, 0, "\xEF\xBB\xBF" + header + "Ex Empt,ex@own.example.org,X1,practitioner,Knowledge_Only,25,10\n"
                                               "No Adjust,na@own.example.org,X2,practitioner,none,,\n"));
  write(staff / "import-bad-rows", request(0, 0, "name,work_email,employee_ref,level,extra_time_percent\n"
                                                 "Good One,g1@own.example.org,G1,practitioner,25\n"
                                                 "Dup Ref,g2@own.example.org,G1,practitioner,0\n"
                                                 "Dup Held,olive@own.example.org,OWN1,practitioner,0\n"
                                                 "Bad Level,g3@own.example.org,G3,expert,0\n"
                                                 "Short,g5@own.example.org\n"));
  write(staff / "import-formulas", request(0, 0, "name,work_email,employee_ref,level\n"
                                                 "\"=HYPERLINK(\"\"http://x\"\")\",f1@own.example.org,F1,practitioner\n"
                                                 "+SUM(A1),f2@own.example.org,F2,practitioner\n"));
  write(staff / "import-open-quote", request(0, 0, "name,work_email,employee_ref,level\n\"Open,a@b.example.org,E1,practitioner\n"));
  write(staff / "import-other-council", request(13, 0, header + "Not Mine,nm@other.example.org,N1,practitioner,,,\n"));
  write(staff / "import-no-csrf", request(0, 4, header + "No Token,nt@own.example.org,T1,practitioner,,,\n"));
  write(staff / "import-as-admin", request(0, 1, header + "By Admin,ba@own.example.org,B1,practice_supervisor,,0,0\n"));
  write(staff / "candidate", request(1, 0, R"({"name":"Ann One","work_email":"ann@own.example.org","employee_ref":"A1","level":"practitioner","exemptions":"","extra_time_percent":0,"extra_break_minutes":0})"));
  write(staff / "codes", request(2, 0, "{}"));
  write(staff / "headcount", request(3, 0, R"({"eligible":12})"));
  write(staff / "withdraw", request(4, 0, R"({"reason":"left the council"})"));
  write(staff / "reendorse", request(5, 0, R"({"confirm":true})"));
  write(staff / "users", request(6, 1, R"({"email":"new@example.org","display_name":"New","role":"proctor","password":"a long enough one-time password"})"));
  write(staff / "councils", request(7, 1, R"({"council_id":"third","name":"Third Council"})"));
  write(staff / "login", request(8, 3, R"({"email":"manager@own.example.org","password":"wrong password here"})"));
  write(staff / "reauth", request(9, 0, R"({"password":"wrong password here"})"));
  write(staff / "thresholds", request(10, 1, R"({"v":1,"knowledge":70,"scenario":65,"written":60,"overall":65})"));
  write(staff / "marks", request(11, 1, R"({"round":1,"marks":[{"kss":"P6","mark":3,"comment":"Risk analysis: 3"}]})"));
  write(staff / "decision", request(12, 2, R"({"decision":"concerns","note":"the reasons","public_reason":"Another person helped."})"));
  write(staff / "raw-candidates-get", request(14, 0, "GET /staff/api/councils/own/candidates?status=all&limit=5\n"));
  write(staff / "raw-logout", request(14, 0, "POST /staff/api/logout\n{}"));
  write(staff / "raw-nobody", request(14, 3, "GET /staff/api/me\n"));
  write(staff / "raw-csv", request(15, 0, "POST /staff/api/councils/own/import\n" + header));

  write(ui / "answer-single", request(0, 0, R"({"value":{"choice":1}})"));
  write(ui / "answer-multiple", request(1, 0, R"({"value":{"choices":[0,3]}})"));
  write(ui / "answer-written", request(2, 0, R"({"value":{"text":"A written answer with \u00e9."}})"));
  write(ui / "flag", request(3, 0, R"({"item_id":"k-1","flagged":true})"));
  write(ui / "navigate", request(4, 0, R"({"item_index":1})"));
  write(ui / "navigate-review", request(4, 0, R"({"view":"review"})"));
  write(ui / "finish-section", request(5, 0, "{}"));
  write(ui / "end-break", request(6, 0, "{}"));
  write(ui / "event", request(7, 0, R"({"type":"focus.lost"})"));
  write(ui / "submit", request(8, 0, R"({"confirm":true})"));
  write(ui / "identity", request(9, 0, R"({"consent":"automated"})"));
  write(ui / "equalities", request(10, 0, R"({"v":1,"age_band":"25_34","ethnicity":"prefer_not_to_say"})"));
  write(ui / "enrol", request(11, 0, R"({"code":"ACDE-FGHJ-KMNP-QRTU"})"));
  write(ui / "unlock", request(12, 0, R"({"start_code":"ACDE-FGHJ-KMNP"})"));
  write(ui / "capture", request(13, 0, R"({"kind":"face"})"));
  write(ui / "raw-state", request(14, 0, "GET /api/state\n"));
  write(ui / "raw-section", request(14, 0, "GET /api/section\n"));
  write(ui / "raw-answer-unknown-item", request(14, 0, "PUT /api/answers/nope\n{\"value\":{\"choice\":0}}"));
  write(ui / "no-cookie", request(0, 1, R"({"value":{"choice":2}})"));
  write(ui / "wrong-host", request(0, 2, R"({"value":{"choice":2}})"));
  write(ui / "foreign-origin", request(3, 3, R"({"item_id":"k-1","flagged":true})"));
  write(ui / "not-json", request(8, 4, R"({"confirm":true})"));
  write(ui / "launch-guess", request(15, 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

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
  write_decoder_corpora(root);
  write_api_corpora(root);
  std::printf("wrote the corpora under %s\n", root.c_str());
  return 0;
}
