// Docker image references: the `nginx`, `user/app:1.2` or
// `registry:5000/ns/app@sha256:...` a user types, parsed and normalized the
// way Docker normalizes them.
//
// Normalization makes every reference fully qualified, so two spellings of
// the same image compare equal and the registry to contact is explicit:
//
//   nginx                   -> docker.io/library/nginx:latest
//   docker.io/nginx         -> docker.io/library/nginx:latest
//   index.docker.io/nginx   -> docker.io/library/nginx:latest
//   user/app:1.2            -> docker.io/user/app:1.2
//   localhost:5000/app@sha256:...  (kept as is: a digest adds no tag)
//
// Familiar* undo the Docker Hub part of that for display, as `docker images`
// shows names:
//
//   ASSIGN_OR_RETURN(Reference ref, ParseNormalized(argv[1]));
//   ref.String();          // "docker.io/library/nginx:latest" (store key)
//   ref.FamiliarString();  // "nginx:latest"                   (for humans)
//   ref.domain;            // "docker.io"                      (whom to ask)
//
// The grammar is Docker's (distribution/reference):
//
//   reference  := name [":" tag] ["@" digest]
//   name       := [domain "/"] path
//   domain     := host [":" port]        host: DNS-like name, IPv4, or [IPv6]
//   path       := component ("/" component)*
//   component  := [a-z0-9]+ (separator [a-z0-9]+)*    separator: . _ __ -+
//   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//
// The first path element is a domain only if it contains '.' or ':' or is
// exactly "localhost"; otherwise the name is on Docker Hub. Unlike Docker,
// only sha256 digests are accepted (mydocker cannot verify anything else).
// An upper-case first element ("Foo/bar") is refused as not lower case, as
// Docker long did; recent distribution/reference takes it for a host.
#ifndef MYDOCKER_LIB_REFERENCE_REFERENCE_H_
#define MYDOCKER_LIB_REFERENCE_REFERENCE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/digest/digest.h"

namespace mydocker::reference {

// Docker Hub, as it appears in normalized names.
inline constexpr absl::string_view kDefaultDomain = "docker.io";
// The tag ParseNormalized adds when the input names neither tag nor digest.
inline constexpr absl::string_view kDefaultTag = "latest";
// Longest accepted normalized name, domain + "/" + path, in bytes.
inline constexpr size_t kMaxNameLength = 255;
// Longest accepted tag, in bytes.
inline constexpr size_t kMaxTagLength = 128;

// A normalized image reference. Parse* only return references whose fields
// satisfy the grammar above, with `domain` and `path` always non-empty; a
// Reference assembled by hand is the caller's responsibility.
struct Reference {
  // Registry host with optional port: "docker.io", "registry:5000",
  // "127.0.0.1:5000", "[::1]:5000", "localhost". Case is kept as typed.
  std::string domain;
  // Repository path in that registry: "library/nginx", "user/app".
  std::string path;
  // "" when the reference has none (a digest-only or a Named reference).
  std::string tag;
  // Set when the input pinned a digest; it may coexist with a tag, in which
  // case the digest is what identifies the content.
  std::optional<::mydocker::digest::Digest> digest;

  // domain + "/" + path: "docker.io/library/nginx".
  std::string Name() const;
  // Name() + [":" tag] + ["@" digest]: "docker.io/library/nginx:latest",
  // "localhost/app@sha256:...", "docker.io/library/nginx:1@sha256:...".
  // ParseNormalized(String()) gives back an equal Reference.
  std::string String() const;
  // Name() as Docker shows it: "docker.io/" dropped, and "library/" dropped
  // too when nothing else follows it: "nginx", "user/app",
  // "registry:5000/ns/app". ParseNormalizedNamed(FamiliarName()) gives back
  // the same domain and path.
  std::string FamiliarName() const;
  // FamiliarName() + [":" tag] + ["@" digest]: "nginx:latest".
  // ParseNormalized(FamiliarString()) gives back an equal Reference.
  std::string FamiliarString() const;

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses what a user passes to pull/run/create/tag and normalizes it: adds
// "docker.io/" when no domain is given, turns "index.docker.io" into
// "docker.io", adds "library/" to a single-element Docker Hub path, and sets
// the tag to "latest" when neither a tag nor a digest is given.
//
// Returns InvalidArgument for anything outside the grammar, with a one-line
// message `invalid reference format "<input>": <problem>` (input escaped and
// cut after 100 bytes). Problems include: empty input or name, an empty path
// element ("a//b", "a/"), upper case in the path, other invalid path
// characters, a bad registry host, an empty or invalid tag (longer than 128
// bytes included), an empty, malformed or non-sha256 digest, a name longer
// than 255 bytes once normalized, and a bare 64-hex-digit string (reserved
// for image IDs, as in Docker).
absl::StatusOr<Reference> ParseNormalized(absl::string_view s);

// As ParseNormalized, but never adds the default tag: "nginx" gives
// docker.io/library/nginx with an empty tag. For inputs that name a
// repository rather than one image (`images REPOSITORY`, `rmi` matching,
// `push --all-tags`). A tag or digest in the input is still parsed and kept.
absl::StatusOr<Reference> ParseNormalizedNamed(absl::string_view s);

}  // namespace mydocker::reference

#endif  // MYDOCKER_LIB_REFERENCE_REFERENCE_H_
