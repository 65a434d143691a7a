// Checking and reading the name of a layer tar entry, before anything touches
// the disk.
//
// A layer's entry names are untrusted. ParseEntryName accepts only names that
// stay below the layer root by construction: relative, no ".." component, no
// NUL byte, within the kernel's length limits. "." components, repeated and
// trailing slashes are dropped ("./usr//bin/" reads as usr/bin). It also says
// what the name asks for under the OCI/AUFS whiteout convention:
//
//   ASSIGN_OR_RETURN(EntryName n, ParseEntryName("usr/.wh.games"));
//   // n.kind == NameKind::kWhiteout, n.components == {"usr", "games"}
//
// Error messages describe the problem but do not repeat the name: the caller
// names the entry (see LayerApplier).
#ifndef MYDOCKER_LIB_ARCHIVE_ENTRY_NAME_H_
#define MYDOCKER_LIB_ARCHIVE_ENTRY_NAME_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::archive {

// The whiteout convention (OCI image-spec layer.md, inherited from AUFS).
inline constexpr absl::string_view kWhiteoutPrefix = ".wh.";
inline constexpr absl::string_view kWhiteoutMetaPrefix = ".wh..wh.";
inline constexpr absl::string_view kWhiteoutOpaque = ".wh..wh..opq";

enum class NameKind {
  // "." or "./": the layer root itself. `components` is empty.
  kRoot,
  // An ordinary path. `components` is not empty.
  kPath,
  // DIR/.wh.NAME: NAME is deleted from the layers below. `components` is
  // DIR's components followed by NAME (the prefix stripped).
  kWhiteout,
  // DIR/.wh..wh..opq: DIR hides the layers below. `components` names DIR
  // (empty for the layer root).
  kOpaque,
  // Any other name with a ".wh..wh." component (AUFS bookkeeping such as
  // .wh..wh.plnk/...): to be skipped, as Docker does. `components` is the
  // whole path, for messages only.
  kAufsMeta,
};

struct EntryName {
  NameKind kind = NameKind::kPath;
  std::vector<std::string> components;
};

// Checks `name` as stored in a tar entry and says what it asks for.
// InvalidArgument if it is empty, absolute, contains NUL or a ".."
// component, has a component longer than NAME_MAX or a total length of
// PATH_MAX or more, uses a whiteout marker as a directory ("a/.wh.b/c"), or
// is a whiteout that names nothing usable (".wh.", ".wh..", ".wh...").
absl::StatusOr<EntryName> ParseEntryName(absl::string_view name);

// Checks the `linkname` of a hard link, which names an earlier entry of the
// same layer relative to the layer root. Same rules as ParseEntryName, with
// no whiteout meaning; InvalidArgument if it names the layer root. Returns
// the components (never empty).
absl::StatusOr<std::vector<std::string>> ParseHardlinkTarget(
    absl::string_view linkname);

// "a/b/c" for {"a", "b", "c"}; "." for {}. For keys and messages.
std::string JoinComponents(const std::vector<std::string>& components);

}  // namespace mydocker::archive

#endif  // MYDOCKER_LIB_ARCHIVE_ENTRY_NAME_H_
