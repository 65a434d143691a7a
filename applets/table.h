// Docker's table output: columns padded like Go's tabwriter with minwidth
// 10 and padding 3, as `docker images` and `docker ps` print them.
//
//   Table t({"REPOSITORY", "TAG", "IMAGE ID"});
//   t.Add({"busybox", "latest", "18117d7e766f"});
//   fputs(t.Render().c_str(), stdout);
#ifndef MYDOCKER_APPLETS_TABLE_H_
#define MYDOCKER_APPLETS_TABLE_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace mydocker::applets {

class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  std::string Render() const {
    // As tabwriter: a row's last cell is not in a column (it is never
    // padded, and its width counts for nothing); rows may differ in their
    // number of cells (a --format table whose data holds tabs).
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      if (row.size() > width.size()) width.resize(row.size(), 0);
      for (size_t i = 0; i + 1 < row.size(); ++i) {
        width[i] = std::max({width[i], row[i].size() + 3, size_t{10}});
      }
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        absl::StrAppend(&line, row[i]);
        if (i + 1 < row.size()) line.append(width[i] - row[i].size(), ' ');
      }
      absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mydocker::applets

#endif  // MYDOCKER_APPLETS_TABLE_H_
