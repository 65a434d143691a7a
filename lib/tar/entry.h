// One tar entry's metadata, as the layer pipeline passes it around: the tar
// reader (lib/tar/reader.h) produces it from the headers of a layer stream,
// the layer applier (lib/archive) materialises it in a diff directory.
//
// Nothing in an Entry is trusted: it comes straight from a layer someone
// else made. Names are as stored in the archive (after PAX and GNU long-name
// records are applied), not cleaned, not checked.
#ifndef MYDOCKER_LIB_TAR_ENTRY_H_
#define MYDOCKER_LIB_TAR_ENTRY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mydocker::tar {

enum class EntryType {
  kRegular,      // '0' and '\0' (and '7', contiguous file)
  kHardlink,     // '1': `linkname` names an earlier entry of the same archive
  kSymlink,      // '2': `linkname` is the target, stored as is
  kCharDevice,   // '3'
  kBlockDevice,  // '4'
  kDirectory,    // '5'
  kFifo,         // '6'
};

struct Entry {
  std::string name;
  std::string linkname;
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0;  // Permission bits plus setuid/setgid/sticky (07777).
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime_sec = 0;
  int32_t mtime_nsec = 0;   // From a PAX mtime with a fraction, else 0.
  int64_t size = 0;         // Content bytes that follow; 0 unless kRegular.
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  // PAX "SCHILY.xattr.<name>" records, in archive order: {name, value}.
  std::vector<std::pair<std::string, std::string>> xattrs;
};

}  // namespace mydocker::tar

#endif  // MYDOCKER_LIB_TAR_ENTRY_H_
