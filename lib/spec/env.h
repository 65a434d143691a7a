// Docker's rules for a container's environment: `-e`, `--env-file`, the
// image's Env, and the variables dockerd adds (docker/cli opts/env.go,
// opts/file.go, opts/parse.go; moby daemon/commit.go merge,
// container/env.go ReplaceOrAppendEnvValues, v20.10).
//
//   EnvLookup lookup = ProcessEnvLookup();
//   ASSIGN_OR_RETURN(std::string e, ExpandEnvFlag("EDITOR", lookup));
//   // "EDITOR=vim" if this process has EDITOR, else "EDITOR" (unset it)
//   std::vector<std::string> env = MergeImageEnv(user_env, image.env);
//   env = ReplaceOrAppendEnv({"PATH=...", "HOSTNAME=abc"}, env);
#ifndef MYDOCKER_LIB_SPEC_ENV_H_
#define MYDOCKER_LIB_SPEC_ENV_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {

// Looks up a variable in the caller's environment (the shell that ran
// `mydocker run`); nullopt if it is not set.
using EnvLookup =
    std::function<std::optional<std::string>(const std::string& name)>;

// An EnvLookup over this process's environment (getenv).
EnvLookup ProcessEnvLookup();

// The key of "KEY=value" (or of a bare "KEY").
absl::string_view EnvKey(absl::string_view entry);

// One `-e` value, as the CLI passes it on: "K=V" as it is; a bare "K" becomes
// "K=<value>" if `lookup` finds K, else stays "K", which tells the daemon
// to leave K out of the container's environment altogether.
// InvalidArgument "invalid environment variable: =x" for an empty key.
absl::StatusOr<std::string> ExpandEnvFlag(absl::string_view value,
                                          const EnvLookup& lookup);

// The entries of an --env-file's `contents` (`name` is used in errors), in
// order: lines are split on "\n" (a trailing "\r" dropped), leading
// whitespace is trimmed, empty lines and lines starting with "#" skipped, a
// UTF-8 BOM on the first line dropped. "K=V" is kept as written (the value
// is not trimmed or unquoted); a bare "K" becomes "K=<value>" if `lookup`
// finds it and is dropped otherwise. InvalidArgument ("poorly formatted
// environment: variable 'A B' contains whitespaces") for a key with
// whitespace or an empty key, and for invalid UTF-8.
absl::StatusOr<std::vector<std::string>> ParseEnvFile(
    absl::string_view contents, absl::string_view name,
    const EnvLookup& lookup);

// ParseEnvFile of the file at `path` (at most 16 MiB). NotFound if it does
// not exist.
absl::StatusOr<std::vector<std::string>> ReadEnvFile(const std::string& path,
                                                     const EnvLookup& lookup);

// dockerd's merge of the user's environment with the image's: the user's
// entries, in order, then each image entry whose key the user did not
// mention (a bare "K" from the user counts as mentioning K).
std::vector<std::string> MergeImageEnv(const std::vector<std::string>& user,
                                       const std::vector<std::string>& image);

// ReplaceOrAppendEnvValues: each "K=V" of `overrides` replaces the entry
// with key K in `defaults` (in place) or is appended; a bare "K" removes
// K. When `overrides` sets a key twice the later value wins, at the first
// position (Docker would pass both to the process).
std::vector<std::string> ReplaceOrAppendEnv(
    std::vector<std::string> defaults,
    const std::vector<std::string>& overrides);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_ENV_H_
