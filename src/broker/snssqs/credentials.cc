#include "regionsync/broker/snssqs/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace regionsync {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

EnvLookup ProcessEnvLookup() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<AwsCredentials> ParseSharedCredentials(std::string_view text, std::string_view profile) {
  AwsCredentials c;
  bool in_profile = false, found = false;
  size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = Trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return InvalidArgument("credentials file line " + std::to_string(line_no) + ": bad section");
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      // The config file spells it "[profile x]"; accept that too.
      if (name.starts_with("profile ")) name = Trim(name.substr(8));
      in_profile = name == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("credentials file line " + std::to_string(line_no) + ": expected key = value");
    }
    std::string_view key = Trim(line.substr(0, eq));
    std::string value(Trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") c.access_key_id = value;
    else if (key == "aws_secret_access_key") c.secret_access_key = value;
    else if (key == "aws_session_token") c.session_token = value;
  }
  if (!found) return NotFound("no profile [" + std::string(profile) + "] in the credentials file");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return InvalidArgument("profile [" + std::string(profile) + "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

Result<AwsCredentials> LoadAwsCredentials(const EnvLookup& env) {
  std::optional<std::string> id = env("AWS_ACCESS_KEY_ID"), secret = env("AWS_SECRET_ACCESS_KEY");
  if (id && secret && !id->empty() && !secret->empty()) {
    return AwsCredentials{*id, *secret, env("AWS_SESSION_TOKEN").value_or("")};
  }
  std::string path;
  if (std::optional<std::string> p = env("AWS_SHARED_CREDENTIALS_FILE"); p && !p->empty()) {
    path = *p;
  } else if (std::optional<std::string> home = env("HOME"); home && !home->empty()) {
    path = *home + "/.aws/credentials";
  } else {
    return NotFound("no AWS credentials: AWS_ACCESS_KEY_ID unset and no HOME for ~/.aws/credentials");
  }
  std::ifstream in(path);
  if (!in) return NotFound("no AWS credentials: AWS_ACCESS_KEY_ID unset and cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string profile = env("AWS_PROFILE").value_or("");
  if (profile.empty()) profile = "default";
  Result<AwsCredentials> c = ParseSharedCredentials(text.str(), profile);
  if (!c.ok()) return Status(c.status().code(), path + ": " + c.status().message());
  return c;
}

std::string LoadAwsRegion(const EnvLookup& env, std::string fallback) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::optional<std::string> v = env(name); v && !v->empty()) return *v;
  }
  return fallback;
}

}  // namespace regionsync
