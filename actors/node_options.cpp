#include "actors/node_options.hpp"

#include <cstdint>

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace hypertide::actors {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

/// Strips a comment (`;` or `#` outside quotes).
std::string_view strip_comment(std::string_view s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ';' || c == '#') {
      return s.substr(0, i);
    }
  }
  return s;
}

bool quoted(std::string_view v, char q) {
  return v.size() >= 2 && v.front() == q && v.back() == q;
}

bool parse_int(std::string_view v, long long& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && p == v.data() + v.size();
}

bool valid_address(const std::string& a) {
  if (a == "localhost")
    return true;
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

} // namespace

std::vector<std::string> check_options(const node_options& o) {
  std::vector<std::string> errs;
  if (o.node_name.empty())
    errs.push_back("hypertide.node-name: must not be empty");
  if (!valid_address(o.listen_address))
    errs.push_back("hypertide.listen-address: \"" + o.listen_address
                   + "\" is not an IPv4 or IPv6 address");
  if (o.port == 0)
    errs.push_back("hypertide.port: must be between 1 and 65535");
  if (o.cluster_port != 0 && o.cluster_port == o.port)
    errs.push_back("hypertide.cluster-port: must differ from hypertide.port");
  const auto& sc = o.synchronous_commit;
  if (sc != "on" && sc != "off" && sc != "local" && sc != "remote_write" && sc != "remote_apply")
    errs.push_back("hypertide.synchronous-commit: \"" + sc
                   + "\" is not one of on, off, local, remote_write, remote_apply");
  if (o.wal_writer_delay_ms < 1 || o.wal_writer_delay_ms > 10000)
    errs.push_back("hypertide.wal-writer-delay: must be between 1 and 10000 (milliseconds)");
  if (o.wal_segment_size_mb < 1 || o.wal_segment_size_mb > 1024
      || (o.wal_segment_size_mb & (o.wal_segment_size_mb - 1)) != 0)
    errs.push_back("hypertide.wal-segment-size: must be a power of two from 1 to 1024 "
                   "(megabytes)");
  if (o.max_wal_size_mb < 2)
    errs.push_back("hypertide.max-wal-size: must be at least 2 (megabytes)");
  if (o.checkpoint_timeout_s < 30 || o.checkpoint_timeout_s > 86400)
    errs.push_back("hypertide.checkpoint-timeout: must be between 30 and 86400 (seconds)");
  if (o.huge_pages != "try" && o.huge_pages != "on" && o.huge_pages != "off")
    errs.push_back("hypertide.huge-pages: \"" + o.huge_pages + "\" is not one of try, on, off");
  return errs;
}

std::vector<std::string> check_config_text(std::string_view text, node_options& out) {
  std::vector<std::string> errs;
  std::string section;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(strip_comment(line));
    if (line.empty())
      continue;
    auto where = [&](std::string_view key) {
      return "line " + std::to_string(line_no) + ": " + section
             + (section.empty() ? "" : ".") + std::string{key};
    };
    if (line.front() == '[') {
      if (line.back() != ']') {
        errs.push_back("line " + std::to_string(line_no) + ": malformed section header");
        continue;
      }
      section = std::string{trim(line.substr(1, line.size() - 2))};
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      errs.push_back("line " + std::to_string(line_no) + ": expected key=value");
      continue;
    }
    std::string_view key = trim(line.substr(0, eq));
    std::string_view val = trim(line.substr(eq + 1));
    if (section == "hypertide") {
      auto want_string = [&](std::string& dst) {
        if (!quoted(val, '"'))
          errs.push_back(where(key) + ": expected a string in double quotes, got " + std::string{val});
        else
          dst = std::string{val.substr(1, val.size() - 2)};
      };
      auto want_port = [&](uint16_t& dst, long long lo) {
        long long x = 0;
        if (!parse_int(val, x) || x < lo || x > 65535)
          errs.push_back(where(key) + ": expected an integer between " + std::to_string(lo)
                         + " and 65535, got " + std::string{val});
        else
          dst = static_cast<uint16_t>(x);
      };
      auto want_range = [&](uint32_t& dst, long long lo, long long hi, const char* unit) {
        long long x = 0;
        if (!parse_int(val, x) || x < lo || x > hi)
          errs.push_back(where(key) + ": expected " + unit + " between " + std::to_string(lo)
                         + " and " + std::to_string(hi) + ", got " + std::string{val});
        else
          dst = static_cast<uint32_t>(x);
      };
      auto want_bool = [&](bool& dst) {
        if (val != "true" && val != "false")
          errs.push_back(where(key) + ": expected true or false, got " + std::string{val});
        else
          dst = val == "true";
      };
      if (key == "node-name")
        want_string(out.node_name);
      else if (key == "listen-address")
        want_string(out.listen_address);
      else if (key == "port")
        want_port(out.port, 1);
      else if (key == "cluster-port")
        want_port(out.cluster_port, 0);
      else if (key == "data-dir")
        want_string(out.data_dir);
      else if (key == "synchronous-commit")
        want_string(out.synchronous_commit);
      else if (key == "wal-writer-delay")
        want_range(out.wal_writer_delay_ms, 1, 10000, "milliseconds");
      else if (key == "wal-segment-size")
        want_range(out.wal_segment_size_mb, 1, 1024, "megabytes");
      else if (key == "max-wal-size")
        want_range(out.max_wal_size_mb, 2, INT32_MAX, "megabytes");
      else if (key == "checkpoint-timeout")
        want_range(out.checkpoint_timeout_s, 30, 86400, "seconds");
      else if (key == "truncate-corrupt-wal")
        want_bool(out.truncate_corrupt_wal);
      else if (key == "wal-init-zero")
        want_bool(out.wal_init_zero);
      else if (key == "huge-pages")
        want_string(out.huge_pages);
      else
        errs.push_back(where(key) + ": unknown option");
    } else if (section == "scheduler") {
      if (key == "policy" && !(val == "'sharing'" || val == "'stealing'"))
        errs.push_back(where(key) + ": expected 'sharing' or 'stealing' in single quotes, got "
                       + std::string{val} + " (CAF ignores any other spelling)");
      long long x = 0;
      if (key == "max-threads" && (!parse_int(val, x) || x < 1 || x > 1024))
        errs.push_back(where(key) + ": expected an integer between 1 and 1024, got "
                       + std::string{val});
    }
  }
  if (errs.empty()) {
    auto more = check_options(out);
    errs.insert(errs.end(), more.begin(), more.end());
  }
  return errs;
}

} // namespace hypertide::actors
