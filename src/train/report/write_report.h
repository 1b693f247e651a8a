// gem-sweep report: from the runs under one or more folders, writes into `out`
//   report.md                   one table per recipe (mean +- std over seeds) and its plot
//   report.csv                  the same numbers for programs (tables.h)
//   <recipe>-curves.png         mean test accuracy and loss per epoch, one line per activation
//   activations.png, .csv       f, f', f'' of every activation in the report (gem plot's code)
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace gem::train {

struct ReportOptions {
  std::vector<std::filesystem::path> inputs{"runs"};
  std::filesystem::path out = "results/report";
  std::string gnuplot = "gnuplot";
  bool plots = true;           // false: tables only (no gnuplot needed)
  std::string machine;         // empty: machine_description()
  std::string date;            // empty: utc_now()
};

struct ReportFiles {
  std::filesystem::path markdown, csv;
  std::vector<std::filesystem::path> images;
};

/// Throws std::runtime_error (no runs found, unreadable files, gnuplot failing).
ReportFiles write_report(const ReportOptions& options, std::ostream& log);

}  // namespace gem::train
