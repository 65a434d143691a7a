// The entries of a tar-split file, as github.com/vbatts/tar-split writes
// them (tar/storage/entry.go, packer.go) and moby stores them in
// image/<driver>/layerdb/sha256/<chain-id>/tar-split.json.gz.
//
// The decompressed file is a sequence of JSON objects, one per line, each
// Go's encoding/json output for tar-split's storage.Entry:
//
//   {"type":2,"payload":"<base64 raw tar bytes>","position":0}
//   {"type":1,"name":"etc/passwd","size":1234,"payload":"<base64
//   crc>","position":1}
//   {"type":1,"name":"etc/","payload":null,"position":3}
//   {"type":1,"name_raw":"<base64 name>","size":6,"payload":"...","position":5}
//
// type 2 (segment): `payload` is raw tar bytes (headers, records, padding,
// end marker, trailing bytes). type 1 (file): an entry's name and content
// size; `payload` is the big-endian CRC-64/ISO of the content (crc64.h), or
// null when the size is 0. A name that is not valid UTF-8 goes, base64, in
// `name_raw` instead of `name`. Empty name, name_raw and size are omitted
// (Go's omitempty); payload and position never are. `position` counts
// entries from 0. Field order is Go's: type, name, name_raw, size, payload,
// position.
//
//   std::string line = EncodeEntry(entry);        // with the trailing '\n'
//   ASSIGN_OR_RETURN(Entry e, DecodeEntry(line));
#ifndef MYDOCKER_LIB_TARSPLIT_FORMAT_H_
#define MYDOCKER_LIB_TARSPLIT_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::tarsplit {

enum class EntryType {
  kFile = 1,     // storage.FileType
  kSegment = 2,  // storage.SegmentType
};

struct Entry {
  EntryType type = EntryType::kSegment;
  // The entry's name, raw bytes (from `name`, or decoded `name_raw`).
  std::string name = {};
  int64_t size = 0;
  // Decoded payload; nullopt for JSON null.
  std::optional<std::string> payload = {};
  int64_t position = 0;
};

// `entry` as one line of JSON, byte for byte what Go's json.Encoder writes
// for tar-split's storage.Entry (HTML-safe escapes, U+2028/U+2029 escaped,
// a trailing newline).
std::string EncodeEntry(const Entry& entry);

// Parses one line (without or with its newline). InvalidArgument for
// anything that is not an object of the shape above: a type other than 1
// or 2, a negative size, a field of the wrong JSON type, bad base64.
// Unknown fields are ignored, as Go does.
absl::StatusOr<Entry> DecodeEntry(absl::string_view line);

// Go's utf8.ValidString: well-formed UTF-8, no surrogates, no overlong
// forms, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view s);

// Go's path/filepath.Clean on Linux: the shortest lexically equivalent
// path ("./a//b/../c/" -> "a/c", "" -> ".", "/../x" -> "/x"). tar-split
// compares names cleaned like this to refuse duplicates.
std::string CleanPath(absl::string_view path);

}  // namespace mydocker::tarsplit

#endif  // MYDOCKER_LIB_TARSPLIT_FORMAT_H_
