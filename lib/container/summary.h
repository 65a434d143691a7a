// `docker ps`: the row the daemon makes of a container (moby
// container/view.go, container/state.go) and the columns the CLI prints
// (docker/cli cli/command/formatter/container.go, v20.10.24):
//
//   CONTAINER ID   IMAGE     COMMAND   CREATED         STATUS
//   6c908a9b3600   busybox   "sh"      2 minutes ago   Exited (0) 1 second ago
//   (then PORTS, "0.0.0.0:8080->80/tcp, :::8080->80/tcp", and NAMES)
//
//   Summary s = Summarize(container, absl::Now());
//   std::cout << image::TruncateId(s.id) << FormatImage(s, true)
//             << FormatCommand(s.command, true)
//             << FormatRunningFor(s.created, now) << s.status
//             << FormatPorts(s.ports) << FormatNames(s.names, true);
#ifndef MYDOCKER_LIB_CONTAINER_SUMMARY_H_
#define MYDOCKER_LIB_CONTAINER_SUMMARY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/container/record.h"

namespace mydocker::container {

// types.Port: one published or exposed port.
struct Port {
  std::string ip;  // "" for an exposed, unpublished port.
  uint16_t private_port = 0;
  uint16_t public_port = 0;
  std::string type;  // "tcp", "udp", "sctp"
};

// The daemon's view of a container for `ps` (types.Container).
struct Summary {
  std::string id;                  // Full id.
  std::vector<std::string> names;  // "/web".
  std::string image;               // Config.Image, as the user typed it.
  std::string image_id;            // "sha256:...".
  std::string command;             // Path and Args, unquoted, untruncated.
  absl::Time created = kZeroTime;
  std::vector<Port> ports;
  std::map<std::string, std::string> labels;
  std::string state;   // StateString: "running", "exited", ...
  std::string status;  // StatusString: "Up 3 seconds", ...
};

// The row for `c` at time `now`.
Summary Summarize(const Container& c, absl::Time now);

// State.StateString(): "paused", "restarting" or "running" while Running,
// else "removing", "dead", "created" (never started), "exited".
std::string StateString(const State& s);

// State.String(), the STATUS column: "Up 3 seconds" (+ " (Paused)", or the
// health: " (healthy)", " (unhealthy)", " (health: starting)"),
// "Restarting (1) 2 seconds ago", "Removal In Progress", "Dead", "Created",
// "Exited (137) 2 minutes ago", and "" for a stopped container without a
// finish time, with go-units' HumanDuration.
std::string StatusString(const State& s, absl::Time now);

// Path, then each Arg, space-separated; an Arg with a space is put in
// single quotes ("sh -c 'echo hi'"), as the daemon does.
std::string CommandString(absl::string_view path,
                          const std::vector<std::string>& args);

// The ports of NetworkSettings.Ports: one per binding, or one without an ip
// for a port without bindings; keys or host ports that are not numbers are
// skipped, as the daemon does.
std::vector<Port> PortsOf(const NetworkSettings& n);

// --- The CLI's columns.

// COMMAND: strconv.Quote of the command, cut to 20 display columns with
// "…" unless `trunc` is false.
std::string FormatCommand(absl::string_view command, bool trunc);

// IMAGE: with `trunc`, the 12-char id if the image was given by id, else the
// reference in its familiar form without digest ("busybox",
// "busybox:1.36", "127.0.0.1:5000/library/busybox"); "<no image>" if empty.
std::string FormatImage(const Summary& s, bool trunc);

// CREATED: HumanDuration(now - created, in whole seconds) + " ago".
std::string FormatRunningFor(absl::Time created, absl::Time now);

// PORTS: DisplayablePorts: sorted; ports published on the same port number
// grouped into ranges per ip and type ("0.0.0.0:8000-8001->8000-8001/tcp",
// "80/tcp"), the others as "ip:public->private/type"; ", "-joined.
std::string FormatPorts(std::vector<Port> ports);

// NAMES: without the leading "/"; with `trunc`, only the container's own
// name (not "/other/alias" link names). Comma-joined.
std::string FormatNames(const std::vector<std::string>& names, bool trunc);

// formatter.Ellipsis: `s` cut to `width` display columns (East Asian wide
// characters count 2), the last one replaced by "…".
std::string Ellipsis(absl::string_view s, int width);

// Go's strconv.Quote: double-quoted, with Go's escapes for '"', '\\',
// control characters, invalid UTF-8 bytes (\xff) and non-printable runes.
std::string GoQuote(absl::string_view s);

}  // namespace mydocker::container

#endif  // MYDOCKER_LIB_CONTAINER_SUMMARY_H_
