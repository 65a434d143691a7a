#include "lib/reference/reference.h"

#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/digest/digest.h"
#include "lib/reference/grammar.h"
#include "re2/re2.h"

namespace mydocker::reference {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kDigest[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kHex[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// The error message as a std::string: gmock's string matchers do not take
// Debian's absl::string_view.
std::string Message(const absl::StatusOr<Reference>& ref) {
  return std::string(ref.status().message());
}

struct NormalizeCase {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  bool has_digest;
  std::string string;    // Want String().
  std::string familiar;  // Want FamiliarString().
};

std::vector<NormalizeCase> NormalizeCases() {
  const std::string d = kDigest;
  return {
      // Docker Hub spellings all land on one name.
      {"nginx", "docker.io", "library/nginx", "latest", false,
       "docker.io/library/nginx:latest", "nginx:latest"},
      {"library/nginx", "docker.io", "library/nginx", "latest", false,
       "docker.io/library/nginx:latest", "nginx:latest"},
      {"docker.io/nginx", "docker.io", "library/nginx", "latest", false,
       "docker.io/library/nginx:latest", "nginx:latest"},
      {"docker.io/library/nginx", "docker.io", "library/nginx", "latest", false,
       "docker.io/library/nginx:latest", "nginx:latest"},
      {"index.docker.io/library/nginx", "docker.io", "library/nginx", "latest",
       false, "docker.io/library/nginx:latest", "nginx:latest"},
      {"index.docker.io/nginx:1.25", "docker.io", "library/nginx", "1.25",
       false, "docker.io/library/nginx:1.25", "nginx:1.25"},
      {"user/app:1.2", "docker.io", "user/app", "1.2", false,
       "docker.io/user/app:1.2", "user/app:1.2"},
      {"docker.io/user/app", "docker.io", "user/app", "latest", false,
       "docker.io/user/app:latest", "user/app:latest"},
      {"ns/sub/app", "docker.io", "ns/sub/app", "latest", false,
       "docker.io/ns/sub/app:latest", "ns/sub/app:latest"},
      // "library/" is dropped for display only when nothing follows it.
      {"library/a/b", "docker.io", "library/a/b", "latest", false,
       "docker.io/library/a/b:latest", "library/a/b:latest"},
      // Other registries: the path is kept as typed, "library/" included.
      {"registry:5000/ns/app", "registry:5000", "ns/app", "latest", false,
       "registry:5000/ns/app:latest", "registry:5000/ns/app:latest"},
      {"localhost/app", "localhost", "app", "latest", false,
       "localhost/app:latest", "localhost/app:latest"},
      {"localhost:5000/app", "localhost:5000", "app", "latest", false,
       "localhost:5000/app:latest", "localhost:5000/app:latest"},
      {"127.0.0.1:5000/library/busybox:latest", "127.0.0.1:5000",
       "library/busybox", "latest", false,
       "127.0.0.1:5000/library/busybox:latest",
       "127.0.0.1:5000/library/busybox:latest"},
      {"[::1]:5000/app:v1", "[::1]:5000", "app", "v1", false,
       "[::1]:5000/app:v1", "[::1]:5000/app:v1"},
      {"Registry.Example.COM/team/app", "Registry.Example.COM", "team/app",
       "latest", false, "Registry.Example.COM/team/app:latest",
       "Registry.Example.COM/team/app:latest"},
      {"quay.io/a.b_c__d---e/f-g:V_1.0-rc", "quay.io", "a.b_c__d---e/f-g",
       "V_1.0-rc", false, "quay.io/a.b_c__d---e/f-g:V_1.0-rc",
       "quay.io/a.b_c__d---e/f-g:V_1.0-rc"},
      // A digest: kept, and no default tag is added; with a tag, both stay.
      {"nginx@" + d, "docker.io", "library/nginx", "", true,
       "docker.io/library/nginx@" + d, "nginx@" + d},
      {"nginx:1.25@" + d, "docker.io", "library/nginx", "1.25", true,
       "docker.io/library/nginx:1.25@" + d, "nginx:1.25@" + d},
      {"registry:5000/ns/app@" + d, "registry:5000", "ns/app", "", true,
       "registry:5000/ns/app@" + d, "registry:5000/ns/app@" + d},
      // Docker quirks kept for compatibility: without a '/', the first
      // element is never a domain, so ":5000" is a tag here.
      {"localhost:5000", "docker.io", "library/localhost", "5000", false,
       "docker.io/library/localhost:5000", "localhost:5000"},
      {"example.com", "docker.io", "library/example.com", "latest", false,
       "docker.io/library/example.com:latest", "example.com:latest"},
      // Only a bare 64-hex string is reserved; with a namespace it is a name.
      {absl::StrCat("user/", kHex), "docker.io", absl::StrCat("user/", kHex),
       "latest", false, absl::StrCat("docker.io/user/", kHex, ":latest"),
       absl::StrCat("user/", kHex, ":latest")},
  };
}

TEST(ParseNormalizedTest, Normalizes) {
  for (const NormalizeCase& c : NormalizeCases()) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<Reference> ref = ParseNormalized(c.input);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->path, c.path);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest.has_value(), c.has_digest);
    if (c.has_digest) {
      EXPECT_EQ(ref->digest->str(), kDigest);
    }
    EXPECT_EQ(ref->Name(), c.domain + "/" + c.path);
    EXPECT_EQ(ref->String(), c.string);
    EXPECT_EQ(ref->FamiliarString(), c.familiar);
  }
}

TEST(ParseNormalizedTest, StringAndFamiliarStringRoundTrip) {
  for (const NormalizeCase& c : NormalizeCases()) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<Reference> ref = ParseNormalized(c.input);
    ASSERT_TRUE(ref.ok()) << ref.status();
    absl::StatusOr<Reference> again = ParseNormalized(ref->String());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *ref);
    absl::StatusOr<Reference> familiar = ParseNormalized(ref->FamiliarString());
    ASSERT_TRUE(familiar.ok()) << familiar.status();
    EXPECT_EQ(*familiar, *ref);
    absl::StatusOr<Reference> named = ParseNormalizedNamed(ref->FamiliarName());
    ASSERT_TRUE(named.ok()) << named.status();
    EXPECT_EQ(named->Name(), ref->Name());
  }
}

TEST(ParseNormalizedNamedTest, AddsNoDefaultTag) {
  absl::StatusOr<Reference> ref = ParseNormalizedNamed("nginx");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->String(), "docker.io/library/nginx");
  EXPECT_EQ(ref->FamiliarString(), "nginx");
  EXPECT_EQ(ref->tag, "");
  EXPECT_FALSE(ref->digest.has_value());

  ref = ParseNormalizedNamed("index.docker.io/user/app");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->String(), "docker.io/user/app");
  EXPECT_EQ(ref->FamiliarName(), "user/app");

  // A tag or digest given is still parsed and kept.
  ref = ParseNormalizedNamed("localhost:5000/app:v2");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->String(), "localhost:5000/app:v2");
  ref = ParseNormalizedNamed(absl::StrCat("app@", kDigest));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->String(), absl::StrCat("docker.io/library/app@", kDigest));
}

TEST(ReferenceTest, EqualityComparesEveryField) {
  absl::StatusOr<Reference> a = ParseNormalized("nginx");
  absl::StatusOr<Reference> b =
      ParseNormalized("docker.io/library/nginx:latest");
  absl::StatusOr<Reference> c = ParseNormalized("nginx:1");
  absl::StatusOr<Reference> d =
      ParseNormalized(absl::StrCat("nginx:latest@", kDigest));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*a, *d);
}

TEST(ParseNormalizedTest, TagOf128BytesIsTheLimit) {
  std::string tag128 = "v" + std::string(127, 'x');
  absl::StatusOr<Reference> ref = ParseNormalized("nginx:" + tag128);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->tag, tag128);

  ref = ParseNormalized("nginx:" + tag128 + "x");
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(ref), HasSubstr("tag is 129 bytes long; at most 128"));
}

TEST(ParseNormalizedTest, NormalizedNameOf255BytesIsTheLimit) {
  // "docker.io/library/" is 18 bytes: the limit counts the normalized name.
  absl::StatusOr<Reference> ref = ParseNormalized(std::string(237, 'a'));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->Name().size(), 255u);
  ref = ParseNormalized("localhost/" + std::string(245, 'a'));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->Name().size(), 255u);

  for (const std::string& s :
       {std::string(238, 'a'), "localhost/" + std::string(246, 'a')}) {
    ref = ParseNormalized(s);
    EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(ref),
                HasSubstr("repository name is 256 bytes long once "
                          "normalized; at most 255"));
  }
}

struct RejectCase {
  std::string input;
  std::string problem;  // Substring the message must contain.
};

std::vector<RejectCase> RejectCases() {
  const std::string hex = kHex;
  return {
      {"", "empty reference"},
      {"Nginx", "repository name must be lowercase"},
      {"user/App:1", "repository name must be lowercase"},
      // Newer Docker would take "Foo" for a registry host; see reference.h.
      {"Foo/bar", "repository name must be lowercase"},
      {"nginx!", "invalid repository path element \"nginx!\""},
      {"ngi nx", "invalid repository path element \"ngi nx\""},
      {" nginx", "invalid repository path element \" nginx\""},
      {"ng\xc3\xafnx", "invalid repository path element \"ng\\xc3\\xafnx\""},
      {"nginx\n", "invalid repository path element \"nginx\\n\""},
      {std::string("ngi\0nx", 6),
       "invalid repository path element \"ngi\\x00nx\""},
      {"a/../b", "invalid repository path element \"..\""},
      {"a/b..c", "invalid repository path element \"b..c\""},
      {"a/-b", "invalid repository path element \"-b\""},
      {"a/b_", "invalid repository path element \"b_\""},
      {"a/b___c", "invalid repository path element \"b___c\""},
      {"a//b", "empty path element"},
      {"a/", "empty path element"},
      {"/a", "empty path element"},
      {"localhost/", "empty path element"},
      {"docker.io/", "empty path element"},
      {":tag", "missing repository name"},
      {"@" + std::string(kDigest), "missing repository name"},
      {"name:", "missing tag after ':'"},
      {"name@", "missing digest after '@'"},
      {"name:@" + std::string(kDigest), "missing tag after ':'"},
      {"nginx:la test", "invalid tag \"la test\""},
      {"nginx:.x", "invalid tag \".x\""},
      {"nginx:-x", "invalid tag \"-x\""},
      {"nginx:v\xc3\xa9", "invalid tag \"v\\xc3\\xa9\""},
      {"nginx:a:b", "invalid repository path element \"nginx:a\""},
      {"nginx@sha256:abc", "invalid digest \"sha256:abc\""},
      {"nginx@sha256:" + std::string(64, 'A'), "invalid digest"},
      {"nginx@" + std::string(kDigest) + "0", "invalid digest"},
      {"nginx@" + std::string(kDigest) + "@" + std::string(kDigest),
       "invalid digest"},
      {"nginx@sha512:" + hex + hex,
       "unsupported digest algorithm \"sha512\": only sha256 is supported"},
      {"nginx@" + hex, "invalid digest"},
      {hex, "64-byte hexadecimal strings are reserved for image IDs"},
      {"reg_istry.io/app", "invalid registry host \"reg_istry.io\""},
      {"-registry.io/app", "invalid registry host \"-registry.io\""},
      {"registry.io-/app", "invalid registry host \"registry.io-\""},
      {"registry:port/app", "invalid registry host \"registry:port\""},
      {"registry:/app", "invalid registry host \"registry:\""},
      {"[::1/app", "invalid registry host \"[::1\""},
      {"[fe80::1%eth0]:5000/app", "invalid registry host"},
  };
}

TEST(ParseNormalizedTest, RejectsWithANamedProblem) {
  for (const RejectCase& c : RejectCases()) {
    SCOPED_TRACE(c.input);
    for (auto parse : {&ParseNormalized, &ParseNormalizedNamed}) {
      absl::StatusOr<Reference> ref = parse(c.input);
      ASSERT_FALSE(ref.ok()) << ref->String();
      EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(Message(ref), StartsWith("invalid reference format \""));
      EXPECT_THAT(Message(ref), HasSubstr(c.problem));
      EXPECT_THAT(Message(ref), Not(HasSubstr("\n")));
    }
  }
}

TEST(ParseNormalizedTest, MessageQuotesTheInput) {
  absl::StatusOr<Reference> ref = ParseNormalized("Nginx");
  EXPECT_EQ(Message(ref),
            "invalid reference format \"Nginx\": repository name must be "
            "lowercase");
}

TEST(ParseNormalizedTest, MessageBoundsTheEchoOfAHugeInput) {
  std::string huge = "a/" + std::string(1 << 20, 'B');
  absl::StatusOr<Reference> ref = ParseNormalized(huge);
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(Message(ref).size(), 400u);
  EXPECT_THAT(Message(ref),
              StartsWith(absl::StrCat("invalid reference format \"a/",
                                      std::string(98, 'B'), "...\": ")));
}

// The regexes grammar.h replaced, and its matcher for each.
struct Pattern {
  const char* name;
  const char* regex;
  bool (*matcher)(absl::string_view);
};

constexpr Pattern kPatterns[] = {
    {"path component", "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*",
     &internal::IsPathComponent},
    {"domain",
     "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
     "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
     "|\\[[a-fA-F0-9:]+\\])"
     "(?::[0-9]+)?",
     &internal::IsDomain},
    {"tag", "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", &internal::IsTag},
    {"digest shape",
     "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}",
     &internal::IsDigestShape},
    {"identifier", "[a-f0-9]{64}", &internal::IsIdentifier},
};
constexpr size_t kNumPatterns = sizeof(kPatterns) / sizeof(kPatterns[0]);

// Runs every matcher and RE2::FullMatch (Latin-1, as reference.cc ran the
// patterns) on the same inputs and records where they disagree.
class Oracle {
 public:
  Oracle() {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingLatin1);
    for (const Pattern& p : kPatterns) {
      res_.push_back(std::make_unique<RE2>(p.regex, options));
      EXPECT_TRUE(res_.back()->ok()) << p.name << ": " << res_.back()->error();
    }
  }

  void Check(absl::string_view s) {
    for (size_t i = 0; i < kNumPatterns; ++i) {
      const bool want =
          RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *res_[i]);
      const bool got = kPatterns[i].matcher(s);
      ++compared_;
      if (want) ++accepted_[i];
      if (want != got && ++mismatches_ <= kMaxReported) {
        ADD_FAILURE() << kPatterns[i].name << " on \"" << absl::CHexEscape(s)
                      << "\": RE2 says " << want << ", matcher says " << got;
      }
    }
  }

  // Fails unless every matcher agreed on everything. With
  // `all_outcomes`, also unless every pattern saw inputs it accepts and
  // inputs it rejects (else the inputs prove little).
  void Finish(size_t inputs, bool all_outcomes = true) {
    EXPECT_EQ(mismatches_, 0u) << "out of " << compared_ << " comparisons";
    for (size_t i = 0; i < kNumPatterns; ++i) {
      if (all_outcomes) {
        EXPECT_GT(accepted_[i], 0u) << kPatterns[i].name;
        EXPECT_LT(accepted_[i], inputs) << kPatterns[i].name;
      }
      ::testing::Test::RecordProperty(
          absl::StrCat("accepted_", i),
          absl::StrCat(kPatterns[i].name, ": ", accepted_[i]));
    }
    ::testing::Test::RecordProperty("inputs", absl::StrCat(inputs));
    ::testing::Test::RecordProperty("comparisons", absl::StrCat(compared_));
  }

 private:
  static constexpr size_t kMaxReported = 20;
  std::vector<std::unique_ptr<RE2>> res_;
  size_t compared_ = 0;
  size_t accepted_[kNumPatterns] = {};
  size_t mismatches_ = 0;
};

std::vector<std::string> EdgeCases() {
  const std::string hex = kHex;
  const std::string nul(1, '\0');
  std::vector<std::string> cases = {
      "",
      // Path components: separators alone, at the ends, doubled, mixed.
      "a",
      "a.b",
      "a..b",
      "a_b",
      "a__b",
      "a___b",
      "a-b",
      "a--b",
      "a---b",
      "-a",
      "a-",
      ".a",
      "a.",
      "_a",
      "a_",
      "__a",
      "a__",
      ".",
      "_",
      "__",
      "-",
      "--",
      "a._b",
      "a_.b",
      "a-.b",
      "a.-b",
      "a-_b",
      "a_-b",
      "a__-b",
      "a-__b",
      "a.b.c",
      "a_b__c---d.e",
      "0",
      "09",
      "a0.9f",
      "Ab",
      "aB",
      "a b",
      "a/b",
      // Domains: labels, ports, brackets.
      "localhost",
      "localhost:",
      "localhost:5000",
      "localhost:5000:1",
      "localhost:50a",
      ":",
      ":123",
      "a:",
      "a:1",
      "a::1",
      "a.b",
      "a.b.c.d",
      "a-b.c",
      "a--b.c",
      "a.-b",
      "a-.b",
      "a..b:1",
      "-a.b",
      "a.b-",
      ".a.b",
      "a.b.",
      "A.B-C.D:443",
      "127.0.0.1",
      "127.0.0.1:5000",
      "1.2.3.4:",
      "[::1]",
      "[::1]:5000",
      "[::1]:",
      "[::1]x",
      "[::1]:5a",
      "[]",
      "[]:1",
      "[g]",
      "[G]",
      "[:]",
      "[a]",
      "[F]",
      "[::1",
      "::1]",
      "[[::1]]",
      "[::1]]",
      "[::1]:5000:1",
      "[fe80::1%eth0]",
      "[::1]/a",
      "a[::1]",
      "[::1].a",
      // Tags.
      "v" + std::string(127, 'x'),
      "v" + std::string(128, 'x'),
      "v" + std::string(126, 'x'),
      "_" + std::string(127, '.'),
      "-" + std::string(127, 'x'),
      "." + std::string(127, 'x'),
      std::string(128, '_'),
      std::string(129, '_'),
      "_a.b-c",
      "A..",
      "a:b",
      // Digest shapes.
      "sha256:" + hex,
      "sha256:" + hex.substr(0, 31),
      "sha256:" + hex.substr(0, 32),
      "sha256:" + hex.substr(0, 33),
      "sha256:" + absl::AsciiStrToUpper(hex),
      "SHA256:" + hex,
      "sha512:" + hex + hex,
      "sha256:",
      "sha256:" + hex + "g",
      "sha256:" + hex + ":",
      "sha256:" + hex + "@",
      "a+b.c_d-e:" + hex,
      "a++b:" + hex,
      "+a:" + hex,
      "a+:" + hex,
      "a+9:" + hex,
      "9a:" + hex,
      "a9:" + hex,
      ":" + hex,
      "a:b:" + hex,
      "a::" + hex,
      "sha256:" + hex + "\x80",
      "sha256\x80:" + hex,
      // Identifiers.
      hex,
      hex.substr(0, 63),
      hex + "0",
      absl::AsciiStrToUpper(hex),
      hex.substr(0, 63) + "g",
      "sha256:" + hex.substr(0, 57),
      // Bytes outside ASCII and NULs, everywhere.
      "\x80",
      "\xff",
      "a\x80",
      "\x80"
      "a",
      "a\xff"
      "b",
      "[\x80]",
      "a:\x80",
      "\xc3\xa9",
      nul,
      "a" + nul,
      nul + "a",
      "a" + nul + "b",
      hex.substr(0, 63) + nul,
      hex + nul,
      "[::1]" + nul,
      "localhost:1" + nul,
  };
  // Every byte on its own.
  for (int c = 0; c < 256; ++c) cases.push_back(std::string(1, char(c)));
  return cases;
}

TEST(GrammarTest, MatchersAgreeWithTheRegexesOnEdgeCases) {
  Oracle oracle;
  const std::vector<std::string> cases = EdgeCases();
  for (const std::string& s : cases) oracle.Check(s);
  oracle.Finish(cases.size());
}

// The interesting bytes: each class's members and neighbours, every
// separator, and one byte >= 0x80.
constexpr absl::string_view kAlphabet = "aZ09f._-+:[]@/\x80";

std::string RandomString(std::mt19937_64& rng, size_t length,
                         absl::string_view alphabet) {
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string s;
  for (size_t i = 0; i < length; ++i) s += alphabet[pick(rng)];
  return s;
}

// `length` bytes of `common`, with about one in `noise` drawn from
// kAlphabet instead: long inputs that match now and then, and fail at
// random places otherwise.
std::string NoisyString(std::mt19937_64& rng, size_t length,
                        absl::string_view common, int noise) {
  std::uniform_int_distribution<int> roll(0, noise - 1);
  std::string s = RandomString(rng, length, common);
  for (char& c : s) {
    if (roll(rng) == 0) c = RandomString(rng, 1, kAlphabet)[0];
  }
  return s;
}

TEST(GrammarTest, MatchersAgreeWithTheRegexesOnRandomInputs) {
  Oracle oracle;
  std::mt19937_64 rng(20240611);  // Fixed: a failure must reproduce.
  size_t inputs = 0;
  auto check = [&](const std::string& s) {
    oracle.Check(s);
    ++inputs;
  };

  std::uniform_int_distribution<size_t> short_length(0, 12);
  for (int i = 0; i < 300000; ++i) {
    check(RandomString(rng, short_length(rng), kAlphabet));
  }
  // Around the tag's 128-byte limit.
  std::uniform_int_distribution<size_t> tag_length(120, 136);
  for (int i = 0; i < 20000; ++i) {
    check(NoisyString(rng, tag_length(rng), "aZ09_.-", 200));
  }
  // Digest shapes around 32 hex digits and beyond, identifiers around 64.
  std::uniform_int_distribution<size_t> algorithm_length(0, 8);
  std::uniform_int_distribution<size_t> hex_length(29, 70);
  std::uniform_int_distribution<size_t> id_length(62, 66);
  for (int i = 0; i < 20000; ++i) {
    check(absl::StrCat(NoisyString(rng, algorithm_length(rng), "aZ09+._-", 20),
                       ":", NoisyString(rng, hex_length(rng), "09afAF", 60)));
    check(NoisyString(rng, id_length(rng), "09af", 100));
  }
  oracle.Finish(inputs);
}

TEST(GrammarTest, MatchersAgreeWithTheRegexesOnAllShortStrings) {
  // Every string of up to 6 bytes over the bytes that shape path
  // components and domains.
  constexpr absl::string_view kBytes = "aZ._-:[]";
  constexpr size_t kMaxLength = 6;
  Oracle oracle;
  size_t inputs = 0;
  std::vector<std::string> level = {""};
  for (size_t length = 0; length <= kMaxLength; ++length) {
    std::vector<std::string> next;
    for (const std::string& s : level) {
      oracle.Check(s);
      ++inputs;
      if (length == kMaxLength) continue;
      for (char c : kBytes) next.push_back(s + c);
    }
    level = std::move(next);
  }
  // Too short for a digest shape or an identifier: those only reject.
  oracle.Finish(inputs, /*all_outcomes=*/false);
}

}  // namespace
}  // namespace mydocker::reference
