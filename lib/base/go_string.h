// Strings as Go's encoding/json writes them, and the UTF-8 decoding rules
// it follows: for every file mydocker writes in a Go program's format
// (dockerd's config.v2.json, tar-split's entries).
//
//   "<" ">" "&"        -> \u003c \u003e \u0026
//   '"' '\\' \n \r \t  -> \" \\ \n \r \t
//   other bytes < 0x20 -> \u00XX
//   U+2028, U+2029     -> \u2028, \u2029
//   invalid UTF-8      -> \ufffd, one per bad byte (Go's DecodeRune rules)
//   everything else    -> as is (non-ASCII UTF-8 is not escaped)
#ifndef MYDOCKER_LIB_BASE_GO_STRING_H_
#define MYDOCKER_LIB_BASE_GO_STRING_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace mydocker::base {

// Appends `s` as a Go JSON string literal (with the quotes) to `out`, HTML
// escaping on (json.Encoder's default).
void AppendGoJsonString(absl::string_view s, std::string* out);

// Go's utf8.DecodeRuneInString on non-empty `s`: the first rune and its
// length in `*len`, or -1 (length 1) for a byte that does not start a valid
// sequence (overlong forms, surrogates and values above U+10FFFF are
// invalid).
int32_t DecodeRune(absl::string_view s, size_t* len);

// Appends the UTF-8 encoding of `r` (U+FFFD for surrogates and values
// beyond U+10FFFF).
void AppendRune(uint32_t r, std::string* out);

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_GO_STRING_H_
