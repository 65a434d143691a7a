// Docker's table output: cells aligned as Go's text/tabwriter aligns them
// with minwidth 10, padding 3 and spaces, which is how `docker images` and
// `docker ps` print (and any `--format 'table ...'`).
//
//   Table t({"REPOSITORY", "TAG", "IMAGE ID"});
//   t.Add({"busybox", "latest", "18117d7e766f"});
//   fputs(t.Render().c_str(), stdout);
//
// As with tabwriter, a row's last cell is in no column (it is never padded
// and its width counts for nothing), rows may have different numbers of
// cells, a column's width is set by the block of consecutive rows that have
// a cell in it, and widths are counted in UTF-8 characters.
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
    std::string out;
    std::vector<size_t> widths;
    Format(0, rows_.size(), widths, out);
    return out;
  }

 private:
  static constexpr size_t kMinWidth = 10;
  static constexpr size_t kPadding = 3;

  static size_t Width(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }

  // Rows [from, to) with the columns `widths` (those of the blocks they
  // are in).
  void Write(size_t from, size_t to, const std::vector<size_t>& widths,
             std::string& out) const {
    for (size_t r = from; r < to; ++r) {
      const std::vector<std::string>& row = rows_[r];
      for (size_t i = 0; i < row.size(); ++i) {
        absl::StrAppend(&out, row[i]);
        if (i < widths.size()) out.append(widths[i] - Width(row[i]), ' ');
      }
      out += '\n';
    }
  }

  // tabwriter's format(): the rows [from, to), where column widths.size()
  // is the next one to size, block by block.
  void Format(size_t from, size_t to, std::vector<size_t>& widths,
              std::string& out) const {
    const size_t column = widths.size();
    for (size_t r = from; r < to; ++r) {
      if (column + 1 >= rows_[r].size()) continue;
      // A block of rows with a cell in this column starts here.
      Write(from, r, widths, out);
      from = r;
      size_t width = kMinWidth;
      for (; r < to && column + 1 < rows_[r].size(); ++r) {
        width = std::max(width, Width(rows_[r][column]) + kPadding);
      }
      widths.push_back(width);
      Format(from, r, widths, out);
      widths.pop_back();
      from = r;
    }
    Write(from, to, widths, out);
  }

  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mydocker::applets

#endif  // MYDOCKER_APPLETS_TABLE_H_
