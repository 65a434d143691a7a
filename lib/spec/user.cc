#include "lib/spec/user.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/errno_status.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/spec/units.h"

namespace mydocker::spec {
namespace {

constexpr int64_t kMaxId = (int64_t{1} << 31) - 1;

struct PasswdEntry {
  std::string name;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;
};

// runc's parseLine for numbers: a field that is not a number reads as 0
// ("some configuration files like to misbehave").
int64_t Number(absl::string_view s) {
  int64_t v = 0;
  return ParseGoInt(s, &v) ? v : 0;
}

// bufio.ScanLines: lines end at "\n", a "\r" before it is dropped.
std::vector<absl::string_view> Lines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    lines.push_back(line);
  }
  return lines;
}

std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> out;
  for (absl::string_view line : Lines(text)) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    // name:password:UID:GID:GECOS:directory:shell
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    PasswdEntry e;
    e.name = std::string(f[0]);
    if (f.size() > 2) e.uid = Number(f[2]);
    if (f.size() > 3) e.gid = Number(f[3]);
    if (f.size() > 5) e.home = std::string(f[5]);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> out;
  for (absl::string_view line : Lines(text)) {
    if (line.empty()) continue;  // runc does not trim group lines.
    // group_name:password:GID:user_list
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    GroupEntry e;
    e.name = std::string(f[0]);
    if (f.size() > 2) e.gid = Number(f[2]);
    if (f.size() > 3 && !f[3].empty()) {
      e.members = absl::StrSplit(f[3], ',');
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status RangeError() {
  return absl::InvalidArgumentError(
      absl::StrCat("uids and gids must be in range 0-", kMaxId));
}

// An id from the image's own files: anything a uint32 holds is accepted,
// as dockerd truncates it to one.
absl::StatusOr<uint32_t> FileId(int64_t id, absl::string_view file,
                                absl::string_view entry) {
  if (id < 0 || id > int64_t{UINT32_MAX}) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, " entry ", entry, ": id ", id, " is out of range"));
  }
  return static_cast<uint32_t>(id);
}

}  // namespace

absl::StatusOr<ExecUser> ResolveUserFromFiles(
    absl::string_view spec, const std::optional<std::string>& passwd,
    const std::optional<std::string>& group) {
  std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  absl::string_view user_arg = parts[0];
  absl::string_view group_arg = parts.size() > 1 ? parts[1] : "";
  int64_t uid_arg = 0, gid_arg = 0;
  const bool uid_numeric = ParseGoInt(user_arg, &uid_arg);
  const bool gid_numeric = ParseGoInt(group_arg, &gid_arg);

  std::vector<PasswdEntry> users =
      passwd.has_value() ? ParsePasswd(*passwd) : std::vector<PasswdEntry>();
  ExecUser out;
  const PasswdEntry* matched = nullptr;
  for (const PasswdEntry& u : users) {
    bool match = user_arg.empty() ? u.uid == 0
                 : uid_numeric    ? u.uid == uid_arg
                                  : u.name == user_arg;
    if (match) {
      matched = &u;
      break;
    }
  }
  if (matched != nullptr) {
    ASSIGN_OR_RETURN(out.uid, FileId(matched->uid, "passwd", matched->name));
    ASSIGN_OR_RETURN(out.gid, FileId(matched->gid, "passwd", matched->name));
  } else if (!user_arg.empty()) {
    if (!uid_numeric) {
      return absl::NotFoundError(
          absl::StrCat("unable to find user ", user_arg,
                       ": no matching entries in passwd file"));
    }
    if (uid_arg < 0 || uid_arg > kMaxId) return RangeError();
    out.uid = static_cast<uint32_t>(uid_arg);
  }

  const std::string matched_name = matched ? matched->name : "";
  if (!group_arg.empty() || !matched_name.empty()) {
    std::vector<GroupEntry> groups =
        group.has_value() ? ParseGroup(*group) : std::vector<GroupEntry>();
    if (!group_arg.empty()) {
      const GroupEntry* g = nullptr;
      for (const GroupEntry& e : groups) {
        if (gid_numeric ? e.gid == gid_arg : e.name == group_arg) {
          g = &e;
          break;
        }
      }
      if (g != nullptr) {
        ASSIGN_OR_RETURN(out.gid, FileId(g->gid, "group", g->name));
      } else {
        if (!gid_numeric) {
          return absl::NotFoundError(
              absl::StrCat("unable to find group ", group_arg,
                           ": no matching entries in group file"));
        }
        if (gid_arg < 0 || gid_arg > kMaxId) return RangeError();
        out.gid = static_cast<uint32_t>(gid_arg);
      }
    } else {
      // Supplementary groups only come with the implicit form.
      for (const GroupEntry& e : groups) {
        if (std::find(e.members.begin(), e.members.end(), matched_name) !=
            e.members.end()) {
          ASSIGN_OR_RETURN(uint32_t gid, FileId(e.gid, "group", e.name));
          out.sgids.push_back(gid);
        }
      }
    }
  }

  // HOME as runc sets it: looked up by the final uid.
  for (const PasswdEntry& u : users) {
    if (u.uid == static_cast<int64_t>(out.uid)) {
      out.home = u.home;
      break;
    }
  }
  return out;
}

absl::StatusOr<std::vector<uint32_t>> ResolveGroupsFromFile(
    const std::vector<std::string>& groups,
    const std::optional<std::string>& group_file) {
  std::vector<GroupEntry> entries = group_file.has_value()
                                        ? ParseGroup(*group_file)
                                        : std::vector<GroupEntry>();
  std::vector<uint32_t> out;
  for (const std::string& want : groups) {
    std::optional<uint32_t> gid;
    for (const GroupEntry& e : entries) {
      if (e.name == want || absl::StrCat(e.gid) == want) {
        ASSIGN_OR_RETURN(gid, FileId(e.gid, "group", e.name));
        break;
      }
    }
    if (!gid.has_value()) {
      int64_t n = 0;
      if (!ParseGoInt(want, &n)) {
        return absl::NotFoundError(absl::StrCat("Unable to find group ", want));
      }
      if (n < 0 || n > kMaxId) return RangeError();
      gid = static_cast<uint32_t>(n);
    }
    if (std::find(out.begin(), out.end(), *gid) == out.end()) {
      out.push_back(*gid);
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> ReadFileInRoot(
    int root_fd, const std::string& relative_path, size_t max_bytes) {
  const std::string what = absl::StrCat(relative_path, " in the container");
  struct open_how how = {};
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  // Every symlink, absolute or with "..", resolves as if root_fd were "/";
  // /proc-style magic links are refused outright.
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    fd = static_cast<int>(::syscall(SYS_openat2, root_fd, relative_path.c_str(),
                                    &how, sizeof(how)));
    if (fd >= 0) break;
    if (errno == EINTR) continue;
    // EAGAIN: a rename elsewhere raced the lookup; the kernel asks to retry.
    if (errno == EAGAIN && attempt < 32) continue;
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    return base::ErrnoStatus(errno, "open ", what);
  }
  base::UniqueFd file(fd);
  struct stat st;
  if (fstat(file.get(), &st) < 0)
    return base::ErrnoStatus(errno, "stat ", what);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " is not a regular file"));
  }
  std::string data(std::min(static_cast<size_t>(st.st_size), max_bytes) + 1,
                   '\0');
  size_t have = 0;
  for (;;) {
    if (have == data.size()) {
      if (data.size() > max_bytes) break;
      data.resize(std::min(max_bytes + 1, data.size() * 2));
    }
    ssize_t n = ::read(file.get(), data.data() + have, data.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "read ", what);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > max_bytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " is larger than the limit of ", max_bytes, " bytes"));
  }
  data.resize(have);
  return std::optional<std::string>(std::move(data));
}

absl::StatusOr<ExecUser> ResolveUser(int rootfs_fd, absl::string_view spec) {
  ASSIGN_OR_RETURN(std::optional<std::string> passwd,
                   ReadFileInRoot(rootfs_fd, "etc/passwd"));
  ASSIGN_OR_RETURN(std::optional<std::string> group,
                   ReadFileInRoot(rootfs_fd, "etc/group"));
  return ResolveUserFromFiles(spec, passwd, group);
}

absl::StatusOr<ExecUser> ResolveUser(const std::string& rootfs,
                                     absl::string_view spec) {
  int fd = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, "open rootfs ", rootfs);
  base::UniqueFd root(fd);
  return ResolveUser(root.get(), spec);
}

absl::StatusOr<std::vector<uint32_t>> ResolveGroups(
    int rootfs_fd, const std::vector<std::string>& groups) {
  if (groups.empty()) return std::vector<uint32_t>();
  ASSIGN_OR_RETURN(std::optional<std::string> group,
                   ReadFileInRoot(rootfs_fd, "etc/group"));
  return ResolveGroupsFromFile(groups, group);
}

}  // namespace mydocker::spec
