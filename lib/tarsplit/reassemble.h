// Rebuilds a layer's original tar, byte for byte, from its tar-split file
// and the directory the layer was extracted to: segments are copied as they
// are, file entries are filled with the file's content from the directory,
// checked against the recorded size and CRC-64. This is what `docker save`
// and `docker push` of a pulled image need, and how the tests prove that a
// tar-split written by TarSplitWriter loses nothing.
//
//   std::string tar;
//   RETURN_IF_ERROR(ReassembleFile(layer_dir + "/tar-split.json.gz",
//                                  diff_dir, StringSink(&tar)));
//
// Reads tar-split files written by TarSplitWriter and by tar-split/moby
// (any version). Names are resolved inside `diff_dir` as Go's
// filepath.Join would ("./a", "/a" and "a" are the same file), but a name
// that would leave the directory ("../x") or pass through a symlink is
// refused (InvalidArgument / FailedPrecondition) instead of followed.
//
// Errors: DataLoss if the tar-split's gzip is corrupt or truncated, or a
// file's content does not match its recorded size or CRC; InvalidArgument
// for a malformed entry (format.h) or duplicate names; the errno-derived
// code (NotFound...) if a file cannot be opened. Messages name the file.
// Bytes already passed to the sink stay there on error.
#ifndef MYDOCKER_LIB_TARSPLIT_REASSEMBLE_H_
#define MYDOCKER_LIB_TARSPLIT_REASSEMBLE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/tarsplit/sink.h"

namespace mydocker::tarsplit {

// From the tar-split file's bytes (`tar_split_json_gz`, still compressed).
absl::Status Reassemble(absl::string_view tar_split_json_gz,
                        const std::string& diff_dir, Sink sink);

// From the tar-split file at `tar_split_path`, read in chunks.
absl::Status ReassembleFile(const std::string& tar_split_path,
                            const std::string& diff_dir, Sink sink);

}  // namespace mydocker::tarsplit

#endif  // MYDOCKER_LIB_TARSPLIT_REASSEMBLE_H_
