// CRC-64 with the ISO 3309 polynomial, exactly as Go's hash/crc64 computes
// it with crc64.MakeTable(crc64.ISO): reflected, initial value and final XOR
// all ones. tar-split stores this checksum of each file's content
// (tar/storage.CRCTable), big-endian, as the payload of a file entry.
//
//   Crc64 crc;
//   crc.Update("1234");
//   crc.Update("56789");
//   crc.value();            // 0xb90956c775a41001, the CRC-64/GO-ISO check
//   value crc.BigEndianBytes();   // "\xb9\x09\x56\xc7\x75\xa4\x10\x01"
#ifndef MYDOCKER_LIB_TARSPLIT_CRC64_H_
#define MYDOCKER_LIB_TARSPLIT_CRC64_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace mydocker::tarsplit {

class Crc64 {
 public:
  // How Update computes: carry-less multiplication where the CPU has it
  // (x86-64 PCLMULQDQ), else slicing-by-8 tables; or the tables always (for
  // tests comparing the two).
  enum class Method { kFastest, kTables };

  explicit Crc64(Method method = Method::kFastest)
      : force_tables_(method == Method::kTables) {}

  // Adds `data` to the checksum.
  void Update(absl::string_view data);
  // The checksum of everything passed to Update since construction or the
  // last Reset (0 for nothing).
  uint64_t value() const { return crc_; }
  // value() as 8 big-endian bytes, as Go's hash.Hash64.Sum appends it.
  std::string BigEndianBytes() const;
  void Reset() { crc_ = 0; }

 private:
  uint64_t crc_ = 0;
  bool force_tables_ = false;
};

}  // namespace mydocker::tarsplit

#endif  // MYDOCKER_LIB_TARSPLIT_CRC64_H_
