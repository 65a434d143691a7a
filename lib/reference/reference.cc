#include "lib/reference/reference.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "re2/re2.h"

namespace mydocker::reference {
namespace {

// The Docker Hub spelling from before "docker.io"; still typed by users and
// written in old scripts, so it is folded into kDefaultDomain.
constexpr absl::string_view kLegacyDefaultDomain = "index.docker.io";
// Namespace of Docker Hub's official images.
constexpr absl::string_view kOfficialPrefix = "library/";
constexpr absl::string_view kLocalhost = "localhost";
// How much of a (possibly hostile, possibly huge) input an error echoes.
constexpr size_t kMaxEcho = 100;

re2::StringPiece Piece(absl::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

// Compiles `pattern` once for the life of the process. Latin-1 makes RE2
// see bytes: every pattern here is ASCII, so any byte >= 0x80 (UTF-8 or
// not) simply fails to match instead of being decoded.
const RE2* Compile(const char* pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  return new RE2(pattern, options);
}

// One element of a repository path: lower-case alphanumerics, joined by one
// '.', one or two '_', or any number of '-'.
const RE2& PathComponentRe() {
  static const RE2& re = *Compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  return re;
}

// Registry host and optional port: DNS-like labels (upper case allowed, as
// in Docker), which also covers dotted IPv4, or an IPv6 address in brackets.
const RE2& DomainRe() {
  static const RE2& re = *Compile(
      "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
      "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
      "|\\[[a-fA-F0-9:]+\\])"
      "(?::[0-9]+)?");
  return re;
}

const RE2& TagRe() {
  static const RE2& re = *Compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return re;
}

// Any digest Docker's grammar accepts, whatever the algorithm. Matching it
// first lets a well-formed sha512 digest get "unsupported algorithm" rather
// than a vaguer "invalid digest".
const RE2& DigestShapeRe() {
  static const RE2& re = *Compile(
      "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");
  return re;
}

// An image ID without its "sha256:" prefix.
const RE2& IdentifierRe() {
  static const RE2& re = *Compile("[a-f0-9]{64}");
  return re;
}

// `s` in double quotes, C-escaped so the message stays one printable line,
// and cut after kMaxEcho bytes.
std::string Quote(absl::string_view s) {
  absl::string_view shown = s.substr(0, kMaxEcho);
  return absl::StrCat("\"", absl::CHexEscape(shown),
                      shown.size() < s.size() ? "...\"" : "\"");
}

absl::Status Invalid(absl::string_view input, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid reference format ", Quote(input), ": ", problem));
}

// Checks `path` (the repository path, domain already removed) element by
// element, so the error can say which element is wrong and why.
absl::Status CheckPath(absl::string_view input, absl::string_view path) {
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (component.empty()) {
      return Invalid(input,
                     "repository name has an empty path element (leading, "
                     "trailing or doubled '/')");
    }
    if (RE2::FullMatch(Piece(component), PathComponentRe())) continue;
    // Docker's own test: would it parse once lower-cased?
    if (RE2::FullMatch(Piece(absl::AsciiStrToLower(component)),
                       PathComponentRe())) {
      return Invalid(input, "repository name must be lowercase");
    }
    return Invalid(
        input,
        absl::StrCat("invalid repository path element ", Quote(component),
                     ": want lower-case letters and digits, separated "
                     "by single '.', '_', '__' or dashes"));
  }
  return absl::OkStatus();
}

absl::Status CheckTag(absl::string_view input, absl::string_view tag) {
  if (tag.empty()) return Invalid(input, "missing tag after ':'");
  if (tag.size() > kMaxTagLength) {
    return Invalid(input,
                   absl::StrCat("tag is ", tag.size(), " bytes long; at most ",
                                kMaxTagLength, " are allowed"));
  }
  if (!RE2::FullMatch(Piece(tag), TagRe())) {
    return Invalid(input,
                   absl::StrCat("invalid tag ", Quote(tag),
                                ": want letters, digits, '_', '.' or '-', "
                                "not starting with '.' or '-'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<digest::Digest> ParseDigest(absl::string_view input,
                                           absl::string_view d) {
  if (d.empty()) return Invalid(input, "missing digest after '@'");
  if (RE2::FullMatch(Piece(d), DigestShapeRe())) {
    absl::string_view algorithm = d.substr(0, d.find(':'));
    if (algorithm != "sha256") {
      return Invalid(
          input, absl::StrCat("unsupported digest algorithm ", Quote(algorithm),
                              ": only sha256 is supported"));
    }
  }
  absl::StatusOr<digest::Digest> parsed = digest::Digest::Parse(d);
  if (!parsed.ok()) {
    return Invalid(input,
                   absl::StrCat("invalid digest ", Quote(d),
                                ": want sha256: and 64 lower-case hex digits"));
  }
  return parsed;
}

absl::StatusOr<Reference> Parse(absl::string_view s, bool add_default_tag) {
  if (s.empty()) return Invalid(s, "empty reference");
  // Docker refuses these so that `docker run <image id>` can never be read
  // as a repository name instead.
  if (RE2::FullMatch(Piece(s), IdentifierRe())) {
    return Invalid(s,
                   "invalid repository name: 64-byte hexadecimal strings are "
                   "reserved for image IDs");
  }

  // Split name[:tag][@digest]. The digest starts at the first '@' (no other
  // part may contain one); the tag at the last ':' that is not inside the
  // domain, i.e. that comes after every '/'.
  absl::string_view name = s;
  absl::string_view digest_part;
  bool has_digest = false;
  if (size_t at = s.find('@'); at != absl::string_view::npos) {
    name = s.substr(0, at);
    digest_part = s.substr(at + 1);
    has_digest = true;
  }
  absl::string_view tag;
  bool has_tag = false;
  const size_t last_slash = name.rfind('/');
  if (size_t colon = name.rfind(':');
      colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash)) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    has_tag = true;
  }
  if (name.empty()) return Invalid(s, "missing repository name");

  Reference ref;
  absl::string_view path = name;
  ref.domain = std::string(kDefaultDomain);
  if (size_t slash = name.find('/'); slash != absl::string_view::npos) {
    absl::string_view first = name.substr(0, slash);
    if (first == kLocalhost || first.find_first_of(".:") != first.npos) {
      path = name.substr(slash + 1);
      if (first == kLegacyDefaultDomain) {
        first = kDefaultDomain;
      } else if (!RE2::FullMatch(Piece(first), DomainRe())) {
        return Invalid(s, absl::StrCat("invalid registry host ", Quote(first)));
      }
      ref.domain = std::string(first);
    }
  }
  RETURN_IF_ERROR(CheckPath(s, path));
  ref.path = ref.domain == kDefaultDomain && !absl::StrContains(path, '/')
                 ? absl::StrCat(kOfficialPrefix, path)
                 : std::string(path);
  // Checked once normalized, as older Docker releases did, so a name we
  // accept is accepted by every Docker version (newer ones limit the path).
  if (size_t n = ref.domain.size() + 1 + ref.path.size(); n > kMaxNameLength) {
    return Invalid(s, absl::StrCat("repository name is ", n,
                                   " bytes long once normalized; at most ",
                                   kMaxNameLength, " are allowed"));
  }

  if (has_tag) {
    RETURN_IF_ERROR(CheckTag(s, tag));
    ref.tag = std::string(tag);
  }
  if (has_digest) {
    ASSIGN_OR_RETURN(ref.digest, ParseDigest(s, digest_part));
  }
  if (add_default_tag && !has_tag && !has_digest) {
    ref.tag = std::string(kDefaultTag);
  }
  return ref;
}

}  // namespace

std::string Reference::Name() const { return absl::StrCat(domain, "/", path); }

std::string Reference::String() const {
  std::string out = Name();
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (digest.has_value()) absl::StrAppend(&out, "@", digest->str());
  return out;
}

std::string Reference::FamiliarName() const {
  if (domain != kDefaultDomain) return Name();
  // "library/a/b" keeps its prefix: "a/b" would name another repository.
  if (absl::StartsWith(path, kOfficialPrefix) &&
      !absl::StrContains(absl::string_view(path).substr(kOfficialPrefix.size()),
                         '/')) {
    return path.substr(kOfficialPrefix.size());
  }
  return path;
}

std::string Reference::FamiliarString() const {
  std::string out = FamiliarName();
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (digest.has_value()) absl::StrAppend(&out, "@", digest->str());
  return out;
}

absl::StatusOr<Reference> ParseNormalized(absl::string_view s) {
  return Parse(s, /*add_default_tag=*/true);
}

absl::StatusOr<Reference> ParseNormalizedNamed(absl::string_view s) {
  return Parse(s, /*add_default_tag=*/false);
}

}  // namespace mydocker::reference
