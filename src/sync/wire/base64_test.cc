#include "sync/wire/base64.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace regionsync::wire {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64EncodedSize(plain.size()), encoded.size());
    std::optional<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, AllByteValuesAndBothSpecialCharacters) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string text = Base64Encode(all);
  EXPECT_NE(text.find('+'), std::string::npos);
  EXPECT_NE(text.find('/'), std::string::npos);
  EXPECT_EQ(Base64Decode(text), all);
}

TEST(Base64Test, RejectsNonCanonicalText) {
  for (const char* bad : {
           "Zg",        // missing padding
           "Zg=",       // short padding
           "Zm9",       // length not a multiple of 4
           "Zh==",      // low bits of the last character not zero
           "Zm9=",      // ok length, but '9' has low bits set -> non-canonical
           "Z===",      // too much padding
           "====",      // only padding
           "Zg==Zm9v",  // padding in the middle
           "Zm 9v",     // whitespace
           "Zm9v\n",    // trailing newline
           "Zm9-",      // URL-safe alphabet is not ours
           "Zm9_",
           "Zm\x80v",   // high byte
       }) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

RC_GTEST_PROP(Base64Prop, RoundTrips, (const std::string& bytes)) {
  const std::string text = Base64Encode(bytes);
  RC_ASSERT(text.size() == Base64EncodedSize(bytes.size()));
  RC_ASSERT(Base64Decode(text) == std::optional<std::string>(bytes));
}

RC_GTEST_PROP(Base64Prop, TruncationIsRejectedOrShorter, (const std::string& bytes)) {
  RC_PRE(!bytes.empty());
  const std::string text = Base64Encode(bytes);
  const size_t cut = *rc::gen::inRange<size_t>(0, text.size());
  std::optional<std::string> decoded = Base64Decode(std::string_view(text).substr(0, cut));
  // Either rejected, or a strictly shorter prefix of the original bytes.
  if (decoded) {
    RC_ASSERT(decoded->size() < bytes.size());
    RC_ASSERT(bytes.compare(0, decoded->size(), *decoded) == 0);
  }
}

}  // namespace
}  // namespace regionsync::wire
