#include "regionsync/broker/snssqs/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cassert>
#include <ctime>
#include <map>
#include <vector>

namespace regionsync {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trims and collapses runs of spaces, as the canonical header form requires.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UriDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    std::string_view part = query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = UriDecode(part.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : UriDecode(part.substr(eq + 1));
      params.emplace_back(AwsUriEncode(key), AwsUriEncode(value));
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

std::string FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (HeaderNameEquals(k, name)) return v;
  }
  return "";
}

void SetHeader(HttpHeaders* headers, std::string_view name, std::string value) {
  std::erase_if(*headers, [&](const auto& h) { return HeaderNameEquals(h.first, name); });
  headers->emplace_back(std::string(name), std::move(value));
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), sizeof(out)));
}

std::string AwsUriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl p;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return InvalidArgument("URL without scheme: " + std::string(url));
  p.scheme = ToLower(url.substr(0, colon));
  if (p.scheme != "http" && p.scheme != "https") return InvalidArgument("URL scheme not http(s): " + std::string(url));
  std::string_view rest = url.substr(colon + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return InvalidArgument("URL without host: " + std::string(url));
  p.host = ToLower(authority);
  // Drop a default port so Host matches what clients send.
  std::string default_port = p.scheme == "https" ? ":443" : ":80";
  if (p.host.size() > default_port.size() && p.host.ends_with(default_port) && p.host.find(']') == std::string::npos) {
    p.host.resize(p.host.size() - default_port.size());
  }
  std::string_view tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  size_t q = tail.find('?');
  p.path = std::string(tail.substr(0, q));
  if (p.path.empty()) p.path = "/";
  if (q != std::string_view::npos) p.query = std::string(tail.substr(q + 1));
  return p;
}

std::string AmzDate(uint64_t wall_millis) {
  std::time_t t = static_cast<std::time_t>(wall_millis / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string SigV4SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string k = Hmac("AWS4" + std::string(secret), date);
  k = Hmac(k, region);
  k = Hmac(k, service);
  return Hmac(k, "aws4_request");
}

SigV4Parts SigV4Compute(const HttpRequest& request, const AwsCredentials& credentials, std::string_view region,
                        std::string_view service) {
  std::string amz_date = FindHeader(request.headers, "x-amz-date");
  assert(amz_date.size() == 16);
  assert(!FindHeader(request.headers, "host").empty());
  Result<ParsedUrl> url = ParseUrl(request.url);
  std::string path = url.ok() ? url->path : "/";
  std::string query = url.ok() ? url->query : "";

  // Lowercased names, sorted; repeated names keep their order, joined by ','.
  std::map<std::string, std::string> headers;
  for (const auto& [k, v] : request.headers) {
    std::string name = ToLower(k);
    auto [it, inserted] = headers.try_emplace(name, CanonicalHeaderValue(v));
    if (!inserted) it->second += "," + CanonicalHeaderValue(v);
  }
  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : headers) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += k;
  }

  SigV4Parts parts;
  parts.canonical_request = request.method + "\n" + AwsUriEncode(path, /*keep_slash=*/true) + "\n" +
                            CanonicalQuery(query) + "\n" + canonical_headers + "\n" + signed_headers + "\n" +
                            Sha256Hex(request.body);
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  parts.string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(parts.canonical_request);
  parts.signature =
      HexEncode(Hmac(SigV4SigningKey(credentials.secret_access_key, date, region, service), parts.string_to_sign));
  parts.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                        ", SignedHeaders=" + signed_headers + ", Signature=" + parts.signature;
  return parts;
}

void SigV4Sign(HttpRequest* request, const AwsCredentials& credentials, std::string_view region,
               std::string_view service, uint64_t wall_millis) {
  std::erase_if(request->headers, [](const auto& h) { return HeaderNameEquals(h.first, "Authorization"); });
  Result<ParsedUrl> url = ParseUrl(request->url);
  SetHeader(&request->headers, "Host", url.ok() ? url->host : "");
  SetHeader(&request->headers, "X-Amz-Date", AmzDate(wall_millis));
  if (!credentials.session_token.empty()) {
    SetHeader(&request->headers, "X-Amz-Security-Token", credentials.session_token);
  }
  SigV4Parts parts = SigV4Compute(*request, credentials, region, service);
  request->headers.emplace_back("Authorization", std::move(parts.authorization));
}

}  // namespace regionsync
