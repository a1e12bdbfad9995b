// AWS credentials and region, found the way the AWS CLI and SDKs find them:
// the environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN first, then the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials), profile
// AWS_PROFILE or "default". Region: AWS_REGION, then AWS_DEFAULT_REGION.
//
//   Result<AwsCredentials> creds = LoadAwsCredentials();
//   if (!creds.ok()) { std::cerr << creds.status().ToString(); return 2; }
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "regionsync/common/status.h"

namespace regionsync {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

// Reads one environment variable; injectable so tests need not touch the
// process environment. nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
// Looks names up in the process environment (std::getenv).
EnvLookup ProcessEnvLookup();

// Parses an INI-style shared credentials file and returns `profile`'s keys.
// NotFound if the profile is absent; InvalidArgument if it lacks a key.
Result<AwsCredentials> ParseSharedCredentials(std::string_view text, std::string_view profile);

// Environment variables, then the shared credentials file. NotFound when
// neither has credentials; InvalidArgument when the file is malformed.
Result<AwsCredentials> LoadAwsCredentials(const EnvLookup& env = ProcessEnvLookup());

// AWS_REGION, then AWS_DEFAULT_REGION, then `fallback`.
std::string LoadAwsRegion(const EnvLookup& env = ProcessEnvLookup(), std::string fallback = "us-east-1");

}  // namespace regionsync
