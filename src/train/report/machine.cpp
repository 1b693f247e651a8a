#include "src/train/report/machine.h"

#include <sys/utsname.h>

#include <ctime>
#include <fstream>
#include <thread>

namespace gem::train {

std::string machine_description() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon != std::string::npos && colon + 2 <= line.size()) cpu = line.substr(colon + 2);
    break;
  }
  std::string text = cpu + " (" + std::to_string(std::thread::hardware_concurrency()) + " logical CPUs)";
  utsname u{};
  if (::uname(&u) == 0) text += ", " + std::string(u.sysname) + " " + u.release;
  return text;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &utc);
  return buf;
}

}  // namespace gem::train
