#include "lib/reference/reference.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "lib/reference/grammar.h"

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
    if (internal::IsPathComponent(component)) continue;
    // Docker's own test: would it parse once lower-cased?
    if (internal::IsPathComponent(absl::AsciiStrToLower(component))) {
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
  if (!internal::IsTag(tag)) {
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
  // Any digest Docker's grammar accepts, whatever the algorithm: matching it
  // first lets a well-formed sha512 digest get "unsupported algorithm"
  // rather than a vaguer "invalid digest".
  if (internal::IsDigestShape(d)) {
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
  if (internal::IsIdentifier(s)) {
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
      } else if (!internal::IsDomain(first)) {
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
