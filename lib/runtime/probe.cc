// probe: runs inside runtime_test's containers and prints, one fact per line,
// what a process there sees. Statically linked: the test rootfs holds nothing
// but this binary.
//
//   probe report            ids, caps, fds, hostname, cwd, mounts, ns, ...
//   probe ls:/dir           "ls /dir <name>" per entry
//   probe cat:/file         "cat /file <line>" per line
//   probe stat:/path        "stat /path <type> <major>:<minor> <mode>"
//   probe readlink:/path    "readlink /path <target>"
//   probe write:/file       "write /file ok|<errno>" (opens O_WRONLY)
//   probe wait              reads stdin until EOF
//   probe exit:N            exits N (default 0)
//   probe sleep:MS          sleeps MS milliseconds
//   probe winsize           "winsize <rows> <cols>" of fd 0
//   probe attack            CVE-2019-5736's attacker, until stdin's EOF:
//                           tries to open every other /proc/<pid>/exe for
//                           writing, keeps O_PATH fds of them and tries to
//                           reopen those for writing; at EOF once more.
//                           "attack_scans N", "attack_write_ok N" (must be
//                           0), "attack_held N", "attack_errno E" per failed
//                           write open, "attack_final E" per held fd at EOF
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

namespace {

void PrintFile(const char* prefix, const char* path) {
  FILE* f = fopen(path, "re");
  if (f == nullptr) {
    printf("%s %s error %d\n", prefix, path, errno);
    return;
  }
  char line[4096];
  while (fgets(line, sizeof line, f) != nullptr) {
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    printf("%s %s\n", prefix, line);
  }
  fclose(f);
}

void StatusLines() {
  FILE* f = fopen("/proc/self/status", "re");
  if (f == nullptr) return;
  char line[4096];
  while (fgets(line, sizeof line, f) != nullptr) {
    if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 ||
        strncmp(line, "Umask", 5) == 0 || strncmp(line, "SigBlk", 6) == 0 ||
        strncmp(line, "SigIgn", 6) == 0) {
      char key[64];
      char value[128];
      if (sscanf(line, "%63[^:]:%127s", key, value) == 2) {
        printf("%s %s\n", key, value);
      }
    }
  }
  fclose(f);
}

void Fds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) {
    printf("fds error %d\n", errno);
    return;
  }
  printf("fds");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (atoi(e->d_name) == dirfd(d)) continue;
    printf(" %s", e->d_name);
  }
  printf("\n");
  closedir(d);
}

void Report() {
  printf("pid %d\n", getpid());
  printf("ppid %d\n", getppid());
  uid_t ruid, euid, suid;
  getresuid(&ruid, &euid, &suid);
  printf("uid %u %u %u\n", ruid, euid, suid);
  gid_t rgid, egid, sgid;
  getresgid(&rgid, &egid, &sgid);
  printf("gid %u %u %u\n", rgid, egid, sgid);
  gid_t groups[64];
  int n = getgroups(64, groups);
  printf("groups");
  for (int i = 0; i < n; ++i) printf(" %u", groups[i]);
  printf("\n");
  StatusLines();
  struct utsname u;
  uname(&u);
  printf("hostname %s\n", u.nodename);
  char cwd[4096];
  printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  Fds();
  char buf[1];
  int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, buf, 1) : -1;
  printf("kcore %s %zd\n", fd >= 0 ? "open" : strerror(errno), got);
  if (fd >= 0) close(fd);
  fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
  printf("sysctl_write %d\n", fd >= 0 ? 0 : errno);
  if (fd >= 0) close(fd);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  printf("nofile %llu %llu\n", static_cast<unsigned long long>(rl.rlim_cur),
         static_cast<unsigned long long>(rl.rlim_max));
  PrintFile("oom_score_adj", "/proc/self/oom_score_adj");
  const char* kNs[] = {"pid", "mnt", "net", "uts", "ipc", "cgroup"};
  for (const char* ns : kNs) {
    char path[64];
    char link[128] = {};
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
    ssize_t len = readlink(path, link, sizeof link - 1);
    printf("ns %s %s\n", ns, len > 0 ? link : "?");
  }
  printf("sid %d\n", getsid(0));
  printf("tty %d %d\n", isatty(0), tcgetpgrp(0) == getpgrp() ? 1 : 0);
  for (char** e = environ; *e != nullptr; ++e) printf("env %s\n", *e);
  PrintFile("mount", "/proc/self/mountinfo");
}

// Every errno seen once, in order.
struct Errnos {
  int seen[64];
  int n = 0;
  void Add(int e) {
    for (int i = 0; i < n; ++i) {
      if (seen[i] == e) return;
    }
    if (n < 64) seen[n++] = e;
  }
};

void Attack() {
  constexpr int kMaxHeld = 256;
  int held[kMaxHeld];
  int held_pid[kMaxHeld];
  int num_held = 0;
  long scans = 0;
  long write_ok = 0;
  Errnos errnos;
  const int self = getpid();
  auto try_write = [&](const char* path) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      ++write_ok;
      close(fd);
      return 0;
    }
    return errno;
  };
  for (;;) {
    pollfd p = {0, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
      char buf[256];
      if (read(0, buf, sizeof buf) <= 0) break;
    }
    ++scans;
    DIR* d = opendir("/proc");
    if (d == nullptr) break;
    while (dirent* e = readdir(d)) {
      int pid = atoi(e->d_name);
      if (pid <= 0 || pid == self) continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/exe", pid);
      if (int err = try_write(path); err != 0) errnos.Add(err);
      bool have = false;
      for (int i = 0; i < num_held; ++i) have |= held_pid[i] == pid;
      if (have || num_held == kMaxHeld) continue;
      int fd = open(path, O_PATH | O_CLOEXEC);
      if (fd >= 0) {
        held_pid[num_held] = pid;
        held[num_held++] = fd;
      }
    }
    closedir(d);
    for (int i = 0; i < num_held; ++i) {
      char path[64];
      snprintf(path, sizeof path, "/proc/self/fd/%d", held[i]);
      if (int err = try_write(path); err != 0) errnos.Add(err);
    }
    sched_yield();
  }
  printf("attack_scans %ld\n", scans);
  printf("attack_held %d\n", num_held);
  for (int i = 0; i < errnos.n; ++i) printf("attack_errno %d\n", errnos.seen[i]);
  for (int i = 0; i < num_held; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", held[i]);
    printf("attack_final %d\n", try_write(path));
  }
  printf("attack_write_ok %ld\n", write_ok);
}

}  // namespace

int main(int argc, char** argv) {
  int code = 0;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    const char* colon = strchr(arg, ':');
    const char* value = colon ? colon + 1 : "";
    if (strcmp(arg, "report") == 0) {
      Report();
    } else if (strncmp(arg, "ls:", 3) == 0) {
      DIR* d = opendir(value);
      if (d == nullptr) {
        printf("ls %s error %d\n", value, errno);
        continue;
      }
      while (dirent* e = readdir(d)) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
          printf("ls %s %s\n", value, e->d_name);
        }
      }
      closedir(d);
    } else if (strncmp(arg, "cat:", 4) == 0) {
      char prefix[4200];
      snprintf(prefix, sizeof prefix, "cat %s", value);
      PrintFile(prefix, value);
    } else if (strncmp(arg, "stat:", 5) == 0) {
      struct stat st;
      if (stat(value, &st) != 0) {
        printf("stat %s error %d\n", value, errno);
        continue;
      }
      const char* type = S_ISCHR(st.st_mode)    ? "char"
                         : S_ISBLK(st.st_mode)  ? "block"
                         : S_ISDIR(st.st_mode)  ? "dir"
                         : S_ISREG(st.st_mode)  ? "file"
                         : S_ISFIFO(st.st_mode) ? "fifo"
                                                : "other";
      printf("stat %s %s %u:%u %o\n", value, type, major(st.st_rdev),
             minor(st.st_rdev), st.st_mode & 07777);
    } else if (strncmp(arg, "readlink:", 9) == 0) {
      char link[4096] = {};
      ssize_t len = readlink(value, link, sizeof link - 1);
      printf("readlink %s %s\n", value, len >= 0 ? link : strerror(errno));
    } else if (strncmp(arg, "write:", 6) == 0) {
      int fd = open(value, O_WRONLY | O_CLOEXEC);
      printf("write %s %d\n", value, fd >= 0 ? 0 : errno);
      if (fd >= 0) close(fd);
    } else if (strcmp(arg, "wait") == 0) {
      fflush(stdout);
      char buf[256];
      while (read(0, buf, sizeof buf) > 0) {
      }
    } else if (strncmp(arg, "sleep:", 6) == 0) {
      long ms = atol(value);
      timespec ts = {ms / 1000, (ms % 1000) * 1000000};
      nanosleep(&ts, nullptr);
    } else if (strcmp(arg, "winsize") == 0) {
      winsize ws = {};
      ioctl(0, TIOCGWINSZ, &ws);
      printf("winsize %u %u\n", ws.ws_row, ws.ws_col);
    } else if (strcmp(arg, "attack") == 0) {
      Attack();
    } else if (strncmp(arg, "exit:", 5) == 0) {
      code = atoi(value);
    } else {
      printf("unknown %s\n", arg);
    }
  }
  fflush(stdout);
  return code;
}
