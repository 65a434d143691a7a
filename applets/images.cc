// `mydocker images`, `rmi`, `tag` and `inspect`: the image store as a user
// sees it, over lib/image.
#include <stdio.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "applets/applet.h"
#include "applets/list_format.h"
#include "lib/cli/go_template.h"
#include "applets/table.h"
#include "lib/container/go_json.h"
#include "lib/container/store.h"
#include "lib/engine/inspect.h"
#include "lib/engine/lifecycle.h"
#include "lib/image/format.h"
#include "lib/image/image_service.h"
#include "lib/imagedb/imagedb.h"
#include "nlohmann/json.hpp"

namespace mydocker::applets {

int ImagesMain(Invocation& inv) {
  bool all = false, quiet = false, digests = false, no_trunc = false;
  std::string format;
  inv.flags().Bool("a,all", &all, "Show all images (default hides intermediate images)");
  inv.flags().Bool("q,quiet", &quiet, "Only show image IDs");
  inv.flags().Bool("digests", &digests, "Show digests");
  inv.flags().Bool("no-trunc", &no_trunc, "Don't truncate output");
  inv.flags().String("format", &format, kListFormatHelp);
  std::optional<std::vector<std::string>> args = inv.Parse(0, 1);
  if (!args) return inv.exit_code();
  // As docker: --digests adds the column to a table template without one.
  if (digests && absl::StartsWith(absl::StripLeadingAsciiWhitespace(format), "table") &&
      !absl::StrContains(format, "{{.Digest}}")) {
    absl::StrAppend(&format, "\t{{.Digest}}");
  }
  absl::StatusOr<ListFormat> list_format = ListFormat::Parse(format);
  if (!list_format.ok()) return inv.Fail(list_format.status(), kExitUsage);
  image::ListOptions options;
  options.all = all;
  options.digests = digests;
  if (!args->empty()) options.filter = (*args)[0];
  image::ImageService images(inv.root());
  absl::StatusOr<std::vector<image::ImageSummary>> rows = images.List(options);
  if (!rows.ok()) return inv.Fail(rows.status());

  absl::Time now = absl::Now();
  auto id_text = [&](const digest::Digest& id) {
    return no_trunc ? id.str() : image::ShortId(id);
  };
  if (quiet && list_format->is_default()) {
    for (const image::ImageSummary& r : *rows) printf("%s\n", id_text(r.id).c_str());
    return 0;
  }
  if (!list_format->is_default()) {
    std::vector<nlohmann::ordered_json> out;
    for (const image::ImageSummary& r : *rows) {
      out.push_back({
          {"Containers", "N/A"},
          {"CreatedAt", absl::FormatTime("%Y-%m-%d %H:%M:%S %z %Z", r.created,
                                         absl::LocalTimeZone())},
          {"CreatedSince", image::CreatedSince(r.created, now)},
          {"Digest", r.digest.value_or("<none>")},
          {"ID", id_text(r.id)},
          {"Repository", r.repository},
          {"SharedSize", "N/A"},
          {"Size", image::HumanSize(r.size)},
          {"Tag", r.tag},
          {"UniqueSize", "N/A"},
          {"VirtualSize", image::HumanSizeWithPrecision(static_cast<double>(r.size), 4)},
      });
    }
    // docker's column names for these fields.
    static const auto* kHeaders = new nlohmann::ordered_json{
        {"Containers", "CONTAINERS"}, {"CreatedAt", "CREATED AT"},
        {"CreatedSince", "CREATED"},  {"Digest", "DIGEST"},
        {"ID", "IMAGE ID"},           {"Repository", "REPOSITORY"},
        {"SharedSize", "SHARED SIZE"}, {"Size", "SIZE"},
        {"Tag", "TAG"},               {"UniqueSize", "UNIQUE SIZE"},
        {"VirtualSize", "SIZE"},
    };
    absl::StatusOr<std::string> text = list_format->Render(out, *kHeaders);
    if (!text.ok()) return inv.Fail(text.status());
    fputs(text->c_str(), stdout);
    return 0;
  }
  std::vector<std::string> header = {"REPOSITORY", "TAG"};
  if (digests) header.push_back("DIGEST");
  for (const char* h : {"IMAGE ID", "CREATED", "SIZE"}) header.push_back(h);
  Table table(header);
  for (const image::ImageSummary& r : *rows) {
    std::vector<std::string> row = {r.repository, r.tag};
    if (digests) row.push_back(r.digest.value_or("<none>"));
    row.push_back(id_text(r.id));
    row.push_back(image::CreatedSince(r.created, now));
    row.push_back(image::HumanSize(r.size));
    table.Add(std::move(row));
  }
  fputs(table.Render().c_str(), stdout);
  return 0;
}

int RmiMain(Invocation& inv) {
  bool force = false;
  inv.flags().Bool("f,force", &force, "Force removal of the image");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  image::ImageService images(inv.root());
  int rc = 0;
  for (const std::string& name : *args) {
    absl::StatusOr<std::vector<std::string>> lines = images.Remove(name, force);
    if (!lines.ok()) {
      rc = inv.Fail(lines.status());
      continue;
    }
    for (const std::string& l : *lines) printf("%s\n", l.c_str());
  }
  return rc;
}

int TagMain(Invocation& inv) {
  std::optional<std::vector<std::string>> args = inv.Parse(2, 2);
  if (!args) return inv.exit_code();
  image::ImageService images(inv.root());
  absl::Status s = images.Tag((*args)[0], (*args)[1]);
  if (!s.ok()) return inv.Fail(s);
  return 0;
}

int InspectMain(Invocation& inv) {
  std::string type, format;
  inv.flags().String("type", &type, "Return JSON for the given type (container or image)");
  inv.flags().String("f,format", &format, "Format the output using the given Go template");
  std::optional<std::vector<std::string>> args = inv.Parse(1);
  if (!args) return inv.exit_code();
  std::optional<cli::GoTemplate> tmpl;
  if (!format.empty()) {
    absl::StatusOr<cli::GoTemplate> t = cli::GoTemplate::Parse(format);
    if (!t.ok()) return inv.Fail(t.status(), kExitUsage);
    tmpl = std::move(*t);
  }
  if (!type.empty() && type != "container" && type != "image") {
    return inv.Fail(absl::InvalidArgumentError(absl::StrCat(
                        "\"", type, "\" is not a valid value for --type")),
                    kExitUsage);
  }
  image::ImageService images(inv.root());
  container::Store store(inv.root(), engine::RuntimeStoreOptions());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  std::vector<absl::Status> errors;
  for (const std::string& name : *args) {
    // As docker does without --type: a container first, then an image.
    if (type != "image") {
      absl::StatusOr<container::Container> c = store.Load(name);
      if (c.ok()) {
        absl::StatusOr<bool> refreshed = store.RefreshState(*c);
        (void)refreshed;
        absl::StatusOr<nlohmann::ordered_json> j = engine::InspectContainer(store, *c);
        if (j.ok()) {
          out.push_back(*std::move(j));
        } else {
          errors.push_back(j.status());
        }
        continue;
      }
      if (type == "container" || !absl::IsNotFound(c.status())) {
        errors.push_back(c.status());
        continue;
      }
    }
    absl::StatusOr<nlohmann::ordered_json> j = images.Inspect(name);
    if (j.ok()) {
      out.push_back(*std::move(j));
    } else if (type.empty() && absl::IsNotFound(j.status())) {
      errors.push_back(absl::NotFoundError(
          absl::StrCat("No such object: ", name)));
    } else {
      errors.push_back(j.status());
    }
  }
  if (tmpl) {
    for (const nlohmann::ordered_json& j : out) {
      absl::StatusOr<std::string> text = tmpl->Execute(j);
      if (!text.ok()) {
        errors.push_back(text.status());
        continue;
      }
      printf("%s\n", text->c_str());
    }
  } else {
    printf("%s\n", out.dump(4).c_str());
  }
  for (const absl::Status& e : errors) inv.Fail(e);
  return errors.empty() ? 0 : kExitFailure;
}

}  // namespace mydocker::applets
