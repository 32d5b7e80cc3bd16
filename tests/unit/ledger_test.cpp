// The ledger's parts that need no database: leaves, signed notes (against the Go reference
// implementation's published example), tiles (against the plain RFC 9162 definitions), and the
// offline audit of an export.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <sstream>

#include "hub/core/text.hpp"
#include "hub/ledger/audit.hpp"
#include "hub/ledger/entry.hpp"
#include "hub/ledger/note.hpp"
#include "hub/ledger/subjects.hpp"
#include "hub/ledger/tiles.hpp"
#include "hub/members/credentials.hpp"

namespace hub::ledger {
namespace {

using json = nlohmann::json;

std::vector<Hash> leaves(std::uint64_t n) {
  std::vector<Hash> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(leaf_hash("leaf " + std::to_string(i)));
  return out;
}

TEST(Base64, RoundTripsAndRefusesNonCanonicalText) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto text = base64_encode(s);
    auto back = base64_decode(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm8"));       // unpadded
  EXPECT_FALSE(base64_decode("Zm9=Zm8="));  // padding inside
  EXPECT_FALSE(base64_decode("Zm9v\nYmFy"));
  EXPECT_FALSE(base64_decode("Zm9="));  // non-zero trailing bits: not canonical
}

// golang.org/x/mod/sumdb/note's example: Ed25519 is deterministic, so the signature must come out
// byte for byte, and then any Go-ecosystem verifier (or witness) accepts the hub's notes.
TEST(SignedNote, MatchesTheGoReferenceExampleByteForByte) {
  const std::string vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const auto skey = base64_decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  ASSERT_TRUE(skey);
  const auto key = SigningKey::from_seed(skey->substr(1));
  EXPECT_EQ(make_vkey("PeterNeumann", key.public_key()), vkey);
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  const std::string want =
      text +
      "\n\xE2\x80\x94 PeterNeumann "
      "x08go/ZJkuBS9UG/"
      "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  EXPECT_EQ(sign_note(text, "PeterNeumann", key), want);

  auto verifier = parse_vkey(vkey);
  ASSERT_TRUE(verifier);
  EXPECT_EQ(key_id_hex(verifier->id()), "c74f20a3");
  EXPECT_TRUE(verifier->verify(
      text,
      base64_decode("x08go/ZJkuBS9UG/"
                    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")
          ->substr(4)));
  // A changed byte of the vkey is refused (its key id no longer matches, or it does not decode).
  for (std::size_t i = 0; i < vkey.size(); ++i) {
    std::string bad = vkey;
    bad[i] = static_cast<char>(bad[i] + 1);
    EXPECT_FALSE(parse_vkey(bad)) << bad;
  }
}

TEST(Checkpoint, SignsParsesAndVerifies) {
  const auto key = SigningKey::generate();
  const auto tree = leaves(5);
  const std::string note =
      sign_note(checkpoint_body("hub.test/ledger", 5, root_of(tree)), "hub.test/ledger", key);
  std::string why;
  auto c = parse_checkpoint(note, why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->origin, "hub.test/ledger");
  EXPECT_EQ(c->size, 5u);
  EXPECT_EQ(c->root, root_of(tree));
  ASSERT_EQ(c->signatures.size(), 1u);

  auto from_pem = verifier_from_pem("hub.test/ledger", key.public_key_pem());
  ASSERT_TRUE(from_pem);
  EXPECT_TRUE(verify_checkpoint(*c, *from_pem));
  EXPECT_TRUE(verify_checkpoint(*c, *parse_vkey(make_vkey("hub.test/ledger", key.public_key()))));
  // Another key, or another name for the same key, does not verify it.
  auto other = SigningKey::generate();
  EXPECT_FALSE(
      verify_checkpoint(*c, *verifier_from_pem("hub.test/ledger", other.public_key_pem())));
  EXPECT_FALSE(verify_checkpoint(*c, *verifier_from_pem("other/ledger", key.public_key_pem())));
  // A changed size in the signed text fails.
  std::string forged = note;
  forged.replace(forged.find("\n5\n"), 3, "\n6\n");
  auto f = parse_checkpoint(forged, why);
  ASSERT_TRUE(f);
  EXPECT_FALSE(verify_checkpoint(*f, *from_pem));

  for (std::string bad :
       {std::string("no blank line\n"), std::string("o\n1\nroot\n\n\xE2\x80\x94 k AAAA\n"),
        std::string("o\nx\n") + base64_encode(std::string(32, 'a')) + "\n\n"}) {
    EXPECT_FALSE(parse_checkpoint(bad, why)) << bad;
  }
}

TEST(SigningKey, IsMadeOnceInItsFileAndReadBack) {
  const auto dir = std::filesystem::temp_directory_path() / ("hub-key-" + random_id(6));
  const auto file = dir / "ledger" / "signing-key.pem";
  auto made = SigningKey::load(file, true);
  EXPECT_EQ((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read),
            std::filesystem::perms::none);
  auto again = SigningKey::load(file, true);
  EXPECT_EQ(made.public_key(), again.public_key());
  EXPECT_THROW(SigningKey::load(dir / "absent.pem", false), std::exception);
  std::filesystem::remove_all(dir);
}

TEST(Leaf, HoldsTheFieldsInOrderAndHashesWithThePrefix) {
  EntryDraft d;
  d.request_id = "req-1";
  d.operation = "read";
  d.consumer_code = "11440100MB2C91826K";
  d.principal_id = "p1";
  d.provider_code = "11440100007502476H";
  d.resource_code = "R-001";
  d.purpose = "办理营业执照核验";
  d.items = {"name", "uscc"};
  d.record_count = 1;
  d.status = 200;
  d.response_sha256 = std::string(64, 'a');
  const std::string time = format_time_micros(1795766412123456);
  EXPECT_EQ(time, "2026-11-27T08:00:12.123456Z");
  auto e = make_entry(d, 7, time);
  EXPECT_TRUE(e.leaf.starts_with(
      R"({"index":7,"time":"2026-11-27T08:00:12.123456Z","request_id":"req-1",)"))
      << e.leaf;
  EXPECT_NE(e.leaf.find("办理营业执照核验"), std::string::npos) << "UTF-8 kept, not escaped";
  EXPECT_EQ(e.leaf_hash, leaf_hash(e.leaf));
  EXPECT_EQ(leaf_fields(e.leaf)["grant_id"], nullptr);
}

// An external member's request names the subject's authorisation in its leaf, and only it does:
// older leaves keep their bytes, and an export whose authorisation was changed fails the check.
TEST(Leaf, CarriesAnAuthorisationOnlyWhenThereIsOne) {
  EntryDraft d;
  d.request_id = "run-1";
  d.operation = "compute_input";
  d.consumer_code = "91440101MA5CYD8X18";
  d.principal_id = "p1";
  d.provider_code = "11440100XYDWCM5T1B";
  d.resource_code = "11440100XYDWCM5T1B-00009";
  d.purpose = "信易贷";
  d.status = 200;
  d.response_sha256 = std::string(64, 'b');
  const std::string time = format_time_micros(1795766412123456);
  EXPECT_EQ(make_leaf(d, 3, time).find("authorization_id"), std::string::npos);
  d.authorization_id = "8d6f2a4e-auth";
  const std::string leaf = make_leaf(d, 3, time);
  EXPECT_EQ(leaf_fields(leaf)["authorization_id"], "8d6f2a4e-auth");
  EXPECT_LT(leaf.find("\"epsilon_spent\""), leaf.find("\"authorization_id\""));
  EXPECT_LT(leaf.find("\"authorization_id\""), leaf.find("\"status\""));
  json exported = leaf_fields(leaf);
  exported["leaf"] = base64_encode(leaf);
  const Hash h = leaf_hash(leaf);
  exported["leaf_hash"] = to_hex(h);
  std::string problem;
  EXPECT_TRUE(check_exported_entry(exported, 3, problem).has_value()) << problem;
  exported["authorization_id"] = "another";
  EXPECT_FALSE(check_exported_entry(exported, 3, problem).has_value());
}

// Tiles give the same tree as the plain definitions, for every size across tile boundaries.
TEST(Tiles, EdgeRootAndTileProofsEqualTheDefinitions) {
  const std::uint64_t max = 256 * 3 + 17;
  const auto all = leaves(max);
  TreeEdge edge;
  std::map<std::pair<unsigned, std::uint64_t>, std::string> stored;
  for (std::uint64_t n = 1; n <= max; ++n) {
    edge.append(all[n - 1]);
    for (auto& w : edge.take_writes()) stored[{w.level, w.index}] = w.hashes;
    std::vector<Hash> prefix(all.begin(), all.begin() + static_cast<long>(n));
    ASSERT_EQ(edge.root(), root_of(prefix)) << n;
    if (n % 37 != 0 && n != 256 && n != 257 && n != max) continue;
    // A sealer restarting at this size reads the edge tiles back.
    std::map<unsigned, std::string> edge_tiles_read;
    for (const auto& ref : edge_tiles(n))
      edge_tiles_read[ref.level] = stored.at({ref.level, ref.index});
    ASSERT_EQ(TreeEdge::from_tiles(n, edge_tiles_read).root(), edge.root()) << n;
    // Proofs from stored tiles equal proofs from the leaves, and verify.
    TileSet tiles;
    for (const auto& [key, hashes] : stored) tiles.add(key.first, key.second, hashes);
    for (std::uint64_t i = 0; i < n; i += 1 + n / 7) {
      auto proof = inclusion_proof(i, n, tiles.range_hash());
      ASSERT_EQ(proof, inclusion_proof(i, n, range_hash_of(prefix))) << i << "/" << n;
      ASSERT_TRUE(verify_inclusion(i, n, tiles.node(0, i), proof, root_of(prefix)));
      if (i > 0) {
        auto c = consistency_proof(i, n, tiles.range_hash());
        std::vector<Hash> first(all.begin(), all.begin() + static_cast<long>(i));
        ASSERT_TRUE(verify_consistency(i, n, root_of(first), root_of(prefix), c));
      }
    }
    EXPECT_TRUE(tiles.missing().empty());
  }
}

TEST(Tiles, ADryRunNamesTheFewTilesAProofNeeds) {
  TileSet empty;
  (void)inclusion_proof(123456, 10000000, empty.range_hash());
  EXPECT_GE(empty.missing().size(), 1u);
  EXPECT_LE(empty.missing().size(), 8u) << "O(log n / 8) tiles, not a pass over the log";
}

// An export as `hubctl ledger export` writes it, and its checkpoint.
struct Exported {
  std::vector<json> lines;
  SigningKey key = SigningKey::generate();
  Verifier verifier() const { return *verifier_from_pem("hub.test/ledger", key.public_key_pem()); }
  std::string checkpoint(std::uint64_t size) const {
    std::vector<Hash> hashes;
    for (std::uint64_t i = 0; i < size; ++i) {
      hashes.push_back(leaf_hash(*base64_decode(lines[i]["leaf"].get<std::string>())));
    }
    return sign_note(checkpoint_body("hub.test/ledger", size, root_of(hashes)), "hub.test/ledger",
                     key);
  }
  std::string text() const {
    std::string out;
    for (const auto& l : lines) out += l.dump() + "\n";
    return out;
  }
};

const SubjectKeys& subjects() {
  static SubjectKeys keys;
  static const bool keyed = (keys.set_key(std::string(32, 'k')), true);
  (void)keyed;
  return keys;
}

Exported make_export(int n) {
  Exported x;
  for (int i = 0; i < n; ++i) {
    EntryDraft d;
    d.request_id = "req-" + std::to_string(i);
    d.operation = i % 3 ? "read" : "verify";
    d.consumer_code = "11440100MB2C91826K";
    d.principal_id = "p1";
    d.provider_code = "11440100007502476H";
    d.resource_code = "R-001";
    d.purpose = "核验";
    d.items = {"name"};
    d.status = i % 5 ? 200 : 403;
    d.response_sha256 = std::string(64, '0');
    // Every seventh entry a query that named three subjects (by their keyed hashes).
    if (i % 7 == 0)
      d.subjects = subjects().hashes({"440106199001011234", "b" + std::to_string(i), "c"});
    auto e = make_entry(d, i, format_time_micros(1795766412000000 + i));
    json line = leaf_fields(e.leaf);
    line["leaf"] = base64_encode(e.leaf);
    line["leaf_hash"] = to_hex(e.leaf_hash);
    if (!d.subjects.empty()) line["subjects"] = subjects_hex(d.subjects);
    // The API's hint of the covering checkpoint is beside the leaf, not in it.
    line["checkpoint"] = i % 2 ? json(nullptr) : json{{"tree_size", i + 1}};
    x.lines.push_back(line);
  }
  return x;
}

AuditResult run_audit(const Exported& x, const std::string& checkpoint,
                      std::optional<std::string> earlier = std::nullopt) {
  std::istringstream in(x.text());
  return audit_export(in, checkpoint, x.verifier(),
                      earlier ? std::optional<std::string_view>(*earlier) : std::nullopt);
}

bool mentions(const AuditResult& r, const std::string& what) {
  for (const auto& p : r.problems) {
    if (p.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST(Audit, AnUntouchedExportVerifies) {
  auto x = make_export(300);
  const auto earlier = x.checkpoint(120);
  auto r = run_audit(x, x.checkpoint(300), earlier);
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.entries, 300u);
  // More entries than the checkpoint covers (appended since) are fine.
  EXPECT_TRUE(run_audit(x, x.checkpoint(250)).ok());
}

TEST(Audit, AChangedByteIsReportedWithItsIndex) {
  auto x = make_export(50);
  const auto checkpoint = x.checkpoint(50);
  // A field changed outside the leaf.
  auto a = x;
  a.lines[17]["purpose"] = "别的用途";
  auto r = run_audit(a, checkpoint);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "index 17: field 'purpose'")) << r.problems[0];
  // A byte of the leaf changed, its fields and hash made to agree: only the root tells.
  auto b = x;
  std::string leaf = *base64_decode(b.lines[23]["leaf"].get<std::string>());
  leaf.replace(leaf.find("核验"), std::string("核验").size(), "核对");
  b.lines[23] = leaf_fields(leaf);
  b.lines[23]["leaf"] = base64_encode(leaf);
  b.lines[23]["leaf_hash"] = to_hex(leaf_hash(leaf));
  r = run_audit(b, checkpoint);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "does not match the signed checkpoint")) << r.problems[0];
  // The leaf changed but not its recorded hash.
  auto c = x;
  c.lines[5]["leaf"] = base64_encode(*base64_decode(c.lines[5]["leaf"].get<std::string>()) + " ");
  r = run_audit(c, checkpoint);
  EXPECT_TRUE(mentions(r, "index 5:")) << r.problems[0];
}

TEST(Audit, ARemovedOrReorderedEntryIsReportedWithItsIndex) {
  auto x = make_export(40);
  const auto checkpoint = x.checkpoint(40);
  auto removed = x;
  removed.lines.erase(removed.lines.begin() + 12);
  auto r = run_audit(removed, checkpoint);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "index 12: leaf index is 13")) << r.problems[0];
  auto last = x;
  last.lines.pop_back();
  EXPECT_TRUE(mentions(run_audit(last, checkpoint), "index 39: the export ends"));
  auto swapped = x;
  std::swap(swapped.lines[30], swapped.lines[31]);
  r = run_audit(swapped, checkpoint);
  EXPECT_TRUE(mentions(r, "index 30:")) << r.problems[0];
  EXPECT_TRUE(mentions(r, "index 31:"));
}

// The subject log: an entry's subjects travel beside its leaf, which commits to them.
TEST(Audit, ASubjectRemovedOrAddedIsReported) {
  auto x = make_export(30);
  const auto checkpoint = x.checkpoint(30);
  ASSERT_EQ(x.lines[14]["subjects"].size(), 3u);
  EXPECT_EQ(x.lines[14]["subjects_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(x.lines[15].contains("subjects_sha256")) << "no subjects, no field";
  // Sorted, each once: the same keys in another order give the same hashes.
  EXPECT_EQ(subjects().hashes({"c", "a", "c"}), subjects().hashes({"a", "c"}));
  EXPECT_EQ(subjects().hashes({}), "");
  // The many-key path (one HMAC context re-initialised per key) gives HMAC-SHA256 of each.
  const std::vector<std::string> many = {"440106199001011234", "", "91440101MA5CXXXX1X", "z"};
  std::vector<std::string> one_by_one;
  for (const auto& k : many) one_by_one.push_back(subjects().hash(k));
  std::sort(one_by_one.begin(), one_by_one.end());
  std::string expected;
  for (const auto& h : one_by_one) expected += h;
  EXPECT_EQ(subjects().hashes(many), expected);
  EXPECT_EQ(subjects().hash("a"), members::hmac_sha256(std::string(32, 'k'), "a"));
  EXPECT_NE(subjects().hash("440106199001011234"), subjects().hash("440106199001011235"));

  auto removed = x;
  removed.lines[14]["subjects"].erase(1);
  auto r = run_audit(removed, checkpoint);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "index 14: subjects are not the ones the leaf commits to"))
      << r.problems[0];
  auto all_gone = x;
  all_gone.lines[21].erase("subjects");
  EXPECT_TRUE(mentions(run_audit(all_gone, checkpoint), "index 21: subjects"));
  auto added = x;
  added.lines[15]["subjects"] = json::array({std::string(64, 'a')});
  EXPECT_TRUE(mentions(run_audit(added, checkpoint), "index 15: subjects"));
  auto garbled = x;
  garbled.lines[7]["subjects"][0] = "not hex";
  EXPECT_TRUE(mentions(run_audit(garbled, checkpoint), "index 7: subjects holds"));
}

TEST(Audit, AForkedOrForeignCheckpointIsReported) {
  auto x = make_export(64);
  // The hub once showed a checkpoint at 20 of another history: same key, other root.
  auto other = make_export(20);
  other.key = x.key;
  other.lines[3]["purpose"] = "x";
  std::string leaf = *base64_decode(other.lines[3]["leaf"].get<std::string>());
  leaf.replace(leaf.find("核验"), std::string("核验").size(), "另一段历史");
  other.lines[3]["leaf"] = base64_encode(leaf);
  const auto forked = other.checkpoint(20);
  auto r = run_audit(x, x.checkpoint(64), forked);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r, "or the log forked")) << r.problems[0];
  // A checkpoint signed by another key.
  auto stranger = x;
  stranger.key = SigningKey::generate();
  r = run_audit(x, stranger.checkpoint(64));
  EXPECT_TRUE(mentions(r, "signature does not verify"));
  // An earlier checkpoint larger than the later one: the log shrank.
  EXPECT_TRUE(mentions(run_audit(x, x.checkpoint(10), x.checkpoint(30)), "the log shrank"));
}

}  // namespace
}  // namespace hub::ledger
