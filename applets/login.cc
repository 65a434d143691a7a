// `mydocker login [-u USER] [-p PASS | --password-stdin] [SERVER]` and
// `mydocker logout [SERVER]`: credentials in ~/.docker/config.json, where
// docker keeps them.
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "applets/applet.h"
#include "lib/registry/client.h"
#include "lib/registry/config.h"
#include "lib/registry/http.h"

namespace mydocker::applets {
namespace {

// "docker.io" for Docker Hub's spellings, else the host as given.
std::string ServerDomain(const std::vector<std::string>& args) {
  if (args.empty()) return "docker.io";
  std::string s = absl::AsciiStrToLower(args[0]);
  for (const char* prefix : {"https://", "http://"}) {
    if (s.rfind(prefix, 0) == 0) s = s.substr(strlen(prefix));
  }
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.size() > 3 && s.substr(s.size() - 3) == "/v1") s.resize(s.size() - 3);
  if (s == "index.docker.io" || s == "registry-1.docker.io" || s == "docker.io") {
    return "docker.io";
  }
  return s;
}

std::string ReadLine(bool echo) {
  termios old{};
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty && !echo) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty && !echo) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputs("\n", stderr);
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

int LoginMain(Invocation& inv) {
  std::string user, password;
  bool password_stdin = false;
  inv.flags().String("u,username", &user, "Username");
  inv.flags().String("p,password", &password, "Password");
  inv.flags().Bool("password-stdin", &password_stdin, "Take the password from stdin");
  std::optional<std::vector<std::string>> args = inv.Parse(0, 1);
  if (!args) return inv.exit_code();
  std::string domain = ServerDomain(*args);

  if (password_stdin) {
    if (!password.empty()) {
      return inv.Fail(absl::InvalidArgumentError(
                          "--password and --password-stdin are mutually exclusive"),
                      kExitUsage);
    }
    if (user.empty()) {
      return inv.Fail(absl::InvalidArgumentError(
                          "must provide --username with --password-stdin"),
                      kExitUsage);
    }
    password = ReadLine(/*echo=*/true);
  } else {
    if (!password.empty()) {
      fprintf(stderr, "WARNING! Using --password via the CLI is insecure. "
                      "Use --password-stdin.\n");
    }
    if (user.empty() || password.empty()) {
      if (!isatty(STDIN_FILENO)) {
        return inv.Fail(absl::InvalidArgumentError(
                            "no terminal to ask for the credentials: give "
                            "--username and --password-stdin"),
                        kExitUsage);
      }
      if (user.empty()) {
        fputs("Username: ", stderr);
        user = ReadLine(/*echo=*/true);
      }
      if (password.empty()) {
        fputs("Password: ", stderr);
        password = ReadLine(/*echo=*/false);
      }
    }
  }
  if (user.empty() || password.empty()) {
    return inv.Fail(absl::InvalidArgumentError("username and password are required"),
                    kExitUsage);
  }

  absl::StatusOr<registry::RegistryConfig> config =
      registry::RegistryConfig::Load(registry::DaemonConfigPath());
  if (!config.ok()) return inv.Fail(config.status());
  registry::Credentials creds{user, password};
  // Check the credentials where images would come from (the registry
  // itself, not a mirror).
  registry::HttpClient http;
  absl::Status checked = absl::UnavailableError("no endpoint");
  for (const registry::Endpoint& ep : registry::EndpointsFor(domain, *config)) {
    if (ep.mirror) continue;
    registry::Repository repo(ep, "", creds);
    checked = repo.CheckLogin(http);
    if (!absl::IsUnavailable(checked)) break;
  }
  if (!checked.ok()) {
    return inv.Fail(absl::Status(checked.code(),
                                 absl::StrCat("login to ", domain, " failed: ",
                                              checked.message())));
  }
  std::string path = registry::ClientConfigPath();
  absl::Status stored = registry::StoreCredentials(path, domain, creds);
  if (!stored.ok()) return inv.Fail(stored);
  printf("Login Succeeded\n");
  return 0;
}

int LogoutMain(Invocation& inv) {
  std::optional<std::vector<std::string>> args = inv.Parse(0, 1);
  if (!args) return inv.exit_code();
  std::string domain = ServerDomain(*args);
  std::string path = registry::ClientConfigPath();
  absl::StatusOr<std::optional<registry::Credentials>> had =
      registry::LoadCredentials(path, domain);
  if (!had.ok()) return inv.Fail(had.status());
  if (!had->has_value()) {
    printf("Not logged in to %s\n", registry::CredentialKey(domain).c_str());
    return 0;
  }
  absl::Status s = registry::StoreCredentials(path, domain, std::nullopt);
  if (!s.ok()) return inv.Fail(s);
  printf("Removing login credentials for %s\n", registry::CredentialKey(domain).c_str());
  return 0;
}

}  // namespace mydocker::applets
