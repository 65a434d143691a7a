// Test helpers for lib/container: temp data roots, runfiles, an image made
// through the real LayerStore and ImageDb, and a listing of a directory
// tree to compare before and after.
//
//   std::string root = NewTempDir("store");
//   ASSIGN_OR_RETURN(TestImage img,
//                    MakeImage(root, {{{"etc/os-release", "test\n"}}}));
//   std::string before = TreeListing(root);
#ifndef MYDOCKER_LIB_CONTAINER_TESTING_H_
#define MYDOCKER_LIB_CONTAINER_TESTING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/digest/digest.h"

namespace mydocker::container::testing {

// A new empty directory under $TEST_TMPDIR (or /tmp).
std::string NewTempDir(const std::string& prefix);

// The bytes of a file of this workspace's runfiles ("lib/container/...").
// Fails the test (and returns "") if it cannot be read.
std::string ReadRunfile(const std::string& path);

// The names of the files in a runfiles directory, sorted.
std::vector<std::string> ListRunfiles(const std::string& dir);

// One layer: path -> content. A path ending in "/" is a directory; content
// "->target" makes a symlink.
using LayerFiles = std::map<std::string, std::string>;

struct TestImage {
  digest::Digest id;                      // The image id (its config's digest).
  std::vector<digest::Digest> chain_ids;  // Bottom first.
  std::vector<std::string> cache_ids;     // overlay2 dirs, bottom first.
};

// Makes an image of `layers` (bottom first) in the data root `root` through
// LayerStore and ImageDb, with `config` as its config's "config" object
// (JSON text; "" for {"Cmd":["sh"],"Env":["PATH=..."]}).
absl::StatusOr<TestImage> MakeImage(const std::string& root,
                                    const std::vector<LayerFiles>& layers,
                                    const std::string& config = "");

// Every entry below `dir`, one per line, sorted:
// "<path> <type><mode> <uid>:<gid> <size or link target>" (size omitted
// for directories).
std::string TreeListing(const std::string& dir);

}  // namespace mydocker::container::testing

#endif  // MYDOCKER_LIB_CONTAINER_TESTING_H_
