#include "url.h"

#include <cctype>
#include <charconv>

namespace regionsync::client {

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  std::string_view rest = url;
  std::string scheme = "http";
  if (size_t p = rest.find("://"); p != std::string_view::npos) {
    scheme = std::string(rest.substr(0, p));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rest.remove_prefix(p + 3);
  }
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument("URL '" + std::string(url) + "': scheme must be http or https");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgument("URL '" + std::string(url) + "': no query or fragment allowed");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) {
    // Credentials in the URL would end up in shell history and logs; the
    // token belongs in REGIONSYNC_TOKEN.
    return InvalidArgument("URL '" + std::string(url) + "': no user info allowed; use --token or REGIONSYNC_TOKEN");
  }
  // A bracketed IPv6 literal may contain ':'; the port follows the ']'.
  size_t host_end = authority.size();
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) host_end = colon;
  std::string_view host = authority.substr(0, host_end);
  if (host.empty() || host == "[]") return InvalidArgument("URL '" + std::string(url) + "': missing host");
  if (host_end < authority.size()) {
    std::string_view port = authority.substr(host_end + 1);
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return InvalidArgument("URL '" + std::string(url) + "': bad port '" + std::string(port) + "'");
    }
  }
  return BaseUrl{scheme + "://" + std::string(authority), std::string(path)};
}

namespace {

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

std::string PercentEncode(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // "." and ".." would be dot-segments that clients and proxies collapse;
  // encoded, they stay a key.
  bool all_dots = segment == "." || segment == "..";
  std::string out;
  out.reserve(segment.size());
  for (char c : segment) {
    auto u = static_cast<unsigned char>(c);
    if (IsUnreserved(c) && !all_dots) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string KeyPath(std::string_view key, std::string_view suffix) {
  std::string path = "/v1/keys/" + PercentEncode(key);
  if (!suffix.empty()) path.append("/").append(suffix);
  return path;
}

std::string FieldPath(std::string_view key, std::string_view field, std::string_view suffix) {
  std::string path = KeyPath(key, "fields/" + PercentEncode(field));
  if (!suffix.empty()) path.append("/").append(suffix);
  return path;
}

}  // namespace regionsync::client
