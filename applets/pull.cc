// `mydocker pull [-q] [--platform P] NAME[:TAG|@DIGEST]`.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "applets/applet.h"
#include "lib/base/status_macros.h"
#include "lib/image/format.h"
#include "lib/pull/pull.h"
#include "lib/reference/reference.h"
#include "lib/registry/config.h"
#include "lib/spec/units.h"
#include "absl/strings/numbers.h"

namespace mydocker::applets {
namespace {

using State = pull::Progress::State;

const char* StateText(State s) {
  switch (s) {
    case State::kWaiting: return "Waiting";
    case State::kAlreadyExists: return "Already exists";
    case State::kDownloading: return "Downloading";
    case State::kExtracting: return "Extracting";
    case State::kRetrying: return "Retrying";
    case State::kComplete: return "Pull complete";
  }
  return "";
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Docker's progress display: on a terminal one line per layer, redrawn in
// place; otherwise one plain line per change of state.
class Display : public pull::Progress {
 public:
  Display(FILE* out, bool tty, bool quiet) : out_(out), tty_(tty), quiet_(quiet) {}

  void Message(const std::string& line) override {
    if (quiet_) return;
    fprintf(out_, "%s\n", line.c_str());
    fflush(out_);
  }

  void Layer(const std::string& id, State state, int64_t current,
             int64_t total) override {
    if (quiet_) return;
    auto [it, fresh] = rows_.try_emplace(id, Row{order_.size(), State::kWaiting, 0});
    if (fresh) order_.push_back(id);
    Row& row = it->second;
    bool changed = fresh || row.state != state;
    row.state = state;
    if (!tty_) {
      if (changed) fprintf(out_, "%s: %s\n", id.c_str(), StateText(state));
      fflush(out_);
      return;
    }
    int64_t now = NowMs();
    if (!changed && now - row.drawn_ms < 100) return;  // Throttle redraws.
    row.drawn_ms = now;
    std::string text = absl::StrCat(id, ": ", StateText(state));
    if (state == State::kDownloading && total > 0) {
      int width = 50;
      int done = static_cast<int>(width * current / total);
      absl::StrAppend(&text, " [", std::string(done, '='), done < width ? ">" : "",
                      std::string(std::max(0, width - done - 1), ' '), "]  ",
                      image::HumanSize(current), "/", image::HumanSize(total));
    }
    if (fresh) {
      fprintf(out_, "%s\n", text.c_str());
    } else {
      // Up to the layer's row, rewrite it, back down.
      size_t up = order_.size() - row.index;
      fprintf(out_, "\x1b[%zuA\r\x1b[2K%s\x1b[%zuB\r", up, text.c_str(), up);
    }
    fflush(out_);
  }

 private:
  struct Row {
    size_t index;
    State state;
    int64_t drawn_ms;
  };
  FILE* out_;
  bool tty_;
  bool quiet_;
  std::map<std::string, Row> rows_;
  std::vector<std::string> order_;
};

// Caps on one layer from the environment, so a decompression bomb fails
// cleanly. Not in daemon.json: dockerd refuses keys it does not know.
absl::Status ApplyLayerLimits(pull::Options& options) {
  if (const char* v = getenv("MYDOCKER_LAYER_MAX_BYTES"); v != nullptr && *v) {
    absl::StatusOr<int64_t> bytes = spec::ParseBytes(v);
    if (!bytes.ok() || *bytes <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MYDOCKER_LAYER_MAX_BYTES=", v, ": want a size like 64g"));
    }
    options.limits.max_bytes = static_cast<uint64_t>(*bytes);
  }
  if (const char* v = getenv("MYDOCKER_LAYER_MAX_ENTRIES"); v != nullptr && *v) {
    if (!absl::SimpleAtoi(v, &options.limits.max_entries) ||
        options.limits.max_entries == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MYDOCKER_LAYER_MAX_ENTRIES=", v, ": want a positive number"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PullForRun(const std::string& root, const std::string& name) {
  ASSIGN_OR_RETURN(reference::Reference ref, reference::ParseNormalized(name));
  pull::Options options;
  options.root = root;
  ASSIGN_OR_RETURN(options.config,
                   registry::RegistryConfig::Load(registry::DaemonConfigPath()));
  RETURN_IF_ERROR(ApplyLayerLimits(options));
  fprintf(stderr, "Unable to find image '%s' locally\n", ref.FamiliarString().c_str());
  // As docker run does: the pull's progress on stderr, stdout is the
  // container's.
  Display display(stderr, isatty(STDERR_FILENO), false);
  ASSIGN_OR_RETURN(pull::Result r, pull::Pull(ref, options, &display));
  fprintf(stderr, "Digest: %s\nStatus: Downloaded newer image for %s\n",
          r.manifest_digest.str().c_str(), ref.FamiliarString().c_str());
  return absl::OkStatus();
}

int PullMain(Invocation& inv) {
  bool quiet = false;
  std::string platform;
  int64_t max_downloads = 0;
  inv.flags().Bool("q,quiet", &quiet, "Suppress verbose output");
  inv.flags().String("platform", &platform,
                     "Set platform if server is multi-platform capable (os/arch[/variant])");
  inv.flags().Int("max-concurrent-downloads", &max_downloads,
                  "Layers downloaded at once (default 3, or daemon.json)");
  std::optional<std::vector<std::string>> args = inv.Parse(1, 1);
  if (!args) return inv.exit_code();
  const std::string& name = (*args)[0];

  absl::StatusOr<reference::Reference> ref = reference::ParseNormalized(name);
  if (!ref.ok()) return inv.Fail(ref.status());
  pull::Options options;
  options.root = inv.root();
  if (!platform.empty()) {
    absl::StatusOr<manifest::Platform> p = manifest::Platform::Parse(platform);
    if (!p.ok()) return inv.Fail(p.status(), kExitUsage);
    options.platform = *p;
  }
  absl::StatusOr<registry::RegistryConfig> config =
      registry::RegistryConfig::Load(registry::DaemonConfigPath());
  if (!config.ok()) return inv.Fail(config.status());
  options.config = *config;
  if (max_downloads != 0) {
    if (max_downloads < 1 || max_downloads > 64) {
      return inv.Fail(absl::InvalidArgumentError(
                          "--max-concurrent-downloads must be from 1 to 64"),
                      kExitUsage);
    }
    options.config.max_concurrent_downloads = static_cast<int>(max_downloads);
  }

  absl::Status limits = ApplyLayerLimits(options);
  if (!limits.ok()) return inv.Fail(limits, kExitUsage);

  bool explicit_tag = name.find('@') != std::string::npos;
  if (!explicit_tag) {
    // A ':' after the last '/' is a tag; one before it is a registry port.
    size_t slash = name.rfind('/');
    explicit_tag = name.find(':', slash == std::string::npos ? 0 : slash) !=
                   std::string::npos;
  }
  if (!quiet && !explicit_tag) printf("Using default tag: %s\n", ref->tag.c_str());

  Display display(stdout, isatty(STDOUT_FILENO), quiet);
  absl::StatusOr<pull::Result> r = pull::Pull(*ref, options, &display);
  if (!r.ok()) return inv.Fail(r.status());
  if (!quiet) {
    printf("Digest: %s\n", r->manifest_digest.str().c_str());
    printf("Status: %s for %s\n",
           r->new_image ? "Downloaded newer image" : "Image is up to date",
           ref->FamiliarString().c_str());
  }
  printf("%s\n", ref->String().c_str());
  return 0;
}

}  // namespace mydocker::applets
