#include "lib/container/testing.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/imagedb/imagedb.h"
#include "lib/layerdb/layer_store.h"
#include "nlohmann/json.hpp"

namespace mydocker::container::testing {

std::string NewTempDir(const std::string& prefix) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string t = absl::StrCat(tmp ? tmp : "/tmp", "/", prefix, ".XXXXXX");
  EXPECT_NE(mkdtemp(t.data()), nullptr) << t;
  chmod(t.c_str(), 0755);
  return t;
}

static std::string RunfilePath(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "mydocker", "/",
                      path);
}

std::string ReadRunfile(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(RunfilePath(path));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

std::vector<std::string> ListRunfiles(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names =
      base::ListDir(RunfilePath(dir));
  EXPECT_TRUE(names.ok()) << names.status();
  return names.ok() ? *names : std::vector<std::string>{};
}

absl::StatusOr<TestImage> MakeImage(const std::string& root,
                                    const std::vector<LayerFiles>& layers,
                                    const std::string& config) {
  layerdb::LayerStore store(root);
  TestImage image{digest::Digest::Of(""), {}, {}};
  std::vector<digest::Digest> diff_ids;
  std::optional<digest::Digest> parent;
  int n = 0;
  for (const LayerFiles& files : layers) {
    ASSIGN_OR_RETURN(layerdb::PendingLayer p, store.Begin());
    for (const auto& [path, content] : files) {
      std::string full = absl::StrCat(p.diff_dir(), "/", path);
      if (absl::EndsWith(path, "/")) {
        RETURN_IF_ERROR(base::MakeDirs(full, 0755));
        continue;
      }
      RETURN_IF_ERROR(base::MakeDirs(base::Dirname(full), 0755));
      if (absl::StartsWith(content, "->")) {
        if (symlink(content.c_str() + 2, full.c_str()) < 0) {
          return absl::InternalError(absl::StrCat("symlink ", full));
        }
      } else {
        RETURN_IF_ERROR(base::WriteFileAtomic(full, content, 0644));
      }
    }
    // Distinct diff ids, also for equal contents and for several images in
    // one root.
    static std::atomic<int> images{0};
    digest::Digest diff_id = digest::Digest::Of(
        absl::StrCat("layer ", n++, " of ", root, " #", images++));
    ASSIGN_OR_RETURN(layerdb::Layer l,
                     store.Commit(std::move(p), diff_id, parent));
    parent = l.chain_id;
    diff_ids.push_back(diff_id);
    image.chain_ids.push_back(l.chain_id);
    image.cache_ids.push_back(l.cache_id);
  }
  nlohmann::ordered_json c = nlohmann::ordered_json::parse(
      config.empty()
          ? R"({"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]})"
          : config,
      nullptr, /*allow_exceptions=*/false);
  if (c.is_discarded()) return absl::InvalidArgumentError("bad image config");
  nlohmann::ordered_json blob = {
      {"architecture", "amd64"},
      {"config", c},
      {"created", "2023-05-19T20:19:23.305236232Z"},
      {"os", "linux"},
      {"rootfs",
       {{"type", "layers"}, {"diff_ids", nlohmann::ordered_json::array()}}}};
  for (const digest::Digest& d : diff_ids) {
    blob["rootfs"]["diff_ids"].push_back(d.str());
  }
  imagedb::ImageDb db(root);
  ASSIGN_OR_RETURN(image.id, db.Put(blob.dump()));
  return image;
}

static void List(const std::string& base, const std::string& rel,
                 std::vector<std::string>& out) {
  std::string dir = rel.empty() ? base : absl::StrCat(base, "/", rel);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  for (const std::string& n : names) {
    std::string r = rel.empty() ? n : absl::StrCat(rel, "/", n);
    std::string full = absl::StrCat(base, "/", r);
    struct stat st;
    if (lstat(full.c_str(), &st) < 0) continue;
    std::string line =
        absl::StrFormat("%s %c%04o %d:%d", r,
                        S_ISDIR(st.st_mode)   ? 'd'
                        : S_ISLNK(st.st_mode) ? 'l'
                                              : '-',
                        st.st_mode & 07777, st.st_uid, st.st_gid);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t len = readlink(full.c_str(), buf, sizeof(buf));
      absl::StrAppend(&line, " -> ",
                      std::string(buf, len > 0 ? static_cast<size_t>(len) : 0));
    } else if (!S_ISDIR(st.st_mode)) {
      absl::StrAppend(&line, " ", st.st_size);
    }
    out.push_back(line);
    if (S_ISDIR(st.st_mode)) List(base, r, out);
  }
}

std::string TreeListing(const std::string& dir) {
  std::vector<std::string> lines;
  List(dir, "", lines);
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

}  // namespace mydocker::container::testing
