// JSON text exactly as Go's encoding/json writes it with json.Encoder, the
// way dockerd writes config.v2.json and hostconfig.json: compact (no
// spaces), object keys in the order the value holds them, and strings
// escaped as Go escapes them with HTML escaping on:
//
//   "<" ">" "&"        -> \u003c \u003e \u0026
//   '"' '\\' \n \r \t  -> \" \\ \n \r \t
//   other bytes < 0x20 -> \u00XX
//   U+2028, U+2029     -> \u2028, \u2029
//   invalid UTF-8      -> \ufffd, one per bad byte (Go's DecodeRune rules)
//   everything else    -> as is (non-ASCII UTF-8 is not escaped)
//
// Go writes struct fields in declaration order and sorts map keys; a
// nlohmann::ordered_json keeps insertion order, so build structs in Go's
// field order and maps from sorted keys (std::map iterates in the byte order
// Go sorts by).
//
//   nlohmann::ordered_json j = {{"Cmd", {"sh", "-c", "a > b"}}};
//   GoJson(j);  // {"Cmd":["sh","-c","a \u003e b"]}
//   GoJsonLine(j);  // the same plus "\n", what json.Encoder.Encode writes
#ifndef MYDOCKER_LIB_CONTAINER_GO_JSON_H_
#define MYDOCKER_LIB_CONTAINER_GO_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "lib/base/go_string.h"
#include "nlohmann/json.hpp"

namespace mydocker::container {

// `v` as Go's json.Marshal would write the same Go value. Never throws.
// Floats are written in Go's format (shortest round-trip digits, exponent
// form below 1e-6 and from 1e21 on); NaN and infinities, which Go refuses
// to encode, come out as null. A "binary" value is written as null.
std::string GoJson(const nlohmann::ordered_json& v);

// GoJson(v) + "\n": one json.Encoder.Encode call.
std::string GoJsonLine(const nlohmann::ordered_json& v);

// The string encoding (base/go_string.h), here too for this package's users.
using base::AppendGoJsonString;
using base::AppendRune;
using base::DecodeRune;

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_GO_JSON_H_
